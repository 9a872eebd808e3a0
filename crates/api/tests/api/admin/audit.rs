//! `GET /api/v1/admin/audit`.
use crate::helpers::*;
use bookstore_model::*;
use serde_json::json;

#[tokio::test]
async fn every_admin_change_is_audited() {
    let app = TestApp::spawn().await;
    let book = app.book("Audited", 2).await;
    let mut details = new_details("Audited 2", "A", "fiction", 700);
    details.isbn = book.isbn.clone();
    app.admin
        .admin_update_book(book.id, 1, &details)
        .await
        .unwrap();
    app.admin
        .admin_adjust_stock(
            book.id,
            &StockAdjustment {
                delta: 5,
                reason: Some("found a box".into()),
            },
        )
        .await
        .unwrap();
    app.admin.admin_delete_book(book.id, None).await.unwrap();

    let admin_me = app.admin.me().await.unwrap();
    let log = app
        .admin
        .admin_audit(&PageQuery {
            limit: Some(10),
            cursor: None,
        })
        .await
        .unwrap()
        .items;
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            &["book.delete", "book.stock", "book.update", "book.create"][..],
            // The test genres, added as the app started (the page holds the first 10).
            &["genre.add"; TEST_GENRES.len()][..10 - 4],
        ]
        .concat()
    );
    assert!(log[..4].iter().all(|e| e.actor_id == admin_me.id
        && e.actor_email == ADMIN_EMAIL
        && e.book_id == Some(book.id)));
    assert_eq!(log[1].before, Some(json!({"stock": 2})));
    assert_eq!(log[1].after, Some(json!({"stock": 7})));
    assert_eq!(log[1].note.as_deref(), Some("found a box"));
    assert_eq!(log[2].before.as_ref().unwrap()["title"], "Audited");
    assert_eq!(log[2].after.as_ref().unwrap()["title"], "Audited 2");
    assert!(log[0].after.is_none() && log[3].before.is_none());
}
