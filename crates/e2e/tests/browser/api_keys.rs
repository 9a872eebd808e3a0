//! An admin makes an API key, sees it once, and revokes it; the key works only within its
//! scopes, and not at all once revoked.
use crate::support::*;
use bookstore_client::Client;

#[tokio::test]
async fn an_admin_creates_a_scoped_key_sees_it_once_and_revokes_it() {
    let _serial = serial().await;
    let shop = Shop::start().await;
    let b = Browser::start(&shop.url).await;
    b.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    b.click_text("nav a", "API keys").await;
    b.wait_path(|p| p == "/admin/api-keys", "the API keys page")
        .await;
    b.wait_title("API keys · Bookstore").await;
    b.wait_contains("main", "No keys yet").await;

    // A key needs a scope.
    b.fill("#key-name", "Warehouse sync").await;
    b.click(".key-form button[type=submit]").await;
    b.wait_contains(".key-form .error", "at least one scope")
        .await;
    b.click("#scope-orders-read").await;
    let expiry = b.find("#key-expiry").await;
    b.c.execute(
        "arguments[0].value = '2099-12-31'; \
         arguments[0].dispatchEvent(new Event('input', { bubbles: true }));",
        vec![serde_json::to_value(&expiry).unwrap()],
    )
    .await
    .unwrap();
    b.click(".key-form button[type=submit]").await;
    b.wait_contains(
        ".secret-box",
        "Copy this API key now: it will not be shown again",
    )
    .await;
    let key = b
        .find("#api-key-secret")
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(key.starts_with("bk_live_"), "{key}");
    b.screenshot("admin-api-key-created").await;
    let row = b
        .wait_contains("#api-keys tr.api-key", "Warehouse sync")
        .await;
    assert!(row.contains("orders:read"), "{row}");
    assert!(row.contains("2099-12-31 23:59 UTC"), "{row}");
    assert!(row.contains("Active"), "{row}");
    assert!(!row.contains(&key), "the list shows the key: {row}");

    // Read once: gone from the page once saved.
    b.click_text(".secret-box button", "I have saved it").await;
    b.wait_text("main", "the key no longer shown", |t| !t.contains(&key))
        .await;

    // The key works for what its scope allows, and only that.
    let with_key = Client::new(&shop.url).authed(key.clone());
    with_key
        .admin_list_orders(&Default::default())
        .await
        .expect("orders:read lets the key list orders");
    let refused = with_key.list_webhooks().await.unwrap_err();
    assert_eq!(refused.status(), Some(403), "{refused}");

    // Revoked (after a confirmation): refused from then on.
    b.c.set_window_size(390, 900).await.unwrap();
    b.click("#api-keys button[aria-label='Revoke the key Warehouse sync']")
        .await;
    b.wait_contains("#api-keys .confirm", "cannot be undone")
        .await;
    b.fits_width("the API keys page").await;
    b.screenshot("admin-api-key-revoke-390").await;
    b.click_text("#api-keys .confirm button", "Yes, revoke")
        .await;
    b.wait_contains("#api-keys tr.api-key", "Revoked").await;
    b.wait_contains(".api-keys .success", "Revoked the key")
        .await;
    let gone = with_key
        .admin_list_orders(&Default::default())
        .await
        .unwrap_err();
    assert_eq!(gone.status(), Some(401), "{gone}");

    // The list, read again, says so too.
    b.goto("/admin/api-keys").await;
    b.wait_contains("#api-keys tr.api-key", "Revoked").await;
    b.close().await;
}
