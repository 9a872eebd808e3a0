//! Each thread's own copies of the cache's entries, for as long as no group begins.
//!
//! Two request workers reading the same hot items (a catalogue's first page) from the shared
//! cache contend for the same cache lines: the shard lock's word and each entry's reference
//! count, which every read writes. Those two atomic operations were most of
//! `ItemCache::get`'s time on `GET /books?limit=20` (docs/design-notes.md). A thread that
//! keeps its own copy of what it read, and uses it only while the cache's generation is the
//! one it read it at, reads nothing another core writes, except the generation, which only a
//! group changes. Reads of several items (pages) use it; point reads do not (see
//! `EmbeddedStore::read_at`).
//!
//! Why it is as current as the shared cache: a copy is taken from a shared entry that a
//! reader at generation `g` may use, and used only by readers at `g` while the generation is
//! still `g`. The writer moves the generation before it removes anything, so an unchanged `g`
//! means no group has begun since the copy was taken, and the shared entry still stands.
use std::cell::RefCell;
use std::collections::HashMap;

use crate::RawItem;

thread_local! {
    static FRONT: RefCell<Front> = RefCell::default();
}

#[derive(Default)]
struct Front {
    /// The [`ItemCache`](super::ItemCache) and generation the copies belong to.
    owner: u64,
    generation: u64,
    map: HashMap<Box<[u8]>, RawItem, foldhash::fast::RandomState>,
    bytes: usize,
}

/// This thread's copy of `key`, if it has one for `owner` at `generation`.
pub(super) fn get(owner: u64, generation: u64, key: &[u8]) -> Option<RawItem> {
    FRONT.with_borrow(|f| {
        (f.owner == owner && f.generation == generation)
            .then(|| f.map.get(key).cloned())
            .flatten()
    })
}

/// Keeps a copy of `item` for `owner` at `generation` and returns it. Copies of another
/// owner or generation are dropped first; past `budget` bytes all are.
pub(super) fn keep(
    owner: u64,
    generation: u64,
    key: &[u8],
    item: &RawItem,
    budget: usize,
) -> RawItem {
    let own = item.own_copy();
    let size = key.len() + own.len() + 64;
    FRONT.with_borrow_mut(|f| {
        if f.owner != owner || f.generation != generation || f.bytes + size > budget {
            f.map.clear();
            f.bytes = 0;
            f.owner = owner;
            f.generation = generation;
        }
        if f.map.insert(key.into(), own.clone()).is_none() {
            f.bytes += size;
        }
    });
    own
}
