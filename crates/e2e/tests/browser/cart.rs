//! The cart follows the person: a cart built signed out is merged into the account's at
//! sign-in; the tabs of one browser sign in and out together; flagged lines hold checkout back.
use crate::support::*;
use bookstore_client::Client;
use bookstore_model::*;
use fantoccini::Locator;
use std::time::{Duration, Instant};

fn row(id: BookId) -> String {
    format!("tr[data-book-id='{id}']")
}

fn lines(input: &[(BookId, i64)]) -> CartInput {
    CartInput {
        lines: input
            .iter()
            .map(|&(book_id, q)| LineRequest {
                book_id,
                quantity: Quantity::parse(q).unwrap(),
            })
            .collect(),
    }
}

/// Waits until the account's cart on the server holds `want` (book, quantity), in any order.
async fn wait_server_cart(client: &Client, want: &[(BookId, u32)]) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut want = want.to_vec();
    want.sort();
    loop {
        let cart = client.my_cart().await.unwrap();
        let mut got: Vec<(BookId, u32)> =
            cart.lines.iter().map(|l| (l.book_id, l.quantity)).collect();
        got.sort();
        if got == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "server cart {got:?}, expected {want:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until `css` matches nothing (`gone`) or something.
async fn wait_exists(b: &Browser, css: &str, exists: bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while b.exists(css).await != exists {
        if Instant::now() >= deadline {
            b.failed(&format!("{css}: expected exists = {exists}"))
                .await;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the checkout button is enabled or disabled.
async fn wait_checkout_disabled(b: &Browser, disabled: bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(el) = b.c.find(Locator::Css("#checkout")).await
            && el.attr("disabled").await.ok().flatten().is_some() == disabled
        {
            return;
        }
        if Instant::now() >= deadline {
            b.failed(&format!("#checkout: expected disabled = {disabled}"))
                .await;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn add_to_cart(b: &Browser, id: BookId, quantity: u32) {
    b.goto(&format!("/books/{id}")).await;
    b.wait_contains(".book .availability", "left").await;
    b.fill("#qty", &quantity.to_string()).await;
    b.click(".buy .add-to-cart button").await;
}

#[tokio::test]
async fn a_cart_built_signed_out_joins_the_accounts_and_tabs_share_the_sign_in() {
    let _serial = serial().await;
    let shop = Shop::start().await;
    let (atlas, brook, cove) = (
        shop.book("Atlas of Tides", "Ines Varga", 1000, 10).await,
        shop.book("Brook and Willow", "Tom Hale", 500, 10).await,
        shop.book("Cove Letters", "Ana Ruiz", 200, 10).await,
    );
    // The account already holds one Atlas, saved from another browser.
    let (email, account) = shop.customer().await;
    account
        .replace_my_cart(&lines(&[(atlas.id, 1)]))
        .await
        .unwrap();

    let b = Browser::start(&shop.url).await;
    // Signed out: two Atlas and one Brook into this browser's cart.
    add_to_cart(&b, atlas.id, 2).await;
    b.wait_text(".badge", "2 in the cart", |t| t.trim() == "2")
        .await;
    add_to_cart(&b, brook.id, 1).await;
    b.wait_text(".badge", "3 in the cart", |t| t.trim() == "3")
        .await;

    // Signing in merges it into the account's: 1 + 2 Atlas, 1 Brook.
    b.login(&email, PASSWORD).await;
    b.wait_text(".badge", "the merged cart", |t| t.trim() == "4")
        .await;
    wait_server_cart(&account, &[(atlas.id, 3), (brook.id, 1)]).await;
    // The browser's own copy is cleared: the cart is the account's now.
    let kept =
        b.c.execute(
            "return JSON.parse(localStorage.getItem('bookstore.cart')).lines.length;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(kept, serde_json::json!(0));

    // A change is saved to the account.
    add_to_cart(&b, cove.id, 2).await;
    b.wait_text(".badge", "6 in the cart", |t| t.trim() == "6")
        .await;
    wait_server_cart(&account, &[(atlas.id, 3), (brook.id, 1), (cove.id, 2)]).await;

    // A second tab of this browser is signed in too, with the account's cart.
    let first = b.c.window().await.unwrap();
    let second = b.c.new_window(true).await.unwrap().handle;
    b.c.switch_to_window(second.clone()).await.unwrap();
    b.goto("/cart").await;
    b.wait_contains(".who .user-name", "Other Reader").await;
    b.wait_text(".badge", "the account's cart", |t| t.trim() == "6")
        .await;

    // Signing out there signs out the first tab, whose cart is no longer shown.
    b.click_text(".who button", "Log out").await;
    wait_exists(&b, ".who .user-name", false).await;
    b.c.switch_to_window(first.clone()).await.unwrap();
    wait_exists(&b, ".who .user-name", false).await;
    b.wait_text(".badge", "an empty cart", |t| t.trim() == "0")
        .await;
    wait_server_cart(&account, &[(atlas.id, 3), (brook.id, 1), (cove.id, 2)]).await;

    // Signing in in the first tab signs in the second, and nothing is merged twice.
    b.login(&email, PASSWORD).await;
    b.wait_text(".badge", "the account's cart", |t| t.trim() == "6")
        .await;
    b.c.switch_to_window(second).await.unwrap();
    b.wait_contains(".who .user-name", "Other Reader").await;
    b.wait_text(".badge", "the account's cart", |t| t.trim() == "6")
        .await;
    wait_server_cart(&account, &[(atlas.id, 3), (brook.id, 1), (cove.id, 2)]).await;
    b.c.switch_to_window(first).await.unwrap();

    // A deleted book and a sold-out one are flagged, and checkout waits for them.
    shop.admin.admin_delete_book(brook.id, None).await.unwrap();
    shop.admin
        .admin_adjust_stock(
            cove.id,
            &StockAdjustment {
                delta: -10,
                reason: Some("water damage".into()),
            },
        )
        .await
        .unwrap();
    b.goto("/cart").await;
    b.wait_contains(&format!("{} .warn", row(brook.id)), "No longer available")
        .await;
    b.wait_contains(&format!("{} .warn", row(cove.id)), "Sold out")
        .await;
    b.wait_contains("#checkout-blocked", "cannot be bought")
        .await;
    wait_checkout_disabled(&b, true).await;
    b.screenshot("cart-flagged").await;

    // Removing them resolves it.
    b.click(&format!("{} button.link", row(brook.id))).await;
    wait_exists(&b, &row(brook.id), false).await;
    b.click(&format!("{} button.link", row(cove.id))).await;
    wait_exists(&b, &row(cove.id), false).await;
    wait_exists(&b, "#checkout-blocked", false).await;
    wait_checkout_disabled(&b, false).await;
    wait_server_cart(&account, &[(atlas.id, 3)]).await;
    b.close().await;
}
