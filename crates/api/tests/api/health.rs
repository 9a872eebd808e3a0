//! `/healthz`, `/readyz`, `/metrics`, `/docs`; HEAD wherever GET.
use crate::helpers::*;
use bookstore_model::BookQuery;

#[tokio::test]
async fn health_and_docs() {
    let app = TestApp::spawn().await;
    assert_eq!(
        app.http
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        app.http
            .get(app.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let spec: serde_json::Value = app
        .http
        .get(app.url("/api-docs/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(spec["openapi"], "3.1.0");
    let docs = app.http.get(app.url("/docs/")).send().await.unwrap();
    assert_eq!(docs.status(), 200);
    assert!(
        docs.text().await.unwrap().contains("swagger"),
        "the docs page is served locally"
    );
    let res = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
}

#[tokio::test]
async fn metrics_count_traffic_store_calls_and_sales() {
    let app = TestApp::spawn().await;
    let book = app.book("Measured", 5).await;
    let shopper = app.customer().await;
    shopper
        .place_order(&order_of(vec![line(book.id, 2)]), None)
        .await
        .unwrap();
    let _ = shopper
        .place_order(&order_of(vec![line(book.id, 9)]), None)
        .await
        .unwrap_err();
    app.api.get_book(book.id).await.unwrap();
    let text = app.metrics_text().await;
    for expected in [
        r#"bookstore_http_requests_total{method="GET",route="/api/v1/books/{id}",status="200"} 1"#,
        r#"bookstore_http_requests_total{method="POST",route="/api/v1/orders",status="409"} 1"#,
        "bookstore_orders_placed_total 1",
        "bookstore_units_sold_total 2",
        "bookstore_order_value_cents_total",
        "bookstore_stock_outs_total 1",
        "bookstore_http_request_duration_seconds_bucket",
        r#"bookstore_store_call_duration_seconds_count{op="transact"}"#,
        "bookstore_http_requests_in_flight",
        "process_cpu_seconds_total",
        "process_resident_memory_bytes",
    ] {
        assert!(text.contains(expected), "metrics lack {expected}\n{text}");
    }
}

/// Each label value is a series kept for the life of the process: methods and routes a
/// client makes up must not add any.
#[tokio::test]
async fn metric_labels_are_bounded() {
    let app = TestApp::spawn().await;
    for n in 0..40 {
        let method = reqwest::Method::from_bytes(format!("ADV{n}X").as_bytes()).unwrap();
        app.http
            .request(method, app.url("/healthz"))
            .send()
            .await
            .unwrap();
        app.http
            .get(app.url(&format!("/api/v1/nothing-{n}")))
            .send()
            .await
            .unwrap();
    }
    // An encoded path is counted under the route it matched.
    let res = app
        .http
        .get(app.url("/api/v1/%67enres"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let text = app.metrics_text().await;
    assert!(!text.contains("ADV"), "made-up methods are labels:\n{text}");
    assert!(!text.contains("nothing-"), "raw paths are labels:\n{text}");
    for expected in [
        r#"bookstore_http_requests_total{method="other",route="/healthz",status="#,
        r#"bookstore_http_requests_total{method="GET",route="unmatched",status="404"} 40"#,
        r#"bookstore_http_requests_total{method="GET",route="/api/v1/genres",status="200"} 1"#,
    ] {
        assert!(text.contains(expected), "metrics lack {expected}\n{text}");
    }
}

/// RFC 9110: HEAD works wherever GET does, with GET's headers and no body.
#[tokio::test]
async fn head_is_answered_wherever_get_is() {
    let app = TestApp::spawn().await;
    let book = app.book("Headed", 3).await;
    let events = format!("/api/v1/events?books={}", book.id);
    let book_path = format!("/api/v1/books/{}", book.id);
    for path in [
        "/healthz",
        "/readyz",
        "/api/v1/books",
        book_path.as_str(),
        "/api/v1/genres",
        "/api/v1/bestsellers",
        "/api-docs/openapi.json",
    ] {
        let get = app.http.get(app.url(path)).send().await.unwrap();
        let head = app.http.head(app.url(path)).send().await.unwrap();
        assert_eq!(head.status(), 200, "HEAD {path}");
        assert_eq!(
            head.headers().get("content-type"),
            get.headers().get("content-type"),
            "HEAD {path}"
        );
        assert_eq!(
            head.headers().get("content-length"),
            get.headers().get("content-length"),
            "HEAD {path}"
        );
        assert!(head.bytes().await.unwrap().is_empty(), "HEAD {path}");
    }
    // A stream's head ends at once.
    let head = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        app.http.head(app.url(&events)).send(),
    )
    .await
    .expect("HEAD of the event stream answers at once")
    .unwrap();
    assert_eq!(head.status(), 200);
    // What GET refuses, HEAD refuses alike.
    let res = app.http.head(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(res.status(), 401);
    let res = app
        .http
        .head(app.url("/api/v1/orders/nope"))
        .send()
        .await
        .unwrap();
    assert_ne!(res.status(), 200);
}

/// With `metrics_listen`, `/metrics` is only there: a balancer forwarding the main listener
/// cannot expose it, however the path is spelled.
#[tokio::test]
async fn metrics_can_have_a_listener_of_their_own() {
    let app = TestApp::spawn_with(|s| s.metrics_listen = Some("127.0.0.1:0".into())).await;
    for path in ["/metrics", "/%6Detrics", "/%6d%65trics"] {
        let res = app.http.get(app.url(path)).send().await.unwrap();
        assert_problem(res, 404, "not_found").await;
    }
    let metrics = app.metrics_address.clone().expect("a metrics listener");
    app.api.list_books(&BookQuery::default()).await.unwrap();
    let text = app
        .http
        .get(format!("{metrics}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains(r#"route="/api/v1/books""#), "{text}");
    let res = app
        .http
        .get(format!("{metrics}/api/v1/books"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        404,
        "the metrics listener serves nothing else"
    );
}
