use crate::BookId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Every error the API answers with: an RFC 9457 problem document
/// (`application/problem+json`) with a stable machine-readable `code`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Problem {
    /// A URI naming the problem type; `https://bookstore.example/problems/<code>`.
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    pub code: ProblemCode,
    /// For `insufficient_stock`: each short line and what is available.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shortages: Option<Vec<Shortage>>,
    /// For `return_exceeds_purchase`: each line that exceeds what can still be returned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excess: Option<Vec<ReturnExcess>>,
    /// For `unknown_book`: ids that are not in the catalogue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unknown_books: Option<Vec<BookId>>,
    /// For `precondition_failed` on a book: its current version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_version: Option<i64>,
    /// For `outcome_unknown`: where the resource the request would have created or changed
    /// can be read, to find out whether it was (e.g. `/api/v1/orders/{id}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// For `payment_requires_action`: the secret with which the shopper's browser completes
    /// the card's authentication through the provider's script (then
    /// `POST /api/v1/orders/{id}/payment`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// For `import_invalid`: the import's report, every problem of the file by line and
    /// column (nothing was written).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import: Option<Box<crate::ImportReport>>,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status, self.code.as_str(), self.detail)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Shortage {
    pub book_id: BookId,
    pub requested: u32,
    pub available: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReturnExcess {
    pub book_id: BookId,
    pub requested: u32,
    /// Bought minus already returned (0 if the book is not on the order).
    pub returnable: u32,
}

macro_rules! codes {
    ($($variant:ident = $s:literal),* $(,)?) => {
        /// Stable error codes; clients may branch on them.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum ProblemCode { $($variant),* }

        impl ProblemCode {
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $s),* }
            }
        }
    };
}

codes! {
    BadRequest = "bad_request",
    InvalidJson = "invalid_json",
    InvalidQuery = "invalid_query",
    InvalidId = "invalid_id",
    InvalidCursor = "invalid_cursor",
    InvalidRange = "invalid_range",
    InvalidHeader = "invalid_header",
    ValidationFailed = "validation_failed",
    Unauthorized = "unauthorized",
    InvalidCredentials = "invalid_credentials",
    WrongPassword = "wrong_password",
    InvalidResetToken = "invalid_reset_token",
    InvalidEmailToken = "invalid_email_token",
    InvalidInvitation = "invalid_invitation",
    LastOwner = "last_owner",
    Forbidden = "forbidden",
    InsufficientScope = "insufficient_scope",
    NotFound = "not_found",
    MethodNotAllowed = "method_not_allowed",
    EmailTaken = "email_taken",
    IsbnTaken = "isbn_taken",
    UnknownGenre = "unknown_genre",
    GenreExists = "genre_exists",
    GenreInUse = "genre_in_use",
    InsufficientStock = "insufficient_stock",
    ReturnExceedsPurchase = "return_exceeds_purchase",
    StockWouldGoNegative = "stock_would_go_negative",
    UnknownBook = "unknown_book",
    MixedCurrency = "mixed_currency",
    TooManyAddresses = "too_many_addresses",
    Conflict = "conflict",
    IdempotencyKeyReused = "idempotency_key_reused",
    PreconditionFailed = "precondition_failed",
    PreconditionRequired = "precondition_required",
    PayloadTooLarge = "payload_too_large",
    UnsupportedMediaType = "unsupported_media_type",
    RateLimited = "rate_limited",
    ServiceUnavailable = "service_unavailable",
    OutcomeUnknown = "outcome_unknown",
    WebhookUrlRefused = "webhook_url_refused",
    TooManyWebhooks = "too_many_webhooks",
    DeliveryPending = "delivery_pending",
    InStock = "in_stock",
    ExpiryInPast = "expiry_in_past",
    ShippingUnavailable = "shipping_unavailable",
    PaymentDeclined = "payment_declined",
    PaymentRequiresAction = "payment_requires_action",
    PaymentUnavailable = "payment_unavailable",
    InvalidTransition = "invalid_transition",
    ImportInvalid = "import_invalid",
    ReturnWindowClosed = "return_window_closed",
    Internal = "internal",
}
