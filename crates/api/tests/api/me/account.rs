//! `/api/v1/me` itself: renaming, changing the password or the e-mail, exporting and deleting
//! the account.
use crate::auth::password_reset::{customer_with_email, link_token};
use crate::helpers::*;
use crate::mail::mail_to;
use crate::smtp::SmtpServer;
use bookstore_client::Client;
use bookstore_model::*;
use std::time::{Duration, Instant};

const PASSWORD: &str = "a long enough password";

fn address() -> AddressInput {
    AddressInput {
        name: "Ada Lovelace".into(),
        line1: "12 St James's Square".into(),
        line2: None,
        city: "London".into(),
        region: None,
        postal_code: "SW1Y 4JH".into(),
        country: "GB".into(),
        phone: None,
    }
}

#[tokio::test]
async fn a_password_change_ends_the_other_sessions_on_every_instance() {
    let instances = instances_on_one_store(2).await;
    let urls = &instances.urls;
    let (a, b) = (Client::new(&urls[0]), Client::new(&urls[1]));
    let email = Email::parse(&format!("pw-{}@example.com", uuid::Uuid::new_v4().simple())).unwrap();
    let reg = RegisterRequest {
        email: email.clone(),
        password: Password::parse(PASSWORD).unwrap(),
        name: PersonName::parse("Ada").unwrap(),
    };
    let here = a.authed(a.register(&reg).await.unwrap().token);
    let there = b.authed(b.login(email.as_str(), PASSWORD).await.unwrap().token);
    there.me().await.unwrap();

    let wrong = here
        .change_password(&ChangePassword {
            current_password: "not the password".into(),
            new_password: Password::parse("a brand new password").unwrap(),
        })
        .await;
    assert_eq!(code_of(wrong), (403, ProblemCode::WrongPassword));
    here.me().await.unwrap();

    let changed = here
        .change_password(&ChangePassword {
            current_password: PASSWORD.into(),
            new_password: Password::parse("a brand new password").unwrap(),
        })
        .await
        .unwrap();
    // The old token ends at once where the change was made...
    assert_eq!(code_of(here.me().await), (401, ProblemCode::Unauthorized));
    // ...and within a second on the other instance.
    let start = Instant::now();
    while there.me().await.is_ok() {
        assert!(start.elapsed() < Duration::from_secs(3), "still valid");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The new token continues, on both.
    a.authed(&changed.token).me().await.unwrap();
    b.authed(&changed.token).me().await.unwrap();
    assert_eq!(
        code_of(a.login(email.as_str(), PASSWORD).await),
        (401, ProblemCode::InvalidCredentials)
    );
    b.login(email.as_str(), "a brand new password")
        .await
        .unwrap();
}

#[tokio::test]
async fn a_name_changes_at_once() {
    let app = TestApp::spawn().await;
    let me = app.customer().await;
    let req = UpdateProfile {
        name: PersonName::parse("Grace Hopper").unwrap(),
    };
    let renamed = me.update_me(&req).await.unwrap();
    assert_eq!(renamed.name.as_str(), "Grace Hopper");
    assert_eq!(me.me().await.unwrap().name.as_str(), "Grace Hopper");
}

#[tokio::test]
async fn an_email_moves_with_its_addresses_once_the_link_is_followed() {
    let smtp = SmtpServer::start();
    let app = TestApp::spawn_with(mail_to(&smtp)).await;
    let (me, old_email) = customer_with_email(&app).await;
    let home = me.create_address(&address()).await.unwrap().value;
    let book = app.book("Carried along", 5).await;
    let cart = me
        .replace_my_cart(&CartInput {
            lines: vec![line(book.id, 2)],
        })
        .await
        .unwrap();
    let new_email = Email::parse(&format!(
        "new-{}@example.com",
        uuid::Uuid::new_v4().simple()
    ))
    .unwrap();
    let wrong = me
        .change_email(&ChangeEmail {
            new_email: new_email.clone(),
            current_password: "not the password".into(),
        })
        .await;
    assert_eq!(code_of(wrong), (403, ProblemCode::WrongPassword));
    let sent = me
        .change_email(&ChangeEmail {
            new_email: new_email.clone(),
            current_password: PASSWORD.into(),
        })
        .await
        .unwrap();
    assert_eq!(sent.status, 202);
    let got = smtp.wait_for(1, 10).await;
    assert_eq!(got[0].header("To").unwrap(), new_email.as_str());
    let token = link_token(&got[0], "confirm-email");
    // Nothing moves before the link is followed.
    me.me().await.unwrap();

    app.api.confirm_email(&token).await.unwrap();
    let again = app.api.confirm_email(&token).await;
    assert_eq!(code_of(again), (400, ProblemCode::InvalidEmailToken));
    assert_eq!(code_of(me.me().await), (401, ProblemCode::Unauthorized));
    assert_eq!(
        code_of(app.api.login(old_email.as_str(), PASSWORD).await),
        (401, ProblemCode::InvalidCredentials)
    );
    let moved = app.api.login(new_email.as_str(), PASSWORD).await.unwrap();
    assert_eq!(moved.user.email, new_email);
    let moved = app.api.authed(moved.token);
    assert_eq!(moved.my_addresses().await.unwrap(), vec![home]);
    assert_eq!(moved.my_cart().await.unwrap(), cart, "the cart moved too");
    // The address book's limit came along: another address still fits.
    moved.create_address(&address()).await.unwrap();
    // The old e-mail is free again.
    app.api
        .register(&RegisterRequest {
            email: old_email,
            password: Password::parse(PASSWORD).unwrap(),
            name: PersonName::parse("Another").unwrap(),
        })
        .await
        .unwrap();

    // A taken e-mail: the link is refused with 409 when followed.
    let (_, taken) = customer_with_email(&app).await;
    let to = taken.to_string();
    moved
        .change_email(&ChangeEmail {
            new_email: taken,
            current_password: PASSWORD.into(),
        })
        .await
        .unwrap();
    // Maildir names do not sort by arrival within a second: the mail to the taken address.
    let got = smtp.wait_for(2, 10).await;
    let m = got.iter().find(|m| m.header("To").unwrap() == to).unwrap();
    let token = link_token(m, "confirm-email");
    let refused = app.api.confirm_email(&token).await;
    assert_eq!(code_of(refused), (409, ProblemCode::EmailTaken));
    moved.me().await.unwrap();
}

#[tokio::test]
async fn the_export_holds_orders_returns_and_addresses_and_no_hash() {
    let app = TestApp::spawn().await;
    let me = app.customer().await;
    let home = me.create_address(&address()).await.unwrap().value;
    let book = app.book("Exported", 5).await;
    let mut placed = Vec::new();
    for _ in 0..3 {
        let order = buy(&me, book.id, 1).await;
        placed.push(order.id);
    }
    app.deliver(placed[0]).await;
    app.return_received(&me, placed[0], &return_of(vec![line(book.id, 1)]))
        .await;
    let cart = me
        .replace_my_cart(&CartInput {
            lines: vec![line(book.id, 2)],
        })
        .await
        .unwrap();
    let res = app
        .http
        .get(app.url(paths::MY_EXPORT))
        .bearer_auth(me.token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    assert!(!text.contains("password"), "{text}");
    assert!(!text.contains("$argon2"), "{text}");
    let export: AccountExport = serde_json::from_str(&text).unwrap();
    assert_eq!(export.user, me.me().await.unwrap());
    assert_eq!(export.addresses, vec![home]);
    assert_eq!(export.cart, cart);
    let mut ids: Vec<OrderId> = export.orders.iter().map(|o| o.order.id).collect();
    ids.sort();
    placed.sort();
    assert_eq!(ids, placed);
    let returned = export
        .orders
        .iter()
        .find(|o| o.returns.len() == 1)
        .expect("the return");
    assert_eq!(returned.returns[0].lines[0].book_id, book.id);
}

#[tokio::test]
async fn a_deleted_account_keeps_its_orders_without_the_email() {
    let app = TestApp::spawn().await;
    let (me, email) = customer_with_email(&app).await;
    me.create_address(&address()).await.unwrap();
    let book = app.book("Kept for the books", 5).await;
    me.replace_my_cart(&CartInput {
        lines: vec![line(book.id, 3)],
    })
    .await
    .unwrap();
    let order = buy(&me, book.id, 1).await;
    assert_eq!(order.customer_email, email.as_str());

    assert_eq!(
        code_of(me.delete_me("not the password").await),
        (403, ProblemCode::WrongPassword)
    );
    me.delete_me(PASSWORD).await.unwrap();
    assert_eq!(code_of(me.me().await), (401, ProblemCode::Unauthorized));
    assert_eq!(
        code_of(app.api.login(email.as_str(), PASSWORD).await),
        (401, ProblemCode::InvalidCredentials)
    );
    let all = all_pages(100, |cursor| {
        let admin = app.admin.clone();
        async move {
            let q = OrderQuery {
                status: None,
                limit: Some(100),
                cursor,
                ..Default::default()
            };
            admin.admin_list_orders(&q).await.unwrap()
        }
    })
    .await;
    let kept = all.iter().find(|o| o.id == order.id).expect("order kept");
    assert_eq!(kept.customer_email, "");
    assert_eq!(kept.user_id, order.user_id);

    // The e-mail can register again, as a new account with an empty address book and cart.
    let again = app
        .api
        .register(&RegisterRequest {
            email,
            password: Password::parse(PASSWORD).unwrap(),
            name: PersonName::parse("Back again").unwrap(),
        })
        .await
        .unwrap();
    assert_ne!(again.user.id, order.user_id);
    let back = app.api.authed(again.token);
    assert!(back.my_addresses().await.unwrap().is_empty());
    assert_eq!(back.my_cart().await.unwrap(), Cart::default());
    assert!(
        back.list_orders(&PageQuery::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
}
