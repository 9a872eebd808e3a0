//! `GET /api/v1/bestsellers`.
use crate::helpers::*;

/// With a maximum age, an instance serves the ranking it computed until it expires, then
/// computes it afresh; `limit` is cut from the cached list.
#[tokio::test]
async fn bestsellers_are_served_from_a_short_lived_ranking() {
    let app = TestApp::spawn_with(|s| s.bestsellers_max_age_ms = 2000).await;
    let a = app.book("Alpha", 10).await;
    let b = app.book("Beta", 10).await;
    let shopper = app.customer().await;
    shopper
        .place_order(&order_of(vec![line(a.id, 2)]), None)
        .await
        .unwrap();
    let ids = |top: Vec<bookstore_model::Bestseller>| {
        top.iter()
            .map(|t| (t.book.id, t.units_sold))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ids(app.api.bestsellers(Some(5)).await.unwrap()),
        vec![(a.id, 2)]
    );
    shopper
        .place_order(&order_of(vec![line(b.id, 3)]), None)
        .await
        .unwrap();
    // Within the maximum age: the ranking computed before the second sale.
    assert_eq!(
        ids(app.api.bestsellers(Some(5)).await.unwrap()),
        vec![(a.id, 2)]
    );
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(
        ids(app.api.bestsellers(Some(5)).await.unwrap()),
        vec![(b.id, 3), (a.id, 2)]
    );
    assert_eq!(
        ids(app.api.bestsellers(Some(1)).await.unwrap()),
        vec![(b.id, 3)]
    );
}
