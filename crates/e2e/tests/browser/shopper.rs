//! A shopper's paths: search, buy (through checkout: `checkout.rs`), return; live stock;
//! running out meanwhile.
use crate::support::*;
use bookstore_model::*;

fn card(id: BookId) -> String {
    format!("li.card[data-book-id='{id}']")
}

#[tokio::test]
async fn a_shopper_searches_buys_sees_stock_drop_and_asks_to_return_a_copy() {
    let _serial = serial().await;
    let shop = Shop::start().await;
    let book = shop
        .book("Quiet Lanterns of Harbour Town", "Mira Okafor", 1250, 5)
        .await;
    shop.book("Harbour Pilots", "Jon Brae", 990, 12).await;
    let b = Browser::start(&shop.url).await;

    b.goto("/").await;
    b.wait_contains("#new-arrivals", "Quiet Lanterns of Harbour Town")
        .await;
    b.screenshot("home").await;
    // The home page's search opens the catalogue's results within the app (no reload: the
    // page's own state survives).
    b.c.execute("window.__samePage = true;", vec![])
        .await
        .unwrap();
    b.fill("#home-q", "pilots").await;
    b.click(".hero form.search button[type=submit]").await;
    b.wait_path(|p| p == "/books", "the catalogue").await;
    b.wait_contains("#results", "Harbour Pilots").await;
    b.wait_text("#results", "only the matching book", |t| {
        !t.contains("Quiet Lanterns")
    })
    .await;
    let same =
        b.c.execute("return window.__samePage === true;", vec![])
            .await;
    assert_eq!(
        same.unwrap(),
        serde_json::json!(true),
        "the app was loaded again"
    );

    b.register("Test Shopper").await;

    // Search by words of the title.
    b.goto("/books").await;
    b.fill("#q", "lanterns harb").await;
    b.click(".filters button[type=submit]").await;
    b.wait_path(|p| p == "/books", "the catalogue").await;
    b.wait_contains("#results", "Quiet Lanterns of Harbour Town")
        .await;
    b.wait_title("Search: lanterns harb · Bookstore").await;
    let results = b
        .wait_text("#results", "only the matching book", |t| {
            !t.contains("Harbour Pilots")
        })
        .await;
    assert!(results.contains("$12.50"), "price shown: {results}");
    b.wait_attr(
        &format!("{} .availability", card(book.id)),
        "data-stock",
        "5",
    )
    .await;
    b.wait_contains(&format!("{} .availability", card(book.id)), "5 left")
        .await;
    b.screenshot("catalogue").await;

    // Search by ISBN too.
    b.fill("#q", book.isbn.as_str()).await;
    b.click(".filters button[type=submit]").await;
    b.wait_text("#results", "the book found by ISBN", |t| {
        t.contains("Quiet Lanterns") && !t.contains("Harbour Pilots")
    })
    .await;

    // The book page; two copies into the cart.
    b.click(&format!("{} a.card-link", card(book.id))).await;
    b.wait_path(|p| p == format!("/books/{}", book.id), "the book page")
        .await;
    b.wait_contains(".book .availability", "5 left").await;
    b.fill("#qty", "2").await;
    b.click(".buy .add-to-cart button").await;
    b.wait_text(".badge", "2 in the cart", |t| t.trim() == "2")
        .await;
    b.screenshot("book").await;

    // Checkout.
    b.click("a.cart-link").await;
    b.wait_contains("#cart-total", "$25.00").await;
    b.screenshot("cart").await;
    crate::checkout::checkout(&b, true, crate::checkout::VISA).await;
    let order_path = b
        .wait_path(|p| p.starts_with("/orders/"), "the order page")
        .await;
    b.wait_contains(".success", "Thank you").await;
    b.wait_contains("#order-status", "Paid").await;
    b.wait_text(".badge", "an empty cart", |t| t.trim() == "0")
        .await;
    b.screenshot("order").await;
    assert_eq!(shop.api.get_book(book.id).await.unwrap().stock, 3);

    // The stock dropped on the book's page.
    b.goto(&format!("/books/{}", book.id)).await;
    b.wait_attr(".book .availability", "data-stock", "3").await;

    // "My orders" lists it.
    b.goto("/orders").await;
    b.wait_contains(".orders-table", "Quiet Lanterns of Harbour Town")
        .await;

    // The shop ships it and it arrives: now it can be returned.
    let id: OrderId = order_path.trim_start_matches("/orders/").parse().unwrap();
    shop.admin
        .admin_ship_order(
            id,
            &ShipOrder {
                carrier: "DHL".into(),
                tracking_number: "JD0001".into(),
            },
        )
        .await
        .unwrap();
    shop.admin.admin_deliver_order(id).await.unwrap();

    // Return one of the two copies.
    b.goto(&order_path).await;
    b.wait_contains(
        &format!("tr[data-book-id='{}'] td.returnable", book.id),
        "2",
    )
    .await;
    b.fill(&format!("#ret-{}", book.id), "1").await;
    b.fill("#return-reason", "Bought one too many").await;
    b.click(".return-box button[type=submit]").await;
    b.wait_contains("#return-done", "Return accepted").await;
    // A return is a request: the order stays delivered, and the copy goes back on the shelf
    // when the shop receives it (not in this test).
    b.wait_contains(".returns", "Bought one too many").await;
    b.wait_contains("#order-status", "Delivered").await;
    b.screenshot("order-returned").await;
    assert_eq!(shop.api.get_book(book.id).await.unwrap().stock, 3);

    // A phone-sized catalogue.
    b.c.set_window_size(390, 844).await.unwrap();
    b.goto("/books").await;
    b.wait_contains("#results", "Quiet Lanterns").await;
    b.screenshot("phone-catalogue").await;
    b.close().await;
}

#[tokio::test]
async fn open_pages_follow_stock_live_and_the_cart_holds_back_what_ran_out() {
    let _serial = serial().await;
    let shop = Shop::start().await;
    let book = shop.book("The Last Ferry", "Ana Reyes", 1500, 3).await;
    let (_, other) = shop.customer().await;
    let b = Browser::start(&shop.url).await;
    b.register("Live Shopper").await;

    b.goto(&format!("/books/{}", book.id)).await;
    b.wait_attr(".book .availability", "data-stock", "3").await;
    b.wait_attr(".live", "data-link", "Open").await;
    b.wait_title("The Last Ferry · Bookstore").await;
    // Stock events must not rebuild the details (that would reset the quantity typed and
    // fetch the book again): mark the shown element, then check that it survives.
    b.c.execute(
        "document.querySelector('.book').dataset.probe = 'kept';",
        vec![],
    )
    .await
    .unwrap();
    let book_fetches = || async {
        let url = format!("/api/v1/books/{}", book.id);
        b.requests()
            .await
            .iter()
            .filter(|r| r.ends_with(&url))
            .count()
    };
    let fetched = book_fetches().await;

    // Another shopper buys two: the open page follows, without a reload.
    let order = crate::support::order_of(book.id, 2);
    other.place_order(&order, Some("other-1")).await.unwrap();
    b.wait_attr(".book .availability", "data-stock", "1").await;
    b.wait_contains(".book .availability", "1 left").await;
    b.wait_attr(".book", "data-probe", "kept").await;
    assert_eq!(book_fetches().await, fetched, "a sale reloaded the book");

    // An admin edits the book: the page shows the new details (the version moved).
    let edited = BookDetails {
        isbn: book.isbn.clone(),
        title: book.title.clone(),
        authors: book.authors.clone(),
        genre: book.genre.clone(),
        description: Description::parse("Now with the ferryman's log.").unwrap(),
        price_cents: book.price_cents,
        published_year: book.published_year,
    };
    shop.admin
        .admin_update_book(book.id, book.version, &edited)
        .await
        .unwrap();
    b.wait_contains(".book .description", "ferryman's log")
        .await;
    b.wait_attr(".book .availability", "data-stock", "1").await;

    // An admin restocks: up it goes.
    shop.admin
        .admin_adjust_stock(
            book.id,
            &StockAdjustment {
                delta: 5,
                reason: Some("delivery".into()),
            },
        )
        .await
        .unwrap();
    b.wait_attr(".book .availability", "data-stock", "6").await;

    // Three into the cart; then someone buys five, leaving one.
    b.fill("#qty", "3").await;
    b.click(".buy .add-to-cart button").await;
    b.wait_text(".badge", "3 in the cart", |t| t.trim() == "3")
        .await;
    b.click("a.cart-link").await;
    b.wait_contains("#cart-total", "$45.00").await;
    let five = crate::support::order_of(book.id, 5);
    other.place_order(&five, Some("other-2")).await.unwrap();
    // The cart sees it live...
    b.wait_contains(
        &format!("tr[data-book-id='{}'] .warn", book.id),
        "Only 1 left",
    )
    .await;
    // ...and holds checkout back until the line asks for no more than there is.
    b.wait_contains("#checkout-blocked", "lower their quantity")
        .await;
    b.wait_attr("#checkout", "disabled", "true").await;
    b.screenshot("checkout-shortage").await;
    assert_eq!(shop.api.get_book(book.id).await.unwrap().stock, 1);

    // Lower it to what is left, then buy it.
    let qty = format!("#qty-{}", book.id);
    b.fill(&qty, "1").await;
    let el = b.find(&qty).await;
    b.c.execute(
        "arguments[0].dispatchEvent(new Event('change', { bubbles: true }));",
        vec![serde_json::to_value(&el).unwrap()],
    )
    .await
    .unwrap();
    b.wait_contains("#cart-total", "$15.00").await;
    crate::checkout::checkout(&b, true, crate::checkout::VISA).await;
    b.wait_path(|p| p.starts_with("/orders/"), "the order page")
        .await;
    b.wait_contains(".success", "Thank you").await;
    assert_eq!(shop.api.get_book(book.id).await.unwrap().stock, 0);
    b.goto(&format!("/books/{}", book.id)).await;
    b.wait_contains(".book .availability", "Out of stock").await;
    b.close().await;
}

/// The answer to a checkout is lost, though the shop placed the order: pressing the button
/// again sends the same Idempotency-Key, and the shop answers with that order. One order,
/// stock taken once.
#[tokio::test]
async fn a_checkout_whose_answer_was_lost_is_retried_without_buying_twice() {
    let _serial = serial().await;
    let shop = Shop::start().await;
    let book = shop.book("Twice Told", "Iris Vane", 1200, 5).await;
    let (email, me) = shop.customer().await;
    let b = Browser::start(&shop.url).await;
    b.login(&email, PASSWORD).await;
    b.goto(&format!("/books/{}", book.id)).await;
    b.wait_attr(".book .availability", "data-stock", "5").await;
    b.fill("#qty", "2").await;
    b.click(".buy .add-to-cart button").await;
    b.wait_text(".badge", "2 in the cart", |t| t.trim() == "2")
        .await;
    b.click("a.cart-link").await;
    b.wait_contains("#cart-total", "$24.00").await;
    crate::checkout::address_and_shipping(&b, true).await;
    crate::checkout::enter_card(&b, crate::checkout::VISA).await;
    b.find("#place-order").await;
    // The next order request reaches the shop, but its answer never reaches the page.
    b.c.execute(
        "let drop = true; const f = window.fetch; \
         window.fetch = (r, o) => { \
           const p = f(r, o); \
           const post = ((o && o.method) || r.method) === 'POST'; \
           if (drop && post && String(r.url || r).endsWith('/api/v1/orders')) { \
             drop = false; return p.then(() => { throw new TypeError('Failed to fetch'); }); } \
           return p; };",
        vec![],
    )
    .await
    .unwrap();
    b.click("#place-order").await;
    b.wait_contains(".checkout-error", "connection failed")
        .await;
    assert_eq!(
        shop.api.get_book(book.id).await.unwrap().stock,
        3,
        "the first attempt was placed"
    );
    b.click("#retry-order").await;
    let path = b
        .wait_path(|p| p.starts_with("/orders/"), "the order page")
        .await;
    let orders = me.list_orders(&PageQuery::default()).await.unwrap().items;
    assert_eq!(orders.len(), 1, "bought twice");
    assert_eq!(path, format!("/orders/{}", orders[0].id));
    assert_eq!(shop.api.get_book(book.id).await.unwrap().stock, 3);
    b.close().await;
}

#[tokio::test]
async fn a_shopper_asks_to_be_mailed_when_a_sold_out_book_is_back() {
    let _serial = serial().await;
    let smtp = crate::smtp::SmtpServer::start();
    let shop = Shop::start_with(mail_to(&smtp)).await;
    let book = shop.book("The Long Wait", "Ida Penn", 1500, 0).await;
    let (email, _) = shop.customer().await;
    let b = Browser::start(&shop.url).await;

    // Signed out: an invitation to log in, and back to the book afterwards.
    b.goto(&format!("/books/{}", book.id)).await;
    b.wait_contains(".notify-me", "to be mailed when this book is back")
        .await;
    b.click_text(".notify-me a", "Log in").await;
    b.wait_path(|p| p == "/login", "the login page").await;
    b.fill("#login-email", &email).await;
    b.fill("#login-password", PASSWORD).await;
    b.click("form button[type=submit]").await;
    b.wait_path(|p| p.starts_with("/books/"), "back at the book")
        .await;

    // Ask, undo, ask again.
    b.click("#notify-me").await;
    b.wait_contains(".notify-me .notice", "We'll mail you")
        .await;
    b.screenshot("book-notify-me").await;
    b.click("#notify-undo").await;
    b.find("#notify-me").await;
    b.click("#notify-me").await;
    b.wait_contains(".notify-me .notice", "We'll mail you")
        .await;

    // Copies come back: the offer goes (live), and the shopper gets one mail.
    shop.admin
        .admin_adjust_stock(
            book.id,
            &StockAdjustment {
                delta: 3,
                reason: Some("reprint".into()),
            },
        )
        .await
        .unwrap();
    b.wait_text(".book-info", "the offer gone", |t| {
        !t.contains("We'll mail you") && t.contains("3 left")
    })
    .await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while !smtp.messages().iter().any(|m| {
        m.header("To").is_some_and(|t| t.contains(&email)) && m.text().contains("The Long Wait")
    }) {
        assert!(
            std::time::Instant::now() < deadline,
            "no back-in-stock mail to {email}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    b.close().await;
}
