//! How a commit that wrote jobs reaches this instance's dispatcher: the store every repository
//! writes through ([`Wakeup::watch`]) hands the jobs a transaction put over to the dispatcher
//! once it committed, and wakes it; the dispatcher does them as written, without reading them
//! back (on DynamoDB, a query per round was a third of the calls of a paid order). Handed over
//! after the commit, never before, so the dispatcher cannot run ahead of the write. Where the
//! jobs themselves cannot be handed over (a commit whose outcome is unknown, more jobs waiting
//! than [`MAX_HANDED`], shards a round could not read to the end) their shards are noted
//! instead, each from the earliest due time, and the next round reads them. Jobs of other
//! instances, retries coming due and leases that ran out are the full poll's.
use super::{Job, SHARDS, event, event_op};
use crate::error::Result;
use crate::store::{Item, Key, Query, QueryPage, RawItem, RawPage, Store, StoreError, WriteOp};
use async_trait::async_trait;
use bookstore_model::EventType;
use serde::Serialize;
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

#[derive(Clone, Default)]
pub struct Wakeup(Arc<WakeupInner>);

#[derive(Default)]
struct WakeupInner {
    notify: Notify,
    noted: Mutex<Noted>,
}

/// Jobs waiting for the dispatcher beyond this many are left to a read of their shards: a
/// dispatcher that falls behind (or an instance without one) holds at most this many in memory.
pub(crate) const MAX_HANDED: usize = 4096;

/// What the dispatcher's next round does.
#[derive(Debug, Default)]
pub(crate) struct Noted {
    /// Jobs committed here since the last round, as written, in commit order.
    pub jobs: Vec<Job>,
    /// Shards to read, each from the earliest due time (epoch ms) noted for it: the read starts
    /// there, past the deleted jobs before it. Indexed by shard; taken as `(shard, from)`.
    shards: Vec<Option<i64>>,
}

impl Noted {
    fn note(&mut self, shard: u32, from: i64) {
        if self.shards.is_empty() {
            self.shards.resize(SHARDS as usize, None);
        }
        let n = &mut self.shards[(shard % SHARDS) as usize];
        *n = Some(n.map_or(from, |f| f.min(from)));
    }

    /// The shards to read, each once, with where its read starts.
    pub(crate) fn shards(&self) -> Vec<(u32, i64)> {
        (0..SHARDS)
            .zip(&self.shards)
            .filter_map(|(shard, from)| Some((shard, (*from)?)))
            .collect()
    }
}

impl Wakeup {
    pub fn new() -> Self {
        Self::default()
    }

    /// `store`, noting the jobs its transactions commit (see the module's documentation).
    pub fn watch(&self, store: Arc<dyn Store>) -> Arc<dyn Store> {
        Arc::new(Watched {
            inner: store,
            wakeup: self.clone(),
        })
    }

    /// The outbox write of a new event, for the transaction of its change.
    pub fn emit(&self, type_: EventType, data: &impl Serialize) -> Result<WriteOp> {
        event_op(&event(type_, data)?)
    }

    /// Notes shards to read in the next round, each from a due time (epoch ms), and wakes the
    /// dispatcher: for jobs that were written earlier and become doable now, and shards a round
    /// could not read to the end.
    pub(crate) fn note_shards(&self, shards: &[(u32, i64)]) {
        if shards.is_empty() {
            return;
        }
        if let Ok(mut noted) = self.0.noted.lock() {
            for (shard, from) in shards {
                noted.note(*shard, *from);
            }
        }
        self.0.notify.notify_one();
    }

    /// Hands committed jobs over to the dispatcher and wakes it; past [`MAX_HANDED`] waiting,
    /// notes their shards instead.
    pub(crate) fn hand_over(&self, jobs: Vec<Job>) {
        if jobs.is_empty() {
            return;
        }
        if let Ok(mut noted) = self.0.noted.lock() {
            for job in jobs {
                if noted.jobs.len() < MAX_HANDED {
                    noted.jobs.push(job);
                } else if let Some(shard) = job.shard() {
                    noted.note(shard, job.due_ms());
                }
            }
        }
        self.0.notify.notify_one();
    }

    pub(crate) async fn woken(&self) {
        self.0.notify.notified().await;
    }

    /// The jobs handed over and the shards noted since the last call.
    pub(crate) fn take(&self) -> Noted {
        self.0
            .noted
            .lock()
            .map(|mut n| std::mem::take(&mut *n))
            .unwrap_or_default()
    }
}

/// The jobs among `ops` that the dispatcher can do right after the commit (unleased and due by
/// `now_ms`), as written. A job written leased is its writer's to do; one due later is the full
/// poll's; an import's chunk is noted when its import is accepted (`stage`).
pub(crate) fn doable_jobs(ops: &[WriteOp], now_ms: i64) -> Vec<Job> {
    ops.iter()
        .filter_map(|op| {
            let WriteOp::Put { item, .. } = op else {
                return None;
            };
            if !item.get("pk")?.as_str()?.starts_with("JOBS#") {
                return None;
            }
            let job = Job::of(item.clone())?;
            job.shard()?;
            (job.due_ms() <= now_ms
                && job.lease_until() <= now_ms
                && job.kind != crate::catalogue::KIND_IMPORT)
                .then_some(job)
        })
        .collect()
}

/// See [`Wakeup::watch`].
struct Watched {
    inner: Arc<dyn Store>,
    wakeup: Wakeup,
}

#[async_trait]
impl Store for Watched {
    async fn get(&self, key: &Key) -> std::result::Result<Option<Item>, StoreError> {
        self.inner.get(key).await
    }

    async fn batch_get(&self, keys: &[Key]) -> std::result::Result<Vec<Option<Item>>, StoreError> {
        self.inner.batch_get(keys).await
    }

    async fn transact(&self, ops: Vec<WriteOp>) -> std::result::Result<(), StoreError> {
        let jobs = doable_jobs(&ops, chrono::Utc::now().timestamp_millis());
        let result = self.inner.transact(ops).await;
        match &result {
            Ok(()) => self.wakeup.hand_over(jobs),
            // It may have committed: a read of the shards finds the jobs if it did.
            Err(StoreError::Unknown(_)) => {
                let shards: Vec<(u32, i64)> = jobs
                    .iter()
                    .filter_map(|j| Some((j.shard()?, j.due_ms())))
                    .collect();
                self.wakeup.note_shards(&shards);
            }
            Err(_) => {}
        }
        result
    }

    async fn query(&self, query: &Query) -> std::result::Result<QueryPage, StoreError> {
        self.inner.query(query).await
    }

    async fn ping(&self) -> std::result::Result<(), StoreError> {
        self.inner.ping().await
    }

    async fn get_raw(&self, key: &Key) -> std::result::Result<Option<RawItem>, StoreError> {
        self.inner.get_raw(key).await
    }

    async fn batch_get_raw(
        &self,
        keys: &[Key],
    ) -> std::result::Result<Vec<Option<RawItem>>, StoreError> {
        self.inner.batch_get_raw(keys).await
    }

    async fn query_raw(&self, query: &Query) -> std::result::Result<RawPage, StoreError> {
        self.inner.query_raw(query).await
    }
}
