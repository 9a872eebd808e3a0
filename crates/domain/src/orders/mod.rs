//! Orders: checkout (`checkout.rs`; its price beforehand, `quote.rs`), the lifecycle after it
//! (`lifecycle.rs`: payment settled, cancel, ship, deliver, expiry, the provider's jobs),
//! listings, and returns
//! ([`super::returns`]). Every change is one all-or-nothing transaction conditioned on what it
//! read, so overselling, over-returning and racing transitions are impossible, whatever the
//! number of API instances.
mod checkout;
mod export;
mod lifecycle;
mod quote;
mod receiving;
mod record;
#[cfg(test)]
mod tests;

use crate::catalogue::crossing_events;
use crate::catalogue::stock::{own_threshold, stock_move};
use crate::cursor::CursorCodec;
use crate::error::{Error, Result};
use crate::items::{Pager, from_item, page_limit};
use crate::outbox::Wakeup;
use crate::outcome::is_void;
use crate::payments::Payments;
use crate::store::keys::{ORDERS_BY_STATUS, ORDERS_BY_TIME, ORDERS_BY_USER};
use crate::store::{Cond, Item, Key, Path, Query, Store, StoreError, WriteOp};
use crate::{Actor, Addresses, Shipping};
use bookstore_model::{
    Book, BookId, LineRequest, Order, OrderId, OrderQuery, Page, PageQuery, PaymentConfig,
    PlaceOrder, ProblemCode, UserId,
};
pub use record::order_key;
pub(crate) use record::{OrderRecord, order_item};
use serde_json::{Value, json};
use std::sync::Arc;

/// The orders repository: checkout, the customer's and the shop's order lists, and returns
/// (`returns.rs`), each one all-or-nothing transaction with its idempotency record.
pub struct Orders {
    pub(crate) store: Arc<dyn Store>,
    /// The shop's currency, shipping options and tax rates.
    shipping: Arc<Shipping>,
    /// The payment provider; without one, checkout answers 503.
    payments: Option<Arc<Payments>>,
    addresses: Addresses,
    /// How long after delivery copies can be returned.
    pub(crate) return_window: chrono::Duration,
    pager: Pager,
    /// How long an `Idempotency-Key` of an order or a return is remembered.
    idempotency_ttl_secs: i64,
    /// Wakes this instance's outbox dispatcher after a write with an event.
    pub(super) wakeup: Wakeup,
    /// The low-stock threshold of a book without its own.
    low_stock_threshold: u32,
}

impl Orders {
    pub fn new(
        store: Arc<dyn Store>,
        cursors: Arc<CursorCodec>,
        idempotency_ttl_secs: i64,
        shipping: Arc<Shipping>,
        payments: Option<Arc<Payments>>,
    ) -> Self {
        Self {
            pager: Pager::new(store.clone(), cursors),
            addresses: Addresses::new(store.clone()),
            shipping,
            payments,
            return_window: chrono::Duration::days(30),
            store,
            idempotency_ttl_secs: idempotency_ttl_secs.max(1),
            wakeup: Wakeup::new(),
            low_stock_threshold: 5,
        }
    }

    /// The low-stock threshold of books without their own (the catalogue's).
    pub fn with_low_stock_threshold(mut self, threshold: u32) -> Self {
        self.low_stock_threshold = threshold;
        self
    }

    /// Wakes `wakeup` (the dispatcher's) after each write, instead of leaving the events
    /// to the dispatchers' next poll.
    pub fn with_wakeup(mut self, wakeup: Wakeup) -> Self {
        self.wakeup = wakeup;
        self
    }

    pub fn with_return_window(mut self, days: u32) -> Self {
        self.return_window = chrono::Duration::days(i64::from(days));
        self
    }

    pub(crate) fn payments(&self) -> Result<&Payments> {
        self.payments
            .as_deref()
            .ok_or_else(|| Error::PaymentUnavailable {
                location: None,
                cause: "no payment provider is configured".into(),
            })
    }

    /// What the shopper's browser needs to collect a card.
    pub fn payment_config(&self) -> Result<PaymentConfig> {
        let c = self.payments()?.config();
        Ok(PaymentConfig {
            js_url: c.js_url.clone(),
            publishable_key: c.publishable_key.clone(),
            payment_timeout_secs: c.payment_timeout.as_secs(),
        })
    }

    /// An idempotency key as this repository remembers it.
    pub(super) fn key(&self, key: Option<String>) -> Option<IdempotencyKey> {
        key.map(|key| IdempotencyKey {
            key,
            ttl_secs: self.idempotency_ttl_secs,
        })
    }

    /// The caller's order; someone else's is reported as missing.
    pub async fn get_own(&self, user: &Actor, id: OrderId) -> Result<Order> {
        let store = self.store.as_ref();
        match get_record(store, id).await? {
            Some(r) if r.user_id == user.id => Ok(r.into_order()),
            _ => Err(Error::NotFound("order")),
        }
    }

    pub async fn list_mine(&self, user: &Actor, q: &PageQuery) -> Result<Page<Order>> {
        let limit = page_limit(q.limit)?;
        let pk = user.id.to_string();
        let scope = format!("orders:user:{pk}");
        let query = Query {
            index: Some(ORDERS_BY_USER),
            pk,
            sk_prefix: None,
            forward: false,
            limit,
            start: None,
        };
        let (items, next_cursor) = self.pager.paged(&scope, query, q.cursor.as_deref()).await?;
        Ok(Page {
            items: decode_orders(items)?,
            next_cursor,
        })
    }

    /// Any order (the shop's view).
    pub async fn get(&self, id: OrderId) -> Result<Order> {
        match get_record(self.store.as_ref(), id).await? {
            Some(r) => Ok(r.into_order()),
            None => Err(Error::NotFound("order")),
        }
    }

    /// Copies going back on the shelf (a cancellation, a failed payment, a received return): one
    /// update per book still in the catalogue (a deleted book has nowhere to go; its copies stay
    /// counted on the order), with `stock.back_in_stock` for a sold-out one, conditioned on the
    /// stock read so that the event is raised once per crossing (`catalogue::stock`).
    pub(super) async fn stock_back(&self, copies: &[(BookId, u32)]) -> Result<Vec<WriteOp>> {
        let store = self.store.as_ref();
        let ids: Vec<BookId> = copies.iter().map(|(id, _)| *id).collect();
        let existing = crate::catalogue::get_many(store, &ids).await?;
        let mut ops = Vec::new();
        for ((id, q), item) in copies.iter().zip(existing) {
            let (Some(item), true) = (item, *q > 0) else {
                continue;
            };
            let q = i64::from(*q);
            let threshold = own_threshold(&item).unwrap_or(self.low_stock_threshold);
            let mut book: Book = from_item(item)?;
            let moved = stock_move(book.stock, q, threshold);
            let mut cond = vec![Cond::Exists];
            cond.extend(moved.cond);
            ops.push(WriteOp::Update {
                key: crate::catalogue::book_key(*id),
                set: vec![],
                add: vec![(Path::attr("stock"), q), (Path::attr("sold"), -q)],
                cond: Some(Cond::And(cond)),
            });
            book.stock += q;
            book.currency = self.shipping.currency().clone();
            ops.extend(crossing_events(
                &self.wakeup,
                moved.crossing,
                &book,
                threshold,
            )?);
        }
        Ok(ops)
    }

    pub async fn list_all(&self, q: &OrderQuery) -> Result<Page<Order>> {
        let limit = page_limit(q.limit)?;
        let forward = q.oldest_first.unwrap_or(false);
        let (index, prefix) = match q.status {
            Some(s) => (ORDERS_BY_STATUS, s.as_str()),
            None => (ORDERS_BY_TIME, "ORDERS"),
        };
        let scope = format!("orders:{index}:{prefix}:{forward}");
        let (items, next_cursor) = self
            .pager
            .sharded_paged(&scope, index, prefix, forward, limit, q.cursor.as_deref())
            .await?;
        Ok(Page {
            items: decode_orders(items)?,
            next_cursor,
        })
    }
}

/// A request's `Idempotency-Key` and how long it is remembered.
#[derive(Debug, Clone)]
pub(super) struct IdempotencyKey {
    pub key: String,
    pub ttl_secs: i64,
}
/// Attempts when a concurrent admin edit or return changes what a transaction read.
pub(super) const MAX_ATTEMPTS: usize = 16;

/// The id of an order's reservation-expiry job, and its key (due when the reservation ends).
pub(super) fn expiry_job_id(order: OrderId) -> String {
    format!("{order}-expire")
}

pub(super) fn expiry_job_key(order: OrderId, expires_at: chrono::DateTime<chrono::Utc>) -> Key {
    crate::outbox::order_job_key(&expiry_job_id(order), expires_at)
}

pub(super) fn idem_key(user: UserId, key: &str) -> Key {
    Key::new(format!("IDEM#{user}#{key}"), "IDEM")
}

/// A return's idempotency record: the same partition as the customer's order keys, so one key
/// can serve an order and, later, a return without the two records meeting.
pub(super) fn return_idem_key(user: UserId, key: &str) -> Key {
    Key::new(format!("IDEM#{user}#{key}"), "RETURN")
}

/// An idempotency record's item: what identifies the request, until when it is remembered,
/// and what the request produced.
/// `ttl` is when it is forgotten, in epoch seconds (DynamoDB's TTL attribute).
pub(super) fn idem_item(key: &Key, print: &str, ttl: i64, result: &[(&str, String)]) -> Item {
    let mut item = crate::store::expr::key_item(key);
    item.insert("fingerprint".into(), print.into());
    item.insert("ttl".into(), ttl.into());
    for (name, value) in result {
        item.insert((*name).into(), value.clone().into());
    }
    item
}

/// A fingerprint of the request body, to tell a retry from a reuse of the key.
fn fingerprint(req: &PlaceOrder) -> String {
    json!({
        "lines": sorted_lines(&req.lines),
        "address_id": req.address_id,
        "shipping_address": req.shipping_address,
        "shipping_option": req.shipping_option,
        "payment_method": req.payment_method,
    })
    .to_string()
}

/// A request's lines as (book, quantity) pairs in book order: the same lines in any order
/// make the same fingerprint.
pub(super) fn sorted_lines(lines: &[LineRequest]) -> Vec<(String, u32)> {
    let mut out: Vec<(String, u32)> = lines
        .iter()
        .map(|l| (l.book_id.to_string(), l.quantity.get()))
        .collect();
    out.sort();
    out
}

/// The record an earlier request with this idempotency key left, if it is still remembered;
/// 422 if that request was a different one (`what` names it). A record past its `ttl` is
/// forgotten on every back end alike: deleted here (DynamoDB's TTL sweeper may lag by days, the
/// embedded store has none), so the key can be used again.
pub(super) async fn remembered(
    store: &dyn Store,
    key: &Key,
    print: &str,
    what: &str,
) -> Result<Option<Item>> {
    let Some(item) = store.get(key).await? else {
        return Ok(None);
    };
    let ttl = item.get("ttl").and_then(Value::as_i64).unwrap_or(i64::MAX);
    if ttl <= chrono::Utc::now().timestamp() {
        // Conditional on the ttl read: a record another request has just written stays.
        let forget = WriteOp::Delete {
            key: key.clone(),
            cond: Some(Cond::Eq(Path::attr("ttl"), ttl.into())),
        };
        match store.transact(vec![forget]).await {
            Ok(()) | Err(StoreError::ConditionFailed(_)) => return Ok(None),
            Err(e) => return Err(e.into()),
        }
    }
    if item.get("fingerprint").and_then(Value::as_str) != Some(print) {
        return Err(Error::Unprocessable(
            ProblemCode::IdempotencyKeyReused,
            format!("this Idempotency-Key was used for a different {what}"),
        ));
    }
    Ok(Some(item))
}

/// The order an earlier request with this key placed, or 422 if the key was used for
/// another body.
async fn replay(
    store: &dyn Store,
    user: UserId,
    key: &str,
    print: &str,
) -> Result<Option<OrderRecord>> {
    let Some(item) = remembered(store, &idem_key(user, key), print, "order").await? else {
        return Ok(None);
    };
    let order_id: OrderId = item
        .get("order_id")
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| Error::internal("idempotency record without order id"))?;
    let order = get_record(store, order_id)
        .await?
        .ok_or_else(|| Error::internal("idempotent order missing"))?;
    Ok(Some(order))
}

pub(super) async fn get_record(store: &dyn Store, id: OrderId) -> Result<Option<OrderRecord>> {
    store
        .get(&order_key(id))
        .await?
        .filter(|item| !is_void(item))
        .map(from_item)
        .transpose()
}

fn decode_orders(items: Vec<Item>) -> Result<Vec<Order>> {
    items
        .into_iter()
        .map(|i| from_item::<OrderRecord>(i).map(OrderRecord::into_order))
        .collect()
}
