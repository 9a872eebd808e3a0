//! Every main screen at a phone's width (390 px): nothing scrolls sideways, and the controls
//! that matter (buy, check out, return, the inventory's price, stock and actions, an order's
//! details, revoking a key) are on screen, not cut off or hidden in a table scrolled aside.
use crate::support::*;
use bookstore_model::*;

/// The width of a common phone's viewport, in CSS pixels.
const PHONE: u32 = 390;

const LONG_TITLE: &str = "The Remarkably Long Chronicle of Harbour Lanterns and Their Keepers";

async fn phone_sized(b: &Browser) {
    b.c.set_window_size(PHONE, 844).await.unwrap();
    let inner = b.c.execute("return window.innerWidth;", vec![]).await;
    let inner = inner.unwrap().as_u64().unwrap_or(0);
    assert!(
        (300..=u64::from(PHONE)).contains(&inner),
        "the window is {inner} px wide inside, not a phone's"
    );
}

/// Fails unless the page is no wider than the phone's window (nothing to scroll sideways).
async fn fits_phone(b: &Browser, what: &str) {
    let widths =
        b.c.execute(
            "return [window.innerWidth, document.documentElement.scrollWidth, \
             document.body.scrollWidth];",
            vec![],
        )
        .await
        .expect("page widths");
    let w: Vec<u64> = widths
        .as_array()
        .map(|a| a.iter().filter_map(serde_json::Value::as_u64).collect())
        .unwrap_or_default();
    let fits = matches!(w.as_slice(), [inner, doc, body]
        if *inner <= u64::from(PHONE) && doc <= inner && body <= inner);
    if !fits {
        b.failed(&format!(
            "{what} does not fit {PHONE} px (window, page, body widths: {w:?})"
        ))
        .await;
    }
}

/// Fails unless the first element matching `css`, scrolled to vertically (the page only, never
/// a container sideways), lies within the window's width and is what is shown at its centre:
/// not cut off, nor clipped by a container, nor covered.
async fn on_screen(b: &Browser, css: &str, what: &str) {
    const CHECK: &str = r#"
        const e = document.querySelector(arguments[0]);
        if (!e) return "missing";
        let r = e.getBoundingClientRect();
        window.scrollBy(0, r.top - window.innerHeight / 2);
        r = e.getBoundingClientRect();
        if (r.width < 1 || r.height < 1) return "not displayed";
        if (r.left < 0 || r.right > window.innerWidth) {
            return `off the side: ${Math.round(r.left)}..${Math.round(r.right)} px of ${window.innerWidth}`;
        }
        const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        if (!hit || !(hit === e || e.contains(hit))) {
            return "hidden under " + (hit ? hit.outerHTML.slice(0, 120) : "nothing");
        }
        return "ok";
    "#;
    // Give a page that is still laying out a moment.
    let mut last = String::new();
    for _ in 0..20 {
        let r = b.c.execute(CHECK, vec![serde_json::json!(css)]).await;
        last = r
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        if last == "ok" {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    b.failed(&format!(
        "{what} ({css}) is not on screen at {PHONE} px: {last}"
    ))
    .await;
}

#[tokio::test]
async fn a_shoppers_screens_fit_a_phone() {
    let _serial = serial().await;
    let shop = Shop::start().await;
    let book = shop
        .book(LONG_TITLE, "Mira Okafor-Lindqvist", 1250, 8)
        .await;
    shop.book("Harbour Pilots", "Jon Brae", 990, 3).await;
    let b = Browser::start(&shop.url).await;
    phone_sized(&b).await;

    b.goto("/").await;
    b.wait_contains("#new-arrivals", "Harbour Lanterns").await;
    fits_phone(&b, "the home page").await;
    b.screenshot("phone-home").await;

    b.goto("/books").await;
    b.wait_contains("#results", "Harbour Pilots").await;
    fits_phone(&b, "the catalogue").await;
    on_screen(
        &b,
        "#results li.card .add-to-cart button",
        "a card's Add to cart",
    )
    .await;

    b.register("Phone Shopper").await;
    fits_phone(&b, "the header, signed in").await;

    b.goto(&format!("/books/{}", book.id)).await;
    b.wait_contains(".book .availability", "8").await;
    fits_phone(&b, "the book page").await;
    on_screen(&b, ".buy .add-to-cart button", "the book's Add to cart").await;
    b.fill("#qty", "2").await;
    b.click(".buy .add-to-cart button").await;
    b.wait_text(".badge", "2 in the cart", |t| t.trim() == "2")
        .await;
    b.screenshot("phone-book").await;

    b.goto("/cart").await;
    b.wait_contains("#cart-total", "$25.00").await;
    fits_phone(&b, "the cart").await;
    on_screen(&b, "#checkout", "Checkout").await;
    b.screenshot("phone-cart").await;
    crate::checkout::checkout(&b, true, crate::checkout::VISA).await;
    let order_path = b
        .wait_path(|p| p.starts_with("/orders/"), "the order page")
        .await;
    b.wait_contains("#order-status", "Paid").await;
    fits_phone(&b, "the order page").await;
    on_screen(&b, "#cancel-order", "the cancel button").await;
    // Shipped and delivered, it can be returned.
    let id: bookstore_model::OrderId = order_path.trim_start_matches("/orders/").parse().unwrap();
    shop.admin
        .admin_ship_order(
            id,
            &bookstore_model::ShipOrder {
                carrier: "DHL".into(),
                tracking_number: "JD0001".into(),
            },
        )
        .await
        .unwrap();
    shop.admin.admin_deliver_order(id).await.unwrap();
    b.goto(&order_path).await;
    b.wait_contains("#order-status", "Delivered").await;
    on_screen(&b, &format!("#ret-{}", book.id), "the copies to return").await;
    on_screen(&b, ".return-box button[type=submit]", "the return button").await;
    b.screenshot("phone-order").await;

    b.goto("/orders").await;
    b.wait_contains(".orders-table", "Harbour Lanterns").await;
    fits_phone(&b, "my orders").await;
    on_screen(&b, ".orders-table td a", "the order's link").await;
    b.screenshot("phone-orders").await;

    b.goto("/account").await;
    b.wait_title("Your account · Bookstore").await;
    b.wait_contains("main", "You log in with").await;
    fits_phone(&b, "the account page").await;
    on_screen(&b, "#export-data", "the data download").await;
    b.close().await;
}

#[tokio::test]
async fn the_admins_screens_fit_a_phone() {
    let _serial = serial().await;
    let shop = Shop::start().await;
    let book = shop
        .book(LONG_TITLE, "Mira Okafor-Lindqvist", 1250, 8)
        .await;
    let (_, customer) = shop.customer().await;
    customer
        .place_order(&crate::support::order_of(book.id, 2), None)
        .await
        .expect("an order");
    shop.admin
        .create_webhook(&WebhookRequest {
            url: WebhookUrl::parse(
                "http://127.0.0.1:9/integrations/warehouse-management/bookstore-events?source=shop",
            )
            .unwrap(),
            event_types: vec![EventType::OrderPlaced, EventType::BookUpdated],
            enabled: false,
        })
        .await
        .expect("a webhook");
    shop.admin
        .create_api_key(&NewApiKey {
            name: ApiKeyName::parse("Warehouse sync").unwrap(),
            scopes: vec![Scope::OrdersRead, Scope::CatalogueWrite],
            expires_at: None,
        })
        .await
        .expect("an API key");
    let b = Browser::start(&shop.url).await;
    phone_sized(&b).await;
    b.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;

    b.goto("/admin").await;
    let row = format!("tbody.inv-row[data-book-id='{}']", book.id);
    b.wait_contains(&format!("{row} td.stock"), "6").await;
    fits_phone(&b, "the inventory").await;
    on_screen(&b, &format!("{row} td.price"), "a book's price").await;
    on_screen(&b, &format!("{row} td.stock"), "a book's stock").await;
    for action in ["Edit", "Restock", "Delete"] {
        let css = format!("{row} td.actions button[aria-label^='{action} ']");
        on_screen(&b, &css, action).await;
    }
    b.screenshot("phone-admin-inventory").await;
    b.click(&format!("{row} td.actions button[aria-label^='Edit ']"))
        .await;
    fits_phone(&b, "the inventory's edit form").await;
    on_screen(&b, &format!("{row} .edit-form button[type=submit]"), "Save").await;

    b.goto("/admin/books/new").await;
    b.find("#new-title").await;
    fits_phone(&b, "the new book form").await;

    b.goto("/admin/orders").await;
    b.wait_contains("table.admin-orders", "Paid").await;
    fits_phone(&b, "all orders").await;
    on_screen(&b, "table.admin-orders th a", "an order's link").await;
    b.click("table.admin-orders th a").await;
    b.wait_contains(".admin-lines", "Harbour Lanterns").await;
    fits_phone(&b, "an order's page").await;
    on_screen(&b, "#ship-order", "the ship button").await;
    b.screenshot("phone-admin-orders").await;

    b.goto("/admin/audit").await;
    b.wait_contains("table.audit", "book.create").await;
    fits_phone(&b, "the audit log").await;

    b.goto("/admin/webhooks").await;
    b.wait_contains(".webhook-list", "warehouse-management")
        .await;
    fits_phone(&b, "the webhooks").await;
    on_screen(&b, ".webhook .webhook-url", "the endpoint's URL").await;
    b.screenshot("phone-admin-webhooks").await;

    b.goto("/admin/api-keys").await;
    b.wait_contains("#api-keys", "Warehouse sync").await;
    fits_phone(&b, "the API keys").await;
    on_screen(
        &b,
        "#api-keys button[aria-label='Revoke the key Warehouse sync']",
        "Revoke",
    )
    .await;
    b.screenshot("phone-admin-api-keys").await;
    b.close().await;
}
