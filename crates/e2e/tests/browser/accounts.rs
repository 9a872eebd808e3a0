//! Accounts: a forgotten password reset through the mailed link, the e-mail confirmation page,
//! and the account page (profile, password, address book, export, deletion).
use crate::smtp::SmtpServer;
use crate::support::*;

const NEW_PASSWORD: &str = "a brand new password";

#[tokio::test]
async fn a_forgotten_password_is_reset_through_the_mailed_link() {
    let _serial = serial().await;
    let smtp = SmtpServer::start();
    let shop = Shop::start_with(mail_to(&smtp)).await;
    let (email, _) = shop.customer().await;
    let b = Browser::start(&shop.url).await;

    b.goto("/login").await;
    b.click("#forgot-password").await;
    b.wait_path(|p| p == "/reset-password", "the reset page")
        .await;
    b.wait_title("Reset your password · Bookstore").await;
    b.fill("#reset-email", &email).await;
    b.click("form button[type=submit]").await;
    b.wait_contains("#reset-sent", "a link to reset its password is on its way")
        .await;
    b.screenshot("reset-password-sent").await;
    let token = mailed_token(&smtp, &email, "reset-password").await;

    // A link that is not (any more) valid is explained, with a way to ask again.
    b.goto("/reset-password?token=not-a-real-token").await;
    b.fill("#reset-password", NEW_PASSWORD).await;
    b.click("form button[type=submit]").await;
    b.find("main .error").await;
    b.find("#reset-again a").await;

    b.goto(&format!("/reset-password?token={token}")).await;
    b.wait_title("Choose a new password · Bookstore").await;
    b.fill("#reset-password", NEW_PASSWORD).await;
    b.click("form button[type=submit]").await;
    b.wait_contains("#reset-done", "Your password is changed")
        .await;
    b.click_text("main a", "Log in").await;
    b.wait_path(|p| p == "/login", "the login page").await;
    b.login(&email, NEW_PASSWORD).await;
    assert!(shop.api.login(&email, PASSWORD).await.is_err());

    // The link works once.
    b.goto(&format!("/reset-password?token={token}")).await;
    b.fill("#reset-password", "yet another password").await;
    b.click("form button[type=submit]").await;
    b.find("#reset-again").await;

    // A confirmation link that is not valid says so.
    b.goto("/confirm-email?token=not-a-real-token").await;
    b.wait_contains("#email-not-confirmed", "not valid").await;
    b.close().await;
}

#[tokio::test]
async fn a_shopper_manages_their_account_then_deletes_it() {
    let _serial = serial().await;
    let smtp = SmtpServer::start();
    let shop = Shop::start_with(mail_to(&smtp)).await;
    let b = Browser::start(&shop.url).await;
    b.c.set_window_size(390, 900).await.unwrap();
    b.register("Ada Account").await;

    // The header's name leads to the account page.
    b.click(".who .user-name").await;
    b.wait_path(|p| p == "/account", "the account page").await;
    b.wait_title("Your account · Bookstore").await;

    // Rename: the header follows.
    b.fill("#account-name", "Ada Renamed").await;
    b.click("section[aria-labelledby='profile-h'] button[type=submit]")
        .await;
    b.wait_contains("#name-saved", "saved").await;
    b.wait_contains(".who .user-name", "Ada Renamed").await;

    // An address: the API's refusal shows at the field it names; then saved, then edited.
    b.click("#add-address").await;
    b.fill("#addr-new-name", "Ada Renamed").await;
    b.fill("#addr-new-line1", "1 Carlton House Terrace").await;
    b.fill("#addr-new-city", "London").await;
    b.fill("#addr-new-postal-code", "SW1Y_4JH").await;
    b.click("#addr-new-country option[value='GB']").await;
    b.click(".address-form button[type=submit]").await;
    b.wait_contains("#addr-new-postal-code-error", "postal_code")
        .await;
    b.wait_attr("#addr-new-postal-code", "aria-invalid", "true")
        .await;
    b.fits_width("the account page with an address form").await;
    b.screenshot("account-address-error-390").await;
    b.fill("#addr-new-postal-code", "SW1Y 4JH").await;
    b.click(".address-form button[type=submit]").await;
    b.wait_contains("#addresses", "SW1Y 4JH London").await;
    b.click("#addresses li.address button[aria-label^='Edit']")
        .await;
    b.fill("li.address input[id$='-city']", "Westminster").await;
    b.click("li.address .address-form button[type=submit]")
        .await;
    b.wait_contains("#addresses", "SW1Y 4JH Westminster").await;

    // A new e-mail takes effect through the link mailed to it.
    let new_email = unique_email();
    b.click("#change-email").await;
    b.fill("#new-email", &new_email).await;
    b.fill("#email-password", PASSWORD).await;
    b.click("section[aria-labelledby='email-h'] button[type=submit]")
        .await;
    b.wait_contains("#email-link-sent", "Check your new inbox")
        .await;
    let token = mailed_token(&smtp, &new_email, "confirm-email").await;
    b.goto(&format!("/confirm-email?token={token}")).await;
    b.wait_contains("#email-confirmed", "now uses this e-mail")
        .await;
    b.login(&new_email, PASSWORD).await;

    // A wrong current password is refused; the right one changes it, and this tab stays in.
    b.goto("/account").await;
    b.wait_contains("#account-email", &new_email).await;
    b.fill("#current-password", "not my password").await;
    b.fill("#new-password", NEW_PASSWORD).await;
    b.click("section[aria-labelledby='password-h'] button[type=submit]")
        .await;
    b.find("section[aria-labelledby='password-h'] .error").await;
    b.fill("#current-password", PASSWORD).await;
    b.click("section[aria-labelledby='password-h'] button[type=submit]")
        .await;
    b.wait_contains("#password-changed", "this one goes on")
        .await;
    assert!(shop.api.login(&new_email, PASSWORD).await.is_err());
    b.goto("/account").await;
    b.wait_contains("#account-email", &new_email).await;

    // Everything as a file.
    b.click("#export-data").await;
    b.wait_contains("#export-done", "1 address and 0 orders")
        .await;
    b.fits_width("the account page").await;
    b.screenshot("account-390").await;

    // Deleting takes the password and the typed word; then the account is gone.
    b.fill("#delete-password", NEW_PASSWORD).await;
    b.fill("#delete-confirm", "DELETE").await;
    b.click("#delete-account").await;
    b.wait_contains("#account-deleted", "Your account is deleted")
        .await;
    assert!(!b.exists(".who .user-name").await);
    assert!(shop.api.login(&new_email, NEW_PASSWORD).await.is_err());
    b.close().await;
}
