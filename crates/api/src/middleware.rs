//! Cross-cutting HTTP concerns: request ids, metrics, security headers and per-client rate
//! limits.
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::ops::OpsRecorder;
use crate::state::AppState;
use actix_web::body::{BodySize, BoxBody, EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, web};
use std::sync::Arc;
use std::time::Instant;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Headers every response carries (unless its handler set them): no MIME sniffing, no
/// framing, no referrer, no cross-origin opener.
static SECURITY_HEADERS: [(HeaderName, HeaderValue); 4] = [
    (
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    ),
    (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
    (
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    ),
    (
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    ),
];

/// The policy of HTML the app's own pages do not set theirs for (the API docs at `/docs/`):
/// scripts and styles from this origin only (Swagger UI has no inline scripts; it sets inline
/// styles), no framing.
const HTML_CSP: HeaderValue = HeaderValue::from_static(
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'",
);

/// What every request gets on its way out, in one layer (each layer is a boxed future and a
/// pass over the response per request; three of them were ~5 % of a book read's CPU): it is
/// counted and timed by route pattern (never by raw path: ids would explode the label set),
/// method and status; the response echoes the request id that the tracing middleware gave it
/// (and logged with every line about it), so a client can quote it; and it carries the
/// [security headers](SECURITY_HEADERS).
pub async fn edge(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let metrics = req
        .app_data::<web::Data<AppState>>()
        .map(|s| (Arc::clone(&s.metrics), Arc::clone(&s.ops)));
    let id = req
        .extensions()
        .get::<tracing_actix_web::RequestId>()
        .copied();
    let method = req.method().clone();
    let started = Instant::now();
    if let Some((m, _)) = &metrics {
        m.http_in_flight.inc();
    }
    // HEAD works wherever GET does (RFC 9110, 9.3.2): routes answer it as a GET and the HTTP
    // layer sends the head only (with the GET's Content-Length).
    let head = method == Method::HEAD;
    if head {
        req.head_mut().method = Method::GET;
    }
    let res = next.call(req).await;
    if let Some((m, ops)) = &metrics {
        m.http_in_flight.dec();
        count(m, ops, &res, &method, started);
    }
    let mut res = res?.map_body(|_, body| {
        // A stream (live events, compressed bodies) would be read to its end, or forever,
        // only to be dropped: end it now.
        if head && matches!(body.size(), BodySize::Stream) {
            EitherBody::right(BoxBody::new(()))
        } else {
            EitherBody::left(body)
        }
    });
    let headers = res.headers_mut();
    for (name, value) in &SECURITY_HEADERS {
        if !headers.contains_key(name) {
            headers.insert(name.clone(), value.clone());
        }
    }
    let html = headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if html && !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(header::CONTENT_SECURITY_POLICY, HTML_CSP);
    }
    if let Some(id) = id.and_then(|i| HeaderValue::from_str(&i.to_string()).ok()) {
        headers.insert(REQUEST_ID, id);
    }
    Ok(res)
}

/// Counts and times one finished request, and the bytes of its body when known.
fn count<B: MessageBody>(
    m: &Metrics,
    ops: &OpsRecorder,
    res: &Result<ServiceResponse<B>, Error>,
    method: &Method,
    started: Instant,
) {
    let (route, status) = match res {
        Ok(r) => (
            r.request()
                .match_pattern()
                .unwrap_or_else(|| "unmatched".into()),
            r.status(),
        ),
        Err(e) => ("unmatched".into(), e.as_response_error().status_code()),
    };
    let method = method_label(method);
    m.http_requests
        .with_label_values(&[route.as_str(), method, status.as_str()])
        .inc();
    let elapsed = started.elapsed();
    m.http_latency
        .with_label_values(&[route.as_str(), method])
        .observe(elapsed.as_secs_f64());
    let bytes = match res {
        Ok(r) => match r.response().body().size() {
            BodySize::Sized(n) => Some(n),
            _ => None,
        },
        Err(_) => None,
    };
    if let Some(n) = bytes {
        m.http_response_bytes.inc_by(n);
    }
    ops.count(status.as_u16(), elapsed, bytes);
}

/// A method as a metric label: the standard ones, or `other`, so that made-up methods cannot
/// grow the label set (each value is a new series, kept for the life of the process).
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "other",
    }
}

pub async fn rate_limit(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    if let Some(state) = req.app_data::<web::Data<AppState>>()
        && let Err((which, retry_after)) = state.limits.check(&req)
    {
        state.metrics.rate_limited.with_label_values(&[which]).inc();
        return Err(ApiError::RateLimited(retry_after).into());
    }
    next.call(req).await
}
