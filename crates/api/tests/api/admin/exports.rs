//! `/api/v1/admin/exports`: the orders export (the books export's round trip through the
//! import is in `imports.rs`).
use crate::helpers::*;
use bookstore_model::*;

/// The orders export: one row per order, newest first, within the time range and status
/// asked; a title that looks like a formula is neutralised.
#[tokio::test]
async fn orders_export_by_time_and_status() {
    let app = TestApp::spawn().await;
    let book = app
        .admin
        .admin_create_book(&new_book("=1+1 Tricks", "A", "fiction", 500, 50))
        .await
        .unwrap();
    let shopper = app.customer().await;
    let first = buy(&shopper, book.id, 1).await;
    let between = chrono::Utc::now();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let second = buy(&shopper, book.id, 2).await;
    app.admin.admin_cancel_order(second.id).await.unwrap();

    let rows = |csv: Vec<u8>| -> Vec<String> {
        String::from_utf8(csv)
            .unwrap()
            .lines()
            .skip(1)
            .map(str::to_owned)
            .collect()
    };
    let all = rows(
        app.admin
            .admin_export_orders(&OrderExportQuery::default())
            .await
            .unwrap(),
    );
    assert_eq!(all.len(), 2);
    assert!(all[0].starts_with(&second.id.to_string()), "newest first");
    // Starting with a digit, the lines cell is not a formula: left as it is.
    assert!(all[1].contains(",paid,"), "{}", all[1]);
    assert!(all[1].contains(",1 x =1+1 Tricks,"), "{}", all[1]);

    let before = rows(
        app.admin
            .admin_export_orders(&OrderExportQuery {
                to: Some(between),
                ..Default::default()
            })
            .await
            .unwrap(),
    );
    assert_eq!(before.len(), 1);
    assert!(before[0].starts_with(&first.id.to_string()));
    let after = rows(
        app.admin
            .admin_export_orders(&OrderExportQuery {
                from: Some(between),
                ..Default::default()
            })
            .await
            .unwrap(),
    );
    assert_eq!(after.len(), 1);
    assert!(after[0].starts_with(&second.id.to_string()));
    let cancelled = rows(
        app.admin
            .admin_export_orders(&OrderExportQuery {
                status: Some(OrderStatus::Cancelled),
                ..Default::default()
            })
            .await
            .unwrap(),
    );
    assert_eq!(cancelled.len(), 1);
    assert!(cancelled[0].contains(",cancelled,"));
}
