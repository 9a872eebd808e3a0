//! `GET /api/v1/genres`.
use crate::helpers::*;
use bookstore_model::*;

/// Genre counts are cached per instance, but the instance that changes the catalogue forgets
/// its counts at once: its next reader sees the change (create, a genre change, delete).
#[tokio::test]
async fn cached_genre_counts_follow_this_instances_catalogue_changes() {
    let app = TestApp::spawn_with(|s| s.genres_max_age_ms = 60_000).await;
    let counts = |list: Vec<GenreCount>| {
        list.into_iter()
            .map(|g| (g.genre.as_str().to_owned(), g.count))
            .collect::<Vec<_>>()
    };
    let a = app.book("Alpha", 1).await;
    assert_eq!(
        counts(app.api.genres().await.unwrap()),
        [("fiction".into(), 1)]
    );
    let b = app.book("Beta", 1).await;
    assert_eq!(
        counts(app.api.genres().await.unwrap()),
        [("fiction".into(), 2)]
    );
    app.admin
        .admin_update_book(
            b.id,
            b.version,
            &new_details("Beta", "A. Author", "history", 500),
        )
        .await
        .unwrap();
    assert_eq!(
        counts(app.api.genres().await.unwrap()),
        [("fiction".into(), 1), ("history".into(), 1)]
    );
    app.admin.admin_delete_book(a.id, None).await.unwrap();
    assert_eq!(
        counts(app.api.genres().await.unwrap()),
        [("history".into(), 1)]
    );
}
