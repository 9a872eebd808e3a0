//! The shop's sales figures, kept as counters by the very transactions of the order facts they
//! count, so they are exact (once per fact) and a dashboard read never touches an order.
//!
//! - Paid (`pending_payment` to `paid`): `orders`, `gross_cents`, `units`.
//! - A paid order cancelled: `cancelled`, `cancelled_cents`, `cancelled_units`.
//! - A return received: `returned_units`, `refunded_cents`.
//!
//! Each fact adds to its order's placement hour, in one of [`SHARDS`] shards chosen by the
//! order id (`SALES#<hour>#<shard>`), so no item takes more than its share of the writes. The
//! day's counters (`SALES#<day>#<shard>`, so a month is not 720 hours of reads) and the per-book
//! and per-genre ones (the top lists: an update per line, up to 50) are written by a job
//! (`sales.lines`) of the same transaction, which the outbox applies in the transaction that
//! removes the job: once too (`apply_job`), a moment later. So the fact's transaction gains two
//! writes. The arithmetic is in `docs/dynamodb.md`.
mod read;

use crate::error::{Error, Result};
use crate::items::from_item;
use crate::outbox::{KIND_SALES, order_job};
use crate::store::keys::stable_hash;
use crate::store::{Item, Key, Path, Store, WriteOp};
use bookstore_model::{Book, BookId, OrderId};
use chrono::{DateTime, Utc};
pub use read::Sales;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Shards of each hour's and day's counters. At 10,000 paid orders a second each shard item
/// takes ~310 transactional writes a second (~625 write units), under DynamoDB's 1,000 per
/// partition.
pub const SHARDS: u32 = 32;
/// Shards of each day's per-book and per-genre counters, by the book's (genre's) id.
pub const TOP_SHARDS: u32 = 32;
/// Lines per `sales.lines` job: with a counter per genre, at most `2 × 25 + 1` operations.
const LINES_PER_JOB: usize = 25;

pub(crate) fn hour_label(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H").to_string()
}

pub(crate) fn day_label(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d").to_string()
}

/// The counters of one hour (`2026-12-03T22`) or day (`2026-12-03`) in one shard.
pub(crate) fn counter_key(label: &str, shard: u32) -> Key {
    Key::new(format!("SALES#{label}#{shard}"), "SALES")
}

/// The partition of one day's per-book (`B#<id>`) and per-genre (`G#<genre>`) counters.
pub(crate) fn top_pk(day: &str, shard: u32) -> String {
    format!("SALESTOP#{day}#{shard}")
}

/// A book's (or genre's) change of copies and line revenue.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct LineDelta {
    pub book_id: BookId,
    pub title: String,
    pub units: i64,
    pub cents: i64,
}

/// What one order fact adds to the counters.
#[derive(Debug, Default)]
pub(crate) struct Delta {
    pub orders: i64,
    pub gross_cents: i64,
    pub units: i64,
    pub cancelled: i64,
    pub cancelled_cents: i64,
    pub cancelled_units: i64,
    pub returned_units: i64,
    pub refunded_cents: i64,
    pub lines: Vec<LineDelta>,
}

/// The counters' attribute names, as in [`bookstore_model::SalesFigures`].
pub(crate) const COUNTERS: [&str; 8] = [
    "orders",
    "gross_cents",
    "units",
    "cancelled",
    "cancelled_cents",
    "cancelled_units",
    "returned_units",
    "refunded_cents",
];

impl Delta {
    fn values(&self) -> [i64; 8] {
        [
            self.orders,
            self.gross_cents,
            self.units,
            self.cancelled,
            self.cancelled_cents,
            self.cancelled_units,
            self.returned_units,
            self.refunded_cents,
        ]
    }

    /// The writes of this fact about `order` (placed at `placed`), for the fact's own
    /// transaction: the hour's counters and a job per 25 lines (at least one), the first of
    /// which also carries the day's counters. `fact` names the fact uniquely within the order
    /// (`paid`, `cancel`, `return-<id>`), so each job has its own id.
    pub(crate) fn ops(
        &self,
        order: OrderId,
        placed: DateTime<Utc>,
        fact: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<WriteOp>> {
        let shard = stable_hash(&order.to_string()) % SHARDS;
        let add: serde_json::Map<String, serde_json::Value> = COUNTERS
            .iter()
            .zip(self.values())
            .filter(|(_, v)| *v != 0)
            .map(|(name, v)| ((*name).to_owned(), v.into()))
            .collect();
        let mut ops = Vec::with_capacity(2);
        if !add.is_empty() {
            ops.push(WriteOp::Update {
                key: counter_key(&hour_label(placed), shard),
                set: vec![],
                add: adds(&add),
                cond: None,
            });
        }
        let chunks: Vec<&[LineDelta]> = match self.lines.len() {
            0 => vec![&[]],
            _ => self.lines.chunks(LINES_PER_JOB).collect(),
        };
        for (n, chunk) in chunks.into_iter().enumerate() {
            let mut job = order_job(KIND_SALES, &format!("{order}-sales-{fact}-{n}"), now, order);
            if let WriteOp::Put { item, .. } = &mut job {
                item.insert("day".into(), day_label(placed).into());
                item.insert(
                    "lines".into(),
                    serde_json::to_value(chunk).map_err(Error::internal)?,
                );
                if n == 0 && !add.is_empty() {
                    item.insert("counters".into(), add.clone().into());
                    item.insert("shard".into(), shard.into());
                }
            }
            ops.push(job);
        }
        Ok(ops)
    }
}

/// Additions to the counters named in `counters`.
fn adds(counters: &serde_json::Map<String, serde_json::Value>) -> Vec<(Path, i64)> {
    counters
        .iter()
        .filter_map(|(name, v)| Some((Path::attr(name), v.as_i64()?)))
        .collect()
}

/// The counter writes of a `sales.lines` job (the caller adds the job's removal, conditioned on
/// its lease, to the same transaction): per book its copies and revenue, per genre the same
/// (the genre the book has now).
pub(crate) async fn apply_job(store: &dyn Store, job: &Item) -> Result<Vec<WriteOp>> {
    let genres = genres(store, &job_books(job)?).await?;
    job_ops(job, &genres)
}

fn job_lines(job: &Item) -> Result<Vec<LineDelta>> {
    serde_json::from_value(job.get("lines").cloned().unwrap_or_default()).map_err(Error::internal)
}

/// The books whose genres a `sales.lines` job's counters need.
pub(crate) fn job_books(job: &Item) -> Result<Vec<BookId>> {
    Ok(job_lines(job)?.into_iter().map(|l| l.book_id).collect())
}

/// The genre each of `ids` has now (one read of up to 100 books at a time); a book deleted
/// since has none.
pub(crate) async fn genres(store: &dyn Store, ids: &[BookId]) -> Result<BTreeMap<BookId, String>> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let books = crate::catalogue::get_many(store, &ids).await?;
    let mut out = BTreeMap::new();
    for (id, book) in ids.into_iter().zip(books) {
        if let Some(book) = book {
            out.insert(id, from_item::<Book>(book)?.genre.as_str().to_owned());
        }
    }
    Ok(out)
}

/// [`apply_job`]'s writes, given the books' genres ([`genres`]).
pub(crate) fn job_ops(job: &Item, genres: &BTreeMap<BookId, String>) -> Result<Vec<WriteOp>> {
    let day = job
        .get("day")
        .and_then(serde_json::Value::as_str)
        .ok_or_else(|| Error::internal("a sales job without its day"))?;
    let lines = job_lines(job)?;
    let mut ops = Vec::with_capacity(lines.len() * 2 + 1);
    if let (Some(serde_json::Value::Object(counters)), Some(shard)) = (
        job.get("counters"),
        job.get("shard").and_then(serde_json::Value::as_u64),
    ) {
        ops.push(WriteOp::Update {
            key: counter_key(day, shard as u32),
            set: vec![],
            add: adds(counters),
            cond: None,
        });
    }
    let mut by_genre: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    for line in &lines {
        let id = line.book_id.to_string();
        ops.push(WriteOp::Update {
            key: Key::new(
                top_pk(day, stable_hash(&id) % TOP_SHARDS),
                format!("B#{id}"),
            ),
            set: vec![(Path::attr("title"), line.title.clone().into())],
            add: vec![
                (Path::attr("units"), line.units),
                (Path::attr("cents"), line.cents),
            ],
            cond: None,
        });
        // A book deleted since has no genre left to count in.
        if let Some(genre) = genres.get(&line.book_id) {
            let g = by_genre.entry(genre).or_default();
            g.0 += line.units;
            g.1 += line.cents;
        }
    }
    for (genre, (units, cents)) in by_genre {
        ops.push(WriteOp::Update {
            key: Key::new(
                top_pk(day, stable_hash(genre) % TOP_SHARDS),
                format!("G#{genre}"),
            ),
            set: vec![(Path::attr("genre"), genre.into())],
            add: vec![(Path::attr("units"), units), (Path::attr("cents"), cents)],
            cond: None,
        });
    }
    Ok(ops)
}

/// The counters an order's change of status moves: paid, or cancelled after it was paid.
/// Orders from before checkout took a card were never counted paid, so they count in nothing.
pub(crate) fn transition_delta(
    before: &crate::orders::OrderRecord,
    after: &crate::orders::OrderRecord,
) -> Option<(Delta, &'static str)> {
    use bookstore_model::OrderStatus::{Cancelled, Paid, PendingPayment};
    after.payment.as_ref()?;
    let units: i64 = after.lines.iter().map(|l| i64::from(l.quantity)).sum();
    let lines = |sign: i64| {
        after
            .lines
            .iter()
            .map(|l| LineDelta {
                book_id: l.book_id,
                title: l.title.as_str().to_owned(),
                units: sign * i64::from(l.quantity),
                cents: sign * l.unit_price_cents * i64::from(l.quantity),
            })
            .collect()
    };
    match (before.status, after.status) {
        (PendingPayment, Paid) => Some((
            Delta {
                orders: 1,
                gross_cents: after.total_cents,
                units,
                lines: lines(1),
                ..Delta::default()
            },
            "paid",
        )),
        (Paid, Cancelled) => Some((
            Delta {
                cancelled: 1,
                cancelled_cents: after.total_cents,
                cancelled_units: units,
                lines: lines(-1),
                ..Delta::default()
            },
            "cancel",
        )),
        _ => None,
    }
}

/// The counters a received return moves: its copies back and its refund.
pub(crate) fn return_delta(
    order: &crate::orders::OrderRecord,
    copies: &[(BookId, u32)],
    refund_cents: i64,
) -> Option<Delta> {
    order.payment.as_ref()?;
    let lines: Vec<LineDelta> = copies
        .iter()
        .filter_map(|(id, q)| {
            let l = order.lines.iter().find(|l| l.book_id == *id)?;
            Some(LineDelta {
                book_id: *id,
                title: l.title.as_str().to_owned(),
                units: -i64::from(*q),
                cents: -l.unit_price_cents * i64::from(*q),
            })
        })
        .collect();
    Some(Delta {
        returned_units: copies.iter().map(|(_, q)| i64::from(*q)).sum(),
        refunded_cents: refund_cents,
        lines,
        ..Delta::default()
    })
}
