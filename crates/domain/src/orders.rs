//! Checkout (returns are in [`super::returns`]): each is one all-or-nothing transaction whose
//! conditions make overselling and over-returning impossible, whatever the number of API
//! instances.
use crate::Actor;
use crate::catalogue::{book_key, get_many};
use crate::cursor::CursorCodec;
use crate::error::{Error, Result};
use crate::items::{Pager, from_item, page_limit, time_key, to_item};
use crate::outbox::Wakeup;
use crate::outcome::{Probe, is_void, transact_resolved};
use crate::store::keys::{ORDERS_BY_STATUS, ORDERS_BY_TIME, ORDERS_BY_USER, shard_of};
use crate::store::{Cond, Item, Key, Path, Query, Store, StoreError, WriteOp};
use bookstore_model::{
    Book, BookId, Currency, EventType, LineRequest, Order, OrderId, OrderLine, OrderQuery,
    OrderStatus, Page, PageQuery, PlaceOrder, ProblemCode, Shortage, Title, UserId,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The orders repository: checkout, the customer's and the shop's order lists, and returns
/// (`returns.rs`), each one all-or-nothing transaction with its idempotency record.
pub struct Orders {
    pub(crate) store: Arc<dyn Store>,
    pager: Pager,
    /// How long an `Idempotency-Key` of an order or a return is remembered.
    idempotency_ttl_secs: i64,
    /// Wakes this instance's outbox dispatcher after a write with an event.
    pub(super) wakeup: Wakeup,
}

impl Orders {
    pub fn new(
        store: Arc<dyn Store>,
        cursors: Arc<CursorCodec>,
        idempotency_ttl_secs: i64,
    ) -> Self {
        Self {
            pager: Pager::new(store.clone(), cursors),
            store,
            idempotency_ttl_secs: idempotency_ttl_secs.max(1),
            wakeup: Wakeup::new(),
        }
    }

    /// Wakes `wakeup` (the dispatcher's) after each write, instead of leaving the events
    /// to the dispatchers' next poll.
    pub fn with_wakeup(mut self, wakeup: Wakeup) -> Self {
        self.wakeup = wakeup;
        self
    }

    /// An idempotency key as this repository remembers it.
    pub(super) fn key(&self, key: Option<String>) -> Option<IdempotencyKey> {
        key.map(|key| IdempotencyKey {
            key,
            ttl_secs: self.idempotency_ttl_secs,
        })
    }

    /// Places an order. Returns the order and whether it was placed now (`false`: a replay).
    pub async fn place(
        &self,
        user: &Actor,
        req: PlaceOrder,
        idempotency_key: Option<String>,
    ) -> Result<(Order, bool)> {
        let store = self.store.as_ref();
        let idempotency_key = self.key(idempotency_key);
        req.validate()?;
        let print = fingerprint(&req);
        // No read of the idempotency record up front: the order's transaction puts it only if it
        // is absent, so a retry of a placed order fails there and is answered from the record
        // (one store round trip fewer per checkout). A retry can also meet a refusal first, e.g.
        // when the original order took the last copies: every refusal checks the record before
        // it is sent, so a retry always gets the order it repeats.
        let refuse = |e: Error| async {
            if let Some(key) = &idempotency_key
                && let Some(order) = replay(store, user.id, &key.key, &print).await?
            {
                return Ok((order, false));
            }
            Err(e)
        };
        let ids: Vec<BookId> = req.lines.iter().map(|l| l.book_id).collect();
        for _ in 0..MAX_ATTEMPTS {
            let items = get_many(store, &ids).await?;
            let mut books = Vec::with_capacity(items.len());
            let mut unknown = Vec::new();
            for (id, item) in ids.iter().zip(items) {
                match item {
                    Some(item) => books.push(from_item::<Book>(item)?),
                    None => unknown.push(*id),
                }
            }
            if !unknown.is_empty() {
                return refuse(Error::UnknownBooks(unknown)).await;
            }
            let shortages: Vec<Shortage> = req
                .lines
                .iter()
                .zip(&books)
                .filter(|(l, b)| b.stock < i64::from(l.quantity.get()))
                .map(|(l, b)| Shortage {
                    book_id: b.id,
                    requested: l.quantity.get(),
                    available: b.stock.max(0),
                })
                .collect();
            if !shortages.is_empty() {
                return refuse(Error::InsufficientStock(shortages)).await;
            }
            let currency = books[0].currency.clone();
            if books.iter().any(|b| b.currency != currency) {
                return refuse(Error::Unprocessable(
                    ProblemCode::MixedCurrency,
                    "all books of one order must be priced in the same currency".into(),
                ))
                .await;
            }
            let now = chrono::Utc::now();
            let lines: Vec<LineRecord> = req
                .lines
                .iter()
                .zip(&books)
                .map(|(l, b)| LineRecord {
                    book_id: b.id,
                    title: b.title.clone(),
                    unit_price_cents: b.price_cents.get(),
                    quantity: l.quantity.get(),
                })
                .collect();
            let record = OrderRecord {
                id: OrderId::new(),
                user_id: user.id,
                customer_email: user.email.clone(),
                status: OrderStatus::Placed,
                total_cents: lines
                    .iter()
                    .map(|l| l.unit_price_cents * i64::from(l.quantity))
                    .sum(),
                refunded_cents: 0,
                returned: lines.iter().map(|l| (l.book_id, 0)).collect(),
                lines,
                currency,
                created_at: now,
                updated_at: now,
                version: 1,
            };
            // One update per line: take the stock only if enough is left, and only if the book
            // is unchanged since read, so the snapshot's title and price are the ones charged.
            let mut ops: Vec<WriteOp> = req
                .lines
                .iter()
                .zip(&books)
                .map(|(l, b)| {
                    let q = i64::from(l.quantity.get());
                    WriteOp::Update {
                        key: book_key(b.id),
                        set: vec![],
                        add: vec![(Path::attr("stock"), -q), (Path::attr("sold"), q)],
                        cond: Some(Cond::And(vec![
                            Cond::Ge(Path::attr("stock"), q),
                            Cond::Eq(Path::attr("version"), b.version.into()),
                        ])),
                    }
                })
                .collect();
            let order_index = ops.len();
            ops.push(WriteOp::Put {
                item: order_item(&record)?,
                cond: Some(Cond::NotExists),
            });
            let idem_index = ops.len();
            if let Some(key) = &idempotency_key {
                let item = idem_item(
                    &idem_key(user.id, &key.key),
                    &print,
                    now.timestamp() + key.ttl_secs,
                    &[("order_id", record.id.to_string())],
                );
                ops.push(WriteOp::Put {
                    item,
                    cond: Some(Cond::NotExists),
                });
            }
            let order = record.clone().into_order();
            ops.push(self.wakeup.emit(EventType::OrderPlaced, &order)?);
            // The order's own item tells, if the store cannot, whether the order was placed.
            let probe = Probe {
                key: order_key(record.id),
                fence: true,
            };
            match transact_resolved(store, ops, &probe).await {
                Ok(()) => {
                    self.wakeup.wake();
                    return Ok((order, true));
                }
                Err(StoreError::Unknown(cause)) => {
                    return Err(Error::OutcomeUnknown {
                        what: "order",
                        location: Some(format!("/api/v1/orders/{}", record.id)),
                        cause,
                    });
                }
                Err(StoreError::ConditionFailed(failed)) => {
                    if failed.contains(&idem_index)
                        && let Some(key) = &idempotency_key
                        && let Some(order) = replay(store, user.id, &key.key, &print).await?
                    {
                        return Ok((order, false));
                    }
                    // This order's id is new: only an earlier attempt of this very write, applied
                    // though unconfirmed, can have taken it.
                    if failed.contains(&order_index)
                        && let Some(placed) = get_record(store, record.id).await?
                    {
                        return Ok((placed.into_order(), true));
                    }
                    // Stock ran short or a book changed: read again and decide afresh.
                    continue;
                }
                Err(e) => return Err(e.into()),
            }
        }
        refuse(Error::Conflict(
            ProblemCode::Conflict,
            "the books changed while ordering; retry".into(),
        ))
        .await
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

    pub async fn list_all(&self, q: &OrderQuery) -> Result<Page<Order>> {
        let limit = page_limit(q.limit)?;
        let (index, prefix) = match q.status {
            Some(s) => (ORDERS_BY_STATUS, s.as_str()),
            None => (ORDERS_BY_TIME, "ORDERS"),
        };
        let scope = format!("orders:{index}:{prefix}");
        let (items, next_cursor) = self
            .pager
            .sharded_paged(&scope, index, prefix, false, limit, q.cursor.as_deref())
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

fn order_shard(id: OrderId) -> u32 {
    shard_of(&id.to_string())
}

/// The partition of an order in `orders_by_status`: its status and shard.
pub(super) fn status_key(status: OrderStatus, id: OrderId) -> String {
    format!("{}#{}", status.as_str(), order_shard(id))
}

pub fn order_key(id: OrderId) -> Key {
    Key::new(format!("ORDER#{id}"), "ORDER")
}

fn idem_key(user: UserId, key: &str) -> Key {
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

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct LineRecord {
    pub(super) book_id: BookId,
    pub(super) title: Title,
    pub(super) unit_price_cents: i64,
    pub(super) quantity: u32,
}

/// An order as stored: the snapshot of its lines and, separately, the returned quantities
/// per book, which returns update in place.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct OrderRecord {
    pub(super) id: OrderId,
    pub(super) user_id: UserId,
    #[serde(default)]
    pub(super) customer_email: String,
    pub(super) status: OrderStatus,
    pub(super) lines: Vec<LineRecord>,
    pub(super) returned: BTreeMap<BookId, u32>,
    pub(super) total_cents: i64,
    pub(super) refunded_cents: i64,
    pub(super) currency: Currency,
    pub(super) created_at: chrono::DateTime<chrono::Utc>,
    pub(super) updated_at: chrono::DateTime<chrono::Utc>,
    pub(super) version: i64,
}

impl OrderRecord {
    pub(super) fn into_order(self) -> Order {
        let lines = self
            .lines
            .into_iter()
            .map(|l| OrderLine {
                returned_quantity: self.returned.get(&l.book_id).copied().unwrap_or(0),
                book_id: l.book_id,
                title: l.title,
                unit_price_cents: l.unit_price_cents,
                quantity: l.quantity,
            })
            .collect();
        Order {
            id: self.id,
            user_id: self.user_id,
            customer_email: self.customer_email,
            status: self.status,
            lines,
            total_cents: self.total_cents,
            refunded_cents: self.refunded_cents,
            currency: self.currency,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

fn order_item(r: &OrderRecord) -> Result<Item> {
    let mut item = to_item(r)?;
    let key = order_key(r.id);
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    item.insert("order_user".into(), r.user_id.to_string().into());
    item.insert(
        "order_feed".into(),
        format!("ORDERS#{}", order_shard(r.id)).into(),
    );
    item.insert("order_status".into(), status_key(r.status, r.id).into());
    item.insert(
        "created_key".into(),
        format!("{}#{}", time_key(r.created_at), r.id).into(),
    );
    Ok(item)
}

/// A fingerprint of the request body, to tell a retry from a reuse of the key.
fn fingerprint(req: &PlaceOrder) -> String {
    json!(sorted_lines(&req.lines)).to_string()
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
async fn replay(store: &dyn Store, user: UserId, key: &str, print: &str) -> Result<Option<Order>> {
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
    Ok(Some(order.into_order()))
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
