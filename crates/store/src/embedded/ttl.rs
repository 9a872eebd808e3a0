//! DynamoDB's time to live on the embedded store: an item whose top-level `ttl` (epoch seconds)
//! has passed is removed when fjall next compacts the table holding it, as DynamoDB removes
//! such items some time after they expire. Without it, idempotency keys, spent links, fences
//! and per-minute operations figures would stay on disk for ever.
//!
//! Like DynamoDB, removal is lazy: until then an expired item still reads, so the shop's code
//! compares `ttl` with the clock wherever expiry matters (checkout's idempotency keys, links).
//! Items that carry an index attribute are kept: their index entries live in the other
//! keyspace, which a compaction of this one cannot touch (no such item has a `ttl` today).
use crate::keys::INDEXES;
use fjall::compaction::filter::{
    CompactionFilter, CompactionFilterResult, Context, Factory, ItemAccessor, Verdict,
};
use serde_json::{Map, Value};
use std::time::{SystemTime, UNIX_EPOCH};

/// Hands each compaction of the `items` keyspace a filter that knows the time it started.
pub(super) struct Expiry;

impl Factory for Expiry {
    fn name(&self) -> &str {
        "ttl"
    }

    fn make_filter(&self, _: &Context) -> Box<dyn CompactionFilter> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        Box::new(ExpiryFilter { now })
    }
}

struct ExpiryFilter {
    now: i64,
}

impl CompactionFilter for ExpiryFilter {
    fn filter_item(&mut self, item: ItemAccessor<'_>, _: &Context) -> CompactionFilterResult {
        // A tombstone, not a silent drop: an older version of the item in a lower level must
        // not come back.
        Ok(if expired(&item.value()?, self.now) {
            Verdict::Remove
        } else {
            Verdict::Keep
        })
    }
}

/// Whether the stored item `raw` (its JSON) has a `ttl` before `now` and no index attribute.
pub(super) fn expired(raw: &[u8], now: i64) -> bool {
    // Most items have no `ttl`: look for the name before parsing.
    if !raw.windows(5).any(|w| w == b"\"ttl\"") {
        return false;
    }
    let Ok(item) = serde_json::from_slice::<Map<String, Value>>(raw) else {
        return false;
    };
    let due = item.get("ttl").and_then(Value::as_i64);
    due.is_some_and(|t| t < now) && !INDEXES.iter().any(|i| item.contains_key(i.pk))
}
