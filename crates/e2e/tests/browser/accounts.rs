//! Accounts: a forgotten password reset through the mailed link, the e-mail confirmation page.
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
