use crate::{
    AddressId, AddressInput, BookId, Currency, OrderId, OrderPayment, OrderShipping,
    PaymentMethodId, Quantity, ReturnId, ReturnReason, TimelineEntry, Title, UserId,
    ValidationError,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use utoipa::{IntoParams, ToSchema};

/// The most lines one order or return may have. Every line is one item of a single atomic
/// transaction, and DynamoDB allows 100 items per transaction.
pub const MAX_LINES: usize = 50;

/// A line of an order or return request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineRequest {
    pub book_id: BookId,
    pub quantity: Quantity,
}

fn validate_lines(lines: &[LineRequest]) -> Result<(), ValidationError> {
    if lines.is_empty() {
        return Err(ValidationError::new("lines must not be empty"));
    }
    bounded_distinct_lines(lines)
}

/// At most [`MAX_LINES`] lines, each of another book (orders, returns and the cart).
pub(crate) fn bounded_distinct_lines(lines: &[LineRequest]) -> Result<(), ValidationError> {
    if lines.len() > MAX_LINES {
        return Err(ValidationError::new(format!(
            "at most {MAX_LINES} lines are allowed"
        )));
    }
    let mut seen = HashSet::new();
    for l in lines {
        if !seen.insert(l.book_id) {
            return Err(ValidationError::new(format!(
                "book {} appears on more than one line; use one line with the total quantity",
                l.book_id
            )));
        }
    }
    Ok(())
}

/// The body of `POST /api/v1/orders`: what to buy, where to ship it, how, and the card.
/// Exactly one of `address_id` and `shipping_address`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlaceOrder {
    /// 1 to 50 lines, each of another book.
    #[schema(min_items = 1, max_items = 50)]
    pub lines: Vec<LineRequest>,
    /// An address of the caller's address book.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub address_id: Option<AddressId>,
    /// An address given with the order (checked as the address book checks it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub shipping_address: Option<AddressInput>,
    /// The id of a shipping option that serves the address's country.
    #[schema(pattern = "^[0-9a-z-]{1,40}$")]
    pub shipping_option: String,
    /// The card, as a payment method the shopper's browser made at the provider.
    pub payment_method: PaymentMethodId,
}

impl PlaceOrder {
    /// An order shipped to an address given with it.
    pub fn shipped_to(
        lines: Vec<LineRequest>,
        address: AddressInput,
        shipping_option: &str,
        payment_method: PaymentMethodId,
    ) -> Self {
        Self {
            lines,
            address_id: None,
            shipping_address: Some(address),
            shipping_option: shipping_option.to_owned(),
            payment_method,
        }
    }

    pub fn validate(&self) -> Result<(), ValidationError> {
        validate_destination(
            &self.lines,
            self.address_id.as_ref(),
            self.shipping_address.as_ref(),
            &self.shipping_option,
        )
    }

    /// What this order would come to, asked without the card.
    pub fn quote(&self) -> QuoteRequest {
        QuoteRequest {
            lines: self.lines.clone(),
            address_id: self.address_id,
            shipping_address: self.shipping_address.clone(),
            shipping_option: self.shipping_option.clone(),
        }
    }
}

/// The lines, one address (of the book or given) and a shipping option's id.
fn validate_destination(
    lines: &[LineRequest],
    address_id: Option<&AddressId>,
    shipping_address: Option<&AddressInput>,
    shipping_option: &str,
) -> Result<(), ValidationError> {
    validate_lines(lines)?;
    match (address_id, shipping_address) {
        (Some(_), Some(_)) => Err(ValidationError::new(
            "give either address_id or shipping_address, not both",
        )),
        (None, None) => Err(ValidationError::new(
            "an order needs address_id or shipping_address",
        )),
        _ => Ok(()),
    }?;
    let o = shipping_option;
    if o.is_empty()
        || o.len() > 40
        || !o
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(ValidationError::new(
            "shipping_option must be a shipping option's id (1 to 40 lower-case letters, \
             digits or hyphens)",
        ));
    }
    Ok(())
}

/// The body of `POST /api/v1/orders/quote`: an order as it would be placed, without the card.
/// Exactly one of `address_id` and `shipping_address`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuoteRequest {
    /// 1 to 50 lines, each of another book.
    #[schema(min_items = 1, max_items = 50)]
    pub lines: Vec<LineRequest>,
    /// An address of the caller's address book.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub address_id: Option<AddressId>,
    /// An address given with the order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub shipping_address: Option<AddressInput>,
    /// The id of a shipping option that serves the address's country.
    #[schema(pattern = "^[0-9a-z-]{1,40}$")]
    pub shipping_option: String,
}

impl QuoteRequest {
    pub fn validate(&self) -> Result<(), ValidationError> {
        validate_destination(
            &self.lines,
            self.address_id.as_ref(),
            self.shipping_address.as_ref(),
            &self.shipping_option,
        )
    }
}

/// A line of a quote: the book's title and price now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct QuoteLine {
    pub book_id: BookId,
    pub title: Title,
    pub unit_price_cents: i64,
    pub quantity: u32,
}

/// What an order would come to if placed now: priced as placing prices it (the books' prices
/// now, the shipping option, the destination's tax on items and shipping). Prices may change
/// before the order is placed; the order says what was charged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OrderQuote {
    pub lines: Vec<QuoteLine>,
    /// The lines' total, in minor units.
    pub items_cents: i64,
    pub shipping_cents: i64,
    /// The destination country's tax rate, in basis points (1900 = 19%).
    pub tax_rate_bps: u32,
    pub tax_cents: i64,
    /// Items, shipping and tax.
    pub total_cents: i64,
    pub currency: Currency,
}

/// Where an order is in its life: `pending_payment → paid → shipped → delivered`, then
/// `partially_returned` / `returned`; or `payment_failed`, or `cancelled` (by the customer or
/// the shop before shipping, or when the payment was not completed in time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// The copies are reserved; the payment is being authorized.
    PendingPayment,
    /// The payment is authorized: ready to ship. (Orders placed before payments existed were
    /// `placed`; they read as paid.)
    #[serde(alias = "placed")]
    Paid,
    PaymentFailed,
    Cancelled,
    Shipped,
    Delivered,
    PartiallyReturned,
    Returned,
}

impl OrderStatus {
    pub const ALL: &[Self] = &[
        Self::PendingPayment,
        Self::Paid,
        Self::PaymentFailed,
        Self::Cancelled,
        Self::Shipped,
        Self::Delivered,
        Self::PartiallyReturned,
        Self::Returned,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::PendingPayment => "pending_payment",
            Self::Paid => "paid",
            Self::PaymentFailed => "payment_failed",
            Self::Cancelled => "cancelled",
            Self::Shipped => "shipped",
            Self::Delivered => "delivered",
            Self::PartiallyReturned => "partially_returned",
            Self::Returned => "returned",
        }
    }

    /// Whether the order can still be cancelled (it has not left the shop).
    pub fn cancellable(self) -> bool {
        matches!(self, Self::PendingPayment | Self::Paid)
    }
}

/// A line of a placed order: a snapshot of the book when it was bought.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OrderLine {
    pub book_id: BookId,
    pub title: Title,
    pub unit_price_cents: i64,
    pub quantity: u32,
    /// Copies of this line received back so far.
    pub returned_quantity: u32,
    /// Copies of this line asked back so far (received or not).
    #[serde(default)]
    pub return_requested_quantity: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Order {
    pub id: OrderId,
    pub user_id: UserId,
    /// The customer's e-mail when the order was placed (empty for orders placed before the
    /// shop recorded it): where its mails go.
    pub customer_email: String,
    pub status: OrderStatus,
    pub lines: Vec<OrderLine>,
    /// The lines' total, in minor units.
    pub items_cents: i64,
    pub shipping_cents: i64,
    pub tax_cents: i64,
    /// What the customer pays: items, shipping and tax.
    pub total_cents: i64,
    /// Refunded so far (cancellation after capture, returns).
    pub refunded_cents: i64,
    pub currency: Currency,
    /// Absent on orders placed before checkout took an address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping: Option<OrderShipping>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment: Option<OrderPayment>,
    /// Until when a `pending_payment` order holds its copies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_expires_at: Option<DateTime<Utc>>,
    /// Every change of status, oldest first.
    #[serde(default)]
    pub timeline: Vec<TimelineEntry>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The body of `POST /api/v1/orders/{id}/returns`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateReturn {
    /// 1 to 50 lines, each of another book.
    #[schema(min_items = 1, max_items = 50)]
    pub lines: Vec<LineRequest>,
    pub reason: ReturnReason,
}

impl CreateReturn {
    pub fn validate(&self) -> Result<(), ValidationError> {
        validate_lines(&self.lines)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ReturnLine {
    pub book_id: BookId,
    pub quantity: u32,
    pub refund_cents: i64,
}

/// Where a return is: asked for by the customer, then received by the shop (the copies back in
/// stock, the refund issued through the payment provider).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReturnStatus {
    Requested,
    Received,
}

/// Returns made before they were requests were received at once.
fn received() -> ReturnStatus {
    ReturnStatus::Received
}

/// A return of copies from an order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Return {
    pub id: ReturnId,
    pub order_id: OrderId,
    #[serde(default = "received")]
    pub status: ReturnStatus,
    pub lines: Vec<ReturnLine>,
    pub reason: ReturnReason,
    /// What is paid back once the copies are received.
    pub refund_cents: i64,
    pub created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received_at: Option<DateTime<Utc>>,
    /// When the provider confirmed the refund.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refunded_at: Option<DateTime<Utc>>,
}

/// The answer to a return: the return and the order as it is now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ReturnReceipt {
    #[serde(rename = "return")]
    pub return_: Return,
    pub order: Order,
}

/// Query parameters of order listings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OrderQuery {
    /// Only orders in this status (admin listing only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[param(inline)]
    pub status: Option<OrderStatus>,
    /// Oldest first (admin listing only; newest first by default). The fulfilment queue is
    /// `?status=paid&oldest_first=true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oldest_first: Option<bool>,
    /// Page size, 1..=100 (default 20).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

/// Query parameters of plain paginated listings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page size, 1..=100 (default 20).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

/// One admin change: who, when, and the entity before and after.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AuditEntry {
    pub id: crate::AuditId,
    pub at: DateTime<Utc>,
    pub actor_id: UserId,
    pub actor_email: String,
    /// `book.create`, `book.update`, `book.delete`, `book.stock`; `staff.invite`,
    /// `staff.join`, `staff.role` or `staff.remove`.
    pub action: String,
    /// The book changed, for a `book.*` action.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub book_id: Option<BookId>,
    /// The account whose role changed, for a `staff.*` action (none for an invitation, which
    /// names its e-mail in `after`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
    /// The reason given, if any.
    pub note: Option<String>,
}
