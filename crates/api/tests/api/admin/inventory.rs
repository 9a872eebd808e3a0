//! `GET /api/v1/admin/inventory`: the staff's stock listing, sorted, filtered and paged.
use crate::helpers::*;
use bookstore_client::Client;
use bookstore_model::*;

/// Alpha (fiction, 10 then 7 after a sale), bravo (history, 2: low), Charlie (fiction, 0: low,
/// out), delta (poetry, 7 then 6, its own threshold 8: low).
async fn shelf(app: &TestApp) -> [Book; 4] {
    let add = |title: &'static str, genre: &'static str, stock| {
        let admin = app.admin.clone();
        async move {
            admin
                .admin_create_book(&new_book(title, "Author", genre, 1000, stock))
                .await
                .unwrap()
        }
    };
    let a = add("Alpha", "fiction", 10).await;
    let b = add("bravo", "history", 2).await;
    let c = add("Charlie", "fiction", 0).await;
    let d = add("delta", "poetry", 7).await;
    app.admin
        .admin_set_low_stock_threshold(d.id, Some(8))
        .await
        .unwrap();
    let shopper = app.customer().await;
    buy(&shopper, a.id, 3).await;
    buy(&shopper, d.id, 1).await;
    [a, b, c, d]
}

async fn titles(admin: &Client, q: InventoryQuery) -> Vec<String> {
    let page = admin.admin_inventory(&q).await.unwrap();
    page.items.iter().map(|i| i.title.to_string()).collect()
}

fn sorted(sort: InventorySort) -> InventoryQuery {
    InventoryQuery {
        sort: Some(sort),
        ..Default::default()
    }
}

#[tokio::test]
async fn the_inventory_sorts_by_title_genre_stock_and_sales() {
    let app = TestApp::spawn().await;
    let [a, _, c, d] = shelf(&app).await;
    let admin = &app.admin;
    use InventorySort::*;
    assert_eq!(
        titles(admin, sorted(Title)).await,
        ["Alpha", "bravo", "Charlie", "delta"]
    );
    assert_eq!(
        titles(admin, sorted(TitleDesc)).await,
        ["delta", "Charlie", "bravo", "Alpha"]
    );
    assert_eq!(
        titles(admin, sorted(Stock)).await,
        ["Charlie", "bravo", "delta", "Alpha"]
    );
    assert_eq!(
        titles(admin, sorted(StockDesc)).await,
        ["Alpha", "delta", "bravo", "Charlie"]
    );
    assert_eq!(
        &titles(admin, sorted(SoldDesc)).await[..2],
        ["Alpha", "delta"]
    );
    assert_eq!(&titles(admin, sorted(Sold)).await[2..], ["delta", "Alpha"]);
    let by_genre = titles(admin, sorted(Genre)).await;
    assert_eq!(&by_genre[2..], ["bravo", "delta"]);
    let by_genre_desc = titles(admin, sorted(GenreDesc)).await;
    assert_eq!(&by_genre_desc[..2], ["delta", "bravo"]);

    let page = admin.admin_inventory(&sorted(Stock)).await.unwrap();
    assert_eq!((page.matching, page.low_stock), (4, 3));
    let alpha = page.items.iter().find(|i| i.id == a.id).unwrap();
    assert_eq!(
        (
            alpha.stock,
            alpha.sold,
            alpha.effective_threshold,
            alpha.low
        ),
        (7, 3, 5, false)
    );
    let delta = page.items.iter().find(|i| i.id == d.id).unwrap();
    assert_eq!(
        (
            delta.low_stock_threshold,
            delta.effective_threshold,
            delta.low
        ),
        (Some(8), 8, true)
    );
    assert!(page.items.iter().any(|i| i.id == c.id && i.stock == 0));

    // Every sort pages through every book once, one at a time.
    for sort in InventorySort::ALL {
        let all = all_pages(1, |cursor| {
            let q = InventoryQuery {
                sort: Some(*sort),
                limit: Some(1),
                cursor,
                ..Default::default()
            };
            async move {
                let p = admin.admin_inventory(&q).await.unwrap();
                Page {
                    items: p.items,
                    next_cursor: p.next_cursor,
                }
            }
        })
        .await;
        let got: Vec<String> = all.iter().map(|i| i.title.to_string()).collect();
        assert_eq!(got, titles(admin, sorted(*sort)).await, "{sort:?}");
    }
}

#[tokio::test]
async fn the_inventory_filters_by_genre_text_low_and_out_of_stock() {
    let app = TestApp::spawn().await;
    let [_, b, _, d] = shelf(&app).await;
    let admin = &app.admin;
    let q = |f: fn(&mut InventoryQuery)| {
        let mut q = InventoryQuery::default();
        f(&mut q);
        q
    };
    assert_eq!(
        titles(admin, q(|q| q.genre = Some("fiction".into()))).await,
        ["Alpha", "Charlie"]
    );
    assert_eq!(
        titles(admin, q(|q| q.q = Some("AR".into()))).await,
        ["Charlie"]
    );
    let low = admin
        .admin_inventory(&q(|q| q.low = Some(true)))
        .await
        .unwrap();
    let names: Vec<String> = low.items.iter().map(|i| i.title.to_string()).collect();
    assert_eq!(names, ["bravo", "Charlie", "delta"]);
    assert_eq!((low.matching, low.low_stock), (3, 3));
    assert_eq!(
        titles(admin, q(|q| q.out_of_stock = Some(true))).await,
        ["Charlie"]
    );
    assert_eq!(
        titles(
            admin,
            q(|q| {
                q.low = Some(true);
                q.genre = Some("history".into());
            })
        )
        .await,
        ["bravo"]
    );
    // The book's threshold back to the default (5): delta (6) leaves the low-stock view at
    // once; a restock takes bravo out too.
    admin
        .admin_set_low_stock_threshold(d.id, None)
        .await
        .unwrap();
    admin
        .admin_adjust_stock(
            b.id,
            &StockAdjustment {
                delta: 10,
                reason: None,
            },
        )
        .await
        .unwrap();
    let low = admin
        .admin_inventory(&q(|q| q.low = Some(true)))
        .await
        .unwrap();
    assert_eq!(low.low_stock, 1);
    assert_eq!(low.items[0].title.as_str(), "Charlie");
}

#[tokio::test]
async fn bad_inventory_queries_are_refused() {
    let app = TestApp::spawn().await;
    shelf(&app).await;
    let first = app
        .admin
        .admin_inventory(&InventoryQuery {
            limit: Some(1),
            ..Default::default()
        })
        .await
        .unwrap();
    // A cursor of another sort is not this listing's.
    let elsewhere = InventoryQuery {
        sort: Some(InventorySort::Stock),
        cursor: first.next_cursor,
        ..Default::default()
    };
    assert_eq!(
        code_of(app.admin.admin_inventory(&elsewhere).await),
        (400, ProblemCode::InvalidCursor)
    );
    let too_many = InventoryQuery {
        limit: Some(101),
        ..Default::default()
    };
    assert_eq!(
        code_of(app.admin.admin_inventory(&too_many).await),
        (400, ProblemCode::InvalidQuery)
    );
    let res = app
        .http
        .get(app.url("/api/v1/admin/inventory?sort=price"))
        .bearer_auth(app.admin.token().unwrap())
        .send()
        .await
        .unwrap();
    assert_problem(res, 400, "invalid_query").await;
    let customer = app.customer().await;
    assert_eq!(
        code_of(customer.admin_inventory(&InventoryQuery::default()).await).0,
        403
    );
}

#[tokio::test]
async fn the_snapshot_is_forgotten_by_catalogue_writes_and_ages_out_sales() {
    let app = TestApp::spawn_with(|s| s.inventory.snapshot_max_age_ms = 4000).await;
    let book = app.book("Snapshotted", 10).await;
    let stock = || async {
        let page = app
            .admin
            .admin_inventory(&InventoryQuery::default())
            .await
            .unwrap();
        page.items[0].stock
    };
    assert_eq!(stock().await, 10);
    // This instance's own catalogue write shows at once.
    app.admin
        .admin_adjust_stock(
            book.id,
            &StockAdjustment {
                delta: 5,
                reason: None,
            },
        )
        .await
        .unwrap();
    let shopper = app.customer().await;
    assert_eq!(stock().await, 15);
    let read_at = std::time::Instant::now();
    // A sale is not a catalogue write: it shows once the snapshot is older than its age.
    buy(&shopper, book.id, 2).await;
    let seen = stock().await;
    if read_at.elapsed() < std::time::Duration::from_millis(3500) {
        assert_eq!(seen, 15);
    }
    // Past it, the next request reads the books again (and waits for them).
    tokio::time::sleep(std::time::Duration::from_millis(4100)).await;
    assert_eq!(stock().await, 13);
}
