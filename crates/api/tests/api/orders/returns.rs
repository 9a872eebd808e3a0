//! `/api/v1/orders/{id}/returns`.
use crate::helpers::*;
use bookstore_model::*;
use futures::future::join_all;

#[tokio::test]
async fn returns_move_stock_and_status() {
    let app = TestApp::spawn().await;
    let a = app.book("Ret A", 10).await;
    let b = app.book("Ret B", 10).await;
    let shopper = app.customer().await;
    let order = shopper
        .place_order(&order_of(vec![line(a.id, 3), line(b.id, 1)]), None)
        .await
        .unwrap()
        .value;
    app.deliver(order.id).await;

    let r1 = shopper
        .create_return(order.id, &return_of(vec![line(a.id, 2)]))
        .await
        .unwrap();
    // Asked for: nothing moves until the shop has the copies.
    assert_eq!(r1.return_.status, ReturnStatus::Requested);
    assert_eq!(r1.return_.refund_cents, 2000);
    assert_eq!(r1.order.status, OrderStatus::Delivered);
    assert_eq!(
        (
            r1.order.lines[0].return_requested_quantity,
            r1.order.lines[0].returned_quantity
        ),
        (2, 0)
    );
    assert_eq!(app.api.get_book(a.id).await.unwrap().stock, 7);
    let received = app
        .admin
        .admin_receive_return(order.id, r1.return_.id)
        .await
        .unwrap();
    assert_eq!(received.return_.status, ReturnStatus::Received);
    assert_eq!(received.order.status, OrderStatus::PartiallyReturned);
    assert_eq!(received.order.lines[0].returned_quantity, 2);
    assert_eq!(app.api.get_book(a.id).await.unwrap().stock, 9);
    assert_eq!(
        code_of(
            app.admin
                .admin_receive_return(order.id, r1.return_.id)
                .await
        ),
        (409, ProblemCode::InvalidTransition),
        "received once"
    );
    assert_eq!(
        code_of(shopper.admin_receive_return(order.id, r1.return_.id).await).0,
        403
    );
    let err = shopper
        .create_return(order.id, &return_of(vec![line(a.id, 2)]))
        .await
        .unwrap_err();
    let p = err.problem().unwrap();
    assert_eq!(
        (p.status, p.code),
        (409, ProblemCode::ReturnExceedsPurchase)
    );
    assert_eq!(
        p.excess.clone().unwrap(),
        vec![ReturnExcess {
            book_id: a.id,
            requested: 2,
            returnable: 1
        }]
    );
    // A book that is not on the order cannot be returned either.
    let other = app.book("Not bought", 1).await;
    let err = shopper
        .create_return(order.id, &return_of(vec![line(other.id, 1)]))
        .await;
    assert_eq!(code_of(err), (409, ProblemCode::ReturnExceedsPurchase));

    let r2 = app
        .return_received(
            &shopper,
            order.id,
            &return_of(vec![line(a.id, 1), line(b.id, 1)]),
        )
        .await;
    assert_eq!(r2.order.status, OrderStatus::Returned);
    assert_eq!(r2.order.refunded_cents, r2.order.items_cents);
    // The refunds reach the provider through the outbox: once each, by the return's key.
    let intent = order.payment.as_ref().unwrap().provider_id.clone();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let refunds = loop {
        let refunds = crate::payment_server::refunds(&intent).await;
        let done = shopper.list_returns(order.id).await.unwrap();
        if refunds.len() >= 2 && done.iter().all(|r| r.refunded_at.is_some()) {
            break refunds;
        }
        assert!(std::time::Instant::now() < deadline, "refunds: {refunds:?}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    let mut amounts: Vec<i64> = refunds
        .iter()
        .map(|r| r["amount"].as_i64().unwrap())
        .collect();
    amounts.sort_unstable();
    assert_eq!(amounts, vec![2000, 2000]);
    let settled = shopper.get_order(order.id).await.unwrap();
    assert_eq!(settled.payment.as_ref().unwrap().refunded_cents, 4000);
    assert_eq!(app.api.get_book(a.id).await.unwrap().stock, 10);
    assert_eq!(app.api.get_book(b.id).await.unwrap().stock, 10);
    let returns = shopper.list_returns(order.id).await.unwrap();
    assert_eq!(
        returns.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![r1.return_.id, r2.return_.id]
    );

    // Only the owner can return.
    let stranger = app.customer().await;
    assert_eq!(
        code_of(
            stranger
                .create_return(order.id, &return_of(vec![line(a.id, 1)]))
                .await
        ),
        (404, ProblemCode::NotFound)
    );
}

#[tokio::test]
async fn racing_returns_never_exceed_the_purchase() {
    let app = TestApp::spawn().await;
    let book = app.book("Race", 10).await;
    let shopper = app.customer().await;
    let order = buy(&shopper, book.id, 5).await;
    app.deliver(order.id).await;
    let one = return_of(vec![line(book.id, 1)]);
    let results = join_all((0..12).map(|_| shopper.create_return(order.id, &one))).await;
    let mut ok = 0;
    for r in results {
        match r {
            Ok(_) => ok += 1,
            Err(e) => assert_eq!(e.code(), Some(ProblemCode::ReturnExceedsPurchase), "{e}"),
        }
    }
    assert_eq!(ok, 5);
    let after = shopper.get_order(order.id).await.unwrap();
    assert_eq!(after.status, OrderStatus::Delivered);
    assert_eq!(
        (
            after.lines[0].return_requested_quantity,
            after.lines[0].returned_quantity
        ),
        (5, 0)
    );
    assert_eq!(app.api.get_book(book.id).await.unwrap().stock, 5);
    let returns = shopper.list_returns(order.id).await.unwrap();
    assert_eq!(returns.len(), 5);
    // The shop receives them all at once, each twice: each is received once.
    let receipts = join_all(
        returns
            .iter()
            .chain(returns.iter())
            .map(|r| app.admin.admin_receive_return(order.id, r.id)),
    )
    .await;
    let received = receipts.iter().filter(|r| r.is_ok()).count();
    assert_eq!(received, 5, "{receipts:?}");
    for r in receipts.into_iter().filter(Result::is_err) {
        assert_eq!(code_of(r), (409, ProblemCode::InvalidTransition));
    }
    let after = shopper.get_order(order.id).await.unwrap();
    assert_eq!(after.status, OrderStatus::Returned);
    assert_eq!(after.lines[0].returned_quantity, 5);
    assert_eq!(after.refunded_cents, 5000);
    assert_eq!(app.api.get_book(book.id).await.unwrap().stock, 10);
}

#[tokio::test]
async fn returning_a_deleted_book_keeps_the_order_consistent() {
    let app = TestApp::spawn().await;
    let book = app.book("Soon gone", 4).await;
    let shopper = app.customer().await;
    let order = buy(&shopper, book.id, 2).await;
    app.deliver(order.id).await;
    app.admin.admin_delete_book(book.id, None).await.unwrap();
    let kept = shopper.get_order(order.id).await.unwrap();
    assert_eq!(kept.lines[0].title.as_str(), "Soon gone");
    let receipt = app
        .return_received(&shopper, order.id, &return_of(vec![line(book.id, 2)]))
        .await;
    assert_eq!(receipt.order.status, OrderStatus::Returned);
    assert_eq!(
        code_of(app.api.get_book(book.id).await),
        (404, ProblemCode::NotFound)
    );
}

/// A return whose answer was lost is sent again with the same key: one return, one refund.
#[tokio::test]
async fn a_retried_return_is_made_and_refunded_once() {
    let app = TestApp::spawn().await;
    let book = app.book("Returned once", 10).await;
    let shopper = app.customer().await;
    let order = buy(&shopper, book.id, 3).await;
    app.deliver(order.id).await;
    let one = return_of(vec![line(book.id, 1)]);
    let first = shopper
        .create_return_with_key(order.id, &one, Some("ret-1"))
        .await
        .unwrap();
    assert_eq!(first.status, 201);
    let again = shopper
        .create_return_with_key(order.id, &one, Some("ret-1"))
        .await
        .unwrap();
    assert_eq!(again.status, 200);
    assert_eq!(again.value.return_.id, first.value.return_.id);
    assert_eq!(again.value.order.lines[0].return_requested_quantity, 1);
    assert_eq!(shopper.list_returns(order.id).await.unwrap().len(), 1);
    // Requests move no stock: receiving does.
    assert_eq!(app.api.get_book(book.id).await.unwrap().stock, 7);

    // The key with another return is refused, and nothing moves.
    let two = return_of(vec![line(book.id, 2)]);
    let reused = shopper
        .create_return_with_key(order.id, &two, Some("ret-1"))
        .await;
    assert_eq!(code_of(reused), (422, ProblemCode::IdempotencyKeyReused));
    assert_eq!(
        shopper.get_order(order.id).await.unwrap().lines[0].return_requested_quantity,
        1
    );

    // Concurrent sends of the return of the last two copies: made once, and every send is
    // answered with it (not with 409: nothing is left to return once the first went through).
    let sends =
        join_all((0..8).map(|_| shopper.create_return_with_key(order.id, &two, Some("ret-2"))))
            .await;
    let sends: Vec<_> = sends.into_iter().map(|r| r.expect("answered")).collect();
    assert_eq!(sends.iter().filter(|r| r.status == 201).count(), 1);
    assert!(
        sends
            .iter()
            .all(|r| r.value.return_.id == sends[0].value.return_.id)
    );
    let now = shopper.get_order(order.id).await.unwrap();
    assert_eq!(now.lines[0].return_requested_quantity, 3);
    assert_eq!(shopper.list_returns(order.id).await.unwrap().len(), 2);
    assert_eq!(app.api.get_book(book.id).await.unwrap().stock, 7);

    // A key of an order and of a return are separate: the order's key does not answer a
    // return, and another customer's key is theirs.
    let placed = shopper
        .place_order(&order_of(vec![line(book.id, 1)]), Some("shared-key"))
        .await
        .unwrap()
        .value;
    app.deliver(placed.id).await;
    let ret = shopper
        .create_return_with_key(placed.id, &one, Some("shared-key"))
        .await
        .unwrap();
    assert_eq!(ret.status, 201);
    // A key used for a return of another order is refused.
    let elsewhere = shopper
        .create_return_with_key(order.id, &one, Some("shared-key"))
        .await;
    assert_eq!(code_of(elsewhere), (422, ProblemCode::IdempotencyKeyReused));
}

/// A return DynamoDB applied but whose answer was held past the SDK's timeouts is read back
/// and answered as made (201), not "retry": a retry would refund twice.
#[tokio::test]
async fn a_return_whose_answer_is_lost_is_read_back_and_answered_as_made() {
    use crate::slow_proxy::Hold;
    let delay = std::time::Duration::from_secs(5);
    let (app, proxy) = spawn_behind_slow_proxy("TransactWriteItems", delay).await;
    let book = app.book("Slow Return", 5).await;
    let shopper = app.customer().await;
    let order = buy(&shopper, book.id, 3).await;
    app.deliver(order.id).await;
    proxy.hold(Hold::Answers);
    let made = shopper
        .create_return_with_key(order.id, &return_of(vec![line(book.id, 1)]), None)
        .await;
    proxy.hold(Hold::Nothing);
    let made = made.expect("the return it made");
    assert_eq!(made.status, 201);
    tokio::time::sleep(delay).await;
    assert_eq!(
        shopper.list_returns(order.id).await.unwrap(),
        vec![made.value.return_]
    );
    assert_eq!(app.api.get_book(book.id).await.unwrap().stock, 2);
}

/// Every return of an order is listed, however many: the listing pages through the store past
/// its first 1,000 (it used to stop there, silently).
#[tokio::test]
async fn every_return_of_an_order_is_listed_past_the_first_thousand() {
    let app = TestApp::spawn().await;
    let a = app.book("Many Returns A", 1000).await;
    let b = app.book("Many Returns B", 1).await;
    let shopper = app.customer().await;
    let order = shopper
        .place_order(&order_of(vec![line(a.id, 1000), line(b.id, 1)]), None)
        .await
        .unwrap()
        .value;
    app.deliver(order.id).await;
    for _ in 0..1000 {
        shopper
            .create_return(order.id, &return_of(vec![line(a.id, 1)]))
            .await
            .unwrap();
    }
    let last = shopper
        .create_return(order.id, &return_of(vec![line(b.id, 1)]))
        .await
        .unwrap();
    let returns = shopper.list_returns(order.id).await.unwrap();
    assert_eq!(returns.len(), 1001);
    assert_eq!(returns.last(), Some(&last.return_), "oldest first");
}
