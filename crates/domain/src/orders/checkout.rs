//! Checkout: the copies reserved and the order written in one all-or-nothing transaction whose
//! conditions make overselling impossible, whatever the number of API instances; then the card
//! authorized at the provider. An order that is never paid gives its copies back when its
//! reservation expires (`lifecycle.rs`).
use super::record::{LineRecord, OrderRecord, order_item, order_key};
use super::{
    MAX_ATTEMPTS, Orders, expiry_job_id, fingerprint, get_record, idem_item, idem_key, replay,
};
use crate::Actor;
use crate::catalogue::stock::{Crossing, own_threshold, stock_move};
use crate::catalogue::{book_key, crossing_events, get_many};
use crate::error::{Error, Result};
use crate::items::from_item;
use crate::outbox::{KIND_EXPIRE, order_job};
use crate::outcome::{Probe, transact_resolved};
use crate::payments::{Intent, ProviderError};
use crate::shipping::{shipping_cents, tax_cents};
use crate::store::{Cond, Path, Store, StoreError, WriteOp};
use bookstore_model::{
    AddressId, AddressInput, Book, BookId, CountryCode, EventType, LineRequest, Order, OrderId,
    OrderPayment, OrderShipping, OrderStatus, PaymentStatus, PlaceOrder, ProblemCode,
    ShippingOption, Shortage, TimelineActor,
};
use chrono::Utc;

impl Orders {
    /// Places an order: reserves its copies (`pending_payment`) and authorizes the card.
    /// Returns the order and whether it was placed now (`false`: a retry with the same
    /// `Idempotency-Key`, which continues the payment of the order it repeats).
    ///
    /// Paid: the order is `paid`. Declined: 402 and the copies are back (`payment_failed`).
    /// 3-D Secure: 402 `payment_requires_action`, the order stays reserved until the shopper
    /// completes it (then `POST /orders/{id}/payment`) or the reservation expires. Provider
    /// unreachable: 503, the order stays reserved; a retry or the expiry settles it.
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
        // A retry's key is looked up only when the reservation is refused (its record is
        // there): first attempts, nearly all of them, pay no read for it.
        let address = self
            .ship_to(user, req.address_id, req.shipping_address.as_ref())
            .await?;
        let country = CountryCode::parse(&address.country)?;
        let option = self.serving_option(&req.shipping_option, &country)?;
        let payments = self.payments()?;
        let currency = self.shipping.currency().clone();
        let order_id = OrderId::new();
        let ids: Vec<BookId> = req.lines.iter().map(|l| l.book_id).collect();
        // The intent is made before the reservation, so the order is written with its id: no
        // crash can leave a held card that no order knows. Until confirmed it holds nothing.
        let mut intent: Option<Intent> = None;
        let (key, print) = (&idempotency_key, &print);
        let refused = |e: Error, intent: Option<Intent>| async move {
            if let Some(i) = intent {
                // Never confirmed; cancelling only tidies the provider's list.
                let _ = payments.cancel(&i.id).await;
            }
            // A retry that lost the race to its own original gets the original.
            if let Some(key) = key
                && let Some(record) = replay(store, user.id, &key.key, print).await?
            {
                return self.authorize(record, false).await;
            }
            Err(e)
        };
        for _ in 0..MAX_ATTEMPTS {
            let (books, thresholds) = match in_stock(store, &req.lines, &ids).await {
                Ok(read) => read,
                Err(e) => return refused(e, intent).await,
            };
            let now = Utc::now();
            let lines = line_records(&req.lines, &books);
            let Priced {
                shipping_cents: shipping,
                tax_cents: tax,
                total_cents: total,
                ..
            } = self.price(&lines, &option, &country);
            let current = match intent.take() {
                Some(i) if i.amount == total => i,
                stale => {
                    if let Some(old) = stale {
                        let _ = payments.cancel(&old.id).await;
                    }
                    let made = payments
                        .create_intent(
                            &order_id.to_string(),
                            total,
                            currency.as_str(),
                            req.payment_method.as_str(),
                        )
                        .await;
                    match made {
                        Ok(i) => i,
                        Err(e) => return refused(payment_error(e, None), None).await,
                    }
                }
            };
            let expires_at = now
                + chrono::Duration::from_std(payments.config().payment_timeout)
                    .unwrap_or(chrono::Duration::minutes(15));
            let mut record = OrderRecord {
                id: order_id,
                user_id: user.id,
                customer_email: user.email.clone(),
                status: OrderStatus::PendingPayment,
                returned: lines.iter().map(|l| (l.book_id, 0)).collect(),
                requested: lines.iter().map(|l| (l.book_id, 0)).collect(),
                lines,
                shipping_cents: shipping,
                tax_cents: tax,
                total_cents: total,
                refunded_cents: 0,
                currency: currency.clone(),
                shipping: Some(OrderShipping {
                    address: address.clone(),
                    option_id: option.id.clone(),
                    option_name: option.name.clone(),
                    delivery_days_min: option.delivery_days_min,
                    delivery_days_max: option.delivery_days_max,
                    carrier: None,
                    tracking_number: None,
                }),
                payment: Some(OrderPayment {
                    status: PaymentStatus::Pending,
                    provider_id: current.id.clone(),
                    amount_cents: total,
                    refunded_cents: 0,
                    failure: None,
                }),
                payment_expires_at: Some(expires_at),
                timeline: vec![],
                created_at: now,
                updated_at: now,
                version: 1,
            };
            record.step(
                OrderStatus::PendingPayment,
                TimelineActor::Customer,
                Some(user.id),
                None,
                now,
            );
            // One update per line: take the stock only if enough is left, and only if the book
            // is unchanged since read, so the snapshot's title and price are the ones charged
            // (and the threshold the one read); and only if the stock is still on the side of
            // the threshold it was read on, so `stock.low` is raised once per crossing.
            let mut ops: Vec<WriteOp> = Vec::with_capacity(req.lines.len() + 5);
            let mut crossings = Vec::new();
            for ((l, b), t) in req.lines.iter().zip(&books).zip(&thresholds) {
                let q = i64::from(l.quantity.get());
                let threshold = t.unwrap_or(self.low_stock_threshold);
                let moved = stock_move(b.stock, -q, threshold);
                let mut cond = vec![
                    Cond::Ge(Path::attr("stock"), q),
                    Cond::Eq(Path::attr("version"), b.version.into()),
                ];
                cond.extend(moved.cond);
                ops.push(WriteOp::Update {
                    key: book_key(b.id),
                    set: vec![],
                    add: vec![(Path::attr("stock"), -q), (Path::attr("sold"), q)],
                    cond: Some(Cond::And(cond)),
                });
                if moved.crossing != Crossing::default() {
                    let mut after = b.clone();
                    after.stock -= q;
                    after.currency = currency.clone();
                    crossings.push((moved.crossing, after, threshold));
                }
            }
            let order_index = ops.len();
            ops.push(WriteOp::Put {
                item: order_item(&record)?,
                cond: Some(Cond::NotExists),
            });
            let idem_index = ops.len();
            if let Some(key) = &idempotency_key {
                let item = idem_item(
                    &idem_key(user.id, &key.key),
                    print,
                    now.timestamp() + key.ttl_secs,
                    &[("order_id", record.id.to_string())],
                );
                // A record past its time is a forgotten key (DynamoDB's TTL removes it late).
                ops.push(WriteOp::Put {
                    item,
                    cond: Some(Cond::Or(vec![
                        Cond::NotExists,
                        Cond::Le(Path::attr("ttl"), now.timestamp()),
                    ])),
                });
            }
            // The reservation's end: whatever happens to this request, the copies come back
            // unless the order is paid by then.
            ops.push(order_job(
                KIND_EXPIRE,
                &expiry_job_id(order_id),
                expires_at,
                order_id,
            ));
            ops.push(
                self.wakeup
                    .emit(EventType::OrderPlaced, &record.clone().into_order())?,
            );
            for (crossing, book, threshold) in &crossings {
                ops.extend(crossing_events(&self.wakeup, *crossing, book, *threshold)?);
            }
            // The order's own item tells, if the store cannot, whether the order was placed.
            let probe = Probe {
                key: order_key(record.id),
                fence: true,
            };
            match transact_resolved(store, ops, &probe).await {
                Ok(()) => {
                    return self.authorize(record, true).await;
                }
                Err(StoreError::Unknown(cause)) => {
                    return Err(Error::OutcomeUnknown {
                        what: "order",
                        location: Some(format!("/api/v1/orders/{}", record.id)),
                        cause,
                    });
                }
                Err(StoreError::ConditionFailed(failed)) => {
                    if failed.contains(&idem_index) {
                        return refused(
                            Error::Conflict(ProblemCode::Conflict, "a retry raced".into()),
                            Some(current),
                        )
                        .await;
                    }
                    // This order's id is new: only an earlier attempt of this very write, applied
                    // though unconfirmed, can have taken it.
                    if failed.contains(&order_index)
                        && let Some(placed) = get_record(store, record.id).await?
                    {
                        return self.authorize(placed, true).await;
                    }
                    // Stock ran short or a book changed: read again and decide afresh.
                    intent = Some(current);
                    continue;
                }
                Err(e) => return refused(e.into(), Some(current)).await,
            }
        }
        refused(
            Error::Conflict(
                ProblemCode::Conflict,
                "the books changed while ordering; retry".into(),
            ),
            intent,
        )
        .await
    }

    /// Completes a `pending_payment` order's payment after the shopper's 3-D Secure step (or
    /// after a 503): asks the provider and settles the order. Any other order is answered as
    /// it is.
    pub async fn complete_payment(&self, user: &Actor, id: OrderId) -> Result<Order> {
        match get_record(self.store.as_ref(), id).await? {
            Some(r) if r.user_id == user.id => Ok(self.authorize(r, false).await?.0),
            _ => Err(Error::NotFound("order")),
        }
    }

    /// Authorizes a reserved order's card (`fresh`: just reserved, so confirm at once; else
    /// read the intent first, as an earlier attempt may have confirmed it) and settles the
    /// order by the answer.
    async fn authorize(&self, record: OrderRecord, fresh: bool) -> Result<(Order, bool)> {
        let (Some(payment), OrderStatus::PendingPayment) = (&record.payment, record.status) else {
            return Ok((record.into_order(), fresh));
        };
        let payments = self.payments()?;
        let intent = payment.provider_id.clone();
        let location = format!("/api/v1/orders/{}", record.id);
        let answer = if fresh {
            payments.confirm(&intent).await
        } else {
            match payments.retrieve(&intent).await {
                Ok(i) if i.status == "requires_confirmation" => payments.confirm(&intent).await,
                other => other,
            }
        };
        let id = record.id;
        let settled = match answer {
            Ok(i) if i.authorized() => self.settle_paid(id, Some(record), None).await?,
            Ok(i) if i.status == "requires_action" => {
                return Err(Error::PaymentRequiresAction {
                    location,
                    client_secret: i.client_secret.unwrap_or_default(),
                });
            }
            Ok(i) if i.dead() => {
                let why = i
                    .last_payment_error
                    .as_ref()
                    .and_then(|e| e["message"].as_str())
                    .unwrap_or("the payment was not completed")
                    .to_owned();
                self.settle_failed(id, Some(record), &why).await?
            }
            // `processing`: the answer comes later; the shopper asks again.
            Ok(_) => record,
            Err(ProviderError::Declined { message, .. }) => {
                self.settle_failed(id, Some(record), &message).await?
            }
            Err(e) => return Err(payment_error(e, Some(location))),
        };
        match (&settled.status, &settled.payment) {
            (OrderStatus::PaymentFailed, Some(p)) => Err(Error::PaymentDeclined(
                p.failure
                    .clone()
                    .unwrap_or_else(|| "the card was declined".into()),
            )),
            _ => Ok((settled.into_order(), fresh)),
        }
    }

    /// Where the order goes: the address book's entry, or the address given, checked alike.
    pub(super) async fn ship_to(
        &self,
        user: &Actor,
        address_id: Option<AddressId>,
        given: Option<&AddressInput>,
    ) -> Result<AddressInput> {
        let address = match (address_id, given) {
            (Some(id), _) => self.addresses.find(user, id).await?,
            (None, Some(given)) => given.clone().into_address(AddressId::new(), Utc::now())?,
            (None, None) => return Err(Error::Validation("an order needs an address".into())),
        };
        Ok(AddressInput::from(&address))
    }
}

impl Orders {
    /// The shipping option `id`, if it ships to `country`.
    pub(super) fn serving_option(&self, id: &str, country: &CountryCode) -> Result<ShippingOption> {
        self.shipping
            .option(id)
            .filter(|o| o.serves(country))
            .cloned()
            .ok_or_else(|| {
                Error::Unprocessable(
                    ProblemCode::ShippingUnavailable,
                    format!(
                        "shipping option `{id}` does not ship to {country}; see \
                         /api/v1/shipping-options?country={country}"
                    ),
                )
            })
    }

    /// What `lines` come to, shipped with `option` to `country`.
    pub(super) fn price(
        &self,
        lines: &[LineRecord],
        option: &ShippingOption,
        country: &CountryCode,
    ) -> Priced {
        let copies: u32 = lines.iter().map(|l| l.quantity).sum();
        let items_cents: i64 = lines
            .iter()
            .map(|l| l.unit_price_cents * i64::from(l.quantity))
            .sum();
        let shipping = shipping_cents(option, copies);
        let tax_rate_bps = self.shipping.tax_rate_bps(country);
        let tax = tax_cents(items_cents + shipping, tax_rate_bps);
        Priced {
            items_cents,
            shipping_cents: shipping,
            tax_rate_bps,
            tax_cents: tax,
            total_cents: items_cents + shipping + tax,
        }
    }
}

/// An order's amounts, in minor units.
pub(super) struct Priced {
    pub items_cents: i64,
    pub shipping_cents: i64,
    pub tax_rate_bps: u32,
    pub tax_cents: i64,
    pub total_cents: i64,
}

/// The books of `lines` (`ids`, in order) and their own low-stock thresholds, if every one is
/// in the catalogue and has the copies asked for: `unknown_book` or `insufficient_stock`
/// otherwise.
pub(super) async fn in_stock(
    store: &dyn Store,
    lines: &[LineRequest],
    ids: &[BookId],
) -> Result<(Vec<Book>, Vec<Option<u32>>)> {
    let items = get_many(store, ids).await?;
    let mut books = Vec::with_capacity(items.len());
    let mut thresholds = Vec::with_capacity(items.len());
    let mut unknown = Vec::new();
    for (id, item) in ids.iter().zip(items) {
        match item {
            Some(item) => {
                thresholds.push(own_threshold(&item));
                books.push(from_item::<Book>(item)?);
            }
            None => unknown.push(*id),
        }
    }
    if !unknown.is_empty() {
        return Err(Error::UnknownBooks(unknown));
    }
    let shortages: Vec<Shortage> = lines
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
        return Err(Error::InsufficientStock(shortages));
    }
    Ok((books, thresholds))
}

/// The order's lines: each book's title and price now.
pub(super) fn line_records(lines: &[LineRequest], books: &[Book]) -> Vec<LineRecord> {
    lines
        .iter()
        .zip(books)
        .map(|(l, b)| LineRecord {
            book_id: b.id,
            title: b.title.clone(),
            unit_price_cents: b.price_cents.get(),
            quantity: l.quantity.get(),
        })
        .collect()
}

/// A provider error as the shopper is told it.
pub(super) fn payment_error(e: ProviderError, location: Option<String>) -> Error {
    match e {
        ProviderError::Declined { message, .. } => Error::PaymentDeclined(message),
        ProviderError::Refused { message, .. } => {
            Error::PaymentDeclined(format!("the payment provider refused the card: {message}"))
        }
        ProviderError::Unavailable(cause) => Error::PaymentUnavailable { location, cause },
    }
}
