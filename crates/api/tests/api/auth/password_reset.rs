//! Password reset by e-mail: the same answer for every e-mail, a single-use link that expires,
//! and sessions ended; the link's event never reaches a webhook.
use crate::helpers::*;
use crate::mail::mail_to;
use crate::receiver::{Answer, Receiver};
use crate::smtp::{Received, SmtpServer};
use bookstore_client::Client;
use bookstore_model::*;
use std::time::Duration;

const PASSWORD: &str = "a long enough password";

/// The token of the link in a mail (`.../<page>?token=...`).
pub fn link_token(m: &Received, page: &str) -> String {
    let text = m.text();
    let marker = format!("/{page}?token=");
    let at = text
        .find(&marker)
        .unwrap_or_else(|| panic!("no link in {text}"))
        + marker.len();
    text[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

/// A fresh customer's client and e-mail.
pub async fn customer_with_email(app: &TestApp) -> (Client, Email) {
    let c = app.customer().await;
    let email = c.me().await.unwrap().email;
    (c, email)
}

fn new_password(s: &str) -> Password {
    Password::parse(s).unwrap()
}

#[tokio::test]
async fn a_reset_link_works_once_and_ends_every_session() {
    let smtp = SmtpServer::start();
    let app = TestApp::spawn_with(mail_to(&smtp)).await;
    let (old_session, email) = customer_with_email(&app).await;

    // Known and unknown e-mails get the same answer.
    let known = app.api.request_password_reset(&email).await.unwrap();
    let unknown_email = Email::parse("nobody-at-all@example.com").unwrap();
    let unknown = app
        .api
        .request_password_reset(&unknown_email)
        .await
        .unwrap();
    assert_eq!((known.status, unknown.status), (202, 202));
    assert_eq!(known.value, unknown.value);

    let got = smtp.wait_for(1, 10).await;
    let m = &got[0];
    assert_eq!(m.header("To").unwrap(), email.as_str());
    assert!(
        m.text()
            .contains("https://shop.example/reset-password?token=")
    );
    let token = link_token(m, "reset-password");
    assert!(token.len() >= 40, "{token}");

    app.api
        .reset_password(&token, &new_password("a brand new password"))
        .await
        .unwrap();
    // Single use.
    let again = app
        .api
        .reset_password(&token, &new_password("yet another password"))
        .await;
    assert_eq!(code_of(again), (400, ProblemCode::InvalidResetToken));
    let made_up = app
        .api
        .reset_password("not-a-token", &new_password("yet another password"))
        .await;
    assert_eq!(code_of(made_up), (400, ProblemCode::InvalidResetToken));

    // The old session ended; the new password works at once.
    assert_eq!(
        code_of(old_session.me().await),
        (401, ProblemCode::Unauthorized)
    );
    assert_eq!(
        code_of(app.api.login(email.as_str(), PASSWORD).await),
        (401, ProblemCode::InvalidCredentials)
    );
    let fresh = app
        .api
        .login(email.as_str(), "a brand new password")
        .await
        .unwrap();
    app.api.authed(fresh.token).me().await.unwrap();
    // Nothing was mailed for the unknown e-mail.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(smtp.messages().len(), 1);
}

#[tokio::test]
async fn of_two_racing_confirmations_exactly_one_wins() {
    let smtp = SmtpServer::start();
    let app = TestApp::spawn_with(mail_to(&smtp)).await;
    let (_, email) = customer_with_email(&app).await;
    app.api.request_password_reset(&email).await.unwrap();
    let token = link_token(&smtp.wait_for(1, 10).await[0], "reset-password");
    let (first, second) = (
        new_password("first new password"),
        new_password("second new password"),
    );
    let (a, b) = tokio::join!(
        app.api.reset_password(&token, &first),
        app.api.reset_password(&token, &second),
    );
    let wins = [a.is_ok(), b.is_ok()];
    assert_eq!(wins.iter().filter(|w| **w).count(), 1, "{wins:?}");
    let loser = if a.is_ok() { b } else { a };
    assert_eq!(code_of(loser), (400, ProblemCode::InvalidResetToken));
    let winner = if wins[0] {
        "first new password"
    } else {
        "second new password"
    };
    app.api.login(email.as_str(), winner).await.unwrap();
}

#[tokio::test]
async fn an_expired_link_is_refused() {
    let smtp = SmtpServer::start();
    let app = TestApp::spawn_with(|s| {
        mail_to(&smtp)(s);
        s.password_reset_ttl_secs = 1;
    })
    .await;
    let (_, email) = customer_with_email(&app).await;
    app.api.request_password_reset(&email).await.unwrap();
    let token = link_token(&smtp.wait_for(1, 10).await[0], "reset-password");
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let late = app
        .api
        .reset_password(&token, &new_password("too late a password"))
        .await;
    assert_eq!(code_of(late), (400, ProblemCode::InvalidResetToken));
    app.api.login(email.as_str(), PASSWORD).await.unwrap();
}

#[tokio::test]
async fn resets_are_limited_per_email() {
    let app = TestApp::spawn_with(|s| s.rate_limit.password_resets_per_account_per_hour = 2).await;
    let email = Email::parse("limited-reset@example.com").unwrap();
    for _ in 0..2 {
        app.api.request_password_reset(&email).await.unwrap();
    }
    let third = app.api.request_password_reset(&email).await;
    assert_eq!(code_of(third), (429, ProblemCode::RateLimited));
}

#[tokio::test]
async fn account_links_never_reach_webhooks() {
    let smtp = SmtpServer::start();
    let app = TestApp::spawn_with(mail_to(&smtp)).await;
    // The account events cannot be subscribed to.
    let rx = Receiver::start(Answer::Status(200)).await;
    for private in [
        EventType::PasswordResetRequested,
        EventType::EmailChangeRequested,
    ] {
        let req = WebhookRequest {
            url: WebhookUrl::parse(&rx.url).unwrap(),
            event_types: vec![EventType::OrderPlaced, private],
            enabled: true,
        };
        let refused = app.admin.create_webhook(&req).await;
        assert_eq!(code_of(refused), (422, ProblemCode::ValidationFailed));
    }
    // An endpoint subscribed to everything it may gets the order, not the links.
    let all = WebhookRequest {
        url: WebhookUrl::parse(&rx.url).unwrap(),
        event_types: EventType::WEBHOOK.to_vec(),
        enabled: true,
    };
    app.admin.create_webhook(&all).await.unwrap();
    let (shopper, email) = customer_with_email(&app).await;
    app.api.request_password_reset(&email).await.unwrap();
    let new_email = Email::parse(&format!(
        "moved-{}@example.com",
        uuid::Uuid::new_v4().simple()
    ))
    .unwrap();
    shopper
        .change_email(&ChangeEmail {
            new_email,
            current_password: PASSWORD.into(),
        })
        .await
        .unwrap();
    let book = app.book("Hooked", 3).await;
    shopper
        .place_order(&order_of(vec![line(book.id, 1)]), None)
        .await
        .unwrap();
    // Both links and the order confirmation are mailed...
    smtp.wait_for(3, 10).await;
    // ...and the webhook gets the book and the order only.
    rx.wait_for(2, 10).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    let types: Vec<String> = rx.received().iter().map(|r| r.event_type()).collect();
    assert!(
        types.iter().all(|t| !t.starts_with("account.")),
        "{types:?}"
    );
    assert!(types.contains(&"order.placed".to_owned()), "{types:?}");
    for r in rx.received() {
        assert!(!r.json().to_string().contains("token"), "{:?}", r.json());
    }
}
