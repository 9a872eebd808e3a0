//! API keys for integrators: scoped, revocable credentials the owner makes for other systems.
//! A key is shown once, when created; the shop keeps only its hash.
use crate::{ApiKeyId, ApiKeyName, ValidationError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use utoipa::ToSchema;

/// What every key starts with: it tells a key from a JWT in `Authorization: Bearer`.
pub const API_KEY_PREFIX: &str = "bk_live_";

/// What a key may do. Keys never manage keys nor read the audit log: that takes an admin's
/// login.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
pub enum Scope {
    /// Admin reads of the catalogue (the public catalogue needs no key at all).
    #[serde(rename = "catalogue:read")]
    CatalogueRead,
    /// Every `/api/v1/admin/books` operation: add, edit, remove books and adjust stock.
    #[serde(rename = "catalogue:write")]
    CatalogueWrite,
    /// `GET /api/v1/admin/orders`: every customer's orders.
    #[serde(rename = "orders:read")]
    OrdersRead,
    /// Fulfilment operations on orders (coming; no operation needs it yet).
    #[serde(rename = "orders:write")]
    OrdersWrite,
    /// Every `/api/v1/admin/webhooks` operation.
    #[serde(rename = "webhooks:manage")]
    WebhooksManage,
}

impl Scope {
    /// The least role whose login may call the operations of this scope.
    pub fn role(self) -> crate::Role {
        match self {
            Self::WebhooksManage => crate::Role::Owner,
            _ => crate::Role::Staff,
        }
    }

    pub const ALL: &[Self] = &[
        Self::CatalogueRead,
        Self::CatalogueWrite,
        Self::OrdersRead,
        Self::OrdersWrite,
        Self::WebhooksManage,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::CatalogueRead => "catalogue:read",
            Self::CatalogueWrite => "catalogue:write",
            Self::OrdersRead => "orders:read",
            Self::OrdersWrite => "orders:write",
            Self::WebhooksManage => "webhooks:manage",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The body of `POST /api/v1/admin/api-keys`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApiKey {
    pub name: ApiKeyName,
    /// What the key may do: at least one scope (a repeated one counts once).
    #[schema(min_items = 1)]
    pub scopes: Vec<Scope>,
    /// When the key stops working, if ever; must be in the future (else `expiry_in_past`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
}

impl NewApiKey {
    /// The rules the schema states; the expiry's is the domain's (it depends on the clock).
    pub fn validate(&self) -> Result<(), ValidationError> {
        if self.scopes.is_empty() {
            return Err(ValidationError::new("scopes must not be empty"));
        }
        Ok(())
    }
}

/// An API key as listed: never the key itself nor its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub name: ApiKeyName,
    /// The key's visible beginning (`bk_live_` and 8 characters of its id), to recognise it;
    /// the audit log names the key's changes `api-key:<prefix>`.
    #[schema(example = "bk_live_0a1b2c3d")]
    pub prefix: String,
    pub scopes: Vec<Scope>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    /// When the key was last accepted, to within a minute.
    pub last_used_at: Option<DateTime<Utc>>,
    /// When the key was revoked; from then on it is refused.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// The answer to creating a key: the key (shown only now) and what the list will show of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ApiKeyCreated {
    pub api_key: ApiKey,
    /// Send it as `Authorization: Bearer <key>` or `X-Api-Key: <key>`.
    #[schema(example = "bk_live_0a1b2c3d_3q2-7wEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    pub key: String,
}
