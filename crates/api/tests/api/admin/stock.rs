//! Stock events and thresholds (`/api/v1/admin/books/{id}/low-stock-threshold`, and the
//! `stock.low` / `stock.back_in_stock` events of every path that moves stock), delivered to a
//! real webhook receiver.
use crate::helpers::*;
use crate::payment_server::CARD_DECLINED;
use crate::receiver::{Answer, Received, Receiver};
use bookstore_model::*;
use std::time::Duration;

/// A receiver subscribed to the two stock events.
async fn stock_receiver(app: &TestApp) -> Receiver {
    let rx = Receiver::start(Answer::Status(200)).await;
    let req = WebhookRequest {
        url: WebhookUrl::parse(&rx.url).unwrap(),
        event_types: vec![EventType::StockLow, EventType::StockBackInStock],
        enabled: true,
    };
    app.admin.create_webhook(&req).await.unwrap();
    rx
}

/// The deliveries of `kind` once `n` deliveries in all arrived and no more came for a while
/// (the dispatcher is woken by every write: a late extra one would arrive within this).
async fn settled(rx: &Receiver, n: usize) -> Vec<Received> {
    rx.wait_for(n, 30).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    rx.received()
}

fn of(got: &[Received], kind: &str) -> Vec<serde_json::Value> {
    got.iter()
        .filter(|r| r.event_type() == kind)
        .map(|r| r.json()["data"].clone())
        .collect()
}

fn adjust(delta: i64) -> StockAdjustment {
    StockAdjustment {
        delta,
        reason: None,
    }
}

/// `n` fresh customers each try to buy one copy, all at once; the orders placed.
async fn racing_buyers(app: &TestApp, book: BookId, n: usize) -> Vec<Order> {
    let mut shoppers = Vec::new();
    for _ in 0..n {
        shoppers.push(app.customer().await);
    }
    let tries = shoppers
        .iter()
        .map(|s| async move { s.place_order(&order_of(vec![line(book, 1)]), None).await });
    let mut placed = Vec::new();
    for r in futures::future::join_all(tries).await {
        match r {
            Ok(o) => placed.push(o.value),
            Err(e) => assert_eq!(code_of::<()>(Err(e)).1, ProblemCode::InsufficientStock),
        }
    }
    placed
}

#[tokio::test]
async fn racing_buyers_raise_stock_low_once_per_crossing() {
    let app = TestApp::spawn().await;
    let rx = stock_receiver(&app).await;
    let book = app.book("Racing to the threshold", 20).await;
    // The shop's default (5) applies.
    let seen = app.admin.admin_book_inventory(book.id).await.unwrap();
    assert_eq!(
        (seen.low_stock_threshold, seen.effective_threshold, seen.low),
        (None, 5, false)
    );

    let placed = racing_buyers(&app, book.id, 32).await;
    assert_eq!(placed.len(), 20);
    assert_eq!(app.api.get_book(book.id).await.unwrap().stock, 0);
    let got = settled(&rx, 1).await;
    let low = of(&got, "stock.low");
    assert_eq!(low.len(), 1, "{low:?}");
    assert_eq!(
        (low[0]["stock"].as_i64(), low[0]["threshold"].as_i64()),
        (Some(5), Some(5))
    );
    assert_eq!(low[0]["id"], book.id.to_string());
    assert!(of(&got, "stock.back_in_stock").is_empty());

    // Restocked above the threshold, sold down again: a second crossing, a second event.
    app.admin
        .admin_adjust_stock(book.id, &adjust(10))
        .await
        .unwrap();
    let placed = racing_buyers(&app, book.id, 8).await;
    assert_eq!(placed.len(), 8);
    let got = settled(&rx, 3).await;
    let low = of(&got, "stock.low");
    assert_eq!(low.len(), 2, "{low:?}");
    assert_eq!(low[1]["stock"].as_i64(), Some(5));
    let back = of(&got, "stock.back_in_stock");
    assert_eq!(back.len(), 1, "{back:?}");
    assert_eq!(back[0]["stock"].as_i64(), Some(10));
    let item = app.admin.admin_book_inventory(book.id).await.unwrap();
    assert_eq!((item.stock, item.sold, item.low), (2, 28, true));
}

#[tokio::test]
async fn a_sold_out_book_is_back_in_stock_once_whatever_brings_its_copies_back() {
    let app = TestApp::spawn().await;
    let rx = stock_receiver(&app).await;
    let book = app.book("Back and forth", 4).await;
    let placed = racing_buyers(&app, book.id, 4).await;
    assert_eq!(placed.len(), 4);
    // Four cancellations at once: one of them brings the book back, once.
    let cancels = placed.iter().map(|o| app.admin.admin_cancel_order(o.id));
    for r in futures::future::join_all(cancels).await {
        assert_eq!(r.unwrap().status, OrderStatus::Cancelled);
    }
    let got = settled(&rx, 1).await;
    assert_eq!(
        of(&got, "stock.back_in_stock").len(),
        1,
        "{:?}",
        of(&got, "stock.back_in_stock")
    );
    assert_eq!(app.api.get_book(book.id).await.unwrap().stock, 4);

    // Sold out again; a received return brings one copy back.
    let shopper = app.customer().await;
    let order = buy(&shopper, book.id, 4).await;
    app.deliver(order.id).await;
    app.return_received(&shopper, order.id, &return_of(vec![line(book.id, 1)]))
        .await;
    let got = settled(&rx, 2).await;
    let back = of(&got, "stock.back_in_stock");
    assert_eq!(back.len(), 2, "{back:?}");
    assert_eq!(back[1]["stock"].as_i64(), Some(1));

    // A declined card takes the last copy and gives it back: sold out for a moment, back.
    let err = shopper
        .place_order(&paid_with(vec![line(book.id, 1)], CARD_DECLINED), None)
        .await
        .unwrap_err();
    assert_eq!(err.problem().unwrap().code, ProblemCode::PaymentDeclined);
    let got = settled(&rx, 3).await;
    assert_eq!(of(&got, "stock.back_in_stock").len(), 3);
    // Never above the threshold (5): never a crossing down.
    assert!(of(&got, "stock.low").is_empty());
}

#[tokio::test]
async fn a_threshold_is_set_per_book_and_raising_it_over_the_stock_is_a_crossing() {
    let app = TestApp::spawn().await;
    let rx = stock_receiver(&app).await;
    let book = app.book("Thresholded", 8).await;
    let set = app
        .admin
        .admin_set_low_stock_threshold(book.id, Some(10))
        .await
        .unwrap();
    assert_eq!(
        (
            set.low_stock_threshold,
            set.effective_threshold,
            set.low,
            set.version
        ),
        (Some(10), 10, true, book.version + 1)
    );
    let got = settled(&rx, 1).await;
    let low = of(&got, "stock.low");
    assert_eq!(
        (low[0]["stock"].as_i64(), low[0]["threshold"].as_i64()),
        (Some(8), Some(10))
    );
    // Back to the default (5): not low any more, and nothing raised; a write-off to 5 crosses.
    let set = app
        .admin
        .admin_set_low_stock_threshold(book.id, None)
        .await
        .unwrap();
    assert_eq!((set.low_stock_threshold, set.low), (None, false));
    app.admin
        .admin_adjust_stock(book.id, &adjust(-2))
        .await
        .unwrap();
    app.admin
        .admin_adjust_stock(book.id, &adjust(-1))
        .await
        .unwrap();
    let got = settled(&rx, 2).await;
    let low = of(&got, "stock.low");
    assert_eq!(low.len(), 2, "{low:?}");
    assert_eq!(
        (low[1]["stock"].as_i64(), low[1]["threshold"].as_i64()),
        (Some(5), Some(5))
    );
    // The book's version moved: an edit with the old one is refused.
    let stale = app
        .admin
        .admin_update_book(
            book.id,
            book.version,
            &new_details("T", "A", "fiction", 100),
        )
        .await;
    assert_eq!(code_of(stale).0, 412);

    // Refusals: too large, unknown book, a customer.
    let res = app
        .http
        .put(app.url(&paths::admin_book_threshold(book.id)))
        .bearer_auth(app.admin.token().unwrap())
        .json(&serde_json::json!({ "low_stock_threshold": 1_000_001 }))
        .send()
        .await
        .unwrap();
    assert_problem(res, 422, "validation_failed").await;
    let missing = app
        .admin
        .admin_set_low_stock_threshold(BookId::new(), Some(1))
        .await;
    assert_eq!(code_of(missing).0, 404);
    let customer = app.customer().await;
    assert_eq!(
        code_of(
            customer
                .admin_set_low_stock_threshold(book.id, Some(1))
                .await
        )
        .0,
        403
    );
}
