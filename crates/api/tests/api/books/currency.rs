//! The shop's one currency: every book, in every listing, is priced in it.
use crate::helpers::*;
use bookstore_model::*;

#[tokio::test]
async fn every_listing_shows_the_shop_currency() {
    let app = TestApp::spawn_with(|s| s.currency = "GBP".into()).await;
    let a = app.book("Pounds One", 5).await;
    app.book("Pounds Two", 5).await;
    let shopper = app.customer().await;
    shopper
        .place_order(&order_of(vec![line(a.id, 1)]), None)
        .await
        .unwrap();

    let listed = app
        .api
        .list_books(&BookQuery::default())
        .await
        .unwrap()
        .items;
    let searched = app
        .api
        .list_books(&BookQuery {
            q: Some("pounds".into()),
            ..Default::default()
        })
        .await
        .unwrap()
        .items;
    let best: Vec<Book> = app
        .api
        .bestsellers(None)
        .await
        .unwrap()
        .into_iter()
        .map(|b| b.book)
        .collect();
    assert_eq!((listed.len(), searched.len(), best.len()), (2, 2, 1));
    let one = app.api.get_book(a.id).await.unwrap();
    for book in listed.iter().chain(&searched).chain(&best).chain([&one]) {
        assert_eq!(book.currency.as_str(), "GBP", "{}", book.title);
    }
    let shipping = app
        .api
        .shipping_options(&ShippingQuery::default())
        .await
        .unwrap();
    assert_eq!(shipping.currency, one.currency);
}

/// Books stored while the shop had another currency (or before it had one) are shown in the
/// shop's currency now.
#[tokio::test]
async fn stored_books_are_shown_in_the_current_shop_currency() {
    let data = tempfile::tempdir().unwrap();
    let dynamo = test_dynamo().await;
    let env = [("BOOKSTORE__CURRENCY", "USD")];
    let server = start_server_with(data.path(), dynamo.as_ref(), &env).await;
    let admin = server.client.authed(
        server
            .client
            .login(ADMIN_EMAIL, ADMIN_PASSWORD)
            .await
            .unwrap()
            .token,
    );
    add_test_genres(&admin).await;
    let book = admin
        .admin_create_book(&new_book("Once Dollars", "A", "fiction", 1000, 4))
        .await
        .unwrap();
    assert_eq!(book.currency.as_str(), "USD");
    drop(server);

    let env = [("BOOKSTORE__CURRENCY", "EUR")];
    let server = start_server_with(data.path(), dynamo.as_ref(), &env).await;
    let now = server.client.get_book(book.id).await.unwrap();
    assert_eq!(
        (now.currency.as_str(), now.price_cents.get()),
        ("EUR", 1000)
    );
    let listed = server
        .client
        .list_books(&BookQuery::default())
        .await
        .unwrap()
        .items;
    assert_eq!(listed, vec![now]);
}
