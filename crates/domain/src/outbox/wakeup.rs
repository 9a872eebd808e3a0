//! How a commit that wrote jobs reaches this instance's dispatcher: the store every repository
//! writes through ([`Wakeup::watch`]) notes the shards of the jobs a transaction put, once it
//! committed, and wakes the dispatcher, which reads those shards once, each from the earliest of
//! its new jobs (the jobs done before it are deletions a read from further back would walk). A
//! shard is noted after the commit, never before, so a read it causes cannot run ahead of the
//! write and miss the job; no shard needs reading again "in case". Jobs of other instances,
//! retries coming due and leases that ran out are the full poll's.
use super::{KIND_EVENT, SHARDS, event, event_op};
use crate::error::Result;
use crate::store::{Item, Key, Query, QueryPage, RawItem, RawPage, Store, StoreError, WriteOp};
use async_trait::async_trait;
use bookstore_model::EventType;
use serde::Serialize;
use serde_json::Value;
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

#[derive(Clone, Default)]
pub struct Wakeup(Arc<WakeupInner>);

#[derive(Default)]
struct WakeupInner {
    notify: Notify,
    /// Per shard written since the dispatcher last took them, the earliest due time (epoch ms)
    /// of the jobs written: its read starts there, past the deleted jobs before it.
    noted: Mutex<Vec<Option<i64>>>,
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
            if noted.is_empty() {
                noted.resize(SHARDS as usize, None);
            }
            for (shard, from) in shards {
                let n = &mut noted[(shard % SHARDS) as usize];
                *n = Some(n.map_or(*from, |f| f.min(*from)));
            }
        }
        self.0.notify.notify_one();
    }

    pub(crate) async fn woken(&self) {
        self.0.notify.notified().await;
    }

    /// The shards noted since the last call, each once, with where its read starts.
    pub(crate) fn take_noted(&self) -> Vec<(u32, i64)> {
        let noted = self
            .0
            .noted
            .lock()
            .map(|mut n| std::mem::take(&mut *n))
            .unwrap_or_default();
        (0..SHARDS)
            .zip(noted)
            .filter_map(|(shard, from)| Some((shard, from?)))
            .collect()
    }
}

/// The shards of the jobs among `ops` that a read right after the commit could do (unleased and
/// due by `now_ms`), each with its job's due time. A job written leased is its writer's to do; one due later is the full
/// poll's; an import's chunk is noted when its import is accepted (`stage`).
pub(crate) fn doable_shards(ops: &[WriteOp], now_ms: i64) -> Vec<(u32, i64)> {
    ops.iter()
        .filter_map(|op| {
            let WriteOp::Put { item, .. } = op else {
                return None;
            };
            let shard = item
                .get("pk")
                .and_then(Value::as_str)?
                .strip_prefix("JOBS#")?
                .parse::<u32>()
                .ok()?;
            let due = item
                .get("sk")
                .and_then(Value::as_str)?
                .split('#')
                .next()?
                .parse::<i64>()
                .ok()?;
            let leased = item
                .get("lease_until")
                .and_then(Value::as_i64)
                .is_some_and(|until| until > now_ms);
            let kind = item
                .get("kind")
                .and_then(Value::as_str)
                .unwrap_or(KIND_EVENT);
            (due <= now_ms && !leased && kind != crate::catalogue::KIND_IMPORT)
                .then_some((shard, due))
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
        let shards = doable_shards(&ops, chrono::Utc::now().timestamp_millis());
        let result = self.inner.transact(ops).await;
        // An unknown outcome may have committed: a read of its shards costs little.
        if matches!(result, Ok(()) | Err(StoreError::Unknown(_))) {
            self.wakeup.note_shards(&shards);
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
