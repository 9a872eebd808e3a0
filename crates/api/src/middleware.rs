//! Cross-cutting HTTP concerns: request ids, metrics, security headers and per-client rate
//! limits.
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::state::AppState;
use actix_web::body::{BodySize, BoxBody, EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, web};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, NotUntil, Quota};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
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
        .map(|s| Arc::clone(&s.metrics));
    let id = req
        .extensions()
        .get::<tracing_actix_web::RequestId>()
        .copied();
    let method = req.method().clone();
    let started = Instant::now();
    if let Some(m) = &metrics {
        m.http_in_flight.inc();
    }
    // HEAD works wherever GET does (RFC 9110, 9.3.2): routes answer it as a GET and the HTTP
    // layer sends the head only (with the GET's Content-Length).
    let head = method == Method::HEAD;
    if head {
        req.head_mut().method = Method::GET;
    }
    let res = next.call(req).await;
    if let Some(m) = &metrics {
        m.http_in_flight.dec();
        count(m, &res, &method, started);
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
    m.http_latency
        .with_label_values(&[route.as_str(), method])
        .observe(started.elapsed().as_secs_f64());
    if let Ok(r) = res
        && let BodySize::Sized(n) = r.response().body().size()
    {
        m.http_response_bytes.inc_by(n);
    }
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

/// Per-client limits: logins and registrations per minute, other writes and API reads per
/// second.
/// Limits are per instance; behind a balancer of N instances a client gets up to N times them.
pub struct Limiters {
    auth: DefaultKeyedRateLimiter<IpAddr>,
    writes: DefaultKeyedRateLimiter<IpAddr>,
    reads: DefaultKeyedRateLimiter<IpAddr>,
    /// Per account (normalised e-mail), whatever the address.
    logins: DefaultKeyedRateLimiter<String>,
    trusted_proxies: u8,
    checks: AtomicU64,
}

impl Limiters {
    pub fn new(s: &crate::settings::RateLimits, trusted_proxies: u8) -> Self {
        let n = |v: u32| NonZeroU32::new(v.max(1)).unwrap_or(NonZeroU32::MIN);
        Self {
            auth: DefaultKeyedRateLimiter::keyed(Quota::per_minute(n(s.auth_per_minute))),
            writes: DefaultKeyedRateLimiter::keyed(
                Quota::per_second(n(s.writes_per_second)).allow_burst(n(s.write_burst)),
            ),
            reads: DefaultKeyedRateLimiter::keyed(
                Quota::per_second(n(s.reads_per_second)).allow_burst(n(s.read_burst)),
            ),
            logins: DefaultKeyedRateLimiter::keyed(Quota::per_minute(n(
                s.logins_per_account_per_minute
            ))),
            trusted_proxies,
            checks: AtomicU64::new(0),
        }
    }

    /// The client's address: the peer, or behind trusted proxies the `X-Forwarded-For` entry
    /// the outermost of them appended (counted from the right; entries to its left are the
    /// client's to forge). A request with fewer entries did not come through them all: its peer.
    pub fn client(&self, req: &actix_web::HttpRequest) -> Option<IpAddr> {
        let peer = req.peer_addr().map(|a| a.ip());
        if self.trusted_proxies == 0 {
            return peer;
        }
        forwarded_client(
            req.headers().get_all("x-forwarded-for"),
            usize::from(self.trusted_proxies),
        )
        .or(peer)
    }

    /// A login attempt for `account`; `Err(seconds to wait)` past the account's limit.
    pub fn check_login(&self, account: &str) -> Result<(), u64> {
        self.logins
            .check_key(&account.to_owned())
            .map_err(|not_until| retry_after(&not_until))
    }

    fn check(&self, req: &ServiceRequest) -> Result<(), (&'static str, u64)> {
        let method = req.method();
        // What the router will match, never the raw path: it matches the percent-decoded
        // path, so `/api/v1/%61uth/login` is the login route and must be limited as one.
        let path = req.match_info().as_str();
        let limiter = if method == Method::POST && is_auth_route(req, path) {
            ("auth", &self.auth)
        } else if matches!(
            *method,
            Method::POST | Method::PUT | Method::DELETE | Method::PATCH
        ) {
            ("writes", &self.writes)
        } else if path.starts_with("/api/") {
            // The shop's pages and their files (the SPA) are not counted, the API's reads are.
            ("reads", &self.reads)
        } else {
            return Ok(());
        };
        let Some(ip) = self.client(req.request()) else {
            return Ok(());
        };
        // Forget idle clients now and then, so the tables stay small.
        if self.checks.fetch_add(1, Ordering::Relaxed) % 10_000 == 9_999 {
            self.auth.retain_recent();
            self.writes.retain_recent();
            self.reads.retain_recent();
            self.logins.retain_recent();
        }
        limiter
            .1
            .check_key(&ip)
            .map_err(|not_until| (limiter.0, retry_after(&not_until)))
    }
}

/// Whether the route pattern that `path` (decoded) matches is a sign-in or registration.
fn is_auth_route(req: &ServiceRequest, path: &str) -> bool {
    req.request()
        .resource_map()
        .match_pattern(path)
        .is_some_and(|p| p.starts_with("/api/v1/auth/"))
}

/// Whole seconds until a refused client may try again (`Retry-After`), at least 1.
fn retry_after(not_until: &NotUntil<<DefaultClock as Clock>::Instant>) -> u64 {
    let wait = not_until.wait_time_from(DefaultClock::default().now());
    wait.as_secs().max(1)
}

/// The `n`th address from the right of all `X-Forwarded-For` lines (a proxy may add a line
/// instead of appending to the last one), if there are that many and it parses.
fn forwarded_client<'a>(lines: impl Iterator<Item = &'a HeaderValue>, n: usize) -> Option<IpAddr> {
    let mut entries = Vec::new();
    for line in lines {
        entries.extend(line.to_str().ok()?.split(',').map(str::trim));
    }
    let i = entries.len().checked_sub(n)?;
    entries.get(i)?.parse().ok()
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

#[cfg(test)]
mod tests {
    use super::*;

    fn client(lines: &[&'static str], n: usize) -> Option<IpAddr> {
        let values: Vec<_> = lines.iter().map(|l| HeaderValue::from_static(l)).collect();
        forwarded_client(values.iter(), n)
    }

    #[test]
    fn the_client_is_counted_from_the_right() {
        let ip = |s: &str| s.parse::<IpAddr>().ok();
        assert_eq!(client(&["9.9.9.9, 10.0.0.1"], 1), ip("10.0.0.1"));
        assert_eq!(client(&["9.9.9.9, 10.0.0.1, 10.0.0.2"], 2), ip("10.0.0.1"));
        assert_eq!(client(&["9.9.9.9", "10.0.0.1"], 1), ip("10.0.0.1"));
        assert_eq!(client(&["2001:db8::1"], 1), ip("2001:db8::1"));
        // Fewer entries than proxies, garbage or no header: not a client address.
        assert_eq!(client(&["10.0.0.1"], 2), None);
        assert_eq!(client(&["10.0.0.1, not-an-ip"], 1), None);
        assert_eq!(client(&[], 1), None);
    }
}
