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
//! of committed items that keeps both guarantees (see `item_cache`); the writer invalidates
//! what a group writes before committing it, and puts back the items it updated in place once
//! the group is visible, so hot books stay cached under a stream of orders. The writer reads
//! through the same cache. The index ranges queries scan are cached by the same rules, dropped
//! per index partition by any group that inserts or removes an entry there.
//!
//! Layout: two keyspaces. `items` maps `(pk, sk)` to the item's JSON; `index` holds one empty
//! entry per global secondary index entry, keyed by `(index, index pk, encoded index sk, pk,
//! sk)`. Composite keys use an order-preserving encoding (see [`push_component`]) so that byte
//! order is tuple order, strings compared bytewise component by component.
use super::expr::{apply, cond_of, holds};
use super::item_cache::{CachedRange, ItemCache, ReadGen, range_key};
use super::keys::{INDEXES, IndexDef, index};
use super::{
    Item, Key, Query, QueryPage, RawItem, RawPage, Store, StoreError, WriteOp, check_query,
    check_transaction,
};
use async_trait::async_trait;
use fjall::{Database, Keyspace, KeyspaceCreateOptions, PersistMode, Readable, Snapshot};
use serde_json::Value;
use std::collections::HashMap;
use std::ops::Bound;
use std::path::Path;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// How many waiting transactions one commit takes at most.
const MAX_GROUP: usize = 1024;

/// fjall's block cache.
const CACHE_BYTES: u64 = 256 * 1024 * 1024;

/// The read cache of committed items (see `item_cache`).
const ITEM_CACHE_BYTES: usize = 64 * 1024 * 1024;

/// The cache of index ranges (see `item_cache`): ~4 KB per cached page of 20.
const RANGE_CACHE_BYTES: usize = 16 * 1024 * 1024;

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
    /// Opens (or creates) the database in the directory `dir/fjall`.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        let path = dir.join("fjall");
        std::fs::create_dir_all(&path).map_err(internal)?;
        let db = Database::builder(&path)
            .cache_size(CACHE_BYTES)
            // Every batch says how durable it is; none is flushed behind our back.
            .manual_journal_persist(true)
            .open()
            .map_err(internal)?;
        let items = db
            .keyspace("items", KeyspaceCreateOptions::default)
            .map_err(internal)?;
        let index = db
            .keyspace("index", KeyspaceCreateOptions::default)
            .map_err(internal)?;
        let (writer, rx) = mpsc::unbounded_channel();
        let store = Self {
            db,
            items,
            index,
            cache: Arc::new(ItemCache::new(ITEM_CACHE_BYTES, RANGE_CACHE_BYTES)),
            writer,
        };
        let writer_store = store.clone();
        std::thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || writer_store.write_loop(rx))
            .map_err(internal)?;
        Ok(store)
    }

    fn write_loop(self, mut rx: mpsc::UnboundedReceiver<Job>) {
        let Self {
            db,
            items,
            index,
            cache,
            writer,
        } = self;
        // The thread's own sender must not keep the channel open: when every handle is gone,
        // the loop ends and the database closes.
        drop(writer);
        // Kept across groups so that each group does not grow them afresh.
        let mut touched = HashMap::new();
        let mut order = Vec::new();
        while let Some(first) = rx.blocking_recv() {
            let mut group = vec![first];
            while group.len() < MAX_GROUP {
                match rx.try_recv() {
                    Ok(job) => group.push(job),
                    Err(_) => break,
                }
            }
            let mut overlay = Overlay {
                // Only this thread writes, and each batch is published before `commit`
                // returns: the snapshot is the latest committed state.
                snapshot: db.snapshot(),
                items: &items,
                cache: &cache,
                touched: std::mem::take(&mut touched),
                order: std::mem::take(&mut order),
            };
            let mut replies = Vec::with_capacity(group.len());
            let mut results = Vec::with_capacity(group.len());
            let mut fatal = None;
            for job in group {
                replies.push(job.reply);
                if fatal.is_none() {
                    match apply_transaction(&mut overlay, job.ops, job.prepared) {
                        Ok(result) => results.push(result),
                        Err(e) => fatal = Some(e),
                    }
                }
            }
            let outcome = match fatal {
                Some(e) => Err(e),
                None => commit(&db, &items, &index, &cache, &mut overlay),
            };
            match outcome {
                Ok(()) => {
                    for (reply, result) in replies.into_iter().zip(results) {
                        let _ = reply.send(result);
                    }
                }
                Err(e) => {
                    // The whole group is abandoned: nothing was written, every caller is told.
                    tracing::error!(error = %e, "embedded store commit failed");
                    for reply in replies {
                        let _ = reply.send(Err(StoreError::Internal(e.to_string())));
                    }
                }
            }
            touched = overlay.touched;
            order = overlay.order;
            touched.clear();
            order.clear();
        }
    }
}

/// An item touched by the group: what was committed before the group (whether it existed, and
/// its index keys), and its state after the group so far, with its stored bytes and index
/// keys when the caller prepared them (a `Put`) and nothing changed them since.
struct Touched {
    committed_exists: bool,
    committed_index: Vec<Vec<u8>>,
    current: Option<Item>,
    prepared: Option<Prepared>,
}

/// The group's pending writes, consulted before the committed state.
struct Overlay<'a> {
    snapshot: Snapshot,
    items: &'a Keyspace,
    cache: &'a ItemCache,
    touched: HashMap<Key, Touched>,
    /// Keys in the order first written, so the batch is built deterministically.
    order: Vec<Key>,
}

impl Overlay<'_> {
    fn read(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        match self.touched.get(key) {
            Some(t) => Ok(t.current.clone()),
            None => {
                // Between groups every cached entry is the latest committed state, which is
                // what the snapshot holds: a hit spares the memtable search.
                let k = item_key(&key.pk, &key.sk);
                match self.cache.get(self.cache.read_gen(), &k) {
                    Some(bytes) => parse(&bytes).map(Some),
                    None => read_item(&self.snapshot, self.items, &k),
                }
            }
        }
    }
}

/// Commits the group's net effect as one synced batch: per touched item its final state, and
/// the index entries that changed. Each key appears at most once in a batch.
fn commit(
    db: &Database,
    items: &Keyspace,
    index: &Keyspace,
    cache: &ItemCache,
    overlay: &mut Overlay<'_>,
) -> Result<(), StoreError> {
    if overlay.order.is_empty() {
        return Ok(());
    }
    // Held until the batch is visible (or abandoned); see `item_cache`.
    let mut cached = cache.begin_write();
    // Sized up front rather than grown by doubling (a dozen reallocations and copies per
    // group): an order writes ~4 entries per item (its 3 index entries; a book's item and its
    // re-sorted best-seller entry, removed and inserted).
    let mut batch = fjall::OwnedWriteBatch::with_capacity(db.clone(), overlay.order.len() * 4)
        .durability(Some(PersistMode::SyncAll));
    // The index partitions whose entries the group inserts or removes: their cached ranges go.
    let mut moved: Vec<Vec<u8>> = Vec::new();
    for key in &overlay.order {
        let Some(t) = overlay.touched.get_mut(key) else {
            continue;
        };
        // `updated`: the group changed an existing item in place (stock taken, an order
        // returned), the kind of item that is read again soon.
        let (bytes, new_entries, updated) = match (t.prepared.take(), &t.current) {
            (Some(p), _) => (Some(p.bytes), p.index, false),
            (None, Some(item)) => (
                Some(serde_json::to_vec(item).map_err(internal)?),
                index_keys(item, key),
                true,
            ),
            (None, None) => (None, Vec::new(), false),
        };
        // Index entries present before and after are left alone, the others removed or
        // inserted.
        for old in &t.committed_index {
            if !new_entries.contains(old) {
                moved.push(old[..skip_components(old, 2)?].to_vec());
                batch.remove(index, old.as_slice());
            }
        }
        for new in new_entries {
            if !t.committed_index.contains(&new) {
                moved.push(new[..skip_components(&new, 2)?].to_vec());
                batch.insert(index, new, Vec::<u8>::new());
            }
        }
        let k = item_key(&key.pk, &key.sk);
        match bytes {
            Some(bytes) => {
                cached.replace(&k, &bytes, updated);
                batch.insert(items, k, bytes);
            }
            None => {
                cached.invalidate(&k);
                if t.committed_exists {
                    batch.remove(items, k);
                }
            }
        }
    }
    moved.sort_unstable();
    moved.dedup();
    cached.invalidate_partitions(moved.iter().map(Vec::as_slice));
    batch.commit().map_err(internal)?;
    cached.publish();
    Ok(())
}

fn parse(raw: &[u8]) -> Result<Item, StoreError> {
    serde_json::from_slice(raw).map_err(internal)
}

fn read_item(
    snapshot: &Snapshot,
    items: &Keyspace,
    key: &[u8],
) -> Result<Option<Item>, StoreError> {
    match snapshot.get(items, key).map_err(internal)? {
        Some(bytes) => Ok(Some(parse(&bytes)?)),
        None => Ok(None),
    }
}

/// Checks one transaction against the overlay and, if every condition holds and every update
/// applies, records its writes there. The inner result is this transaction's answer; the
/// outer error is fatal for the group.
fn apply_transaction(
    overlay: &mut Overlay<'_>,
    ops: Vec<WriteOp>,
    mut prepared: Vec<Option<Prepared>>,
) -> Result<Result<(), StoreError>, StoreError> {
    if let Err(e) = check_transaction(&ops) {
        return Ok(Err(e));
    }
    let mut keys = Vec::with_capacity(ops.len());
    let mut before = Vec::with_capacity(ops.len());
    for op in &ops {
        let key = op.key().ok_or_else(|| internal("checked above"))?;
        before.push(overlay.read(&key)?);
        keys.push(key);
    }
    let failed: Vec<usize> = ops
        .iter()
        .enumerate()
        .filter(|(i, op)| cond_of(op).is_some_and(|c| !holds(c, before[*i].as_ref())))
        .map(|(i, _)| i)
        .collect();
    if !failed.is_empty() {
        return Ok(Err(StoreError::ConditionFailed(failed)));
    }
    // Compute every new state before writing anything, so a bad update writes nothing. The
    // state before is consumed: what the batch needs of the committed state (existence and
    // index keys) is taken first, for keys the group has not touched yet.
    let mut writes = Vec::with_capacity(ops.len());
    prepared.resize_with(ops.len(), || None);
    for (((op, key), old), prep) in ops.into_iter().zip(keys).zip(before).zip(prepared) {
        if matches!(op, WriteOp::Check { .. }) {
            continue;
        }
        let committed = if overlay.touched.contains_key(&key) {
            None
        } else {
            Some((
                old.is_some(),
                old.as_ref()
                    .map(|i| index_keys(i, &key))
                    .unwrap_or_default(),
            ))
        };
        let new = match op {
            WriteOp::Put { item, .. } => Some(item),
            op => match apply(&op, old) {
                Ok(new) => new,
                Err(e) => return Ok(Err(e)),
            },
        };
        writes.push((key, committed, new, prep));
    }
    for (key, committed, new, prep) in writes {
        match overlay.touched.get_mut(&key) {
            Some(t) => {
                t.current = new;
                t.prepared = prep;
            }
            None => {
                let (committed_exists, committed_index) = committed.unwrap_or_default();
                overlay.order.push(key.clone());
                overlay.touched.insert(
                    key,
                    Touched {
                        committed_exists,
                        committed_index,
                        current: new,
                        prepared: prep,
                    },
                );
            }
        }
    }
    Ok(Ok(()))
}

/// Appends `bytes` escaped: 0x00 becomes 0x00 0xFF, every other byte stays.
fn push_escaped(out: &mut Vec<u8>, bytes: &[u8]) {
    for &b in bytes {
        if b == 0 {
            out.extend_from_slice(&[0, 0xFF]);
        } else {
            out.push(b);
        }
    }
}

/// Appends one component of a composite key: escaped, then terminated by 0x00 0x00. The
/// terminator sorts below any continuation (an escaped 0x00 is 0x00 0xFF, anything else is
/// above 0x00), so a component sorts before every longer one it is a prefix of, and byte order
/// of whole keys is the order of their component tuples. No encoded component is a prefix of
/// another, so the encoding of leading components is a prefix of exactly the keys that have
/// them.
fn push_component(out: &mut Vec<u8>, bytes: &[u8]) {
    push_escaped(out, bytes);
    out.extend_from_slice(&[0, 0]);
}

/// The offset just past the first `n` components of an encoded key.
fn skip_components(key: &[u8], n: usize) -> Result<usize, StoreError> {
    let mut seen = 0;
    let mut i = 0;
    while seen < n {
        // Only 0x00 is special: 0x00 0xFF is an escaped zero, 0x00 0x00 ends a component.
        let zero = i + key[i..]
            .iter()
            .position(|&b| b == 0)
            .ok_or_else(|| internal("truncated key"))?;
        match key.get(zero + 1) {
            Some(0) => seen += 1,
            Some(0xFF) => {}
            _ => return Err(internal("bad key escape")),
        }
        i = zero + 2;
    }
    Ok(i)
}

/// Splits an encoded key back into its components.
fn split_components(mut key: &[u8]) -> Result<Vec<Vec<u8>>, StoreError> {
    let mut out = Vec::new();
    let mut cur = Vec::new();
    while let Some((&b, rest)) = key.split_first() {
        key = rest;
        if b != 0 {
            cur.push(b);
            continue;
        }
        let (&next, rest) = key
            .split_first()
            .ok_or_else(|| internal("truncated key component"))?;
        key = rest;
        match next {
            0xFF => cur.push(0),
            0 => out.push(std::mem::take(&mut cur)),
            _ => return Err(internal("bad key escape")),
        }
    }
    if !cur.is_empty() {
        return Err(internal("unterminated key component"));
    }
    Ok(out)
}

fn item_key(pk: &str, sk: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(pk.len() + sk.len() + 4);
    push_component(&mut out, pk.as_bytes());
    push_component(&mut out, sk.as_bytes());
    out
}

fn index_key(name: &str, ipk: &str, isk: &[u8], pk: &str, sk: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(name.len() + ipk.len() + isk.len() + pk.len() + sk.len() + 10);
    push_component(&mut out, name.as_bytes());
    push_component(&mut out, ipk.as_bytes());
    push_component(&mut out, isk);
    push_component(&mut out, pk.as_bytes());
    push_component(&mut out, sk.as_bytes());
    out
}

/// Encodes an index sort key so that byte order is value order: numbers before strings.
fn encode_sk(v: &Value) -> Option<Vec<u8>> {
    match v {
        Value::String(s) => {
            let mut out = Vec::with_capacity(s.len() + 1);
            out.push(2);
            out.extend_from_slice(s.as_bytes());
            Some(out)
        }
        Value::Number(n) => {
            let n = n.as_i64()?;
            let mut out = Vec::with_capacity(9);
            out.push(1);
            out.extend_from_slice(&((n as u64) ^ (1 << 63)).to_be_bytes());
            Some(out)
        }
        _ => None,
    }
}

/// The inverse of `encode_sk`.
fn decode_sk(bytes: &[u8]) -> Result<Value, StoreError> {
    match bytes.split_first() {
        Some((2, s)) => Ok(Value::String(
            std::str::from_utf8(s).map_err(internal)?.to_owned(),
        )),
        Some((1, n)) => {
            let n: [u8; 8] = n.try_into().map_err(|_| internal("bad number sort key"))?;
            Ok(Value::from((u64::from_be_bytes(n) ^ (1 << 63)) as i64))
        }
        _ => Err(internal("bad sort key")),
    }
}

/// The table key of an encoded item key.
fn key_of(encoded: &[u8]) -> Result<Key, StoreError> {
    let parts = split_components(encoded)?;
    let [pk, sk] = parts.as_slice() else {
        return Err(internal("item key without 2 components"));
    };
    key_from(pk, sk)
}

/// A table key from its decoded components.
fn key_from(pk: &[u8], sk: &[u8]) -> Result<Key, StoreError> {
    Ok(Key::new(
        std::str::from_utf8(pk).map_err(internal)?,
        std::str::from_utf8(sk).map_err(internal)?,
    ))
}

fn index_entries(item: &Item) -> impl Iterator<Item = (&'static IndexDef, &str, Vec<u8>)> {
    INDEXES.iter().filter_map(move |def| {
        let ipk = item.get(def.pk)?.as_str()?;
        let isk = encode_sk(item.get(def.sk)?)?;
        Some((def, ipk, isk))
    })
}

/// The encoded index keys of `item`, stored under `key`.
fn index_keys(item: &Item, key: &Key) -> Vec<Vec<u8>> {
    index_entries(item)
        .map(|(def, ipk, isk)| index_key(def.name, ipk, &isk, &key.pk, &key.sk))
        .collect()
}

fn start_str<'a>(start: &'a Item, attr: &str) -> Result<&'a str, StoreError> {
    start
        .get(attr)
        .and_then(Value::as_str)
        .ok_or_else(|| StoreError::InvalidStart(format!("start key lacks `{attr}`")))
}

/// The smallest key above every key that starts with `prefix`.
fn prefix_end(prefix: &[u8]) -> Bound<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xFF {
            end.push(last + 1);
            return Bound::Excluded(end);
        }
    }
    Bound::Unbounded
}

type Range = (Bound<Vec<u8>>, Bound<Vec<u8>>);

/// The keys starting with `prefix`, after (forward) or before (backward) the exclusive start
/// key; `None` if that leaves nothing.
fn page_range(prefix: Vec<u8>, start: Option<Vec<u8>>, forward: bool) -> Option<Range> {
    let hi = prefix_end(&prefix);
    let below_hi = |k: &Vec<u8>| match &hi {
        Bound::Excluded(h) => k < h,
        _ => true,
    };
    match start {
        None => Some((Bound::Included(prefix), hi)),
        Some(s) if forward => {
            if s < prefix {
                Some((Bound::Included(prefix), hi))
            } else if below_hi(&s) {
                Some((Bound::Excluded(s), hi))
            } else {
                None
            }
        }
        Some(s) => {
            if s <= prefix {
                None
            } else if below_hi(&s) {
                Some((Bound::Included(prefix), Bound::Excluded(s)))
            } else {
                Some((Bound::Included(prefix), hi))
            }
        }
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
        if let Some(bytes) = self.cache.get(at, key) {
            return Ok(Some(bytes));
        }
        let read = match snapshot {
            Some(s) => s.get(&self.items, key),
            None => self.items.get(key),
        }
        .map_err(internal)?;
        Ok(read.map(|bytes| {
            self.cache.offer(at, key, &bytes);
            bytes.to_vec()
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
                        out.push(v.to_vec());
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
mod tests {
    use super::*;
    use serde_json::json;

    /// Strings that probe the encoding: empty, NUL bytes, prefixes, 0xFF-ish UTF-8.
    const SAMPLES: &[&str] = &[
        "",
        "\0",
        "\0\0",
        "\0a",
        "a",
        "a\0",
        "a\0\0",
        "a\0b",
        "a\u{1}",
        "ab",
        "abc",
        "b",
        "ÿ",
        "\u{10FFFF}",
        "a\u{7f}",
    ];

    #[test]
    fn item_keys_sort_as_tuples() {
        let mut pairs = Vec::new();
        for a in SAMPLES {
            for b in SAMPLES {
                pairs.push((*a, *b));
            }
        }
        for x in &pairs {
            for y in &pairs {
                assert_eq!(
                    item_key(x.0, x.1).cmp(&item_key(y.0, y.1)),
                    x.cmp(y),
                    "{x:?} vs {y:?}"
                );
            }
        }
    }

    #[test]
    fn sort_keys_decode_back() {
        for v in [
            json!(0),
            json!(-1),
            json!(i64::MIN),
            json!(i64::MAX),
            json!(1234),
            json!(""),
            json!("a\u{0}b"),
            json!("Zoë"),
        ] {
            assert_eq!(decode_sk(&encode_sk(&v).unwrap()).unwrap(), v);
        }
    }

    #[test]
    fn index_keys_sort_as_tuples_and_split_back() {
        let mut tuples = Vec::new();
        for a in ["", "a", "a\0"] {
            for isk in [&b""[..], b"\0", b"\x01\xff", b"\x02a", b"\x02a\0"] {
                for pk in ["", "\0", "x"] {
                    for sk in ["", "y", "y\0"] {
                        tuples.push((a, "p", isk, pk, sk));
                    }
                }
            }
        }
        for x in &tuples {
            let kx = index_key(x.0, x.1, x.2, x.3, x.4);
            assert_eq!(&kx[skip_components(&kx, 3).unwrap()..], item_key(x.3, x.4));
            let parts = split_components(&kx).unwrap();
            assert_eq!(
                parts,
                vec![
                    x.0.as_bytes().to_vec(),
                    x.1.as_bytes().to_vec(),
                    x.2.to_vec(),
                    x.3.as_bytes().to_vec(),
                    x.4.as_bytes().to_vec()
                ]
            );
            for y in &tuples {
                let ky = index_key(y.0, y.1, y.2, y.3, y.4);
                assert_eq!(kx.cmp(&ky), x.cmp(y), "{x:?} vs {y:?}");
            }
        }
    }

    #[test]
    fn sort_key_prefixes_select_exactly_the_prefixed_keys() {
        for pk in SAMPLES {
            for prefix in SAMPLES {
                let mut p = Vec::new();
                push_component(&mut p, pk.as_bytes());
                push_escaped(&mut p, prefix.as_bytes());
                for other_pk in SAMPLES {
                    for sk in SAMPLES {
                        let k = item_key(other_pk, sk);
                        let want = other_pk == pk && sk.starts_with(prefix);
                        assert_eq!(
                            k.starts_with(&p),
                            want,
                            "{pk:?}/{prefix:?} vs {other_pk:?}/{sk:?}"
                        );
                        let in_range = match prefix_end(&p) {
                            Bound::Excluded(end) => k >= p && k < end,
                            _ => k >= p,
                        };
                        assert_eq!(in_range, want);
                    }
                }
            }
        }
    }

    fn sold_page(store: &EmbeddedStore) -> Vec<Item> {
        let q = Query {
            index: Some(super::super::keys::BOOKS_BY_SOLD),
            pk: "S0".into(),
            sk_prefix: None,
            forward: false,
            limit: 100,
            start: None,
        };
        let page = store.query_sync(&q).unwrap();
        page.items.iter().map(|r| parse(r).unwrap()).collect()
    }

    /// One transaction adding `delta` to `attr` of each item.
    fn adds(attr: &str, moves: &[(&Key, i64)]) -> Vec<WriteOp> {
        moves
            .iter()
            .map(|(key, delta)| WriteOp::Update {
                key: (*key).clone(),
                set: vec![],
                add: vec![(crate::store::Path::attr(attr), *delta)],
                cond: None,
            })
            .collect()
    }

    /// Readers served from the item cache still see each group whole and never go back in
    /// time: while transfers move units between two items, every `batch_get` and every index
    /// query sees the same total, and successive reads of one item never see an older value.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn cached_reads_see_whole_groups_and_never_go_back() {
        use crate::store::keys::BOOKS_BY_TITLE;
        use std::sync::atomic::{AtomicBool, Ordering};
        let dir = tempfile::tempdir().unwrap();
        let store = EmbeddedStore::open(dir.path()).unwrap();
        let keys = [Key::new("BOOK#a", "BOOK"), Key::new("BOOK#b", "BOOK")];
        for (key, n) in keys.iter().zip([1000, 0]) {
            let mut item = crate::store::expr::key_item(key);
            item.insert("cat".into(), json!("cat"));
            item.insert("title_key".into(), json!(key.pk));
            item.insert("n".into(), json!(n));
            store
                .transact(vec![WriteOp::Put { item, cond: None }])
                .await
                .unwrap();
        }
        let n_of = |raw: &[u8]| parse(raw).unwrap()["n"].as_i64().unwrap();
        let done = Arc::new(AtomicBool::new(false));
        let mut readers = Vec::new();
        for _ in 0..3 {
            let (store, keys, done) = (store.clone(), keys.clone(), done.clone());
            readers.push(tokio::spawn(async move {
                let mut reads = 0;
                let mut last_b = 0;
                while !done.load(Ordering::Relaxed) {
                    let both = store.batch_get_raw(&keys).await.unwrap();
                    let (a, b) = (
                        n_of(both[0].as_deref().unwrap()),
                        n_of(both[1].as_deref().unwrap()),
                    );
                    assert_eq!(a + b, 1000, "batch_get saw half a group");
                    let page = store
                        .query_raw(&Query {
                            index: Some(BOOKS_BY_TITLE),
                            pk: "cat".into(),
                            sk_prefix: None,
                            forward: true,
                            limit: 10,
                            start: None,
                        })
                        .await
                        .unwrap();
                    let total: i64 = page.items.iter().map(|r| n_of(r)).sum();
                    assert_eq!(total, 1000, "a query saw half a group");
                    let b_now = n_of(&store.get_raw(&keys[1]).await.unwrap().unwrap());
                    assert!(b_now >= last_b.max(b), "a read went back in time");
                    last_b = b_now;
                    reads += 1;
                    tokio::task::yield_now().await;
                }
                reads
            }));
        }
        for _ in 0..300 {
            let moves = adds("n", &[(&keys[0], -1), (&keys[1], 1)]);
            store.transact(moves).await.unwrap();
        }
        done.store(true, Ordering::Relaxed);
        for r in readers {
            assert!(r.await.unwrap() > 0);
        }
        let b = store.get_raw(&keys[1]).await.unwrap().unwrap();
        assert_eq!(n_of(&b), 300);
    }

    /// Cached index ranges never outlive the entries they list: while groups move two items
    /// past each other in an index and delete and re-create a third, every page read through
    /// the range cache lists the items of one committed state, in that state's index order,
    /// and never an item that is gone.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn cached_ranges_follow_every_move_in_the_index() {
        use crate::store::keys::BOOKS_BY_SOLD;
        use std::sync::atomic::{AtomicBool, Ordering};
        let dir = tempfile::tempdir().unwrap();
        let store = EmbeddedStore::open(dir.path()).unwrap();
        let item = |pk: &str, sold: i64| {
            let mut item = crate::store::expr::key_item(&Key::new(pk, "BOOK"));
            item.insert("sold_shard".into(), json!("S0"));
            item.insert("sold".into(), json!(sold));
            item
        };
        let (a, b, c) = (
            Key::new("BOOK#a", "BOOK"),
            Key::new("BOOK#b", "BOOK"),
            Key::new("BOOK#c", "BOOK"),
        );
        for (k, n) in [(&a, 600), (&b, 400)] {
            store
                .transact(vec![WriteOp::Put {
                    item: item(&k.pk, n),
                    cond: None,
                }])
                .await
                .unwrap();
        }
        let q = Query {
            index: Some(BOOKS_BY_SOLD),
            pk: "S0".into(),
            sk_prefix: None,
            forward: false,
            limit: 10,
            start: None,
        };
        let done = Arc::new(AtomicBool::new(false));
        let mut readers = Vec::new();
        for _ in 0..3 {
            let (store, q, done) = (store.clone(), q.clone(), done.clone());
            readers.push(tokio::spawn(async move {
                let mut reads = 0;
                while !done.load(Ordering::Relaxed) {
                    let page = store.query_raw(&q).await.expect("a listed item is gone");
                    let rows: Vec<(i64, String)> = page
                        .items
                        .iter()
                        .map(|r| {
                            let item = parse(r).unwrap();
                            (
                                item["sold"].as_i64().unwrap(),
                                item["pk"].as_str().unwrap().to_owned(),
                            )
                        })
                        .collect();
                    let ab: i64 = rows.iter().filter(|r| r.1 != "BOOK#c").map(|r| r.0).sum();
                    assert_eq!(ab, 1000, "a page of half a group: {rows:?}");
                    assert!(
                        rows.windows(2).all(|w| w[0] > w[1]),
                        "a page out of index order: {rows:?}"
                    );
                    reads += 1;
                    tokio::task::yield_now().await;
                }
                reads
            }));
        }
        for i in 0..300 {
            // a and b trade places every 50 rounds (600/400 → 250/750 and back).
            let d = if (i / 50) % 2 == 0 { 7 } else { -7 };
            store
                .transact(adds("sold", &[(&a, -d), (&b, d)]))
                .await
                .unwrap();
            let op = if i % 2 == 0 {
                WriteOp::Put {
                    item: item(&c.pk, 500),
                    cond: None,
                }
            } else {
                WriteOp::Delete {
                    key: c.clone(),
                    cond: None,
                }
            };
            store.transact(vec![op]).await.unwrap();
        }
        done.store(true, Ordering::Relaxed);
        for r in readers {
            assert!(r.await.unwrap() > 0);
        }
        assert_eq!(store.query_raw(&q).await.unwrap().items.len(), 2);
    }

    /// Many transactions on one item land in one group: each sees the previous one's write,
    /// and the index holds exactly the final entry. Everything survives a reopen.
    #[tokio::test]
    async fn a_group_chains_writes_and_keeps_the_index_exact() {
        use crate::store::{Cond, Path as P};
        use serde_json::json;
        let dir = tempfile::tempdir().unwrap();
        let store = EmbeddedStore::open(dir.path()).unwrap();
        let key = Key::new("BOOK#1", "BOOK");
        let mut book = crate::store::expr::key_item(&key);
        book.insert("sold_shard".into(), json!("S0"));
        book.insert("sold".into(), json!(0));
        book.insert("stock".into(), json!(50));
        store
            .transact(vec![WriteOp::Put {
                item: book,
                cond: None,
            }])
            .await
            .unwrap();
        let sell = || WriteOp::Update {
            key: key.clone(),
            set: vec![],
            add: vec![(P::attr("stock"), -1), (P::attr("sold"), 1)],
            cond: Some(Cond::Ge(P::attr("stock"), 1)),
        };
        let results =
            futures::future::join_all((0..80).map(|_| store.transact(vec![sell()]))).await;
        let ok = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(ok, 50, "{results:?}");
        assert!(results.iter().all(|r| match r {
            Ok(()) => true,
            Err(StoreError::ConditionFailed(v)) => v == &[0],
            Err(_) => false,
        }));
        let page = sold_page(&store);
        assert_eq!(page.len(), 1);
        assert_eq!(page[0]["sold"], json!(50));
        assert_eq!(page[0]["stock"], json!(0));
        // Delete and re-create in one group: the index follows the last state.
        let del = store.transact(vec![WriteOp::Delete {
            key: key.clone(),
            cond: None,
        }]);
        let mut again = crate::store::expr::key_item(&key);
        again.insert("sold_shard".into(), json!("S0"));
        again.insert("sold".into(), json!(7));
        let put = store.transact(vec![WriteOp::Put {
            item: again,
            cond: Some(Cond::NotExists),
        }]);
        let (a, b) = futures::join!(del, put);
        a.unwrap();
        b.unwrap();
        drop(store);
        // The writer thread lets go of the database once every handle is gone.
        let store = loop {
            match EmbeddedStore::open(dir.path()) {
                Ok(s) => break s,
                Err(_) => std::thread::sleep(std::time::Duration::from_millis(20)),
            }
        };
        let page = sold_page(&store);
        assert_eq!(page.len(), 1);
        assert_eq!(page[0]["sold"], json!(7));
        assert_eq!(store.get(&key).await.unwrap().unwrap()["sold"], json!(7));
    }

    #[test]
    fn numbers_sort_before_strings_and_in_order() {
        let vals = [
            serde_json::json!(i64::MIN),
            serde_json::json!(-1),
            serde_json::json!(0),
            serde_json::json!(7),
            serde_json::json!(i64::MAX),
            serde_json::json!(""),
            serde_json::json!("a"),
        ];
        for w in vals.windows(2) {
            let (a, b) = (encode_sk(&w[0]).unwrap(), encode_sk(&w[1]).unwrap());
            let (mut ka, mut kb) = (Vec::new(), Vec::new());
            push_component(&mut ka, &a);
            push_component(&mut kb, &b);
            assert!(ka < kb, "{:?} < {:?}", w[0], w[1]);
        }
    }
}
