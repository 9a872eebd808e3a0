//! Payloads of the live-update stream `GET /api/v1/events` (server-sent events).
//!
//! Each event has a name (`event:` line) and one JSON `data:` line:
//! - `stock`: a watched book's stock or version changed ([`StockEvent`]); also sent for every
//!   watched book right after connecting, so a client never misses a change made while it was
//!   loading or reconnecting;
//! - `removed`: a watched book left the catalogue ([`RemovedEvent`]);
//! - `catalogue`: the newest book of the catalogue, sent on connecting and whenever it changes
//!   ([`CatalogueEvent`]); a client refreshes its listings when it differs from the last one;
//! - `resync`: the client fell behind and should reload what it shows.
//!
//! Comment lines (`: keep-alive`) are heartbeats.
use crate::BookId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The most books one client may watch.
pub const MAX_WATCHED_BOOKS: usize = 100;

/// `event: stock`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StockEvent {
    pub book_id: BookId,
    pub stock: i64,
    /// The book's version: when it differs from the one shown, the details changed too.
    pub version: i64,
}

/// `event: removed`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RemovedEvent {
    pub book_id: BookId,
}

/// `event: catalogue`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CatalogueEvent {
    /// The newest book, `null` for an empty catalogue.
    pub newest: Option<BookId>,
}
