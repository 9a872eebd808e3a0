//! An order as stored, and its item.
use crate::error::Result;
use crate::items::{time_key, to_item};
use crate::store::keys::shard_of;
use crate::store::{Item, Key};
use bookstore_model::{
    BookId, Currency, Order, OrderId, OrderLine, OrderPayment, OrderShipping, OrderStatus,
    TimelineActor, TimelineEntry, Title, UserId,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct LineRecord {
    pub(crate) book_id: BookId,
    pub(crate) title: Title,
    pub(crate) unit_price_cents: i64,
    pub(crate) quantity: u32,
}

/// An order as stored: the snapshot of its lines and, separately, the returned quantities
/// per book, which returns update in place. Orders from before checkout took an address and a
/// card have no shipping, payment or timeline, and no shipping or tax in their total.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct OrderRecord {
    pub(crate) id: OrderId,
    pub(crate) user_id: UserId,
    #[serde(default)]
    pub(crate) customer_email: String,
    pub(crate) status: OrderStatus,
    pub(crate) lines: Vec<LineRecord>,
    pub(crate) returned: BTreeMap<BookId, u32>,
    /// Copies asked back per book (received or not); absent on orders from before returns
    /// were requests, whose returns were all received at once.
    #[serde(default)]
    pub(crate) requested: BTreeMap<BookId, u32>,
    #[serde(default)]
    pub(crate) shipping_cents: i64,
    #[serde(default)]
    pub(crate) tax_cents: i64,
    pub(crate) total_cents: i64,
    pub(crate) refunded_cents: i64,
    pub(crate) currency: Currency,
    #[serde(default)]
    pub(crate) shipping: Option<OrderShipping>,
    #[serde(default)]
    pub(crate) payment: Option<OrderPayment>,
    #[serde(default)]
    pub(crate) payment_expires_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub(crate) timeline: Vec<TimelineEntry>,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
    pub(crate) version: i64,
}

impl OrderRecord {
    pub(crate) fn items_cents(&self) -> i64 {
        self.lines
            .iter()
            .map(|l| l.unit_price_cents * i64::from(l.quantity))
            .sum()
    }

    /// Copies of a book asked back so far, received or not.
    pub(crate) fn asked_back(&self, book: BookId) -> u32 {
        let requested = self.requested.get(&book).copied().unwrap_or(0);
        requested.max(self.returned.get(&book).copied().unwrap_or(0))
    }

    /// Moves to `status`, noting who did it on the timeline.
    pub(crate) fn step(
        &mut self,
        status: OrderStatus,
        by: TimelineActor,
        actor_id: Option<UserId>,
        note: Option<String>,
        now: DateTime<Utc>,
    ) {
        self.status = status;
        self.timeline.push(TimelineEntry {
            status,
            at: now,
            by,
            actor_id,
            note,
        });
        self.updated_at = now;
    }

    /// When the order was delivered, if it was.
    pub(crate) fn delivered_at(&self) -> Option<DateTime<Utc>> {
        self.timeline
            .iter()
            .rev()
            .find(|t| t.status == OrderStatus::Delivered)
            .map(|t| t.at)
    }

    pub(crate) fn into_order(self) -> Order {
        let items_cents = self.items_cents();
        let asked: Vec<u32> = self
            .lines
            .iter()
            .map(|l| self.asked_back(l.book_id))
            .collect();
        let lines = self
            .lines
            .into_iter()
            .zip(asked)
            .map(|(l, asked)| OrderLine {
                returned_quantity: self.returned.get(&l.book_id).copied().unwrap_or(0),
                return_requested_quantity: asked,
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
            items_cents,
            shipping_cents: self.shipping_cents,
            tax_cents: self.tax_cents,
            total_cents: self.total_cents,
            refunded_cents: self.refunded_cents,
            currency: self.currency,
            shipping: self.shipping,
            payment: self.payment,
            payment_expires_at: self.payment_expires_at,
            timeline: self.timeline,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

fn order_shard(id: OrderId) -> u32 {
    shard_of(&id.to_string())
}

/// The partition of an order in `orders_by_status`: its status and shard.
pub(crate) fn status_key(status: OrderStatus, id: OrderId) -> String {
    format!("{}#{}", status.as_str(), order_shard(id))
}

pub fn order_key(id: OrderId) -> Key {
    Key::new(format!("ORDER#{id}"), "ORDER")
}

pub(crate) fn order_item(r: &OrderRecord) -> Result<Item> {
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
