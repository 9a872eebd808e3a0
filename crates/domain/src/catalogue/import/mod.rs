//! Books from a CSV file (columns in `bookstore_model::import`). The whole file is checked
//! first (`csv_check`), within the request; a file with any problem writes nothing. A clean
//! file is staged (`stage`: an import record, the rows in chunk items, one outbox job per
//! chunk) and answered 202; the dispatcher applies the chunks (`apply`), batch by batch, each
//! batch's outcomes and the chunk's progress committed together, so an import survives a
//! crash and resumes after its last committed batch.
//!
//! Each row is matched to the catalogue by ISBN and written with the catalogue's own
//! transactions (`create_ops`, `update_ops`, `stock_ops`: item, ISBN claim, genre count,
//! tokens, `book.created` / `book.updated` event, audit entry noting the import and line), one
//! book per transaction (a book's writes can reach ~50 operations of the store's 100). Matching
//! by ISBN makes a re-applied row idempotent: a row already applied is `unchanged`, the ISBN
//! claim (written with `NotExists`) keeps a book from being added twice, and a stock is only
//! ever *set* (`stock_mode=set`), never added to.
mod apply;
mod stage;

use super::csv_check::{Checked, ImportRow, StockMode, check};
use super::inventory::Stocked;
use super::*;
pub(super) use apply::CHUNKS_AT_ONCE;
use bookstore_model::ImportReport;
pub(crate) use stage::KIND_IMPORT;

/// What one row did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowOutcome {
    Created,
    Updated,
    Unchanged,
}

/// Rows written at once. Each is its own transaction; the embedded store shares one fsync
/// among the transactions that arrive together (one at a time: ~150 rows/s on one disk), and
/// DynamoDB retries the few that meet on a genre counter.
const ROWS_IN_FLIGHT: usize = 32;

/// Attempts per row when a concurrent change (a sale, an edit) moves the book between the
/// read and the write.
const ROW_ATTEMPTS: usize = 20;

impl Catalogue {
    /// Checks a books CSV and writes nothing: the report lists every problem (a dry run).
    pub async fn check_import(&self, csv: &[u8]) -> Result<ImportReport> {
        Ok(self.checked(csv, true).await?.0)
    }

    /// The file checked: its report and its rows.
    async fn checked(&self, csv: &[u8], dry_run: bool) -> Result<(ImportReport, Vec<ImportRow>)> {
        let mut checked = check(csv);
        self.check_genres(&mut checked).await?;
        let report = ImportReport {
            dry_run,
            rows: checked.total,
            problem_count: checked.problems.count,
            problems: checked.problems.list,
            ..ImportReport::default()
        };
        Ok((report, checked.rows))
    }

    /// A genre not on the shop's list is a problem of each row that has it (column `genre`),
    /// found with the others before anything is written; the book writes check it again.
    async fn check_genres(&self, checked: &mut Checked) -> Result<()> {
        let mut verdicts: std::collections::BTreeMap<Genre, Option<String>> = Default::default();
        let mut found = Vec::new();
        for row in &checked.rows {
            let genre = &row.details.genre;
            if !verdicts.contains_key(genre) {
                let verdict = match self.genre_check(genre).await {
                    Ok(_) => None,
                    Err(Error::Unprocessable(ProblemCode::UnknownGenre, message)) => Some(message),
                    Err(e) => return Err(e),
                };
                verdicts.insert(genre.clone(), verdict);
            }
            if let Some(Some(message)) = verdicts.get(genre) {
                found.push((row.line, message.clone()));
            }
        }
        for (line, message) in found {
            checked.problems.push(
                line,
                Some("genre"),
                bookstore_model::ImportProblemCode::UnknownGenre,
                message,
            );
        }
        checked.problems.list.sort_by_key(|p| p.line);
        Ok(())
    }

    /// Writes one checked row: adds the book if its ISBN is new, else brings its details (and
    /// with `stock_mode=set` its stock) to the row's. `import` names the import in the audit
    /// notes.
    pub(crate) async fn import_row(
        &self,
        actor: &Actor,
        import: &str,
        row: &ImportRow,
    ) -> Result<RowOutcome> {
        let store = self.store.as_ref();
        let note = || Some(format!("CSV import {import}, line {}", row.line));
        for _ in 0..ROW_ATTEMPTS {
            let Some(old) = self.by_isbn(&row.details.isbn).await? else {
                let book = self.new_book(&row.details, row.stock.unwrap_or(0));
                let genre_check = self.genre_check(&book.genre).await?;
                let ops = self.create_ops(actor, &book, genre_check, note())?;
                match transact_audited(store, ops).await {
                    Ok(()) => {
                        self.changed(None, Some(&book));
                        return Ok(RowOutcome::Created);
                    }
                    Err(StoreError::ConditionFailed(failed))
                        if failed.contains(&CREATE_GENRE_CHECK) =>
                    {
                        return Err(self.genre_removed(&book.genre).await);
                    }
                    // Claimed meanwhile (another import, an admin): update that book instead.
                    Err(StoreError::ConditionFailed(_)) => continue,
                    Err(e) => return Err(e.into()),
                }
            };
            let mut outcome = RowOutcome::Unchanged;
            if details_of(&old) != row.details {
                let new = with_details(&old, &row.details);
                let genre_check = if old.genre == new.genre {
                    None
                } else {
                    Some(self.genre_check(&new.genre).await?)
                };
                let (ops, genre_check_at) =
                    self.update_ops(actor, &old, &new, genre_check, note())?;
                match transact_audited(store, ops).await {
                    Ok(()) => self.changed(Some(&old), Some(&new)),
                    Err(StoreError::ConditionFailed(failed))
                        if genre_check_at.is_some_and(|i| failed.contains(&i)) =>
                    {
                        return Err(self.genre_removed(&new.genre).await);
                    }
                    Err(StoreError::ConditionFailed(_)) => continue,
                    Err(e) => return Err(e.into()),
                }
                outcome = RowOutcome::Updated;
            }
            match (row.mode, row.stock) {
                (StockMode::Set, Some(stock)) if stock != old.stock => {
                    // Read again for the version the details' write made and the book's own
                    // low-stock threshold; a retry finds the details unchanged.
                    let Some(Stocked { book: now, own, .. }) = self.get_stocked(old.id).await?
                    else {
                        continue;
                    };
                    if now.stock == stock {
                        return Ok(RowOutcome::Updated);
                    }
                    let (_, ops) = self.stock_ops(actor, &now, own, stock, note())?;
                    match transact_audited(store, ops).await {
                        Ok(()) => {
                            self.inventory.invalidate();
                        }
                        Err(StoreError::ConditionFailed(_)) => continue,
                        Err(e) => return Err(e.into()),
                    }
                    return Ok(RowOutcome::Updated);
                }
                _ => return Ok(outcome),
            }
        }
        Err(Error::Conflict(
            ProblemCode::Conflict,
            format!(
                "the book on line {} is changing too fast; run the import again",
                row.line
            ),
        ))
    }

    /// The book that holds `isbn`, if any.
    async fn by_isbn(&self, isbn: &bookstore_model::Isbn) -> Result<Option<Book>> {
        let claim = self.store.get(&isbn_key(isbn.as_str())).await?;
        let id = claim
            .as_ref()
            .and_then(|c| c.get("book_id"))
            .and_then(Value::as_str)
            .and_then(|s| s.parse::<BookId>().ok());
        match id {
            Some(id) => self.get(id).await,
            None => Ok(None),
        }
    }

    /// A new book with details `d` and `stock` copies, in the shop's currency.
    pub(super) fn new_book(&self, d: &BookDetails, stock: i64) -> Book {
        let now = chrono::Utc::now();
        Book {
            id: BookId::new(),
            isbn: d.isbn.clone(),
            title: d.title.clone(),
            authors: d.authors.clone(),
            genre: d.genre.clone(),
            description: d.description.clone(),
            price_cents: d.price_cents,
            currency: self.currency.clone(),
            stock,
            published_year: d.published_year,
            version: 1,
            created_at: now,
            updated_at: now,
        }
    }
}

#[cfg(test)]
mod tests;
