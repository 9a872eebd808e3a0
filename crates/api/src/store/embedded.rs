//! The embedded store: redb (a crash-safe copy-on-write B-tree) in one file, with group commit.
//!
//! Every transaction goes to a single writer thread. It takes whatever transactions are
//! waiting, checks and applies each of them in turn inside one redb write transaction (a
//! transaction whose conditions fail writes nothing, and later ones see earlier ones' writes),
//! commits once with an fsync, and only then answers each caller. So an acknowledged write
//! survives `kill -9`, and one fsync is shared by as many orders as arrive meanwhile.
//!
//! Global secondary indexes live in one redb table keyed by
//! `(index, index pk, encoded index sk, pk, sk)`, maintained in the same write transaction.
use super::expr::{apply, cond_of, holds};
use super::keys::{INDEXES, IndexDef, index};
use super::{
    Item, Key, Query, QueryPage, RawItem, RawPage, Store, StoreError, WriteOp, check_transaction,
    last_key,
};
use async_trait::async_trait;
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde_json::Value;
use std::ops::Bound;
use std::path::Path;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

const ITEMS: TableDefinition<(&str, &str), &[u8]> = TableDefinition::new("items");
const INDEX: TableDefinition<(&str, &str, &[u8], &str, &str), ()> = TableDefinition::new("index");

/// How many waiting transactions one commit takes at most.
const MAX_GROUP: usize = 1024;

type Reply = oneshot::Sender<Result<(), StoreError>>;

#[derive(Clone)]
pub struct EmbeddedStore {
    db: Arc<Database>,
    writer: mpsc::UnboundedSender<(Vec<WriteOp>, Reply)>,
}

fn internal(e: impl std::fmt::Display) -> StoreError {
    StoreError::Internal(e.to_string())
}

impl EmbeddedStore {
    /// Opens (or creates) the database file `dir/bookstore.redb`.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir).map_err(internal)?;
        let db = Database::builder()
            .set_cache_size(256 * 1024 * 1024)
            .create(dir.join("bookstore.redb"))
            .map_err(internal)?;
        // Create the tables up front so that readers never meet a missing table.
        let txn = db.begin_write().map_err(internal)?;
        txn.open_table(ITEMS).map_err(internal)?;
        txn.open_table(INDEX).map_err(internal)?;
        txn.commit().map_err(internal)?;
        let db = Arc::new(db);
        let (writer, rx) = mpsc::unbounded_channel();
        let writer_db = db.clone();
        std::thread::Builder::new()
            .name("redb-writer".into())
            .spawn(move || write_loop(&writer_db, rx))
            .map_err(internal)?;
        Ok(Self { db, writer })
    }
}

fn write_loop(db: &Database, mut rx: mpsc::UnboundedReceiver<(Vec<WriteOp>, Reply)>) {
    while let Some(first) = rx.blocking_recv() {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        match commit_group(db, &group) {
            Ok(results) => {
                for ((_, reply), result) in group.into_iter().zip(results) {
                    let _ = reply.send(result);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "embedded store commit failed");
                for (_, reply) in group {
                    let _ = reply.send(Err(StoreError::Internal(e.to_string())));
                }
            }
        }
    }
}

type Items<'t> = redb::Table<'t, (&'static str, &'static str), &'static [u8]>;
type Index<'t> = redb::Table<
    't,
    (
        &'static str,
        &'static str,
        &'static [u8],
        &'static str,
        &'static str,
    ),
    (),
>;

/// Applies each transaction of the group in order and commits once. The outer error aborts
/// the whole group (nothing is written, every caller gets an error).
fn commit_group(
    db: &Database,
    group: &[(Vec<WriteOp>, Reply)],
) -> Result<Vec<Result<(), StoreError>>, StoreError> {
    let txn = db.begin_write().map_err(internal)?;
    let mut results = Vec::with_capacity(group.len());
    {
        let mut items = txn.open_table(ITEMS).map_err(internal)?;
        let mut index = txn.open_table(INDEX).map_err(internal)?;
        for (ops, _) in group {
            results.push(apply_transaction(&mut items, &mut index, ops)?);
        }
    }
    txn.commit().map_err(internal)?;
    Ok(results)
}

fn read_raw<T: ReadableTable<(&'static str, &'static str), &'static [u8]>>(
    table: &T,
    key: &Key,
) -> Result<Option<RawItem>, StoreError> {
    Ok(table
        .get((key.pk.as_str(), key.sk.as_str()))
        .map_err(internal)?
        .map(|bytes| bytes.value().to_vec()))
}

fn parse(raw: &[u8]) -> Result<Item, StoreError> {
    serde_json::from_slice(raw).map_err(internal)
}

fn read_item<T: ReadableTable<(&'static str, &'static str), &'static [u8]>>(
    table: &T,
    key: &Key,
) -> Result<Option<Item>, StoreError> {
    read_raw(table, key)?.as_deref().map(parse).transpose()
}

/// The inner result is this transaction's answer; the outer error is fatal for the group.
fn apply_transaction(
    items: &mut Items<'_>,
    index: &mut Index<'_>,
    ops: &[WriteOp],
) -> Result<Result<(), StoreError>, StoreError> {
    if let Err(e) = check_transaction(ops) {
        return Ok(Err(e));
    }
    let mut keys = Vec::with_capacity(ops.len());
    let mut before = Vec::with_capacity(ops.len());
    for op in ops {
        let key = op.key().ok_or_else(|| internal("checked above"))?;
        before.push(read_item(items, &key)?);
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
    // Compute every new state before writing anything, so a bad update writes nothing.
    let mut after = Vec::with_capacity(ops.len());
    for (op, old) in ops.iter().zip(&before) {
        match apply(op, old.clone()) {
            Ok(new) => after.push(new),
            Err(e) => return Ok(Err(e)),
        }
    }
    for ((op, key), (old, new)) in ops.iter().zip(&keys).zip(before.iter().zip(&after)) {
        if matches!(op, WriteOp::Check { .. }) {
            continue;
        }
        if let Some(old) = old {
            for (def, ipk, isk) in index_entries(old) {
                index
                    .remove((
                        def.name,
                        ipk,
                        isk.as_slice(),
                        key.pk.as_str(),
                        key.sk.as_str(),
                    ))
                    .map_err(internal)?;
            }
        }
        match new {
            Some(new) => {
                let bytes = serde_json::to_vec(new).map_err(internal)?;
                items
                    .insert((key.pk.as_str(), key.sk.as_str()), bytes.as_slice())
                    .map_err(internal)?;
                for (def, ipk, isk) in index_entries(new) {
                    index
                        .insert(
                            (
                                def.name,
                                ipk,
                                isk.as_slice(),
                                key.pk.as_str(),
                                key.sk.as_str(),
                            ),
                            (),
                        )
                        .map_err(internal)?;
                }
            }
            None => {
                items
                    .remove((key.pk.as_str(), key.sk.as_str()))
                    .map_err(internal)?;
            }
        }
    }
    Ok(Ok(()))
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

fn index_entries(item: &Item) -> impl Iterator<Item = (&'static IndexDef, &str, Vec<u8>)> {
    INDEXES.iter().filter_map(move |def| {
        let ipk = item.get(def.pk)?.as_str()?;
        let isk = encode_sk(item.get(def.sk)?)?;
        Some((def, ipk, isk))
    })
}

fn start_str<'a>(start: &'a Item, attr: &str) -> Result<&'a str, StoreError> {
    start
        .get(attr)
        .and_then(Value::as_str)
        .ok_or_else(|| StoreError::Invalid(format!("start key lacks `{attr}`")))
}

impl EmbeddedStore {
    fn query_sync(&self, q: &Query) -> Result<RawPage, StoreError> {
        let txn = self.db.begin_read().map_err(internal)?;
        let items = txn.open_table(ITEMS).map_err(internal)?;
        let limit = q.limit.max(1);
        let mut out = Vec::with_capacity(limit.min(128));
        let mut more = false;
        let prefix = q.sk_prefix.as_deref().unwrap_or("");
        // Both branches walk keys in order and stop at the partition's end or `limit + 1`.
        match q.index {
            None => {
                let after = format!("{}\0", q.pk);
                let lo: Bound<(&str, &str)> = match &q.start {
                    Some(s) if q.forward => Bound::Excluded((q.pk.as_str(), start_str(s, "sk")?)),
                    _ => Bound::Included((q.pk.as_str(), prefix)),
                };
                let hi: Bound<(&str, &str)> = match &q.start {
                    Some(s) if !q.forward => Bound::Excluded((q.pk.as_str(), start_str(s, "sk")?)),
                    _ => Bound::Excluded((after.as_str(), "")),
                };
                let range = items.range::<(&str, &str)>((lo, hi)).map_err(internal)?;
                let iter: Box<dyn Iterator<Item = _>> = if q.forward {
                    Box::new(range)
                } else {
                    Box::new(range.rev())
                };
                for entry in iter {
                    let (k, v) = entry.map_err(internal)?;
                    let (pk, sk) = k.value();
                    if pk != q.pk {
                        break;
                    }
                    if !sk.starts_with(prefix) {
                        if q.forward || sk < prefix {
                            break;
                        }
                        continue;
                    }
                    if out.len() == limit {
                        more = true;
                        break;
                    }
                    out.push(v.value().to_vec());
                }
            }
            Some(name) => {
                let def =
                    index(name).ok_or_else(|| StoreError::Invalid(format!("no index {name}")))?;
                let idx = txn.open_table(INDEX).map_err(internal)?;
                let mut sk_prefix = vec![2u8];
                sk_prefix.extend_from_slice(prefix.as_bytes());
                let sk_prefix: &[u8] = if prefix.is_empty() { &[] } else { &sk_prefix };
                let after = format!("{}\0", q.pk);
                let start = match &q.start {
                    Some(s) => {
                        let isk = s.get(def.sk).and_then(encode_sk).ok_or_else(|| {
                            StoreError::Invalid("start key lacks the index key".into())
                        })?;
                        if start_str(s, def.pk)? != q.pk {
                            return Err(StoreError::Invalid(
                                "start key of another partition".into(),
                            ));
                        }
                        Some((isk, start_str(s, "pk")?, start_str(s, "sk")?))
                    }
                    None => None,
                };
                type K<'a> = (&'a str, &'a str, &'a [u8], &'a str, &'a str);
                let lo: Bound<K<'_>> = match &start {
                    Some((isk, pk, sk)) if q.forward => {
                        Bound::Excluded((name, q.pk.as_str(), isk, pk, sk))
                    }
                    _ => Bound::Included((name, q.pk.as_str(), sk_prefix, "", "")),
                };
                let hi: Bound<K<'_>> = match &start {
                    Some((isk, pk, sk)) if !q.forward => {
                        Bound::Excluded((name, q.pk.as_str(), isk, pk, sk))
                    }
                    _ => Bound::Excluded((name, after.as_str(), &[], "", "")),
                };
                let range = idx.range::<K<'_>>((lo, hi)).map_err(internal)?;
                let iter: Box<dyn Iterator<Item = _>> = if q.forward {
                    Box::new(range)
                } else {
                    Box::new(range.rev())
                };
                for entry in iter {
                    let (k, _) = entry.map_err(internal)?;
                    let (iname, ipk, isk, pk, sk) = k.value();
                    if iname != name || ipk != q.pk {
                        break;
                    }
                    if !isk.starts_with(sk_prefix) {
                        if q.forward || isk < sk_prefix {
                            break;
                        }
                        continue;
                    }
                    if out.len() == limit {
                        more = true;
                        break;
                    }
                    let item = read_raw(&items, &Key::new(pk, sk))?
                        .ok_or_else(|| internal("index entry without item"))?;
                    out.push(item);
                }
            }
        }
        let def = q.index.and_then(index);
        let last_key = match out.last() {
            Some(raw) if more => Some(last_key(&parse(raw)?, def)),
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
        // Reads are short and served from redb's cache: run them inline rather than paying
        // for a hop to the blocking pool.
        let txn = self.db.begin_read().map_err(internal)?;
        let table = txn.open_table(ITEMS).map_err(internal)?;
        read_item(&table, key)
    }

    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, StoreError> {
        if keys.len() > 100 {
            return Err(StoreError::Invalid(
                "batch_get takes at most 100 keys".into(),
            ));
        }
        let txn = self.db.begin_read().map_err(internal)?;
        let table = txn.open_table(ITEMS).map_err(internal)?;
        keys.iter().map(|k| read_item(&table, k)).collect()
    }

    async fn transact(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        check_transaction(&ops)?;
        let (reply, answer) = oneshot::channel();
        self.writer
            .send((ops, reply))
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
        let txn = self.db.begin_read().map_err(internal)?;
        txn.open_table(ITEMS).map_err(internal)?;
        Ok(())
    }

    async fn get_raw(&self, key: &Key) -> Result<Option<RawItem>, StoreError> {
        let txn = self.db.begin_read().map_err(internal)?;
        let table = txn.open_table(ITEMS).map_err(internal)?;
        read_raw(&table, key)
    }

    async fn batch_get_raw(&self, keys: &[Key]) -> Result<Vec<Option<RawItem>>, StoreError> {
        if keys.len() > 100 {
            return Err(StoreError::Invalid(
                "batch_get takes at most 100 keys".into(),
            ));
        }
        let txn = self.db.begin_read().map_err(internal)?;
        let table = txn.open_table(ITEMS).map_err(internal)?;
        keys.iter().map(|k| read_raw(&table, k)).collect()
    }

    async fn query_raw(&self, query: &Query) -> Result<RawPage, StoreError> {
        self.query_sync(query)
    }
}
