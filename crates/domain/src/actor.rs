//! Who acts: the domain's view of an authenticated caller, whatever carried the credentials.
use bookstore_model::{Role, UserId};

/// An authenticated user acting on the shop: what the domain checks rights against and records
/// in the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub id: UserId,
    pub email: String,
    pub role: Role,
}
