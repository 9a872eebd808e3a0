//! Managing one's own account: password change and reset, name and e-mail changes, the data
//! export and the account's deletion.
use crate::{Address, Email, Order, Password, PersonName, Return, User};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The body of `POST /api/v1/me/password`.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    /// The password in use now: a wrong one is refused (403 `wrong_password`).
    #[schema(format = Password)]
    pub current_password: String,
    pub new_password: Password,
}

/// The body of `POST /api/v1/auth/password-reset`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetRequest {
    pub email: Email,
}

/// The answer to a request that mails a link (a password reset, an e-mail change): the same
/// whether or not the e-mail has an account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LinkSent {
    pub detail: String,
}

/// The body of `POST /api/v1/auth/password-reset/confirm`.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetConfirm {
    /// The token of the link mailed to the account's address.
    pub token: String,
    pub new_password: Password,
}

/// The body of `PUT /api/v1/me`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateProfile {
    pub name: PersonName,
}

/// The body of `POST /api/v1/me/email`.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeEmail {
    /// Where the confirmation link is sent; the account moves there once it is followed.
    pub new_email: Email,
    #[schema(format = Password)]
    pub current_password: String,
}

/// The body of `POST /api/v1/me/email/confirm`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmEmail {
    /// The token of the link mailed to the new address.
    pub token: String,
}

/// The body of `DELETE /api/v1/me`.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteAccount {
    #[schema(format = Password)]
    pub current_password: String,
}

macro_rules! redacted_debug {
    ($($t:ident),*) => {$(
        impl std::fmt::Debug for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($t)).finish_non_exhaustive()
            }
        }
    )*};
}

redacted_debug!(
    ChangePassword,
    PasswordResetConfirm,
    ChangeEmail,
    DeleteAccount
);

/// Everything the shop keeps about the caller (`GET /api/v1/me/export`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AccountExport {
    pub exported_at: DateTime<Utc>,
    /// The account (never its password hash).
    pub user: User,
    pub addresses: Vec<Address>,
    /// The account's cart, as `GET /api/v1/me/cart` answers it.
    #[serde(default)]
    pub cart: crate::Cart,
    /// Every order, newest first, each with its returns.
    pub orders: Vec<ExportedOrder>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ExportedOrder {
    pub order: Order,
    pub returns: Vec<Return>,
}
