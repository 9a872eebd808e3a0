//! The API's HTTP test suite: every test starts the real server on a free port and talks HTTP.
#![allow(clippy::unwrap_used)] // Test helpers fail loudly by design.
#[path = "../../../store/tests/support/dynamo_local.rs"]
mod dynamo_local;
mod helpers;
#[path = "../support/payment_server.rs"]
mod payment_server;
mod receiver;
#[path = "../support/slow_proxy.rs"]
mod slow_proxy;
#[path = "../support/smtp.rs"]
mod smtp;

// One file per resource, mirroring `src/routes/`; then what spans them.
mod admin;
mod auth;
mod bestsellers;
mod books;
mod events;
mod genres;
mod health;
mod me;
mod orders;
mod shipping_options;

mod cli;
mod durability;
mod mail;
mod middleware;
mod openapi;
mod spa;
mod validation;
