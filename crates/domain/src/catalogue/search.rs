//! Search: the token index, and what each instance keeps of recent searches.
use super::*;

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

pub(super) type KeptCache<T> = quick_cache::sync::Cache<String, Kept<T>, KeptWeight>;

/// A kept value, with the words whose matching books it depends on.
#[derive(Clone)]
pub(super) struct Kept<T> {
    at: std::time::Instant,
    words: Arc<[String]>,
    value: T,
}

/// One book as a token item of the lookup word describes it: what search filters and sorts by.
pub(super) struct Candidate {
    id: BookId,
    /// The book's search tokens, space-separated.
    words: Box<str>,
    genre: Box<str>,
    price: i64,
    title: Box<str>,
    created: Box<str>,
}

pub(super) trait HeapBytes {
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
pub(super) struct KeptWeight;

impl<T: HeapBytes> quick_cache::Weighter<String, Kept<T>> for KeptWeight {
    fn weight(&self, key: &String, val: &Kept<T>) -> u64 {
        (2 * key.len() + val.value.heap_bytes() + 96) as u64
    }
}

/// Search's rule: every query word starts one of the book's search tokens.
pub(super) fn matches_all<'t>(
    query_words: &[String],
    tokens: impl Iterator<Item = &'t str> + Clone,
) -> bool {
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
    /// they match. Everything else stays, unless past `max_age`: nothing would serve it again,
    /// and an instance that ran thousands of distinct searches would otherwise keep testing
    /// them all at every change until the byte bound evicts them.
    pub fn forget(&self, books: &[&Book]) {
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        let tokens: Vec<BTreeSet<String>> = books.iter().map(|b| tokens(&details_of(b))).collect();
        let now = std::time::Instant::now();
        let keep = |at: std::time::Instant, words: &[String]| {
            now.saturating_duration_since(at) < self.max_age
                && !tokens.iter().any(|t| {
                    words.iter().all(|w| {
                        // The tokens from `w` on: the first is the only one that can start with it.
                        t.range::<str, _>((
                            std::ops::Bound::Included(w.as_str()),
                            std::ops::Bound::Unbounded,
                        ))
                        .next()
                        .is_some_and(|t| t.starts_with(w.as_str()))
                    })
                })
        };
        self.results.retain(|_, e| keep(e.at, &e.words));
        self.candidates.retain(|_, e| keep(e.at, &e.words));
    }

    /// The sorted ids of every match of the search `scope`, kept or computed.
    async fn get<F, Fut>(
        &self,
        scope: &str,
        query_words: &[String],
        compute: F,
    ) -> Result<Arc<[BookId]>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Vec<BookId>>>,
    {
        self.kept(&self.results, scope, query_words, || async {
            Ok(compute().await?.into())
        })
        .await
    }

    /// The candidates of the lookup word `word`, kept or read.
    async fn candidates<F, Fut>(&self, word: &str, read: F) -> Result<Arc<[Candidate]>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Vec<Candidate>>>,
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
    ) -> Result<T>
    where
        T: HeapBytes + Clone,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T>>,
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

impl Catalogue {
    /// Search: every word must start a word of the title or an author's name (or start the ISBN).
    /// The longest word is looked up in the token index; every candidate is then filtered by the
    /// other words and the genre, and the matches sorted (see [`SearchCache`]) and paged by offset.
    pub(super) async fn search(
        &self,
        text: &str,
        genre: Option<&Genre>,
        sort: BookSort,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<BookPage> {
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
            Some(c) => self
                .pager
                .cursors()
                .decode(&scope, c)?
                .as_u64()
                .ok_or_else(|| {
                    Error::BadRequest(ProblemCode::InvalidCursor, "the cursor is invalid".into())
                })? as usize,
            None => 0,
        };
        let hits = self
            .searches
            .get(&scope, &query_words, || {
                self.matches(&query_words, genre, sort)
            })
            .await?;
        let end = (offset + limit).min(hits.len());
        let ids = hits.get(offset.min(end)..end).unwrap_or_default();
        let items = self.get_books_json(ids).await?;
        let next_cursor =
            (end < hits.len()).then(|| self.pager.cursors().encode(&scope, &json!(end)));
        Ok(Page { items, next_cursor })
    }

    /// The ids of every book matching all `query_words` (and `genre`), in `sort` order: the
    /// candidates of the longest word, filtered by the others and the genre.
    pub(super) async fn matches(
        &self,
        query_words: &[String],
        genre: Option<&Genre>,
        sort: BookSort,
    ) -> Result<Vec<BookId>> {
        let Some(lookup) = query_words.iter().max_by_key(|w| w.chars().count()) else {
            return Ok(vec![]);
        };
        let candidates = self
            .searches
            .candidates(lookup, || read_candidates(self.store.as_ref(), lookup))
            .await?;
        // Every candidate has a token that starts with the lookup word, and so with any
        // prefix of it: only the other words are tested (none, for most searches).
        let rest: Vec<String> = query_words
            .iter()
            .filter(|w| !lookup.starts_with(w.as_str()))
            .cloned()
            .collect();
        let mut hits: Vec<&Candidate> = candidates
            .iter()
            .filter(|c| {
                matches_all(&rest, c.words.split(' '))
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
}

/// Every book with a search token that starts with `word`, once each, from the token items:
/// each carries the book's words and sort keys, so the books themselves are read just for the
/// page served.
pub(super) async fn read_candidates(store: &dyn Store, word: &str) -> Result<Vec<Candidate>> {
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
                    None => return Ok::<_, Error>(items),
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
        let t: Token<'_> = serde_json::from_slice(raw).map_err(Error::internal)?;
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

    /// A change also drops what is past its age, whatever its words: nothing serves it again.
    #[tokio::test]
    async fn a_change_drops_expired_searches() {
        let runs = AtomicUsize::new(0);
        let cache = SearchCache::new(Duration::from_millis(200), 1 << 20, 1 << 20);
        lookup(&cache, &runs, "walden").await;
        cache.forget(&[&book("Moby-Dick; or, The Whale", "Herman Melville")]);
        assert_eq!(cache.results.len(), 1, "young and not the book's: kept");
        tokio::time::sleep(Duration::from_millis(250)).await;
        cache.forget(&[&book("Moby-Dick; or, The Whale", "Herman Melville")]);
        assert_eq!(cache.results.len(), 0);
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
