//! The single writer thread: group commit of waiting transactions (see the module docs of
//! `embedded`).
use super::codec::*;
use super::*;

impl EmbeddedStore {
    pub(super) fn write_loop(self, mut rx: mpsc::UnboundedReceiver<Job>) {
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
pub(super) struct Touched {
    committed_exists: bool,
    committed_index: Vec<Vec<u8>>,
    current: Option<Item>,
    prepared: Option<Prepared>,
}

/// The group's pending writes, consulted before the committed state.
pub(super) struct Overlay<'a> {
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
                match self.cache.get_shared(self.cache.read_gen(), &k) {
                    Some(bytes) => parse(&bytes).map(Some),
                    None => read_item(&self.snapshot, self.items, &k),
                }
            }
        }
    }
}

/// Commits the group's net effect as one synced batch: per touched item its final state, and
/// the index entries that changed. Each key appears at most once in a batch.
pub(super) fn commit(
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

pub(super) fn read_item(
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
pub(super) fn apply_transaction(
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
