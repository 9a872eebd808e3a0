//! An order's life after checkout. Each transition is one transaction conditioned on the
//! version of the order it read: of two racing transitions one wins and the other reads the
//! order again (and is refused with 409 `invalid_transition` if the state it needed is gone).
//! Copies go back to stock in the transaction that cancels or fails an order; money goes back
//! through the provider in an outbox job written by that same transaction, retried until the
//! provider confirms, so a crash at any point loses neither.
use super::checkout::payment_error;
use super::record::{OrderRecord, order_item};
use super::{Orders, expiry_job_key, get_record};
use crate::Actor;
use crate::error::{Error, Result};
use crate::outbox::{KIND_EXPIRE, KIND_REFUND, KIND_RELEASE, order_job};
use crate::payments::ProviderError;
use crate::store::{Cond, Path, StoreError, WriteOp};
use bookstore_model::{
    BookId, EventType, Order, OrderId, OrderStatus, PaymentStatus, ProblemCode, Role, ShipOrder,
    TimelineActor,
};
use chrono::Utc;

/// What a transition writes besides the order itself.
pub(super) struct Change {
    pub(super) after: OrderRecord,
    /// The copies not yet returned go back to stock.
    pub(super) restock: bool,
    /// Release the payment (void the hold or refund the capture) in an outbox job.
    pub(super) release: bool,
    pub(super) event: Option<EventType>,
    /// The change is the reservation's expiry, made by its own job (which removes itself).
    pub(super) expiry: bool,
}

impl Change {
    pub(super) fn of(after: OrderRecord) -> Self {
        Self {
            after,
            restock: false,
            release: false,
            event: None,
            expiry: false,
        }
    }
}

fn invalid(status: OrderStatus, what: &str) -> Error {
    Error::Conflict(
        ProblemCode::InvalidTransition,
        format!("the order is {}: it cannot be {what}", status.as_str()),
    )
}

fn who(actor: &Actor) -> TimelineActor {
    match actor.role {
        Role::Owner | Role::Staff => TimelineActor::Staff,
        _ => TimelineActor::Customer,
    }
}

impl Orders {
    /// Cancels an order that has not shipped: the copies go back at once, the payment is
    /// voided (or refunded, if it was captured) by a job. `staff`: the shop cancels any order;
    /// else only the caller's own.
    pub async fn cancel(&self, actor: &Actor, id: OrderId, staff: bool) -> Result<Order> {
        let by = if staff {
            TimelineActor::Staff
        } else {
            TimelineActor::Customer
        };
        let record = self
            .transition(id, |r| {
                if !staff && r.user_id != actor.id {
                    return Err(Error::NotFound("order"));
                }
                if !r.status.cancellable() {
                    return Err(invalid(r.status, "cancelled"));
                }
                let mut after = r.clone();
                after.step(OrderStatus::Cancelled, by, Some(actor.id), None, Utc::now());
                Ok(Some(Change {
                    restock: true,
                    release: after.payment.is_some(),
                    event: Some(EventType::OrderCancelled),
                    ..Change::of(after)
                }))
            })
            .await?;
        Ok(record.into_order())
    }

    /// Ships a paid order: captures its payment first (a capture is never repeated: the
    /// intent's state is read first), then records carrier and tracking number.
    pub async fn ship(&self, actor: &Actor, id: OrderId, req: ShipOrder) -> Result<Order> {
        let (carrier, tracking) = req.validate()?;
        let store = self.store.as_ref();
        let record = get_record(store, id)
            .await?
            .ok_or(Error::NotFound("order"))?;
        if record.status != OrderStatus::Paid {
            return Err(invalid(record.status, "shipped"));
        }
        if let Some(p) = &record.payment
            && p.status == PaymentStatus::Authorized
            && let Err(e) = self.capture(&p.provider_id).await
        {
            // Cancelled meanwhile (its job voided the hold): that is the answer.
            return match get_record(store, id).await? {
                Some(now) if now.status != OrderStatus::Paid => Err(invalid(now.status, "shipped")),
                _ => Err(e),
            };
        }
        let record = self
            .transition(id, |r| {
                if r.status != OrderStatus::Paid {
                    return Err(invalid(r.status, "shipped"));
                }
                let mut after = r.clone();
                if let Some(p) = after.payment.as_mut() {
                    p.status = PaymentStatus::Captured;
                }
                if let Some(s) = after.shipping.as_mut() {
                    s.carrier = Some(carrier.clone());
                    s.tracking_number = Some(tracking.clone());
                }
                after.step(
                    OrderStatus::Shipped,
                    TimelineActor::Staff,
                    Some(actor.id),
                    Some(format!("{carrier} {tracking}")),
                    Utc::now(),
                );
                Ok(Some(Change {
                    event: Some(EventType::OrderShipped),
                    ..Change::of(after)
                }))
            })
            .await?;
        Ok(record.into_order())
    }

    async fn capture(&self, intent: &str) -> Result<()> {
        let payments = self.payments()?;
        let current = payments
            .retrieve(intent)
            .await
            .map_err(|e| payment_error(e, None))?;
        match current.status.as_str() {
            "succeeded" => Ok(()),
            "requires_capture" => payments
                .capture(intent)
                .await
                .map(|_| ())
                .map_err(|e| payment_error(e, None)),
            other => Err(Error::PaymentDeclined(format!(
                "the payment can no longer be captured (it is {other})"
            ))),
        }
    }

    pub async fn deliver(&self, actor: &Actor, id: OrderId) -> Result<Order> {
        let record = self
            .transition(id, |r| {
                if r.status != OrderStatus::Shipped {
                    return Err(invalid(r.status, "delivered"));
                }
                let mut after = r.clone();
                after.step(
                    OrderStatus::Delivered,
                    who(actor),
                    Some(actor.id),
                    None,
                    Utc::now(),
                );
                Ok(Some(Change {
                    event: Some(EventType::OrderDelivered),
                    ..Change::of(after)
                }))
            })
            .await?;
        Ok(record.into_order())
    }

    /// The provider authorized a reserved order's payment.
    /// `known`: the order as the caller last wrote it, which saves a read when it is current.
    pub(super) async fn settle_paid(
        &self,
        id: OrderId,
        known: Option<OrderRecord>,
        note: Option<&str>,
    ) -> Result<OrderRecord> {
        self.transition_from(id, known, |r| {
            if r.status != OrderStatus::PendingPayment {
                return Ok(None);
            }
            let mut after = r.clone();
            if let Some(p) = after.payment.as_mut() {
                p.status = PaymentStatus::Authorized;
            }
            after.step(
                OrderStatus::Paid,
                TimelineActor::System,
                None,
                note.map(str::to_owned),
                Utc::now(),
            );
            Ok(Some(Change {
                event: Some(EventType::OrderPaid),
                ..Change::of(after)
            }))
        })
        .await
    }

    /// The provider refused a reserved order's payment: the copies go back.
    pub(super) async fn settle_failed(
        &self,
        id: OrderId,
        known: Option<OrderRecord>,
        why: &str,
    ) -> Result<OrderRecord> {
        self.transition_from(id, known, |r| {
            if r.status != OrderStatus::PendingPayment {
                return Ok(None);
            }
            let mut after = r.clone();
            if let Some(p) = after.payment.as_mut() {
                p.status = PaymentStatus::Failed;
                p.failure = Some(why.to_owned());
            }
            after.step(
                OrderStatus::PaymentFailed,
                TimelineActor::System,
                None,
                Some(why.to_owned()),
                Utc::now(),
            );
            Ok(Some(Change {
                restock: true,
                event: Some(EventType::OrderPaymentFailed),
                ..Change::of(after)
            }))
        })
        .await
    }

    /// Does an order job of the outbox: `Ok` when it is done (its removal follows), `Err` to
    /// have it tried again when its lease runs out.
    pub(crate) async fn run_job(&self, kind: &str, job: &crate::store::Item) -> Result<()> {
        let field = |name: &str| job.get(name).and_then(serde_json::Value::as_str);
        let id: OrderId = field("order_id")
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| Error::internal("an order job without its order"))?;
        match kind {
            KIND_EXPIRE => self.expire(id).await,
            KIND_RELEASE => self.release_payment(id).await,
            KIND_REFUND => {
                let ret = field("return_id")
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| Error::internal("a refund job without its return"))?;
                self.refund_return(id, ret).await
            }
            other => Err(Error::internal(format!("not an order job: {other}"))),
        }
    }

    /// A reservation's end: an order still `pending_payment` is settled by what the provider
    /// says (paid after all, if the card was authorized: an instance may have died between
    /// the authorization and its record), else its intent is cancelled (so a late 3-D Secure
    /// step can no longer authorize it) and the order cancelled with its copies back.
    async fn expire(&self, id: OrderId) -> Result<()> {
        let Some(record) = get_record(self.store.as_ref(), id).await? else {
            return Ok(());
        };
        if record.status != OrderStatus::PendingPayment {
            return Ok(());
        }
        if let Some(p) = &record.payment {
            let payments = self.payments()?;
            let intent = payments.retrieve(&p.provider_id).await.map_err(down)?;
            if intent.authorized() {
                self.settle_paid(id, None, Some("authorized before the reservation expired"))
                    .await?;
                return Ok(());
            }
            if intent.status != "canceled" {
                match payments.cancel(&p.provider_id).await {
                    Ok(_) => {}
                    // Authorized between the two calls: read again next time.
                    Err(e) => return Err(down(e)),
                }
            }
        }
        self.transition(id, |r| {
            if r.status != OrderStatus::PendingPayment {
                return Ok(None);
            }
            let mut after = r.clone();
            if let Some(p) = after.payment.as_mut() {
                p.status = PaymentStatus::Voided;
            }
            after.step(
                OrderStatus::Cancelled,
                TimelineActor::System,
                None,
                Some("the payment was not completed in time".into()),
                Utc::now(),
            );
            Ok(Some(Change {
                restock: true,
                event: Some(EventType::OrderCancelled),
                expiry: true,
                ..Change::of(after)
            }))
        })
        .await?;
        Ok(())
    }

    /// A cancelled order's money: the hold voided, or the capture refunded (once: the refund
    /// carries the order's key and is looked for before it is made).
    async fn release_payment(&self, id: OrderId) -> Result<()> {
        let Some(record) = get_record(self.store.as_ref(), id).await? else {
            return Ok(());
        };
        let Some(p) = &record.payment else {
            return Ok(());
        };
        if matches!(
            p.status,
            PaymentStatus::Voided | PaymentStatus::Refunded | PaymentStatus::Failed
        ) {
            return Ok(());
        }
        let payments = self.payments()?;
        // A capture may race this (a shipment that lost to the cancel): read, act, and on a
        // refusal read again.
        let mut refund = None;
        for _ in 0..3 {
            let intent = payments.retrieve(&p.provider_id).await.map_err(down)?;
            let acted = match intent.status.as_str() {
                "canceled" | "requires_payment_method" => Ok(0),
                "succeeded" => {
                    let owed = p.amount_cents - p.refunded_cents;
                    let key = format!("order-{id}-cancel");
                    match owed {
                        0 => Ok(0),
                        _ => payments
                            .refund(&p.provider_id, owed, &key)
                            .await
                            .map(|()| owed),
                    }
                }
                _ => payments.cancel(&p.provider_id).await.map(|_| 0),
            };
            match acted {
                Ok(n) => {
                    refund = Some(n);
                    break;
                }
                Err(ProviderError::Unavailable(e)) => {
                    return Err(down(ProviderError::Unavailable(e)));
                }
                Err(e) => tracing::info!(error = %e, order = %id, "releasing a payment: again"),
            }
        }
        let Some(refund) = refund else {
            return Err(Error::Unavailable(format!(
                "order {id}: the provider kept refusing to release its payment"
            )));
        };
        self.transition(id, |r| {
            let mut after = r.clone();
            let Some(p) = after.payment.as_mut() else {
                return Ok(None);
            };
            if matches!(p.status, PaymentStatus::Voided | PaymentStatus::Refunded) {
                return Ok(None);
            }
            if refund > 0 {
                p.status = PaymentStatus::Refunded;
                p.refunded_cents += refund;
                after.refunded_cents += refund;
            } else {
                p.status = PaymentStatus::Voided;
            }
            after.updated_at = Utc::now();
            Ok(Some(Change::of(after)))
        })
        .await?;
        Ok(())
    }

    /// Reads the order and lets `decide` say what changes (`None`: nothing; `Err`: refused),
    /// then writes it conditioned on the version read; reads again if the order changed
    /// meanwhile. Returns the order as it is after.
    async fn transition<F>(&self, id: OrderId, decide: F) -> Result<OrderRecord>
    where
        F: FnMut(&OrderRecord) -> Result<Option<Change>>,
    {
        self.transition_from(id, None, decide).await
    }

    /// `transition`, starting from `known` instead of a read when the caller has the order (a
    /// stale one only costs a refused write and the read after it).
    pub(super) async fn transition_from<F>(
        &self,
        id: OrderId,
        mut known: Option<OrderRecord>,
        mut decide: F,
    ) -> Result<OrderRecord>
    where
        F: FnMut(&OrderRecord) -> Result<Option<Change>>,
    {
        let store = self.store.as_ref();
        for _ in 0..super::MAX_ATTEMPTS {
            let before = match known.take() {
                Some(r) => r,
                None => get_record(store, id)
                    .await?
                    .ok_or(Error::NotFound("order"))?,
            };
            let Some(Change {
                mut after,
                restock,
                release,
                event,
                expiry,
            }) = decide(&before)?
            else {
                return Ok(before);
            };
            after.version = before.version + 1;
            let mut ops = vec![WriteOp::Put {
                item: order_item(&after)?,
                cond: Some(Cond::Eq(Path::attr("version"), before.version.into())),
            }];
            if restock {
                let unreturned: Vec<(BookId, u32)> = before
                    .lines
                    .iter()
                    .map(|l| {
                        let returned = before.returned.get(&l.book_id).copied().unwrap_or(0);
                        (l.book_id, l.quantity - returned)
                    })
                    .collect();
                ops.extend(self.stock_back(&unreturned).await?);
            }
            if release {
                ops.push(order_job(
                    KIND_RELEASE,
                    &format!("{id}-release"),
                    Utc::now(),
                    id,
                ));
            }
            if let Some((delta, fact)) = crate::sales::transition_delta(&before, &after) {
                ops.extend(delta.ops(id, after.created_at, fact, Utc::now())?);
            }
            // Paid, failed or cancelled in time: the reservation's expiry job has nothing left
            // to do, and would otherwise be read and claimed at its time only to find that.
            if let (OrderStatus::PendingPayment, Some(expires_at), false) = (
                before.status,
                before.payment_expires_at,
                expiry || after.status == before.status,
            ) {
                ops.push(WriteOp::Delete {
                    key: expiry_job_key(id, expires_at),
                    cond: None,
                });
            }
            if let Some(event) = event {
                ops.push(self.wakeup.emit(event, &after.clone().into_order())?);
            }
            match store.transact(ops).await {
                Ok(()) => {
                    return Ok(after);
                }
                Err(StoreError::ConditionFailed(_)) => continue,
                Err(StoreError::Unknown(cause)) => match self.resolve(&before, &after).await {
                    Some(true) => {
                        return Ok(after);
                    }
                    // Certainly not applied (another change won, or a fence now stops it).
                    Some(false) => continue,
                    None => {
                        return Err(Error::OutcomeUnknown {
                            what: "order change",
                            location: Some(format!("/api/v1/orders/{id}")),
                            cause,
                        });
                    }
                },
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::Conflict(
            ProblemCode::Conflict,
            "the order kept changing; retry".into(),
        ))
    }

    /// Whether a transition the store did not confirm was applied: `Some(true)` if the order
    /// read back is the one written (its `updated_at` is this write's), `Some(false)` if
    /// another write came first or a fence (a bare version bump, conditioned on the version the
    /// transition expected) now keeps it from ever applying; `None` if the store cannot tell.
    async fn resolve(&self, before: &OrderRecord, after: &OrderRecord) -> Option<bool> {
        let store = self.store.as_ref();
        for attempt in 0..4u32 {
            if attempt > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(100 << attempt)).await;
            }
            let Ok(Some(now)) = get_record(store, before.id).await else {
                continue;
            };
            if now.version > before.version {
                return Some(now.updated_at == after.updated_at);
            }
            let fence = WriteOp::Update {
                key: super::order_key(before.id),
                set: vec![],
                add: vec![(Path::attr("version"), 1)],
                cond: Some(Cond::Eq(Path::attr("version"), before.version.into())),
            };
            if store.transact(vec![fence]).await.is_ok() {
                return Some(false);
            }
        }
        None
    }
}

/// A provider error in a job: try again later.
fn down(e: ProviderError) -> Error {
    Error::Unavailable(format!("payment provider: {e}"))
}
