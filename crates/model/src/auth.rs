use crate::{Email, Password, PersonName, UserId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What an account may do. `owner`: everything; `staff`: the inventory and the orders'
/// fulfilment (not API keys, webhooks, staff or the audit log); `customer`: its own things.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Customer,
    Staff,
    /// Stored as `admin` before staff roles existed: such accounts and tokens read as owners.
    #[serde(alias = "admin")]
    Owner,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Customer => "customer",
            Self::Staff => "staff",
            Self::Owner => "owner",
        }
    }

    /// Whether this role may do what `needed` may (owner > staff > customer).
    pub fn at_least(self, needed: Role) -> bool {
        self.rank() >= needed.rank()
    }

    /// Owners and staff: the shop's people, who see the admin screens.
    pub fn is_staff(self) -> bool {
        self.at_least(Self::Staff)
    }

    fn rank(self) -> u8 {
        match self {
            Self::Customer => 0,
            Self::Staff => 1,
            Self::Owner => 2,
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A user account as shown to its owner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct User {
    pub id: UserId,
    pub email: Email,
    pub name: PersonName,
    pub role: Role,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    pub email: Email,
    pub password: Password,
    pub name: PersonName,
}

/// Login takes plain strings: a malformed e-mail gets the same 401 as a wrong password.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    #[schema(format = Password)]
    pub password: String,
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest")
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

/// A bearer token and the account it belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AuthResponse {
    /// A JWT: send it as `Authorization: Bearer <token>`.
    pub token: String,
    /// When the token stops working.
    pub expires_at: DateTime<Utc>,
    pub user: User,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Accounts stored (and tokens issued) before staff roles say `admin`: they are owners.
    #[test]
    fn the_old_admin_role_reads_as_owner() {
        let role: Role = serde_json::from_str("\"admin\"").unwrap();
        assert_eq!(role, Role::Owner);
        assert_eq!(serde_json::to_string(&role).unwrap(), "\"owner\"");
        assert!(Role::Owner.at_least(Role::Staff) && !Role::Staff.at_least(Role::Owner));
        assert!(!Role::Customer.is_staff() && Role::Staff.is_staff());
    }
}
