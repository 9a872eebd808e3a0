//! Reading the sales counters over a range: each bucket's shards by batch reads, the top lists
//! by a query per day and shard; the answers kept a few seconds so a dashboard refreshed by
//! several people reads the store once.
use super::{COUNTERS, SHARDS, TOP_SHARDS, counter_key, day_label, hour_label, top_pk};
use crate::error::{Error, Result};
use crate::store::{Item, Key, Query, Store};
use bookstore_model::{
    BookId, Genre, GenreSales, Granularity, MAX_DAILY_SPAN_DAYS, MAX_HOURLY_SPAN_HOURS,
    ProblemCode, SalesBucket, SalesFigures, SalesQuery, SalesStats, Title, TitleSales,
};
use chrono::{DateTime, Duration, DurationRound, TimeDelta, Utc};
use futures::{StreamExt, TryStreamExt};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Store calls in flight for one dashboard read.
const CONCURRENCY: usize = 16;
/// Entries of the answer cache (ranges asked for at once).
const CACHE_ENTRIES: usize = 64;
/// Books and genres in the top lists.
const TOP: usize = 10;

type Cache = Mutex<HashMap<(i64, i64, Granularity), (Instant, SalesStats)>>;

/// The sales figures' reader.
pub struct Sales {
    store: Arc<dyn Store>,
    currency: String,
    /// How long an answer is served again (zero: never).
    max_age: std::time::Duration,
    cache: Cache,
}

impl Sales {
    pub fn new(store: Arc<dyn Store>, currency: String, max_age: std::time::Duration) -> Self {
        Self {
            store,
            currency,
            max_age,
            cache: Mutex::default(),
        }
    }

    /// The figures of a range, per hour or day, with the top books and genres.
    pub async fn figures(&self, q: &SalesQuery) -> Result<SalesStats> {
        let granularity = q.granularity.unwrap_or_default();
        let (step, max) = match granularity {
            Granularity::Hour => (Duration::hours(1), Duration::hours(MAX_HOURLY_SPAN_HOURS)),
            Granularity::Day => (Duration::days(1), Duration::days(MAX_DAILY_SPAN_DAYS)),
        };
        let to = ceil(q.to.unwrap_or_else(Utc::now), step)?;
        let default_span = match granularity {
            Granularity::Hour => Duration::hours(24),
            Granularity::Day => Duration::days(30),
        };
        let start = match q.from {
            Some(f) => f,
            None => to
                .checked_sub_signed(default_span)
                .ok_or_else(|| bad("a time out of range".into()))?,
        };
        let from = floor(start, step)?;
        if from >= to {
            return Err(bad("`from` must be before `to`".into()));
        }
        if to - from > max {
            return Err(bad(format!(
                "a range of {} buckets is at most {} hours or {} days long",
                match granularity {
                    Granularity::Hour => "hourly",
                    Granularity::Day => "daily",
                },
                MAX_HOURLY_SPAN_HOURS,
                MAX_DAILY_SPAN_DAYS
            )));
        }
        let key = (from.timestamp(), to.timestamp(), granularity);
        if !self.max_age.is_zero()
            && let Ok(cache) = self.cache.lock()
            && let Some((at, stats)) = cache.get(&key)
            && at.elapsed() < self.max_age
        {
            return Ok(stats.clone());
        }
        let stats = self.read(from, to, step, granularity).await?;
        if !self.max_age.is_zero()
            && let Ok(mut cache) = self.cache.lock()
        {
            if cache.len() >= CACHE_ENTRIES {
                cache.clear();
            }
            cache.insert(key, (Instant::now(), stats.clone()));
        }
        Ok(stats)
    }

    async fn read(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        step: Duration,
        granularity: Granularity,
    ) -> Result<SalesStats> {
        let starts: Vec<DateTime<Utc>> = std::iter::successors(Some(from), |t| Some(*t + step))
            .take_while(|t| *t < to)
            .collect();
        let label = |t: &DateTime<Utc>| match granularity {
            Granularity::Hour => hour_label(*t),
            Granularity::Day => day_label(*t),
        };
        let keys: Vec<Key> = starts
            .iter()
            .flat_map(|t| {
                let l = label(t);
                (0..SHARDS).map(move |s| counter_key(&l, s))
            })
            .collect();
        let items: Vec<Option<Item>> = futures::stream::iter(keys.chunks(100))
            .map(|chunk| self.store.batch_get(chunk))
            .buffered(CONCURRENCY)
            .try_concat()
            .await?;
        let mut totals = SalesFigures::default();
        let buckets = starts
            .iter()
            .zip(items.chunks(SHARDS as usize))
            .map(|(start, shards)| {
                let mut figures = SalesFigures::default();
                for item in shards.iter().flatten() {
                    figures.add(&counters(item));
                }
                totals.add(&figures);
                SalesBucket {
                    start: *start,
                    figures: figures.derive(),
                }
            })
            .collect();
        let top_from = floor(from, Duration::days(1))?;
        let top_to = ceil(to, Duration::days(1))?;
        let (top_titles, top_genres) = self.top(top_from, top_to).await?;
        Ok(SalesStats {
            from,
            to,
            granularity,
            currency: self.currency.clone(),
            buckets,
            totals: totals.derive(),
            top_titles,
            top_genres,
            top_from,
            top_to,
        })
    }

    /// The books and genres with the most net copies over the days `[from, to)`.
    async fn top(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<(Vec<TitleSales>, Vec<GenreSales>)> {
        let days: Vec<String> = std::iter::successors(Some(from), |t| Some(*t + Duration::days(1)))
            .take_while(|t| *t < to)
            .map(day_label)
            .collect();
        let partitions: Vec<String> = days
            .iter()
            .flat_map(|d| (0..TOP_SHARDS).map(move |s| top_pk(d, s)))
            .collect();
        let pages: Vec<Vec<Item>> = futures::stream::iter(partitions)
            .map(|pk| self.partition(pk))
            .buffer_unordered(CONCURRENCY)
            .try_collect()
            .await?;
        let mut books: HashMap<String, (String, i64, i64)> = HashMap::new();
        let mut genres: HashMap<String, (i64, i64)> = HashMap::new();
        for item in pages.iter().flatten() {
            let (units, cents) = (num(item, "units"), num(item, "cents"));
            let sk = item.get("sk").and_then(Value::as_str).unwrap_or("");
            if let Some(id) = sk.strip_prefix("B#") {
                let title = item.get("title").and_then(Value::as_str).unwrap_or("");
                let b = books.entry(id.to_owned()).or_default();
                b.0 = title.to_owned();
                b.1 += units;
                b.2 += cents;
            } else if let Some(g) = sk.strip_prefix("G#") {
                let e = genres.entry(g.to_owned()).or_default();
                e.0 += units;
                e.1 += cents;
            }
        }
        let mut titles: Vec<TitleSales> = books
            .into_iter()
            .filter(|(_, (_, units, _))| *units > 0)
            .filter_map(|(id, (title, units, cents))| {
                Some(TitleSales {
                    book_id: id.parse::<BookId>().ok()?,
                    title: Title::parse(&title).ok()?,
                    units,
                    cents,
                })
            })
            .collect();
        titles.sort_by(|a, b| (b.units, b.cents, a.book_id).cmp(&(a.units, a.cents, b.book_id)));
        titles.truncate(TOP);
        let mut genres: Vec<GenreSales> = genres
            .into_iter()
            .filter(|(_, (units, _))| *units > 0)
            .filter_map(|(g, (units, cents))| {
                Some(GenreSales {
                    genre: Genre::parse(&g).ok()?,
                    units,
                    cents,
                })
            })
            .collect();
        genres.sort_by(|a, b| {
            (b.units, b.cents, a.genre.as_str()).cmp(&(a.units, a.cents, b.genre.as_str()))
        });
        genres.truncate(TOP);
        Ok((titles, genres))
    }

    /// Every item of one partition.
    async fn partition(&self, pk: String) -> Result<Vec<Item>> {
        let mut query = Query {
            index: None,
            pk,
            sk_prefix: None,
            forward: true,
            limit: 1000,
            start: None,
        };
        let mut out = Vec::new();
        loop {
            let page = self.store.query(&query).await?;
            out.extend(page.items);
            match page.last_key {
                Some(last) => query.start = Some(last),
                None => return Ok(out),
            }
        }
    }
}

fn counters(item: &Item) -> SalesFigures {
    let v: Vec<i64> = COUNTERS.iter().map(|n| num(item, n)).collect();
    SalesFigures {
        orders: v[0],
        gross_cents: v[1],
        units: v[2],
        cancelled: v[3],
        cancelled_cents: v[4],
        cancelled_units: v[5],
        returned_units: v[6],
        refunded_cents: v[7],
        ..SalesFigures::default()
    }
}

fn num(item: &Item, name: &str) -> i64 {
    item.get(name).and_then(Value::as_i64).unwrap_or(0)
}

/// A range the counters do not serve: which ranges are fine depends on the values together
/// (and the clock), beyond what the parameters' schemas state.
fn bad(detail: String) -> Error {
    Error::BadRequest(ProblemCode::InvalidRange, detail)
}

fn floor(t: DateTime<Utc>, step: TimeDelta) -> Result<DateTime<Utc>> {
    t.duration_trunc(step)
        .map_err(|_| bad("a time out of range".into()))
}

/// `t` rounded up to a whole `step`.
fn ceil(t: DateTime<Utc>, step: TimeDelta) -> Result<DateTime<Utc>> {
    let down = floor(t, step)?;
    if down == t {
        return Ok(t);
    }
    down.checked_add_signed(step)
        .ok_or_else(|| bad("a time out of range".into()))
}
