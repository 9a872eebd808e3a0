//! A write acknowledged to a client survives `kill -9` of the server process.
use crate::helpers::*;
use bookstore_model::*;
use std::time::Duration;

#[tokio::test]
async fn acknowledged_orders_survive_kill_9() {
    let data = tempfile::tempdir().unwrap();
    let dynamo = test_dynamo().await;
    let mut server = start_server(data.path(), dynamo.as_ref()).await;
    let admin = server.admin().await;
    let book = admin
        .admin_create_book(&new_book("Durable", "A", "fiction", 1000, 100))
        .await
        .unwrap();
    let shopper = server.shopper("durable@example.com").await;
    let mut acknowledged = Vec::new();
    // Concurrent orders, so that several share one group commit.
    let placed = futures::future::join_all((0..30).map(|i| {
        let s = shopper.clone();
        async move {
            s.place_order(&order_of(vec![line(book.id, 1 + i % 2)]), None)
                .await
        }
    }))
    .await;
    for p in placed {
        acknowledged.push(p.expect("order").value);
    }
    let ship = ShipOrder {
        carrier: "DHL".into(),
        tracking_number: "KILL 9".into(),
    };
    admin
        .admin_ship_order(acknowledged[0].id, &ship)
        .await
        .unwrap();
    admin.admin_deliver_order(acknowledged[0].id).await.unwrap();
    let asked = shopper
        .create_return(acknowledged[0].id, &return_of(vec![line(book.id, 1)]))
        .await
        .unwrap();
    let returned = admin
        .admin_receive_return(acknowledged[0].id, asked.return_.id)
        .await
        .unwrap();

    server.child.kill().expect("SIGKILL");
    server.child.wait().unwrap();

    let server = start_server(data.path(), dynamo.as_ref()).await;
    let shopper = server.shopper_again("durable@example.com").await;
    let mut units = 0;
    for order in &acknowledged {
        let stored = shopper
            .get_order(order.id)
            .await
            .expect("acknowledged order survived");
        assert_eq!(stored.lines[0].quantity, order.lines[0].quantity);
        units += order.lines[0].quantity;
    }
    // The return survived too (its refund, done by the outbox, may have landed since).
    let kept = shopper.get_order(acknowledged[0].id).await.unwrap();
    assert_eq!(
        (kept.status, kept.lines.clone(), kept.refunded_cents),
        (
            returned.order.status,
            returned.order.lines.clone(),
            returned.order.refunded_cents
        )
    );
    let after = server.client.get_book(book.id).await.unwrap();
    assert_eq!(after.stock, 100 - i64::from(units) + 1);
}

/// kill -9 of the instance that holds an event's lease, mid-delivery, loses no event: another
/// instance delivers it once the lease has run out, under the same `webhook-id`.
#[tokio::test]
async fn an_event_whose_deliverer_is_killed_mid_delivery_is_delivered_by_another() {
    use crate::receiver::{Answer, Receiver};
    let data = tempfile::tempdir().unwrap();
    let dynamo = test_dynamo().await;
    // Attempts of up to 3 s (a lease outlasts the longest job: payment calls too), leases of
    // 9 s: the kill lands while the attempt is open.
    let env = [
        ("BOOKSTORE__WEBHOOKS__ALLOW_PRIVATE_TARGETS", "true"),
        ("BOOKSTORE__WEBHOOKS__TIMEOUT_MS", "3000"),
        ("BOOKSTORE__PAYMENTS__TIMEOUT_MS", "3000"),
        ("BOOKSTORE__WEBHOOKS__LEASE_SECS", "9"),
        ("BOOKSTORE__WEBHOOKS__POLL_MS", "200"),
    ];
    let mut first = start_server_with(data.path(), dynamo.as_ref(), &env).await;
    let admin = first.admin().await;
    let rx = Receiver::start(Answer::Hold(Duration::from_secs(60))).await;
    admin
        .create_webhook(&WebhookRequest {
            url: WebhookUrl::parse(&rx.url).unwrap(),
            event_types: vec![EventType::BookCreated],
            enabled: true,
        })
        .await
        .unwrap();
    admin
        .admin_create_book(&new_book("Killed mid-delivery", "A", "fiction", 100, 1))
        .await
        .unwrap();
    let held = rx.wait_for(1, 10).await;
    first.child.kill().expect("SIGKILL");
    first.child.wait().unwrap();
    let killed_at = std::time::Instant::now();

    rx.answer(Answer::Status(200));
    let _second = start_server_with(data.path(), dynamo.as_ref(), &env).await;
    let got = rx.wait_for(2, 30).await;
    assert_eq!(got[1].id, held[0].id, "the same event, the same webhook-id");
    assert_eq!(got[1].body, held[0].body);
    // Not before the dead instance's lease ran out (claimed just before the first attempt).
    assert!(
        got[1].at - held[0].at >= Duration::from_secs(8),
        "{:?}",
        got[1].at - held[0].at
    );
    assert!(killed_at.elapsed() < Duration::from_secs(30));
}

/// kill -9 between the reservation and the card's authorization: after the restart no copy is
/// lost and no money is held without an order. `hold` says where the instance died: before
/// its confirmation reached the provider (the reservation expires: copies back, the intent
/// cancelled), or after the provider authorized but before the answer came back (the order is
/// paid after all, the copies stay sold).
async fn kill_9_mid_checkout(hold: crate::slow_proxy::Hold) -> (Order, serde_json::Value, i64) {
    use crate::slow_proxy::SlowProxy;
    let data = tempfile::tempdir().unwrap();
    let dynamo = test_dynamo().await;
    let provider = crate::payment_server::url();
    let proxy = SlowProxy::start_matching(
        provider,
        b"/confirm HTTP/1.1".to_vec(),
        Duration::from_secs(120),
    )
    .await;
    proxy.hold(hold);
    let env = [
        ("BOOKSTORE__PAYMENTS__PAYMENT_TIMEOUT_SECS", "3"),
        ("BOOKSTORE__WEBHOOKS__POLL_MS", "300"),
    ];
    let mut via_proxy = env.to_vec();
    via_proxy.push(("BOOKSTORE__PAYMENTS__API_URL", proxy.endpoint.as_str()));
    let mut server = start_server_with(data.path(), dynamo.as_ref(), &via_proxy).await;
    let admin = server.admin().await;
    let book = admin
        .admin_create_book(&new_book("Mid-checkout", "A", "fiction", 1000, 10))
        .await
        .unwrap();
    let shopper = server.shopper("midway@example.com").await;
    let buying = {
        let s = shopper.clone();
        tokio::spawn(async move { s.place_order(&order_of(vec![line(book.id, 3)]), None).await })
    };
    // The reservation is written; the authorization is in flight.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let order = loop {
        let mine = shopper.list_orders(&PageQuery::default()).await.unwrap();
        if let Some(o) = mine.items.into_iter().next() {
            break o;
        }
        assert!(std::time::Instant::now() < deadline, "no reservation");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(order.status, OrderStatus::PendingPayment);
    // The confirmation has left the instance: held there, or forwarded with its answer held.
    // (The reservation is visible a moment before; a kill in between is the other case.)
    proxy.wait_seen(1, Duration::from_secs(10)).await;
    server.child.kill().expect("SIGKILL");
    server.child.wait().unwrap();
    buying.abort();

    let server = start_server_with(data.path(), dynamo.as_ref(), &env).await;
    let shopper = server.shopper_again("midway@example.com").await;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let settled = loop {
        let now = shopper.get_order(order.id).await.unwrap();
        if now.status != OrderStatus::PendingPayment {
            break now;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never settled: {now:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let intent_id = settled.payment.as_ref().unwrap().provider_id.clone();
    let intent = crate::payment_server::intent(&intent_id).await;
    let stock = server.client.get_book(book.id).await.unwrap().stock;
    (settled, intent, stock)
}

#[tokio::test]
async fn kill_9_before_the_authorization_reached_the_provider_loses_no_copy() {
    let (order, intent, stock) = kill_9_mid_checkout(crate::slow_proxy::Hold::Calls).await;
    assert_eq!(order.status, OrderStatus::Cancelled, "{order:?}");
    assert_eq!(
        order.payment.as_ref().unwrap().status,
        PaymentStatus::Voided
    );
    assert_eq!(intent["status"], "canceled", "nothing can be taken later");
    assert_eq!(stock, 10, "the copies came back, once");
}

#[tokio::test]
async fn kill_9_after_the_provider_authorized_keeps_the_paid_order() {
    let (order, intent, stock) = kill_9_mid_checkout(crate::slow_proxy::Hold::Answers).await;
    assert_eq!(order.status, OrderStatus::Paid, "{order:?}");
    assert_eq!(intent["status"], "requires_capture");
    assert_eq!(stock, 7, "the copies stay sold");
}

/// kill -9 between the refund's request to the provider and its record on the order: the
/// provider made the refund, the instance died before it heard so. After the restart the job
/// runs again, finds the refund by the return's key and records it: one refund, the copies back
/// once.
#[tokio::test]
async fn kill_9_between_a_refund_and_its_record_refunds_once() {
    use crate::slow_proxy::{Hold, SlowProxy};
    let data = tempfile::tempdir().unwrap();
    let dynamo = test_dynamo().await;
    let proxy = SlowProxy::start_matching(
        crate::payment_server::url(),
        b"POST /v1/refunds HTTP/1.1".to_vec(),
        Duration::from_secs(120),
    )
    .await;
    // Provider calls of up to 3 s, leases of 9 s: the kill lands while the call is open, and
    // the job's lease runs out soon after the restart.
    let env = [
        ("BOOKSTORE__WEBHOOKS__POLL_MS", "300"),
        ("BOOKSTORE__WEBHOOKS__LEASE_SECS", "9"),
        ("BOOKSTORE__WEBHOOKS__TIMEOUT_MS", "3000"),
        ("BOOKSTORE__PAYMENTS__TIMEOUT_MS", "3000"),
    ];
    let mut via_proxy = env.to_vec();
    via_proxy.push(("BOOKSTORE__PAYMENTS__API_URL", proxy.endpoint.as_str()));
    let mut server = start_server_with(data.path(), dynamo.as_ref(), &via_proxy).await;
    let admin = server.admin().await;
    let book = admin
        .admin_create_book(&new_book("Sent back", "A", "fiction", 1000, 10))
        .await
        .unwrap();
    let shopper = server.shopper("sendback@example.com").await;
    let order = buy(&shopper, book.id, 3).await;
    assert_eq!(order.status, OrderStatus::Paid);
    admin.admin_ship_order(order.id, &ship_req()).await.unwrap();
    admin.admin_deliver_order(order.id).await.unwrap();
    let asked = shopper
        .create_return(order.id, &return_of(vec![line(book.id, 2)]))
        .await
        .unwrap()
        .return_;
    let intent_id = order.payment.as_ref().unwrap().provider_id.clone();
    proxy.hold(Hold::Answers);
    admin
        .admin_receive_return(order.id, asked.id)
        .await
        .unwrap();
    // The refund reached the provider; its answer is held back.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while crate::payment_server::refunds(&intent_id).await.is_empty() {
        assert!(std::time::Instant::now() < deadline, "no refund requested");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let before = admin.admin_order_returns(order.id).await.unwrap();
    assert!(before[0].refunded_at.is_none(), "recorded too soon");
    server.child.kill().expect("SIGKILL");
    server.child.wait().unwrap();

    let server = start_server_with(data.path(), dynamo.as_ref(), &env).await;
    let admin = server.admin().await;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let ret = loop {
        let now = admin.admin_order_returns(order.id).await.unwrap();
        if now[0].refunded_at.is_some() {
            break now[0].clone();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never recorded: {now:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(ret.status, ReturnStatus::Received);
    let refunds = crate::payment_server::refunds(&intent_id).await;
    assert_eq!(refunds.len(), 1, "one refund: {refunds:?}");
    assert_eq!(refunds[0]["amount"], 2000);
    let after = admin.admin_get_order(order.id).await.unwrap();
    assert_eq!(after.status, OrderStatus::PartiallyReturned);
    assert_eq!(after.payment.as_ref().unwrap().refunded_cents, 2000);
    let stock = server.client.get_book(book.id).await.unwrap().stock;
    assert_eq!(stock, 9, "two copies back, once");
}
