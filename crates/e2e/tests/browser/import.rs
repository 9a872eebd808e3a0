//! The staff's CSV import: a file with problems shows each by line and column and writes
//! nothing; a good file is imported in the background, its progress shown until done, and it
//! stays in the list of latest imports.
use crate::support::*;
use bookstore_model::*;

const HEADER: &str = "isbn,title,authors,genre,price_cents,published_year,stock\n";

#[tokio::test]
async fn an_import_with_errors_shows_them_by_line_then_a_good_one_imports() {
    let _serial = serial().await;
    let shop = Shop::start().await;
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    let good = dir.path().join("good.csv");
    let (a, b_, c) = (unique_isbn(), unique_isbn(), unique_isbn());
    std::fs::write(
        &bad,
        format!("{HEADER}{a},Fine Book,Ann Lee,fiction,900,2001,3\n{b_},=cmd|' /C calc'!A0,Bo Ek,fiction,900,2001,1\n{c},Third,Cy Ng,fiction,lots,2001,1\n"),
    )
    .unwrap();
    let mut good_csv = format!(
        "{HEADER}{a},Fine Book,Ann Lee,fiction,900,2001,3\n{b_},Second Book,Bo Ek,fiction,900,2001,1\n"
    );
    const ROWS: usize = 300;
    for n in 2..ROWS {
        good_csv.push_str(&format!(
            "{},Book {n},Di Fo,mystery,500,1999,2\n",
            unique_isbn()
        ));
    }
    std::fs::write(&good, good_csv).unwrap();

    let b = Browser::start(&shop.url).await;
    b.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    b.wait_path(|p| p == "/admin", "the inventory").await;
    b.click("a[href='/admin/csv']").await;
    b.wait_path(|p| p == "/admin/csv", "the import page").await;

    b.find("input[name=csv]")
        .await
        .send_keys(bad.to_str().unwrap())
        .await
        .unwrap();
    b.click("button[name=check]").await;
    b.wait_contains(".import-report .summary", "2 problems")
        .await;
    let table = b
        .wait_contains("table.problems", "spreadsheet would run as a formula")
        .await;
    assert!(table.contains('3') && table.contains("title"), "{table}");
    b.wait_contains("table.problems", "price_cents").await;
    b.screenshot("admin-import-problems").await;
    // Importing it anyway is refused whole: the same problems, nothing written.
    b.click("button[name=import]").await;
    b.wait_contains(".import-report .summary", "nothing was imported")
        .await;
    assert!(
        shop.api
            .list_books(&BookQuery::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );

    b.find("input[name=csv]")
        .await
        .send_keys(good.to_str().unwrap())
        .await
        .unwrap();
    b.click("button[name=check]").await;
    b.wait_contains(".import-report .summary", "no problems")
        .await;
    b.click("button[name=import]").await;
    // Progress, polled until the import has finished: a real progress bar and the counts.
    b.wait_contains("#import-progress .summary", " rows").await;
    let bar = b.find("#import-progress progress").await;
    assert_eq!(bar.attr("max").await.unwrap().as_deref(), Some("300"));
    b.wait_contains(
        "#import-progress .summary",
        "Imported 300 rows: 300 added, 0 changed, 0 unchanged.",
    )
    .await;
    let bar = b.find("#import-progress progress").await;
    assert_eq!(bar.attr("value").await.unwrap().as_deref(), Some("300"));
    b.screenshot("admin-import-done").await;
    assert_eq!(count_books(&shop.api).await, ROWS);
    // After a reload the page lists it with the latest imports.
    b.goto("/admin/csv").await;
    b.wait_contains("table.imports", "completed").await;
    b.wait_contains("table.imports", "300 of 300").await;
    // On a phone the list stacks its cells and the page fits.
    b.c.set_window_size(390, 900).await.unwrap();
    b.fits_width("the import page").await;
    b.screenshot("admin-import-390").await;
    b.close().await;
}

/// Every book, all pages read.
async fn count_books(api: &bookstore_client::Client) -> usize {
    let mut q = BookQuery {
        limit: Some(100),
        ..Default::default()
    };
    let mut n = 0;
    loop {
        let page = api.list_books(&q).await.unwrap();
        n += page.items.len();
        match page.next_cursor {
            Some(c) => q.cursor = Some(c),
            None => return n,
        }
    }
}
