//! The shop's rules on the storage interface: the catalogue (books, search, genres, best
//! sellers and their caches), orders and returns (placement, idempotency), users and their
//! address books and carts (accounts: sessions' revocation, password-reset and e-mail links, export
//! and deletion), shipping and tax, the audit log, API keys, live stock, tokens, password hashing and
//! cursors.
//!
//! No HTTP here: callers say who acts with an [`Actor`] and get domain [`Error`]s, which the
//! HTTP layer maps once to problem documents. Each repository ([`Catalogue`], [`Orders`],
//! [`Users`], [`Addresses`], [`Carts`], [`Audit`]) owns its store handle, cursor codec and caches, and
//! invalidates its caches in its own writes. [`Shipping`] is configuration and arithmetic:
//! the shipping options and tax rates checkout charges.
pub mod actor;
pub mod addresses;
pub mod api_keys;
pub mod audit;
pub mod cart;
pub mod catalogue;
pub mod cursor;
pub mod error;
pub mod fresh;
pub mod hashing;
pub mod items;
pub mod live;
pub mod mail;
pub mod operations;
pub mod orders;
pub mod outbox;
pub mod outcome;
pub mod payments;
pub mod returns;
pub mod sales;
pub mod shipping;
pub mod tokens;
pub mod users;
pub mod webhooks;

pub use actor::Actor;
pub use addresses::Addresses;
pub use api_keys::ApiKeys;
pub use audit::Audit;
pub use bookstore_store as store;
pub use cart::Carts;
pub use catalogue::{Catalogue, CatalogueConfig};
pub use error::{Error, Result};
pub use operations::Operations;
pub use orders::Orders;
pub use payments::{Payments, PaymentsConfig};
pub use sales::Sales;
pub use shipping::Shipping;
pub use users::Users;
pub use webhooks::Webhooks;
