//! Returns received by the shop: the copies back in stock and the order's returned quantities
//! in one transaction with the return's new status (so a return is received once), and the
//! refund through the payment provider in an outbox job of that same transaction, retried until
//! the provider confirms, made once (the refund carries the return's key and is looked for
//! before it is made).
use super::record::{OrderRecord, order_item, order_key};
use super::{MAX_ATTEMPTS, Orders, get_record};
use crate::Actor;
use crate::error::{Error, Result};
use crate::items::{from_item, to_item};
use crate::outbox::{KIND_REFUND, order_job};
use crate::outcome::is_void;
use crate::store::{Cond, Item, Key, Path, Query, StoreError, WriteOp};
use bookstore_model::{
    BookId, EventType, OrderId, OrderStatus, PaymentStatus, ProblemCode, Return, ReturnId,
    ReturnReceipt, ReturnStatus, TimelineActor,
};
use chrono::Utc;
use serde_json::{Value, json};

impl Orders {
    /// The shop has the copies of a requested return back: they go back to stock, the order
    /// counts them returned, and the refund is issued (by a job, at the provider).
    pub async fn receive_return(
        &self,
        actor: &Actor,
        order_id: OrderId,
        return_id: ReturnId,
    ) -> Result<ReturnReceipt> {
        let store = self.store.as_ref();
        for _ in 0..MAX_ATTEMPTS {
            let (key, ret) = self.find_return(order_id, return_id).await?;
            if ret.status != ReturnStatus::Requested {
                return Err(Error::Conflict(
                    ProblemCode::InvalidTransition,
                    "the return has been received already".into(),
                ));
            }
            let record = get_record(store, order_id)
                .await?
                .ok_or(Error::NotFound("order"))?;
            let now = Utc::now();
            let mut after = record.clone();
            for l in &ret.lines {
                *after.returned.entry(l.book_id).or_insert(0) += l.quantity;
            }
            after.refunded_cents += ret.refund_cents;
            let all_back = after
                .lines
                .iter()
                .all(|l| after.returned.get(&l.book_id).copied().unwrap_or(0) >= l.quantity);
            let status = if all_back {
                OrderStatus::Returned
            } else {
                OrderStatus::PartiallyReturned
            };
            if status == after.status {
                after.updated_at = now;
            } else {
                after.step(status, TimelineActor::Staff, Some(actor.id), None, now);
            }
            after.version += 1;
            let mut received = ret.clone();
            received.status = ReturnStatus::Received;
            received.received_at = Some(now);
            let mut ops = vec![
                WriteOp::Put {
                    item: order_item(&after)?,
                    cond: Some(Cond::Eq(Path::attr("version"), record.version.into())),
                },
                WriteOp::Put {
                    item: return_item(&key, &received)?,
                    cond: Some(Cond::Eq(
                        Path::attr("status"),
                        json!(ReturnStatus::Requested),
                    )),
                },
            ];
            let copies: Vec<(BookId, u32)> =
                ret.lines.iter().map(|l| (l.book_id, l.quantity)).collect();
            ops.extend(self.stock_back(&copies).await?);
            if let Some(delta) = crate::sales::return_delta(&record, &copies, ret.refund_cents) {
                let fact = format!("return-{return_id}");
                ops.extend(delta.ops(order_id, record.created_at, &fact, now)?);
            }
            if after.payment.is_some() && ret.refund_cents > 0 {
                let mut job = order_job(KIND_REFUND, &format!("{return_id}-refund"), now, order_id);
                if let WriteOp::Put { item, .. } = &mut job {
                    item.insert("return_id".into(), return_id.to_string().into());
                }
                ops.push(job);
            }
            let receipt = ReturnReceipt {
                return_: received,
                order: after.into_order(),
            };
            ops.push(self.wakeup.emit(EventType::ReturnReceived, &receipt)?);
            match store.transact(ops).await {
                Ok(()) => {
                    return Ok(receipt);
                }
                Err(StoreError::ConditionFailed(_)) => continue,
                Err(StoreError::Unknown(cause)) => {
                    // Applied if the return reads back received at this very time.
                    let (_, now_stored) = self.find_return(order_id, return_id).await?;
                    if now_stored.received_at == Some(now) {
                        return Ok(receipt);
                    }
                    return Err(Error::OutcomeUnknown {
                        what: "return receipt",
                        location: Some(format!("/api/v1/admin/orders/{order_id}/returns")),
                        cause,
                    });
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::Conflict(
            ProblemCode::Conflict,
            "the order kept changing; retry".into(),
        ))
    }

    /// The refund of a received return: at the provider (once, by the return's key), then
    /// recorded on the order and the return, with its `refund.issued` event.
    pub(super) async fn refund_return(&self, order_id: OrderId, return_id: ReturnId) -> Result<()> {
        let store = self.store.as_ref();
        let (_, ret) = self.find_return(order_id, return_id).await?;
        if ret.refunded_at.is_some() {
            return Ok(());
        }
        let Some(record) = get_record(store, order_id).await? else {
            return Ok(());
        };
        if let Some(p) = &record.payment {
            self.payments()?
                .refund(
                    &p.provider_id,
                    ret.refund_cents,
                    &format!("return-{return_id}"),
                )
                .await
                .map_err(|e| Error::Unavailable(format!("payment provider: {e}")))?;
        }
        for _ in 0..MAX_ATTEMPTS {
            let (key, mut ret) = self.find_return(order_id, return_id).await?;
            if ret.refunded_at.is_some() {
                return Ok(());
            }
            let Some(record) = get_record(store, order_id).await? else {
                return Ok(());
            };
            let mut after: OrderRecord = record.clone();
            if let Some(p) = after.payment.as_mut() {
                p.refunded_cents += ret.refund_cents;
                if p.refunded_cents >= p.amount_cents {
                    p.status = PaymentStatus::Refunded;
                }
            }
            let now = Utc::now();
            after.updated_at = now;
            after.version += 1;
            ret.refunded_at = Some(now);
            let event = json!({
                "order_id": order_id,
                "return_id": return_id,
                "amount_cents": ret.refund_cents,
                "currency": after.currency,
            });
            let ops = vec![
                WriteOp::Put {
                    item: order_item(&after)?,
                    cond: Some(Cond::Eq(Path::attr("version"), record.version.into())),
                },
                WriteOp::Put {
                    item: return_item(&key, &ret)?,
                    cond: Some(Cond::Exists),
                },
                self.wakeup.emit(EventType::RefundIssued, &event)?,
            ];
            match store.transact(ops).await {
                Ok(()) => {
                    return Ok(());
                }
                Err(StoreError::ConditionFailed(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::Unavailable(format!(
            "order {order_id} kept changing while its refund was recorded"
        )))
    }

    /// A return of an order, with its key.
    async fn find_return(&self, order_id: OrderId, return_id: ReturnId) -> Result<(Key, Return)> {
        let mut query = Query {
            index: None,
            pk: order_key(order_id).pk,
            sk_prefix: Some("RETURN#".into()),
            forward: true,
            limit: 1000,
            start: None,
        };
        let wanted = return_id.to_string();
        loop {
            let page = self.store.query(&query).await?;
            for item in page.items {
                if !is_void(&item) && item.get("id").and_then(Value::as_str) == Some(&wanted) {
                    let key =
                        Key::of(&item).ok_or_else(|| Error::internal("return without key"))?;
                    return Ok((key, from_item(item)?));
                }
            }
            match page.last_key {
                Some(last) => query.start = Some(last),
                None => return Err(Error::NotFound("return")),
            }
        }
    }

    /// Every return of any order, oldest first (the shop's view).
    pub async fn returns_of_any(&self, order_id: OrderId) -> Result<Vec<Return>> {
        let record = get_record(self.store.as_ref(), order_id)
            .await?
            .ok_or(Error::NotFound("order"))?;
        self.list_returns(record.id).await
    }
}

fn return_item(key: &Key, ret: &Return) -> Result<Item> {
    let mut item = to_item(ret)?;
    item.insert("pk".into(), key.pk.clone().into());
    item.insert("sk".into(), key.sk.clone().into());
    Ok(item)
}
