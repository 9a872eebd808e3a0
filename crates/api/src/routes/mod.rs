//! HTTP routes. The module tree mirrors the URL tree; each resource exposes its `scope()`.
pub mod admin;
pub mod auth;
pub mod bestsellers;
pub mod books;
pub mod events;
pub mod genres;
pub mod health;
pub mod me;
pub mod orders;
pub mod payment_config;
pub mod shipping_options;
pub mod staff_invitations;

use utoipa_actix_web::{scope, service_config::ServiceConfig};

/// The 503 of every route that checks or makes a password hash: the hashing queue is full.
pub(crate) const HASHING_BUSY: &str = "Too many sign-ins are being checked at once \
(`service_unavailable`); nothing was changed; retry after `Retry-After`";

/// Every route of the service, registered once: for actix and for the OpenAPI document
/// (`openapi::document`), which takes each path from the handler's actix attribute and the
/// scopes around it. `/metrics` is here unless it has a listener of its own.
pub fn register(cfg: &mut ServiceConfig, with_metrics: bool) {
    cfg.service(health::healthz).service(health::readyz);
    if with_metrics {
        cfg.service(health::metrics);
    }
    cfg.service(
        scope("/api/v1")
            .configure(books::routes)
            .configure(genres::routes)
            .configure(bestsellers::routes)
            .configure(events::routes)
            .configure(auth::routes)
            .configure(me::routes)
            .configure(orders::routes)
            .configure(shipping_options::routes)
            .configure(payment_config::routes)
            .configure(staff_invitations::routes)
            .configure(admin::routes),
    );
}

/// The other methods on a literal path that sits beside a `/{id}` sibling (`/orders/quote`
/// beside `/orders/{id}`): 405 with `Allow`. actix puts each method's guard on its own
/// resource, so without this the sibling's pattern catches them and answers a bad id. Register
/// it after the path's own handlers and before the sibling.
pub(crate) fn other_methods(allow: &'static str) -> actix_web::Route {
    actix_web::web::route().to(move || async move {
        actix_web::HttpResponse::MethodNotAllowed()
            .insert_header(("Allow", allow))
            .finish()
    })
}

/// What an `If-Match` header asks of a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfMatch {
    /// No header.
    Absent,
    /// `*`: any current representation (RFC 9110, 13.1.1), i.e. the book exists.
    Any,
    /// The book's details must still be at this version.
    Version(i64),
}

impl IfMatch {
    /// The version a write must find, if any.
    pub fn version(self) -> Option<i64> {
        match self {
            Self::Version(v) => Some(v),
            Self::Absent | Self::Any => None,
        }
    }
}

/// Parses `If-Match`: `*`, a book's `ETag` as sent (`"3-…"`, also weak) or its bare version
/// (`"3"`). Only the version part is compared: a details edit or a delete does not depend on
/// the stock, which sales move all the time, so a sale in between does not refuse it.
pub fn parse_if_match(req: &actix_web::HttpRequest) -> crate::error::ApiResult<IfMatch> {
    use crate::error::ApiError;
    use bookstore_model::ProblemCode;
    let Some(raw) = req.headers().get(actix_web::http::header::IF_MATCH) else {
        return Ok(IfMatch::Absent);
    };
    let v = raw.to_str().unwrap_or_default().trim();
    if v == "*" {
        return Ok(IfMatch::Any);
    }
    let v = v.strip_prefix("W/").unwrap_or(v).trim_matches('"');
    let version = v.split_once('-').map_or(v, |(version, _)| version);
    version.parse::<i64>().map(IfMatch::Version).map_err(|_| {
        ApiError::BadRequest(
            ProblemCode::InvalidHeader,
            "If-Match must be *, the book's ETag or its version, e.g. \"3\"".into(),
        )
    })
}

/// Whether `If-None-Match` names `etag` (weakly compared, RFC 9110 13.1.2) or is `*`: the
/// client's copy is current and gets a 304.
pub fn not_modified(req: &actix_web::HttpRequest, etag: &str) -> bool {
    req.headers()
        .get(actix_web::http::header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .map(|t| t.trim().trim_start_matches("W/"))
                .any(|t| t == etag || t == "*")
        })
}

/// A book as a JSON response with its `ETag`.
pub fn book_response(
    mut builder: actix_web::HttpResponseBuilder,
    book: &bookstore_model::Book,
) -> crate::error::ApiResult<actix_web::HttpResponse> {
    let json = serde_json::to_vec(book).map_err(crate::error::ApiError::internal)?;
    Ok(builder
        .insert_header((
            actix_web::http::header::ETAG,
            bookstore_domain::catalogue::book_etag(book.version, &json),
        ))
        .content_type(actix_web::http::header::ContentType::json())
        .body(json))
}
