//! `/api/v1/admin/books`: create, edit (If-Match), delete, stock.
use crate::helpers::*;
use bookstore_model::*;
use serde_json::json;

#[tokio::test]
async fn admins_edit_with_optimistic_concurrency() {
    let app = TestApp::spawn().await;
    let book = app.book("Edit me", 5).await;
    assert_eq!(book.version, 1);
    let mut details = new_details("Edited", "New Author", "poetry", 1500);
    details.isbn = book.isbn.clone();
    let edited = app
        .admin
        .admin_update_book(book.id, 1, &details)
        .await
        .unwrap();
    assert_eq!(
        (edited.version, edited.title.as_str(), edited.stock),
        (2, "Edited", 5)
    );
    assert_eq!(app.api.get_book(book.id).await.unwrap(), edited);

    // A stale edit is refused and says the current version.
    let err = app
        .admin
        .admin_update_book(book.id, 1, &details)
        .await
        .unwrap_err();
    let p = err.problem().unwrap();
    assert_eq!(
        (p.status, p.code, p.current_version),
        (412, ProblemCode::PreconditionFailed, Some(2))
    );
    // No If-Match at all.
    let res = app
        .http
        .put(app.url(&format!("/api/v1/admin/books/{}", book.id)))
        .bearer_auth(app.admin.token().unwrap())
        .json(&details)
        .send()
        .await
        .unwrap();
    assert_problem(res, 428, "precondition_required").await;

    // The search index and genre counts follow the edit.
    let found = app
        .api
        .list_books(&BookQuery {
            q: Some("edited".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(found.items.len(), 1);
    assert!(
        app.api
            .list_books(&BookQuery {
                q: Some("edit me".into()),
                ..Default::default()
            })
            .await
            .unwrap()
            .items
            .is_empty()
    );
    let genres = app.api.genres().await.unwrap();
    assert_eq!(
        genres,
        vec![GenreCount {
            genre: Genre::parse("poetry").unwrap(),
            count: 1
        }]
    );
}

#[tokio::test]
async fn isbns_are_unique() {
    let app = TestApp::spawn().await;
    let book = app.book("First", 1).await;
    let mut dup = new_book("Second", "X", "fiction", 100, 1);
    dup.isbn = book.isbn.clone();
    assert_eq!(
        code_of(app.admin.admin_create_book(&dup).await),
        (409, ProblemCode::IsbnTaken)
    );
    let other = app.book("Third", 1).await;
    let mut details = new_details("Third", "X", "fiction", 100);
    details.isbn = book.isbn.clone();
    assert_eq!(
        code_of(
            app.admin
                .admin_update_book(other.id, other.version, &details)
                .await
        ),
        (409, ProblemCode::IsbnTaken)
    );
    // After deletion the ISBN is free again.
    app.admin
        .admin_delete_book(book.id, Some(book.version))
        .await
        .unwrap();
    app.admin.admin_create_book(&dup).await.unwrap();
}

#[tokio::test]
async fn delete_and_stock_adjustments() {
    let app = TestApp::spawn().await;
    let book = app.book("Stocked", 3).await;
    let restocked = app
        .admin
        .admin_adjust_stock(
            book.id,
            &StockAdjustment {
                delta: 7,
                reason: Some("delivery".into()),
            },
        )
        .await
        .unwrap();
    assert_eq!(restocked.stock, 10);
    let written_off = app
        .admin
        .admin_adjust_stock(
            book.id,
            &StockAdjustment {
                delta: -4,
                reason: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(written_off.stock, 6);
    let err = app
        .admin
        .admin_adjust_stock(
            book.id,
            &StockAdjustment {
                delta: -7,
                reason: None,
            },
        )
        .await;
    assert_eq!(code_of(err), (409, ProblemCode::StockWouldGoNegative));
    let err = app
        .admin
        .admin_adjust_stock(
            book.id,
            &StockAdjustment {
                delta: 0,
                reason: None,
            },
        )
        .await;
    assert_eq!(code_of(err), (422, ProblemCode::ValidationFailed));
    assert_eq!(app.api.get_book(book.id).await.unwrap().stock, 6);

    assert_eq!(
        code_of(app.admin.admin_delete_book(book.id, Some(99)).await),
        (412, ProblemCode::PreconditionFailed)
    );
    app.admin.admin_delete_book(book.id, None).await.unwrap();
    assert_eq!(
        code_of(app.api.get_book(book.id).await),
        (404, ProblemCode::NotFound)
    );
    assert_eq!(
        code_of(app.admin.admin_delete_book(book.id, None).await),
        (404, ProblemCode::NotFound)
    );
    assert_eq!(
        code_of(
            app.admin
                .admin_adjust_stock(
                    book.id,
                    &StockAdjustment {
                        delta: 1,
                        reason: None
                    }
                )
                .await
        ),
        (404, ProblemCode::NotFound)
    );
    assert!(app.api.genres().await.unwrap().is_empty());
}

#[tokio::test]
async fn new_books_are_validated() {
    let app = TestApp::spawn().await;
    let good = serde_json::to_value(new_book("Fine", "A", "fiction", 100, 1)).unwrap();
    let token = app.admin.token().unwrap().to_owned();
    let mutate = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut v = good.clone();
        f(&mut v);
        v
    };
    for body in [
        mutate(&|v| v["isbn"] = json!("9780141439519")),
        mutate(&|v| v["title"] = json!("")),
        mutate(&|v| v["authors"] = json!([])),
        mutate(&|v| v["price_cents"] = json!(-1)),
        mutate(&|v| v["stock"] = json!(-5)),
        mutate(&|v| v["genre"] = json!("Sci Fi!")),
        mutate(&|v| v["currency"] = json!("dollars")),
        mutate(&|v| v["published_year"] = json!(99999)),
        mutate(&|v| v["version"] = json!(7)),
    ] {
        let res = app
            .http
            .post(app.url("/api/v1/admin/books"))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_problem(res, 422, "validation_failed").await;
    }
    assert!(
        app.api
            .list_books(&BookQuery::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

/// A book's `ETag` changes whenever its representation does (a sale moves the stock, not the
/// version), so caches revalidate it; `If-Match` takes that `ETag`, a bare version or `*`.
#[tokio::test]
async fn etags_follow_the_stock_and_if_match_takes_star() {
    let app = TestApp::spawn().await;
    let book = app.book("Tagged", 5).await;
    let path = format!("/api/v1/books/{}", book.id);
    let etag_of = |res: &reqwest::Response| res.headers()["etag"].to_str().unwrap().to_owned();
    let first = app.http.get(app.url(&path)).send().await.unwrap();
    let e1 = etag_of(&first);
    app.customer()
        .await
        .place_order(&order_of(vec![line(book.id, 1)]), None)
        .await
        .unwrap();
    let second = app.http.get(app.url(&path)).send().await.unwrap();
    let e2 = etag_of(&second);
    assert_ne!(e1, e2, "the stock moved, so the representation did");
    assert_eq!(second.json::<Book>().await.unwrap().stock, 4);
    // Revalidation: the current tag is not modified, the old one is.
    let res = app
        .http
        .get(app.url(&path))
        .header("If-None-Match", &e2)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 304);
    let res = app
        .http
        .get(app.url(&path))
        .header("If-None-Match", &e1)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    let put = |if_match: String, title: &'static str| {
        let mut details = new_details(title, "An Author", "fiction", 1000);
        details.isbn = book.isbn.clone();
        app.http
            .put(app.url(&format!("/api/v1/admin/books/{}", book.id)))
            .bearer_auth(app.admin.token().unwrap())
            .header("If-Match", if_match)
            .json(&details)
            .send()
    };
    // An ETag read before the sale still names version 1 of the details.
    let res = put(e1.clone(), "Tagged 2").await.unwrap();
    assert_eq!(res.status(), 200);
    let e3 = etag_of(&res);
    let edited: Book = res.json().await.unwrap();
    assert_eq!(edited.version, 2);
    let res = app.http.get(app.url(&path)).send().await.unwrap();
    assert_eq!(
        etag_of(&res),
        e3,
        "an edit answers with the tag a read gives"
    );
    // Now version 1 is stale, in either spelling.
    for stale in [e1, "\"1\"".to_owned(), "W/\"1\"".to_owned()] {
        let res = put(stale, "Tagged 3").await.unwrap();
        assert_problem(res, 412, "precondition_failed").await;
    }
    // `*` matches any current representation.
    let res = put("*".into(), "Tagged 4").await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Book>().await.unwrap().version, 3);
    let res = app
        .http
        .delete(app.url(&format!("/api/v1/admin/books/{}", book.id)))
        .bearer_auth(app.admin.token().unwrap())
        .header("If-Match", "*")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let res = put("*".into(), "Gone").await.unwrap();
    assert_problem(res, 404, "not_found").await;
}

/// An admin change DynamoDB applied but whose answer was held past the SDK's timeouts is read
/// back by its audit entry and answered as made: a restock is not done twice by a retry.
#[tokio::test]
async fn an_admin_change_whose_answer_is_lost_is_read_back_and_answered_as_made() {
    use crate::slow_proxy::Hold;
    let delay = std::time::Duration::from_secs(5);
    let (app, proxy) = spawn_behind_slow_proxy("TransactWriteItems", delay).await;
    let book = app.book("Slow Restock", 5).await;
    proxy.hold(Hold::Answers);
    let adjusted = app
        .admin
        .admin_adjust_stock(
            book.id,
            &StockAdjustment {
                delta: 4,
                reason: None,
            },
        )
        .await;
    proxy.hold(Hold::Nothing);
    assert_eq!(adjusted.expect("the restocked book").stock, 9);
    tokio::time::sleep(delay).await;
    assert_eq!(app.api.get_book(book.id).await.unwrap().stock, 9);
}

/// A book has no currency of its own: requests carry none, and every book is in the shop's.
#[tokio::test]
async fn books_are_created_and_edited_without_a_currency() {
    let app = TestApp::spawn_with(|s| s.currency = "GBP".into()).await;
    let token = app.admin.token().unwrap().to_owned();
    let body = serde_json::to_value(new_book("Priceless", "A", "fiction", 1250, 3)).unwrap();
    assert!(body.get("currency").is_none(), "{body}");
    let res = app
        .http
        .post(app.url("/api/v1/admin/books"))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let created: Book = res.json().await.unwrap();
    assert_eq!(created.currency.as_str(), "GBP");

    let details = serde_json::to_value(new_details("Priceless", "B", "fiction", 999)).unwrap();
    let res = app
        .http
        .put(app.url(&format!("/api/v1/admin/books/{}", created.id)))
        .bearer_auth(&token)
        .header("If-Match", "*")
        .json(&details)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let edited: Book = res.json().await.unwrap();
    assert_eq!(
        (edited.currency.as_str(), edited.price_cents.get()),
        ("GBP", 999)
    );
    assert_eq!(app.api.get_book(created.id).await.unwrap(), edited);
}

/// A `currency` in a book request is refused (422 `validation_failed`, naming the field), even
/// the shop's own: the request schemas have no such field, and unknown fields are refused.
#[tokio::test]
async fn a_currency_in_a_book_request_is_refused() {
    let app = TestApp::spawn().await;
    let token = app.admin.token().unwrap().to_owned();
    let book = app.book("Kept", 2).await;
    for currency in ["USD", "EUR"] {
        let mut body = serde_json::to_value(new_book("Dollars", "A", "fiction", 999, 1)).unwrap();
        body["currency"] = json!(currency);
        let res = app
            .http
            .post(app.url("/api/v1/admin/books"))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let problem = assert_problem(res, 422, "validation_failed").await;
        assert!(
            problem["detail"].as_str().unwrap().contains("currency"),
            "{problem}"
        );

        let mut details = serde_json::to_value(new_details("Kept", "A", "fiction", 1)).unwrap();
        details["isbn"] = json!(book.isbn);
        details["currency"] = json!(currency);
        let res = app
            .http
            .put(app.url(&format!("/api/v1/admin/books/{}", book.id)))
            .bearer_auth(&token)
            .header("If-Match", "*")
            .json(&details)
            .send()
            .await
            .unwrap();
        assert_problem(res, 422, "validation_failed").await;
    }
    // Nothing was added or changed.
    let books = app
        .api
        .list_books(&BookQuery::default())
        .await
        .unwrap()
        .items;
    assert_eq!(books, vec![app.api.get_book(book.id).await.unwrap()]);
    assert_eq!((books[0].version, books[0].currency.as_str()), (1, "EUR"));
}
