//! The API's HTTP test suite: every test starts the real server on a free port and talks HTTP.
#![allow(clippy::unwrap_used)] // Test helpers fail loudly by design.
#[path = "../../../store/tests/support/dynamo_local.rs"]
mod dynamo_local;
mod helpers;
#[path = "../support/slow_proxy.rs"]
mod slow_proxy;

mod admin;
mod auth;
mod catalogue;
mod cli;
mod durability;
mod events;
mod ops;
mod orders;
mod returns;
mod spa;
mod spec;
mod validation;
