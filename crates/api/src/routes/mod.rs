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

use actix_web::{Scope, web};

/// Everything under `/api/v1`.
pub fn api_v1() -> Scope {
    web::scope("/api/v1")
        .service(books::scope())
        .service(genres::scope())
        .service(bestsellers::scope())
        .service(events::scope())
        .service(auth::scope())
        .service(me::scope())
        .service(orders::scope())
        .service(admin::scope())
}

/// Parses an `If-Match` value such as `"3"` or `W/"3"` into a version.
pub fn parse_if_match(req: &actix_web::HttpRequest) -> crate::error::ApiResult<Option<i64>> {
    use crate::error::ApiError;
    use bookstore_model::ProblemCode;
    let Some(raw) = req.headers().get(actix_web::http::header::IF_MATCH) else {
        return Ok(None);
    };
    let v = raw.to_str().unwrap_or_default().trim();
    let v = v.strip_prefix("W/").unwrap_or(v).trim_matches('"');
    v.parse::<i64>().map(Some).map_err(|_| {
        ApiError::BadRequest(
            ProblemCode::InvalidHeader,
            "If-Match must be a quoted book version, e.g. \"3\"".into(),
        )
    })
}

/// The `ETag` of a book version.
pub fn etag(version: i64) -> (actix_web::http::header::HeaderName, String) {
    (actix_web::http::header::ETAG, format!("\"{version}\""))
}
