//! Opaque identifiers. UUIDs on the wire; a malformed id in a path is a 400, never a lookup.
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use utoipa::ToSchema;
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
        #[serde(transparent)]
        #[schema(value_type = String, format = Uuid)]
        pub struct $name(pub Uuid);

        impl $name {
            pub fn new() -> Self {
                Self(Uuid::new_v4())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

id_type!(
    /// Identifies a book in the catalogue.
    BookId
);
id_type!(
    /// Identifies an order.
    OrderId
);
id_type!(
    /// Identifies a user account.
    UserId
);
id_type!(
    /// Identifies a return of (part of) an order.
    ReturnId
);
id_type!(
    /// Identifies an entry of the admin audit log.
    AuditId
);
id_type!(
    /// Identifies a business event (the outbox's, delivered to webhooks). Time-ordered (UUIDv7)
    /// where the server makes them, so a listing by id is a listing by time.
    EventId
);
id_type!(
    /// Identifies a webhook endpoint.
    WebhookId
);
id_type!(
    /// Identifies an address in a customer's address book.
    AddressId
);
id_type!(
    /// Identifies a books import. Time-ordered (UUIDv7), so a listing by id is a listing by
    /// time.
    ImportId
);
id_type!(
    /// Identifies an API key (its first 8 characters are the key's visible prefix).
    ApiKeyId
);
