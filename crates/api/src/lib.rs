//! The bookstore API: an actix-web service over a DynamoDB-shaped storage interface.
pub mod auth;
pub mod cli;
pub mod emf;
pub mod error;
pub mod extract;
pub mod limits;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod ops;
pub mod priority;
pub mod routes;
pub mod seed;
pub mod settings;
pub mod spa;
pub mod startup;
pub mod state;
pub mod telemetry;

/// The storage interface and its back ends (its own crate: it knows nothing of HTTP).
pub use bookstore_store as store;

/// The shop's rules: repositories, tokens, password hashing, live stock (no HTTP).
pub use bookstore_domain as domain;
