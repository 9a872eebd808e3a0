//! The shop's data on top of the [`Store`](crate::store::Store) interface: how entities map to
//! items and keys, and the multi-item transactions that keep them consistent.
//!
//! Single-table design (the same for every back end):
//!
//! | item            | pk                     | sk                        | indexes                      |
//! |-----------------|------------------------|---------------------------|------------------------------|
//! | book            | `BOOK#<id>`            | `BOOK`                    | catalogue listings, sold     |
//! | ISBN claim      | `ISBN#<isbn>`          | `ISBN`                    |                              |
//! | search token    | `TOK#<first 2 chars>`  | `<token>#<book id>`       |                              |
//! | genre counter   | `GENRES`               | `<genre>`                 |                              |
//! | user            | `USER#<email>`         | `USER`                    |                              |
//! | order           | `ORDER#<id>`           | `ORDER`                   | by user, by time, by status  |
//! | return          | `ORDER#<id>`           | `RETURN#<time>#<id>`      |                              |
//! | idempotency key | `IDEM#<user>#<key>`    | `IDEM`                    |                              |
//! | audit entry     | `AUDIT`                | `<time>#<id>`             |                              |
pub mod audit;
pub mod books;
pub mod orders;
pub mod users;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::{Item, Query};
use bookstore_model::ProblemCode;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

pub const DEFAULT_LIMIT: u32 = 20;
pub const MAX_LIMIT: u32 = 100;

/// Checks a `limit` query parameter.
pub fn page_limit(limit: Option<u32>) -> ApiResult<usize> {
    match limit.unwrap_or(DEFAULT_LIMIT) {
        n @ 1..=MAX_LIMIT => Ok(n as usize),
        _ => Err(ApiError::BadRequest(
            ProblemCode::InvalidQuery,
            format!("limit must be between 1 and {MAX_LIMIT}"),
        )),
    }
}

/// A sortable, fixed-width timestamp for sort keys.
pub fn time_key(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub fn to_item<T: Serialize>(value: &T) -> ApiResult<Item> {
    match serde_json::to_value(value).map_err(ApiError::internal)? {
        Value::Object(map) => Ok(map),
        _ => Err(ApiError::internal("entity did not serialise to an object")),
    }
}

pub fn from_item<T: DeserializeOwned>(item: Item) -> ApiResult<T> {
    serde_json::from_value(Value::Object(item)).map_err(ApiError::internal)
}

/// Runs a query page by page through signed cursors. `scope` names the listing and its
/// partition, so that a cursor cannot be replayed against another one.
pub async fn paged(
    state: &AppState,
    scope: &str,
    mut query: Query,
    cursor: Option<&str>,
) -> ApiResult<(Vec<Item>, Option<String>)> {
    if let Some(c) = cursor {
        match state.cursors.decode(scope, c)? {
            Value::Object(start) => query.start = Some(start),
            _ => {
                return Err(ApiError::BadRequest(
                    ProblemCode::InvalidCursor,
                    "the cursor is invalid".into(),
                ));
            }
        }
    }
    let page = state.store.query(&query).await?;
    let next = page
        .last_key
        .map(|k| state.cursors.encode(scope, &Value::Object(k)));
    Ok((page.items, next))
}
