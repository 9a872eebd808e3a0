//! Books in and out as CSV: the columns, the problems an import reports, and the one rule by
//! which exported text cells are kept from running as spreadsheet formulas and read back.
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The columns of a books CSV, in the order the export writes them. `isbn`, `title`,
/// `authors`, `genre`, `price_cents` and `published_year` are required; `description`,
/// `stock` and `stock_mode` are optional; any other column is refused.
pub const BOOK_COLUMNS: &[&str] = &[
    "isbn",
    "title",
    "authors",
    "genre",
    "description",
    "price_cents",
    "published_year",
    "stock",
    "stock_mode",
];

/// Columns an import must have.
pub const REQUIRED_BOOK_COLUMNS: &[&str] = &[
    "isbn",
    "title",
    "authors",
    "genre",
    "price_cents",
    "published_year",
];

/// Authors in one cell are separated by this (a name with a `;` cannot be imported).
pub const AUTHOR_SEPARATOR: char = ';';

/// The most bytes one record (row) may have: a description's 5,000 characters and every other
/// field at its longest fit well inside.
pub const MAX_IMPORT_RECORD_BYTES: usize = 64 * 1024;

/// The most bytes an import body may have (a 100,000-row file of ordinary books is ~20 MB).
pub const MAX_IMPORT_BYTES: usize = 64 * 1024 * 1024;

/// The most problems a report lists; `problem_count` says how many there were.
pub const MAX_REPORTED_PROBLEMS: usize = 1000;

/// What kind of problem a cell, row or the whole file has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportProblemCode {
    /// The file is not UTF-8 (e.g. Latin-1, or UTF-16 with its byte-order mark).
    Encoding,
    /// The file has no header row, or no rows at all.
    Empty,
    MissingColumn,
    UnknownColumn,
    DuplicateColumn,
    /// A row has more or fewer fields than the header.
    FieldCount,
    /// A quoted field is never closed: the rest of the file would be read as its value.
    UnterminatedQuote,
    /// A line break inside a quoted field of a column that cannot hold one (only
    /// `description` can).
    NewlineInField,
    /// A row is longer than `MAX_IMPORT_RECORD_BYTES`.
    RecordTooLarge,
    /// A text cell starts with `=`, `+`, `-`, `@`, a tab or a carriage return: a spreadsheet
    /// would run it as a formula. Prefix it with `'` to mean the text itself.
    Formula,
    /// A value breaks the rule of its field (the message says which).
    InvalidValue,
    /// An ISBN appears on an earlier row of the file too.
    DuplicateIsbn,
    /// The genre is not on the shop's list (the message names the closest one).
    UnknownGenre,
}

/// One problem of an import file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ImportProblem {
    /// The physical line of the file where the record starts (1 is the header).
    pub line: u64,
    /// The column's name, if the problem is in one cell or column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    pub code: ImportProblemCode,
    pub message: String,
}

/// What an import did, or (dry run) would do.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ImportReport {
    /// Nothing was written: only checked.
    pub dry_run: bool,
    /// Data rows in the file (the header not counted).
    pub rows: u64,
    /// Books added, changed and left as they were (all 0 on a dry run).
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// How many problems the file has; nothing is written unless it is 0.
    pub problem_count: u64,
    /// The problems in file order, at most `MAX_REPORTED_PROBLEMS` (1,000) of them.
    pub problems: Vec<ImportProblem>,
}

/// The most rows that failed to apply an import lists (`failed` counts them all).
pub const MAX_LISTED_IMPORT_FAILURES: usize = 100;

/// Where an import (not a dry run) is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    /// The checked file is being stored; the import is not yet accepted.
    Staging,
    /// Accepted: the rows are being applied in the background.
    Running,
    /// Every row was applied (or failed: see `failures`).
    Completed,
    /// Its storing was interrupted (the server stopped before accepting it): no row of it was
    /// applied. Send the file again.
    Abandoned,
}

/// A row that could not be applied, e.g. its genre was removed after the file was checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ImportFailure {
    /// The physical line of the file where the row starts.
    pub line: u64,
    pub message: String,
}

/// A books import and its progress (`GET /api/v1/admin/imports/{id}`). The counters add up
/// to `rows` once it is `completed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BookImport {
    pub id: crate::ImportId,
    pub status: ImportStatus,
    /// Data rows in the file.
    pub rows: u64,
    /// Books added, changed, left as they were, and rows that could not be applied.
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub failed: u64,
    /// The failed rows by line, at most `MAX_LISTED_IMPORT_FAILURES` (100) of them.
    pub failures: Vec<ImportFailure>,
    /// Who started it (an e-mail address, or `api-key:<prefix>`).
    pub started_by: String,
    pub started_at: chrono::DateTime<chrono::Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl BookImport {
    /// Rows applied so far (failed ones included).
    pub fn done(&self) -> u64 {
        self.created + self.updated + self.unchanged + self.failed
    }
}

/// Query parameters of `POST /api/v1/admin/imports/books`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// Only check the file and report every problem (200); write nothing. Otherwise a clean
    /// file is accepted (202) and applied in the background.
    #[serde(default)]
    pub dry_run: bool,
}

/// The columns of the orders CSV, one row per order.
pub const ORDER_COLUMNS: &[&str] = &[
    "id",
    "created_at",
    "status",
    "customer_email",
    "lines",
    "items_cents",
    "shipping_cents",
    "tax_cents",
    "total_cents",
    "refunded_cents",
    "currency",
];

/// Query parameters of `GET /api/v1/admin/exports/orders`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OrderExportQuery {
    /// Only orders placed at or after this instant (RFC 3339, e.g. `2026-12-01T00:00:00Z`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<chrono::DateTime<chrono::Utc>>,
    /// Only orders placed before this instant (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<chrono::DateTime<chrono::Utc>>,
    /// Only orders in this status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[param(inline)]
    pub status: Option<crate::OrderStatus>,
}

/// Whether a spreadsheet would take a cell starting like `s` for a formula (OWASP's list).
pub fn is_formula_like(s: &str) -> bool {
    s.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// An exported text cell: prefixed with `'` when a spreadsheet would run it as a formula, or
/// when the import would otherwise strip a `'` it starts with, so that
/// `unescape_cell(escape_cell(s)) == s` for every `s`.
pub fn escape_cell(s: &str) -> std::borrow::Cow<'_, str> {
    if is_formula_like(s) || escaped(s) {
        format!("'{s}").into()
    } else {
        s.into()
    }
}

/// Whether an imported text cell carries the export's `'` prefix: a `'` followed by what a
/// spreadsheet would run as a formula, or by another `'`. A lone leading `'` before anything
/// else (`'Salem's Lot`) is part of the text.
fn escaped(cell: &str) -> bool {
    cell.strip_prefix('\'')
        .is_some_and(|rest| is_formula_like(rest) || rest.starts_with('\''))
}

/// An imported text cell's value: the export's `'` prefix removed; `None` if the cell would
/// run as a formula (it starts with `=`, `+`, `-`, `@`, tab or CR without the prefix).
pub fn unescape_cell(cell: &str) -> Option<&str> {
    if is_formula_like(cell) {
        None
    } else if escaped(cell) {
        Some(&cell[1..])
    } else {
        Some(cell)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_round_trips_and_neutralises() {
        for s in [
            "",
            "plain",
            "=cmd|' /C calc'!A0",
            "+1",
            "-2",
            "@SUM(A1)",
            "\tx",
            "\rx",
            "'",
            "''",
            "'=x",
            "''=x",
            "'Salem's Lot",
            "'''a",
        ] {
            let e = escape_cell(s);
            assert!(!is_formula_like(&e), "{s:?} exported as {e:?}");
            assert_eq!(unescape_cell(&e), Some(s), "{s:?} via {e:?}");
        }
        assert_eq!(unescape_cell("=1+1"), None);
        assert_eq!(unescape_cell("'Salem's Lot"), Some("'Salem's Lot"));
        assert_eq!(escape_cell("'Salem's Lot"), "'Salem's Lot");
    }
}
