//! One module per screen.
pub mod account;
#[cfg(feature = "admin")]
pub mod admin;
pub mod book;
pub mod cart;
pub mod catalogue;
pub mod checkout;
pub mod home;
pub mod invitation;
pub mod my_account;
pub mod not_found;
pub mod order_facts;
pub mod orders;
pub mod recovery;
