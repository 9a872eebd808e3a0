//! End-to-end tests: the real server serving the built SPA, driven in headless Chromium.
//!
//! Needs `cargo xtask spa` (which `cargo xtask test` runs first) and Debian's `chromium` and
//! `chromium-driver`. Screenshots of the main screens go to `<target dir>/screenshots/`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly by design.
mod devtools;
mod driver;
#[path = "../../../api/tests/support/payment_server.rs"]
mod payment_server;
mod receiver;
#[path = "../../../api/tests/support/smtp.rs"]
#[allow(dead_code)] // Shared with the HTTP suite, which uses more of it.
mod smtp;
mod support;

mod accounts;
mod admin;
mod api_keys;
mod cart;
mod checkout;
mod dashboard;
mod docs;
mod first_load;
mod import;
mod phone;
mod shopper;
mod staff;
mod stock;
mod webhooks;
