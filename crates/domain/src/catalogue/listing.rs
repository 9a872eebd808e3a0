//! Listings: pages of books by an index, genre counts, best sellers.
use super::*;

pub(super) fn parse_genre(g: Option<&str>) -> Result<Option<Genre>> {
    g.filter(|s| !s.trim().is_empty())
        .map(|s| Genre::parse(s).map_err(|e| Error::BadRequest(ProblemCode::InvalidQuery, e.0)))
        .transpose()
}

impl Catalogue {
    pub async fn list(&self, q: &BookQuery) -> Result<BookPage> {
        let limit = page_limit(q.limit)?;
        let sort = q.sort.unwrap_or_default();
        let genre = parse_genre(q.genre.as_deref())?;
        if let Some(text) = q.q.as_deref().filter(|t| !t.trim().is_empty()) {
            return self
                .search(text, genre.as_ref(), sort, limit, q.cursor.as_deref())
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
        let (raws, next_cursor) = self
            .pager
            .paged_raw(&scope, query, q.cursor.as_deref())
            .await?;
        let items = raws
            .iter()
            .map(|raw| self.book_json.of(raw))
            .collect::<Result<_>>()?;
        Ok(Page { items, next_cursor })
    }

    /// Genres with their number of books, at most `genres_max_age_ms` old (see [`crate::fresh`]);
    /// current at once on the instance that changed the catalogue.
    pub async fn genres(&self) -> Result<Vec<GenreCount>> {
        let counts = self
            .genres
            .get(|| count_genres(self.store.as_ref()))
            .await?;
        Ok(counts.as_ref().clone())
    }

    /// The top `limit` books by units sold (net of returns), at most `bestsellers_max_age_ms` old
    /// (see [`crate::fresh`]).
    pub async fn bestsellers(&self, limit: usize) -> Result<Vec<Bestseller>> {
        let cache = &self.bestsellers;
        // Computed per call, only what is asked for; cached, the longest list, cut per request.
        let n = if cache.caches() {
            MAX_BESTSELLERS
        } else {
            limit
        };
        let list = cache.get(|| self.ranking(n)).await?;
        Ok(list.iter().take(limit).cloned().collect())
    }

    async fn ranking(&self, limit: usize) -> Result<Vec<Bestseller>> {
        let (items, _) = self
            .pager
            .sharded_paged("bestsellers", BOOKS_BY_SOLD, "SOLD", false, limit, None)
            .await?;
        let mut out = Vec::new();
        for item in items {
            let units_sold = item.get("sold").and_then(Value::as_i64).unwrap_or(0);
            if units_sold > 0 {
                let mut book: Book = from_item(item)?;
                book.currency = self.currency.clone();
                out.push(Bestseller { book, units_sold });
            }
        }
        Ok(out)
    }
}

pub(super) async fn count_genres(store: &dyn Store) -> Result<Vec<GenreCount>> {
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
