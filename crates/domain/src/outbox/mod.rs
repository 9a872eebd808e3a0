//! The transactional outbox: a business event is a job item written by the transaction of the
//! change that causes it, so an event exists exactly when its change does. Dispatchers on every
//! instance ([`dispatch`]) claim due jobs with a conditional write (a lease), fan each event out
//! to the webhook endpoints subscribed to it, and deliver; a dispatcher that dies mid-job leaves
//! the job to whoever claims it after the lease.
//!
//! Jobs live in [`SHARDS`] partitions (`JOBS#<n>`), sorted by when they are due, so a dispatcher
//! reads only what is due, in order, and no partition takes more than its share of the writes
//! (the numbers are in `docs/dynamodb.md`).
pub mod dispatch;
mod mailing;
mod wakeup;

pub use wakeup::Wakeup;

use crate::error::{Error, Result};
use crate::items::to_item;
use crate::store::{Cond, Item, Key, Path, Query, Store, StoreError, WriteOp};
use bookstore_model::{Event, EventId, EventType};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use std::sync::Mutex;

/// Partitions of the job queue: DynamoDB takes about 1,000 write units a second per partition,
/// and each job costs two or three (put, claim unless [`Lease::unclaimed`], delete); 128 carry
/// ~10,000 events/s with two endpoints and a mail each (the numbers are in `docs/dynamodb.md`).
pub const SHARDS: u32 = 128;

/// What a job asks of a dispatcher.
pub(crate) const KIND_EVENT: &str = "event";
pub(crate) const KIND_DELIVER: &str = "deliver";
pub(crate) const KIND_MAIL: &str = "mail";
pub(crate) const KIND_NOTIFY: &str = "notify";
/// An order's reservation ends (due when it expires).
pub(crate) const KIND_EXPIRE: &str = "order.expire";
/// A cancelled order's payment is voided or refunded at the provider.
pub(crate) const KIND_RELEASE: &str = "payment.release";
/// A received return's refund at the provider.
pub(crate) const KIND_REFUND: &str = "payment.refund";
/// An order fact's per-book and per-genre sales counters (`sales::apply_job`).
pub(crate) const KIND_SALES: &str = "sales.lines";

/// A new event of `type_` about `data` (the resource's public representation, now).
pub fn event(type_: EventType, data: &impl Serialize) -> Result<Event> {
    Ok(Event {
        id: EventId(uuid::Uuid::now_v7()),
        type_,
        timestamp: Utc::now(),
        data: serde_json::to_value(data).map_err(Error::internal)?,
    })
}

/// The write that records `event` in the outbox, for the transaction of its change.
pub fn event_op(event: &Event) -> Result<WriteOp> {
    let mut item = job_item(
        &event.id.to_string(),
        event.timestamp,
        KIND_EVENT,
        shard_of_id(&event.id.to_string()),
    );
    item.insert("event".into(), Value::Object(to_item(event)?));
    Ok(WriteOp::Put {
        item,
        cond: Some(Cond::NotExists),
    })
}

/// The write of a job about an order (`job_id` unique per job), due at `due`.
pub(crate) fn order_job(
    kind: &str,
    job_id: &str,
    due: DateTime<Utc>,
    order_id: bookstore_model::OrderId,
) -> WriteOp {
    let mut item = job_item(job_id, due, kind, shard_of_id(job_id));
    item.insert("order_id".into(), order_id.to_string().into());
    WriteOp::Put {
        item,
        cond: Some(Cond::NotExists),
    }
}

/// The key of the job [`order_job`] writes for `job_id` and `due`.
pub(crate) fn order_job_key(job_id: &str, due: DateTime<Utc>) -> Key {
    job_key(shard_of_id(job_id), due, job_id)
}

pub(crate) fn shard_of_id(id: &str) -> u32 {
    crate::store::keys::stable_hash(id) % SHARDS
}

/// A job's key: its shard, then its due time (epoch milliseconds, fixed width) and id.
pub(crate) fn job_key(shard: u32, due: DateTime<Utc>, id: &str) -> Key {
    Key::new(
        format!("JOBS#{shard}"),
        format!("{:015}#{id}", due.timestamp_millis().max(0)),
    )
}

/// A job item, unleased.
pub(crate) fn job_item(id: &str, due: DateTime<Utc>, kind: &str, shard: u32) -> Item {
    let mut item = crate::store::expr::key_item(&job_key(shard, due, id));
    item.insert("kind".into(), kind.into());
    item.insert("job_id".into(), id.into());
    item.insert("lease_until".into(), 0.into());
    item
}

/// A due job as read: its key, kind, lease and whole item.
#[derive(Debug, Clone)]
pub(crate) struct Job {
    pub key: Key,
    pub kind: String,
    pub item: Item,
}

impl Job {
    /// The job a stored job item (see [`job_item`]) describes; `None` without a key or kind.
    pub(crate) fn of(item: Item) -> Option<Job> {
        let key = Key::of(&item)?;
        let kind = item.get("kind")?.as_str()?.to_owned();
        Some(Job { key, kind, item })
    }

    /// The shard of its key (`JOBS#<n>`).
    pub(crate) fn shard(&self) -> Option<u32> {
        self.key.pk.strip_prefix("JOBS#")?.parse().ok()
    }

    fn due_ms(&self) -> i64 {
        self.key
            .sk
            .split('#')
            .next()
            .and_then(|ms| ms.parse().ok())
            .unwrap_or(i64::MAX)
    }

    fn lease_until(&self) -> i64 {
        self.item
            .get("lease_until")
            .and_then(Value::as_i64)
            .unwrap_or(0)
    }
}

/// What a read of one shard found.
#[derive(Debug, Default)]
pub(crate) struct Due {
    /// Up to `limit` jobs due and not leased, in due order.
    pub jobs: Vec<Job>,
    /// The due time of the first job read, leased or not yet due (epoch ms).
    pub first_due: Option<i64>,
}

/// Up to `limit` jobs of one shard that are due at `now` and not leased, in due order, among the
/// jobs due from `from_ms` on (0: all; see [`Marks`]).
pub(crate) async fn due_jobs(
    store: &dyn Store,
    shard: u32,
    now: DateTime<Utc>,
    limit: usize,
    from_ms: i64,
) -> std::result::Result<Due, StoreError> {
    let now_ms = now.timestamp_millis();
    let pk = format!("JOBS#{shard}");
    // A start key before every job due at `from_ms` (a prefix sorts first); it need name no item.
    let start = (from_ms > 0)
        .then(|| crate::store::expr::key_item(&Key::new(pk.clone(), format!("{from_ms:015}"))));
    let page = store
        .query(&Query {
            index: None,
            pk,
            sk_prefix: None,
            forward: true,
            limit,
            start,
        })
        .await?;
    let read: Vec<Job> = page.items.into_iter().filter_map(Job::of).collect();
    Ok(Due {
        first_due: read.first().map(Job::due_ms),
        jobs: read
            .into_iter()
            .take_while(|j| j.due_ms() <= now_ms)
            .filter(|j| j.lease_until() <= now_ms)
            .collect(),
    })
}

/// Where each shard's read of due jobs starts in a full poll (a read woken by a commit starts at
/// its new jobs, see `wakeup`). A done job is deleted, and on the embedded store a deletion
/// leaves a tombstone that a read from the partition's start walks until compaction drops it
/// (at the last level only). They pile up with the orders: in a unit experiment, 100,000 of
/// them made a read take 55 ms instead of 1 µs. So a shard's read starts at the due time of the
/// oldest job its last full read found (a leased one included: it is tried again where it is once its lease
/// runs out), and never later than [`MARK_MARGIN_MS`] before now, because a job's due time is
/// when it was made, a little before its transaction committed. Each shard is read from the
/// start once in [`RESCAN_EVERY`] full polls all the same, for a job whose transaction took
/// longer than the margin.
#[derive(Default)]
pub(crate) struct Marks(Mutex<Vec<i64>>);

/// Longer than any transaction takes from making its job to committing.
pub(crate) const MARK_MARGIN_MS: i64 = 10_000;

/// Full polls between reads of a shard from its start (a minute at the default poll).
pub(crate) const RESCAN_EVERY: u64 = 12;

impl Marks {
    /// Where the read of `shard` starts (epoch ms; 0: the partition's start).
    pub(crate) fn from(&self, shard: u32) -> i64 {
        self.0
            .lock()
            .ok()
            .and_then(|m| m.get(shard as usize).copied())
            .unwrap_or(0)
    }

    /// Moves the mark of `shard` after a read at `now` that found `first_due`.
    pub(crate) fn read(&self, shard: u32, now: DateTime<Utc>, first_due: Option<i64>) {
        let latest = now.timestamp_millis() - MARK_MARGIN_MS;
        let mark = first_due.map_or(latest, |due| due.min(latest)).max(0);
        if let Ok(mut m) = self.0.lock() {
            if m.is_empty() {
                m.resize(SHARDS as usize, 0);
            }
            m[(shard % SHARDS) as usize] = mark;
        }
    }
}

/// Who may write a job's outcome. A claimed job: only the holder of the token, while the claim
/// lasts. A job done unclaimed ([`Lease::unclaimed`]): whoever commits its outcome first, while
/// no one holds it.
#[derive(Debug, Clone)]
pub(crate) struct Lease {
    token: Option<String>,
    /// For an unclaimed job, when it was read as free (epoch ms).
    read_at: i64,
}

impl Lease {
    pub(crate) fn held(token: String) -> Self {
        Self {
            token: Some(token),
            read_at: 0,
        }
    }

    /// For a job whose whole work is the transaction of its outcome (an event's fan-out, a sales
    /// job's counters): with nothing done outside that transaction there is nothing for a claim
    /// to guard, so the job costs one write instead of two. Of two dispatchers doing it at once
    /// the first commit wins and the other's condition fails.
    pub(crate) fn unclaimed(read_at: i64) -> Self {
        Self {
            token: None,
            read_at,
        }
    }

    pub(crate) fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// The condition on the job item under which its outcome may be written.
    pub(crate) fn cond(&self) -> Cond {
        match &self.token {
            Some(token) => Cond::Eq(Path::attr("lease_token"), token.clone().into()),
            None => Cond::And(vec![
                Cond::Exists,
                Cond::Le(Path::attr("lease_until"), self.read_at),
            ]),
        }
    }
}

/// Claims `job` for `lease_ms`: a conditional write that only one claimant wins, and only once
/// any earlier lease has run out. `None` if someone else holds or finished it.
pub(crate) async fn claim(
    store: &dyn Store,
    job: &Job,
    lease_ms: i64,
) -> std::result::Result<Option<Lease>, StoreError> {
    let now = Utc::now().timestamp_millis();
    let token = uuid::Uuid::new_v4().to_string();
    let op = WriteOp::Update {
        key: job.key.clone(),
        set: vec![
            (Path::attr("lease_until"), (now + lease_ms).into()),
            (Path::attr("lease_token"), token.clone().into()),
        ],
        add: vec![],
        cond: Some(Cond::And(vec![
            Cond::Exists,
            Cond::Le(Path::attr("lease_until"), now),
        ])),
    };
    match store.transact(vec![op]).await {
        Ok(()) => Ok(Some(Lease::held(token))),
        Err(StoreError::ConditionFailed(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Removes a finished job, if the lease is still ours (for the same transaction as the job's
/// outcome: a holder whose lease ran out writes nothing).
pub(crate) fn finish_op(job: &Job, lease: &Lease) -> WriteOp {
    WriteOp::Delete {
        key: job.key.clone(),
        cond: Some(lease.cond()),
    }
}

/// Holds off a job done unclaimed that failed (leases it to no one): left due, every full poll
/// would try it again, and log it, every few seconds for as long as the cause lasts. The wait
/// doubles with each failure, from the poll (`poll_ms`) up to `max_ms`.
pub(crate) fn hold_off(
    job: &Job,
    lease: &Lease,
    poll_ms: i64,
    max_ms: i64,
    now: DateTime<Utc>,
) -> WriteOp {
    let failures = job
        .item
        .get("failures")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    let wait = poll_ms
        .saturating_mul(1 << failures.min(20))
        .min(max_ms.max(poll_ms));
    WriteOp::Update {
        key: job.key.clone(),
        set: vec![(
            Path::attr("lease_until"),
            now.timestamp_millis().saturating_add(wait).into(),
        )],
        add: vec![(Path::attr("failures"), 1)],
        cond: Some(lease.cond()),
    }
}

#[cfg(test)]
mod tests;
