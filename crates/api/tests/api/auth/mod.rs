//! `/api/v1/auth`: registration and sign-in here; password resets in `password_reset.rs`.
pub(crate) mod password_reset;

use crate::helpers::*;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bookstore_model::*;
use serde_json::json;

fn register_req(email: &str) -> RegisterRequest {
    RegisterRequest {
        email: Email::parse(email).unwrap(),
        password: Password::parse("a long enough password").unwrap(),
        name: PersonName::parse("Ada").unwrap(),
    }
}

#[tokio::test]
async fn register_login_and_me() {
    let app = TestApp::spawn().await;
    let res = app
        .http
        .post(app.url("/api/v1/auth/register"))
        .json(&register_req("Ada@Example.com"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let auth: AuthResponse = res.json().await.unwrap();
    assert_eq!(auth.user.email.as_str(), "ada@example.com");
    assert_eq!(auth.user.role, Role::Customer);
    assert!(auth.expires_at > chrono::Utc::now());

    let me = app.api.authed(&auth.token).me().await.unwrap();
    assert_eq!(me, auth.user);

    // E-mails are case-insensitive: the same address in other case is taken.
    let dup = app.api.register(&register_req("ADA@example.com")).await;
    assert_eq!(code_of(dup), (409, ProblemCode::EmailTaken));

    let again = app
        .api
        .login("ada@EXAMPLE.com", "a long enough password")
        .await
        .unwrap();
    assert_eq!(again.user.id, auth.user.id);
}

#[tokio::test]
async fn wrong_credentials_get_the_same_answer_whether_or_not_the_account_exists() {
    let app = TestApp::spawn().await;
    app.api
        .register(&register_req("known@example.com"))
        .await
        .unwrap();
    let mut bodies = Vec::new();
    for (email, password) in [
        ("known@example.com", "wrong password!"),
        ("nobody@example.com", "wrong password!"),
        ("not an email", "x"),
    ] {
        let res = app
            .http
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.headers()["www-authenticate"], "Bearer");
        bodies.push(assert_problem(res, 401, "invalid_credentials").await);
    }
    assert_eq!(bodies[0], bodies[1]);
    assert_eq!(bodies[1], bodies[2]);
}

#[tokio::test]
async fn registration_validates_its_fields() {
    let app = TestApp::spawn().await;
    for body in [
        json!({"email": "no-at-sign", "password": "long enough pw", "name": "A"}),
        json!({"email": "a@b.example", "password": "short", "name": "A"}),
        json!({"email": "a@b.example", "password": "long enough pw", "name": "   "}),
        json!({"email": "a@b.example", "password": "long enough pw", "name": "A", "role": "admin"}),
        json!({"email": "a@b.example", "password": "long enough pw"}),
    ] {
        let res = app
            .http
            .post(app.url("/api/v1/auth/register"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_problem(res, 422, "validation_failed").await;
    }
}

fn forge(header: serde_json::Value, claims: serde_json::Value, signature: &str) -> String {
    let h = URL_SAFE_NO_PAD.encode(header.to_string());
    let c = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{h}.{c}.{signature}")
}

fn sign(claims: &serde_json::Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

#[tokio::test]
async fn bad_tokens_are_refused() {
    let app = TestApp::spawn().await;
    let customer = app.customer().await;
    let me = customer.me().await.unwrap();
    let now = chrono::Utc::now().timestamp();
    let claims = |exp: i64, role: &str| json!({"sub": me.id, "email": me.email, "role": role, "iat": now - 10, "exp": exp, "iss": "bookstore", "aud": "bookstore-api"});
    // Well-formed and signed with the right key, so each token below fails for its own reason.
    assert!(
        app.http
            .get(app.url("/api/v1/me"))
            .bearer_auth(sign(&claims(now + 3600, "customer"), JWT_SECRET))
            .send()
            .await
            .unwrap()
            .status()
            .is_success()
    );
    let mut for_elsewhere = claims(now + 3600, "customer");
    for_elsewhere["aud"] = json!("another-service");
    let for_elsewhere = sign(&for_elsewhere, JWT_SECRET);
    let mut no_issuer = claims(now + 3600, "customer");
    no_issuer.as_object_mut().unwrap().remove("iss");
    let no_issuer = sign(&no_issuer, JWT_SECRET);

    let expired = sign(&claims(now - 3600, "customer"), JWT_SECRET);
    let wrong_key = sign(
        &claims(now + 3600, "admin"),
        "another-secret-that-is-long-enough-000000",
    );
    let valid = customer.token().unwrap().to_owned();
    let (h, rest) = valid.split_once('.').unwrap();
    let (_claims, s) = rest.split_once('.').unwrap();
    // Same signature, claims edited to admin.
    let escalated = format!(
        "{h}.{}.{s}",
        URL_SAFE_NO_PAD.encode(claims(now + 3600, "admin").to_string())
    );
    let alg_none = forge(
        json!({"alg": "none", "typ": "JWT"}),
        claims(now + 3600, "admin"),
        "",
    );
    let mut flipped = valid.clone();
    let last = flipped.pop().unwrap();
    flipped.push(if last == 'A' { 'B' } else { 'A' });

    for token in [
        expired,
        for_elsewhere,
        no_issuer,
        wrong_key,
        escalated,
        alg_none,
        flipped,
        "not.a.jwt".into(),
        String::new(),
    ] {
        let res = app
            .http
            .get(app.url("/api/v1/me"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_problem(res, 401, "unauthorized").await;
        let res = app
            .http
            .get(app.url("/api/v1/admin/audit"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_problem(res, 401, "unauthorized").await;
    }
    let res = app.http.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_problem(res, 401, "unauthorized").await;
    let res = app
        .http
        .get(app.url("/api/v1/me"))
        .header("Authorization", "Basic YTpi")
        .send()
        .await
        .unwrap();
    assert_problem(res, 401, "unauthorized").await;
}

#[tokio::test]
async fn customers_cannot_use_admin_routes() {
    let app = TestApp::spawn().await;
    let customer = app.customer().await;
    let book = app.book("Guarded", 5).await;
    let routes: Vec<(reqwest::Method, String, serde_json::Value)> = vec![
        (
            reqwest::Method::POST,
            "/api/v1/admin/books".into(),
            serde_json::to_value(new_book("X", "Y", "fiction", 1, 1)).unwrap(),
        ),
        (
            reqwest::Method::PUT,
            format!("/api/v1/admin/books/{}", book.id),
            json!({}),
        ),
        (
            reqwest::Method::DELETE,
            format!("/api/v1/admin/books/{}", book.id),
            json!(null),
        ),
        (
            reqwest::Method::POST,
            format!("/api/v1/admin/books/{}/stock", book.id),
            json!({"delta": 5}),
        ),
        (
            reqwest::Method::GET,
            "/api/v1/admin/orders".into(),
            json!(null),
        ),
        (
            reqwest::Method::GET,
            "/api/v1/admin/audit".into(),
            json!(null),
        ),
    ];
    for (method, path, body) in routes {
        let mut req = app
            .http
            .request(method.clone(), app.url(&path))
            .bearer_auth(customer.token().unwrap());
        if !body.is_null() {
            req = req.json(&body);
        }
        assert_problem(req.send().await.unwrap(), 403, "forbidden").await;
        let mut anon = app.http.request(method, app.url(&path));
        if !body.is_null() {
            anon = anon.json(&body);
        }
        assert_problem(anon.send().await.unwrap(), 401, "unauthorized").await;
    }
    // Nothing changed.
    assert_eq!(app.api.get_book(book.id).await.unwrap(), book);
}

#[tokio::test]
async fn the_bearer_scheme_name_is_case_insensitive() {
    let app = TestApp::spawn().await;
    let auth = app
        .api
        .register(&register_req("scheme@example.com"))
        .await
        .unwrap();
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        for gap in [" ", "  "] {
            let res = app
                .http
                .get(app.url("/api/v1/me"))
                .header("Authorization", format!("{scheme}{gap}{}", auth.token))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200, "{scheme:?} with {gap:?}");
        }
    }
    // Another scheme, or none, is still refused.
    for value in [
        format!("Basic {}", auth.token),
        auth.token.clone(),
        "Bearer ".into(),
    ] {
        let res = app
            .http
            .get(app.url("/api/v1/me"))
            .header("Authorization", value)
            .send()
            .await
            .unwrap();
        assert_problem(res, 401, "unauthorized").await;
    }
}
