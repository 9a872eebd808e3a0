//! Domain types shared by the API server, the typed client and the SPA.
//!
//! Everything here compiles for `wasm32-unknown-unknown`: no server-only dependencies.
//! Input types validate while deserialising (`#[serde(try_from = ...)]`), so a value of a
//! newtype such as [`Isbn`] or [`Email`] is valid by construction.

pub mod account;
pub mod address;
pub mod api_key;
pub mod auth;
pub mod book;
pub mod bundle;
pub mod cart;
pub mod checkout;
pub mod country;
pub mod display;
pub mod ids;
pub mod import;
pub mod inventory;
pub mod live;
pub mod order;
pub mod page;
pub mod paths;
pub mod problem;
pub mod schema;
pub mod search;
pub mod shipping;
pub mod staff;
pub mod stats;
pub mod validate;
pub mod webhook;

pub use account::*;
pub use address::{Address, AddressInput, MAX_ADDRESSES};
pub use api_key::*;
pub use auth::*;
pub use book::*;
pub use cart::*;
pub use checkout::*;
pub use country::CountryCode;
pub use ids::*;
pub use import::*;
pub use inventory::*;
pub use live::*;
pub use order::*;
pub use page::*;
pub use problem::*;
pub use search::{MAX_BOOK_WORDS, MAX_WORD_CHARS, book_words, search_words};
pub use shipping::*;
pub use staff::*;
pub use stats::*;
pub use validate::*;
pub use webhook::*;
