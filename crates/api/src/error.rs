//! One error type for the HTTP edge, mapped once to `application/problem+json` responses.
//! Internal causes are logged with the request and never sent to clients.
use crate::store::StoreError;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use bookstore_model::{BookId, Problem, ProblemCode, ReturnExcess, Shortage};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{1}")]
    BadRequest(ProblemCode, String),
    #[error("{0}")]
    Validation(String),
    #[error("{0}")]
    Unauthorized(&'static str),
    #[error("wrong e-mail or password")]
    InvalidCredentials,
    /// The current password given to confirm an account change is wrong. Not 401: the
    /// session is fine, and a client that signs out on 401 would lose it.
    #[error("the current password is wrong")]
    WrongPassword,
    /// The caller's role may not do this (the message says what it takes).
    #[error("{0}")]
    Forbidden(&'static str),
    /// An API key that may not do this (the message says what it would take).
    #[error("{0}")]
    InsufficientScope(String),
    #[error("{0} not found")]
    NotFound(&'static str),
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
    #[error("the file has {} problems; nothing was imported", .0.problem_count)]
    ImportInvalid(Box<bookstore_model::ImportReport>),
    #[error("the book has changed since version {0} was read")]
    PreconditionFailed(i64),
    #[error("send If-Match with the book's current version")]
    PreconditionRequired,
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("too many requests; retry in {0} s")]
    RateLimited(u64),
    #[error("{0}")]
    Unavailable(String),
    /// Too much of one kind of work queued (the message says which); nothing was changed.
    #[error("{0}; retry shortly")]
    Busy(&'static str),
    /// The card was refused; nothing was charged.
    #[error("the payment was declined: {0}")]
    PaymentDeclined(String),
    #[error(
        "the card needs the shopper's authentication: complete it with the provider's script \
         and `client_secret`, then POST {location}/payment"
    )]
    PaymentRequiresAction {
        location: String,
        client_secret: String,
    },
    /// The payment provider did not answer.
    #[error("{cause}")]
    PaymentUnavailable {
        location: Option<String>,
        cause: String,
    },
    /// A write was sent but the store did not confirm it, and reading back could not tell
    /// whether it was applied. `location` is where to look.
    #[error("the store did not confirm in time whether this {what} was applied: {cause}")]
    OutcomeUnknown {
        what: &'static str,
        location: Option<String>,
        cause: String,
    },
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn internal(e: impl std::fmt::Display) -> Self {
        Self::Internal(e.to_string())
    }

    pub fn code(&self) -> ProblemCode {
        match self {
            Self::BadRequest(c, _) | Self::Conflict(c, _) | Self::Unprocessable(c, _) => *c,
            Self::Validation(_) => ProblemCode::ValidationFailed,
            Self::Unauthorized(_) => ProblemCode::Unauthorized,
            Self::InvalidCredentials => ProblemCode::InvalidCredentials,
            Self::WrongPassword => ProblemCode::WrongPassword,
            Self::Forbidden(_) => ProblemCode::Forbidden,
            Self::InsufficientScope(_) => ProblemCode::InsufficientScope,
            Self::NotFound(_) => ProblemCode::NotFound,
            Self::InsufficientStock(_) => ProblemCode::InsufficientStock,
            Self::ReturnExceedsPurchase(_) => ProblemCode::ReturnExceedsPurchase,
            Self::UnknownBooks(_) => ProblemCode::UnknownBook,
            Self::ImportInvalid(_) => ProblemCode::ImportInvalid,
            Self::PreconditionFailed(_) => ProblemCode::PreconditionFailed,
            Self::PreconditionRequired => ProblemCode::PreconditionRequired,
            Self::PayloadTooLarge(_) => ProblemCode::PayloadTooLarge,
            Self::UnsupportedMediaType(_) => ProblemCode::UnsupportedMediaType,
            Self::RateLimited(_) => ProblemCode::RateLimited,
            Self::Unavailable(_) | Self::Busy(_) => ProblemCode::ServiceUnavailable,
            Self::PaymentDeclined(_) => ProblemCode::PaymentDeclined,
            Self::PaymentRequiresAction { .. } => ProblemCode::PaymentRequiresAction,
            Self::PaymentUnavailable { .. } => ProblemCode::PaymentUnavailable,
            Self::OutcomeUnknown { .. } => ProblemCode::OutcomeUnknown,
            Self::Internal(_) => ProblemCode::Internal,
        }
    }

    pub fn problem(&self) -> Problem {
        let status = self.status_code();
        let detail = match self {
            Self::Internal(_) => "an unexpected error occurred; it has been logged".to_owned(),
            Self::Unavailable(_) => {
                "the store is unavailable and nothing was changed; retry shortly".to_owned()
            }
            Self::PaymentUnavailable { location, .. } => match location {
                Some(l) => format!(
                    "the payment provider did not answer; the order ({l}) holds its copies \
                     until its payment expires: repeat the request with the same \
                     Idempotency-Key, or POST {l}/payment, to complete it"
                ),
                None => "the payment provider did not answer and nothing was ordered; retry \
                         shortly"
                    .to_owned(),
            },
            // Never "retry": a retry could repeat a write that was applied.
            Self::OutcomeUnknown { what, location, .. } => match location {
                Some(l) => format!(
                    "the store did not confirm in time whether this {what} was applied; \
                     GET {l} shows it if it was, or repeat the request with the same \
                     Idempotency-Key if it had one"
                ),
                None => format!(
                    "the store did not confirm in time whether this {what} was applied; \
                     read it back before repeating the request"
                ),
            },
            other => other.to_string(),
        };
        let code = self.code();
        let mut p = Problem {
            type_: format!("https://bookstore.example/problems/{}", code.as_str()),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail,
            code,
            shortages: None,
            excess: None,
            unknown_books: None,
            current_version: None,
            location: None,
            client_secret: None,
            import: None,
        };
        match self {
            Self::InsufficientStock(s) => p.shortages = Some(s.clone()),
            Self::ReturnExceedsPurchase(e) => p.excess = Some(e.clone()),
            Self::UnknownBooks(ids) => p.unknown_books = Some(ids.clone()),
            Self::ImportInvalid(r) => p.import = Some(r.clone()),
            Self::PreconditionFailed(v) => p.current_version = Some(*v),
            Self::OutcomeUnknown { location, .. } | Self::PaymentUnavailable { location, .. } => {
                p.location.clone_from(location)
            }
            Self::PaymentRequiresAction {
                location,
                client_secret,
            } => {
                p.location = Some(location.clone());
                p.client_secret = Some(client_secret.clone());
            }
            _ => {}
        }
        p
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest(..) => StatusCode::BAD_REQUEST,
            Self::Validation(_)
            | Self::Unprocessable(..)
            | Self::UnknownBooks(_)
            | Self::ImportInvalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unauthorized(_) | Self::InvalidCredentials => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) | Self::InsufficientScope(_) | Self::WrongPassword => {
                StatusCode::FORBIDDEN
            }
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(..) | Self::InsufficientStock(_) | Self::ReturnExceedsPurchase(_) => {
                StatusCode::CONFLICT
            }
            Self::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            Self::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) | Self::Busy(_) | Self::PaymentUnavailable { .. } => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Self::PaymentDeclined(_) | Self::PaymentRequiresAction { .. } => {
                StatusCode::PAYMENT_REQUIRED
            }
            // Not 503: that, with Retry-After, invites the retry that could buy twice.
            Self::OutcomeUnknown { .. } => StatusCode::GATEWAY_TIMEOUT,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Internal(cause) => tracing::error!(%cause, "internal error"),
            Self::Unavailable(cause) => tracing::warn!(%cause, "store unavailable"),
            Self::PaymentUnavailable { cause, .. } => {
                tracing::warn!(%cause, "payment provider unavailable")
            }
            Self::OutcomeUnknown { what, cause, .. } => {
                tracing::error!(%cause, what, "write outcome unknown")
            }
            _ => {}
        }
        let mut res = HttpResponse::build(self.status_code());
        res.content_type("application/problem+json");
        match self {
            Self::Unavailable(_) | Self::Busy(_) => {
                res.insert_header((header::RETRY_AFTER, "1"));
            }
            Self::PaymentUnavailable { .. } => {
                res.insert_header((header::RETRY_AFTER, "5"));
            }
            Self::RateLimited(secs) => {
                res.insert_header((header::RETRY_AFTER, secs.to_string()));
            }
            Self::Unauthorized(_) | Self::InvalidCredentials => {
                res.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            _ => {}
        }
        res.json(self.problem())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        bookstore_domain::Error::from(e).into()
    }
}

/// The one mapping of the domain's errors to the edge's.
impl From<bookstore_domain::Error> for ApiError {
    fn from(e: bookstore_domain::Error) -> Self {
        use bookstore_domain::Error as D;
        match e {
            D::BadRequest(code, m) => Self::BadRequest(code, m),
            D::Validation(m) => Self::Validation(m),
            D::Unauthorized(m) => Self::Unauthorized(m),
            D::NotFound(what) => Self::NotFound(what),
            D::Forbidden(m) => Self::Forbidden(m),
            D::Conflict(code, m) => Self::Conflict(code, m),
            D::InsufficientStock(s) => Self::InsufficientStock(s),
            D::ReturnExceedsPurchase(x) => Self::ReturnExceedsPurchase(x),
            D::UnknownBooks(ids) => Self::UnknownBooks(ids),
            D::Unprocessable(code, m) => Self::Unprocessable(code, m),
            D::ImportInvalid(r) => Self::ImportInvalid(r),
            D::PreconditionFailed(v) => Self::PreconditionFailed(v),
            D::Unavailable(m) => Self::Unavailable(m),
            D::Busy(m) => Self::Busy(m),
            D::OutcomeUnknown {
                what,
                location,
                cause,
            } => Self::OutcomeUnknown {
                what,
                location,
                cause,
            },
            D::PaymentDeclined(m) => Self::PaymentDeclined(m),
            D::PaymentRequiresAction {
                location,
                client_secret,
            } => Self::PaymentRequiresAction {
                location,
                client_secret,
            },
            D::PaymentUnavailable { location, cause } => {
                Self::PaymentUnavailable { location, cause }
            }
            D::Internal(m) => Self::Internal(m),
        }
    }
}

impl From<bookstore_model::ValidationError> for ApiError {
    fn from(e: bookstore_model::ValidationError) -> Self {
        Self::Validation(e.0)
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
