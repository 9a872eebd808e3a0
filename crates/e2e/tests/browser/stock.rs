//! The stock levels screen: sort, filter, the low-stock view and its count, a threshold edited
//! in place; at a phone's width too.
use crate::support::*;

/// Picks `value` in the select `css` as a user would (the app listens for `change`).
async fn choose(b: &Browser, css: &str, value: &str) {
    let el = b.find(css).await;
    b.c.execute(
        "arguments[0].value = arguments[1]; \
         arguments[0].dispatchEvent(new Event('change', { bubbles: true }));",
        vec![serde_json::to_value(&el).unwrap(), serde_json::json!(value)],
    )
    .await
    .unwrap();
}

const FIRST_ROW: &str = ".stock-table tbody tr:first-child th";

#[tokio::test]
async fn staff_sort_filter_and_watch_low_stock() {
    let _serial = serial().await;
    let shop = Shop::start().await;
    let plenty = shop.book("Plenty Shelf", "Ann Aro", 900, 40).await;
    shop.book("Thin Shelf", "Bo Berg", 900, 3).await;
    shop.book("Empty Shelf", "Cy Carr", 900, 0).await;
    let b = Browser::start(&shop.url).await;
    b.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    b.goto("/admin/stock").await;
    b.wait_contains("#view-low", "Low stock (2)").await;
    b.wait_contains(FIRST_ROW, "Empty Shelf").await;

    choose(&b, "#stock-sort", "-stock").await;
    b.wait_contains(FIRST_ROW, "Plenty Shelf").await;
    choose(&b, "#stock-sort", "stock").await;
    b.wait_contains(FIRST_ROW, "Empty Shelf").await;

    // The low-stock view lists only the two low books.
    b.click("#view-low").await;
    b.wait_text(".stock-table tbody", "the low books only", |t| {
        t.contains("Thin Shelf") && t.contains("Empty Shelf") && !t.contains("Plenty")
    })
    .await;
    b.click("#view-out").await;
    b.wait_text(".stock-table tbody", "the sold-out book only", |t| {
        t.contains("Empty Shelf") && !t.contains("Thin")
    })
    .await;

    // A threshold above the stock makes a book low: the count follows.
    b.click("#view-all").await;
    let input = format!("#threshold-{}", plenty.id);
    b.fill(&input, "50").await;
    b.click(&format!("{input} + button")).await;
    b.wait_contains("#view-low", "Low stock (3)").await;
    let seen = shop.admin.admin_book_inventory(plenty.id).await.unwrap();
    assert_eq!(seen.low_stock_threshold, Some(50));

    // A title filter.
    b.fill("#stock-q", "thin").await;
    b.click(".stock-levels form button[type=submit]").await;
    b.wait_text(".stock-table tbody", "Thin Shelf alone", |t| {
        t.contains("Thin Shelf") && !t.contains("Empty") && !t.contains("Plenty")
    })
    .await;

    b.c.set_window_size(390, 900).await.unwrap();
    b.fill("#stock-q", "").await;
    b.click(".stock-levels form button[type=submit]").await;
    b.wait_contains(".stock-table tbody", "Plenty Shelf").await;
    b.fits_width("the stock levels screen").await;
    b.screenshot("admin-stock-levels-390").await;
    b.close().await;
}
