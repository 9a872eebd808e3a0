//! The admin's paths, and who may not take them.
use crate::support::*;
use bookstore_model::*;

fn row(id: BookId) -> String {
    format!("tbody.inv-row[data-book-id='{id}']")
}

#[tokio::test]
async fn an_admin_adds_a_book_and_a_shoppers_open_page_shows_it_live() {
    let _serial = serial().await;
    let shop = Shop::start().await;
    shop.book("Older Arrival", "Ida Lund", 800, 4).await;
    let b = Browser::start(&shop.url).await;

    // The shopper's window: the home page with its new arrivals.
    let shopper = b.c.window().await.unwrap();
    b.goto("/").await;
    b.wait_contains("#new-arrivals", "Older Arrival").await;
    b.wait_attr(".live", "data-link", "Open").await;

    // The admin, in another window (its own session storage).
    let admin = b.c.new_window(false).await.unwrap().handle;
    b.c.switch_to_window(admin.clone()).await.unwrap();
    b.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    b.wait_path(|p| p == "/admin", "the inventory").await;
    b.wait_contains("table.inventory", "Older Arrival").await;
    b.screenshot("admin-inventory").await;
    b.click("a[href='/admin/books/new']").await;
    b.fill("#new-title", "A Sudden Lighthouse").await;
    b.fill("#new-authors", "Noor Haddad, Eli Brandt").await;
    b.fill("#new-isbn", &unique_isbn()).await;
    // The genre is picked from the shop's list.
    b.choose("#new-genre", "mystery").await;
    b.fill("#new-price", "18.40").await;
    b.fill("#new-year", "3000").await;
    b.fill(
        "#new-description",
        "Keepers, storms and one missing logbook.",
    )
    .await;
    b.fill("#new-stock", "7").await;
    b.click("#new-book button[type=submit]").await;
    // The API's own validation message.
    b.wait_contains("#new-book-error", "published_year must be between")
        .await;
    b.screenshot("admin-new-book-error").await;
    b.fill("#new-year", "2024").await;
    b.click("#new-book button[type=submit]").await;
    b.wait_path(|p| p.starts_with("/books/"), "the new book's page")
        .await;
    b.wait_contains(".book h1", "A Sudden Lighthouse").await;
    b.wait_contains(".book .price", "$18.40").await;

    // The shopper's page shows it, without a reload.
    b.c.switch_to_window(shopper).await.unwrap();
    b.wait_contains("#new-arrivals", "A Sudden Lighthouse")
        .await;
    b.screenshot("home-new-arrival-live").await;
    b.close().await;
}

#[tokio::test]
async fn a_stale_admin_edit_is_refused_and_explained_never_overwritten() {
    let _serial = serial().await;
    let shop = Shop::start().await;
    let book = shop.book("Clockwork Orchard", "Tess Moreau", 2000, 2).await;
    let doomed = shop.book("Doomed Pamphlet", "Anon Ymous", 100, 50).await;
    let b = Browser::start(&shop.url).await;
    b.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    b.goto("/admin").await;
    b.fill("#inv-q", "clockwork").await;
    b.click(".filters button[type=submit]").await;
    b.wait_contains(&row(book.id), "Clockwork Orchard").await;
    // Two left: highlighted as low stock.
    b.find(&format!("{}.low", row(book.id))).await;

    // A screen reader lists the row's buttons with the book they act on.
    b.wait_attr(
        &format!("{} td.actions button.danger", row(book.id)),
        "aria-label",
        &format!("Delete {}", book.title),
    )
    .await;

    // Open the editor, then someone else saves first.
    b.click_text(&format!("{} button", row(book.id)), "Edit")
        .await;
    b.find(&format!("#edit-{}-title", book.id)).await;
    let mut theirs = details("Clockwork Orchard", "Tess Moreau", 2500);
    theirs.isbn = book.isbn.clone();
    shop.admin
        .admin_update_book(book.id, book.version, &theirs)
        .await
        .unwrap();

    b.fill(
        &format!("#edit-{}-title", book.id),
        "Clockwork Orchard, Revised",
    )
    .await;
    b.click_text(&format!("{} button", row(book.id)), "Save")
        .await;
    let conflict = b.wait_contains("#edit-conflict", ADMIN_EMAIL).await;
    assert!(conflict.contains("not saved"), "{conflict}");
    assert!(conflict.contains("price cents: 2000 → 2500"), "{conflict}");
    b.screenshot("admin-edit-conflict").await;
    // Nothing was overwritten.
    let now = shop.api.get_book(book.id).await.unwrap();
    assert_eq!(now.title.as_str(), "Clockwork Orchard");
    assert_eq!(now.price_cents.get(), 2500);

    b.click_text(&format!("{} button", row(book.id)), "Reload the latest")
        .await;
    b.wait_contains(&format!("{} td.price", row(book.id)), "$25.00")
        .await;

    // Edit again from the latest version: accepted.
    b.click_text(&format!("{} button", row(book.id)), "Edit")
        .await;
    b.fill(&format!("#edit-{}-price", book.id), "21.00").await;
    b.click_text(&format!("{} button", row(book.id)), "Save")
        .await;
    b.wait_contains(&format!("{} td.price", row(book.id)), "$21.00")
        .await;
    assert_eq!(
        shop.api.get_book(book.id).await.unwrap().price_cents.get(),
        2100
    );

    // Restock.
    b.click_text(&format!("{} button", row(book.id)), "Restock")
        .await;
    b.fill(&format!("#delta-{}", book.id), "8").await;
    b.click_text(&format!("{} button", row(book.id)), "Apply")
        .await;
    b.wait_attr(&format!("{} td.stock", row(book.id)), "data-stock", "10")
        .await;
    assert!(!b.exists(&format!("{}.low", row(book.id))).await);

    // Delete, after confirming.
    b.fill("#inv-q", "doomed").await;
    b.click(".filters button[type=submit]").await;
    b.click_text(&format!("{} button", row(doomed.id)), "Delete")
        .await;
    b.wait_contains(&format!("{} .confirm", row(doomed.id)), "cannot be undone")
        .await;
    b.screenshot("admin-delete-confirm").await;
    b.click_text(
        &format!("{} .confirm button", row(doomed.id)),
        "Yes, delete",
    )
    .await;
    b.wait_contains(".success", "Deleted “Doomed Pamphlet”")
        .await;
    assert_eq!(
        shop.api.get_book(doomed.id).await.unwrap_err().status(),
        Some(404)
    );

    // Orders and the audit log.
    let (_, customer) = shop.customer().await;
    customer
        .place_order(&crate::support::order_of(book.id, 1), None)
        .await
        .unwrap();
    b.goto("/admin/orders").await;
    b.wait_contains("table.admin-orders", "Paid").await;
    // The menu marks the screen shown, and only it.
    b.wait_attr(".nav a[href='/admin/orders']", "aria-current", "page")
        .await;
    let inventory = b.find(".nav a[href='/admin']").await;
    assert_eq!(inventory.attr("aria-current").await.unwrap(), None);
    b.wait_contains("table.admin-orders", "Browser Reader")
        .await;
    b.screenshot("admin-orders").await;
    b.click("table.admin-orders th a").await;
    b.wait_contains(".admin-lines", "Clockwork Orchard").await;
    b.goto("/admin/audit").await;
    b.wait_contains("table.audit", "book.update").await;
    b.wait_contains("table.audit", "book.delete").await;
    b.screenshot("admin-audit").await;
    b.close().await;
}

#[tokio::test]
async fn customers_never_reach_admin_screens_and_a_refused_token_means_log_in_again() {
    let _serial = serial().await;
    let shop = Shop::start().await;
    let b = Browser::start(&shop.url).await;

    // Nobody logged in.
    b.goto("/admin").await;
    b.wait_contains("#admin-denied", "Admins only").await;
    assert!(b.exists("#admin-denied a[href^='/login']").await);

    // A customer.
    b.register("Curious Customer").await;
    assert!(!b.exists("a[href='/admin']").await, "no admin link");
    for path in [
        "/admin",
        "/admin/books/new",
        "/admin/orders",
        "/admin/audit",
    ] {
        b.goto(path).await;
        b.wait_contains("#admin-denied", "Admins only").await;
        assert!(!b.exists("table.inventory").await);
        assert!(!b.exists("#new-book").await);
    }
    // Within the app (the request log is then complete: it starts before these pages do), the
    // pages know the session is a customer's and never ask the admin API.
    b.goto("/").await;
    for path in [
        "/admin",
        "/admin/orders",
        "/admin/audit",
        "/admin/books/new",
    ] {
        b.c.execute(
            "history.pushState(null, '', arguments[0]); \
             window.dispatchEvent(new PopStateEvent('popstate'));",
            vec![serde_json::json!(path)],
        )
        .await
        .unwrap();
        b.wait_path(|p| p == path, path).await;
        b.wait_contains("#admin-denied", "Admins only").await;
    }
    let requests = b.requests().await;
    assert!(
        requests.iter().all(|r| !r.contains("/api/v1/admin")),
        "{requests:?}"
    );
    b.screenshot("customer-denied").await;

    // An admin whose token the server refuses (expired, or signed with another key) is sent
    // back to log in.
    b.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    b.wait_path(|p| p == "/admin", "the inventory").await;
    // The login page's bundle has no admin screens: it puts /admin in the address bar, then
    // loads the admin bundle's page. Until that page is up, the document that refuses the
    // token below may be that page, whose logout would race this test's next page load.
    b.find("table.inventory").await;
    b.c.execute(
        "const s = JSON.parse(localStorage.getItem('bookstore.session')); \
         s.token = 'not.a.valid-token'; \
         localStorage.setItem('bookstore.session', JSON.stringify(s));",
        vec![],
    )
    .await
    .unwrap();
    b.goto("/admin/audit").await;
    b.wait_path(|p| p == "/login", "the login page").await;
    b.wait_contains(".notice", "session has expired").await;
    assert!(!b.exists(".who .user-name").await);
    b.close().await;
}
