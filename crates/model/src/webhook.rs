//! Events out: the business events the shop emits and the webhook endpoints that receive them.
use crate::{EventId, ValidationError, WebhookId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::fmt;
use utoipa::{IntoParams, ToSchema};

/// The kinds of business events. Each is written in the same store transaction as the change
/// that causes it, so none is lost and none is emitted for a change that did not happen.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
pub enum EventType {
    /// An order was placed: its copies are reserved and its payment is being authorized
    /// (`data`: the order).
    #[serde(rename = "order.placed")]
    OrderPlaced,
    /// An order's payment was authorized: it is ready to ship (`data`: the order).
    #[serde(rename = "order.paid")]
    OrderPaid,
    /// The card was declined; the copies went back to stock (`data`: the order).
    #[serde(rename = "order.payment_failed")]
    OrderPaymentFailed,
    /// An order was cancelled by the customer or the shop, or its payment was not completed
    /// in time; the copies went back to stock (`data`: the order).
    #[serde(rename = "order.cancelled")]
    OrderCancelled,
    /// An order left the shop (`data`: the order, with carrier and tracking number).
    #[serde(rename = "order.shipped")]
    OrderShipped,
    /// An order arrived (`data`: the order).
    #[serde(rename = "order.delivered")]
    OrderDelivered,
    /// A customer asked to return copies of a delivered order (`data`: the return and the
    /// order).
    #[serde(rename = "return.requested")]
    ReturnRequested,
    /// Returned copies are back in stock (`data`: the return and the order).
    #[serde(rename = "return.received")]
    ReturnReceived,
    /// Money went back to a customer (`data`: order, return, amount and currency).
    #[serde(rename = "refund.issued")]
    RefundIssued,
    /// A book was added to the catalogue (`data`: the book).
    #[serde(rename = "book.created")]
    BookCreated,
    /// A book's details or its stock were changed by the shop (`data`: the book).
    #[serde(rename = "book.updated")]
    BookUpdated,
    /// A book was removed (`data`: the book as it was).
    #[serde(rename = "book.deleted")]
    BookDeleted,
    /// A sold-out book has copies again (`data`: the book). Shoppers who asked are mailed.
    #[serde(rename = "stock.back_in_stock")]
    StockBackInStock,
    /// A book's stock went from above its low-stock threshold to at or below it (`data`: the
    /// book and `threshold`, see `StockLow`): once per crossing, by a sale, a write-off or a
    /// raised threshold. Mailed to the shop's stock alert address, if one is configured.
    #[serde(rename = "stock.low")]
    StockLow,
    /// Someone asked to reset an account's password (`data`: e-mail, name, the link's secret
    /// token and its expiry). Mailed to the account only: never a webhook's (see
    /// [`EventType::WEBHOOK`]).
    #[serde(rename = "account.password_reset_requested")]
    PasswordResetRequested,
    /// An account asked to move to another e-mail (`data`: the new e-mail, name, the link's
    /// secret token and its expiry). Mailed to the new address only: never a webhook's.
    #[serde(rename = "account.email_change_requested")]
    EmailChangeRequested,
    /// An owner invited someone to the staff (`data`: the invitee's e-mail, the role, the
    /// inviting owner's e-mail, the link's secret token and its expiry). Mailed to the invitee
    /// only: never a webhook's.
    #[serde(rename = "account.staff_invited")]
    StaffInvited,
}

impl EventType {
    pub const ALL: &[Self] = &[
        Self::ReturnRequested,
        Self::OrderPlaced,
        Self::OrderPaid,
        Self::OrderPaymentFailed,
        Self::OrderCancelled,
        Self::OrderShipped,
        Self::OrderDelivered,
        Self::ReturnReceived,
        Self::RefundIssued,
        Self::BookCreated,
        Self::BookUpdated,
        Self::BookDeleted,
        Self::StockBackInStock,
        Self::StockLow,
        Self::PasswordResetRequested,
        Self::EmailChangeRequested,
        Self::StaffInvited,
    ];

    /// The types a webhook endpoint may subscribe to: every type but the account events, whose
    /// data carries a secret (the token of a link that sets a password or moves an account)
    /// meant for the account's mailbox alone. `WebhookRequest::validate` refuses the others,
    /// the schema of `event_types` lists only these, and the fan-out skips the others even for
    /// an endpoint stored before this rule.
    pub const WEBHOOK: &[Self] = &[
        Self::ReturnRequested,
        Self::OrderPlaced,
        Self::OrderPaid,
        Self::OrderPaymentFailed,
        Self::OrderCancelled,
        Self::OrderShipped,
        Self::OrderDelivered,
        Self::ReturnReceived,
        Self::RefundIssued,
        Self::BookCreated,
        Self::BookUpdated,
        Self::BookDeleted,
        Self::StockBackInStock,
        Self::StockLow,
    ];

    /// Whether webhooks may receive events of this type (see [`Self::WEBHOOK`]).
    pub fn to_webhooks(self) -> bool {
        Self::WEBHOOK.contains(&self)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::OrderPlaced => "order.placed",
            Self::OrderPaid => "order.paid",
            Self::OrderPaymentFailed => "order.payment_failed",
            Self::OrderCancelled => "order.cancelled",
            Self::OrderShipped => "order.shipped",
            Self::OrderDelivered => "order.delivered",
            Self::ReturnRequested => "return.requested",
            Self::ReturnReceived => "return.received",
            Self::RefundIssued => "refund.issued",
            Self::BookCreated => "book.created",
            Self::BookUpdated => "book.updated",
            Self::BookDeleted => "book.deleted",
            Self::StockBackInStock => "stock.back_in_stock",
            Self::StockLow => "stock.low",
            Self::PasswordResetRequested => "account.password_reset_requested",
            Self::EmailChangeRequested => "account.email_change_requested",
            Self::StaffInvited => "account.staff_invited",
        }
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The schema of an event type a webhook may subscribe to: [`EventType::WEBHOOK`]'s names.
pub struct WebhookEventType;

impl utoipa::PartialSchema for WebhookEventType {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(EventType::WEBHOOK.iter().map(|t| t.as_str())))
            .description(Some("An event type a webhook endpoint may subscribe to."))
            .into()
    }
}

impl ToSchema for WebhookEventType {}

/// An event as a webhook receives it (the request body).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Event {
    /// Unique per event, and the `webhook-id` header of every delivery of it: a receiver
    /// that sees an id twice has seen the event before.
    pub id: EventId,
    #[serde(rename = "type")]
    pub type_: EventType,
    /// When the change happened.
    pub timestamp: DateTime<Utc>,
    /// The resource's public representation after the change.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

/// The most endpoints a shop may have: every event fans out to all of them in one transaction.
pub const MAX_WEBHOOKS: usize = 30;

/// The body of `POST /api/v1/admin/webhooks` and `PUT /api/v1/admin/webhooks/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookRequest {
    pub url: WebhookUrl,
    /// The events to deliver: 1 to 14 distinct types (the account events are never delivered
    /// to webhooks, see `EventType::WEBHOOK`).
    #[schema(min_items = 1, max_items = 14, value_type = Vec<WebhookEventType>)]
    pub event_types: Vec<EventType>,
    /// Deliveries are made only while enabled (default true). Enabling an endpoint that was
    /// disabled for failing clears its `disabled_reason`.
    #[serde(default = "yes")]
    #[schema(default = true)]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

impl WebhookRequest {
    pub fn validate(&self) -> Result<(), ValidationError> {
        if self.event_types.is_empty() {
            return Err(ValidationError::new("event_types must not be empty"));
        }
        if let Some(t) = self.event_types.iter().find(|t| !t.to_webhooks()) {
            return Err(ValidationError::new(format!(
                "event_types: {t} is never delivered to webhooks (it carries a secret)"
            )));
        }
        let distinct: HashSet<_> = self.event_types.iter().collect();
        if distinct.len() != self.event_types.len() {
            return Err(ValidationError::new("event_types must not repeat a type"));
        }
        Ok(())
    }
}

/// A webhook endpoint. Its signing secret is shown only when created or rotated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Webhook {
    pub id: WebhookId,
    pub url: WebhookUrl,
    pub event_types: Vec<EventType>,
    pub enabled: bool,
    /// Why the shop disabled the endpoint (deliveries kept failing), if it did.
    pub disabled_reason: Option<String>,
    /// The last delivery the endpoint accepted with a 2xx answer.
    pub last_success_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A signing secret, shown once: `whsec_` and the base64 of the key, as the Standard Webhooks
/// libraries take it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WebhookSecret {
    pub secret: String,
    /// Until when the previous secret still signs deliveries too (after a rotation).
    pub previous_valid_until: Option<DateTime<Utc>>,
}

/// The answer to creating an endpoint: the endpoint and its secret (shown only now).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WebhookCreated {
    pub webhook: Webhook,
    pub secret: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Not yet accepted; attempts continue at `next_attempt_at`.
    Pending,
    /// The endpoint answered 2xx.
    Succeeded,
    /// Given up: the retry period ended, or the endpoint was disabled or deleted.
    Failed,
}

/// One event's delivery to one endpoint, with its attempts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Delivery {
    /// The event's id, which also names the delivery in its endpoint's log.
    pub event_id: EventId,
    pub event_type: EventType,
    pub status: DeliveryStatus,
    pub attempts: u32,
    /// The HTTP status of the last answer, if there was one.
    pub last_status_code: Option<u16>,
    /// Why the last attempt failed, if it did.
    pub last_error: Option<String>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// Query parameters of the delivery log.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeliveryQuery {
    /// Page size, 1..=100 (default 20).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

/// An endpoint's URL: `http` or `https`, a host name or IP literal, an optional port and path,
/// printable ASCII only, at most 2,000 characters. Whether the shop may call it (a public
/// address, in production) is decided when it is saved and again at every delivery.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct WebhookUrl(String);

impl WebhookUrl {
    pub const MAX_LEN: usize = 2000;

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The checks of [`crate::schema::webhook_url_pattern`], written out.
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        let bad = |why: &str| ValidationError::new(format!("url {why}"));
        if s.len() > Self::MAX_LEN {
            return Err(bad("must be at most 2000 characters"));
        }
        let rest = s
            .strip_prefix("https://")
            .or_else(|| s.strip_prefix("http://"))
            .ok_or_else(|| bad("must start with http:// or https://"))?;
        let (host, after) = if let Some(v6) = rest.strip_prefix('[') {
            let end = v6.find(']').ok_or_else(|| bad("has an unclosed ["))?;
            let inner = &v6[..end];
            if !(2..=45).contains(&inner.len())
                || !inner
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
            {
                return Err(bad("has a malformed IPv6 literal"));
            }
            (inner, &v6[end + 1..])
        } else {
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '.'))
                .unwrap_or(rest.len());
            let host = &rest[..end];
            let edges_ok = host.starts_with(|c: char| c.is_ascii_alphanumeric())
                && host.ends_with(|c: char| c.is_ascii_alphanumeric());
            if host.is_empty() || host.len() > 253 || !edges_ok {
                return Err(bad(
                    "needs a host name of letters, digits, hyphens and dots",
                ));
            }
            (host, &rest[end..])
        };
        let _ = host;
        let after = match after.strip_prefix(':') {
            Some(port) => {
                let end = port
                    .find(|c: char| !c.is_ascii_digit())
                    .unwrap_or(port.len());
                if !(1..=5).contains(&end) {
                    return Err(bad("has a malformed port"));
                }
                &port[end..]
            }
            None => after,
        };
        if !(after.is_empty() || after.starts_with('/') || after.starts_with('?')) {
            return Err(bad(
                "must continue with a port, a path or a query after the host",
            ));
        }
        if !after.bytes().all(|b| (b'!'..=b'~').contains(&b)) {
            return Err(bad(
                "must be printable ASCII without spaces (percent-encode the rest)",
            ));
        }
        Ok(Self(s.to_owned()))
    }
}

impl TryFrom<String> for WebhookUrl {
    type Error = ValidationError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<WebhookUrl> for String {
    fn from(v: WebhookUrl) -> String {
        v.0
    }
}

impl fmt::Display for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
