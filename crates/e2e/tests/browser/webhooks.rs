//! The owner's webhooks page, against a real receiver: the secret shown once, deliveries in the
//! log, a failing endpoint given up on and disabled, then repaired and its delivery retried.
use crate::receiver::{Receiver, closed_url};
use crate::support::*;
use bookstore_model::*;
use fantoccini::Locator;
use std::time::{Duration, Instant};

/// Clicks the log's "Refresh" until `css` is on the page.
async fn refresh_until(b: &Browser, card: &str, css: &str) {
    let deadline = Instant::now() + Duration::from_secs(25);
    loop {
        if b.exists(css).await {
            return;
        }
        if Instant::now() >= deadline {
            b.failed(&format!("the delivery log never showed {css}"))
                .await;
        }
        if let Ok(button) = b.c.find(Locator::Css(&format!("{card} .refresh"))).await
            && button.is_enabled().await.unwrap_or(false)
        {
            let _ = button.click().await;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// The secret in the one-time box.
async fn shown_secret(b: &Browser) -> String {
    b.find("#webhook-secret")
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default()
}

#[tokio::test]
async fn an_owner_adds_a_webhook_watches_its_deliveries_and_repairs_a_failing_endpoint() {
    let _serial = serial().await;
    let shop = Shop::start_with(|s| {
        // Short, so that deliveries to a closed port are given up on (and the endpoint
        // disabled) within the test.
        s.webhooks.first_backoff_ms = 1000;
        s.webhooks.retry_period_secs = 6;
    })
    .await;
    let receiver = Receiver::start().await;
    let b = Browser::start(&shop.url).await;
    b.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    b.click("a[href='/admin/webhooks']").await;
    b.wait_title("Webhooks · Bookstore").await;
    b.find("#no-webhooks").await;

    // No event type ticked: said before anything is sent.
    b.fill("#wh-new-url", &receiver.url).await;
    b.click("#new-webhook button[type=submit]").await;
    b.wait_contains("#new-webhook-error", "at least one event type")
        .await;
    b.click("#wh-new-type-book-created").await;
    b.click("#new-webhook button[type=submit]").await;
    b.wait_contains(".secret-box", "will not be shown again")
        .await;
    let secret = shown_secret(&b).await;
    assert!(secret.starts_with("whsec_"), "{secret}");
    b.click("#copy-secret").await;
    b.wait_text(".secret-box [role=status]", "copied or selected", |t| {
        !t.trim().is_empty()
    })
    .await;
    b.screenshot("admin-webhook-secret").await;
    let hooks = shop.admin.list_webhooks().await.unwrap();
    assert_eq!(hooks.len(), 1);
    let hook = hooks[0].clone();
    let card = format!("li.webhook[data-webhook-id='{}']", hook.id);
    b.wait_contains(&card, "book.created").await;
    b.wait_contains(&format!("{card} .state"), "Enabled").await;
    b.wait_contains(&format!("{card} .last-success"), "Never")
        .await;
    // Dismissed, the secret is gone for good: not even in a fresh page.
    b.click_text(".secret-box button", "I have saved it").await;
    b.goto("/admin/webhooks").await;
    b.wait_contains(&card, "book.created").await;
    assert!(!b.exists("#webhook-secret").await);
    assert!(!b.c.source().await.unwrap().contains(&secret));

    // A book is added: its event arrives, signed, and the log shows it delivered.
    shop.book("Signal Fires", "Mara Quint", 1200, 3).await;
    let got = receiver.wait_for(1, 15).await;
    assert_eq!(got[0].event_type(), "book.created");
    assert!(got[0].signed_by(&secret), "signed with the secret shown");
    b.click(&format!("{card} .log-toggle")).await;
    let first_row = format!("{card} tbody.delivery[data-event-id='{}']", got[0].id);
    refresh_until(&b, &card, &format!("{first_row}[data-status='succeeded']")).await;
    b.wait_contains(&format!("{first_row} .dstatus"), "Succeeded")
        .await;
    b.wait_contains(&format!("{first_row} .last-answer"), "200")
        .await;
    b.wait_contains(&format!("{first_row} .attempts"), "1")
        .await;
    // The endpoint, re-read with its log, has its last success.
    b.wait_text(&format!("{card} .last-success"), "a time", |t| {
        t.contains("UTC")
    })
    .await;

    // A new secret: shown once, the old one still signs for a while.
    b.click_text(&format!("{card} button"), "Rotate secret")
        .await;
    b.wait_contains(".secret-box", "keeps signing").await;
    let rotated = shown_secret(&b).await;
    assert!(rotated.starts_with("whsec_") && rotated != secret);
    b.click_text(".secret-box button", "I have saved it").await;

    // Pointed at a closed port, the next event is retried, then given up on, and the shop
    // disables the endpoint.
    let closed = closed_url();
    b.click_text(&format!("{card} button"), "Edit").await;
    b.fill(&format!("#wh-{}-url", hook.id), &closed).await;
    b.click_text(&format!("{card} form button"), "Save").await;
    b.wait_contains(&format!("{card} .webhook-url"), &closed)
        .await;
    shop.book("Dark Harbour", "Ole Brask", 900, 2).await;
    let newest = format!("{card} tbody.delivery:first-of-type");
    refresh_until(&b, &card, &format!("{card} tbody.delivery:nth-of-type(2)")).await;
    b.wait_text(
        &format!("{newest} .last-answer"),
        "the reason of the failed attempt",
        |t| t.trim() != "—" && !t.trim().is_empty(),
    )
    .await;
    let status = b
        .find(&newest)
        .await
        .attr("data-status")
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(status == "pending" || status == "failed", "{status}");
    if status == "pending" {
        b.screenshot("admin-webhook-pending").await;
    }
    refresh_until(&b, &card, &format!("{newest}[data-status='failed']")).await;
    let failed_id = shop
        .admin
        .webhook_deliveries(hook.id, &DeliveryQuery::default())
        .await
        .unwrap()
        .items[0]
        .event_id;
    b.find(&format!(
        "{newest}[data-event-id='{failed_id}'] button.retry"
    ))
    .await;

    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        b.goto("/admin/webhooks").await;
        b.wait_contains(&card, "book.created").await;
        if b.exists(&format!("{card} .disabled-reason")).await {
            break;
        }
        assert!(Instant::now() < deadline, "the endpoint was not disabled");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    b.wait_contains(
        &format!("{card} .disabled-reason"),
        "The shop disabled this endpoint",
    )
    .await;
    b.wait_contains(&format!("{card} .state"), "Disabled by the shop")
        .await;
    b.screenshot("admin-webhook-disabled").await;

    // Repaired and enabled again; the failed delivery, retried, arrives (signed with both
    // secrets while the old one is still valid).
    b.click_text(&format!("{card} button"), "Edit").await;
    b.fill(&format!("#wh-{}-url", hook.id), &receiver.url).await;
    b.click(&format!("#wh-{}-enabled", hook.id)).await;
    b.click_text(&format!("{card} form button"), "Save").await;
    b.wait_contains(&format!("{card} .state"), "Enabled").await;
    assert!(!b.exists(&format!("{card} .disabled-reason")).await);
    let w = shop.admin.get_webhook(hook.id).await.unwrap();
    assert!(w.enabled && w.disabled_reason.is_none());
    b.click(&format!("{card} .log-toggle")).await;
    let failed_row = format!("{card} tbody.delivery[data-event-id='{failed_id}']");
    b.click(&format!("{failed_row}[data-status='failed'] button.retry"))
        .await;
    refresh_until(&b, &card, &format!("{failed_row}[data-status='succeeded']")).await;
    let got = receiver.wait_for(2, 15).await;
    let retried = got.last().unwrap();
    assert_eq!(retried.id, failed_id.to_string());
    assert!(retried.signed_by(&rotated) && retried.signed_by(&secret));
    b.screenshot("admin-webhook-log").await;

    // At phone width, nothing sticks out sideways (the log, the edit form, the secret box).
    b.c.set_window_size(390, 844).await.unwrap();
    b.goto("/admin/webhooks").await;
    b.wait_contains(&card, "book.created").await;
    b.click(&format!("{card} .log-toggle")).await;
    b.find(&format!("{failed_row}[data-status='succeeded']"))
        .await;
    b.click_text(&format!("{card} button"), "Edit").await;
    b.click_text(&format!("{card} button"), "Rotate secret")
        .await;
    b.find("#webhook-secret").await;
    let overflow =
        b.c.execute(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        overflow.as_i64().unwrap_or(1) <= 0,
        "the page is {overflow} px wider than a phone"
    );
    b.screenshot("phone-admin-webhooks").await;
    b.c.execute(
        "document.querySelector(arguments[0]).scrollIntoView();",
        vec![serde_json::json!(format!("{card} .delivery-log"))],
    )
    .await
    .unwrap();
    b.screenshot("phone-admin-webhook-log").await;
    b.c.set_window_size(1280, 900).await.unwrap();

    // A retry of a delivery that is being attempted again meanwhile (here through the API,
    // to a receiver slow to answer) is refused, and the log says why.
    receiver.hold(Duration::from_secs(4));
    let before = receiver.received().len();
    shop.admin
        .retry_webhook_delivery(hook.id, failed_id)
        .await
        .unwrap();
    b.click(&format!(
        "{failed_row}[data-status='succeeded'] button.retry"
    ))
    .await;
    b.wait_contains(
        &format!("{failed_row} .error"),
        "only once it has succeeded or failed",
    )
    .await;
    b.screenshot("admin-webhook-retry-pending").await;
    receiver.hold(Duration::ZERO);
    receiver.wait_for(before + 1, 15).await;

    // Deleted, after confirming.
    b.goto("/admin/webhooks").await;
    b.wait_contains(&card, "book.created").await;
    b.click_text(&format!("{card} button"), "Delete").await;
    b.wait_contains(&format!("{card} .confirm"), "cannot be undone")
        .await;
    b.click_text(&format!("{card} .confirm button"), "Yes, delete")
        .await;
    b.wait_contains(".success", "Deleted the endpoint").await;
    assert!(shop.admin.list_webhooks().await.unwrap().is_empty());

    // The API's refusal, in its own words.
    for _ in 0..MAX_WEBHOOKS {
        shop.admin
            .create_webhook(&WebhookRequest {
                url: WebhookUrl::parse(&receiver.url).unwrap(),
                event_types: vec![EventType::OrderPlaced],
                enabled: false,
            })
            .await
            .unwrap();
    }
    b.goto("/admin/webhooks").await;
    b.wait_contains("h2", &format!("({MAX_WEBHOOKS} of")).await;
    b.fill("#wh-new-url", &receiver.url).await;
    b.click("#wh-new-type-order-placed").await;
    b.click("#new-webhook button[type=submit]").await;
    b.wait_contains(
        "#new-webhook-error",
        &format!("at most {MAX_WEBHOOKS} webhook endpoints"),
    )
    .await;
    b.close().await;
}
