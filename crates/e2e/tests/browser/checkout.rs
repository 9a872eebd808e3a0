//! Checkout with real payments (localstripe's Stripe.js in the page): address, shipping, card,
//! review; a declined card, then one that works; 3-D Secure; the owner ships and delivers; a
//! return requested, then received by the owner (stock back, refund at the provider); a book
//! that runs out before the order is placed; a cancellation before shipping.
use crate::support::*;
use bookstore_model::*;

pub const VISA: &str = "4242424242424242";
pub const DECLINED: &str = "4000000000000341";
pub const THREE_D_SECURE: &str = "4000002500003155";

/// Types a card into the provider's card element (localstripe's: plain inputs).
pub async fn enter_card(b: &Browser, number: &str) {
    b.find("#card-element input[placeholder=number]").await;
    for (field, value) in [
        ("number", number),
        ("exp_month", "12"),
        ("exp_year", "30"),
        ("cvc", "123"),
        ("postal_code", "10115"),
    ] {
        b.fill(&format!("#card-element input[placeholder={field}]"), value)
            .await;
    }
    b.click("#use-card").await;
}

/// From the cart, through checkout's address and shipping steps: a new address in Berlin
/// (saved to the book), or the first saved one when there is a book.
pub async fn address_and_shipping(b: &Browser, new_address: bool) {
    b.click("#checkout").await;
    b.wait_path(|p| p == "/checkout", "checkout").await;
    if new_address {
        b.fill("#ship-name", "Greta Reader").await;
        b.fill("#ship-line1", "Invalidenstraße 117").await;
        b.fill("#ship-city", "Berlin").await;
        b.fill("#ship-postal-code", "10115").await;
        b.find("#ship-country")
            .await
            .select_by_value("DE")
            .await
            .unwrap();
        b.click(".address-form button[type=submit]").await;
    } else {
        b.click("#use-address").await;
    }
    b.wait_contains("#shipping-options", "Standard").await;
    b.click("#use-shipping").await;
}

/// The whole of a checkout from the cart, with `card`; ends on the review's button pressed.
pub async fn checkout(b: &Browser, new_address: bool, card: &str) {
    address_and_shipping(b, new_address).await;
    enter_card(b, card).await;
    b.wait_contains("#review-totals", "Total").await;
    b.click("#place-order").await;
}

async fn add_to_cart(b: &Browser, book: BookId, quantity: u32, stock: i64) {
    b.goto(&format!("/books/{book}")).await;
    b.wait_attr(".book .availability", "data-stock", &stock.to_string())
        .await;
    b.fill("#qty", &quantity.to_string()).await;
    b.click(".buy .add-to-cart button").await;
    b.wait_text(".badge", "the copies in the cart", |t| {
        t.trim() == quantity.to_string()
    })
    .await;
    b.click("a.cart-link").await;
    b.wait_path(|p| p == "/cart", "the cart").await;
}

fn order_id_of(path: &str) -> OrderId {
    path.trim_start_matches("/orders/").parse().unwrap()
}

async fn log_out(b: &Browser) {
    b.click_text(".who button", "Log out").await;
    b.find("a[href='/login']").await;
}

#[tokio::test]
async fn a_shopper_pays_after_a_decline_the_owner_ships_and_delivers_and_a_return_is_recorded() {
    let _serial = serial().await;
    let shop = Shop::start().await;
    let book = shop
        .book("Maps of the Quiet Sea", "Lena Moss", 1800, 5)
        .await;
    let b = Browser::start(&shop.url).await;

    // Signed out, checkout asks to log in first and comes back.
    b.goto("/checkout").await;
    b.wait_path(|p| p == "/login", "the login page").await;
    let email = b.register("Greta Reader").await;

    add_to_cart(&b, book.id, 2, 5).await;
    b.c.set_window_size(390, 844).await.unwrap();
    address_and_shipping(&b, true).await;
    b.wait_contains("#step-address .step-summary", "Invalidenstraße 117")
        .await;
    b.wait_contains("#step-shipping .step-summary", "Standard")
        .await;
    b.fits_width("checkout's payment step").await;
    b.screenshot("phone-checkout-payment").await;

    // A card that its bank declines: said so, on the card step, nothing taken.
    enter_card(&b, DECLINED).await;
    // The review shows the shop's quote: items, shipping, tax (none to Germany in the tests'
    // settings) and the total the card is asked for.
    b.wait_attr("#review-totals", "data-quoted", "true").await;
    b.wait_contains("#review-items", "36.00").await;
    b.wait_contains("#review-shipping", "4.95").await;
    b.wait_contains("#review-tax", "$0.00").await;
    b.wait_contains("#review-total", "40.95").await;
    b.fits_width("checkout's review").await;
    b.screenshot("phone-checkout-review").await;
    b.click("#place-order").await;
    b.wait_contains("#card-declined", "Your card was declined")
        .await;
    b.screenshot("phone-checkout-declined").await;
    assert_eq!(shop.api.get_book(book.id).await.unwrap().stock, 5);

    // Another card: paid.
    enter_card(&b, VISA).await;
    b.click("#place-order").await;
    let order_path = b
        .wait_path(|p| p.starts_with("/orders/"), "the order page")
        .await;
    let id = order_id_of(&order_path);
    b.wait_contains(".success", "Thank you").await;
    b.wait_contains("#order-status", "Paid").await;
    b.wait_contains("#total-items", "36.00").await;
    b.wait_contains("#total-shipping", "4.95").await;
    b.wait_contains("#total", "40.95").await;
    b.wait_contains("#timeline", "Paid").await;
    b.wait_contains(".shipment", "Invalidenstraße 117").await;
    b.wait_text(".badge", "an empty cart", |t| t.trim() == "0")
        .await;
    assert!(!b.exists(".return-box").await, "no returns before delivery");
    b.fits_width("the order page").await;
    b.screenshot("phone-order-paid").await;
    assert_eq!(shop.api.get_book(book.id).await.unwrap().stock, 3);
    b.c.set_window_size(1280, 900).await.unwrap();

    // The owner: the fulfilment queue, the order, ship, deliver.
    log_out(&b).await;
    b.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    b.goto("/admin/orders?view=queue").await;
    b.wait_contains("table.admin-orders", "Greta Reader").await;
    b.wait_contains("table.admin-orders", &email).await;
    b.screenshot("admin-fulfilment-queue").await;
    b.click(&format!("a[href='/admin/orders/{id}']")).await;
    b.wait_contains("#admin-order-status", "Paid").await;
    b.wait_contains(".admin-lines", "Maps of the Quiet Sea")
        .await;
    // The slip (printed only, so read from the page) names each book's ISBN for picking.
    let slip = slip_text(&b, book.isbn.as_str()).await;
    assert!(
        slip.contains("Greta Reader") && slip.contains("Maps of the Quiet Sea"),
        "packing slip: {slip}"
    );
    assert!(
        !slip.contains("18.00") && !slip.contains("40.95"),
        "prices on the slip: {slip}"
    );
    b.fill("#ship-carrier", "DHL").await;
    b.fill("#ship-tracking", "JD0001 2345").await;
    b.click("#ship-order").await;
    b.wait_contains("#admin-order-status", "Shipped").await;
    b.wait_contains("#carrier", "DHL").await;
    b.wait_contains("#tracking", "JD0001 2345").await;
    b.click("#deliver-order").await;
    b.wait_contains("#admin-order-status", "Delivered").await;
    b.wait_contains("#timeline", "Delivered").await;
    b.screenshot("admin-order-delivered").await;
    b.c.set_window_size(390, 844).await.unwrap();
    b.fits_width("the admin's order page").await;
    b.goto("/admin/orders").await;
    b.wait_contains("table.admin-orders", "Greta Reader").await;
    b.fits_width("the admin's order list").await;
    b.c.set_window_size(1280, 900).await.unwrap();

    // The customer sees it delivered and asks to return one copy.
    log_out(&b).await;
    b.login(&email, PASSWORD).await;
    b.goto(&order_path).await;
    b.wait_contains("#order-status", "Delivered").await;
    b.wait_contains("#tracking", "JD0001 2345").await;
    assert!(
        !b.exists("#cancel-order").await,
        "a delivered order cancelled"
    );
    b.fill(&format!("#ret-{}", book.id), "1").await;
    b.fill("#return-reason", "The cover was torn").await;
    b.click(".return-box button[type=submit]").await;
    b.wait_contains("#return-done", "Return accepted").await;
    b.wait_contains(".returns", "The cover was torn").await;
    b.wait_contains("#returns .rstatus", "Requested").await;
    let me = shop
        .api
        .authed(shop.api.login(&email, PASSWORD).await.unwrap().token);
    let returns = me.list_returns(id).await.unwrap();
    assert_eq!(returns.len(), 1, "the return is recorded");
    assert_eq!(returns[0].lines[0].quantity, 1);
    let ret = &returns[0];
    // A request only: nothing back on the shelf, nothing refunded yet.
    assert_eq!(shop.api.get_book(book.id).await.unwrap().stock, 3);
    let intent = shop
        .admin
        .admin_get_order(id)
        .await
        .unwrap()
        .payment
        .unwrap()
        .provider_id;
    assert!(crate::payment_server::refunds(&intent).await.is_empty());

    // The owner: the order shows the return waiting; the parcel arrives and is marked received.
    log_out(&b).await;
    b.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    b.goto(&format!("/admin/orders/{id}")).await;
    b.wait_contains("#returns-awaiting", "1 return to receive")
        .await;
    let row = format!("#return-{}", ret.id);
    b.wait_contains(&format!("{row} .rstatus"), "Requested")
        .await;
    b.wait_contains(&row, "The cover was torn").await;
    b.wait_contains(&row, "1 × Maps of the Quiet Sea").await;
    b.screenshot("admin-return-requested").await;
    b.click(&format!("#receive-{}", ret.id)).await;
    b.wait_contains("#admin-order-done", "back in stock").await;
    b.wait_contains("#admin-order-status", "Partly returned")
        .await;
    assert_eq!(shop.api.get_book(book.id).await.unwrap().stock, 4);
    // The refund goes through the provider; the page follows it until it is confirmed.
    b.wait_contains(&format!("{row} .rstatus"), "Refunded")
        .await;
    b.wait_contains("#admin-order-done", "Refunded").await;
    b.wait_contains("#refunded", &money_usd(ret.refund_cents))
        .await;
    assert!(!b.exists("#returns-awaiting").await, "no return waits");
    assert!(!b.exists(".receive-return").await, "received twice");
    let refunds = crate::payment_server::refunds(&intent).await;
    assert_eq!(refunds.len(), 1, "one refund at the provider: {refunds:?}");
    assert_eq!(refunds[0]["amount"].as_i64(), Some(ret.refund_cents));
    b.screenshot("admin-return-refunded").await;
    b.c.set_window_size(390, 844).await.unwrap();
    b.fits_width("the admin's order page with a return").await;
    b.c.set_window_size(1280, 900).await.unwrap();

    // The customer sees the return received and refunded.
    log_out(&b).await;
    b.login(&email, PASSWORD).await;
    b.goto(&order_path).await;
    b.wait_contains("#order-status", "Partly returned").await;
    b.wait_contains("#returns .rstatus", "Refunded").await;
    b.wait_contains("#returns .return-refund", &money_usd(ret.refund_cents))
        .await;
    b.close().await;
}

/// The packing slip's text once it holds `want` (it is hidden on screen: read it by script).
async fn slip_text(b: &Browser, want: &str) -> String {
    let mut text = String::new();
    for _ in 0..150 {
        let t =
            b.c.execute(
                "return document.querySelector('#packing-slip')?.textContent ?? '';",
                vec![],
            )
            .await
            .unwrap();
        text = t.as_str().unwrap_or_default().to_owned();
        if text.contains(want) {
            return text;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the packing slip never showed {want}: {text}");
}

/// `1234` → `$12.34`, as the SPA shows dollars.
fn money_usd(cents: i64) -> String {
    format!("${}.{:02}", cents / 100, cents % 100)
}

#[tokio::test]
async fn a_book_that_runs_out_before_placing_is_named_and_nothing_is_placed() {
    let _serial = serial().await;
    // Germany taxed at 19%, so the review's quote has a tax to show.
    let shop = Shop::start_with(|s| {
        s.tax_rates.insert("DE".into(), 1900);
    })
    .await;
    let scarce = shop.book("The Last Copy", "Ines Vale", 1500, 2).await;
    let b = Browser::start(&shop.url).await;
    let email = b.register("Late Buyer").await;
    add_to_cart(&b, scarce.id, 2, 2).await;
    address_and_shipping(&b, true).await;
    enter_card(&b, VISA).await;
    // 2 × 15.00 + 4.95 shipping = 34.95; 19% tax on it: 6.64.
    b.wait_attr("#review-totals", "data-quoted", "true").await;
    b.wait_contains("#review-tax", "6.64 (19%)").await;
    b.wait_contains("#review-total", "41.59").await;

    // Meanwhile the shop's stock drops (another sale, a damaged copy): one copy is left.
    shop.admin
        .admin_adjust_stock(
            scarce.id,
            &StockAdjustment {
                delta: -1,
                reason: Some("A damaged copy".into()),
            },
        )
        .await
        .unwrap();
    b.click("#place-order").await;
    b.wait_contains(".checkout-error", "ran out of stock").await;
    b.wait_contains(".checkout-error .shortages", "The Last Copy: only 1 left")
        .await;
    // The review keeps its figures (placing does not ask for another quote).
    b.wait_contains("#review-total", "41.59").await;
    b.screenshot("checkout-ran-out").await;
    assert_eq!(b.path().await, "/checkout", "still at checkout");
    assert_eq!(shop.api.get_book(scarce.id).await.unwrap().stock, 1);
    let me = shop
        .api
        .authed(shop.api.login(&email, PASSWORD).await.unwrap().token);
    assert!(
        me.list_orders(&PageQuery::default())
            .await
            .unwrap()
            .items
            .is_empty(),
        "an order was placed"
    );

    // Adjusting the order to what is left, it goes through.
    b.click("#adjust-cart").await;
    b.wait_text(".badge", "one copy in the cart", |t| t.trim() == "1")
        .await;
    // Quoted again: 15.00 + 4.95 = 19.95, tax 3.79.
    b.wait_contains("#review-total", "23.74").await;
    b.click("#place-order").await;
    b.wait_path(|p| p.starts_with("/orders/"), "the order page")
        .await;
    b.wait_contains("#order-status", "Paid").await;
    b.wait_contains("#total-tax", "3.79").await;
    b.wait_contains("#total", "23.74").await;
    assert_eq!(shop.api.get_book(scarce.id).await.unwrap().stock, 0);
    b.close().await;
}

#[tokio::test]
async fn a_shopper_cancels_a_paid_order_and_the_copies_come_back() {
    let _serial = serial().await;
    let shop = Shop::start().await;
    let book = shop.book("Second Thoughts", "Ana Reyes", 1000, 4).await;
    let b = Browser::start(&shop.url).await;
    b.register("Changed Mind").await;
    add_to_cart(&b, book.id, 3, 4).await;
    checkout(&b, true, VISA).await;
    b.wait_path(|p| p.starts_with("/orders/"), "the order page")
        .await;
    b.wait_contains("#order-status", "Paid").await;
    assert_eq!(shop.api.get_book(book.id).await.unwrap().stock, 1);

    // A second order with the saved address.
    add_to_cart(&b, book.id, 1, 1).await;
    checkout(&b, false, VISA).await;
    b.wait_path(|p| p.starts_with("/orders/"), "the order page")
        .await;
    b.wait_contains("#order-status", "Paid").await;
    assert_eq!(shop.api.get_book(book.id).await.unwrap().stock, 0);

    b.click("#cancel-order").await;
    b.wait_contains(".cancel-box", "Cancel this order?").await;
    b.click("#keep-order").await;
    b.click("#cancel-order").await;
    b.click("#confirm-cancel").await;
    b.wait_contains("#order-status", "Cancelled").await;
    b.wait_contains("#timeline", "Cancelled").await;
    assert!(!b.exists("#cancel-order").await);
    b.screenshot("order-cancelled").await;
    assert_eq!(shop.api.get_book(book.id).await.unwrap().stock, 1);
    b.close().await;
}

#[tokio::test]
async fn a_card_that_needs_3d_secure_is_authenticated_in_the_page() {
    let _serial = serial().await;
    let shop = Shop::start().await;
    let book = shop.book("Two Factors", "Kai Brandt", 2000, 2).await;
    let b = Browser::start(&shop.url).await;
    b.register("Careful Payer").await;
    add_to_cart(&b, book.id, 1, 2).await;
    checkout(&b, true, THREE_D_SECURE).await;
    // The provider's own dialog (localstripe's stands in for the bank's).
    b.click_text("button", "Complete authentication").await;
    b.wait_path(|p| p.starts_with("/orders/"), "the order page")
        .await;
    b.wait_contains("#order-status", "Paid").await;
    assert_eq!(shop.api.get_book(book.id).await.unwrap().stock, 1);
    b.close().await;
}
