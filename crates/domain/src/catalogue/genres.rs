//! The managed list of genres a book may have: the owner adds and removes them, and a book's
//! write is conditioned on its genre's list item, so a typo never becomes a genre.
//!
//! A store written before the list existed has none: the first reader seeds it from the genre
//! counters (genres with books), once, behind a marker item (see [`Catalogue::seed_genres`]).
use super::*;
use listing::count_genres;

const GENRE_LIST: &str = "GENRE_LIST";

/// Written last by the seeding; `#` is never in a genre, so it is no genre's key.
const SEEDED: &str = "#seeded";

/// A name is suggested when at most this many edits away (and less than half its length).
const MAX_SUGGESTION_EDITS: usize = 3;

pub(super) fn list_key(genre: &Genre) -> Key {
    Key::new(GENRE_LIST, genre.as_str())
}

fn seeded_key() -> Key {
    Key::new(GENRE_LIST, SEEDED)
}

impl Catalogue {
    /// The genres a book may have, at most `genres_max_age_ms` old on instances that did not
    /// change it.
    pub async fn genre_list(&self) -> Result<Arc<BTreeSet<Genre>>> {
        self.genre_list.get(|| self.read_genre_list()).await
    }

    async fn read_genre_list(&self) -> Result<BTreeSet<Genre>> {
        self.seed_genres().await?;
        let store = self.store.as_ref();
        let mut out = BTreeSet::new();
        let mut start = None;
        loop {
            let page = store
                .query(&Query {
                    index: None,
                    pk: GENRE_LIST.into(),
                    sk_prefix: None,
                    forward: true,
                    limit: 1000,
                    start,
                })
                .await?;
            for item in page.items {
                // The marker's key is no genre.
                if let Some(g) = item.get("sk").and_then(Value::as_str)
                    && let Ok(genre) = Genre::parse(g)
                {
                    out.insert(genre);
                }
            }
            match page.last_key {
                Some(k) => start = Some(k),
                None => return Ok(out),
            }
        }
    }

    /// Starts a list never written as the genres that have books. Each genre's put is
    /// conditioned on the marker's absence and the marker is written last, so instances seeding
    /// at once write the same items, and none re-adds a genre removed after the seeding ended.
    async fn seed_genres(&self) -> Result<()> {
        if self
            .genres_seeded
            .load(std::sync::atomic::Ordering::Acquire)
        {
            return Ok(());
        }
        let store = self.store.as_ref();
        if store.get(&seeded_key()).await?.is_none() {
            let not_seeded = || WriteOp::Check {
                key: seeded_key(),
                cond: Cond::NotExists,
            };
            for g in count_genres(store).await? {
                let mut item = crate::store::expr::key_item(&list_key(&g.genre));
                item.insert("genre".into(), g.genre.as_str().into());
                match store
                    .transact(vec![not_seeded(), WriteOp::Put { item, cond: None }])
                    .await
                {
                    Ok(()) => {}
                    // Another instance finished the seeding.
                    Err(StoreError::ConditionFailed(_)) => break,
                    Err(e) => return Err(e.into()),
                }
            }
            let marker = crate::store::expr::key_item(&seeded_key());
            match store
                .transact(vec![WriteOp::Put {
                    item: marker,
                    cond: Some(Cond::NotExists),
                }])
                .await
            {
                Ok(()) | Err(StoreError::ConditionFailed(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        self.genres_seeded
            .store(true, std::sync::atomic::Ordering::Release);
        Ok(())
    }

    /// The condition a book's write with `genre` carries: its list item exists (a genre
    /// removed meanwhile fails the write). Refuses a genre not on the list with 422
    /// `unknown_genre`, naming the closest listed genre. Reads the list again before refusing,
    /// in case another instance added the genre.
    pub async fn genre_check(&self, genre: &Genre) -> Result<WriteOp> {
        let mut list = self.genre_list().await?;
        if !list.contains(genre) {
            self.genre_list.invalidate();
            list = self.genre_list().await?;
        }
        if !list.contains(genre) {
            return Err(unknown_genre(genre, &list));
        }
        Ok(WriteOp::Check {
            key: list_key(genre),
            cond: Cond::Exists,
        })
    }

    /// The 422 of a write whose genre check failed in its transaction (removed meanwhile).
    pub(super) async fn genre_removed(&self, genre: &Genre) -> Error {
        self.genre_list.invalidate();
        match self.genre_list().await {
            Ok(list) => unknown_genre(genre, &list),
            Err(e) => e,
        }
    }

    /// Every listed genre with its number of books (current, not cached), by name.
    pub async fn managed_genres(&self) -> Result<Vec<GenreCount>> {
        let list = self.read_genre_list().await?;
        let counts: std::collections::HashMap<Genre, i64> = count_genres(self.store.as_ref())
            .await?
            .into_iter()
            .map(|g| (g.genre, g.count))
            .collect();
        Ok(list
            .into_iter()
            .map(|genre| GenreCount {
                count: counts.get(&genre).copied().unwrap_or(0),
                genre,
            })
            .collect())
    }

    /// Adds a genre to the list; 409 `genre_exists` if it is on it.
    pub async fn add_genre(&self, actor: &Actor, genre: Genre) -> Result<GenreCount> {
        self.seed_genres().await?;
        let mut item = crate::store::expr::key_item(&list_key(&genre));
        item.insert("genre".into(), genre.as_str().into());
        let ops = vec![
            WriteOp::Put {
                item,
                cond: Some(Cond::NotExists),
            },
            audit::genre_entry(actor, "genre.add", None, Some(json!({ "genre": genre })))?,
        ];
        match transact_audited(self.store.as_ref(), ops).await {
            Ok(()) => {
                self.genre_list.invalidate();
                Ok(GenreCount { genre, count: 0 })
            }
            Err(StoreError::ConditionFailed(_)) => Err(Error::Conflict(
                ProblemCode::GenreExists,
                format!("\"{genre}\" is already a genre"),
            )),
            Err(e) => Err(e.into()),
        }
    }

    /// Removes a genre from the list: 404 if it is not on it, 409 `genre_in_use` while a
    /// book has it (the counter is checked in the same transaction as the removal).
    pub async fn remove_genre(&self, actor: &Actor, genre: &Genre) -> Result<()> {
        self.seed_genres().await?;
        let count = Path::attr("count");
        let ops = vec![
            WriteOp::Delete {
                key: list_key(genre),
                cond: Some(Cond::Exists),
            },
            WriteOp::Check {
                key: genre_key(genre),
                cond: Cond::Or(vec![Cond::NotExists, Cond::Le(count, 0)]),
            },
            audit::genre_entry(actor, "genre.remove", Some(json!({ "genre": genre })), None)?,
        ];
        let result = transact_audited(self.store.as_ref(), ops).await;
        self.genre_list.invalidate();
        match result {
            Ok(()) => Ok(()),
            Err(StoreError::ConditionFailed(failed)) if failed.contains(&0) => {
                Err(Error::NotFound("genre"))
            }
            Err(StoreError::ConditionFailed(_)) => Err(Error::Conflict(
                ProblemCode::GenreInUse,
                format!("books have the genre \"{genre}\": give them another one first"),
            )),
            Err(e) => Err(e.into()),
        }
    }
}

fn unknown_genre(genre: &Genre, list: &BTreeSet<Genre>) -> Error {
    let mut msg = format!("\"{genre}\" is not one of the shop's genres");
    if let Some(near) = closest(genre.as_str(), list.iter().map(Genre::as_str)) {
        msg.push_str(&format!(": did you mean \"{near}\"?"));
    }
    Error::Unprocessable(ProblemCode::UnknownGenre, msg)
}

/// The name of `names` fewest edits from `word`, if close enough to be a likely typo.
fn closest<'a>(word: &str, names: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let limit = MAX_SUGGESTION_EDITS.min(word.chars().count().saturating_sub(1) / 2 + 1);
    names
        .map(|n| (edit_distance(word, n), n))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, n)| n)
}

/// Levenshtein distance, with a swap of neighbours counted as one edit ("fictoin").
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_suggest_the_closest_genre() {
        let names = ["science-fiction", "fiction", "history", "poetry"];
        let near = |w| closest(w, names.iter().copied());
        assert_eq!(near("science-fictoin"), Some("science-fiction"));
        assert_eq!(near("fictoin"), Some("fiction"));
        assert_eq!(near("histroy"), Some("history"));
        assert_eq!(near("poetri"), Some("poetry"));
        assert_eq!(near("cookery"), None);
        // A short word is not "close" to everything short.
        assert_eq!(near("art"), None);
        assert_eq!(edit_distance("abc", "abc"), 0);
        assert_eq!(edit_distance("ab", "ba"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
    }
}
