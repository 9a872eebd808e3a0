//! `/api/v1/me/addresses`: the address book.
use crate::helpers::*;
use bookstore_model::*;
use futures::future::join_all;
use serde_json::{Value, json};

fn home() -> AddressInput {
    AddressInput {
        name: "  Ada Lovelace ".into(),
        line1: "12 St James's Square".into(),
        line2: Some("Flat 3".into()),
        city: "London".into(),
        region: None,
        postal_code: "SW1Y 4JH".into(),
        country: "GB".into(),
        phone: Some("+44 20 7946 0000".into()),
    }
}

fn json_of(a: &AddressInput) -> Value {
    serde_json::to_value(a).unwrap()
}

#[tokio::test]
async fn create_list_replace_and_delete() {
    let app = TestApp::spawn().await;
    let shopper = app.customer().await;
    assert!(shopper.my_addresses().await.unwrap().is_empty());

    let res = app
        .http
        .post(app.url(paths::MY_ADDRESSES))
        .bearer_auth(shopper.token().unwrap())
        .json(&home())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let first: Address = res.json().await.unwrap();
    assert_eq!(location, paths::my_address(first.id));
    assert_eq!(first.name, "Ada Lovelace", "trimmed");
    assert_eq!(first.country.as_str(), "GB");

    let mut work = home();
    (work.line1, work.line2, work.city) = ("1 Rue de Rivoli".into(), None, "Paris".into());
    (work.postal_code, work.country, work.phone) = ("75001".into(), "FR".into(), None);
    let second = shopper.create_address(&work).await.unwrap();
    assert_eq!(second.status, 201);
    let second = second.value;
    assert_eq!(
        shopper.my_addresses().await.unwrap(),
        vec![first.clone(), second.clone()],
        "oldest first"
    );

    let mut moved = home();
    moved.line1 = "13 St James's Square".into();
    moved.region = Some("Greater London".into());
    let replaced = shopper.replace_address(first.id, &moved).await.unwrap();
    assert_eq!(
        (replaced.id, replaced.created_at),
        (first.id, first.created_at)
    );
    assert_eq!(replaced.line1, "13 St James's Square");
    assert_eq!(replaced.region.as_deref(), Some("Greater London"));
    assert_eq!(shopper.my_addresses().await.unwrap()[0], replaced);

    shopper.delete_address(first.id).await.unwrap();
    assert_eq!(shopper.my_addresses().await.unwrap(), vec![second]);
    assert_eq!(
        code_of(shopper.delete_address(first.id).await),
        (404, ProblemCode::NotFound)
    );
    assert_eq!(
        code_of(shopper.replace_address(first.id, &home()).await),
        (404, ProblemCode::NotFound)
    );
}

#[tokio::test]
async fn someone_elses_address_is_not_found() {
    let app = TestApp::spawn().await;
    let (ada, bob) = (app.customer().await, app.customer().await);
    let adas = ada.create_address(&home()).await.unwrap().value;
    assert!(bob.my_addresses().await.unwrap().is_empty());
    assert_eq!(
        code_of(bob.replace_address(adas.id, &home()).await),
        (404, ProblemCode::NotFound)
    );
    assert_eq!(
        code_of(bob.delete_address(adas.id).await),
        (404, ProblemCode::NotFound)
    );
    assert_eq!(ada.my_addresses().await.unwrap(), vec![adas]);
}

#[tokio::test]
async fn anonymous_callers_get_401() {
    let app = TestApp::spawn().await;
    let id = AddressId::new();
    assert_eq!(
        code_of(app.api.my_addresses().await),
        (401, ProblemCode::Unauthorized)
    );
    assert_eq!(
        code_of(app.api.create_address(&home()).await),
        (401, ProblemCode::Unauthorized)
    );
    assert_eq!(
        code_of(app.api.replace_address(id, &home()).await),
        (401, ProblemCode::Unauthorized)
    );
    assert_eq!(
        code_of(app.api.delete_address(id).await),
        (401, ProblemCode::Unauthorized)
    );
}

/// Each bad field gets a 422 whose detail names it, on create and on replace alike.
#[tokio::test]
async fn each_invalid_field_is_a_422_naming_it() {
    let app = TestApp::spawn().await;
    let shopper = app.customer().await;
    let token = shopper.token().unwrap().to_owned();
    let kept = shopper.create_address(&home()).await.unwrap().value;
    let cases: Vec<(&str, Value)> = vec![
        ("name", json!("   ")),
        ("name", json!("x".repeat(101))),
        ("line1", json!("")),
        ("line1", json!("12 Main St\nApt 4")),
        ("line2", json!("y".repeat(201))),
        ("city", json!("\u{1b}[31mLondon")),
        ("region", json!("z".repeat(101))),
        ("postal_code", json!("")),
        ("postal_code", json!("SW1Y_4JH")),
        ("country", json!("gb")),
        ("country", json!("UK")),
        ("country", json!("GBR")),
        ("phone", json!("12345")),
        ("phone", json!("+44 (20) 7946 0000")),
    ];
    for (field, value) in cases {
        let mut body = json_of(&home());
        body[field] = value.clone();
        for (method, path) in [
            (reqwest::Method::POST, paths::MY_ADDRESSES.to_owned()),
            (reqwest::Method::PUT, paths::my_address(kept.id)),
        ] {
            let res = app
                .http
                .request(method.clone(), app.url(&path))
                .bearer_auth(&token)
                .json(&body)
                .send()
                .await
                .unwrap();
            let problem = assert_problem(res, 422, "validation_failed").await;
            let detail = problem["detail"].as_str().unwrap();
            assert!(
                detail.starts_with(&format!("{field} ")),
                "{method} {field} = {value}: {detail}"
            );
        }
    }
    // A required field left out, and a field the API does not know.
    let mut missing = json_of(&home());
    missing.as_object_mut().unwrap().remove("city");
    let mut unknown = json_of(&home());
    unknown["email"] = json!("ada@example.com");
    for (body, field) in [(missing, "city"), (unknown, "email")] {
        let res = app
            .http
            .post(app.url(paths::MY_ADDRESSES))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let problem = assert_problem(res, 422, "validation_failed").await;
        assert!(
            problem["detail"].as_str().unwrap().contains(field),
            "{problem}"
        );
    }
    assert_eq!(shopper.my_addresses().await.unwrap(), vec![kept]);
}

/// 25 creates at once on an empty book: exactly 20 are added, the rest refused with
/// `too_many_addresses`; a delete makes room for one more.
#[tokio::test]
async fn at_most_20_addresses_even_under_concurrent_creates() {
    let app = TestApp::spawn().await;
    let shopper = app.customer().await;
    let results = join_all((0..25).map(|i| {
        let (c, mut a) = (shopper.clone(), home());
        a.name = format!("Recipient {i}");
        async move { c.create_address(&a).await }
    }))
    .await;
    let mut created = Vec::new();
    for r in results {
        match r {
            Ok(a) => {
                assert_eq!(a.status, 201);
                created.push(a.value);
            }
            Err(e) => {
                let p = e.problem().unwrap_or_else(|| panic!("not a problem: {e}"));
                assert_eq!(
                    (p.status, p.code),
                    (422, ProblemCode::TooManyAddresses),
                    "{p}"
                );
            }
        }
    }
    assert_eq!(created.len(), MAX_ADDRESSES);
    let listed = shopper.my_addresses().await.unwrap();
    assert_eq!(listed.len(), MAX_ADDRESSES);
    assert!(created.iter().all(|a| listed.contains(a)));

    assert_eq!(
        code_of(shopper.create_address(&home()).await),
        (422, ProblemCode::TooManyAddresses)
    );
    shopper.delete_address(created[0].id).await.unwrap();
    shopper.create_address(&home()).await.unwrap();
    assert_eq!(
        code_of(shopper.create_address(&home()).await),
        (422, ProblemCode::TooManyAddresses)
    );
    // Another account's book is not full.
    app.customer().await.create_address(&home()).await.unwrap();
}
