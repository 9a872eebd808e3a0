//! A book's public JSON, memoised by the stored bytes it came from, and its `ETag`.
use super::*;

/// A book's public JSON, as `GET /books/{id}` and every listing send it, with its version for
/// `ETag`.
#[derive(Clone)]
pub struct BookJson {
    pub json: Arc<Box<RawValue>>,
    pub version: i64,
    /// Its `ETag` ([`book_etag`]), computed once per representation.
    pub etag: Arc<str>,
}

/// The strong `ETag` of a book's JSON: its version (what `If-Match` compares) and a hash of
/// the whole representation, so that it changes whenever the body does (stock moves without
/// a new version).
pub fn book_etag(version: i64, json: &[u8]) -> String {
    let hash = json.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("\"{version}-{hash:016x}\"")
}

/// Memoises stored book item → public JSON, beside the item's bytes when they came from the
/// embedded store's item cache (see [`RawItem::memo`]), else keyed by the exact stored bytes.
///
/// Turning an item into validated JSON (parse, check every field, serialise) is most of the
/// CPU a catalogue read costs. Every read still fetches the item from the store, so the answer
/// is always the current one on every back end and instance; only the conversion of bytes
/// seen before is skipped. Bounded by bytes; hot books stay (S3-FIFO eviction). Every book is
/// shown in the shop's one currency, whatever its item says.
///
/// Beside cached bytes the JSON is found without hashing and comparing the ~500 bytes, which
/// two lookups per book (the item cache's and this one's) each did, for every book of every
/// page. It shares its text with this cache's entry, and lives as long as the item cache keeps
/// the bytes: at most about the item cache's budget again.
pub struct BookJsonCache {
    cache: quick_cache::sync::Cache<Vec<u8>, BookJson, JsonWeight>,
    currency: Currency,
    /// Tells this cache's memos from another's (another currency) on the same store.
    id: u64,
}

/// What a [`BookJsonCache`] keeps beside an item's bytes.
struct Memo {
    cache: u64,
    json: BookJson,
}

#[derive(Clone)]
pub struct JsonWeight;

impl quick_cache::Weighter<Vec<u8>, BookJson> for JsonWeight {
    fn weight(&self, key: &Vec<u8>, val: &BookJson) -> u64 {
        (key.len() + val.json.get().len() + 64) as u64
    }
}

static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

impl BookJsonCache {
    pub fn new(max_bytes: u64, currency: Currency) -> Self {
        let estimated_items = (max_bytes / 1500).max(16) as usize;
        Self {
            cache: quick_cache::sync::Cache::with_weighter(estimated_items, max_bytes, JsonWeight),
            currency,
            id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        }
    }

    /// The public JSON of the book stored as `raw`.
    pub fn of(&self, raw: &RawItem) -> Result<BookJson> {
        if let Some(memo) = raw.memo::<Memo>()
            && memo.cache == self.id
        {
            return Ok(memo.json.clone());
        }
        let json = self.of_bytes(raw)?;
        raw.set_memo(Memo {
            cache: self.id,
            json: json.clone(),
        });
        Ok(json)
    }

    /// The public JSON of the book stored as `raw`, by the bytes' content.
    fn of_bytes(&self, raw: &[u8]) -> Result<BookJson> {
        if let Some(hit) = self.cache.get(raw) {
            return Ok(hit);
        }
        let mut book: Book = from_raw(raw)?;
        book.currency = self.currency.clone();
        let json = serde_json::value::to_raw_value(&book).map_err(Error::internal)?;
        let json = BookJson {
            etag: book_etag(book.version, json.get().as_bytes()).into(),
            json: Arc::new(json),
            version: book.version,
        };
        self.cache.insert(raw.to_vec(), json.clone());
        Ok(json)
    }
}

/// A page of books as `Page<Book>` JSON.
pub type BookPage = Page<BookJson>;

impl serde::Serialize for BookJson {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.json.serialize(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn books_are_shown_in_the_shop_currency_whatever_was_stored() {
        let stored = json!({
            "id": BookId::new(), "isbn": "9780306406157", "title": "Stored", "authors": ["A"],
            "genre": "fiction", "description": "", "price_cents": 500, "currency": "USD",
            "stock": 1, "published_year": 2000, "version": 1,
            "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"
        });
        let raw = RawItem::from(serde_json::to_vec(&stored).expect("raw"));
        let eur = Currency::parse("EUR").expect("EUR");
        let shown = BookJsonCache::new(1 << 20, eur).of(&raw).expect("json");
        let book: Book = serde_json::from_str(shown.json.get()).expect("book");
        assert_eq!(
            (book.currency.as_str(), book.price_cents.get()),
            ("EUR", 500)
        );
        // The same bytes through another shop's cache: its own currency, not the memo's.
        let usd = Currency::parse("USD").expect("USD");
        let shown = BookJsonCache::new(1 << 20, usd).of(&raw).expect("json");
        let book: Book = serde_json::from_str(shown.json.get()).expect("book");
        assert_eq!(book.currency.as_str(), "USD");
    }
}
