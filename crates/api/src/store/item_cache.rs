//! A read cache of committed items for the embedded store, keyed by encoded item key.
//!
//! A catalogue page is one index range scan plus one point read per book; with the items in
//! fjall's memtable each point read is a skiplist search (~30 key comparisons), which made
//! those reads the largest user-space cost of `GET /books` (`memcmp` alone 12 % of the server's
//! CPU). A hash lookup replaces them here, without weakening what readers see:
//!
//! - A cached entry is always the **latest committed** state of its item: the writer removes
//!   every key a group writes *before* committing the group, and readers only insert what they
//!   read when no group has started since they took their snapshot (checked under the shard
//!   lock, which the writer's removal also takes).
//! - A reader uses an entry only if it was inserted no later than the reader's snapshot
//!   (generation `gen <= reader's`), so the entry is what that snapshot sees: multi-key reads
//!   still see a group entirely or not at all.
//!
//! The writer bumps `gen` to an odd number before invalidating and to the next even number
//! after the commit is visible. Memory is bounded: a shard that would outgrow its share is
//! emptied (the cache only ever saves work; a miss reads the store).
use std::collections::HashMap;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};

const SHARDS: usize = 64;

type Map = HashMap<Box<[u8]>, Entry, foldhash::fast::RandomState>;

struct Entry {
    generation: u64,
    bytes: Box<[u8]>,
}

#[derive(Default)]
struct Shard {
    map: Map,
    bytes: usize,
}

pub(super) struct ItemCache {
    generation: AtomicU64,
    shards: Vec<RwLock<Shard>>,
    shard_budget: usize,
    hasher: foldhash::fast::RandomState,
}

/// The reader's view: the generation observed before its snapshot was taken.
#[derive(Clone, Copy)]
pub(super) struct ReadGen(u64);

impl ItemCache {
    pub(super) fn new(budget_bytes: usize) -> Self {
        Self {
            generation: AtomicU64::new(0),
            shards: (0..SHARDS).map(|_| RwLock::default()).collect(),
            shard_budget: budget_bytes / SHARDS,
            hasher: foldhash::fast::RandomState::default(),
        }
    }

    /// Call before taking the snapshot (or doing the plain read) the cache stands in for.
    pub(super) fn read_gen(&self) -> ReadGen {
        ReadGen(self.generation.load(Ordering::SeqCst))
    }

    fn shard(&self, key: &[u8]) -> &RwLock<Shard> {
        use std::hash::BuildHasher;
        &self.shards[(self.hasher.hash_one(key) as usize) % SHARDS]
    }

    /// The item as the reader's snapshot sees it, if cached.
    pub(super) fn get(&self, at: ReadGen, key: &[u8]) -> Option<Vec<u8>> {
        let shard = self.shard(key).read().unwrap_or_else(|e| e.into_inner());
        shard
            .map
            .get(key)
            .filter(|e| e.generation <= at.0)
            .map(|e| e.bytes.to_vec())
    }

    /// Offers what a reader read at `at`; kept only if no group has started since.
    pub(super) fn offer(&self, at: ReadGen, key: &[u8], bytes: &[u8]) {
        if at.0 % 2 == 1 {
            return;
        }
        let mut shard = self.shard(key).write().unwrap_or_else(|e| e.into_inner());
        if self.generation.load(Ordering::SeqCst) != at.0 || shard.map.contains_key(key) {
            return;
        }
        let size = key.len() + bytes.len() + 64;
        if shard.bytes + size > self.shard_budget {
            shard.map.clear();
            shard.bytes = 0;
        }
        shard.bytes += size;
        shard.map.insert(
            key.into(),
            Entry {
                generation: at.0,
                bytes: bytes.into(),
            },
        );
    }

    /// Starts a write: from here until the returned guard drops, readers insert nothing.
    /// Invalidate every key of the group through the guard before committing it.
    pub(super) fn begin_write(&self) -> WriteGuard<'_> {
        self.generation.fetch_add(1, Ordering::SeqCst);
        WriteGuard { cache: self }
    }
}

pub(super) struct WriteGuard<'a> {
    cache: &'a ItemCache,
}

impl WriteGuard<'_> {
    pub(super) fn invalidate(&self, key: &[u8]) {
        let mut shard = self
            .cache
            .shard(key)
            .write()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(e) = shard.map.remove(key) {
            shard.bytes -= key.len() + e.bytes.len() + 64;
        }
    }
}

impl Drop for WriteGuard<'_> {
    /// The group is committed (or abandoned): entries read from now on may be cached.
    fn drop(&mut self) {
        self.cache.generation.fetch_add(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_serve_only_snapshots_that_see_them() {
        let cache = ItemCache::new(1 << 20);
        let before = cache.read_gen();
        cache.offer(before, b"k", b"v1");
        assert_eq!(cache.get(before, b"k").as_deref(), Some(&b"v1"[..]));

        // A group writes k: it is gone at once, and nothing read meanwhile is kept.
        let w = cache.begin_write();
        w.invalidate(b"k");
        let during = cache.read_gen();
        assert_eq!(cache.get(during, b"k"), None);
        cache.offer(during, b"k", b"v1");
        cache.offer(before, b"k", b"v1");
        assert_eq!(cache.get(during, b"k"), None);
        drop(w);

        // A reader whose snapshot predates the commit may not insert its (stale) read.
        cache.offer(before, b"k", b"v1");
        assert_eq!(cache.get(cache.read_gen(), b"k"), None);

        // A reader after the commit may, and an older snapshot does not use that entry.
        let after = cache.read_gen();
        cache.offer(after, b"k", b"v2");
        assert_eq!(cache.get(after, b"k").as_deref(), Some(&b"v2"[..]));
        assert_eq!(cache.get(before, b"k"), None);
    }

    #[test]
    fn a_full_shard_is_emptied_not_grown() {
        let cache = ItemCache::new(SHARDS * 1000);
        let at = cache.read_gen();
        for i in 0..10_000u32 {
            cache.offer(at, &i.to_be_bytes(), &[0; 100]);
        }
        for shard in &cache.shards {
            assert!(shard.read().unwrap().bytes <= 1000);
        }
    }
}
