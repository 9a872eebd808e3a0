//! The API docs page renders under its Content-Security-Policy (the app's own pages are
//! covered by every other test: blocked scripts would leave them blank).
use crate::support::*;

#[tokio::test]
async fn the_api_docs_render_under_their_content_security_policy() {
    let _serial = serial().await;
    let shop = Shop::start().await;
    let b = Browser::start(&shop.url).await;
    b.goto("/docs/").await;
    let title = b
        .wait_contains(".swagger-ui .info .title", "Bookstore API")
        .await;
    assert!(title.contains("Bookstore API"), "{title}");
    // Operations are listed (the spec was fetched from this origin and rendered).
    b.wait_contains(".swagger-ui", "/api/v1/books").await;
    b.screenshot("api-docs").await;
    b.close().await;
}
