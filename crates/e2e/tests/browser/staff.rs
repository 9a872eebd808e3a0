//! An owner invites a staff member through the Staff page; the invitee joins from the link,
//! and as staff sees the inventory and the orders but never the owners' screens.
use crate::support::*;

#[tokio::test]
async fn an_invited_staff_member_joins_and_never_sees_the_owners_screens() {
    let _serial = serial().await;
    let shop = Shop::start().await;
    let b = Browser::start(&shop.url).await;
    b.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    b.click_text("nav a", "Staff").await;
    b.wait_path(|p| p == "/admin/staff", "the staff page").await;
    b.wait_title("Staff · Bookstore").await;
    b.wait_contains("#staff", "Shop Admin").await;

    let email = unique_email();
    b.fill("#invite-email", &email).await;
    b.click("#invite-submit").await;
    b.wait_contains(".secret-box", "Copy this invitation link now")
        .await;
    let link = b
        .find("#invitation-link")
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default();
    let path = link
        .strip_prefix(&shop.url)
        .unwrap_or_else(|| panic!("{link} is not on the shop"))
        .to_owned();
    assert!(path.starts_with("/staff-invitation?token="), "{path}");
    b.screenshot("admin-staff-invited").await;

    // The invitee, in this browser once the owner has logged out.
    b.click_text(".who button", "Log out").await;
    b.goto(&path).await;
    b.wait_contains("#staff-invitation", "Join the shop's staff")
        .await;
    b.fill("#invitation-name", "New Clerk").await;
    b.fill("#invitation-password", PASSWORD).await;
    b.click("#invitation-join").await;
    b.wait_path(|p| p == "/admin", "the inventory").await;
    b.wait_contains(".user-name", "New Clerk").await;
    // Used: the link works once.
    let used = shop
        .api
        .accept_staff_invitation(&bookstore_model::AcceptStaffInvitation {
            token: path.split("token=").nth(1).unwrap().to_owned(),
            name: None,
            password: None,
        })
        .await;
    assert!(used.is_err());

    // Staff: the inventory and the orders, none of the owners' links.
    assert!(b.exists("nav a[href='/admin']").await);
    assert!(b.exists("nav a[href='/admin/orders']").await);
    for owners in [
        "/admin/staff",
        "/admin/audit",
        "/admin/webhooks",
        "/admin/api-keys",
    ] {
        assert!(
            !b.exists(&format!("nav a[href='{owners}']")).await,
            "staff see a link to {owners}"
        );
    }
    // Within the app, the owners' screens say so and never ask their API.
    for path in [
        "/admin/staff",
        "/admin/audit",
        "/admin/webhooks",
        "/admin/api-keys",
    ] {
        b.c.execute(
            "history.pushState(null, '', arguments[0]); \
             window.dispatchEvent(new PopStateEvent('popstate'));",
            vec![serde_json::json!(path)],
        )
        .await
        .unwrap();
        b.wait_path(|p| p == path, path).await;
        b.wait_contains("#admin-denied", "Owners only").await;
    }
    b.screenshot("staff-denied").await;
    let requests = b.requests().await;
    for api in [
        "/admin/staff",
        "/admin/audit",
        "/admin/webhooks",
        "/admin/api-keys",
    ] {
        assert!(
            requests
                .iter()
                .all(|r| !r.contains(&format!("/api/v1{api}"))),
            "{api}: {requests:?}"
        );
    }
    // The staff's own screens work.
    b.c.execute(
        "history.pushState(null, '', '/admin/orders'); \
         window.dispatchEvent(new PopStateEvent('popstate'));",
        vec![],
    )
    .await
    .unwrap();
    b.wait_path(|p| p == "/admin/orders", "the orders").await;
    assert!(!b.exists("#admin-denied").await);
    b.close().await;
}
