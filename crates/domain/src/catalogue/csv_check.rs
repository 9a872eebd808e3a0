//! Reading a books CSV (see `bookstore_model::import`) into rows, finding every problem of the
//! file before anything is written: the encoding, the header, each record's shape and size,
//! each cell by the model's own rules, and ISBNs repeated within the file.
use bookstore_model::{
    AUTHOR_SEPARATOR, AuthorName, BOOK_COLUMNS, BookDetails, Description, Genre, ImportProblem,
    ImportProblemCode as Code, Isbn, MAX_IMPORT_RECORD_BYTES, MAX_REPORTED_PROBLEMS, PriceCents,
    REQUIRED_BOOK_COLUMNS, Title, unescape_cell,
};
use std::collections::HashMap;

/// What the import does with the stock of a book that is already in the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StockMode {
    /// Leave it (the default): orders and returns move stock, not a catalogue file.
    Keep,
    /// Set it to the row's `stock` (absolute, so repeating the import changes nothing).
    Set,
}

/// One valid data row (kept as JSON in an import's chunk items).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ImportRow {
    /// The physical line where the record starts.
    pub line: u64,
    pub details: BookDetails,
    /// The `stock` cell: a new book's stock (none: 0), or with [`StockMode::Set`] an existing
    /// one's.
    pub stock: Option<i64>,
    pub mode: StockMode,
}

/// The problems found, in file order; counts them all, keeps the first
/// `MAX_REPORTED_PROBLEMS`.
#[derive(Debug, Default)]
pub struct Problems {
    pub count: u64,
    pub list: Vec<ImportProblem>,
}

impl Problems {
    pub(super) fn push(
        &mut self,
        line: u64,
        column: Option<&str>,
        code: Code,
        message: impl Into<String>,
    ) {
        self.count += 1;
        if self.list.len() < MAX_REPORTED_PROBLEMS {
            self.list.push(ImportProblem {
                line,
                column: column.map(str::to_owned),
                code,
                message: message.into(),
            });
        }
    }
}

/// The file read: its valid rows, how many data rows it has, and every problem.
#[derive(Debug, Default)]
pub struct Checked {
    pub rows: Vec<ImportRow>,
    pub total: u64,
    pub problems: Problems,
}

/// Reads and checks a whole books CSV.
pub fn check(input: &[u8]) -> Checked {
    let mut p = Problems::default();
    let mut rows = Vec::new();
    let mut total = 0;
    if let Some(text) = decode(input, &mut p) {
        read(text, &mut p, &mut rows, &mut total);
    }
    Checked {
        rows,
        total,
        problems: p,
    }
}

/// The file as UTF-8 text without a byte-order mark; `None` (with a problem) if it is not.
fn decode<'a>(input: &'a [u8], p: &mut Problems) -> Option<&'a str> {
    if input.starts_with(&[0xFF, 0xFE]) || input.starts_with(&[0xFE, 0xFF]) {
        p.push(
            1,
            None,
            Code::Encoding,
            "the file is UTF-16; save it as UTF-8",
        );
        return None;
    }
    let input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    match std::str::from_utf8(input) {
        Ok(t) if t.trim().is_empty() => {
            p.push(
                1,
                None,
                Code::Empty,
                "the file is empty; it needs a header row",
            );
            None
        }
        Ok(t) => Some(t),
        Err(e) => {
            let at = e.valid_up_to();
            let line = 1 + input[..at].iter().filter(|b| **b == b'\n').count() as u64;
            p.push(
                line,
                None,
                Code::Encoding,
                format!(
                    "the file is not UTF-8 (byte {at} cannot be read; Latin-1 or Windows-1252?); \
                     save it as UTF-8"
                ),
            );
            None
        }
    }
}

fn read(text: &str, p: &mut Problems, rows: &mut Vec<ImportRow>, total: &mut u64) {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let Some(Ok(header)) = records.next() else {
        p.push(1, None, Code::Empty, "the file has no header row");
        return;
    };
    let Some(columns) = header_columns(&header, p) else {
        return;
    };
    let mut seen: HashMap<Isbn, u64> = HashMap::new();
    // A record's raw bytes run from its start to the next record's start: the size and quote
    // checks need them, which the parsed fields cannot tell.
    let mut pending: Option<(u64, usize, csv::StringRecord)> = None;
    for result in records {
        let r = match result {
            Ok(r) => r,
            Err(e) => {
                // The csv crate refuses only what cannot be read at all (e.g. bad UTF-8, which
                // was checked): report it and stop.
                let line = e.position().map_or(0, |pos| pos.line());
                p.push(line, None, Code::FieldCount, e.to_string());
                return;
            }
        };
        let pos = r.position().cloned().unwrap_or_else(csv::Position::new);
        if let Some((line, start, prev)) = pending.take() {
            *total += 1;
            let raw = &text.as_bytes()[start..pos.byte() as usize];
            row(line, raw, &prev, &columns, &mut seen, rows, p);
        }
        pending = Some((pos.line(), pos.byte() as usize, r));
    }
    if let Some((line, start, prev)) = pending {
        *total += 1;
        let raw = &text.as_bytes()[start..];
        row(line, raw, &prev, &columns, &mut seen, rows, p);
    }
}

/// The header's columns, each a known name, in file order; `None` (with problems) if a
/// column is unknown, repeated or a required one is missing.
fn header_columns(header: &csv::StringRecord, p: &mut Problems) -> Option<Vec<&'static str>> {
    let before = p.count;
    let mut columns = Vec::with_capacity(header.len());
    for name in header.iter() {
        let name = name.trim();
        match BOOK_COLUMNS.iter().find(|c| c.eq_ignore_ascii_case(name)) {
            Some(c) if columns.contains(c) => p.push(
                1,
                Some(c),
                Code::DuplicateColumn,
                format!("the column `{c}` appears twice"),
            ),
            Some(c) => columns.push(*c),
            None => p.push(
                1,
                Some(name),
                Code::UnknownColumn,
                format!(
                    "unknown column `{name}`; the columns are {}",
                    BOOK_COLUMNS.join(", ")
                ),
            ),
        }
    }
    for c in REQUIRED_BOOK_COLUMNS {
        if !columns.contains(c) {
            p.push(
                1,
                Some(c),
                Code::MissingColumn,
                format!("the required column `{c}` is missing"),
            );
        }
    }
    (p.count == before).then_some(columns)
}

/// Checks one data record (`raw`: its bytes in the file) and keeps it if it is valid.
fn row(
    line: u64,
    raw: &[u8],
    record: &csv::StringRecord,
    columns: &[&'static str],
    seen: &mut HashMap<Isbn, u64>,
    rows: &mut Vec<ImportRow>,
    p: &mut Problems,
) {
    if raw.len() > MAX_IMPORT_RECORD_BYTES {
        p.push(
            line,
            None,
            Code::RecordTooLarge,
            format!(
                "the row has {} bytes; at most {MAX_IMPORT_RECORD_BYTES} are allowed",
                raw.len()
            ),
        );
        return;
    }
    // Quotes pair up in a well-formed record; an odd count means a quoted field that is never
    // closed (it swallowed the rest of the file) or a stray `"` in an unquoted field.
    if raw.iter().filter(|b| **b == b'"').count() % 2 == 1 {
        p.push(
            line,
            None,
            Code::UnterminatedQuote,
            "a quoted field on this row is never closed (the rest of the file would be read \
             into it), or a `\"` stands in an unquoted field (quote the field and double the \
             `\"`)",
        );
        return;
    }
    if record.len() != columns.len() {
        p.push(
            line,
            None,
            Code::FieldCount,
            format!(
                "the row has {} fields; the header has {}",
                record.len(),
                columns.len()
            ),
        );
        return;
    }
    let before = p.count;
    let mut cells = Cells {
        line,
        values: HashMap::with_capacity(columns.len()),
    };
    for (column, cell) in columns.iter().zip(record.iter()) {
        let numeric = matches!(*column, "price_cents" | "published_year" | "stock");
        let value = if numeric {
            Some(cell)
        } else {
            unescape_cell(cell)
        };
        let Some(value) = value else {
            p.push(
                line,
                Some(column),
                Code::Formula,
                "the cell starts with =, +, -, @, a tab or a carriage return, which a \
                 spreadsheet would run as a formula; prefix it with ' to mean the text",
            );
            cells.values.insert(column, None);
            continue;
        };
        if *column != "description" && value.contains(['\n', '\r']) {
            p.push(
                line,
                Some(column),
                Code::NewlineInField,
                format!("`{column}` cannot hold a line break (only `description` can)"),
            );
            cells.values.insert(column, None);
            continue;
        }
        cells.values.insert(column, Some(value));
    }
    let isbn = cells.parse(p, "isbn", |s| Isbn::parse(s).map_err(|e| e.0));
    let title = cells.parse(p, "title", |s| Title::parse(s).map_err(|e| e.0));
    let authors = cells.parse(p, "authors", |s| {
        s.split(AUTHOR_SEPARATOR)
            .filter(|a| !a.trim().is_empty())
            .map(|a| AuthorName::parse(a).map_err(|e| e.0))
            .collect::<Result<Vec<_>, _>>()
    });
    let genre = cells.parse(p, "genre", |s| Genre::parse(s).map_err(|e| e.0));
    let description = cells.parse(p, "description", |s| Description::parse(s).map_err(|e| e.0));
    let price = cells.parse(p, "price_cents", |s| {
        integer(s).and_then(|n| PriceCents::parse(n).map_err(|e| e.0))
    });
    let year = cells.parse(p, "published_year", |s| {
        integer(s).and_then(|n| {
            i32::try_from(n).map_err(|_| "published_year must be between -3000 and 2100".into())
        })
    });
    let stock = cells.parse(p, "stock", |s| match s.trim() {
        "" => Ok(None),
        s => integer(s).and_then(|n| {
            if (0..=1_000_000).contains(&n) {
                Ok(Some(n))
            } else {
                Err("stock must be between 0 and 1000000".to_owned())
            }
        }),
    });
    let mode = cells.parse(p, "stock_mode", |s| {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "keep" => Ok(StockMode::Keep),
            "set" => Ok(StockMode::Set),
            other => Err(format!("stock_mode is `keep` or `set`, not `{other}`")),
        }
    });
    if mode == Some(StockMode::Set) && stock == Some(None) {
        p.push(
            line,
            Some("stock"),
            Code::InvalidValue,
            "stock_mode `set` needs a stock",
        );
    }
    if p.count != before {
        return;
    }
    let (
        Some(isbn),
        Some(title),
        Some(authors),
        Some(genre),
        Some(description),
        Some(price_cents),
        Some(published_year),
        Some(stock),
        Some(mode),
    ) = (
        isbn,
        title,
        authors,
        genre,
        description,
        price,
        year,
        stock,
        mode,
    )
    else {
        return;
    };
    let details = BookDetails {
        isbn,
        title,
        authors,
        genre,
        description,
        price_cents,
        published_year,
    };
    if let Err(e) = details.validate() {
        let column = ["authors", "published_year"]
            .into_iter()
            .find(|c| e.0.starts_with(c))
            .or_else(|| e.0.starts_with("title and authors").then_some("authors"));
        p.push(line, column, Code::InvalidValue, e.0);
        return;
    }
    if let Some(first) = seen.get(&details.isbn) {
        p.push(
            line,
            Some("isbn"),
            Code::DuplicateIsbn,
            format!("ISBN {} is also on line {first}", details.isbn),
        );
        return;
    }
    seen.insert(details.isbn.clone(), line);
    rows.push(ImportRow {
        line,
        details,
        stock,
        mode,
    });
}

/// A record's cells by column: `None` for a cell already reported (a formula, a line break).
struct Cells<'a> {
    line: u64,
    values: HashMap<&'static str, Option<&'a str>>,
}

impl Cells<'_> {
    /// The cell of `column` (empty if the file has no such column) parsed by `parse`; `None`
    /// if it was reported already or `parse` refuses it (reported now).
    fn parse<T>(
        &self,
        p: &mut Problems,
        column: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let cell = match self.values.get(column) {
            Some(None) => return None,
            Some(Some(v)) => v,
            None => "",
        };
        parse(cell)
            .map_err(|m| p.push(self.line, Some(column), Code::InvalidValue, m))
            .ok()
    }
}

fn integer(s: &str) -> Result<i64, String> {
    s.trim()
        .parse::<i64>()
        .map_err(|_| format!("`{}` is not a whole number", s.trim()))
}
