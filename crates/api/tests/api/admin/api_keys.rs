//! `/api/v1/admin/api-keys` and what keys may do: each scope allows exactly its operations (both
//! header forms), revocation on every instance at once, expiry, last use, the per-key rate
//! limit, the audit log's naming of keys, and the validation of new keys.
use crate::helpers::*;
use bookstore_client::Client;
use bookstore_model::*;
use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::time::Duration;

fn new_key(name: &str, scopes: &[Scope]) -> NewApiKey {
    NewApiKey {
        name: ApiKeyName::parse(name).unwrap(),
        scopes: scopes.to_vec(),
        expires_at: None,
    }
}

async fn make_key(admin: &Client, scopes: &[Scope]) -> ApiKeyCreated {
    admin
        .create_api_key(&new_key("Integration", scopes))
        .await
        .expect("create key")
}

/// How a key is sent.
#[derive(Debug, Clone, Copy)]
enum Form {
    Bearer,
    Header,
}

async fn send(
    app_url: &str,
    form: Form,
    key: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut req = reqwest::Client::new().request(method, format!("{app_url}{path}"));
    req = match form {
        Form::Bearer => req.bearer_auth(key),
        Form::Header => req.header("X-Api-Key", key),
    };
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn a_key_is_shown_once_and_stored_only_as_a_hash() {
    let app = TestApp::spawn().await;
    let req = NewApiKey {
        expires_at: Some(chrono::Utc::now() + chrono::Duration::days(30)),
        ..new_key(
            "Warehouse sync",
            &[Scope::OrdersRead, Scope::CatalogueWrite],
        )
    };
    let res = app
        .http
        .post(app.url(paths::ADMIN_API_KEYS))
        .bearer_auth(app.admin.token().unwrap())
        .json(&req)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let created: ApiKeyCreated = res.json().await.unwrap();
    let key = &created.api_key;
    let short = &key.id.to_string()[..8];
    assert_eq!(key.prefix, format!("bk_live_{short}"));
    assert!(created.key.starts_with(&format!("{}_", key.prefix)));
    assert!(created.key.len() >= "bk_live_".len() + 8 + 1 + 32);
    assert_eq!(key.scopes, vec![Scope::CatalogueWrite, Scope::OrdersRead]);
    assert_eq!(key.name.as_str(), "Warehouse sync");
    assert!(key.last_used_at.is_none() && key.revoked_at.is_none());

    // Neither the key, its secret nor its hash is ever shown again.
    // (The secret is URL-safe base64: it may hold `_` itself.)
    let secret = created
        .key
        .strip_prefix(&format!("{}_", key.prefix))
        .unwrap();
    let hash: String = Sha256::digest(created.key.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let admin_token = app.admin.token().unwrap().to_owned();
    for path in [
        paths::ADMIN_API_KEYS.to_owned(),
        paths::admin_api_key(key.id),
    ] {
        let res = app
            .http
            .get(app.url(&path))
            .bearer_auth(&admin_token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{path}");
        let text = res.text().await.unwrap();
        assert!(text.contains(&key.prefix), "{path}");
        for hidden in [created.key.as_str(), secret, hash.as_str()] {
            assert!(!text.contains(hidden), "{path} shows {hidden}");
        }
    }
    let shown = app.admin.get_api_key(key.id).await.unwrap();
    assert_eq!(&shown, key);
    let page = app
        .admin
        .list_api_keys(&PageQuery::default())
        .await
        .unwrap();
    assert_eq!(page.items, vec![key.clone()]);
    let (status, code) = code_of(app.admin.get_api_key(ApiKeyId::new()).await);
    assert_eq!((status, code), (404, ProblemCode::NotFound));
}

/// What each key may do: the representative operations of each scope, and of none.
#[tokio::test]
async fn each_scope_allows_exactly_its_operations() {
    let app = TestApp::spawn().await;
    let book = app.book("Scoped", 3).await;
    // Bodies are made per request: each book needs an ISBN of its own.
    type Body = Option<fn() -> Value>;
    let ops: Vec<(Option<Scope>, Method, String, Body)> = vec![
        (
            Some(Scope::CatalogueWrite),
            Method::POST,
            paths::ADMIN_BOOKS.into(),
            Some(|| serde_json::to_value(new_book("By key", "K", "fiction", 500, 1)).unwrap()),
        ),
        (
            Some(Scope::CatalogueWrite),
            Method::POST,
            paths::admin_book_stock(book.id),
            Some(|| json!({"delta": 1})),
        ),
        (
            Some(Scope::OrdersRead),
            Method::GET,
            paths::ADMIN_ORDERS.into(),
            None,
        ),
        (
            Some(Scope::WebhooksManage),
            Method::GET,
            paths::ADMIN_WEBHOOKS.into(),
            None,
        ),
        (
            Some(Scope::WebhooksManage),
            Method::POST,
            paths::ADMIN_WEBHOOKS.into(),
            Some(|| json!({"url": "http://127.0.0.1:9/hook", "event_types": ["book.created"]})),
        ),
        // An admin's login only: no scope grants these.
        (None, Method::GET, paths::ADMIN_AUDIT.into(), None),
        (None, Method::GET, paths::ADMIN_API_KEYS.into(), None),
        (
            None,
            Method::POST,
            paths::ADMIN_API_KEYS.into(),
            Some(|| json!({"name": "escalate", "scopes": ["catalogue:write"]})),
        ),
    ];
    for &scope in Scope::ALL {
        let key = make_key(&app.admin, &[scope]).await.key;
        for form in [Form::Bearer, Form::Header] {
            for (needs, method, path, body) in &ops {
                let res = send(
                    &app.address,
                    form,
                    &key,
                    method.clone(),
                    path,
                    body.map(|b| b()),
                )
                .await;
                let what = format!("{scope} {form:?} {method} {path}");
                if *needs == Some(scope) {
                    assert!(res.status().is_success(), "{what}: {}", res.status());
                } else {
                    let p = assert_problem(res, 403, "insufficient_scope").await;
                    assert!(!p["detail"].as_str().unwrap().contains(&key), "{what}");
                }
            }
        }
    }
    // The admin's login does everything, as before.
    for (_, method, path, body) in &ops {
        let mut req = app
            .http
            .request(method.clone(), app.url(path))
            .bearer_auth(app.admin.token().unwrap());
        if let Some(b) = body {
            req = req.json(&b());
        }
        let res = req.send().await.unwrap();
        // The webhook's second creation is refused for its URL's sake, never for the caller.
        assert!(
            res.status().is_success() || res.status() == 422,
            "admin {method} {path}"
        );
    }
    // A key is no customer's token, and a made-up key is refused.
    let key = make_key(&app.admin, Scope::ALL).await.key;
    let res = send(
        &app.address,
        Form::Bearer,
        &key,
        Method::GET,
        paths::ME,
        None,
    )
    .await;
    assert_problem(res, 401, "unauthorized").await;
    let forged = format!("{}x", &key[..key.len() - 1]);
    for form in [Form::Bearer, Form::Header] {
        for path in [paths::ADMIN_ORDERS, paths::ADMIN_API_KEYS] {
            let res = send(&app.address, form, &forged, Method::GET, path, None).await;
            assert_problem(res, 401, "unauthorized").await;
        }
    }
    let res = send(
        &app.address,
        Form::Header,
        "nonsense",
        Method::GET,
        paths::ADMIN_ORDERS,
        None,
    )
    .await;
    assert_problem(res, 401, "unauthorized").await;
}

/// Two instances on one store: a key revoked through either is refused by both at once.
#[tokio::test]
async fn a_revoked_key_is_refused_at_once_on_every_instance() {
    let instances = instances_on_one_store(2).await;
    let addresses = &instances.urls;
    let api = Client::new(&addresses[0]);
    let token = api.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.unwrap().token;
    let admins = [
        api.authed(token.clone()),
        Client::new(&addresses[1]).authed(token),
    ];
    for (revoker, other) in [(0, 1), (1, 0)] {
        let created = make_key(&admins[revoker], &[Scope::OrdersRead]).await;
        for address in addresses {
            let res = send(
                address,
                Form::Header,
                &created.key,
                Method::GET,
                paths::ADMIN_ORDERS,
                None,
            )
            .await;
            assert_eq!(res.status(), 200);
        }
        admins[revoker]
            .revoke_api_key(created.api_key.id)
            .await
            .unwrap();
        for address in [&addresses[other], &addresses[revoker]] {
            for form in [Form::Bearer, Form::Header] {
                let res = send(
                    address,
                    form,
                    &created.key,
                    Method::GET,
                    paths::ADMIN_ORDERS,
                    None,
                )
                .await;
                assert_problem(res, 401, "unauthorized").await;
            }
        }
        let shown = admins[other].get_api_key(created.api_key.id).await.unwrap();
        assert!(shown.revoked_at.is_some());
        // Revoking again changes nothing.
        admins[other]
            .revoke_api_key(created.api_key.id)
            .await
            .unwrap();
    }
    let (status, code) = code_of(admins[0].revoke_api_key(ApiKeyId::new()).await);
    assert_eq!((status, code), (404, ProblemCode::NotFound));
}

#[tokio::test]
async fn an_expired_key_is_refused() {
    let app = TestApp::spawn().await;
    let req = NewApiKey {
        expires_at: Some(chrono::Utc::now() + chrono::Duration::milliseconds(1500)),
        ..new_key("Short-lived", &[Scope::OrdersRead])
    };
    let key = app.admin.create_api_key(&req).await.unwrap().key;
    let res = send(
        &app.address,
        Form::Bearer,
        &key,
        Method::GET,
        paths::ADMIN_ORDERS,
        None,
    )
    .await;
    assert_eq!(res.status(), 200);
    tokio::time::sleep(Duration::from_millis(1600)).await;
    let res = send(
        &app.address,
        Form::Bearer,
        &key,
        Method::GET,
        paths::ADMIN_ORDERS,
        None,
    )
    .await;
    let p = assert_problem(res, 401, "unauthorized").await;
    assert!(p["detail"].as_str().unwrap().contains("expired"), "{p}");
}

#[tokio::test]
async fn last_used_at_is_recorded_at_most_once_a_minute() {
    let app = TestApp::spawn().await;
    let created = make_key(&app.admin, &[Scope::WebhooksManage]).await;
    let before = chrono::Utc::now();
    let res = send(
        &app.address,
        Form::Header,
        &created.key,
        Method::GET,
        paths::ADMIN_WEBHOOKS,
        None,
    )
    .await;
    assert_eq!(res.status(), 200);
    let used = app
        .admin
        .get_api_key(created.api_key.id)
        .await
        .unwrap()
        .last_used_at
        .expect("last_used_at after a use");
    assert!(used >= before - chrono::Duration::seconds(1) && used <= chrono::Utc::now());
    // Within the minute, later uses leave it.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let res = send(
        &app.address,
        Form::Bearer,
        &created.key,
        Method::GET,
        paths::ADMIN_WEBHOOKS,
        None,
    )
    .await;
    assert_eq!(res.status(), 200);
    let again = app.admin.get_api_key(created.api_key.id).await.unwrap();
    assert_eq!(again.last_used_at, Some(used));
}

#[tokio::test]
async fn each_key_has_a_rate_limit_of_its_own() {
    let app = TestApp::spawn_with(|s| {
        s.rate_limit.api_key_per_second = 1;
        s.rate_limit.api_key_burst = 2;
    })
    .await;
    let a = make_key(&app.admin, &[Scope::OrdersRead]).await.key;
    let b = make_key(&app.admin, &[Scope::OrdersRead]).await.key;
    // At once, both header forms: the burst of 2 goes, the rest is refused (a slow store may
    // let one more through as the bucket refills, at 1 a second).
    let sent = futures::future::join_all((0..5).map(|i| {
        let form = if i % 2 == 0 {
            Form::Header
        } else {
            Form::Bearer
        };
        send(
            &app.address,
            form,
            &a,
            Method::GET,
            paths::ADMIN_ORDERS,
            None,
        )
    }))
    .await;
    let ok = sent.iter().filter(|r| r.status() == 200).count();
    assert!((2..=3).contains(&ok), "{ok} of 5 went through");
    let res = sent.into_iter().find(|r| r.status() == 429).unwrap();
    let retry_after: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after >= 1);
    assert_problem(res, 429, "rate_limited").await;
    // Another key, and the admin's login, are not held back.
    let res = send(
        &app.address,
        Form::Header,
        &b,
        Method::GET,
        paths::ADMIN_ORDERS,
        None,
    )
    .await;
    assert_eq!(res.status(), 200);
    app.admin
        .admin_list_orders(&OrderQuery::default())
        .await
        .unwrap();
}

#[tokio::test]
async fn the_audit_log_names_the_key_and_never_shows_it() {
    let app = TestApp::spawn().await;
    let created = make_key(&app.admin, &[Scope::CatalogueWrite]).await;
    let by_key = app.api.authed(created.key.clone());
    let book = by_key
        .admin_create_book(&new_book("Keyed", "K", "fiction", 900, 2))
        .await
        .unwrap();
    let admin_me = app.admin.me().await.unwrap();
    let res = app
        .http
        .get(app.url(paths::ADMIN_AUDIT))
        .bearer_auth(app.admin.token().unwrap())
        .send()
        .await
        .unwrap();
    let text = res.text().await.unwrap();
    // The secret is what follows the key's public prefix (it is URL-safe base64, which has
    // `_` in it: splitting at the last one would leave a fragment that any text may contain).
    let secret = created
        .key
        .strip_prefix(&format!("{}_", created.api_key.prefix))
        .unwrap();
    assert!(secret.len() >= 43, "{secret}");
    assert!(!text.contains(&created.key) && !text.contains(secret));
    let log: Page<AuditEntry> = serde_json::from_str(&text).unwrap();
    let entry = log
        .items
        .iter()
        .find(|e| e.book_id == Some(book.id))
        .unwrap();
    assert_eq!(entry.action, "book.create");
    assert_eq!(
        entry.actor_email,
        format!("api-key:{}", created.api_key.prefix)
    );
    // The key acts for the admin who made it.
    assert_eq!(entry.actor_id, admin_me.id);
}

#[tokio::test]
async fn invalid_new_keys_are_problems() {
    let app = TestApp::spawn().await;
    let post = |body: Value| {
        app.http
            .post(app.url(paths::ADMIN_API_KEYS))
            .bearer_auth(app.admin.token().unwrap())
            .json(&body)
            .send()
    };
    let past = (chrono::Utc::now() - chrono::Duration::minutes(1)).to_rfc3339();
    for (body, status, code) in [
        (
            json!({"name": "k", "scopes": ["catalogue:delete"]}),
            422,
            "validation_failed",
        ),
        (json!({"name": "k", "scopes": []}), 422, "validation_failed"),
        (json!({"name": "k"}), 422, "validation_failed"),
        (
            json!({"name": " ", "scopes": ["orders:read"]}),
            422,
            "validation_failed",
        ),
        (
            json!({"name": "x".repeat(101), "scopes": ["orders:read"]}),
            422,
            "validation_failed",
        ),
        (
            json!({"name": "k", "scopes": ["orders:read"], "admin": true}),
            422,
            "validation_failed",
        ),
        (
            json!({"name": "k", "scopes": ["orders:read"], "expires_at": past}),
            422,
            "expiry_in_past",
        ),
        (
            json!({"name": "k", "scopes": ["orders:read"], "expires_at": "tomorrow"}),
            422,
            "validation_failed",
        ),
    ] {
        let res = post(body.clone()).await.unwrap();
        assert_problem(res, status, code).await;
    }
    let res = app
        .http
        .post(app.url(paths::ADMIN_API_KEYS))
        .bearer_auth(app.admin.token().unwrap())
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .unwrap();
    assert_problem(res, 400, "invalid_json").await;
    // Nothing was made; a customer may not make keys.
    let page = app
        .admin
        .list_api_keys(&PageQuery::default())
        .await
        .unwrap();
    assert!(page.items.is_empty());
    let customer = app.customer().await;
    let (status, code) = code_of(
        customer
            .create_api_key(&new_key("mine", &[Scope::OrdersRead]))
            .await,
    );
    assert_eq!((status, code), (403, ProblemCode::Forbidden));
}
