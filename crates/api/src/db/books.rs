//! The catalogue: books, their ISBN claims, genre counters and search tokens, always written
//! together in one transaction.
use super::outcome::transact_audited;
use super::{audit, from_item, from_raw, page_limit, paged_raw, time_key, to_item};
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::keys::*;
use crate::store::{Cond, Item, Key, Path, Query, Store, StoreError, WriteOp};
use bookstore_model::{
    Bestseller, Book, BookDetails, BookId, BookQuery, BookSort, Genre, GenreCount, NewBook, Page,
    ProblemCode, StockAdjustment,
};
use serde_json::value::RawValue;
use serde_json::{Value, json};
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::sync::Arc;

/// The partition of the whole-catalogue indexes.
pub const CATALOGUE: &str = "BOOKS";
const GENRES: &str = "GENRES";
/// Token items a search reads per store query. A search reads every match of its lookup word,
/// however many pages that takes: a cap would silently drop books from the results.
const SEARCH_SCAN_PAGE: usize = 500;

pub fn book_key(id: BookId) -> Key {
    Key::new(format!("BOOK#{id}"), "BOOK")
}

fn isbn_key(isbn: &str) -> Key {
    Key::new(format!("ISBN#{isbn}"), "ISBN")
}

fn genre_key(genre: &Genre) -> Key {
    Key::new(GENRES, genre.as_str())
}

fn token_key(token: &str, id: BookId) -> Key {
    Key::new(token_group(token), format!("{token}#{id}"))
}

/// The partition of a word's token items: its first character and its second, folded into
/// `[0-9a-z]` or `~` for any other, so that the groups a one-letter word's matches lie in are
/// few and known ([`lookup_groups`]).
fn token_group(word: &str) -> String {
    let mut chars = word.chars();
    let mut group = String::from("TOK#");
    group.extend(chars.next());
    group.extend(
        chars
            .next()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '~' }),
    );
    group
}

/// The partitions that hold every token starting with `word`: its own group, or for a
/// one-letter word the letter's own group and all 37 that follow it.
fn lookup_groups(word: &str) -> Vec<String> {
    let mut chars = word.chars();
    match (chars.next(), chars.next()) {
        (Some(first), None) => {
            let mut groups = vec![format!("TOK#{first}")];
            groups.extend(
                ('0'..='9')
                    .chain('a'..='z')
                    .chain(['~'])
                    .map(|c| format!("TOK#{first}{c}")),
            );
            groups
        }
        _ => vec![token_group(word)],
    }
}

/// Lower-cased words of `text` (see [`bookstore_model::search_words`]).
pub fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    bookstore_model::search_words(text)
}

/// A book's search tokens: every word of its title and authors (validation bounds them to
/// `MAX_BOOK_WORDS`; the cut only bounds books stored before that rule) and its ISBN.
fn tokens(d: &BookDetails) -> BTreeSet<String> {
    let words = bookstore_model::book_words(
        d.title.as_str(),
        d.authors.iter().map(bookstore_model::AuthorName::as_str),
    );
    let mut out: BTreeSet<String> = words
        .into_iter()
        .take(bookstore_model::MAX_BOOK_WORDS)
        .collect();
    out.insert(d.isbn.to_string());
    out
}

fn details_of(b: &Book) -> BookDetails {
    BookDetails {
        isbn: b.isbn.clone(),
        title: b.title.clone(),
        authors: b.authors.clone(),
        genre: b.genre.clone(),
        description: b.description.clone(),
        price_cents: b.price_cents,
        currency: b.currency.clone(),
        published_year: b.published_year,
    }
}

/// Bytes of a lower-cased title that the title index sorts by: any valid title (300
/// characters of up to 4 bytes each) keeps its sort key under DynamoDB's 1,024 bytes. Titles
/// alike in their first 512 bytes sort by id.
const TITLE_SORT_BYTES: usize = 512;

fn title_sort_prefix(title: &str) -> String {
    let mut key = title.to_lowercase();
    if key.len() > TITLE_SORT_BYTES {
        let mut end = TITLE_SORT_BYTES;
        while !key.is_char_boundary(end) {
            end -= 1;
        }
        key.truncate(end);
    }
    key
}

/// The index attributes derived from a book's details.
fn derived_attrs(b: &Book) -> [(&'static str, Value); 4] {
    [
        ("cat", CATALOGUE.into()),
        ("genre_key", b.genre.as_str().into()),
        (
            "title_key",
            format!("{}\u{1}{}", title_sort_prefix(b.title.as_str()), b.id).into(),
        ),
        (
            "created_key",
            format!("{}#{}", time_key(b.created_at), b.id).into(),
        ),
    ]
}

/// The search-token items of a book. Each carries what search filters and sorts by (genre,
/// sort keys, all the book's words), so that a search reads token items only and then just the
/// books of the page it returns.
fn token_ops(new: Option<&Book>, old: Option<&Book>) -> Vec<WriteOp> {
    let new_tokens = new.map(|b| tokens(&details_of(b))).unwrap_or_default();
    let mut ops = Vec::new();
    if let Some(old) = old {
        for t in tokens(&details_of(old)).difference(&new_tokens) {
            ops.push(WriteOp::Delete {
                key: token_key(t, old.id),
                cond: None,
            });
        }
    }
    if let Some(book) = new {
        let words = new_tokens.iter().cloned().collect::<Vec<_>>().join(" ");
        for t in &new_tokens {
            let mut item = crate::store::expr::key_item(&token_key(t, book.id));
            item.insert("book_id".into(), book.id.to_string().into());
            item.insert("words".into(), words.clone().into());
            // Named apart from the index keys, so token items stay out of every listing index.
            item.insert("genre".into(), book.genre.as_str().into());
            item.insert("price".into(), book.price_cents.get().into());
            item.insert("title".into(), book.title.as_str().to_lowercase().into());
            item.insert("created".into(), time_key(book.created_at).into());
            ops.push(WriteOp::Put { item, cond: None });
        }
    }
    ops
}

fn genre_op(genre: &Genre, delta: i64) -> WriteOp {
    WriteOp::Update {
        key: genre_key(genre),
        set: vec![(Path::attr("genre"), genre.as_str().into())],
        add: vec![(Path::attr("count"), delta)],
        cond: None,
    }
}

/// A book's public JSON, as `GET /books/{id}` and every listing send it, with its version for
/// `ETag`.
#[derive(Clone)]
pub struct BookJson {
    pub json: Arc<Box<RawValue>>,
    pub version: i64,
    /// Its `ETag` ([`crate::routes::book_etag`]), computed once per representation.
    pub etag: Arc<str>,
}

/// Memoises stored book item → public JSON, keyed by the item's exact stored bytes.
///
/// Turning an item into validated JSON (parse, check every field, serialise) is most of the
/// CPU a catalogue read costs. Every read still fetches the item from the store, so the answer
/// is always the current one on every back end and instance; only the conversion of bytes
/// seen before is skipped. Bounded by bytes; hot books stay (S3-FIFO eviction).
pub struct BookJsonCache(quick_cache::sync::Cache<Vec<u8>, BookJson, JsonWeight>);

#[derive(Clone)]
pub struct JsonWeight;

impl quick_cache::Weighter<Vec<u8>, BookJson> for JsonWeight {
    fn weight(&self, key: &Vec<u8>, val: &BookJson) -> u64 {
        (key.len() + val.json.get().len() + 64) as u64
    }
}

impl BookJsonCache {
    pub fn new(max_bytes: u64) -> Self {
        let estimated_items = (max_bytes / 1500).max(16) as usize;
        Self(quick_cache::sync::Cache::with_weighter(
            estimated_items,
            max_bytes,
            JsonWeight,
        ))
    }

    /// The public JSON of the book stored as `raw`.
    pub fn of(&self, raw: &[u8]) -> ApiResult<BookJson> {
        if let Some(hit) = self.0.get(raw) {
            return Ok(hit);
        }
        let book: Book = from_raw(raw)?;
        let json = serde_json::value::to_raw_value(&book).map_err(ApiError::internal)?;
        let json = BookJson {
            etag: crate::routes::book_etag(book.version, json.get().as_bytes()).into(),
            json: Arc::new(json),
            version: book.version,
        };
        self.0.insert(raw.to_vec(), json.clone());
        Ok(json)
    }
}

/// Each instance's recent search work, for up to `search_max_age_ms`: the sorted ids of every
/// match per (words, genre, sort), and per lookup word the token items it reads (its
/// candidates). A search reads every token item of its word (at 100,000 books a common word has
/// thousands), and paging through results or repeating a popular search would read them all
/// again per page; a search of two words is rarely repeated as such, but its longer word is
/// (the candidates serve every search that looks that word up, filtered in memory). Like the
/// genre counts, this may be that old on other instances; this instance forgets, at once, what
/// a change of its own could alter (see [`forget`](Self::forget)). The books on a page are
/// always read fresh (price, stock). Bounded by bytes held.
pub struct SearchCache {
    max_age: std::time::Duration,
    results: KeptCache<Arc<[BookId]>>,
    candidates: KeptCache<Arc<[Candidate]>>,
    /// Bumped by `forget`: a search that overlapped a change is not kept.
    generation: std::sync::atomic::AtomicU64,
}

type KeptCache<T> = quick_cache::sync::Cache<String, Kept<T>, KeptWeight>;

/// A kept value, with the words whose matching books it depends on.
#[derive(Clone)]
struct Kept<T> {
    at: std::time::Instant,
    words: Arc<[String]>,
    value: T,
}

/// One book as a token item of the lookup word describes it: what search filters and sorts by.
struct Candidate {
    id: BookId,
    /// The book's search tokens, space-separated.
    words: Box<str>,
    genre: Box<str>,
    price: i64,
    title: Box<str>,
    created: Box<str>,
}

trait HeapBytes {
    fn heap_bytes(&self) -> usize;
}

impl HeapBytes for Arc<[BookId]> {
    fn heap_bytes(&self) -> usize {
        self.len() * size_of::<BookId>()
    }
}

impl HeapBytes for Arc<[Candidate]> {
    fn heap_bytes(&self) -> usize {
        self.iter()
            .map(|c| {
                size_of::<Candidate>()
                    + c.words.len()
                    + c.genre.len()
                    + c.title.len()
                    + c.created.len()
            })
            .sum()
    }
}

#[derive(Clone)]
struct KeptWeight;

impl<T: HeapBytes> quick_cache::Weighter<String, Kept<T>> for KeptWeight {
    fn weight(&self, key: &String, val: &Kept<T>) -> u64 {
        (2 * key.len() + val.value.heap_bytes() + 96) as u64
    }
}

/// Search's rule: every query word starts one of the book's search tokens.
fn matches_all<'t>(query_words: &[String], tokens: impl Iterator<Item = &'t str> + Clone) -> bool {
    query_words
        .iter()
        .all(|w| tokens.clone().any(|t| t.starts_with(w.as_str())))
}

impl SearchCache {
    /// `max_age` zero: every search reads the token index. The bounds are bytes of ids and of
    /// candidates.
    pub fn new(max_age: std::time::Duration, results_bytes: u64, candidates_bytes: u64) -> Self {
        Self {
            max_age,
            results: quick_cache::sync::Cache::with_weighter(256, results_bytes, KeptWeight),
            candidates: quick_cache::sync::Cache::with_weighter(256, candidates_bytes, KeptWeight),
            generation: Default::default(),
        }
    }

    /// Forgets everything kept that includes, or would now include, one of these books (each
    /// as it was before and after a change this instance made): the results of any search
    /// whose words they match, in any genre or order, and the candidates of any lookup word
    /// they match. Everything else stays.
    pub fn forget(&self, books: &[&Book]) {
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        let tokens: Vec<BTreeSet<String>> = books.iter().map(|b| tokens(&details_of(b))).collect();
        let unaffected = |words: &[String]| {
            !tokens
                .iter()
                .any(|t| matches_all(words, t.iter().map(String::as_str)))
        };
        self.results.retain(|_, e| unaffected(&e.words));
        self.candidates.retain(|_, e| unaffected(&e.words));
    }

    /// The sorted ids of every match of the search `scope`, kept or computed.
    async fn get<F, Fut>(
        &self,
        scope: &str,
        query_words: &[String],
        compute: F,
    ) -> ApiResult<Arc<[BookId]>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = ApiResult<Vec<BookId>>>,
    {
        self.kept(&self.results, scope, query_words, || async {
            Ok(compute().await?.into())
        })
        .await
    }

    /// The candidates of the lookup word `word`, kept or read.
    async fn candidates<F, Fut>(&self, word: &str, read: F) -> ApiResult<Arc<[Candidate]>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = ApiResult<Vec<Candidate>>>,
    {
        self.kept(&self.candidates, word, &[word.to_owned()], || async {
            Ok(read().await?.into())
        })
        .await
    }

    async fn kept<T, F, Fut>(
        &self,
        cache: &KeptCache<T>,
        key: &str,
        words: &[String],
        compute: F,
    ) -> ApiResult<T>
    where
        T: HeapBytes + Clone,
        F: FnOnce() -> Fut,
        Fut: Future<Output = ApiResult<T>>,
    {
        if self.max_age.is_zero() {
            return compute().await;
        }
        if let Some(e) = cache.get(key)
            && e.at.elapsed() < self.max_age
        {
            return Ok(e.value);
        }
        let generation = self.generation.load(std::sync::atomic::Ordering::Acquire);
        let at = std::time::Instant::now();
        let value = compute().await?;
        // A search that overlapped a change may have read the tokens from before it.
        if self.generation.load(std::sync::atomic::Ordering::Acquire) == generation {
            cache.insert(
                key.to_owned(),
                Kept {
                    at,
                    words: words.into(),
                    value: value.clone(),
                },
            );
        }
        Ok(value)
    }
}

/// One book's public JSON.
pub async fn get_json(state: &AppState, id: BookId) -> ApiResult<Option<BookJson>> {
    state
        .store
        .get_raw(&book_key(id))
        .await?
        .map(|raw| state.book_json.of(&raw))
        .transpose()
}

pub async fn get(store: &dyn Store, id: BookId) -> ApiResult<Option<Book>> {
    store
        .get_raw(&book_key(id))
        .await?
        .as_deref()
        .map(from_raw)
        .transpose()
}

/// The public JSON of books by id, skipping missing ones, in the order of `ids`.
async fn get_books_json(state: &AppState, ids: &[BookId]) -> ApiResult<Vec<BookJson>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(100) {
        let keys: Vec<Key> = chunk.iter().map(|id| book_key(*id)).collect();
        for raw in state
            .store
            .batch_get_raw(&keys)
            .await?
            .into_iter()
            .flatten()
        {
            out.push(state.book_json.of(&raw)?);
        }
    }
    Ok(out)
}

/// Reads any number of books by id; the answer follows the order of `ids`.
pub async fn get_many(store: &dyn Store, ids: &[BookId]) -> ApiResult<Vec<Option<Item>>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(100) {
        let keys: Vec<Key> = chunk.iter().map(|id| book_key(*id)).collect();
        out.extend(store.batch_get(&keys).await?);
    }
    Ok(out)
}

fn isbn_taken() -> ApiError {
    ApiError::Conflict(ProblemCode::IsbnTaken, "another book has this ISBN".into())
}

pub async fn create(store: &dyn Store, actor: &AuthUser, new: NewBook) -> ApiResult<Book> {
    new.validate()?;
    let now = chrono::Utc::now();
    let d = new.details();
    let book = Book {
        id: BookId::new(),
        isbn: d.isbn.clone(),
        title: d.title.clone(),
        authors: d.authors.clone(),
        genre: d.genre.clone(),
        description: d.description.clone(),
        price_cents: d.price_cents,
        currency: d.currency.clone(),
        stock: new.stock,
        published_year: d.published_year,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    let mut item = to_item(&book)?;
    let key = book_key(book.id);
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    item.insert("sold".into(), 0.into());
    item.insert(
        "sold_shard".into(),
        format!("SOLD#{}", shard_of(&book.id.to_string())).into(),
    );
    for (k, v) in derived_attrs(&book) {
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
    ];
    ops.extend(token_ops(Some(&book), None));
    ops.push(audit::entry(
        actor,
        "book.create",
        book.id,
        None,
        Some(json!(book)),
        None,
    )?);
    match transact_audited(store, ops).await {
        Ok(()) => Ok(book),
        Err(StoreError::ConditionFailed(_)) => Err(isbn_taken()),
        Err(e) => Err(e.into()),
    }
}

/// A book as an edit left it, and as it was before.
pub struct Edited {
    pub book: Book,
    pub before: Book,
}

/// Replaces a book's details; the stored book, and the book before (for the caches derived
/// from the catalogue: genre counts, search results).
pub async fn update(
    store: &dyn Store,
    actor: &AuthUser,
    id: BookId,
    expected_version: Option<i64>,
    d: BookDetails,
) -> ApiResult<Edited> {
    d.validate()?;
    let old = get(store, id).await?.ok_or(ApiError::NotFound("book"))?;
    if expected_version.is_some_and(|v| v != old.version) {
        return Err(ApiError::PreconditionFailed(old.version));
    }
    let mut new = old.clone();
    new.isbn = d.isbn.clone();
    new.title = d.title.clone();
    new.authors = d.authors.clone();
    new.genre = d.genre.clone();
    new.description = d.description.clone();
    new.price_cents = d.price_cents;
    new.currency = d.currency.clone();
    new.published_year = d.published_year;
    new.version = old.version + 1;
    new.updated_at = chrono::Utc::now();

    let mut set: Vec<(Path, Value)> = to_item(&d)?
        .into_iter()
        .map(|(k, v)| (Path::attr(&k), v))
        .collect();
    set.push((Path::attr("version"), new.version.into()));
    set.push((Path::attr("updated_at"), json!(new.updated_at)));
    for (k, v) in derived_attrs(&new) {
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
    if old.genre != new.genre {
        ops.push(genre_op(&old.genre, -1));
        ops.push(genre_op(&new.genre, 1));
    }
    ops.extend(token_ops(Some(&new), Some(&old)));
    ops.push(audit::entry(
        actor,
        "book.update",
        id,
        Some(json!(old)),
        Some(json!(new)),
        None,
    )?);
    match transact_audited(store, ops).await {
        Ok(()) => {
            // Stock may have moved meanwhile; answer with the stored state.
            let book = get(store, id).await?.ok_or(ApiError::NotFound("book"))?;
            Ok(Edited { before: old, book })
        }
        Err(StoreError::ConditionFailed(failed)) => {
            if failed.contains(&0) {
                let current = get(store, id).await?.ok_or(ApiError::NotFound("book"))?;
                Err(ApiError::PreconditionFailed(current.version))
            } else {
                Err(isbn_taken())
            }
        }
        Err(e) => Err(e.into()),
    }
}

/// Removes a book from the catalogue; the book as it was.
pub async fn delete(
    store: &dyn Store,
    actor: &AuthUser,
    id: BookId,
    expected_version: Option<i64>,
) -> ApiResult<Book> {
    let old = get(store, id).await?.ok_or(ApiError::NotFound("book"))?;
    if expected_version.is_some_and(|v| v != old.version) {
        return Err(ApiError::PreconditionFailed(old.version));
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
    ops.push(audit::entry(
        actor,
        "book.delete",
        id,
        Some(json!(old)),
        None,
        None,
    )?);
    match transact_audited(store, ops).await {
        Ok(()) => Ok(old),
        Err(StoreError::ConditionFailed(_)) => match get(store, id).await? {
            Some(b) => Err(ApiError::PreconditionFailed(b.version)),
            None => Err(ApiError::NotFound("book")),
        },
        Err(e) => Err(e.into()),
    }
}

/// Restock or write off. Retries when a sale moves the stock between read and write, so the
/// audit log records the exact stock before and after.
pub async fn adjust_stock(
    store: &dyn Store,
    actor: &AuthUser,
    id: BookId,
    adj: StockAdjustment,
) -> ApiResult<Book> {
    adj.validate()?;
    for _ in 0..20 {
        let old = get(store, id).await?.ok_or(ApiError::NotFound("book"))?;
        let new_stock = old.stock + adj.delta;
        if new_stock < 0 {
            return Err(ApiError::Conflict(
                ProblemCode::StockWouldGoNegative,
                format!("only {} in stock; cannot remove {}", old.stock, -adj.delta),
            ));
        }
        let mut new = old.clone();
        new.stock = new_stock;
        let ops = vec![
            WriteOp::Update {
                key: book_key(id),
                set: vec![],
                add: vec![(Path::attr("stock"), adj.delta)],
                cond: Some(Cond::Eq(Path::attr("stock"), old.stock.into())),
            },
            audit::entry(
                actor,
                "book.stock",
                id,
                Some(json!({ "stock": old.stock })),
                Some(json!({ "stock": new_stock })),
                adj.reason.clone(),
            )?,
        ];
        match transact_audited(store, ops).await {
            Ok(()) => return Ok(new),
            Err(StoreError::ConditionFailed(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::Conflict(
        ProblemCode::Conflict,
        "the stock is changing too fast; retry".into(),
    ))
}

fn parse_genre(g: Option<&str>) -> ApiResult<Option<Genre>> {
    g.filter(|s| !s.trim().is_empty())
        .map(|s| Genre::parse(s).map_err(|e| ApiError::BadRequest(ProblemCode::InvalidQuery, e.0)))
        .transpose()
}

/// A page of books as `Page<Book>` JSON.
pub type BookPage = Page<BookJson>;

impl serde::Serialize for BookJson {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.json.serialize(s)
    }
}

pub async fn list(state: &AppState, q: &BookQuery) -> ApiResult<BookPage> {
    let limit = page_limit(q.limit)?;
    let sort = q.sort.unwrap_or_default();
    let genre = parse_genre(q.genre.as_deref())?;
    if let Some(text) = q.q.as_deref().filter(|t| !t.trim().is_empty()) {
        return search(
            state,
            text,
            genre.as_ref(),
            sort,
            limit,
            q.cursor.as_deref(),
        )
        .await;
    }
    let (index, forward) = match (genre.is_some(), sort) {
        (false, BookSort::Title) => (BOOKS_BY_TITLE, true),
        (false, BookSort::PriceAsc) => (BOOKS_BY_PRICE, true),
        (false, BookSort::PriceDesc) => (BOOKS_BY_PRICE, false),
        (false, BookSort::Newest) => (BOOKS_BY_NEWEST, false),
        (true, BookSort::Title) => (GENRE_BY_TITLE, true),
        (true, BookSort::PriceAsc) => (GENRE_BY_PRICE, true),
        (true, BookSort::PriceDesc) => (GENRE_BY_PRICE, false),
        (true, BookSort::Newest) => (GENRE_BY_NEWEST, false),
    };
    let pk = genre.as_ref().map_or(CATALOGUE, Genre::as_str);
    let scope = format!("books:{index}:{forward}:{pk}");
    let query = Query {
        index: Some(index),
        pk: pk.into(),
        sk_prefix: None,
        forward,
        limit,
        start: None,
    };
    let (raws, next_cursor) = paged_raw(state, &scope, query, q.cursor.as_deref()).await?;
    let items = raws
        .iter()
        .map(|raw| state.book_json.of(raw))
        .collect::<ApiResult<_>>()?;
    Ok(Page { items, next_cursor })
}

/// Search: every word must start a word of the title or an author's name (or start the ISBN).
/// The longest word is looked up in the token index; every candidate is then filtered by the
/// other words and the genre, and the matches sorted (see [`SearchCache`]) and paged by offset.
async fn search(
    state: &AppState,
    text: &str,
    genre: Option<&Genre>,
    sort: BookSort,
    limit: usize,
    cursor: Option<&str>,
) -> ApiResult<BookPage> {
    let compact: String = text
        .chars()
        .filter(|c| *c != '-' && !c.is_whitespace())
        .collect();
    // Books are indexed by their ISBN-13: a whole ISBN-10 is searched as the ISBN-13 it
    // stands for (978 + its digits); a 13-digit one is itself, a shorter run of digits a prefix.
    let isbn10 = compact.len() == 10
        && !compact.starts_with("978")
        && !compact.starts_with("979")
        && compact.bytes().take(9).all(|b| b.is_ascii_digit());
    let query_words: Vec<String> = match bookstore_model::Isbn::parse(&compact) {
        Ok(isbn) if isbn10 => vec![isbn.to_string()],
        _ if compact.len() >= 3 && compact.bytes().all(|b| b.is_ascii_digit()) => vec![compact],
        _ => words(text).take(10).collect(),
    };
    if query_words.is_empty() {
        return Ok(Page {
            items: vec![],
            next_cursor: None,
        });
    }
    let scope = format!(
        "search:{}:{}:{}",
        query_words.join(" "),
        genre.map_or("", Genre::as_str),
        sort.as_str()
    );
    let offset = match cursor {
        Some(c) => state.cursors.decode(&scope, c)?.as_u64().ok_or_else(|| {
            ApiError::BadRequest(ProblemCode::InvalidCursor, "the cursor is invalid".into())
        })? as usize,
        None => 0,
    };
    let hits = state
        .searches
        .get(&scope, &query_words, || {
            matches(state, &query_words, genre, sort)
        })
        .await?;
    let end = (offset + limit).min(hits.len());
    let ids = hits.get(offset.min(end)..end).unwrap_or_default();
    let items = get_books_json(state, ids).await?;
    let next_cursor = (end < hits.len()).then(|| state.cursors.encode(&scope, &json!(end)));
    Ok(Page { items, next_cursor })
}

/// The ids of every book matching all `query_words` (and `genre`), in `sort` order: the
/// candidates of the longest word, filtered by the others and the genre.
async fn matches(
    state: &AppState,
    query_words: &[String],
    genre: Option<&Genre>,
    sort: BookSort,
) -> ApiResult<Vec<BookId>> {
    let Some(lookup) = query_words.iter().max_by_key(|w| w.chars().count()) else {
        return Ok(vec![]);
    };
    let candidates = state
        .searches
        .candidates(lookup, || read_candidates(state.store.as_ref(), lookup))
        .await?;
    let mut hits: Vec<&Candidate> = candidates
        .iter()
        .filter(|c| {
            matches_all(query_words, c.words.split(' '))
                && genre.is_none_or(|g| g.as_str() == &*c.genre)
        })
        .collect();
    match sort {
        BookSort::Title => hits.sort_by(|a, b| (&a.title, a.id).cmp(&(&b.title, b.id))),
        BookSort::PriceAsc => hits.sort_by_key(|h| (h.price, h.id)),
        BookSort::PriceDesc => hits.sort_by_key(|h| (std::cmp::Reverse(h.price), h.id)),
        BookSort::Newest => hits.sort_by(|a, b| (&b.created, b.id).cmp(&(&a.created, a.id))),
    }
    Ok(hits.into_iter().map(|h| h.id).collect())
}

/// Every book with a search token that starts with `word`, once each, from the token items:
/// each carries the book's words and sort keys, so the books themselves are read just for the
/// page served.
async fn read_candidates(store: &dyn Store, word: &str) -> ApiResult<Vec<Candidate>> {
    #[derive(serde::Deserialize)]
    struct Token<'a> {
        book_id: BookId,
        #[serde(borrow)]
        words: Cow<'a, str>,
        #[serde(borrow)]
        genre: Cow<'a, str>,
        price: i64,
        #[serde(borrow)]
        title: Cow<'a, str>,
        #[serde(borrow)]
        created: Cow<'a, str>,
    }
    // The groups are read at once: a one-letter word has 38.
    let groups = futures::future::try_join_all(lookup_groups(word).into_iter().map(|pk| {
        let mut query = Query {
            index: None,
            pk,
            sk_prefix: Some(word.to_owned()),
            forward: true,
            limit: SEARCH_SCAN_PAGE,
            start: None,
        };
        async move {
            let mut items = Vec::new();
            loop {
                let page = store.query_raw(&query).await?;
                items.extend(page.items);
                match page.last_key {
                    Some(last) => query.start = Some(last),
                    None => return Ok::<_, ApiError>(items),
                }
            }
        }
    }))
    .await?;
    // A prefix can match several tokens of a book ("mel": "melville", "melody"): one
    // candidate per book (its token items all carry the same fields).
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for raw in groups.iter().flatten() {
        let t: Token<'_> = serde_json::from_slice(raw).map_err(ApiError::internal)?;
        if seen.insert(t.book_id) {
            out.push(Candidate {
                id: t.book_id,
                words: t.words.into(),
                genre: t.genre.into(),
                price: t.price,
                title: t.title.into(),
                created: t.created.into(),
            });
        }
    }
    Ok(out)
}

/// Genres with their number of books, at most `genres_max_age_ms` old (see [`crate::fresh`]);
/// current at once on the instance that changed the catalogue.
pub async fn genres(state: &AppState) -> ApiResult<Vec<GenreCount>> {
    let counts = state
        .genres
        .get(|| count_genres(state.store.as_ref()))
        .await?;
    Ok(counts.as_ref().clone())
}

async fn count_genres(store: &dyn Store) -> ApiResult<Vec<GenreCount>> {
    // Every genre, however many: page through the counters.
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let page = store
            .query(&Query {
                index: None,
                pk: GENRES.into(),
                sk_prefix: None,
                forward: true,
                limit: 1000,
                start,
            })
            .await?;
        items.extend(page.items);
        match page.last_key {
            Some(k) => start = Some(k),
            None => break,
        }
    }
    let mut out = Vec::new();
    for item in items {
        let count = item.get("count").and_then(Value::as_i64).unwrap_or(0);
        let name = item
            .get("genre")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if count > 0
            && let Ok(genre) = Genre::parse(name)
        {
            out.push(GenreCount { genre, count });
        }
    }
    Ok(out)
}

/// The longest bestseller list served.
pub const MAX_BESTSELLERS: usize = 50;

/// The top `limit` books by units sold (net of returns), at most `bestsellers_max_age_ms` old
/// (see [`crate::fresh`]).
pub async fn bestsellers(state: &AppState, limit: usize) -> ApiResult<Vec<Bestseller>> {
    let cache = &state.bestsellers;
    // Computed per call, only what is asked for; cached, the longest list, cut per request.
    let n = if cache.caches() {
        MAX_BESTSELLERS
    } else {
        limit
    };
    let list = cache.get(|| ranking(state, n)).await?;
    Ok(list.iter().take(limit).cloned().collect())
}

async fn ranking(state: &AppState, limit: usize) -> ApiResult<Vec<Bestseller>> {
    let (items, _) = super::sharded_paged(
        state,
        "bestsellers",
        BOOKS_BY_SOLD,
        "SOLD",
        false,
        limit,
        None,
    )
    .await?;
    let mut out = Vec::new();
    for item in items {
        let units_sold = item.get("sold").and_then(Value::as_i64).unwrap_or(0);
        if units_sold > 0 {
            out.push(Bestseller {
                book: from_item(item)?,
                units_sold,
            });
        }
    }
    Ok(out)
}

/// Whether the catalogue is empty (for seeding).
pub async fn is_empty(store: &dyn Store) -> ApiResult<bool> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    async fn lookup(cache: &SearchCache, runs: &AtomicUsize, q: &str) -> usize {
        let words: Vec<String> = words(q).collect();
        cache
            .get(q, &words, || async {
                runs.fetch_add(1, Ordering::SeqCst);
                Ok(vec![BookId::new()])
            })
            .await
            .expect("search")
            .len()
    }

    fn book(title: &str, author: &str) -> Book {
        serde_json::from_value(json!({
            "id": BookId::new(), "isbn": "9780306406157", "title": title, "authors": [author],
            "genre": "fiction", "description": "", "price_cents": 500, "currency": "USD",
            "stock": 1, "published_year": 2000, "version": 1,
            "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"
        }))
        .expect("book")
    }

    #[tokio::test]
    async fn search_results_are_reused_until_they_expire() {
        let runs = AtomicUsize::new(0);
        let cache = SearchCache::new(Duration::from_millis(300), 1 << 20, 1 << 20);
        lookup(&cache, &runs, "moby").await;
        lookup(&cache, &runs, "moby").await;
        assert_eq!(runs.load(Ordering::SeqCst), 1, "a repeat reads no tokens");
        lookup(&cache, &runs, "whale").await;
        assert_eq!(
            runs.load(Ordering::SeqCst),
            2,
            "each search has its own entry"
        );
        tokio::time::sleep(Duration::from_millis(350)).await;
        lookup(&cache, &runs, "moby").await;
        assert_eq!(runs.load(Ordering::SeqCst), 3, "expired");

        let off = SearchCache::new(Duration::ZERO, 1 << 20, 1 << 20);
        lookup(&off, &runs, "moby").await;
        lookup(&off, &runs, "moby").await;
        assert_eq!(runs.load(Ordering::SeqCst), 5, "max age 0: every time");
    }

    /// A change forgets exactly the searches the changed book matches (by search's own rule:
    /// every word starts one of its words), and no others.
    #[tokio::test]
    async fn a_change_forgets_the_searches_its_book_matches() {
        let runs = AtomicUsize::new(0);
        let cache = SearchCache::new(Duration::from_secs(60), 1 << 20, 1 << 20);
        let queries = [
            "moby",
            "whale mel",
            "9780306406157",
            "walden",
            "moby walden",
        ];
        for q in queries {
            lookup(&cache, &runs, q).await;
        }
        assert_eq!(runs.load(Ordering::SeqCst), 5);
        cache.forget(&[&book("Moby-Dick; or, The Whale", "Herman Melville")]);
        for q in queries {
            lookup(&cache, &runs, q).await;
        }
        // Read again: the three the book matches; kept: "walden", "moby walden".
        assert_eq!(runs.load(Ordering::SeqCst), 8);
    }

    /// The candidates of a lookup word serve every search that looks it up, until a change
    /// to a book with that word (before or after the change) forgets them.
    #[tokio::test]
    async fn a_lookup_words_candidates_are_read_once_and_forgotten_with_its_books() {
        let reads = AtomicUsize::new(0);
        let cache = SearchCache::new(Duration::from_secs(60), 1 << 20, 1 << 20);
        let read = |word: &'static str| {
            let (cache, reads) = (&cache, &reads);
            async move {
                cache
                    .candidates(word, || async {
                        reads.fetch_add(1, Ordering::SeqCst);
                        Ok(vec![])
                    })
                    .await
                    .expect("candidates");
            }
        };
        read("melville").await;
        read("melville").await;
        read("walden").await;
        assert_eq!(reads.load(Ordering::SeqCst), 2);
        cache.forget(&[&book("Moby-Dick; or, The Whale", "Herman Melville")]);
        read("walden").await;
        assert_eq!(
            reads.load(Ordering::SeqCst),
            2,
            "walden: not the book's word"
        );
        read("melville").await;
        read("mel").await;
        assert_eq!(reads.load(Ordering::SeqCst), 4);
        cache.forget(&[&book("Melody", "Someone Else")]);
        read("melville").await;
        read("mel").await;
        assert_eq!(
            reads.load(Ordering::SeqCst),
            5,
            "only the prefix 'mel' matches 'melody'"
        );
    }

    /// A search that began before this instance changed the catalogue may have read the old
    /// tokens: its result must not be kept.
    #[tokio::test]
    async fn a_search_overlapping_a_change_is_not_kept() {
        let runs = AtomicUsize::new(0);
        let cache = SearchCache::new(Duration::from_secs(60), 1 << 20, 1 << 20);
        let words = vec!["walden".to_owned()];
        cache
            .get("walden", &words, || async {
                runs.fetch_add(1, Ordering::SeqCst);
                cache.forget(&[&book("Unrelated", "Someone Else")]);
                Ok(vec![])
            })
            .await
            .expect("search");
        lookup(&cache, &runs, "walden").await;
        assert_eq!(runs.load(Ordering::SeqCst), 2);
    }
}
