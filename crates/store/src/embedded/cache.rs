//! A read cache of committed items (and of the index ranges queries scan) for the embedded
//! store, keyed by encoded key. It never weakens what readers see:
//!
//! - A cached entry is always the **latest committed** state of its item: the writer removes
//!   every key a group writes *before* committing the group, and readers only insert what they
//!   read when no group has started since they took their snapshot (checked under the shard
//!   lock, which the writer's removal also takes).
//! - A reader uses an entry only if it was inserted no later than the reader's snapshot
//!   (generation `gen <= reader's`), so multi-key reads still see a group entirely or not at
//!   all. The writer bumps `gen` to an odd number before invalidating and to the next even one
//!   after the commit is visible.
//! - Items a group updated in place (a book's stock) are put back with their new bytes once the
//!   commit is visible (`WriteGuard::replace`, `publish`); a range is filed under its index
//!   partition and dropped by any group that inserts or removes an entry there.
//!
//! Memory is bounded: a shard that would outgrow its share is emptied. Why it exists and what
//! it saved: `docs/design-notes.md`.
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockWriteGuard};

use crate::RawItem;

mod front;

const SHARDS: usize = 64;

/// Each thread's copies ([`front`]): a share of the budget, at most 8 MiB.
const FRONT_SHARE: usize = 16;
const FRONT_MAX: usize = 8 << 20;

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

type Map = HashMap<Box<[u8]>, Entry, foldhash::fast::RandomState>;

struct Entry {
    generation: u64,
    /// Shared with the readers it was handed to, and so is what they keep beside it.
    item: RawItem,
}

#[derive(Default)]
struct Shard {
    map: Map,
    bytes: usize,
}

/// What an entry counts against its shard's budget.
fn entry_size(key: &[u8], entry: &Entry) -> usize {
    key.len() + entry.item.len() + 64
}

impl Shard {
    fn remove(&mut self, key: &[u8]) -> Option<Entry> {
        let old = self.map.remove(key)?;
        self.bytes -= entry_size(key, &old);
        Some(old)
    }

    /// Inserts or replaces; a shard that would outgrow `budget` is emptied first.
    fn insert(&mut self, budget: usize, key: Box<[u8]>, entry: Entry) {
        self.remove(&key);
        let size = entry_size(&key, &entry);
        if self.bytes + size > budget {
            self.map.clear();
            self.bytes = 0;
        }
        self.bytes += size;
        self.map.insert(key, entry);
    }
}

pub(super) struct ItemCache {
    /// Tells this cache's copies in a thread's [`front`] from another's.
    id: u64,
    generation: AtomicU64,
    shards: Vec<RwLock<Shard>>,
    shard_budget: usize,
    hasher: foldhash::fast::RandomState,
    ranges: RwLock<Ranges>,
    range_budget: usize,
}

/// A cached index range: the index keys a scan returned, and whether more followed.
#[derive(Clone)]
pub(super) struct CachedRange {
    pub keys: Arc<[Box<[u8]>]>,
    pub more: bool,
}

struct RangeEntry {
    generation: u64,
    range: CachedRange,
}

type PartitionRanges = HashMap<Box<[u8]>, RangeEntry>;

/// Ranges by index partition (encoded index name and partition key), then by the range's
/// own key (see [`range_key`]).
#[derive(Default)]
struct Ranges {
    partitions: HashMap<Box<[u8]>, PartitionRanges, foldhash::fast::RandomState>,
    bytes: usize,
}

fn range_size(key: &[u8], range: &CachedRange) -> usize {
    key.len() + range.keys.iter().map(|k| k.len() + 16).sum::<usize>() + 96
}

/// Identifies one scan of a partition: where it starts, which way it goes and how many
/// entries it takes (`prefix` is the partition plus any sort-key prefix).
pub(super) fn range_key(
    prefix: &[u8],
    start: Option<&[u8]>,
    forward: bool,
    limit: usize,
) -> Box<[u8]> {
    let mut out = Vec::with_capacity(prefix.len() + start.map_or(0, <[u8]>::len) + 14);
    out.push(u8::from(forward));
    out.extend_from_slice(&(limit as u64).to_be_bytes());
    out.extend_from_slice(&(prefix.len() as u32).to_be_bytes());
    out.extend_from_slice(prefix);
    if let Some(start) = start {
        out.push(1);
        out.extend_from_slice(start);
    }
    out.into()
}

/// The reader's view: the generation observed before its snapshot was taken.
#[derive(Clone, Copy)]
pub(super) struct ReadGen(u64);

impl ItemCache {
    /// `budget_bytes` for items, `range_budget` for index ranges.
    pub(super) fn new(budget_bytes: usize, range_budget: usize) -> Self {
        Self {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            generation: AtomicU64::new(0),
            shards: (0..SHARDS).map(|_| RwLock::default()).collect(),
            shard_budget: budget_bytes / SHARDS,
            hasher: foldhash::fast::RandomState::default(),
            ranges: RwLock::default(),
            range_budget,
        }
    }

    /// The range `key` of `partition` as the reader's snapshot sees it, if cached.
    pub(super) fn range(&self, at: ReadGen, partition: &[u8], key: &[u8]) -> Option<CachedRange> {
        let ranges = self.ranges.read().unwrap_or_else(|e| e.into_inner());
        ranges
            .partitions
            .get(partition)?
            .get(key)
            .filter(|e| e.generation <= at.0)
            .map(|e| e.range.clone())
    }

    /// Offers a range a reader scanned at `at`; kept only if no group has started since.
    pub(super) fn offer_range(
        &self,
        at: ReadGen,
        partition: &[u8],
        key: Box<[u8]>,
        range: CachedRange,
    ) {
        // Checked before the lock too: under a stream of groups most offers are refused, and
        // a refused one should not queue behind readers for the write lock.
        if at.0 % 2 == 1 || self.generation.load(Ordering::SeqCst) != at.0 {
            return;
        }
        let mut ranges = self.ranges.write().unwrap_or_else(|e| e.into_inner());
        if self.generation.load(Ordering::SeqCst) != at.0 {
            return;
        }
        let size = range_size(&key, &range);
        if ranges.bytes + size > self.range_budget {
            // Like a full item shard: emptied, not grown.
            ranges.partitions.clear();
            ranges.bytes = 0;
        }
        let entry = RangeEntry {
            generation: at.0,
            range,
        };
        let ranges = &mut *ranges;
        let part = ranges.partitions.entry(partition.into()).or_default();
        if let Some(old) = part.insert(key.clone(), entry) {
            ranges.bytes -= range_size(&key, &old.range);
        }
        ranges.bytes += size;
    }

    /// Call before taking the snapshot (or doing the plain read) the cache stands in for.
    pub(super) fn read_gen(&self) -> ReadGen {
        ReadGen(self.generation.load(Ordering::SeqCst))
    }

    fn shard(&self, key: &[u8]) -> &RwLock<Shard> {
        use std::hash::BuildHasher;
        &self.shards[(self.hasher.hash_one(key) as usize) % SHARDS]
    }

    fn shard_mut(&self, key: &[u8]) -> RwLockWriteGuard<'_, Shard> {
        self.shard(key).write().unwrap_or_else(|e| e.into_inner())
    }

    /// The item as the reader's snapshot sees it, if cached: while no group has begun since
    /// `at`, this thread's own copy (see [`front`]).
    pub(super) fn get(&self, at: ReadGen, key: &[u8]) -> Option<RawItem> {
        let quiet = at.0.is_multiple_of(2) && self.generation.load(Ordering::SeqCst) == at.0;
        if quiet && let Some(own) = front::get(self.id, at.0, key) {
            return Some(own);
        }
        let shared = self.get_shared(at, key)?;
        if !quiet {
            return Some(shared);
        }
        let budget = (self.shard_budget * SHARDS / FRONT_SHARE).min(FRONT_MAX);
        Some(front::keep(self.id, at.0, key, &shared, budget))
    }

    /// The shared entry, as [`get`](Self::get) without this thread's copies: for the writer,
    /// whose own groups move the generation at every turn.
    pub(super) fn get_shared(&self, at: ReadGen, key: &[u8]) -> Option<RawItem> {
        let shard = self.shard(key).read().unwrap_or_else(|e| e.into_inner());
        shard
            .map
            .get(key)
            .filter(|e| e.generation <= at.0)
            .map(|e| e.item.clone())
    }

    /// Offers what a reader read at `at`; kept only if no group has started since.
    pub(super) fn offer(&self, at: ReadGen, key: &[u8], item: &RawItem) {
        if at.0 % 2 == 1 {
            return;
        }
        let mut shard = self.shard_mut(key);
        if self.generation.load(Ordering::SeqCst) != at.0 || shard.map.contains_key(key) {
            return;
        }
        shard.insert(
            self.shard_budget,
            key.into(),
            Entry {
                generation: at.0,
                item: item.clone(),
            },
        );
    }

    /// Starts a write: from here until the returned guard drops, readers insert nothing.
    /// Invalidate every key of the group through the guard before committing it.
    pub(super) fn begin_write(&self) -> WriteGuard<'_> {
        self.generation.fetch_add(1, Ordering::SeqCst);
        WriteGuard {
            cache: self,
            refill: Vec::new(),
            published: false,
        }
    }
}

/// A key and the bytes a group wrote to it.
type Refill = (Box<[u8]>, RawItem);

pub(super) struct WriteGuard<'a> {
    cache: &'a ItemCache,
    /// Keys to put back when the group is visible, with their new bytes.
    refill: Vec<Refill>,
    published: bool,
}

impl WriteGuard<'_> {
    /// Removes `key`; returns whether it was cached.
    pub(super) fn invalidate(&self, key: &[u8]) -> bool {
        self.cache.shard_mut(key).remove(key).is_some()
    }

    /// Removes `key`, the group writing `bytes` to it; if it was cached, or `keep`, `publish`
    /// puts it back with `bytes`.
    pub(super) fn replace(&mut self, key: &[u8], bytes: &[u8], keep: bool) {
        if self.invalidate(key) || keep {
            self.refill.push((key.into(), RawItem::from(bytes)));
        }
    }

    /// Drops every cached range of these index partitions (the group inserts or removes
    /// entries in them).
    pub(super) fn invalidate_partitions<'k>(&self, partitions: impl IntoIterator<Item = &'k [u8]>) {
        let mut ranges = self.cache.ranges.write().unwrap_or_else(|e| e.into_inner());
        for p in partitions {
            if let Some(part) = ranges.partitions.remove(p) {
                let freed: usize = part.iter().map(|(k, e)| range_size(k, &e.range)).sum();
                ranges.bytes -= freed;
            }
        }
    }

    /// The group's commit is visible: readers may cache again, and the replaced entries are
    /// back, each marked with the generation that first sees the commit.
    pub(super) fn publish(mut self) {
        self.published = true;
        let generation = self.cache.generation.fetch_add(1, Ordering::SeqCst) + 1;
        for (key, item) in std::mem::take(&mut self.refill) {
            // A reader may have cached the same committed bytes meanwhile: replaced.
            self.cache.shard_mut(&key).insert(
                self.cache.shard_budget,
                key,
                Entry { generation, item },
            );
        }
    }
}

impl Drop for WriteGuard<'_> {
    /// The group is abandoned: entries read from now on may be cached, nothing is put back.
    fn drop(&mut self) {
        if !self.published {
            self.cache.generation.fetch_add(1, Ordering::SeqCst);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(bytes: &[u8]) -> RawItem {
        RawItem::from(bytes)
    }

    #[test]
    fn entries_serve_only_snapshots_that_see_them() {
        let cache = ItemCache::new(1 << 20, 1 << 20);
        let before = cache.read_gen();
        cache.offer(before, b"k", &raw(b"v1"));
        assert_eq!(cache.get(before, b"k").as_deref(), Some(&b"v1"[..]));

        // A group writes k: it is gone at once, and nothing read meanwhile is kept.
        let w = cache.begin_write();
        w.invalidate(b"k");
        let during = cache.read_gen();
        assert_eq!(cache.get(during, b"k"), None);
        cache.offer(during, b"k", &raw(b"v1"));
        cache.offer(before, b"k", &raw(b"v1"));
        assert_eq!(cache.get(during, b"k"), None);
        drop(w);

        // A reader whose snapshot predates the commit may not insert its (stale) read.
        cache.offer(before, b"k", &raw(b"v1"));
        assert_eq!(cache.get(cache.read_gen(), b"k"), None);

        // A reader after the commit may, and an older snapshot does not use that entry.
        let after = cache.read_gen();
        cache.offer(after, b"k", &raw(b"v2"));
        assert_eq!(cache.get(after, b"k").as_deref(), Some(&b"v2"[..]));
        assert_eq!(cache.get(before, b"k"), None);
    }

    /// A thread reads its own copy while no group begins, and never after one has.
    #[test]
    fn a_threads_copy_serves_until_a_group_begins() {
        let cache = ItemCache::new(1 << 20, 1 << 20);
        let at = cache.read_gen();
        cache.offer(at, b"k", &raw(b"v1"));
        let first = cache.get(at, b"k").expect("cached");
        let again = cache.get(at, b"k").expect("cached");
        assert!(
            std::ptr::eq(first.as_bytes(), again.as_bytes()),
            "the same copy"
        );
        let shared = cache.get_shared(at, b"k").expect("cached");
        assert!(
            !std::ptr::eq(first.as_bytes(), shared.as_bytes()),
            "not the shared entry"
        );
        let other = std::thread::scope(|s| s.spawn(|| cache.get(at, b"k")).join().unwrap());
        let other = other.expect("cached");
        assert!(
            !std::ptr::eq(first.as_bytes(), other.as_bytes()),
            "each thread its own"
        );

        // A group begins and replaces k: the copy is not used, not even by a reader at `at`.
        let mut w = cache.begin_write();
        w.replace(b"k", b"v2", false);
        assert_eq!(cache.get(at, b"k"), None);
        assert_eq!(cache.get(cache.read_gen(), b"k"), None);
        w.publish();
        let now = cache.read_gen();
        assert_eq!(cache.get(now, b"k").as_deref(), Some(&b"v2"[..]));
        assert_eq!(cache.get(at, b"k"), None, "an older snapshot");
    }

    #[test]
    fn a_published_group_puts_back_what_it_replaced() {
        let cache = ItemCache::new(1 << 20, 1 << 20);
        let before = cache.read_gen();
        cache.offer(before, b"hot", &raw(b"v1"));

        let mut w = cache.begin_write();
        w.replace(b"hot", b"v2", false);
        w.replace(b"cold", b"c1", false);
        w.replace(b"updated", b"u1", true);
        // Until the commit is visible, no reader is served any of them.
        let during = cache.read_gen();
        for key in [&b"hot"[..], b"cold", b"updated"] {
            assert_eq!(cache.get(during, key), None);
        }
        w.publish();

        let after = cache.read_gen();
        assert_eq!(after.0 % 2, 0, "readers may cache again");
        assert_eq!(cache.get(after, b"hot").as_deref(), Some(&b"v2"[..]));
        assert_eq!(cache.get(after, b"updated").as_deref(), Some(&b"u1"[..]));
        // Written whole and never cached: not brought in.
        assert_eq!(cache.get(after, b"cold"), None);
        // Snapshots older than the commit do not see the new bytes.
        assert_eq!(cache.get(before, b"hot"), None);
        assert_eq!(cache.get(during, b"hot"), None);
    }

    #[test]
    fn an_abandoned_group_puts_nothing_back() {
        let cache = ItemCache::new(1 << 20, 1 << 20);
        let before = cache.read_gen();
        cache.offer(before, b"hot", &raw(b"v1"));
        let mut w = cache.begin_write();
        w.replace(b"hot", b"never committed", true);
        drop(w);
        let after = cache.read_gen();
        assert_eq!(after.0 % 2, 0);
        assert_eq!(cache.get(after, b"hot"), None);
        cache.offer(after, b"hot", &raw(b"v1"));
        assert_eq!(cache.get(after, b"hot").as_deref(), Some(&b"v1"[..]));
    }

    #[test]
    fn ranges_serve_only_snapshots_that_see_them_until_their_partition_moves() {
        let cache = ItemCache::new(1 << 20, 1 << 20);
        let range = |k: &[u8]| CachedRange {
            keys: vec![Box::<[u8]>::from(k)].into(),
            more: false,
        };
        let key = range_key(b"P1", None, true, 20);
        let before = cache.read_gen();
        cache.offer_range(before, b"P1", key.clone(), range(b"x"));
        cache.offer_range(before, b"P2", key.clone(), range(b"y"));
        assert!(cache.range(before, b"P1", &key).is_some());
        // Another scan of the same partition is another range.
        assert!(
            cache
                .range(before, b"P1", &range_key(b"P1", None, false, 20))
                .is_none()
        );

        // A group moves entries of P1: its ranges go at once, P2's stay; nothing read
        // meanwhile is kept.
        let w = cache.begin_write();
        w.invalidate_partitions([&b"P1"[..]]);
        let during = cache.read_gen();
        assert!(cache.range(during, b"P1", &key).is_none());
        assert!(cache.range(during, b"P2", &key).is_some());
        cache.offer_range(during, b"P1", key.clone(), range(b"stale"));
        cache.offer_range(before, b"P1", key.clone(), range(b"stale"));
        w.publish();
        let after = cache.read_gen();
        assert!(cache.range(after, b"P1", &key).is_none());
        // A snapshot older than the commit may not file its scan.
        cache.offer_range(before, b"P1", key.clone(), range(b"stale"));
        assert!(cache.range(after, b"P1", &key).is_none());
        cache.offer_range(after, b"P1", key.clone(), range(b"z"));
        assert_eq!(&*cache.range(after, b"P1", &key).unwrap().keys[0], b"z");
        // ... and an older snapshot does not use a range filed after it.
        assert!(cache.range(before, b"P1", &key).is_none());
    }

    #[test]
    fn a_full_range_cache_is_emptied_not_grown() {
        let cache = ItemCache::new(1 << 20, 4000);
        let at = cache.read_gen();
        for i in 0..1000u32 {
            let keys: Vec<Box<[u8]>> = (0..20).map(|_| Box::<[u8]>::from(&[0u8; 40][..])).collect();
            let range = CachedRange {
                keys: keys.into(),
                more: true,
            };
            cache.offer_range(
                at,
                &i.to_be_bytes(),
                range_key(&i.to_be_bytes(), None, true, 20),
                range,
            );
            assert!(cache.ranges.read().unwrap().bytes <= 4000);
        }
    }

    #[test]
    fn a_full_shard_is_emptied_not_grown() {
        let cache = ItemCache::new(SHARDS * 1000, 1000);
        let at = cache.read_gen();
        for i in 0..10_000u32 {
            cache.offer(at, &i.to_be_bytes(), &raw(&[0; 100]));
        }
        for shard in &cache.shards {
            assert!(shard.read().unwrap().bytes <= 1000);
        }
    }
}
