//! An import applied in the background: 202 with the import's URL, progress on the record and
//! in the listing, a server killed mid-import finishing it by itself after a restart, and rows
//! that fail for good listed on the record.
use super::imports::{books_csv, count_books, import_and_wait, isbn};
use crate::helpers::*;
use bookstore_model::*;
use std::time::Duration;

/// Short leases and polls, so that a restarted server takes over the dead one's chunks soon.
const FAST_OUTBOX: &[(&str, &str)] = &[
    ("BOOKSTORE__WEBHOOKS__LEASE_SECS", "3"),
    ("BOOKSTORE__WEBHOOKS__TIMEOUT_MS", "1000"),
    ("BOOKSTORE__WEBHOOKS__POLL_MS", "300"),
];

/// 202 with `Location`; the record's counters only grow and add up to the rows at the end; the
/// listing has it, newest first; a key with `catalogue:read` may read it.
#[tokio::test]
async fn an_import_is_accepted_and_shows_its_progress() {
    let app = TestApp::spawn().await;
    let rows = if test_dynamo_enabled() { 200 } else { 2500 };
    let res = app
        .http
        .post(app.url(paths::ADMIN_IMPORT_BOOKS))
        .bearer_auth(app.admin.token().unwrap())
        .header("Content-Type", "text/csv")
        .body(books_csv(rows, 0))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let started: BookImport = res.json().await.unwrap();
    assert_eq!(location, paths::admin_import(started.id));
    assert_eq!(
        (started.status, started.rows, started.done()),
        (ImportStatus::Running, rows, 0)
    );
    let mut seen = Vec::new();
    let done = loop {
        let now = app.admin.admin_import(started.id).await.unwrap();
        assert!(now.done() <= rows, "{now:?}");
        seen.push(now.done());
        if now.status != ImportStatus::Running {
            break now;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "{seen:?}");
    assert_eq!(done.status, ImportStatus::Completed);
    assert_eq!(
        (done.created, done.updated, done.unchanged, done.failed),
        (rows, 0, 0, 0)
    );
    assert!(done.finished_at.is_some_and(|f| f >= done.started_at));
    assert_eq!(count_books(&app.api).await as u64, rows);

    let second = import_and_wait(&app.admin, books_csv(3, 0).into_bytes()).await;
    assert_eq!(second.unchanged, 3);
    let listed = app
        .admin
        .admin_list_imports(&PageQuery {
            limit: Some(1),
            cursor: None,
        })
        .await
        .unwrap();
    assert_eq!(listed.items, vec![second]);
    let rest = app
        .admin
        .admin_list_imports(&PageQuery {
            limit: Some(10),
            cursor: listed.next_cursor,
        })
        .await
        .unwrap();
    assert_eq!(rest.items, vec![done.clone()]);

    let key = app
        .admin
        .create_api_key(&NewApiKey {
            name: ApiKeyName::parse("Reader").unwrap(),
            scopes: vec![Scope::CatalogueRead],
            expires_at: None,
        })
        .await
        .unwrap()
        .key;
    let reader = app.api.authed(key);
    assert_eq!(reader.admin_import(done.id).await.unwrap(), done);
    let err = reader
        .admin_start_import(books_csv(1, 0).into_bytes())
        .await
        .unwrap_err();
    assert_eq!(
        err.problem().map(|p| p.code),
        Some(ProblemCode::InsufficientScope)
    );
    let res = app
        .http
        .get(app.url(&paths::admin_import(ImportId::new())))
        .bearer_auth(app.admin.token().unwrap())
        .send()
        .await
        .unwrap();
    assert_problem(res, 404, "not_found").await;
}

fn test_dynamo_enabled() -> bool {
    std::env::var("BOOKSTORE_TEST_STORE").as_deref() == Ok("dynamodb")
}

/// kill -9 in the middle of an import, restart: the import finishes by itself, every book once
/// (the ISBN claims), the counters exact (rows of the batch in flight at the kill count as
/// `unchanged` when re-applied) and the genre counts adding up to the books.
#[tokio::test]
async fn an_import_killed_mid_way_finishes_after_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let dynamo = test_dynamo().await;
    let rows = if dynamo.is_some() { 400 } else { 3000 };
    let mut server = start_server_with(data.path(), dynamo.as_ref(), FAST_OUTBOX).await;
    let admin = server.admin().await;
    let started = admin
        .admin_start_import(books_csv(rows, 0).into_bytes())
        .await
        .unwrap();
    // Kill once some batches are committed, long before all are.
    let mut at_kill = 0;
    for _ in 0..4000 {
        at_kill = admin.admin_import(started.id).await.unwrap().done();
        if at_kill > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.child.kill().expect("SIGKILL");
    server.child.wait().unwrap();
    assert!(
        at_kill > 0 && at_kill < rows,
        "{at_kill} of {rows} done at the kill"
    );

    let server = start_server_with(data.path(), dynamo.as_ref(), FAST_OUTBOX).await;
    let admin = server.admin().await;
    let before = admin.admin_import(started.id).await.unwrap();
    assert_eq!(before.status, ImportStatus::Running);
    assert!(
        before.done() >= at_kill && before.done() < rows,
        "{before:?}"
    );
    let done = tokio::time::timeout(
        Duration::from_secs(180),
        admin.admin_wait_import(started.id, || {
            tokio::time::sleep(Duration::from_millis(100))
        }),
    )
    .await
    .expect("the import did not finish after the restart")
    .unwrap();
    assert_eq!(done.status, ImportStatus::Completed, "{done:?}");
    assert_eq!((done.updated, done.failed), (0, 0), "{done:?}");
    assert_eq!(done.created + done.unchanged, rows, "{done:?}");
    assert!(done.created >= before.created, "{before:?} then {done:?}");
    assert_eq!(count_books(&server.client).await as u64, rows);
    let genres: i64 = server
        .client
        .genres()
        .await
        .unwrap()
        .iter()
        .map(|g| g.count)
        .sum();
    assert_eq!(genres, rows as i64);
}

/// A row whose genre is removed after the file was accepted (before the row is applied) fails
/// for good: counted and listed by line, the other rows applied.
#[tokio::test]
async fn a_row_that_cannot_be_applied_is_listed_on_the_import() {
    let app = TestApp::spawn().await;
    let rows = if test_dynamo_enabled() { 300 } else { 3000 };
    let genre = Genre::parse("short-lived").unwrap();
    app.admin.admin_add_genre(&genre).await.unwrap();
    // The last row, applied last in its chunk: the genre is gone by then.
    let mut csv = books_csv(rows - 1, 0);
    csv.push_str(&format!(
        "{},Gone,A,short-lived,,1,2000,,\n",
        isbn(rows - 1)
    ));
    let started = app
        .admin
        .admin_start_import(csv.into_bytes())
        .await
        .unwrap();
    app.admin.admin_remove_genre(&genre).await.unwrap();
    let done = app
        .admin
        .admin_wait_import(started.id, || tokio::time::sleep(Duration::from_millis(50)))
        .await
        .unwrap();
    assert_eq!(done.status, ImportStatus::Completed);
    assert_eq!((done.created, done.failed), (rows - 1, 1), "{done:?}");
    // Line 1 is the header and each row's description spans two lines.
    assert_eq!(done.failures.len(), 1);
    assert_eq!(done.failures[0].line, 2 + 2 * (rows - 1));
    assert!(
        done.failures[0].message.contains("genre"),
        "{:?}",
        done.failures
    );
}
