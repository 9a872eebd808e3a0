//! `/api/v1/orders`: checkout, idempotency, my orders; quotes in `quote.rs`.
mod lifecycle;
mod quote;
mod returns;

use crate::helpers::*;
use bookstore_model::*;
use futures::future::join_all;
use serde_json::json;
use std::collections::HashSet;

#[tokio::test]
async fn an_order_takes_stock_and_keeps_a_snapshot() {
    let app = TestApp::spawn().await;
    let a = app.book("Snapshot A", 5).await;
    let b = app.book("Snapshot B", 5).await;
    let shopper = app.customer().await;
    let placed = shopper
        .place_order(&order_of(vec![line(a.id, 2), line(b.id, 1)]), None)
        .await
        .unwrap();
    assert_eq!(placed.status, 201);
    let order = placed.value;
    assert_eq!(order.status, OrderStatus::Paid);
    assert_eq!(order.items_cents, 3000);
    // Standard delivery to Germany: 4.95 per order; no tax configured.
    assert_eq!((order.shipping_cents, order.tax_cents), (495, 0));
    assert_eq!(order.total_cents, 3495);
    assert_eq!(app.api.get_book(a.id).await.unwrap().stock, 3);
    assert_eq!(app.api.get_book(b.id).await.unwrap().stock, 4);

    // A later price and title edit does not alter the order.
    let mut details = new_details("Renamed", "Someone", "fiction", 9999);
    details.isbn = a.isbn.clone();
    app.admin
        .admin_update_book(a.id, a.version, &details)
        .await
        .unwrap();
    let again = shopper.get_order(order.id).await.unwrap();
    assert_eq!(again, order);
    assert_eq!(again.lines[0].title.as_str(), "Snapshot A");
    assert_eq!(again.lines[0].unit_price_cents, 1000);
}

#[tokio::test]
async fn a_short_line_refuses_the_whole_order_and_names_each_short_line() {
    let app = TestApp::spawn().await;
    let plenty = app.book("Plenty", 10).await;
    let few = app.book("Few", 2).await;
    let none = app.book("None", 0).await;
    let shopper = app.customer().await;
    let err = shopper
        .place_order(
            &order_of(vec![line(plenty.id, 1), line(few.id, 3), line(none.id, 1)]),
            None,
        )
        .await
        .unwrap_err();
    let p = err.problem().unwrap();
    assert_eq!((p.status, p.code), (409, ProblemCode::InsufficientStock));
    let mut shortages = p.shortages.clone().unwrap();
    shortages.sort_by_key(|s| s.available);
    assert_eq!(
        shortages,
        vec![
            Shortage {
                book_id: none.id,
                requested: 1,
                available: 0
            },
            Shortage {
                book_id: few.id,
                requested: 3,
                available: 2
            },
        ]
    );
    assert_eq!(app.api.get_book(plenty.id).await.unwrap().stock, 10);
    assert_eq!(app.api.get_book(few.id).await.unwrap().stock, 2);
    assert!(
        shopper
            .list_orders(&PageQuery::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

#[tokio::test]
async fn concurrent_buyers_never_oversell() {
    let app = TestApp::spawn().await;
    // A price no other test uses, so this test's intents are told apart at the shared provider.
    let book = app
        .admin
        .admin_create_book(&new_book("Scarce", "Test Author", "fiction", 1733, 20))
        .await
        .unwrap();
    let shoppers = join_all((0..8).map(|_| app.customer())).await;
    let attempts = (0..64).map(|i| {
        let c = shoppers[i % shoppers.len()].clone();
        async move { c.place_order(&order_of(vec![line(book.id, 1)]), None).await }
    });
    let results = join_all(attempts).await;
    let mut sold = 0;
    let mut order_ids = HashSet::new();
    let mut paid = Vec::new();
    for r in results {
        match r {
            Ok(placed) => {
                assert_eq!(placed.status, 201);
                assert_eq!(placed.value.status, OrderStatus::Paid);
                sold += 1;
                order_ids.insert(placed.value.id);
                paid.push(placed.value);
            }
            Err(e) => {
                let p = e.problem().unwrap_or_else(|| panic!("not a problem: {e}"));
                assert_eq!(
                    (p.status, p.code),
                    (409, ProblemCode::InsufficientStock),
                    "{p}"
                );
            }
        }
    }
    assert_eq!(sold, 20);
    assert_eq!(order_ids.len(), 20);
    let after = app.api.get_book(book.id).await.unwrap();
    assert_eq!(after.stock, 0);
    // The ledger balances: initial = stock + sold - returned, and every order is stored.
    let mut stored = 0;
    for s in &shoppers {
        for o in s
            .list_orders(&PageQuery {
                limit: Some(100),
                cursor: None,
            })
            .await
            .unwrap()
            .items
        {
            assert!(order_ids.contains(&o.id));
            stored += o
                .lines
                .iter()
                .map(|l| l.quantity - l.returned_quantity)
                .sum::<u32>();
        }
    }
    assert_eq!(20, after.stock + i64::from(stored));
    // The provider holds exactly one authorization per paid order, and none for a refusal.
    let total = paid[0].total_cents;
    let held: Vec<_> = crate::payment_server::intents()
        .await
        .into_iter()
        .filter(|i| i["amount"] == total && i["status"] != "canceled")
        .collect();
    let mut held_for: Vec<_> = held
        .iter()
        .map(|i| {
            assert_eq!(i["status"], "requires_capture", "{i}");
            i["metadata"]["order_id"].as_str().unwrap().to_owned()
        })
        .collect();
    held_for.sort();
    let mut expected: Vec<_> = paid.iter().map(|o| o.id.to_string()).collect();
    expected.sort();
    assert_eq!(held_for, expected);
}

#[tokio::test]
async fn concurrent_retries_with_one_idempotency_key_place_one_order() {
    let app = TestApp::spawn().await;
    let book = app.book("Once", 10).await;
    let shopper = app.customer().await;
    let body = order_of(vec![line(book.id, 2)]);
    let results = join_all((0..16).map(|_| shopper.place_order(&body, Some("checkout-42")))).await;
    let placed: Vec<_> = results
        .into_iter()
        .map(|r| r.expect("retry answered"))
        .collect();
    let ids: HashSet<OrderId> = placed.iter().map(|p| p.value.id).collect();
    assert_eq!(ids.len(), 1);
    assert_eq!(placed.iter().filter(|p| p.status == 201).count(), 1);
    assert!(placed.iter().all(|p| p.status == 201 || p.status == 200));
    assert_eq!(app.api.get_book(book.id).await.unwrap().stock, 8);
    // Later retries too.
    let later = shopper
        .place_order(&body, Some("checkout-42"))
        .await
        .unwrap();
    assert_eq!(
        (later.status, later.value.id),
        (200, *ids.iter().next().unwrap())
    );
    // The same key with another body is refused; nothing is bought.
    let other = shopper
        .place_order(&order_of(vec![line(book.id, 1)]), Some("checkout-42"))
        .await;
    assert_eq!(code_of(other), (422, ProblemCode::IdempotencyKeyReused));
    assert_eq!(app.api.get_book(book.id).await.unwrap().stock, 8);
    // Keys are per customer: another customer's identical key is a new order.
    let other_shopper = app.customer().await;
    let theirs = other_shopper
        .place_order(&body, Some("checkout-42"))
        .await
        .unwrap();
    assert_eq!(theirs.status, 201);
    assert!(!ids.contains(&theirs.value.id));
}

/// The retry of an order that took the last copies finds no stock left, and must still be
/// answered with the order it repeats, not with a shortage.
#[tokio::test]
async fn a_retry_after_the_order_took_the_last_copies_gets_the_order() {
    let app = TestApp::spawn().await;
    let book = app.book("Last copies", 2).await;
    let shopper = app.customer().await;
    let body = order_of(vec![line(book.id, 2)]);
    let first = shopper.place_order(&body, Some("last-2")).await.unwrap();
    assert_eq!(first.status, 201);
    let retry = shopper.place_order(&body, Some("last-2")).await.unwrap();
    assert_eq!((retry.status, retry.value.id), (200, first.value.id));
    // Without the key the same body is a new order, and there is no stock for it.
    let fresh = shopper.place_order(&body, None).await;
    assert_eq!(code_of(fresh).1, ProblemCode::InsufficientStock);
    // A reused key with another body is refused as such, not as a shortage.
    let other = shopper
        .place_order(&order_of(vec![line(book.id, 1)]), Some("last-2"))
        .await;
    assert_eq!(code_of(other), (422, ProblemCode::IdempotencyKeyReused));
    assert_eq!(app.api.get_book(book.id).await.unwrap().stock, 0);
}

/// A key is remembered for `idempotency_ttl_secs`, on both back ends alike (DynamoDB's own TTL
/// sweeper may take days): afterwards it names a new request.
#[tokio::test]
async fn an_idempotency_key_is_forgotten_after_its_time() {
    // Whole seconds: a key written at second T is remembered until T + 3, at least 2 s.
    let app = TestApp::spawn_with(|s| s.idempotency_ttl_secs = 3).await;
    let book = app.book("Forgotten key", 10).await;
    let shopper = app.customer().await;
    let first = shopper
        .place_order(&order_of(vec![line(book.id, 1)]), Some("daily"))
        .await
        .unwrap();
    assert_eq!(first.status, 201);
    // Within its time, another body is refused.
    let other = order_of(vec![line(book.id, 2)]);
    let refused = shopper.place_order(&other, Some("daily")).await;
    assert_eq!(code_of(refused), (422, ProblemCode::IdempotencyKeyReused));
    tokio::time::sleep(std::time::Duration::from_millis(4100)).await;
    let later = shopper.place_order(&other, Some("daily")).await.unwrap();
    assert_eq!(later.status, 201);
    assert_ne!(later.value.id, first.value.id);
    // ...and the new request is remembered in turn.
    let retry = shopper.place_order(&other, Some("daily")).await.unwrap();
    assert_eq!((retry.status, retry.value.id), (200, later.value.id));
    assert_eq!(app.api.get_book(book.id).await.unwrap().stock, 7);
}

#[tokio::test]
async fn my_orders_newest_first_and_others_orders_are_hidden() {
    let app = TestApp::spawn().await;
    let book = app.book("Listed", 50).await;
    let me = app.customer().await;
    let mut placed = Vec::new();
    for q in 1..=5 {
        placed.push(
            me.place_order(&order_of(vec![line(book.id, q)]), None)
                .await
                .unwrap()
                .value
                .id,
        );
    }
    let seen: Vec<OrderId> = all_pages(2, |cursor| {
        let me = me.clone();
        async move {
            me.list_orders(&PageQuery {
                limit: Some(2),
                cursor,
            })
            .await
            .unwrap()
        }
    })
    .await
    .iter()
    .map(|o| o.id)
    .collect();
    placed.reverse();
    assert_eq!(seen, placed);

    let stranger = app.customer().await;
    assert_eq!(
        code_of(stranger.get_order(placed[0]).await),
        (404, ProblemCode::NotFound)
    );
    assert!(
        stranger
            .list_orders(&PageQuery::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
    assert_eq!(
        code_of(app.api.get_order(placed[0]).await),
        (401, ProblemCode::Unauthorized)
    );
}

#[tokio::test]
async fn bad_orders_are_refused_with_problems() {
    let app = TestApp::spawn().await;
    let book = app.book("Valid", 50).await;
    let shopper = app.customer().await;
    let token = shopper.token().unwrap().to_owned();
    let id = book.id.to_string();
    let full = |mut body: serde_json::Value| {
        body["shipping_address"] = json!(test_address());
        body["shipping_option"] = json!("standard");
        body["payment_method"] = json!(crate::payment_server::CARD_OK);
        body
    };
    let one = || full(json!({"lines": [{"book_id": id, "quantity": 1}]}));
    let without = |field: &str| {
        let mut b = one();
        b.as_object_mut().unwrap().remove(field);
        b
    };
    let with = |field: &str, value: serde_json::Value| {
        let mut b = one();
        b[field] = value;
        b
    };
    let cases = [
        (full(json!({"lines": []})), 422, "validation_failed"),
        (
            full(json!({"lines": [{"book_id": id, "quantity": 0}]})),
            422,
            "validation_failed",
        ),
        (
            full(json!({"lines": [{"book_id": id, "quantity": -3}]})),
            422,
            "validation_failed",
        ),
        (
            full(json!({"lines": [{"book_id": id, "quantity": 1.5}]})),
            422,
            "validation_failed",
        ),
        (
            full(json!({"lines": [{"book_id": id, "quantity": "1"}]})),
            422,
            "validation_failed",
        ),
        (
            full(json!({"lines": [{"book_id": id, "quantity": 1001}]})),
            422,
            "validation_failed",
        ),
        (
            full(json!({"lines": [{"book_id": "nope", "quantity": 1}]})),
            422,
            "validation_failed",
        ),
        (
            full(
                json!({"lines": [{"book_id": id, "quantity": 1}, {"book_id": id, "quantity": 1}]}),
            ),
            422,
            "validation_failed",
        ),
        (
            full(json!({"lines": [{"book_id": id, "quantity": 1}], "coupon": "FREE"})),
            422,
            "validation_failed",
        ),
        (
            full(json!({"lines": [{"book_id": BookId::new(), "quantity": 1}]})),
            422,
            "unknown_book",
        ),
        // Where and how to ship, and the card.
        (without("shipping_option"), 422, "validation_failed"),
        (without("payment_method"), 422, "validation_failed"),
        (without("shipping_address"), 422, "validation_failed"),
        (
            with("address_id", json!(AddressId::new())),
            422,
            "validation_failed",
        ),
        (
            with("payment_method", json!("tok_visa")),
            422,
            "validation_failed",
        ),
        (
            with("payment_method", json!("pm_a b")),
            422,
            "validation_failed",
        ),
        (
            with("shipping_option", json!("Express!")),
            422,
            "validation_failed",
        ),
        (
            with("shipping_option", json!("teleport")),
            422,
            "shipping_unavailable",
        ),
        (
            with(
                "shipping_address",
                json!({"name": "A", "line1": "1 Main St", "city": "Austin", "postal_code": "73301", "country": "US"}),
            ),
            // Standard ships everywhere; express does not ship to the US.
            201,
            "",
        ),
        (
            {
                let mut b = with(
                    "shipping_address",
                    json!({"name": "A", "line1": "1 Main St", "city": "Austin", "postal_code": "73301", "country": "US"}),
                );
                b["shipping_option"] = json!("express");
                b
            },
            422,
            "shipping_unavailable",
        ),
        (
            with(
                "shipping_address",
                json!({"name": "A", "line1": "1 Main St", "city": "Austin", "postal_code": "73301", "country": "ZZ"}),
            ),
            422,
            "validation_failed",
        ),
        (
            {
                let mut b = without("shipping_address");
                b["address_id"] = json!(AddressId::new());
                b
            },
            404,
            "not_found",
        ),
    ];
    for (body, status, code) in cases {
        let res = app
            .http
            .post(app.url("/api/v1/orders"))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .unwrap();
        if status == 201 {
            assert_eq!(res.status(), 201);
            continue;
        }
        assert_problem(res, status, code).await;
    }
    let too_many: Vec<_> = (0..=MAX_LINES)
        .map(|_| json!({"book_id": BookId::new(), "quantity": 1}))
        .collect();
    let res = app
        .http
        .post(app.url("/api/v1/orders"))
        .bearer_auth(&token)
        .json(&full(json!({"lines": too_many})))
        .send()
        .await
        .unwrap();
    assert_problem(res, 422, "validation_failed").await;
    let res = app
        .http
        .post(app.url("/api/v1/orders"))
        .bearer_auth(&token)
        .header("Idempotency-Key", "has spaces")
        .json(&one())
        .send()
        .await
        .unwrap();
    assert_problem(res, 400, "invalid_header").await;
    // The one good order (to the US) took one copy.
    assert_eq!(app.api.get_book(book.id).await.unwrap().stock, 49);
}

/// DynamoDB applies an order but its answer is held past the SDK's timeouts (5 s; the SDK
/// gives up after 3): the order is read back and answered as placed, 201 with its body —
/// never "unavailable, retry shortly", which would have the client buy twice.
#[tokio::test]
async fn an_order_whose_answer_is_lost_is_read_back_and_answered_as_placed() {
    use crate::slow_proxy::Hold;
    let delay = std::time::Duration::from_secs(5);
    let (app, proxy) = spawn_behind_slow_proxy("TransactWriteItems", delay).await;
    let book = app.book("Slow Answer", 5).await;
    let shopper = app.customer().await;
    proxy.hold(Hold::Answers);
    let placed = shopper
        .place_order(&order_of(vec![line(book.id, 2)]), None)
        .await;
    proxy.hold(Hold::Nothing);
    let placed = placed.expect("the order it placed");
    assert_eq!(placed.status, 201);
    assert_eq!(
        shopper.get_order(placed.value.id).await.unwrap(),
        placed.value
    );
    // The SDK's retries of the held call (one client request token) are applied once at most.
    tokio::time::sleep(delay).await;
    assert_eq!(app.api.get_book(book.id).await.unwrap().stock, 3);
    let mine = shopper.list_orders(&PageQuery::default()).await.unwrap();
    assert_eq!(mine.items, vec![placed.value]);
}

/// An order whose calls reach DynamoDB only after the SDK gave up: read back, it is not there,
/// and it is fenced off, so the late calls fail. Then, and only then, "nothing happened;
/// retry" is the truth: 503, no stock taken, no order, even after the calls arrive.
#[tokio::test]
async fn an_order_whose_calls_arrive_too_late_is_fenced_off_and_reported_not_placed() {
    use crate::slow_proxy::Hold;
    let delay = std::time::Duration::from_secs(5);
    let (app, proxy) = spawn_behind_slow_proxy("TransactWriteItems", delay).await;
    let book = app.book("Slow Call", 5).await;
    let shopper = app.customer().await;
    proxy.hold(Hold::Calls);
    let placed = shopper
        .place_order(&order_of(vec![line(book.id, 2)]), None)
        .await;
    proxy.hold(Hold::Nothing);
    assert_eq!(code_of(placed), (503, ProblemCode::ServiceUnavailable));
    // Every held attempt has reached the engine by now, and failed its condition.
    tokio::time::sleep(delay + std::time::Duration::from_secs(3)).await;
    assert_eq!(app.api.get_book(book.id).await.unwrap().stock, 5);
    let mine = shopper.list_orders(&PageQuery::default()).await.unwrap();
    assert!(mine.items.is_empty(), "{:?}", mine.items);
}
