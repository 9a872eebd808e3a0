//! Per-client rate limits (per instance): which limit a request counts against, and who the
//! client is behind trusted proxies.
use actix_web::dev::ServiceRequest;
use actix_web::http::Method;
use actix_web::http::header::HeaderValue;
use bookstore_model::ApiKeyId;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, NotUntil, Quota};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};

/// Per-client limits: logins and registrations per minute, other writes and API reads per
/// second.
/// Limits are per instance; behind a balancer of N instances a client gets up to N times them.
pub struct Limiters {
    auth: DefaultKeyedRateLimiter<IpAddr>,
    writes: DefaultKeyedRateLimiter<IpAddr>,
    reads: DefaultKeyedRateLimiter<IpAddr>,
    /// Per account (normalised e-mail), whatever the address.
    logins: DefaultKeyedRateLimiter<String>,
    /// Password-reset mails per account (normalised e-mail), whatever the address.
    resets: DefaultKeyedRateLimiter<String>,
    /// Per API key, whatever the address.
    api_keys: DefaultKeyedRateLimiter<ApiKeyId>,
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
            resets: DefaultKeyedRateLimiter::keyed(
                Quota::per_hour(n(s.password_resets_per_account_per_hour))
                    .allow_burst(n(s.password_resets_per_account_per_hour)),
            ),
            api_keys: DefaultKeyedRateLimiter::keyed(
                Quota::per_second(n(s.api_key_per_second)).allow_burst(n(s.api_key_burst)),
            ),
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

    /// A password-reset request for `account`; `Err(seconds to wait)` past the account's limit.
    pub fn check_password_reset(&self, account: &str) -> Result<(), u64> {
        self.resets
            .check_key(&account.to_owned())
            .map_err(|not_until| retry_after(&not_until))
    }

    /// A request made with API key `id` (checked once the key is known to be valid, so made-up
    /// keys fill no table); `Err(seconds to wait)` past the key's limit.
    pub fn check_api_key(&self, id: ApiKeyId) -> Result<(), u64> {
        self.api_keys
            .check_key(&id)
            .map_err(|not_until| retry_after(&not_until))
    }

    pub(crate) fn check(&self, req: &ServiceRequest) -> Result<(), (&'static str, u64)> {
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
            self.resets.retain_recent();
            self.api_keys.retain_recent();
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
