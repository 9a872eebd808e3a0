//! The domain's one error type. The HTTP layer maps it, once, to problem documents; the
//! messages here are what clients read as `detail`, so they never carry internal causes
//! (those are in `Internal`, `Unavailable` and `OutcomeUnknown`, which the edge logs).
use bookstore_model::{BookId, ProblemCode, ReturnExcess, Shortage};
use bookstore_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request cannot be read: a bad cursor, a malformed query parameter.
    #[error("{1}")]
    BadRequest(ProblemCode, String),
    /// A field breaks a documented rule.
    #[error("{0}")]
    Validation(String),
    /// The credentials are missing, invalid or expired.
    #[error("{0}")]
    Unauthorized(&'static str),
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The actor's role may not do this.
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("{1}")]
    Conflict(ProblemCode, String),
    #[error("not enough stock for some lines")]
    InsufficientStock(Vec<Shortage>),
    #[error("a line returns more copies than can still be returned")]
    ReturnExceedsPurchase(Vec<ReturnExcess>),
    #[error("these books are not in the catalogue")]
    UnknownBooks(Vec<BookId>),
    #[error("{1}")]
    Unprocessable(ProblemCode, String),
    /// An import file has problems (the report lists them); nothing was written.
    #[error("the file has {} problems; nothing was imported", .0.problem_count)]
    ImportInvalid(Box<bookstore_model::ImportReport>),
    /// The entity has changed since the version the caller read (its current version).
    #[error("the book has changed since version {0} was read")]
    PreconditionFailed(i64),
    /// The store is unavailable and nothing was changed.
    #[error("{0}")]
    Unavailable(String),
    /// More work of this kind is queued than the shop takes on (it says which); nothing was
    /// changed, retry shortly.
    #[error("{0}")]
    Busy(&'static str),
    /// A write was sent but the store did not confirm it, and reading back could not tell
    /// whether it was applied. `location` is where to look.
    #[error("the store did not confirm in time whether this {what} was applied: {cause}")]
    OutcomeUnknown {
        what: &'static str,
        location: Option<String>,
        cause: String,
    },
    /// The card was refused; nothing was charged.
    #[error("{0}")]
    PaymentDeclined(String),
    /// The card wants the shopper to authenticate (3-D Secure) in the browser.
    #[error("the card needs the shopper's authentication")]
    PaymentRequiresAction {
        location: String,
        client_secret: String,
    },
    /// The payment provider did not answer; the order (at `location`) stays reserved.
    #[error("the payment provider is unavailable")]
    PaymentUnavailable {
        location: Option<String>,
        cause: String,
    },
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    pub fn internal(e: impl std::fmt::Display) -> Self {
        Self::Internal(e.to_string())
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(m) => Self::Unavailable(m),
            // Start keys come only from clients' cursors.
            StoreError::InvalidStart(_) => Self::BadRequest(
                ProblemCode::InvalidCursor,
                "the cursor does not continue this listing".into(),
            ),
            StoreError::TooLarge(_) => {
                Self::Validation("a value is too long to be stored; shorten it".into())
            }
            StoreError::Unknown(cause) => Self::OutcomeUnknown {
                what: "change",
                location: None,
                cause,
            },
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<bookstore_model::ValidationError> for Error {
    fn from(e: bookstore_model::ValidationError) -> Self {
        Self::Validation(e.0)
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
