//! Writes the store did not confirm ([`StoreError::Unknown`]: a timeout or a lost connection
//! after the request was sent) are resolved before the client is answered: the request knows an
//! item only its own write creates, and reads it back. Telling a client "unavailable, retry"
//! about a write that was applied invites it to repeat an order.
use crate::store::{Cond, Item, Key, Store, StoreError, WriteOp};
use std::time::Duration;

/// Read-backs before giving up; each is bounded by the store's own timeouts.
const READ_BACKS: u32 = 4;
/// How long a fence is kept: far longer than any write can be in flight.
const FENCE_TTL_SECS: i64 = 7 * 24 * 3600;

/// What a tombstone left by [`transact_resolved`] holds besides its key.
const VOID: &str = "void";

/// Whether a stored item is a fence (a write known not to have happened), not the item.
pub fn is_void(item: &Item) -> bool {
    item.contains_key(VOID)
}

/// How a write whose outcome the store left unknown is resolved.
#[derive(Debug, Clone)]
pub struct Probe {
    /// An item only this write creates, with [`Cond::NotExists`].
    pub key: Key,
    /// When the item is still absent, put a tombstone in its place (if it is still absent), so
    /// that the write, should it yet arrive, fails its condition: then it certainly did not
    /// happen. Only for items that no listing reads without skipping tombstones.
    pub fence: bool,
}

/// Applies `ops` like [`Store::transact`]; when the store cannot say whether they were applied,
/// reads `probe` back (consistently, retrying while the store is slow) and answers `Ok` if they
/// were, [`StoreError::Unavailable`] if they certainly were not, and [`StoreError::Unknown`]
/// only if it still cannot tell.
pub async fn transact_resolved(
    store: &dyn Store,
    ops: Vec<WriteOp>,
    probe: &Probe,
) -> Result<(), StoreError> {
    let cause = match store.transact(ops).await {
        Err(StoreError::Unknown(cause)) => cause,
        other => return other,
    };
    tracing::warn!(%cause, key = ?probe.key, "write outcome unknown; reading it back");
    let mut last = cause;
    for attempt in 0..READ_BACKS {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(100 << attempt)).await;
        }
        match store.get(&probe.key).await {
            Ok(Some(item)) if is_void(&item) => return Err(not_applied()),
            Ok(Some(_)) => return Ok(()),
            Ok(None) if probe.fence => match store.transact(vec![tombstone(&probe.key)]).await {
                Ok(()) => return Err(not_applied()),
                // The write, or an earlier fence, landed meanwhile: read which.
                Err(StoreError::ConditionFailed(_)) => {}
                Err(e) => last = e.to_string(),
            },
            Ok(None) => last = "not found when read back; the write may still be applied".into(),
            Err(e) => last = e.to_string(),
        }
    }
    Err(StoreError::Unknown(last))
}

fn not_applied() -> StoreError {
    StoreError::Unavailable("the store did not confirm a write, and it was not applied".into())
}

fn tombstone(key: &Key) -> WriteOp {
    let mut item = crate::store::expr::key_item(key);
    item.insert(VOID.into(), true.into());
    item.insert(
        "ttl".into(),
        (chrono::Utc::now().timestamp() + FENCE_TTL_SECS).into(),
    );
    WriteOp::Put {
        item,
        cond: Some(Cond::NotExists),
    }
}

/// An admin change, resolved by its audit entry: the last of `ops`, written only by it.
pub async fn transact_audited(store: &dyn Store, ops: Vec<WriteOp>) -> Result<(), StoreError> {
    let Some(key) = ops.last().and_then(WriteOp::key) else {
        return store.transact(ops).await;
    };
    // No fence: the audit log lists every entry, tombstones included.
    transact_resolved(store, ops, &Probe { key, fence: false }).await
}
