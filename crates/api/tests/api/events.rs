//! `GET /api/v1/events`: live stock over server-sent events.
use crate::helpers::*;
use bookstore_model::*;
use std::time::Duration;

/// Reads the stream until `want` has been seen (or gives up after a while); returns all text.
async fn read_until(res: &mut reqwest::Response, want: &str) -> String {
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !seen.contains(want) {
        let chunk = tokio::time::timeout_at(deadline, res.chunk())
            .await
            .unwrap_or_else(|_| panic!("no “{want}” in the stream; got:\n{seen}"))
            .unwrap()
            .unwrap_or_else(|| panic!("the stream ended; got:\n{seen}"));
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    seen
}

fn stock_frame(id: BookId, stock: i64, version: i64) -> String {
    format!(
        "event: stock\ndata: {}\n\n",
        serde_json::to_string(&StockEvent {
            book_id: id,
            stock,
            version
        })
        .unwrap()
    )
}

#[tokio::test]
async fn streams_the_snapshot_then_stock_changes_and_new_books() {
    let app = TestApp::spawn().await;
    let book = app.book("Streamed Stories", 5).await;
    let other = app.book("Unwatched", 5).await;
    let mut res = app
        .http
        .get(app.url(&format!("/api/v1/events?books={}", book.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let ct = res.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(ct.starts_with("text/event-stream"), "{ct}");
    assert_eq!(res.headers()["cache-control"], "no-cache");

    // The snapshot: the watched book and the newest book.
    let first = read_until(&mut res, "event: catalogue").await;
    assert!(first.contains(&stock_frame(book.id, 5, 1)), "{first}");
    assert!(
        first.contains(&format!("\"newest\":\"{}\"", other.id)),
        "{first}"
    );

    // A sale elsewhere shows up; a sale of an unwatched book does not.
    let customer = app.customer().await;
    customer
        .place_order(&order_of(vec![line(other.id, 1)]), None)
        .await
        .unwrap();
    customer
        .place_order(&order_of(vec![line(book.id, 2)]), None)
        .await
        .unwrap();
    let next = read_until(&mut res, &stock_frame(book.id, 3, 1)).await;
    // (A catalogue event may name `other` as the newest book: the poller's first round
    // announces it too.)
    let other_stock = format!("\"book_id\":\"{}\"", other.id);
    assert!(!next.contains(&other_stock), "{next}");

    // An admin edit bumps the version.
    let mut d = new_details("Streamed Stories", "Test Author", "fiction", 1200);
    d.isbn = book.isbn.clone();
    app.admin.admin_update_book(book.id, 1, &d).await.unwrap();
    read_until(&mut res, &stock_frame(book.id, 3, 2)).await;

    // A new book: the catalogue event names it.
    let added = app.book("Fresh Off The Press", 1).await;
    read_until(&mut res, &format!("\"newest\":\"{}\"", added.id)).await;

    // Deleting the watched book.
    app.admin.admin_delete_book(book.id, None).await.unwrap();
    read_until(&mut res, "event: removed").await;
}

#[tokio::test]
async fn refuses_malformed_ids_and_too_many_books() {
    let app = TestApp::spawn().await;
    let res = app
        .http
        .get(app.url("/api/v1/events?books=not-an-id"))
        .send()
        .await
        .unwrap();
    assert_problem(res, 400, "invalid_query").await;
    let many: Vec<String> = (0..101).map(|_| BookId::new().to_string()).collect();
    let res = app
        .http
        .get(app.url(&format!("/api/v1/events?books={}", many.join(","))))
        .send()
        .await
        .unwrap();
    assert_problem(res, 400, "invalid_query").await;
}

#[tokio::test]
async fn two_instances_on_one_store_both_see_a_change() {
    // Two servers share one store (as API instances share one database): a sale through one
    // reaches a client of the other.
    let data = tempfile::tempdir().unwrap();
    let mut settings = bookstore_api::settings::Settings::for_tests(data.path());
    settings.jwt_secret = Some(JWT_SECRET.to_owned().into());
    settings.admin = Some(bookstore_api::settings::AdminBootstrap {
        email: ADMIN_EMAIL.into(),
        password: ADMIN_PASSWORD.to_owned().into(),
        name: "Admin".into(),
    });
    let (a, b) = match test_dynamo().await {
        // Two processes' worth of clients on one table.
        Some(dynamo) => {
            settings.store = bookstore_api::settings::StoreKind::Dynamodb;
            settings.dynamodb = Some(dynamo);
            let a = bookstore_api::startup::Application::build(settings.clone());
            (
                a.await.unwrap(),
                bookstore_api::startup::Application::build(settings)
                    .await
                    .unwrap(),
            )
        }
        // One fjall database cannot be opened twice: the instances share the store object.
        None => {
            let store = bookstore_api::startup::open_store(&settings).await.unwrap();
            let a = bookstore_api::startup::Application::build_with_store(
                settings.clone(),
                store.clone(),
            );
            let a = a.await.unwrap();
            (
                a,
                bookstore_api::startup::Application::build_with_store(settings, store)
                    .await
                    .unwrap(),
            )
        }
    };
    let (url_a, url_b) = (
        format!("http://127.0.0.1:{}", a.port()),
        format!("http://127.0.0.1:{}", b.port()),
    );
    tokio::spawn(a.run_until_stopped());
    tokio::spawn(b.run_until_stopped());
    let api_a = bookstore_client::Client::new(&url_a);
    let admin = api_a.authed(
        api_a
            .login(ADMIN_EMAIL, ADMIN_PASSWORD)
            .await
            .unwrap()
            .token,
    );
    add_test_genres(&admin).await;
    let book = admin
        .admin_create_book(&new_book("Shared Shelf", "A. Author", "fiction", 500, 4))
        .await
        .unwrap();
    let mut res = reqwest::Client::new()
        .get(format!("{url_b}/api/v1/events?books={}", book.id))
        .send()
        .await
        .unwrap();
    read_until(&mut res, &stock_frame(book.id, 4, 1)).await;
    admin
        .admin_adjust_stock(
            book.id,
            &StockAdjustment {
                delta: -1,
                reason: None,
            },
        )
        .await
        .unwrap();
    read_until(&mut res, &stock_frame(book.id, 3, 1)).await;
}

/// A stream holds a connection and a task as long as the client likes: one client may hold a
/// bounded number, and a stream it closes makes room for another.
#[tokio::test]
async fn a_client_holds_a_bounded_number_of_streams() {
    let app = TestApp::spawn_with(|s| s.rate_limit.streams_per_client = 2).await;
    let open = || app.http.get(app.url("/api/v1/events")).send();
    let mut first = open().await.unwrap();
    let mut second = open().await.unwrap();
    assert_eq!(
        (first.status().as_u16(), second.status().as_u16()),
        (200, 200)
    );
    read_until(&mut first, "event: catalogue").await;
    read_until(&mut second, "event: catalogue").await;
    assert_problem(open().await.unwrap(), 429, "rate_limited").await;

    drop(first);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let res = open().await.unwrap();
        if res.status() == 200 {
            break;
        }
        assert_eq!(res.status(), 429);
        assert!(
            tokio::time::Instant::now() < deadline,
            "a closed stream did not make room"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A book that does not exist is reported `removed` once and then no longer read: a stream
/// watching made-up ids does not make every poll of the instance read them.
#[tokio::test]
async fn ids_that_do_not_exist_are_not_polled_again() {
    let app = TestApp::spawn().await;
    let ghost = BookId::new();
    let mut res = app
        .http
        .get(app.url(&format!("/api/v1/events?books={ghost}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    read_until(&mut res, "event: removed").await;
    let batch_gets = || async {
        let text = app.metrics_text().await;
        text.lines()
            .find(|l| {
                l.starts_with("bookstore_store_call_duration_seconds_count{op=\"batch_get\"}")
            })
            .and_then(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // Let the poller see it (once a second), then count its reads over three more rounds.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let before = batch_gets().await;
    tokio::time::sleep(Duration::from_millis(3200)).await;
    let after = batch_gets().await;
    assert_eq!(after, before, "the poller still reads the missing book");
    drop(res);
}
