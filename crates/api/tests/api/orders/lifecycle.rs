//! An order's life against the payment provider (localstripe): paid, declined, 3-D Secure,
//! cancelled, shipped, delivered, expired; every refused transition; racing transitions.
use crate::helpers::*;
use crate::payment_server::{self, CARD_DECLINED};
use bookstore_model::*;
use futures::future::join;
use std::time::{Duration, Instant};

/// A Stripe test card that asks for 3-D Secure.
const CARD_3DS: &str = "4000002500003155";

fn intent_of(order: &Order) -> String {
    order
        .payment
        .as_ref()
        .expect("a payment")
        .provider_id
        .clone()
}

/// Waits until the order (read by `read`) satisfies `done`.
async fn until<F, Fut>(what: &str, mut read: F, done: impl Fn(&Order) -> bool) -> Order
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Order>,
{
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let order = read().await;
        if done(&order) {
            return order;
        }
        assert!(Instant::now() < deadline, "{what}: still {order:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_paid_order_is_shipped_and_delivered_with_its_money_taken_at_shipping() {
    let app = TestApp::spawn().await;
    let book = app.book("Doorstep", 5).await;
    let shopper = app.customer().await;
    let order = buy(&shopper, book.id, 2).await;
    assert_eq!(order.status, OrderStatus::Paid);
    let payment = order.payment.clone().unwrap();
    assert_eq!(payment.status, PaymentStatus::Authorized);
    assert_eq!(payment.amount_cents, order.total_cents);
    let intent = payment_server::intent(&payment.provider_id).await;
    assert_eq!(intent["status"], "requires_capture", "held, not taken");
    assert_eq!(intent["amount"], order.total_cents);
    assert_eq!(intent["currency"], "eur");
    assert_eq!(intent["metadata"]["order_id"], order.id.to_string());
    assert_eq!(
        order
            .timeline
            .iter()
            .map(|t| (t.status, t.by))
            .collect::<Vec<_>>(),
        vec![
            (OrderStatus::PendingPayment, TimelineActor::Customer),
            (OrderStatus::Paid, TimelineActor::System)
        ]
    );
    let shipping = order.shipping.clone().unwrap();
    assert_eq!(shipping.address.city, "Berlin");
    assert_eq!(shipping.option_id, "standard");
    assert_eq!(app.api.get_book(book.id).await.unwrap().stock, 3);

    // The fulfilment queue: paid and not shipped, oldest first.
    let queue = app
        .admin
        .admin_list_orders(&OrderQuery {
            status: Some(OrderStatus::Paid),
            oldest_first: Some(true),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        queue.items.iter().map(|o| o.id).collect::<Vec<_>>(),
        vec![order.id]
    );

    let shipped = app
        .admin
        .admin_ship_order(order.id, &ship_req())
        .await
        .unwrap();
    assert_eq!(shipped.status, OrderStatus::Shipped);
    assert_eq!(
        shipped.payment.as_ref().unwrap().status,
        PaymentStatus::Captured
    );
    assert_eq!(
        shipped
            .shipping
            .as_ref()
            .unwrap()
            .tracking_number
            .as_deref(),
        Some("JD014600006281")
    );
    let intent = payment_server::intent(&payment.provider_id).await;
    assert_eq!(intent["status"], "succeeded", "taken when shipped");

    let delivered = app.admin.admin_deliver_order(order.id).await.unwrap();
    assert_eq!(delivered.status, OrderStatus::Delivered);
    assert_eq!(
        delivered
            .timeline
            .iter()
            .map(|t| t.status)
            .collect::<Vec<_>>(),
        vec![
            OrderStatus::PendingPayment,
            OrderStatus::Paid,
            OrderStatus::Shipped,
            OrderStatus::Delivered
        ]
    );
    assert_eq!(shopper.get_order(order.id).await.unwrap(), delivered);
    assert_eq!(
        app.admin.admin_get_order(order.id).await.unwrap(),
        delivered
    );
}

#[tokio::test]
async fn a_declined_card_is_402_and_the_copies_go_back_at_once() {
    let app = TestApp::spawn().await;
    let book = app.book("Declined", 3).await;
    let shopper = app.customer().await;
    let err = shopper
        .place_order(&paid_with(vec![line(book.id, 3)], CARD_DECLINED), None)
        .await
        .unwrap_err();
    let p = err.problem().unwrap();
    assert_eq!(
        (p.status, p.code),
        (402, ProblemCode::PaymentDeclined),
        "{p}"
    );
    assert!(p.detail.contains("declined"), "{p}");
    assert_eq!(app.api.get_book(book.id).await.unwrap().stock, 3);
    let mine = shopper.list_orders(&PageQuery::default()).await.unwrap();
    let failed = &mine.items[0];
    assert_eq!(failed.status, OrderStatus::PaymentFailed);
    assert_eq!(
        failed.payment.as_ref().unwrap().status,
        PaymentStatus::Failed
    );
    let intent = payment_server::intent(&intent_of(failed)).await;
    assert_ne!(intent["status"], "requires_capture");
    assert_ne!(intent["status"], "succeeded");

    // The shopper tries again with a good card: the copies are there.
    let placed = shopper
        .place_order(&order_of(vec![line(book.id, 3)]), None)
        .await
        .unwrap();
    assert_eq!(placed.value.status, OrderStatus::Paid);
}

#[tokio::test]
async fn a_card_that_wants_3d_secure_is_paid_once_the_shopper_authenticates() {
    let app = TestApp::spawn().await;
    let book = app.book("Secure", 4).await;
    let shopper = app.customer().await;
    let card = payment_server::card(CARD_3DS).await;
    let err = shopper
        .place_order(&paid_with(vec![line(book.id, 1)], &card), Some("3ds-1"))
        .await
        .unwrap_err();
    let p = err.problem().unwrap().clone();
    assert_eq!(
        (p.status, p.code),
        (402, ProblemCode::PaymentRequiresAction),
        "{p}"
    );
    let secret = p.client_secret.clone().expect("a client secret");
    let location = p.location.clone().expect("the order's location");
    let id: OrderId = location.rsplit('/').next().unwrap().parse().unwrap();
    let pending = shopper.get_order(id).await.unwrap();
    assert_eq!(pending.status, OrderStatus::PendingPayment);
    assert!(pending.payment_expires_at.is_some());
    assert_eq!(
        app.api.get_book(book.id).await.unwrap().stock,
        3,
        "reserved"
    );

    // Asking again before authenticating changes nothing.
    let still = shopper.complete_payment(id).await.unwrap_err();
    assert_eq!(
        still.problem().unwrap().code,
        ProblemCode::PaymentRequiresAction
    );
    payment_server::authenticate(&intent_of(&pending), &secret, true).await;
    let paid = shopper.complete_payment(id).await.unwrap();
    assert_eq!(paid.status, OrderStatus::Paid);
    // A retry of the original request answers the same order, paid.
    let retry = shopper
        .place_order(&paid_with(vec![line(book.id, 1)], &card), Some("3ds-1"))
        .await
        .unwrap();
    assert_eq!((retry.status, retry.value.id), (200, id));
    assert_eq!(retry.value.status, OrderStatus::Paid);
    assert_eq!(app.api.get_book(book.id).await.unwrap().stock, 3);
}

#[tokio::test]
async fn cancelling_before_shipping_restocks_and_voids_the_hold() {
    let app = TestApp::spawn().await;
    let book = app.book("Second thoughts", 5).await;
    let shopper = app.customer().await;
    let order = buy(&shopper, book.id, 2).await;
    let cancelled = shopper.cancel_order(order.id).await.unwrap();
    assert_eq!(cancelled.status, OrderStatus::Cancelled);
    assert_eq!(app.api.get_book(book.id).await.unwrap().stock, 5);
    let last = cancelled.timeline.last().unwrap();
    assert_eq!(
        (last.by, last.actor_id),
        (TimelineActor::Customer, Some(order.user_id))
    );
    // The hold is released by the outbox, at once.
    let voided = until(
        "voided",
        || async { shopper.get_order(order.id).await.unwrap() },
        |o| o.payment.as_ref().unwrap().status == PaymentStatus::Voided,
    )
    .await;
    assert_eq!(voided.refunded_cents, 0);
    let intent = payment_server::intent(&intent_of(&order)).await;
    assert_eq!(intent["status"], "canceled");

    // Nothing more can happen to it; stock moves once.
    for r in [
        shopper.cancel_order(order.id).await,
        app.admin.admin_cancel_order(order.id).await,
        app.admin.admin_ship_order(order.id, &ship_req()).await,
        app.admin.admin_deliver_order(order.id).await,
    ] {
        assert_eq!(code_of(r), (409, ProblemCode::InvalidTransition));
    }
    assert_eq!(app.api.get_book(book.id).await.unwrap().stock, 5);
    // Someone else's order is not there to cancel.
    let stranger = app.customer().await;
    let other = buy(&shopper, book.id, 1).await;
    assert_eq!(
        code_of(stranger.cancel_order(other.id).await),
        (404, ProblemCode::NotFound)
    );
    // The shop can cancel it.
    let by_shop = app.admin.admin_cancel_order(other.id).await.unwrap();
    assert_eq!(by_shop.timeline.last().unwrap().by, TimelineActor::Staff);
}

#[tokio::test]
async fn every_transition_the_lifecycle_does_not_allow_is_refused() {
    let app = TestApp::spawn().await;
    let book = app.book("Strict", 10).await;
    let shopper = app.customer().await;
    let order = buy(&shopper, book.id, 1).await;
    // paid: no delivery, no return yet.
    assert_eq!(
        code_of(app.admin.admin_deliver_order(order.id).await),
        (409, ProblemCode::InvalidTransition)
    );
    assert_eq!(
        code_of(
            shopper
                .create_return(order.id, &return_of(vec![line(book.id, 1)]))
                .await
        ),
        (409, ProblemCode::InvalidTransition)
    );
    app.admin
        .admin_ship_order(order.id, &ship_req())
        .await
        .unwrap();
    // shipped: no second shipment, no cancel, no return yet.
    for r in [
        app.admin.admin_ship_order(order.id, &ship_req()).await,
        shopper.cancel_order(order.id).await,
        app.admin.admin_cancel_order(order.id).await,
    ] {
        assert_eq!(code_of(r), (409, ProblemCode::InvalidTransition));
    }
    app.admin.admin_deliver_order(order.id).await.unwrap();
    // delivered: no second delivery, no cancel; a return is fine.
    for r in [
        app.admin.admin_deliver_order(order.id).await,
        shopper.cancel_order(order.id).await,
        app.admin.admin_ship_order(order.id, &ship_req()).await,
    ] {
        assert_eq!(code_of(r), (409, ProblemCode::InvalidTransition));
    }
    shopper
        .create_return(order.id, &return_of(vec![line(book.id, 1)]))
        .await
        .unwrap();
    // A customer cannot ship or deliver.
    assert_eq!(
        code_of(shopper.admin_ship_order(order.id, &ship_req()).await).0,
        403
    );
    // A bad tracking number is refused before anything happens.
    let other = buy(&shopper, book.id, 1).await;
    let bad = ShipOrder {
        carrier: "DHL".into(),
        tracking_number: "no/slashes".into(),
    };
    assert_eq!(
        code_of(app.admin.admin_ship_order(other.id, &bad).await),
        (422, ProblemCode::ValidationFailed)
    );
    assert_eq!(
        app.admin.admin_get_order(other.id).await.unwrap().status,
        OrderStatus::Paid
    );
}

#[tokio::test]
async fn cancel_racing_ship_one_wins_and_the_money_follows() {
    let app = TestApp::spawn().await;
    let book = app.book("Contested", 40).await;
    let shopper = app.customer().await;
    let (mut shipped, mut cancelled) = (0, 0);
    for _ in 0..8 {
        let order = buy(&shopper, book.id, 1).await;
        let (s, c) = join(
            app.admin.admin_ship_order(order.id, &ship_req()),
            shopper.cancel_order(order.id),
        )
        .await;
        let intent = intent_of(&order);
        match (s, c) {
            (Ok(s), Err(c)) => {
                assert_eq!(s.status, OrderStatus::Shipped);
                assert_eq!(
                    code_of::<Order>(Err(c)),
                    (409, ProblemCode::InvalidTransition)
                );
                assert_eq!(payment_server::intent(&intent).await["status"], "succeeded");
                shipped += 1;
            }
            (Err(s), Ok(c)) => {
                assert_eq!(c.status, OrderStatus::Cancelled);
                assert_eq!(code_of::<Order>(Err(s)).0, 409);
                // The hold is voided, or the capture that raced it refunded in full.
                let settled = until(
                    "released",
                    || async { shopper.get_order(order.id).await.unwrap() },
                    |o| {
                        matches!(
                            o.payment.as_ref().unwrap().status,
                            PaymentStatus::Voided | PaymentStatus::Refunded
                        )
                    },
                )
                .await;
                let at_provider = payment_server::intent(&intent).await;
                if settled.payment.as_ref().unwrap().status == PaymentStatus::Refunded {
                    let refunds = payment_server::refunds(&intent).await;
                    assert_eq!(refunds.len(), 1);
                    assert_eq!(refunds[0]["amount"], order.total_cents);
                } else {
                    assert_eq!(at_provider["status"], "canceled");
                }
                cancelled += 1;
            }
            other => panic!("exactly one must win: {other:?}"),
        }
    }
    assert_eq!(shipped + cancelled, 8);
    assert_eq!(app.api.get_book(book.id).await.unwrap().stock, 40 - shipped);
}

#[tokio::test]
async fn an_unpaid_reservation_expires_once_though_two_instances_sweep() {
    let instances = instances_with(2, |s| {
        if let Some(p) = s.payments.as_mut() {
            p.payment_timeout_secs = 2;
        }
    })
    .await;
    let api = bookstore_client::Client::new(&instances.urls[0]);
    let admin = api.authed(api.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.unwrap().token);
    let book = admin
        .admin_create_book(&new_book("Abandoned", "A", "fiction", 1000, 5))
        .await
        .unwrap();
    let reg = RegisterRequest {
        email: Email::parse("abandons@example.com").unwrap(),
        password: Password::parse("a long enough password").unwrap(),
        name: PersonName::parse("Abandoner").unwrap(),
    };
    let shopper = api.authed(api.register(&reg).await.unwrap().token);
    let card = payment_server::card(CARD_3DS).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let err = shopper
            .place_order(&paid_with(vec![line(book.id, 1)], &card), None)
            .await
            .unwrap_err();
        let p = err.problem().unwrap();
        assert_eq!(p.code, ProblemCode::PaymentRequiresAction);
        let id: OrderId = p
            .location
            .clone()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        ids.push(id);
    }
    assert_eq!(api.get_book(book.id).await.unwrap().stock, 2);
    for id in &ids {
        let expired = until(
            "expired",
            || async { shopper.get_order(*id).await.unwrap() },
            |o| o.status == OrderStatus::Cancelled,
        )
        .await;
        assert_eq!(
            expired.payment.as_ref().unwrap().status,
            PaymentStatus::Voided
        );
        let last = expired.timeline.last().unwrap();
        assert_eq!(last.by, TimelineActor::System);
        let intent = payment_server::intent(&intent_of(&expired)).await;
        assert_eq!(
            intent["status"], "canceled",
            "a late 3-D Secure step cannot pay it"
        );
    }
    // Back exactly once each, though both instances swept.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(api.get_book(book.id).await.unwrap().stock, 5);
}

#[tokio::test]
async fn returns_are_refused_after_the_return_window() {
    let app = TestApp::spawn_with(|s| s.return_window_days = 0).await;
    let book = app.book("Too late", 3).await;
    let shopper = app.customer().await;
    let order = buy(&shopper, book.id, 1).await;
    app.deliver(order.id).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(
        code_of(
            shopper
                .create_return(order.id, &return_of(vec![line(book.id, 1)]))
                .await
        ),
        (422, ProblemCode::ReturnWindowClosed)
    );
}

/// A refund job that dies after the provider refunded but before it recorded that is done again
/// by another dispatcher: the provider must not pay back twice. The shop looks for a refund
/// with the job's key before making one (localstripe, like Stripe after a day, does not
/// remember idempotency keys), so the second run finds the first refund.
#[tokio::test]
async fn a_refund_retried_after_a_crash_is_made_once() {
    use bookstore_domain::{Payments, PaymentsConfig};
    let url = crate::payment_server::url();
    let payments = Payments::new(PaymentsConfig {
        api_url: url.to_owned(),
        secret_key: crate::payment_server::SECRET_KEY.into(),
        publishable_key: crate::payment_server::PUBLISHABLE_KEY.into(),
        js_url: String::new(),
        timeout: Duration::from_secs(10),
        payment_timeout: Duration::from_secs(900),
    })
    .unwrap();
    let order = OrderId::new().to_string();
    let intent = payments
        .create_intent(&order, 2500, "EUR", crate::payment_server::CARD_OK)
        .await
        .unwrap();
    assert!(payments.confirm(&intent.id).await.unwrap().authorized());
    payments.capture(&intent.id).await.unwrap();
    let key = format!("return-{}", ReturnId::new());
    payments.refund(&intent.id, 1000, &key).await.unwrap();
    payments.refund(&intent.id, 1000, &key).await.unwrap();
    let refunds = payment_server::refunds(&intent.id).await;
    assert_eq!(refunds.len(), 1, "{refunds:?}");
    // Another key is another refund.
    payments
        .refund(&intent.id, 500, &format!("return-{}", ReturnId::new()))
        .await
        .unwrap();
    assert_eq!(payment_server::refunds(&intent.id).await.len(), 2);
}
