//! The catalogue: books, their ISBN claims, genre counters and search tokens, always written
//! together in one transaction.
mod csv_check;
mod export;
mod genres;
mod import;
mod inventory;
mod json;
mod keys;
mod listing;
pub(crate) mod notify;
mod search;
pub(crate) mod stock;

use crate::Actor;
use crate::audit;
use crate::cursor::CursorCodec;
use crate::error::{Error, Result};
use crate::fresh::Fresh;
use crate::items::{Pager, from_item, from_raw, page_limit, time_key, to_item};
use crate::outbox::Wakeup;
use crate::outcome::transact_audited;
use crate::store::keys::*;
use crate::store::{Cond, Item, Key, Path, Query, RawItem, Store, StoreError, WriteOp};
use bookstore_model::{
    Bestseller, Book, BookDetails, BookId, BookQuery, BookSort, Currency, EventType, Genre,
    GenreCount, InventoryItem, NewBook, Page, ProblemCode,
};
pub(crate) use import::KIND_IMPORT;
pub use import::RowOutcome;
pub(crate) use inventory::crossing_events;
pub use json::{BookJson, BookJsonCache, BookPage, book_etag};
use keys::*;
pub use keys::{book_key, words};
pub use listing::MAX_BESTSELLERS;
use search::*;
use serde_json::value::RawValue;
use serde_json::{Value, json};
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

/// Where [`Catalogue::create_ops`] puts the check that the book's genre is listed.
const CREATE_GENRE_CHECK: usize = 3;

/// The partition of the whole-catalogue indexes.
pub const CATALOGUE: &str = "BOOKS";

const GENRES: &str = "GENRES";

/// Token items a search reads per store query. A search reads every match of its lookup word,
/// however many pages that takes: a cap would silently drop books from the results.
const SEARCH_SCAN_PAGE: usize = 500;

/// How much the catalogue keeps in memory and for how long (from the settings).
#[derive(Debug, Clone)]
pub struct CatalogueConfig {
    /// Memoised book JSON, in bytes.
    pub book_json_bytes: u64,
    /// How old the genre counts, the bestseller ranking and search results may be on instances
    /// that did not make the change (zero: computed on every request).
    pub genres_max_age: Duration,
    pub bestsellers_max_age: Duration,
    pub search_max_age: Duration,
    /// Bytes of kept search results (ids) and of kept lookup words' candidates.
    pub search_results_bytes: u64,
    pub search_candidates_bytes: u64,
    /// The shop's one currency: every book is priced in it, whatever a stored item says.
    pub currency: Currency,
    /// The low-stock threshold of a book without its own.
    pub low_stock_threshold: u32,
    /// How old the inventory's snapshot (every book's stock, sales, threshold) may be on an
    /// instance whose own writes did not change it (zero: read on every request).
    pub inventory_max_age: Duration,
}

/// The catalogue repository: books, their ISBN claims, genre counters and search tokens on
/// the store, and every cache derived from them. Its writes invalidate its caches themselves.
pub struct Catalogue {
    store: Arc<dyn Store>,
    pager: Pager,
    book_json: BookJsonCache,
    searches: SearchCache,
    genres: Fresh<Vec<GenreCount>>,
    /// The managed list of genres (see [`genres`]).
    genre_list: Fresh<BTreeSet<Genre>>,
    /// Whether this instance saw the genre list seeded (it is only ever seeded once).
    genres_seeded: std::sync::atomic::AtomicBool,
    bestsellers: Fresh<Vec<Bestseller>>,
    /// Wakes this instance's outbox dispatcher after a write with an event.
    wakeup: Wakeup,
    /// The shop's currency, written into every book and put in place of a stored one on read
    /// (books stored before the shop had one currency may carry another).
    currency: Currency,
    /// The low-stock threshold of a book without its own.
    low_stock_threshold: u32,
    /// Every book as the inventory shows it, for the staff's sorted and filtered listing.
    inventory: Fresh<Vec<InventoryItem>>,
    /// Chunks of imports this instance applies at once (`import::apply`).
    import_slots: tokio::sync::Semaphore,
}

impl Catalogue {
    pub fn new(store: Arc<dyn Store>, cursors: Arc<CursorCodec>, config: &CatalogueConfig) -> Self {
        Self {
            pager: Pager::new(store.clone(), cursors),
            store,
            book_json: BookJsonCache::new(config.book_json_bytes, config.currency.clone()),
            searches: SearchCache::new(
                config.search_max_age,
                config.search_results_bytes,
                config.search_candidates_bytes,
            ),
            genres: Fresh::new(config.genres_max_age),
            genre_list: Fresh::new(config.genres_max_age),
            genres_seeded: std::sync::atomic::AtomicBool::new(false),
            bestsellers: Fresh::new(config.bestsellers_max_age),
            wakeup: Wakeup::new(),
            currency: config.currency.clone(),
            low_stock_threshold: config.low_stock_threshold,
            inventory: Fresh::new(config.inventory_max_age),
            import_slots: tokio::sync::Semaphore::new(import::CHUNKS_AT_ONCE),
        }
    }

    /// One book as stored, in the shop's currency.
    async fn get(&self, id: BookId) -> Result<Option<Book>> {
        Ok(get(self.store.as_ref(), id).await?.map(|mut b| {
            b.currency = self.currency.clone();
            b
        }))
    }

    /// Wakes `wakeup` (the dispatcher's) after each write, instead of leaving the events
    /// to the dispatchers' next poll.
    pub fn with_wakeup(mut self, wakeup: Wakeup) -> Self {
        self.wakeup = wakeup;
        self
    }

    /// Forgets what this instance derived from the catalogue and a change of `before` into
    /// `after` can alter: the genre counts when a genre gained or lost a book, and the
    /// searches the book matches, as it was or as it is.
    fn changed(&self, before: Option<&Book>, after: Option<&Book>) {
        if before.map(|b| &b.genre) != after.map(|b| &b.genre) {
            self.genres.invalidate();
        }
        let books: Vec<&Book> = before.into_iter().chain(after).collect();
        self.searches.forget(&books);
        self.inventory.invalidate();
    }

    /// One book's public JSON.
    pub async fn get_json(&self, id: BookId) -> Result<Option<BookJson>> {
        self.store
            .get_raw(&book_key(id))
            .await?
            .map(|raw| self.book_json.of(&raw))
            .transpose()
    }

    /// The public JSON of books by id, skipping missing ones, in the order of `ids`.
    pub(super) async fn get_books_json(&self, ids: &[BookId]) -> Result<Vec<BookJson>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(100) {
            let keys: Vec<Key> = chunk.iter().map(|id| book_key(*id)).collect();
            for raw in self.store.batch_get_raw(&keys).await?.into_iter().flatten() {
                out.push(self.book_json.of(&raw)?);
            }
        }
        Ok(out)
    }

    pub async fn create(&self, actor: &Actor, new: NewBook) -> Result<Book> {
        let store = self.store.as_ref();
        new.validate()?;
        let genre_check = self.genre_check(&new.details().genre).await?;
        let book = self.new_book(&new.details(), new.stock);
        let ops = self.create_ops(actor, &book, genre_check, None)?;
        match transact_audited(store, ops).await {
            Ok(()) => {
                self.changed(None, Some(&book));
                Ok(book)
            }
            Err(StoreError::ConditionFailed(failed)) if failed.contains(&CREATE_GENRE_CHECK) => {
                Err(self.genre_removed(&book.genre).await)
            }
            Err(StoreError::ConditionFailed(_)) => Err(isbn_taken()),
            Err(e) => Err(e.into()),
        }
    }

    /// The writes that add `book`: its item, ISBN claim, genre count, the check that its genre
    /// is listed (`genre_check`, at [`CREATE_GENRE_CHECK`]), search tokens, `book.created`
    /// event and audit entry (last), in one transaction. `note` goes in the audit entry.
    fn create_ops(
        &self,
        actor: &Actor,
        book: &Book,
        genre_check: WriteOp,
        note: Option<String>,
    ) -> Result<Vec<WriteOp>> {
        let mut item = to_item(book)?;
        let key = book_key(book.id);
        item.insert("pk".into(), key.pk.into());
        item.insert("sk".into(), key.sk.into());
        item.insert("sold".into(), 0.into());
        item.insert(
            "sold_shard".into(),
            format!("SOLD#{}", shard_of(&book.id.to_string())).into(),
        );
        for (k, v) in derived_attrs(book) {
            item.insert(k.into(), v);
        }
        let mut claim = crate::store::expr::key_item(&isbn_key(book.isbn.as_str()));
        claim.insert("book_id".into(), book.id.to_string().into());
        let mut ops = vec![
            WriteOp::Put {
                item,
                cond: Some(Cond::NotExists),
            },
            WriteOp::Put {
                item: claim,
                cond: Some(Cond::NotExists),
            },
            genre_op(&book.genre, 1),
            genre_check,
        ];
        ops.extend(token_ops(Some(book), None));
        ops.push(self.wakeup.emit(EventType::BookCreated, book)?);
        ops.push(audit::entry(
            actor,
            "book.create",
            book.id,
            None,
            Some(json!(book)),
            note,
        )?);
        Ok(ops)
    }

    /// The writes that change `old`'s details into `new`'s (see [`with_details`]), conditioned
    /// on `old`'s version: item, ISBN claim, genre counts with the check that a new genre is
    /// listed (`genre_check`; its place is returned), tokens, `book.updated`, audit entry.
    fn update_ops(
        &self,
        actor: &Actor,
        old: &Book,
        new: &Book,
        genre_check: Option<WriteOp>,
        note: Option<String>,
    ) -> Result<(Vec<WriteOp>, Option<usize>)> {
        let id = old.id;
        let mut set: Vec<(Path, Value)> = to_item(&details_of(new))?
            .into_iter()
            .map(|(k, v)| (Path::attr(&k), v))
            .collect();
        // Rewritten on every edit: a book stored in another currency is now in the shop's.
        set.push((Path::attr("currency"), json!(new.currency)));
        set.push((Path::attr("version"), new.version.into()));
        set.push((Path::attr("updated_at"), json!(new.updated_at)));
        for (k, v) in derived_attrs(new) {
            set.push((Path::attr(k), v));
        }
        let mut ops = vec![WriteOp::Update {
            key: book_key(id),
            set,
            add: vec![],
            cond: Some(Cond::Eq(Path::attr("version"), old.version.into())),
        }];
        if old.isbn != new.isbn {
            let mut claim = crate::store::expr::key_item(&isbn_key(new.isbn.as_str()));
            claim.insert("book_id".into(), id.to_string().into());
            ops.push(WriteOp::Put {
                item: claim,
                cond: Some(Cond::NotExists),
            });
            ops.push(WriteOp::Delete {
                key: isbn_key(old.isbn.as_str()),
                cond: None,
            });
        }
        let mut genre_check_at = None;
        if old.genre != new.genre {
            ops.push(genre_op(&old.genre, -1));
            ops.push(genre_op(&new.genre, 1));
        }
        if let Some(check) = genre_check {
            genre_check_at = Some(ops.len());
            ops.push(check);
        }
        ops.extend(token_ops(Some(new), Some(old)));
        ops.push(self.wakeup.emit(EventType::BookUpdated, new)?);
        ops.push(audit::entry(
            actor,
            "book.update",
            id,
            Some(json!(old)),
            Some(json!(new)),
            note,
        )?);
        Ok((ops, genre_check_at))
    }

    /// Replaces a book's details; the book as stored.
    pub async fn update(
        &self,
        actor: &Actor,
        id: BookId,
        expected_version: Option<i64>,
        d: BookDetails,
    ) -> Result<Book> {
        let store = self.store.as_ref();
        d.validate()?;
        let old = self.get(id).await?.ok_or(Error::NotFound("book"))?;
        if expected_version.is_some_and(|v| v != old.version) {
            return Err(Error::PreconditionFailed(old.version));
        }
        let new = with_details(&old, &d);
        // An unchanged genre has this book, so it cannot have left the list.
        let genre_check = if old.genre == d.genre {
            None
        } else {
            Some(self.genre_check(&d.genre).await?)
        };
        let (ops, genre_check_at) = self.update_ops(actor, &old, &new, genre_check, None)?;
        match transact_audited(store, ops).await {
            Ok(()) => {
                // Stock may have moved meanwhile; answer with the stored state.
                self.changed(Some(&old), Some(&new));
                let book = self.get(id).await?.ok_or(Error::NotFound("book"))?;
                Ok(book)
            }
            Err(StoreError::ConditionFailed(failed)) => {
                if genre_check_at.is_some_and(|i| failed.contains(&i)) {
                    Err(self.genre_removed(&new.genre).await)
                } else if failed.contains(&0) {
                    let current = self.get(id).await?.ok_or(Error::NotFound("book"))?;
                    Err(Error::PreconditionFailed(current.version))
                } else {
                    Err(isbn_taken())
                }
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Removes a book from the catalogue; the book as it was.
    pub async fn delete(
        &self,
        actor: &Actor,
        id: BookId,
        expected_version: Option<i64>,
    ) -> Result<Book> {
        let store = self.store.as_ref();
        let old = self.get(id).await?.ok_or(Error::NotFound("book"))?;
        if expected_version.is_some_and(|v| v != old.version) {
            return Err(Error::PreconditionFailed(old.version));
        }
        let mut ops = vec![
            WriteOp::Delete {
                key: book_key(id),
                cond: Some(Cond::Eq(Path::attr("version"), old.version.into())),
            },
            WriteOp::Delete {
                key: isbn_key(old.isbn.as_str()),
                cond: None,
            },
            genre_op(&old.genre, -1),
        ];
        ops.extend(token_ops(None, Some(&old)));
        ops.push(self.wakeup.emit(EventType::BookDeleted, &old)?);
        ops.push(audit::entry(
            actor,
            "book.delete",
            id,
            Some(json!(old)),
            None,
            None,
        )?);
        match transact_audited(store, ops).await {
            Ok(()) => {
                self.changed(Some(&old), None);
                Ok(old)
            }
            Err(StoreError::ConditionFailed(_)) => match self.get(id).await? {
                Some(b) => Err(Error::PreconditionFailed(b.version)),
                None => Err(Error::NotFound("book")),
            },
            Err(e) => Err(e.into()),
        }
    }

    /// Whether the catalogue is empty (for seeding).
    pub async fn is_empty(&self) -> Result<bool> {
        let store = self.store.as_ref();
        let page = store
            .query(&Query {
                index: Some(BOOKS_BY_TITLE),
                pk: CATALOGUE.into(),
                sk_prefix: None,
                forward: true,
                limit: 1,
                start: None,
            })
            .await?;
        Ok(page.items.is_empty())
    }
}

/// `old` with the details `d`, one version on.
fn with_details(old: &Book, d: &BookDetails) -> Book {
    let mut new = old.clone();
    new.isbn = d.isbn.clone();
    new.title = d.title.clone();
    new.authors = d.authors.clone();
    new.genre = d.genre.clone();
    new.description = d.description.clone();
    new.price_cents = d.price_cents;
    new.published_year = d.published_year;
    new.version = old.version + 1;
    new.updated_at = chrono::Utc::now();
    new
}

pub async fn get(store: &dyn Store, id: BookId) -> Result<Option<Book>> {
    store
        .get_raw(&book_key(id))
        .await?
        .as_deref()
        .map(from_raw)
        .transpose()
}

/// Reads any number of books by id; the answer follows the order of `ids`.
pub async fn get_many(store: &dyn Store, ids: &[BookId]) -> Result<Vec<Option<Item>>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(100) {
        let keys: Vec<Key> = chunk.iter().map(|id| book_key(*id)).collect();
        out.extend(store.batch_get(&keys).await?);
    }
    Ok(out)
}

fn isbn_taken() -> Error {
    Error::Conflict(ProblemCode::IsbnTaken, "another book has this ISBN".into())
}
