//! `GET /api/v1/admin/orders`.
use crate::helpers::*;
use bookstore_model::*;

#[tokio::test]
async fn admins_list_all_orders_by_status() {
    let app = TestApp::spawn().await;
    let book = app.book("Ordered", 10).await;
    let (c1, c2) = (app.customer().await, app.customer().await);
    let o1 = buy(&c1, book.id, 2).await;
    let o2 = buy(&c2, book.id, 1).await;
    app.deliver(o1.id).await;
    app.return_received(&c1, o1.id, &return_of(vec![line(book.id, 1)]))
        .await;

    let all = app
        .admin
        .admin_list_orders(&OrderQuery::default())
        .await
        .unwrap()
        .items;
    assert_eq!(
        all.iter().map(|o| o.id).collect::<Vec<_>>(),
        vec![o2.id, o1.id]
    );
    let partial = app
        .admin
        .admin_list_orders(&OrderQuery {
            status: Some(OrderStatus::PartiallyReturned),
            ..Default::default()
        })
        .await
        .unwrap()
        .items;
    assert_eq!(
        partial.iter().map(|o| o.id).collect::<Vec<_>>(),
        vec![o1.id]
    );
    let placed = app
        .admin
        .admin_list_orders(&OrderQuery {
            status: Some(OrderStatus::Paid),
            ..Default::default()
        })
        .await
        .unwrap()
        .items;
    assert_eq!(placed.iter().map(|o| o.id).collect::<Vec<_>>(), vec![o2.id]);
    let res = app
        .http
        .get(app.url("/api/v1/admin/orders?status=lost"))
        .bearer_auth(app.admin.token().unwrap())
        .send()
        .await
        .unwrap();
    assert_problem(res, 400, "invalid_query").await;
}

#[tokio::test]
async fn admins_page_through_every_order_once_newest_first() {
    let app = TestApp::spawn().await;
    let book = app.book("Many orders", 100).await;
    let shopper = app.customer().await;
    let mut placed = Vec::new();
    for _ in 0..23 {
        placed.push(
            shopper
                .place_order(&order_of(vec![line(book.id, 1)]), None)
                .await
                .unwrap()
                .value
                .id,
        );
    }
    placed.reverse();
    for status in [None, Some(OrderStatus::Paid)] {
        let seen: Vec<OrderId> = all_pages(5, |cursor| {
            let q = OrderQuery {
                status,
                limit: Some(5),
                cursor,
                ..Default::default()
            };
            let admin = app.admin.clone();
            async move { admin.admin_list_orders(&q).await.unwrap() }
        })
        .await
        .iter()
        .map(|o| o.id)
        .collect();
        assert_eq!(seen, placed, "{status:?}");
    }
}
