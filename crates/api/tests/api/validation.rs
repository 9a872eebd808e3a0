//! Malformed requests: every one gets a problem document.
use crate::helpers::*;
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
