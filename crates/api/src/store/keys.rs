//! The global secondary indexes, shared by every back end.
//!
//! An item is in an index when it has both of the index's key attributes (sparse indexes, as in
//! DynamoDB). Sort keys are strings or numbers.

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
/// Books by units sold (net of returns), for the best-seller list.
pub const BOOKS_BY_SOLD: &str = "books_by_sold";
/// A customer's orders by time.
pub const ORDERS_BY_USER: &str = "orders_by_user";
/// All orders by time, and orders of one status by time.
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
        pk: "cat",
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

pub fn index(name: &str) -> Option<&'static IndexDef> {
    INDEXES.iter().find(|i| i.name == name)
}
