//! Mails to customers, through the outbox to a real SMTP server (aiosmtpd).
use crate::helpers::*;
use crate::smtp::SmtpServer;
use bookstore_api::settings::{MailSettings, Settings};
use bookstore_domain::mail::SmtpSecurity;

pub fn mail_to(smtp: &SmtpServer) -> impl FnOnce(&mut Settings) {
    let port = smtp.port;
    move |s: &mut Settings| {
        s.mail = Some(MailSettings {
            smtp_host: "127.0.0.1".into(),
            smtp_port: port,
            security: SmtpSecurity::None,
            username: None,
            password: None,
            from: "Bookstore <shop@bookstore.test>".into(),
            shop_url: "https://shop.example".into(),
            timeout_ms: 2000,
            stock_alerts_to: None,
        });
        s.webhooks.first_backoff_ms = 100;
        s.webhooks.poll_ms = 200;
    }
}

#[tokio::test]
async fn customers_get_an_order_confirmation_and_a_return_receipt() {
    let smtp = SmtpServer::start();
    let app = TestApp::spawn_with(mail_to(&smtp)).await;
    let book = app.book("Mail <b>me</b> & more", 5).await;
    let shopper = app.customer().await;
    let email = shopper.me().await.unwrap().email;
    let order = buy(&shopper, book.id, 2).await;

    let got = smtp.wait_for(1, 10).await;
    let m = &got[0];
    assert_eq!(m.header("To").unwrap(), email.as_str());
    assert!(m.header("From").unwrap().contains("shop@bookstore.test"));
    assert!(
        m.header("Subject").unwrap().contains("is confirmed"),
        "{}",
        m.raw
    );
    assert!(m.header("Message-ID").unwrap().contains("@bookstore.test>"));
    let text = m.text();
    assert!(text.contains("multipart/alternative"), "{text}");
    assert!(
        text.contains("2 x Mail <b>me</b> & more"),
        "plain text as typed: {text}"
    );
    assert!(
        text.contains("Mail &lt;b&gt;me&lt;/b&gt; &amp; more"),
        "HTML escaped: {text}"
    );
    // Items, standard shipping to Germany, the total, and where it goes.
    assert!(text.contains("Items: 20.00 EUR"), "{text}");
    assert!(text.contains("Shipping: 4.95 EUR"), "{text}");
    assert!(text.contains("Total: 24.95 EUR"), "{text}");
    assert!(
        text.contains("Shipping to: Test Reader, 1 Test Street"),
        "{text}"
    );
    assert!(text.contains(&format!("https://shop.example/orders/{}", order.id)));

    app.deliver(order.id).await;
    let got = smtp.wait_for(2, 10).await;
    // Maildir file names do not sort by arrival within a second: find it by its subject.
    let shipped = got
        .iter()
        .find(|m| m.header("Subject").unwrap().contains("on its way"))
        .expect("a shipping mail");
    assert!(
        shipped.text().contains("DHL TEST 0001"),
        "{}",
        shipped.text()
    );
    app.return_received(&shopper, order.id, &return_of(vec![line(book.id, 1)]))
        .await;
    let got = smtp.wait_for(3, 10).await;
    let m = got
        .iter()
        .find(|m| {
            m.header("Subject")
                .unwrap()
                .contains("received your return")
        })
        .unwrap();
    assert_eq!(m.header("To").unwrap(), email.as_str());
    assert!(
        m.header("Subject")
            .unwrap()
            .contains("received your return")
    );
    assert!(m.text().contains("Refund: 10.00"), "{}", m.text());
    // Admin changes mail nobody.
    app.book("No mail for this", 1).await;
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    assert_eq!(smtp.messages().len(), 3);
}

#[tokio::test]
async fn a_mail_the_server_did_not_take_is_sent_when_it_is_back() {
    let mut smtp = SmtpServer::start();
    let port = smtp.port;
    let app = TestApp::spawn_with(mail_to(&smtp)).await;
    smtp.stop();
    let book = app.book("Retried mail", 5).await;
    let shopper = app.customer().await;
    shopper
        .place_order(&order_of(vec![line(book.id, 1)]), None)
        .await
        .unwrap();
    // A few attempts fail meanwhile (connection refused).
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    let back = SmtpServer::start_on(port);
    let got = back.wait_for(1, 15).await;
    assert!(got[0].header("Subject").unwrap().contains("is confirmed"));
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(back.messages().len(), 1, "sent once");
}

#[tokio::test]
async fn shoppers_who_asked_are_mailed_once_when_a_book_is_back_in_stock() {
    let smtp = SmtpServer::start();
    let app = TestApp::spawn_with(mail_to(&smtp)).await;
    let book = app.book("Sold out & wanted", 0).await;
    let (a, b, c) = (
        app.customer().await,
        app.customer().await,
        app.customer().await,
    );
    a.notify_me(book.id).await.unwrap();
    a.notify_me(book.id).await.unwrap(); // twice is once
    b.notify_me(book.id).await.unwrap();
    c.notify_me(book.id).await.unwrap();
    c.stop_notifying(book.id).await.unwrap();
    assert_eq!(code_of(app.api.notify_me(book.id).await).0, 401);
    let unknown = bookstore_model::BookId::new();
    assert_eq!(code_of(a.notify_me(unknown).await).0, 404);
    let in_stock = app.book("Plenty", 3).await;
    assert_eq!(
        code_of(a.notify_me(in_stock.id).await),
        (409, bookstore_model::ProblemCode::InStock)
    );

    let restock = |delta| bookstore_model::StockAdjustment {
        delta,
        reason: None,
    };
    app.admin
        .admin_adjust_stock(book.id, &restock(4))
        .await
        .unwrap();
    let got = smtp.wait_for(2, 10).await;
    let mut to: Vec<String> = got.iter().map(|m| m.header("To").unwrap()).collect();
    to.sort();
    let mut want = vec![
        a.me().await.unwrap().email.to_string(),
        b.me().await.unwrap().email.to_string(),
    ];
    want.sort();
    assert_eq!(to, want);
    for m in &got {
        assert!(
            m.header("Subject")
                .unwrap()
                .contains("Back in stock: Sold out & wanted")
        );
        assert!(
            m.text()
                .contains(&format!("https://shop.example/books/{}", book.id))
        );
    }
    // The subscriptions are gone: selling out and restocking again mails nobody.
    app.admin
        .admin_adjust_stock(book.id, &restock(-4))
        .await
        .unwrap();
    app.admin
        .admin_adjust_stock(book.id, &restock(2))
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    assert_eq!(smtp.messages().len(), 2);
}

#[tokio::test]
async fn a_book_low_on_stock_is_mailed_to_the_stock_alerts_address() {
    let smtp = SmtpServer::start();
    let app = TestApp::spawn_with(|s| {
        mail_to(&smtp)(s);
        if let Some(m) = s.mail.as_mut() {
            m.stock_alerts_to = Some("Stock desk <stock@bookstore.test>".into());
        }
    })
    .await;
    let book = app.book("Running <low>", 7).await;
    let shopper = app.customer().await;
    buy(&shopper, book.id, 2).await;
    let got = smtp.wait_for(2, 10).await;
    let alert = got
        .iter()
        .find(|m| m.header("To").unwrap().contains("stock@bookstore.test"))
        .expect("the stock alert");
    assert_eq!(alert.header("Subject").unwrap(), "Low stock: Running <low>");
    assert!(
        alert.text().contains("down to 5 copies"),
        "{}",
        alert.text()
    );
    assert!(alert.text().contains("threshold of 5"), "{}", alert.text());
    assert!(alert.text().contains("https://shop.example/admin"));
    // Further sales below the threshold are not crossings: no more alerts.
    buy(&shopper, book.id, 1).await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let alerts = smtp
        .messages()
        .iter()
        .filter(|m| m.header("To").unwrap().contains("stock@bookstore.test"))
        .count();
    assert_eq!(alerts, 1);
}
