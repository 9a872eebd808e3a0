//! The global secondary indexes, shared by every back end.
//!
//! An item is in an index when it has both of the index's key attributes (sparse indexes, as in
//! DynamoDB). Sort keys are strings or numbers. On DynamoDB the indexes project keys only: an
//! order changes a book's stock but none of its index keys, so it writes to no listing index;
//! a query reads keys from the index and the current items from the table.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexDef {
    pub name: &'static str,
    pub pk: &'static str,
    pub sk: &'static str,
}

/// Catalogue listings by title, price and age, for the whole catalogue (`cat`) and per genre.
pub const BOOKS_BY_TITLE: &str = "books_by_title";
pub const BOOKS_BY_PRICE: &str = "books_by_price";
pub const BOOKS_BY_NEWEST: &str = "books_by_newest";
pub const GENRE_BY_TITLE: &str = "genre_by_title";
pub const GENRE_BY_PRICE: &str = "genre_by_price";
pub const GENRE_BY_NEWEST: &str = "genre_by_newest";
/// Books by units sold (net of returns), for the best-seller list; sharded (`sold_shard`).
pub const BOOKS_BY_SOLD: &str = "books_by_sold";
/// A customer's orders by time.
pub const ORDERS_BY_USER: &str = "orders_by_user";
/// All orders by time, and orders of one status by time; both sharded.
pub const ORDERS_BY_TIME: &str = "orders_by_time";
pub const ORDERS_BY_STATUS: &str = "orders_by_status";

pub const INDEXES: &[IndexDef] = &[
    IndexDef {
        name: BOOKS_BY_TITLE,
        pk: "cat",
        sk: "title_key",
    },
    IndexDef {
        name: BOOKS_BY_PRICE,
        pk: "cat",
        sk: "price_cents",
    },
    IndexDef {
        name: BOOKS_BY_NEWEST,
        pk: "cat",
        sk: "created_key",
    },
    IndexDef {
        name: GENRE_BY_TITLE,
        pk: "genre_key",
        sk: "title_key",
    },
    IndexDef {
        name: GENRE_BY_PRICE,
        pk: "genre_key",
        sk: "price_cents",
    },
    IndexDef {
        name: GENRE_BY_NEWEST,
        pk: "genre_key",
        sk: "created_key",
    },
    IndexDef {
        name: BOOKS_BY_SOLD,
        pk: "sold_shard",
        sk: "sold",
    },
    IndexDef {
        name: ORDERS_BY_USER,
        pk: "order_user",
        sk: "created_key",
    },
    IndexDef {
        name: ORDERS_BY_TIME,
        pk: "order_feed",
        sk: "created_key",
    },
    IndexDef {
        name: ORDERS_BY_STATUS,
        pk: "order_status",
        sk: "created_key",
    },
];

/// Partitions of the indexes that every order writes (`books_by_sold`, `orders_by_time`,
/// `orders_by_status`). DynamoDB serves about 1,000 writes/s per partition-key value, so
/// spreading them over `SHARDS` values lifts that ceiling `SHARDS`-fold; readers query every
/// shard and merge.
pub const SHARDS: u32 = 8;

/// The shard of an id: a stable hash, the same on every instance and release.
pub fn shard_of(id: &str) -> u32 {
    stable_hash(id) % SHARDS
}

/// FNV-1a: stable across instances and releases, unlike std's hasher.
pub fn stable_hash(id: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in id.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

pub fn index(name: &str) -> Option<&'static IndexDef> {
    INDEXES.iter().find(|i| i.name == name)
}
