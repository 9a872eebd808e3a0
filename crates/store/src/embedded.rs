//! The embedded store: fjall (a log-structured merge tree with a write-ahead journal) in one
//! directory, with group commit.
//!
//! Every transaction goes to a single writer thread. It takes whatever transactions are
//! waiting and checks each of them in turn against the latest state: the committed state plus
//! an overlay of what earlier transactions of the same group wrote (a transaction whose
//! conditions fail writes nothing, and later ones see earlier ones' writes). Then it commits the
//! final state of every touched item, and the index entries that changed, as **one** fjall
//! write batch with [`PersistMode::SyncAll`]: one sequential journal append and one fsync for
//! the whole group. Only then does it answer each caller. So an acknowledged write survives
//! `kill -9`, and one fsync is shared by as many orders as arrive meanwhile.
//!
//! Visibility: fjall's `WriteBatch::commit` appends the batch to the journal, fsyncs it (the
//! batch's durability is `SyncAll`), and only then inserts it into the memtables and publishes
//! its sequence number to snapshots; all of that under the journal lock (fjall 3.1,
//! `batch/mod.rs`). So no reader sees a write before it is durable. The overlay of a pending
//! group lives only in the writer thread. The one remaining window is the opposite one: a
//! write becomes visible a moment before its caller is told (the writer answers after
//! `commit` returns), which is harmless. If the fsync fails, fjall poisons the database and
//! every later commit fails: nothing unacknowledged is ever shown as committed.
//!
//! Reads that touch more than one key (`batch_get`, `query`) use one fjall snapshot, so they see
//! a group's writes entirely or not at all. Point reads of items go through an in-process cache
//! of committed items that keeps both guarantees (see `cache`); the writer invalidates
//! what a group writes before committing it, and puts back the items it updated in place once
//! the group is visible, so hot books stay cached under a stream of orders. The writer reads
//! through the same cache. The index ranges queries scan are cached by the same rules, dropped
//! per index partition by any group that inserts or removes an entry there.
//!
//! Layout: two keyspaces. `items` maps `(pk, sk)` to the item's JSON; `index` holds one empty
//! entry per global secondary index entry, keyed by `(index, index pk, encoded index sk, pk,
//! sk)`. Composite keys use an order-preserving encoding (see [`push_component`]) so that byte
//! order is tuple order, strings compared bytewise component by component.
mod cache;
mod codec;
mod ttl;
/// The TTL compaction filter's test of one stored item (public for the benchmarks).
#[doc(hidden)]
pub use ttl::expired;
mod writer;

use crate::expr::{apply, cond_of, holds};
use crate::keys::{INDEXES, IndexDef, index};
use crate::{
    Item, Key, Query, QueryPage, RawItem, RawPage, Store, StoreError, WriteOp, check_query,
    check_transaction,
};
use async_trait::async_trait;
use cache::{CachedRange, ItemCache, ReadGen, range_key};
use codec::*;
use fjall::{Database, Keyspace, KeyspaceCreateOptions, PersistMode, Readable, Snapshot};
use serde_json::Value;
use std::collections::HashMap;
use std::ops::Bound;
use std::path::Path;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// How many waiting transactions one commit takes at most.
const MAX_GROUP: usize = 1024;

/// How much memory the embedded store may hold: its caches and write buffers. The process
/// needs about `block_cache + item_cache + range_cache + 4 x memtable` for the store (each of
/// the two keyspaces has an active memtable and at most about one sealed one being flushed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmbeddedConfig {
    /// fjall's cache of table blocks (decompressed) and their indexes and filters.
    pub block_cache_bytes: u64,
    /// The read cache of committed items (see `cache`).
    pub item_cache_bytes: usize,
    /// The cache of index ranges (see `cache`): ~4 KB per cached page of 20.
    pub range_cache_bytes: usize,
    /// Each keyspace's memtable: written to a table when full. Smaller means smaller,
    /// more frequent flushes.
    pub memtable_bytes: u64,
    /// The journal's size on disk before fjall flushes memtables to let old journal files go.
    pub journal_bytes: u64,
}

impl Default for EmbeddedConfig {
    fn default() -> Self {
        Self {
            block_cache_bytes: 256 << 20,
            item_cache_bytes: 64 << 20,
            range_cache_bytes: 16 << 20,
            memtable_bytes: 64 << 20,
            journal_bytes: 512 << 20,
        }
    }
}

type Reply = oneshot::Sender<Result<(), StoreError>>;

/// A transaction on its way to the writer, with the work that needs no store state done by
/// the caller (in parallel, off the writer thread): each `Put`'s stored bytes and index keys.
struct Job {
    ops: Vec<WriteOp>,
    prepared: Vec<Option<Prepared>>,
    reply: Reply,
}

/// A `Put`'s item as stored: its JSON and its index keys.
struct Prepared {
    bytes: Vec<u8>,
    index: Vec<Vec<u8>>,
}

#[derive(Clone)]
pub struct EmbeddedStore {
    db: Database,
    items: Keyspace,
    index: Keyspace,
    cache: Arc<ItemCache>,
    writer: mpsc::UnboundedSender<Job>,
}

fn internal(e: impl std::fmt::Display) -> StoreError {
    StoreError::Internal(e.to_string())
}

impl EmbeddedStore {
    /// Opens (or creates) the database in the directory `dir/fjall`, with the default sizes.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        Self::open_with(dir, EmbeddedConfig::default())
    }

    /// Opens (or creates) the database in the directory `dir/fjall` with `config`'s sizes.
    pub fn open_with(dir: &Path, config: EmbeddedConfig) -> Result<Self, StoreError> {
        let path = dir.join("fjall");
        std::fs::create_dir_all(&path).map_err(internal)?;
        let db = Database::builder(&path)
            .cache_size(config.block_cache_bytes)
            // fjall refuses less than 64 MiB.
            .max_journaling_size(config.journal_bytes.max(64 << 20))
            // Tables are compressed (lz4, in the lower levels, by the flush and compaction
            // threads); the journal is not: the one writer thread appends it on every commit.
            .journal_compression(fjall::CompressionType::None)
            // Every batch says how durable it is; none is flushed behind our back.
            .manual_journal_persist(true)
            .with_compaction_filter_factories(Arc::new(|keyspace: &str| {
                (keyspace == "items")
                    .then(|| Arc::new(ttl::Expiry) as Arc<dyn fjall::compaction::filter::Factory>)
            }))
            .open()
            .map_err(internal)?;
        let memtable = config.memtable_bytes.max(1 << 20);
        let items = db
            .keyspace("items", || {
                KeyspaceCreateOptions::default().max_memtable_size(memtable)
            })
            .map_err(internal)?;
        let index = db
            .keyspace("index", || {
                KeyspaceCreateOptions::default().max_memtable_size(memtable)
            })
            .map_err(internal)?;
        let (writer, rx) = mpsc::unbounded_channel();
        let store = Self {
            db,
            items,
            index,
            cache: Arc::new(ItemCache::new(
                config.item_cache_bytes,
                config.range_cache_bytes,
            )),
            writer,
        };
        let writer_store = store.clone();
        std::thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || writer_store.write_loop(rx))
            .map_err(internal)?;
        Ok(store)
    }
}

impl EmbeddedStore {
    /// One item as `snapshot` (or, without one, the latest state) has it: from the item cache
    /// when it holds what that read would see, else from fjall, offering the result to the
    /// cache. `at` must have been taken before the snapshot.
    fn read_at(
        &self,
        at: ReadGen,
        snapshot: Option<&Snapshot>,
        key: &[u8],
    ) -> Result<Option<RawItem>, StoreError> {
        // A read of several items (a page) takes this thread's copy of a hot item; a point
        // read shares the cache's entry, as a thread's copies would churn under uniform reads.
        let cached = match snapshot {
            Some(_) => self.cache.get(at, key),
            None => self.cache.get_shared(at, key),
        };
        if let Some(item) = cached {
            return Ok(Some(item));
        }
        let read = match snapshot {
            Some(s) => s.get(&self.items, key),
            None => self.items.get(key),
        }
        .map_err(internal)?;
        Ok(read.map(|bytes| {
            let item = RawItem::from(&*bytes);
            self.cache.offer(at, key, &item);
            item
        }))
    }

    /// The first `limit` index keys of `range` in the snapshot, and whether more follow.
    fn scan_index(
        &self,
        snapshot: &Snapshot,
        range: Range,
        forward: bool,
        limit: usize,
    ) -> Result<CachedRange, StoreError> {
        let range = snapshot.range(&self.index, range);
        let iter: Box<dyn Iterator<Item = _>> = if forward {
            Box::new(range)
        } else {
            Box::new(range.rev())
        };
        let mut keys = Vec::with_capacity(limit.min(128));
        let mut more = false;
        for entry in iter {
            if keys.len() == limit {
                more = true;
                break;
            }
            keys.push(Box::<[u8]>::from(&*entry.key().map_err(internal)?));
        }
        Ok(CachedRange {
            keys: keys.into(),
            more,
        })
    }

    fn query_sync(&self, q: &Query) -> Result<RawPage, StoreError> {
        check_query(q)?;
        // One snapshot for the index entries and the items they point to.
        let at = self.cache.read_gen();
        let snapshot = self.db.snapshot();
        let limit = q.limit.max(1);
        let mut out = Vec::with_capacity(limit.min(128));
        let mut more = false;
        let mut last: Option<(Key, Option<Value>)> = None;
        let mut last_index_key = None;
        let sk_prefix = q.sk_prefix.as_deref().unwrap_or("");
        match q.index {
            None => {
                let mut prefix = Vec::new();
                push_component(&mut prefix, q.pk.as_bytes());
                push_escaped(&mut prefix, sk_prefix.as_bytes());
                let start = match &q.start {
                    Some(s) => {
                        if start_str(s, "pk")? != q.pk {
                            return Err(StoreError::InvalidStart(
                                "start key of another partition".into(),
                            ));
                        }
                        Some(item_key(&q.pk, start_str(s, "sk")?))
                    }
                    None => None,
                };
                if let Some(range) = page_range(prefix, start, q.forward) {
                    let range = snapshot.range(&self.items, range);
                    let iter: Box<dyn Iterator<Item = _>> = if q.forward {
                        Box::new(range)
                    } else {
                        Box::new(range.rev())
                    };
                    let mut last_item_key = None;
                    for entry in iter {
                        if out.len() == limit {
                            more = true;
                            break;
                        }
                        let (k, v) = entry.into_inner().map_err(internal)?;
                        out.push(RawItem::from(&*v));
                        last_item_key = Some(k);
                    }
                    if let Some(k) = last_item_key.filter(|_| more) {
                        last = Some((key_of(&k)?, None));
                    }
                }
            }
            Some(name) => {
                let def =
                    index(name).ok_or_else(|| StoreError::Invalid(format!("no index {name}")))?;
                let mut prefix = Vec::new();
                push_component(&mut prefix, name.as_bytes());
                push_component(&mut prefix, q.pk.as_bytes());
                let partition_len = prefix.len();
                if !sk_prefix.is_empty() {
                    // String index sort keys are encoded as 2 followed by the string.
                    prefix.push(2);
                    push_escaped(&mut prefix, sk_prefix.as_bytes());
                }
                let start = match &q.start {
                    Some(s) => {
                        let isk = s.get(def.sk).and_then(encode_sk).ok_or_else(|| {
                            StoreError::InvalidStart("start key lacks the index key".into())
                        })?;
                        if start_str(s, def.pk)? != q.pk {
                            return Err(StoreError::InvalidStart(
                                "start key of another partition".into(),
                            ));
                        }
                        Some(index_key(
                            name,
                            &q.pk,
                            &isk,
                            start_str(s, "pk")?,
                            start_str(s, "sk")?,
                        ))
                    }
                    None => None,
                };
                let rkey = range_key(&prefix, start.as_deref(), q.forward, limit);
                let partition = &prefix[..partition_len];
                let cached = match self.cache.range(at, partition, &rkey) {
                    Some(hit) => Some(hit),
                    None => page_range(prefix.clone(), start, q.forward)
                        .map(|range| {
                            let scanned = self.scan_index(&snapshot, range, q.forward, limit)?;
                            self.cache.offer_range(at, partition, rkey, scanned.clone());
                            Ok::<_, StoreError>(scanned)
                        })
                        .transpose()?,
                };
                if let Some(range) = cached {
                    for k in range.keys.iter() {
                        // The index key ends with the item's encoded key: read it in place.
                        let item_key = &k[skip_components(k, 3)?..];
                        let item = self
                            .read_at(at, Some(&snapshot), item_key)?
                            .ok_or_else(|| internal("index entry without item"))?;
                        out.push(item);
                    }
                    more = range.more;
                    last_index_key = range.keys.last().cloned();
                }
            }
        }
        if let Some(k) = last_index_key.filter(|_| more) {
            let parts = split_components(&k)?;
            let [_, _, isk, pk, sk] = parts.as_slice() else {
                return Err(internal("index key without 5 components"));
            };
            last = Some((key_from(pk, sk)?, Some(decode_sk(isk)?)));
        }
        // The cursor comes from the last key read, not from parsing the last item.
        let last_key = match last {
            Some((key, isk)) if more => {
                let mut out = Item::new();
                out.insert("pk".into(), Value::String(key.pk));
                out.insert("sk".into(), Value::String(key.sk));
                if let (Some(def), Some(isk)) = (q.index.and_then(index), isk) {
                    out.insert(def.pk.into(), Value::String(q.pk.clone()));
                    out.insert(def.sk.into(), isk);
                }
                Some(out)
            }
            _ => None,
        };
        Ok(RawPage {
            items: out,
            last_key,
        })
    }
}

#[async_trait]
impl Store for EmbeddedStore {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        // Reads are short and served from memtables and fjall's cache: run them inline rather
        // than paying for a hop to the blocking pool. One key is written once per batch, so a
        // plain read sees a group's write of it entirely or not at all.
        let at = self.cache.read_gen();
        match self.read_at(at, None, &item_key(&key.pk, &key.sk))? {
            Some(bytes) => Ok(Some(parse(&bytes)?)),
            None => Ok(None),
        }
    }

    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, StoreError> {
        if keys.len() > 100 {
            return Err(StoreError::Invalid(
                "batch_get takes at most 100 keys".into(),
            ));
        }
        let at = self.cache.read_gen();
        let snapshot = self.db.snapshot();
        keys.iter()
            .map(|k| {
                self.read_at(at, Some(&snapshot), &item_key(&k.pk, &k.sk))?
                    .map(|raw| parse(&raw))
                    .transpose()
            })
            .collect()
    }

    async fn transact(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        check_transaction(&ops)?;
        let prepared = ops
            .iter()
            .map(|op| match op {
                WriteOp::Put { item, .. } => {
                    let key = Key::of(item).ok_or_else(|| internal("checked above"))?;
                    Ok(Some(Prepared {
                        bytes: serde_json::to_vec(item).map_err(internal)?,
                        index: index_keys(item, &key),
                    }))
                }
                _ => Ok(None),
            })
            .collect::<Result<_, StoreError>>()?;
        let (reply, answer) = oneshot::channel();
        self.writer
            .send(Job {
                ops,
                prepared,
                reply,
            })
            .map_err(|_| StoreError::Unavailable("the writer thread has stopped".into()))?;
        answer
            .await
            .map_err(|_| StoreError::Unavailable("the writer thread has stopped".into()))?
    }

    async fn query(&self, query: &Query) -> Result<QueryPage, StoreError> {
        let page = self.query_sync(query)?;
        Ok(QueryPage {
            items: page
                .items
                .iter()
                .map(|raw| parse(raw))
                .collect::<Result<_, _>>()?,
            last_key: page.last_key,
        })
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.items.get(item_key("ping", "")).map_err(internal)?;
        Ok(())
    }

    async fn get_raw(&self, key: &Key) -> Result<Option<RawItem>, StoreError> {
        let at = self.cache.read_gen();
        self.read_at(at, None, &item_key(&key.pk, &key.sk))
    }

    async fn batch_get_raw(&self, keys: &[Key]) -> Result<Vec<Option<RawItem>>, StoreError> {
        if keys.len() > 100 {
            return Err(StoreError::Invalid(
                "batch_get takes at most 100 keys".into(),
            ));
        }
        let at = self.cache.read_gen();
        let snapshot = self.db.snapshot();
        keys.iter()
            .map(|k| self.read_at(at, Some(&snapshot), &item_key(&k.pk, &k.sk)))
            .collect()
    }

    async fn query_raw(&self, query: &Query) -> Result<RawPage, StoreError> {
        self.query_sync(query)
    }
}

#[cfg(test)]
mod tests;
