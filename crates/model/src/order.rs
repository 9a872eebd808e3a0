use crate::{
    BookId, Currency, OrderId, Quantity, ReturnId, ReturnReason, Title, UserId, ValidationError,
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

/// The body of `POST /api/v1/orders`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlaceOrder {
    /// 1 to 50 lines, each of another book.
    #[schema(min_items = 1, max_items = 50)]
    pub lines: Vec<LineRequest>,
}

impl PlaceOrder {
    pub fn validate(&self) -> Result<(), ValidationError> {
        validate_lines(&self.lines)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    Placed,
    PartiallyReturned,
    Returned,
}

impl OrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Placed => "placed",
            Self::PartiallyReturned => "partially_returned",
            Self::Returned => "returned",
        }
    }
}

/// A line of a placed order: a snapshot of the book when it was bought.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OrderLine {
    pub book_id: BookId,
    pub title: Title,
    pub unit_price_cents: i64,
    pub quantity: u32,
    /// Copies of this line returned so far.
    pub returned_quantity: u32,
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
    pub total_cents: i64,
    /// Refunded so far by returns.
    pub refunded_cents: i64,
    pub currency: Currency,
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

/// A return of copies from an order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Return {
    pub id: ReturnId,
    pub order_id: OrderId,
    pub lines: Vec<ReturnLine>,
    pub reason: ReturnReason,
    pub refund_cents: i64,
    pub created_at: DateTime<Utc>,
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
    /// `book.create`, `book.update`, `book.delete` or `book.stock`.
    pub action: String,
    pub book_id: BookId,
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
    /// The reason given, if any.
    pub note: Option<String>,
}
