//! `/api/v1/me` and what hangs off it. (The account itself is covered with sign-up in
//! `auth.rs`.)
mod addresses;
