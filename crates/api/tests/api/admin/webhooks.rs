//! `/api/v1/admin/webhooks`: endpoints, signed deliveries through the outbox, retries, the
//! delivery log, replay and the SSRF guard, against a real HTTP receiver.
use crate::helpers::*;
use crate::receiver::{Answer, Receiver};
use bookstore_client::Client;
use bookstore_model::*;
use std::time::Duration;

fn subscription(url: &str, types: &[EventType]) -> WebhookRequest {
    WebhookRequest {
        url: WebhookUrl::parse(url).unwrap(),
        event_types: types.to_vec(),
        enabled: true,
    }
}

/// Waits until the delivery log of `hook` shows `event` in `status`.
async fn wait_for_status(
    admin: &Client,
    hook: WebhookId,
    event: &str,
    status: DeliveryStatus,
    secs: u64,
) -> Delivery {
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let page = admin
            .webhook_deliveries(hook, &DeliveryQuery::default())
            .await
            .unwrap();
        if let Some(d) = page
            .items
            .iter()
            .find(|d| d.event_id.to_string() == event && d.status == status)
        {
            return d.clone();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "delivery {event} not {status:?} within {secs} s: {:?}",
            page.items
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn each_event_reaches_each_subscribed_endpoint_signed() {
    let app = TestApp::spawn().await;
    let (orders_rx, books_rx) = (
        Receiver::start(Answer::Status(200)).await,
        Receiver::start(Answer::Status(204)).await,
    );
    let orders_hook = app
        .admin
        .create_webhook(&subscription(&orders_rx.url, &[EventType::OrderPlaced]))
        .await
        .unwrap();
    let books_hook = app
        .admin
        .create_webhook(&subscription(
            &books_rx.url,
            &[EventType::BookCreated, EventType::OrderPlaced],
        ))
        .await
        .unwrap();
    assert!(orders_hook.secret.starts_with("whsec_"));
    assert_ne!(orders_hook.secret, books_hook.secret);

    let book = app.book("Webhooked", 10).await;
    let shopper = app.customer().await;
    let order = buy(&shopper, book.id, 2).await;

    let got = orders_rx.wait_for(1, 10).await;
    assert_eq!(got[0].event_type(), "order.placed");
    let body = got[0].json();
    assert_eq!(body["data"]["id"], order.id.to_string());
    assert_eq!(body["data"]["lines"][0]["quantity"], 2);
    assert_eq!(body["id"].as_str().unwrap(), got[0].id);
    assert!(got[0].signed_by(&orders_hook.secret));
    assert!(!got[0].signed_by(&books_hook.secret));
    let sent_at: i64 = got[0].timestamp.parse().unwrap();
    assert!((chrono::Utc::now().timestamp() - sent_at).abs() < 60);

    let got = books_rx.wait_for(2, 10).await;
    let mut types: Vec<String> = got.iter().map(|r| r.event_type()).collect();
    types.sort();
    assert_eq!(types, ["book.created", "order.placed"]);
    assert!(got.iter().all(|r| r.signed_by(&books_hook.secret)));
    // The same event reaches both endpoints under the same id.
    let placed = got
        .iter()
        .find(|r| r.event_type() == "order.placed")
        .unwrap();
    assert_eq!(placed.id, orders_rx.received()[0].id);

    // Not subscribed: nothing. A stock change is a `book.updated`, which nobody asked for.
    app.admin
        .admin_adjust_stock(
            book.id,
            &StockAdjustment {
                delta: 5,
                reason: None,
            },
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(orders_rx.received().len(), 1);
    assert_eq!(books_rx.received().len(), 2);

    let d = wait_for_status(
        &app.admin,
        orders_hook.webhook.id,
        &orders_rx.received()[0].id,
        DeliveryStatus::Succeeded,
        5,
    )
    .await;
    assert_eq!((d.attempts, d.last_status_code), (1, Some(200)));
    assert_eq!(d.event_type, EventType::OrderPlaced);
    let hook = app.admin.get_webhook(orders_hook.webhook.id).await.unwrap();
    assert!(hook.last_success_at.is_some());
}

#[tokio::test]
async fn returns_refunds_and_book_changes_are_events_too() {
    let app = TestApp::spawn().await;
    let rx = Receiver::start(Answer::Status(200)).await;
    app.admin
        .create_webhook(&subscription(&rx.url, EventType::WEBHOOK))
        .await
        .unwrap();
    let book = app.book("Evented", 5).await;
    let shopper = app.customer().await;
    let order = buy(&shopper, book.id, 2).await;
    app.deliver(order.id).await;
    let requested = shopper
        .create_return(order.id, &return_of(vec![line(book.id, 1)]))
        .await
        .unwrap();
    app.admin
        .admin_receive_return(order.id, requested.return_.id)
        .await
        .unwrap();
    let updated = app
        .admin
        .admin_update_book(
            book.id,
            book.version,
            &new_details("Evented, revised", "A", "fiction", 1200),
        )
        .await
        .unwrap();
    app.admin
        .admin_delete_book(book.id, Some(updated.version))
        .await
        .unwrap();
    let got = rx.wait_for(10, 10).await;
    let mut types: Vec<String> = got.iter().map(|r| r.event_type()).collect();
    types.sort();
    assert_eq!(
        types,
        [
            "book.created",
            "book.deleted",
            "book.updated",
            "order.delivered",
            "order.paid",
            "order.placed",
            "order.shipped",
            "refund.issued",
            "return.received",
            "return.requested"
        ]
    );
    let refund = got
        .iter()
        .find(|r| r.event_type() == "refund.issued")
        .unwrap()
        .json();
    assert_eq!(refund["data"]["amount_cents"], 1000);
    assert_eq!(refund["data"]["order_id"], order.id.to_string());
    let renamed = got
        .iter()
        .find(|r| r.event_type() == "book.updated")
        .unwrap()
        .json();
    assert_eq!(renamed["data"]["title"], "Evented, revised");
    // Event ids are unique.
    let mut ids: Vec<&str> = got.iter().map(|r| r.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 10);
}

#[tokio::test]
async fn a_failing_endpoint_is_retried_with_growing_delays_then_disabled() {
    let app = TestApp::spawn_with(|s| {
        s.webhooks.first_backoff_ms = 100;
        s.webhooks.retry_period_secs = 4;
        s.webhooks.poll_ms = 200;
    })
    .await;
    let rx = Receiver::start(Answer::Status(500)).await;
    let hook = app
        .admin
        .create_webhook(&subscription(&rx.url, &[EventType::BookCreated]))
        .await
        .unwrap();
    app.book("Undeliverable", 1).await;
    let event = rx.wait_for(1, 10).await[0].id.clone();
    let failed = wait_for_status(
        &app.admin,
        hook.webhook.id,
        &event,
        DeliveryStatus::Failed,
        15,
    )
    .await;
    let got = rx.received();
    // At least 0.1 + 0.2 + 0.4 s of delays fit in the period, however slow the store.
    assert!(got.len() >= 3, "{} attempts", got.len());
    assert!(got.iter().all(|r| r.id == event), "retries keep the id");
    assert_eq!(failed.attempts as usize, got.len());
    assert_eq!(failed.last_status_code, Some(500));
    assert!(failed.next_attempt_at.is_none());
    // Each delay is at least half of 100 ms doubled per attempt (the jitter's floor): the n-th
    // gap is at least 50 ms << n, however slow the store makes each attempt.
    let gaps: Vec<Duration> = got.windows(2).map(|w| w[1].at - w[0].at).collect();
    for (n, gap) in gaps.iter().enumerate() {
        let floor = Duration::from_millis(50 << n);
        assert!(
            *gap >= floor,
            "gap {n} was {gap:?}, below {floor:?}: {gaps:?}"
        );
    }

    // Nothing got through for the whole retry period: the endpoint is disabled (just after the
    // delivery's last state is written), and says why.
    let mut disabled = app.admin.get_webhook(hook.webhook.id).await.unwrap();
    for _ in 0..100 {
        if !disabled.enabled {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        disabled = app.admin.get_webhook(hook.webhook.id).await.unwrap();
    }
    assert!(!disabled.enabled);
    assert!(
        disabled
            .disabled_reason
            .as_deref()
            .unwrap()
            .contains("retry period"),
        "{disabled:?}"
    );
    let before = rx.received().len();
    app.book("Not delivered while disabled", 1).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(rx.received().len(), before);

    // Re-enabled and repaired: a replay of the failed delivery gets through, same id.
    rx.answer(Answer::Status(200));
    let mut req = subscription(&rx.url, &[EventType::BookCreated]);
    req.enabled = true;
    let enabled = app
        .admin
        .update_webhook(hook.webhook.id, &req)
        .await
        .unwrap();
    assert!(enabled.enabled && enabled.disabled_reason.is_none());
    let event_id: EventId = event.parse().unwrap();
    let replay = app
        .admin
        .retry_webhook_delivery(hook.webhook.id, event_id)
        .await
        .unwrap();
    assert_eq!(replay.status, DeliveryStatus::Pending);
    let done = wait_for_status(
        &app.admin,
        hook.webhook.id,
        &event,
        DeliveryStatus::Succeeded,
        10,
    )
    .await;
    assert_eq!(done.last_status_code, Some(200));
    assert_eq!(rx.received().last().unwrap().id, event);
    // A pending or unknown delivery cannot be replayed.
    let (status, code) = code_of(
        app.admin
            .retry_webhook_delivery(hook.webhook.id, EventId::new())
            .await,
    );
    assert_eq!((status, code), (404, ProblemCode::NotFound));
}

#[tokio::test]
async fn a_rotated_secret_signs_alongside_the_new_one_for_a_while() {
    let app = TestApp::spawn().await;
    let rx = Receiver::start(Answer::Status(200)).await;
    let hook = app
        .admin
        .create_webhook(&subscription(&rx.url, &[EventType::BookCreated]))
        .await
        .unwrap();
    let rotated = app
        .admin
        .rotate_webhook_secret(hook.webhook.id)
        .await
        .unwrap();
    assert_ne!(rotated.secret, hook.secret);
    assert!(
        rotated.previous_valid_until.unwrap() > chrono::Utc::now() + chrono::Duration::hours(23)
    );
    app.book("Signed twice", 1).await;
    let got = rx.wait_for(1, 10).await;
    assert_eq!(got[0].signature.split(' ').count(), 2);
    assert!(got[0].signed_by(&hook.secret));
    assert!(got[0].signed_by(&rotated.secret));
    // The secret is never shown again.
    let listed = app
        .http
        .get(app.url(paths::ADMIN_WEBHOOKS))
        .bearer_auth(app.admin.token().unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!listed.contains(&hook.secret) && !listed.contains(&rotated.secret));
    assert!(!listed.contains("whsec_"));
}

#[tokio::test]
async fn endpoints_are_managed_validated_and_bounded() {
    let app = TestApp::spawn().await;
    let rx = Receiver::start(Answer::Status(200)).await;
    let created = app
        .admin
        .create_webhook(&subscription(&rx.url, &[EventType::OrderPlaced]))
        .await
        .unwrap();
    let id = created.webhook.id;
    assert_eq!(app.admin.list_webhooks().await.unwrap().len(), 1);
    let mut req = subscription(&format!("{}?v=2", rx.url), &[EventType::BookDeleted]);
    req.enabled = false;
    let updated = app.admin.update_webhook(id, &req).await.unwrap();
    assert_eq!(updated.url.as_str(), format!("{}?v=2", rx.url));
    assert_eq!(updated.event_types, [EventType::BookDeleted]);
    assert!(!updated.enabled);
    app.admin.delete_webhook(id).await.unwrap();
    assert_eq!(code_of(app.admin.get_webhook(id).await).0, 404);
    assert_eq!(code_of(app.admin.delete_webhook(id).await).0, 404);
    assert_eq!(code_of(app.admin.update_webhook(id, &req).await).0, 404);

    // Validation at the edge.
    let post = |body: serde_json::Value| {
        app.http
            .post(app.url(paths::ADMIN_WEBHOOKS))
            .bearer_auth(app.admin.token().unwrap())
            .json(&body)
            .send()
    };
    for body in [
        serde_json::json!({"url": rx.url, "event_types": []}),
        serde_json::json!({"url": rx.url, "event_types": ["order.placed", "order.placed"]}),
        serde_json::json!({"url": rx.url, "event_types": ["order.teleported"]}),
        serde_json::json!({"url": "ftp://example.com/", "event_types": ["order.placed"]}),
        serde_json::json!({"url": "http://exa mple.com/", "event_types": ["order.placed"]}),
        serde_json::json!({"url": rx.url, "event_types": ["order.placed"], "secret": "mine"}),
    ] {
        let res = post(body.clone()).await.unwrap();
        assert!(
            matches!(res.status().as_u16(), 400 | 422),
            "{body}: {}",
            res.status()
        );
    }
    // A customer may not manage webhooks.
    let shopper = app.customer().await;
    assert_eq!(code_of(shopper.list_webhooks().await).0, 403);
    assert_eq!(code_of(app.api.list_webhooks().await).0, 401);

    // At most 30, also when created at once.
    let made = futures::future::join_all((0..34).map(|i| {
        let admin = app.admin.clone();
        let url = format!("{}/{i}", rx.url);
        async move {
            admin
                .create_webhook(&subscription(&url, &[EventType::OrderPlaced]))
                .await
        }
    }))
    .await;
    let ok = made.iter().filter(|r| r.is_ok()).count();
    assert_eq!(ok, MAX_WEBHOOKS);
    for r in made.into_iter().filter(Result::is_err) {
        assert_eq!(code_of(r), (422, ProblemCode::TooManyWebhooks));
    }
    assert_eq!(app.admin.list_webhooks().await.unwrap().len(), MAX_WEBHOOKS);
}

#[tokio::test]
async fn private_and_metadata_addresses_are_refused_in_production() {
    let app = TestApp::spawn_with(|s| s.webhooks.allow_private_targets = false).await;
    for url in [
        "http://127.0.0.1:9/hooks",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:9/",
        "http://localhost:9/",
        "http://10.0.0.7/",
        "http://192.168.1.1/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0:9/",
    ] {
        let r = app
            .admin
            .create_webhook(&subscription(url, &[EventType::OrderPlaced]))
            .await;
        assert_eq!(code_of(r), (422, ProblemCode::WebhookUrlRefused), "{url}");
    }
    assert!(app.admin.list_webhooks().await.unwrap().is_empty());
}

/// A redirect is never followed (it could lead anywhere, the metadata service included): the
/// delivery fails with the 3xx, and is retried like any other failure.
#[tokio::test]
async fn redirects_are_not_followed() {
    let app = TestApp::spawn().await;
    let target = Receiver::start(Answer::Status(200)).await;
    let rx = Receiver::start(Answer::Redirect(target.url.clone())).await;
    let hook = app
        .admin
        .create_webhook(&subscription(&rx.url, &[EventType::BookCreated]))
        .await
        .unwrap();
    app.book("Redirected", 1).await;
    let event = rx.wait_for(1, 10).await[0].id.clone();
    let d = wait_for_status(
        &app.admin,
        hook.webhook.id,
        &event,
        DeliveryStatus::Pending,
        5,
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let d = app
        .admin
        .webhook_deliveries(hook.webhook.id, &DeliveryQuery::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .find(|x| x.event_id == d.event_id)
        .unwrap();
    assert_eq!(d.last_status_code, Some(302));
    assert!(d.next_attempt_at.is_some());
    assert!(target.received().is_empty());
}

/// Two instances on one store: each event is delivered by one of them at a time (never two
/// requests of one event at once), and exactly once while no lease runs out.
#[tokio::test]
async fn two_instances_never_deliver_one_event_at_once() {
    let instances = instances_on_one_store(2).await;
    let addresses = &instances.urls;
    let rx = Receiver::start(Answer::Hold(Duration::from_millis(150))).await;
    let api = Client::new(&addresses[0]);
    let admin = api.authed(api.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.unwrap().token);
    admin
        .create_webhook(&subscription(&rx.url, &[EventType::BookCreated]))
        .await
        .unwrap();
    // Books created through both instances; both dispatchers see all the jobs.
    let other = Client::new(&addresses[1]).authed(admin.token().unwrap());
    let made = futures::future::join_all((0..30).map(|i| {
        let c = if i % 2 == 0 {
            admin.clone()
        } else {
            other.clone()
        };
        async move {
            c.admin_create_book(&new_book(&format!("Raced {i}"), "A", "fiction", 100, 1))
                .await
        }
    }))
    .await;
    assert!(made.iter().all(Result::is_ok));
    let got = rx.wait_for(30, 30).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got_now = rx.received();
    assert_eq!(got_now.len(), got.len().max(30), "no event twice");
    let mut ids: Vec<&str> = got_now.iter().map(|r| r.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 30);
    assert_eq!(rx.max_in_flight_per_id(), 1);
}
