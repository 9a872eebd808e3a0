//! `POST /api/v1/orders/quote`: the price of an order before it is placed, as placing prices it.
use crate::helpers::*;
use bookstore_model::*;

#[tokio::test]
async fn a_quote_prices_the_order_as_placing_does_and_reserves_nothing() {
    // Germany taxed at 19%: the tax is on items and shipping.
    let app = TestApp::spawn_with(|s| {
        s.tax_rates.insert("DE".into(), 1900);
    })
    .await;
    let a = app.book("Quoted A", 5).await;
    let b = app.book("Quoted B", 5).await;
    let shopper = app.customer().await;
    let order = order_of(vec![line(a.id, 2), line(b.id, 1)]);
    let quote = shopper.quote_order(&order.quote()).await.unwrap();
    assert_eq!(quote.items_cents, 3000);
    assert_eq!(quote.shipping_cents, 495);
    assert_eq!(quote.tax_rate_bps, 1900);
    // 19% of 34.95 is 6.6405: 6.64.
    assert_eq!(quote.tax_cents, 664);
    assert_eq!(quote.total_cents, 3000 + 495 + 664);
    assert_eq!(
        quote.currency,
        app.api
            .shipping_options(&ShippingQuery::default())
            .await
            .unwrap()
            .currency
    );
    assert_eq!(
        quote
            .lines
            .iter()
            .map(|l| (l.book_id, l.title.as_str(), l.unit_price_cents, l.quantity))
            .collect::<Vec<_>>(),
        vec![(a.id, "Quoted A", 1000, 2), (b.id, "Quoted B", 1000, 1)]
    );
    // Nothing was reserved.
    assert_eq!(app.api.get_book(a.id).await.unwrap().stock, 5);

    let placed = shopper.place_order(&order, None).await.unwrap().value;
    assert_eq!(
        (
            placed.items_cents,
            placed.shipping_cents,
            placed.tax_cents,
            placed.total_cents
        ),
        (
            quote.items_cents,
            quote.shipping_cents,
            quote.tax_cents,
            quote.total_cents
        )
    );
}

#[tokio::test]
async fn a_quote_answers_what_placing_would_refuse() {
    let app = TestApp::spawn().await;
    let few = app.book("Quoted Few", 1).await;
    let shopper = app.customer().await;

    let short = order_of(vec![line(few.id, 2)]).quote();
    let p = shopper.quote_order(&short).await.unwrap_err();
    let p = p.problem().unwrap();
    assert_eq!((p.status, p.code), (409, ProblemCode::InsufficientStock));
    assert_eq!(
        p.shortages.clone().unwrap(),
        vec![Shortage {
            book_id: few.id,
            requested: 2,
            available: 1
        }]
    );

    let mut nowhere = order_of(vec![line(few.id, 1)]).quote();
    nowhere.shipping_option = "no-such-option".into();
    let e = shopper.quote_order(&nowhere).await.unwrap_err();
    assert_eq!(
        e.problem().map(|p| (p.status, p.code)),
        Some((422, ProblemCode::ShippingUnavailable))
    );

    let mut not_mine = order_of(vec![line(few.id, 1)]).quote();
    not_mine.shipping_address = None;
    not_mine.address_id = Some(AddressId::new());
    let e = shopper.quote_order(&not_mine).await.unwrap_err();
    assert_eq!(e.problem().map(|p| p.status), Some(404));

    // Signed out: no quote.
    let e = app
        .api
        .quote_order(&order_of(vec![line(few.id, 1)]).quote())
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(401));
}
