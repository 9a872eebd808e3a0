//! The catalogue as CSV, a page at a time (the caller streams the pages, so the whole
//! catalogue is never in memory). The columns are the import's; text cells go through
//! `escape_cell`, so no cell runs as a spreadsheet formula and the import reads each back to
//! the value it was: an export imports as all `unchanged`.
use super::*;
use bookstore_model::{AUTHOR_SEPARATOR, AuthorName, BOOK_COLUMNS, escape_cell};

/// Books per page of the export.
const EXPORT_PAGE: usize = 100;

/// The UTF-8 byte-order mark, so that spreadsheet programs read the file as UTF-8 (the
/// import skips it).
const BOM: &str = "\u{feff}";

impl Catalogue {
    /// One page of the catalogue by title as CSV rows, preceded by the byte-order mark and the
    /// header on the first page (`cursor` none); and the next page's cursor.
    pub async fn export_page(&self, cursor: Option<&str>) -> Result<(Vec<u8>, Option<String>)> {
        let query = Query {
            index: Some(BOOKS_BY_TITLE),
            pk: CATALOGUE.into(),
            sk_prefix: None,
            forward: true,
            limit: EXPORT_PAGE,
            start: None,
        };
        let (raws, next) = self.pager.paged_raw("export:books", query, cursor).await?;
        let mut out = Vec::with_capacity(raws.len() * 256);
        if cursor.is_none() {
            out.extend_from_slice(BOM.as_bytes());
        }
        let mut w = csv::Writer::from_writer(out);
        let failed = |e: csv::Error| Error::Internal(format!("writing CSV: {e}"));
        if cursor.is_none() {
            w.write_record(BOOK_COLUMNS).map_err(failed)?;
        }
        for raw in &raws {
            let b: Book = from_raw(raw)?;
            let authors = b
                .authors
                .iter()
                .map(AuthorName::as_str)
                .collect::<Vec<_>>()
                .join(&AUTHOR_SEPARATOR.to_string());
            w.write_record([
                escape_cell(b.isbn.as_str()).as_ref(),
                &escape_cell(b.title.as_str()),
                &escape_cell(&authors),
                &escape_cell(b.genre.as_str()),
                &escape_cell(b.description.as_str()),
                &b.price_cents.get().to_string(),
                &b.published_year.to_string(),
                &b.stock.to_string(),
                "",
            ])
            .map_err(failed)?;
        }
        let out = w
            .into_inner()
            .map_err(|e| Error::Internal(format!("writing CSV: {e}")))?;
        Ok((out, next))
    }
}
