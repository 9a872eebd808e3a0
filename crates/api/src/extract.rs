//! Request parts the handlers take as arguments, checked at the edge: `Idempotency-Key`.
//! (The caller's identity is in `auth`; `If-Match` in `routes`.)
use crate::error::ApiError;
use actix_web::{FromRequest, HttpRequest, dev::Payload};
use bookstore_model::ProblemCode;
use std::future::{Ready, ready};

/// The request's `Idempotency-Key`, if it sent one: 1 to 255 visible ASCII characters, or 400.
#[derive(Debug, Clone)]
pub struct IdempotencyKey(pub Option<String>);

impl IdempotencyKey {
    fn parse(req: &HttpRequest) -> Result<Self, ApiError> {
        let Some(raw) = req.headers().get("idempotency-key") else {
            return Ok(Self(None));
        };
        let raw = raw.as_bytes();
        if raw.is_empty() || raw.len() > 255 || !raw.iter().all(|b| (0x21..=0x7e).contains(b)) {
            return Err(ApiError::BadRequest(
                ProblemCode::InvalidHeader,
                "Idempotency-Key must be 1 to 255 visible ASCII characters".into(),
            ));
        }
        Ok(Self(Some(String::from_utf8_lossy(raw).into_owned())))
    }
}

impl FromRequest for IdempotencyKey {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Self::parse(req))
    }
}
