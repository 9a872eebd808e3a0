//! The API's HTTP test suite: every test starts the real server on a free port and talks HTTP.
#![allow(clippy::unwrap_used)] // Test helpers fail loudly by design.
mod helpers;

mod admin;
mod auth;
mod catalogue;
mod durability;
mod events;
mod orders;
mod returns;
mod spa;
mod spec;
mod validation;
