use crate::helpers::*;
use bookstore_model::BookQuery;
use serde_json::json;

#[tokio::test]
async fn malformed_requests_get_problem_documents() {
    let app = TestApp::spawn().await;
    let shopper = app.customer().await;
    let token = shopper.token().unwrap().to_owned();
    let post = |body: &'static str, ct: &'static str| {
        app.http
            .post(app.url("/api/v1/orders"))
            .bearer_auth(&token)
            .header("content-type", ct)
            .body(body)
            .send()
    };
    assert_problem(
        post("{\"lines\": [", "application/json").await.unwrap(),
        400,
        "invalid_json",
    )
    .await;
    assert_problem(
        post("not json", "application/json").await.unwrap(),
        400,
        "invalid_json",
    )
    .await;
    assert_problem(
        post("{\"lines\": 5}", "application/json").await.unwrap(),
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        post("{\"lines\": []}", "text/plain").await.unwrap(),
        415,
        "unsupported_media_type",
    )
    .await;

    let huge = json!({"email": "a@b.example", "password": "x".repeat(100_000), "name": "A"});
    let res = app
        .http
        .post(app.url("/api/v1/auth/register"))
        .json(&huge)
        .send()
        .await
        .unwrap();
    assert_problem(res, 413, "payload_too_large").await;

    let res = app
        .http
        .get(app.url("/api/v1/no-such-thing"))
        .send()
        .await
        .unwrap();
    assert_problem(res, 404, "not_found").await;
    let res = app
        .http
        .delete(app.url("/api/v1/genres"))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    assert!(status == 404 || status == 405, "{status}");
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/problem+json")
    );
    let res = app.http.patch(app.url("/healthz")).send().await.unwrap();
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/problem+json")
    );
}

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

/// The search text is bounded at the edge (a word of it is a key in the store, and DynamoDB's
/// keys are at most 1 KB): over 200 characters is 400 `invalid_query`, on every back end, for
/// words, digits and ISBN-like text alike; 200 characters of 4-byte letters still search.
#[tokio::test]
async fn a_search_text_over_200_characters_is_refused_at_the_edge() {
    let app = TestApp::spawn().await;
    app.book("Bounded Search", 1).await;
    let search = |q: String| {
        let url = app.url("/api/v1/books");
        let req = app.http.get(url).query(&[("q", q)]);
        async move { req.send().await.unwrap() }
    };
    for q in [
        "a".repeat(10_000),
        "9".repeat(10_000),
        format!("978-{}", "97".repeat(5_000)),
        "b".repeat(201),
        "word ".repeat(40) + "x",
    ] {
        let res = search(q.clone()).await;
        let body = assert_problem(res, 400, "invalid_query").await;
        assert!(body["detail"].as_str().unwrap().contains("200"), "{body}");
    }
    // 200 characters of 4 bytes each: an 800-byte word, within DynamoDB's key limits.
    for q in [
        "\u{1d400}".repeat(200),
        "9".repeat(200),
        "bounded ".repeat(25),
        format!("978-{}", "9".repeat(196)),
    ] {
        let res = search(q.clone()).await;
        assert_eq!(res.status().as_u16(), 200, "{q}");
    }
}

/// Every valid title fits the stores' keys: 300 four-byte letters made a title sort key over
/// DynamoDB's 1,024 bytes (a 500 there); the sort key keeps the title's first 512 bytes, and
/// search words their first 64 characters.
#[tokio::test]
async fn the_widest_valid_title_is_stored_listed_and_found() {
    let app = TestApp::spawn().await;
    let title = "\u{1d400}".repeat(300);
    let book = app
        .admin
        .admin_create_book(&new_book(&title, "Wide Author", "fiction", 100, 1))
        .await
        .expect("a valid title is stored");
    assert_eq!(
        app.api.get_book(book.id).await.unwrap().title.as_str(),
        title
    );
    let q = |q: &str| BookQuery {
        q: Some(q.into()),
        ..Default::default()
    };
    let found = app
        .api
        .list_books(&q(&"\u{1d400}".repeat(70)))
        .await
        .unwrap();
    assert_eq!(
        found.items.iter().map(|b| b.id).collect::<Vec<_>>(),
        [book.id]
    );
    let listed = app.api.list_books(&BookQuery::default()).await.unwrap();
    assert!(listed.items.iter().any(|b| b.id == book.id));
}
