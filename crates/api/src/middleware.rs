//! Cross-cutting HTTP concerns: request ids, metrics and per-client rate limits.
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::body::{BodySize, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, web};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Echoes the request id that the tracing middleware gave this request (and logged with
/// every line about it), so a client can quote it.
pub async fn request_id(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let id = req
        .extensions()
        .get::<tracing_actix_web::RequestId>()
        .map(ToString::to_string);
    let mut res = next.call(req).await?;
    if let Some(id) = id.and_then(|i| HeaderValue::from_str(&i).ok()) {
        res.headers_mut().insert(REQUEST_ID, id);
    }
    Ok(res)
}

/// Counts and times every request by route pattern (never by raw path: ids would explode
/// the label set), method and status.
pub async fn track(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return next.call(req).await;
    };
    let m = &state.metrics;
    let method = req.method().as_str().to_owned();
    let started = Instant::now();
    m.http_in_flight.inc();
    let res = next.call(req).await;
    m.http_in_flight.dec();
    let (route, status) = match &res {
        Ok(r) => (
            r.request()
                .match_pattern()
                .unwrap_or_else(|| "unmatched".into()),
            r.status(),
        ),
        Err(e) => ("unmatched".into(), e.as_response_error().status_code()),
    };
    if let Ok(r) = &res
        && let BodySize::Sized(n) = r.response().body().size()
    {
        m.http_response_bytes.inc_by(n);
    }
    m.http_requests
        .with_label_values(&[route.as_str(), method.as_str(), status.as_str()])
        .inc();
    m.http_latency
        .with_label_values(&[route.as_str(), method.as_str()])
        .observe(started.elapsed().as_secs_f64());
    res
}

/// Per-client limits: logins and registrations per minute, and other writes per second.
/// Limits are per instance; behind a balancer of N instances a client gets up to N times them.
pub struct Limiters {
    auth: DefaultKeyedRateLimiter<IpAddr>,
    writes: DefaultKeyedRateLimiter<IpAddr>,
    trust_forwarded_for: bool,
    checks: AtomicU64,
}

impl Limiters {
    pub fn new(s: &crate::settings::RateLimits, trust_forwarded_for: bool) -> Self {
        let n = |v: u32| NonZeroU32::new(v.max(1)).unwrap_or(NonZeroU32::MIN);
        Self {
            auth: DefaultKeyedRateLimiter::keyed(Quota::per_minute(n(s.auth_per_minute))),
            writes: DefaultKeyedRateLimiter::keyed(
                Quota::per_second(n(s.writes_per_second)).allow_burst(n(s.write_burst)),
            ),
            trust_forwarded_for,
            checks: AtomicU64::new(0),
        }
    }

    /// The client's address: the peer, or behind a trusted proxy the first `X-Forwarded-For` hop.
    fn client(&self, req: &ServiceRequest) -> Option<IpAddr> {
        if self.trust_forwarded_for
            && let Some(ip) = req
                .headers()
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .and_then(|v| v.trim().parse().ok())
        {
            return Some(ip);
        }
        req.peer_addr().map(|a| a.ip())
    }

    fn check(&self, req: &ServiceRequest) -> Result<(), (&'static str, u64)> {
        let method = req.method();
        let limiter = if method == Method::POST && req.path().starts_with("/api/v1/auth/") {
            ("auth", &self.auth)
        } else if matches!(
            *method,
            Method::POST | Method::PUT | Method::DELETE | Method::PATCH
        ) {
            ("writes", &self.writes)
        } else {
            return Ok(());
        };
        let Some(ip) = self.client(req) else {
            return Ok(());
        };
        // Forget idle clients now and then, so the tables stay small.
        if self.checks.fetch_add(1, Ordering::Relaxed) % 10_000 == 9_999 {
            self.auth.retain_recent();
            self.writes.retain_recent();
        }
        limiter.1.check_key(&ip).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            (limiter.0, wait.as_secs().max(1))
        })
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
