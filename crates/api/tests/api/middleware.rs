//! What the edge does to every request: request ids, security headers, rate limits, CORS,
//! keep-alive, path normalisation.
use crate::helpers::*;
use bookstore_model::*;
use serde_json::json;

#[tokio::test]
async fn responses_echo_a_request_id_and_carry_security_headers() {
    let app = TestApp::spawn().await;
    let a = app
        .http
        .get(app.url("/api/v1/genres"))
        .send()
        .await
        .unwrap();
    let b = app
        .http
        .get(app.url("/api/v1/books/nope"))
        .send()
        .await
        .unwrap();
    let id = |r: &reqwest::Response| {
        r.headers()
            .get("x-request-id")
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let (ia, ib) = (
        id(&a).expect("request id"),
        id(&b).expect("request id on errors too"),
    );
    assert_ne!(ia, ib);
    assert_eq!(a.headers()["x-frame-options"], "DENY");
    assert_eq!(b.headers()["x-content-type-options"], "nosniff");
}

#[tokio::test]
async fn logins_and_writes_are_rate_limited_per_client() {
    let app = TestApp::spawn_with(|s| {
        s.rate_limit.auth_per_minute = 3;
        s.rate_limit.writes_per_second = 1;
        s.rate_limit.write_burst = 2;
    })
    .await;
    // The admin login of the harness used one attempt.
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let res = app
            .http
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({"email": "x@example.com", "password": "whatever1"}))
            .send()
            .await
            .unwrap();
        statuses.push(res.status().as_u16());
        if res.status() == 429 {
            assert!(
                res.headers()["retry-after"]
                    .to_str()
                    .unwrap()
                    .parse::<u64>()
                    .unwrap()
                    >= 1
            );
            assert_problem(res, 429, "rate_limited").await;
        }
    }
    assert_eq!(statuses, vec![401, 401, 429]);
    // Writes: a burst of 2, then refused; reads are never limited. The harness's genre adds
    // used the burst: it refills first.
    tokio::time::sleep(std::time::Duration::from_millis(2_500)).await;
    let book = app
        .admin
        .admin_create_book(&new_book("Limited", "A", "fiction", 100, 5))
        .await;
    assert!(book.is_ok());
    let second = app
        .admin
        .admin_create_book(&new_book("Limited 2", "A", "fiction", 100, 5))
        .await;
    assert!(second.is_ok());
    let third = app
        .admin
        .admin_create_book(&new_book("Limited 3", "A", "fiction", 100, 5))
        .await;
    assert_eq!(code_of(third), (429, ProblemCode::RateLimited));
    for _ in 0..20 {
        app.api.list_books(&BookQuery::default()).await.unwrap();
    }
}

#[tokio::test]
async fn api_reads_are_rate_limited_per_client_but_not_the_pages() {
    let app = TestApp::spawn_with(|s| {
        s.rate_limit.reads_per_second = 1;
        s.rate_limit.read_burst = 3;
    })
    .await;
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let res = app.http.get(app.url("/api/v1/books")).send().await.unwrap();
        statuses.push(res.status().as_u16());
        if res.status() == 429 {
            assert_problem(res, 429, "rate_limited").await;
        }
    }
    assert_eq!(statuses, vec![200, 200, 200, 429]);
    // The shop's pages, and probes, are not API reads.
    for path in ["/", "/books/42", "/healthz"] {
        let res = app.http.get(app.url(path)).send().await.unwrap();
        assert_ne!(res.status().as_u16(), 429, "{path}");
    }
}

/// Password guessing spread over many addresses still meets the account's own limit; other
/// accounts, and unknown e-mails alike, keep theirs.
#[tokio::test]
async fn logins_are_limited_per_account_whatever_the_address() {
    let app = TestApp::spawn_with(|s| {
        s.rate_limit.logins_per_account_per_minute = 2;
        s.trusted_proxies = 1;
    })
    .await;
    let shopper = app.customer().await;
    let email = shopper.me().await.unwrap().email.to_string();
    let login = |email: String, from: &'static str| {
        app.http
            .post(app.url("/api/v1/auth/login"))
            .header("x-forwarded-for", from)
            .json(&json!({"email": email, "password": "not the password"}))
            .send()
    };
    let mut statuses = Vec::new();
    for from in ["198.51.100.1", "198.51.100.2", "198.51.100.3"] {
        // The e-mail as typed, in another case: the same account.
        statuses.push(
            login(email.to_uppercase(), from)
                .await
                .unwrap()
                .status()
                .as_u16(),
        );
    }
    assert_eq!(statuses, vec![401, 401, 429]);
    let res = login(email.clone(), "198.51.100.4").await.unwrap();
    assert_problem(res, 429, "rate_limited").await;
    // Another account, and an unknown e-mail, are not affected.
    let other = app.customer().await.me().await.unwrap().email.to_string();
    assert_eq!(login(other, "198.51.100.5").await.unwrap().status(), 401);
    for _ in 0..2 {
        let res = login("nobody@example.com".into(), "198.51.100.6")
            .await
            .unwrap();
        assert_eq!(res.status(), 401);
    }
    let res = login("nobody@example.com".into(), "198.51.100.7")
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        429,
        "an unknown e-mail is limited like a known one"
    );
}

#[tokio::test]
async fn behind_a_balancer_the_client_is_the_address_it_appended() {
    // One trusted proxy: the client is the rightmost X-Forwarded-For entry. Entries to its
    // left are whatever the client sent, so varying them must not buy fresh attempts.
    let app = TestApp::spawn_with(|s| {
        s.rate_limit.auth_per_minute = 2;
        s.trusted_proxies = 1;
    })
    .await;
    let login = |forwarded: String| {
        app.http
            .post(app.url("/api/v1/auth/login"))
            .header("x-forwarded-for", forwarded)
            .json(&json!({"email": "x@example.com", "password": "whatever1"}))
            .send()
    };
    let mut statuses = Vec::new();
    for forged in ["1.1.1.1", "2.2.2.2", "3.3.3.3"] {
        let res = login(format!("{forged}, 203.0.113.7")).await.unwrap();
        statuses.push(res.status().as_u16());
    }
    assert_eq!(statuses, vec![401, 401, 429], "forged hops were trusted");
    // Another client behind the same balancer (the same peer address) has its own allowance.
    let other = login("203.0.113.8".into()).await.unwrap();
    assert_eq!(other.status(), 401);
    // A second X-Forwarded-For line counts as further entries to the right.
    let res = app
        .http
        .post(app.url("/api/v1/auth/login"))
        .header("x-forwarded-for", "203.0.113.8")
        .header("x-forwarded-for", "203.0.113.7")
        .json(&json!({"email": "x@example.com", "password": "whatever1"}))
        .send()
        .await
        .unwrap();
    assert_problem(res, 429, "rate_limited").await;
}

/// A browser's CORS preflight from `origin` for a checkout (`POST /api/v1/orders` with a
/// token, a JSON body and an idempotency key).
fn preflight_checkout(
    app: &TestApp,
    origin: &'static str,
) -> impl std::future::Future<Output = reqwest::Result<reqwest::Response>> {
    app.http
        .request(reqwest::Method::OPTIONS, app.url("/api/v1/orders"))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization, content-type, idempotency-key",
        )
        .send()
}

#[tokio::test]
async fn cors_allows_only_configured_origins() {
    let app = TestApp::spawn_with(|s| s.cors_origins = vec!["https://shop.example".into()]).await;
    let preflight = |origin| preflight_checkout(&app, origin);
    let ok = preflight("https://shop.example").await.unwrap();
    assert_eq!(
        ok.headers()["access-control-allow-origin"],
        "https://shop.example"
    );
    let denied = preflight("https://evil.example").await.unwrap();
    assert!(
        denied
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

/// With no origins configured (the default) no cross-origin browser may read an answer, so
/// none carries CORS headers, and a preflight is not granted.
#[tokio::test]
async fn without_configured_origins_no_cors_headers() {
    let app = TestApp::spawn().await;
    let res = app
        .http
        .get(app.url("/api/v1/genres"))
        .header("origin", "https://shop.example")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    for name in [
        "access-control-allow-origin",
        "access-control-expose-headers",
    ] {
        assert!(res.headers().get(name).is_none(), "{name} sent");
    }
    let vary = res.headers().get("vary").map(|v| v.to_str().unwrap());
    assert!(!vary.unwrap_or("").contains("Origin"), "vary: {vary:?}");
    let preflight = preflight_checkout(&app, "https://shop.example")
        .await
        .unwrap();
    assert!(
        preflight
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

/// Sends `GET /healthz` on `conn` and reads until the end of the response headers; `None` if
/// the server closed the connection instead.
async fn health_on(conn: &mut tokio::net::TcpStream) -> Option<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let req = "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n";
    conn.write_all(req.as_bytes()).await.ok()?;
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    while !String::from_utf8_lossy(&got).contains("\r\n\r\n") {
        let n = conn.read(&mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        got.extend_from_slice(&buf[..n]);
    }
    Some(String::from_utf8_lossy(&got).into_owned())
}

/// An idle connection stays open for `keep_alive_secs` and no longer, and so does a new one
/// that has not sent its first request yet. A balancer keeps its idle connections to the API
/// for its own timeout (60 s on AWS's ALB); if the API closed them first, a request sent down
/// one as it closes would fail as a 502. Client pools (hyper's) also open connections they use
/// only later: actix-web's default 5 s for a first request answered those with an unsolicited
/// 408, which the client then took for the answer to its request.
#[tokio::test]
async fn idle_connections_live_for_the_configured_keep_alive() {
    let short = TestApp::spawn_with(|s| s.keep_alive_secs = 1).await;
    let long = TestApp::spawn_with(|s| s.keep_alive_secs = 7).await;
    let connect = |app: &TestApp| {
        let addr = app.address.trim_start_matches("http://").to_owned();
        async move { tokio::net::TcpStream::connect(addr).await.expect("connect") }
    };
    let (mut to_short, mut to_long) = (connect(&short).await, connect(&long).await);
    for conn in [&mut to_short, &mut to_long] {
        let head = health_on(conn).await.expect("first request");
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    }
    let mut fresh = connect(&long).await;
    tokio::time::sleep(std::time::Duration::from_millis(5500)).await;
    let head = health_on(&mut to_long)
        .await
        .expect("still open after 5.5 s idle");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let head = health_on(&mut fresh)
        .await
        .expect("a new connection still open after 5.5 s");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        health_on(&mut to_short).await.is_none(),
        "closed after 1 s idle"
    );
}

/// The router matches the percent-decoded path, so the limits must too: `/api/v1/%61uth/login`
/// is the login route, `/%61pi/v1/genres` an API read.
#[tokio::test]
async fn percent_encoded_paths_meet_the_same_limits() {
    let app = TestApp::spawn_with(|s| {
        s.rate_limit.auth_per_minute = 3;
        s.rate_limit.reads_per_second = 1;
        s.rate_limit.read_burst = 2;
    })
    .await;
    // The harness's admin login took one of the three.
    let login = |path: &'static str| {
        app.http
            .post(app.url(path))
            .json(&json!({"email": "x@example.com", "password": "whatever1"}))
            .send()
    };
    assert_eq!(login("/api/v1/auth/login").await.unwrap().status(), 401);
    assert_eq!(login("/api/v1/%61uth/login").await.unwrap().status(), 401);
    for path in [
        "/api/v1/auth/login",
        "/api/v1/%61uth/login",
        "/api/v1/%61%75%74%68/register",
        "/%61pi/v1/auth/login",
    ] {
        let res = login(path).await.unwrap();
        assert_problem(res, 429, "rate_limited").await;
    }
    let mut statuses = Vec::new();
    for path in ["/api/v1/genres", "/%61pi/v1/genres", "/api/v1/%67enres"] {
        statuses.push(app.http.get(app.url(path)).send().await.unwrap().status());
    }
    assert_eq!(statuses, [200, 200, 429]);
}
