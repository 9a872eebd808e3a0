//! `/api/v1/me` and what hangs off it. Sign-up is in `auth/`; changing,
//! exporting and deleting the account in `account.rs`.
mod account;
mod addresses;
mod cart;
