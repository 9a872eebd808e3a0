//! The shop's data on top of the [`Store`](crate::store::Store) interface: how entities map to
//! items and keys, and the multi-item transactions that keep them consistent.
//!
//! Single-table design (the same for every back end):
//!
//! | item            | pk                     | sk                        | indexes                      |
//! |-----------------|------------------------|---------------------------|------------------------------|
//! | book            | `BOOK#<id>`            | `BOOK`                    | catalogue listings, sold     |
//! | ISBN claim      | `ISBN#<isbn>`          | `ISBN`                    |                              |
//! | search token    | `TOK#<2 chars>` (note) | `<token>#<book id>`       |                              |
//! | genre counter   | `GENRES`               | `<genre>`                 |                              |
//! | listed genre    | `GENRE_LIST`           | `<genre>`, `#seeded` (note) |                            |
//! | user            | `USER#<email>`         | `USER`                    |                              |
//! | address         | `USER#<email>`         | `ADDR#<id>`               |                              |
//! | address counter | `USER#<email>`         | `ADDRESSES`               |                              |
//! | cart            | `USER#<email>`         | `CART`                    |                              |
//! | reset link      | `RESET#<sha-256>`      | `RESET`                   |                              |
//! | e-mail link     | `EMAILCHANGE#<sha-256>`| `EMAILCHANGE`             |                              |
//! | staff invitation| `INVITE#<sha-256>`     | `INVITE`                  |                              |
//! | staff roster    | `STAFF`                | `USER#<user id>`          |                              |
//! | owners counter  | `STAFF`                | `OWNERS`                  |                              |
//! | order           | `ORDER#<id>`           | `ORDER`                   | by user, by time, by status  |
//! | return          | `ORDER#<id>`           | `RETURN#<time>#<id>`      |                              |
//! | idempotency key | `IDEM#<user>#<key>`    | `IDEM` (order), `RETURN`  |                              |
//! | audit entry     | `AUDIT`                | `<time>#<id>`             |                              |
//! | API key         | `APIKEYS`              | `KEY#<id>`                |                              |
//! | sales counters  | `SALES#<hour or day>#<0..31>` | `SALES`            | (`sales`)                    |
//! | top books/genres| `SALESTOP#<day>#<0..31>` | `B#<book id>`, `G#<genre>` | (`sales`)                 |
//! | books import    | `IMPORT`               | `<import id, UUIDv7>`     |                              |
//! | import chunk    | `IMPORT#<id>`          | `CHUNK#<n>`, `FAIL#<line>`|                              |
//! | operations minute | `OPS#<hour>`        | `<minute>#<instance>`     | (`operations`), `ttl`        |
//!
//! A user's `role` is `customer`, `staff` or `owner`; accounts stored before staff roles say
//! `admin`, read as `owner` (`users::staff` conditions on either).
//!
//! The genre list's `#seeded` marker says it was started from the counters (genres with books)
//! of a store written before the list existed (`catalogue::genres`).
//!
//! A token's group is its first character and its second folded into `[0-9a-z~]`
//! (`catalogue::keys::token_group`), so a one-letter word's matches lie in 38 known groups.

use crate::cursor::CursorCodec;
use crate::error::{Error, Result};
use crate::store::Store;
use crate::store::keys::{IndexDef, SHARDS, index};
use crate::store::{Item, Query, RawItem};
use bookstore_model::ProblemCode;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::sync::Arc;

pub const DEFAULT_LIMIT: u32 = 20;
pub const MAX_LIMIT: u32 = 100;

/// Checks a `limit` query parameter.
pub fn page_limit(limit: Option<u32>) -> Result<usize> {
    match limit.unwrap_or(DEFAULT_LIMIT) {
        n @ 1..=MAX_LIMIT => Ok(n as usize),
        _ => Err(Error::BadRequest(
            ProblemCode::InvalidQuery,
            format!("limit must be between 1 and {MAX_LIMIT}"),
        )),
    }
}

/// A sortable, fixed-width timestamp for sort keys.
pub fn time_key(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub fn to_item<T: Serialize>(value: &T) -> Result<Item> {
    match serde_json::to_value(value).map_err(Error::internal)? {
        Value::Object(map) => Ok(map),
        _ => Err(Error::internal("entity did not serialise to an object")),
    }
}

pub fn from_item<T: DeserializeOwned>(item: Item) -> Result<T> {
    serde_json::from_value(Value::Object(item)).map_err(Error::internal)
}

/// Reads an item straight from its stored JSON into `T`: no intermediate [`Item`] map.
pub fn from_raw<T: DeserializeOwned>(raw: &[u8]) -> Result<T> {
    serde_json::from_slice(raw).map_err(Error::internal)
}

/// A store and the key that signs its cursors: what paging through a listing takes.
#[derive(Clone)]
pub struct Pager {
    store: Arc<dyn Store>,
    cursors: Arc<CursorCodec>,
}

impl Pager {
    pub fn new(store: Arc<dyn Store>, cursors: Arc<CursorCodec>) -> Self {
        Self { store, cursors }
    }

    /// The codec of this pager's cursors, for listings that page by offset.
    pub fn cursors(&self) -> &CursorCodec {
        &self.cursors
    }

    /// Sets the query's start from a cursor of the listing `scope`.
    fn start_at(&self, scope: &str, query: &mut Query, cursor: Option<&str>) -> Result<()> {
        if let Some(c) = cursor {
            match self.cursors.decode(scope, c)? {
                Value::Object(start) => query.start = Some(start),
                _ => {
                    return Err(Error::BadRequest(
                        ProblemCode::InvalidCursor,
                        "the cursor is invalid".into(),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Runs a query page by page through signed cursors. `scope` names the listing and its
    /// partition, so that a cursor cannot be replayed against another one.
    pub async fn paged(
        &self,
        scope: &str,
        mut query: Query,
        cursor: Option<&str>,
    ) -> Result<(Vec<Item>, Option<String>)> {
        self.start_at(scope, &mut query, cursor)?;
        let page = self.store.query(&query).await?;
        let next = page
            .last_key
            .map(|k| self.cursors.encode(scope, &Value::Object(k)));
        Ok((page.items, next))
    }

    /// [`paged`], with the items as stored JSON.
    pub async fn paged_raw(
        &self,
        scope: &str,
        mut query: Query,
        cursor: Option<&str>,
    ) -> Result<(Vec<RawItem>, Option<String>)> {
        self.start_at(scope, &mut query, cursor)?;
        let page = self.store.query_raw(&query).await?;
        let items = page.items;
        let next = page
            .last_key
            .map(|k| self.cursors.encode(scope, &Value::Object(k)));
        Ok((items, next))
    }

    /// Pages through an index whose partition is spread over `SHARDS` keys (`<prefix>#<n>`): each
    /// page queries every unfinished shard and merges. The cursor holds each shard's position, so
    /// every item is returned exactly once.
    pub async fn sharded_paged(
        &self,
        scope: &str,
        index_name: &'static str,
        prefix: &str,
        forward: bool,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<(Vec<Item>, Option<String>)> {
        let def = index(index_name).ok_or_else(|| Error::internal("unknown index"))?;
        let bad = || Error::BadRequest(ProblemCode::InvalidCursor, "the cursor is invalid".into());
        // Per shard: `None` not started, `Some(Null)` finished, `Some(key)` continue after key.
        let mut positions: Vec<Option<Value>> = vec![None; SHARDS as usize];
        if let Some(c) = cursor {
            match self.cursors.decode(scope, c)? {
                Value::Array(a) if a.len() == positions.len() => {
                    positions = a
                        .into_iter()
                        .map(|v| (v.as_str() != Some("start")).then_some(v))
                        .collect();
                }
                _ => return Err(bad()),
            }
        }
        let queries = positions
            .iter()
            .enumerate()
            .filter(|(_, p)| !matches!(p, Some(Value::Null)))
            .map(|(shard, p)| {
                let start = match p {
                    Some(Value::Object(k)) => Some(k.clone()),
                    _ => None,
                };
                let query = Query {
                    index: Some(index_name),
                    pk: format!("{prefix}#{shard}"),
                    sk_prefix: None,
                    forward,
                    limit,
                    start,
                };
                async move { self.store.query(&query).await.map(|page| (shard, page)) }
            });
        let pages = futures::future::try_join_all(queries).await?;
        let mut candidates: Vec<(usize, usize, Item)> = Vec::new();
        let mut exhausted = vec![false; positions.len()];
        let mut lengths = vec![0; positions.len()];
        for (shard, page) in pages {
            exhausted[shard] = page.last_key.is_none();
            lengths[shard] = page.items.len();
            // Every row of the page left out (items that moved to another partition since the
            // index was read): continue after the rows, or the next page would read them again.
            if page.items.is_empty()
                && let Some(k) = page.last_key
            {
                positions[shard] = Some(Value::Object(k));
            }
            candidates.extend(
                page.items
                    .into_iter()
                    .enumerate()
                    .map(|(i, item)| (shard, i, item)),
            );
        }
        // Ties keep each shard's own order (the back end's), so no shard's position skips an item.
        candidates.sort_by(|a, b| {
            let o = index_order(def, &a.2, &b.2);
            let o = if forward { o } else { o.reverse() };
            o.then((a.0, a.1).cmp(&(b.0, b.1)))
        });
        candidates.truncate(limit);
        let mut consumed = vec![0; positions.len()];
        for (shard, i, item) in &candidates {
            consumed[*shard] = consumed[*shard].max(i + 1);
            positions[*shard] = Some(Value::Object(crate::store::last_key(item, Some(def))));
        }
        for shard in 0..positions.len() {
            if lengths[shard] == consumed[shard]
                && exhausted[shard]
                && !matches!(positions[shard], Some(Value::Null))
            {
                positions[shard] = Some(Value::Null);
            }
        }
        let items: Vec<Item> = candidates.into_iter().map(|(_, _, item)| item).collect();
        let next = if positions.iter().all(|p| matches!(p, Some(Value::Null))) {
            None
        } else {
            let state_json: Vec<Value> = positions
                .into_iter()
                .map(|p| p.unwrap_or_else(|| "start".into()))
                .collect();
            Some(self.cursors.encode(scope, &Value::Array(state_json)))
        };
        Ok((items, next))
    }
}

/// Orders two items by an index's sort key: numbers numerically, strings bytewise.
fn index_order(def: &IndexDef, a: &Item, b: &Item) -> std::cmp::Ordering {
    fn rank(v: Option<&Value>) -> (u8, i64, &str) {
        match v {
            Some(Value::Number(n)) => (1, n.as_i64().unwrap_or(0), ""),
            Some(Value::String(s)) => (2, 0, s.as_str()),
            _ => (0, 0, ""),
        }
    }
    rank(a.get(def.sk)).cmp(&rank(b.get(def.sk)))
}
