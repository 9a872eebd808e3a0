//! Checkout and what follows it: the order's shipping, payment, tracking and timeline, and the
//! bodies of the lifecycle's operations (ship, cancel).
use crate::validate::{ValidationError, bounded_text};
use crate::{AddressInput, OrderStatus, UserId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use utoipa::ToSchema;

/// A payment method at the provider (Stripe's `pm_…`; `card_…` and `src_…` also work there),
/// made by the shopper's browser with the provider's script: card data never reaches the shop.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PaymentMethodId(String);

impl PaymentMethodId {
    pub const MAX_LEN: usize = 100;

    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        let ok = s.len() <= Self::MAX_LEN
            && ["pm_", "card_", "src_"].iter().any(|p| {
                s.strip_prefix(p).is_some_and(|rest| {
                    !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                })
            });
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(ValidationError::new(format!(
                "payment_method must be a provider's payment method id (pm_…, card_… or src_…, \
                 letters, digits and underscores, at most {} characters)",
                Self::MAX_LEN
            )))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for PaymentMethodId {
    type Error = ValidationError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<PaymentMethodId> for String {
    fn from(v: PaymentMethodId) -> String {
        v.0
    }
}

impl fmt::Display for PaymentMethodId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A shipping option's id, as `GET /api/v1/shipping-options` lists them.
pub const SHIPPING_OPTION_PATTERN: &str = "^[0-9a-z-]{1,40}$";

/// How an order's payment stands at the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    /// Being authorized (or waiting for the shopper's 3-D Secure step).
    Pending,
    /// The amount is held on the card; it is taken when the order ships.
    Authorized,
    /// The amount was taken.
    Captured,
    /// Refused by the card's bank; nothing was taken.
    Failed,
    /// The hold was released (cancelled or expired before capture).
    Voided,
    /// Taken and then paid back in full.
    Refunded,
}

/// An order's payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OrderPayment {
    pub status: PaymentStatus,
    /// The provider's id of the payment (a PaymentIntent, `pi_…`).
    pub provider_id: String,
    /// The amount authorized, in minor units.
    pub amount_cents: i64,
    /// Paid back so far (cancellation after capture, received returns).
    pub refunded_cents: i64,
    /// Why the provider refused it, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
}

/// How an order is shipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OrderShipping {
    pub address: AddressInput,
    /// The shipping option's id and name as they were at checkout.
    pub option_id: String,
    pub option_name: String,
    pub delivery_days_min: u32,
    pub delivery_days_max: u32,
    /// Set when the order ships.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carrier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_number: Option<String>,
}

/// Who moved an order to a state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TimelineActor {
    Customer,
    Staff,
    /// The shop by itself: the payment provider's answer, an expired reservation.
    System,
}

/// One step of an order's life.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TimelineEntry {
    pub status: OrderStatus,
    pub at: DateTime<Utc>,
    pub by: TimelineActor,
    /// The account that acted, for a customer or staff step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_id: Option<UserId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The body of `POST /api/v1/admin/orders/{id}/ship`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShipOrder {
    /// The carrier, e.g. `DHL` (1 to 100 characters once trimmed, no control characters).
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]+$"
    )]
    pub carrier: String,
    /// The carrier's tracking number: 1 to 64 letters, digits, spaces or `-`.
    #[schema(pattern = r"^[-0-9A-Za-z ]{1,64}$")]
    pub tracking_number: String,
}

impl ShipOrder {
    pub const MAX_CARRIER_CHARS: usize = 100;
    pub const MAX_TRACKING_CHARS: usize = 64;

    /// The carrier and tracking number, trimmed.
    pub fn validate(&self) -> Result<(String, String), ValidationError> {
        if self.carrier.chars().any(char::is_control) {
            return Err(ValidationError::new(
                "carrier must not contain control characters",
            ));
        }
        let carrier = bounded_text(&self.carrier, "carrier", Self::MAX_CARRIER_CHARS)?;
        let n = &self.tracking_number;
        let ok = !n.is_empty()
            && n.len() <= Self::MAX_TRACKING_CHARS
            && n.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b' ');
        if !ok || n.trim().is_empty() {
            return Err(ValidationError::new(format!(
                "tracking_number must be 1 to {} letters, digits, spaces or hyphens",
                Self::MAX_TRACKING_CHARS
            )));
        }
        Ok((carrier, n.trim().to_owned()))
    }
}

/// What the SPA needs to collect a card: the provider's script and the shop's publishable key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PaymentConfig {
    /// Stripe.js (or a compatible script) to load.
    pub js_url: String,
    pub publishable_key: String,
    /// How long an unpaid order holds its copies, in seconds.
    pub payment_timeout_secs: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payment_method_ids() {
        for ok in ["pm_card_visa", "pm_1AbC", "card_x", "src_9"] {
            assert!(PaymentMethodId::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "pm_",
            "tok_visa",
            "pm_a-b",
            "pm_ a",
            &format!("pm_{}", "a".repeat(98)),
        ] {
            assert!(PaymentMethodId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ship_order_checks_its_fields() {
        let ship = |c: &str, t: &str| {
            ShipOrder {
                carrier: c.into(),
                tracking_number: t.into(),
            }
            .validate()
        };
        assert_eq!(
            ship(" DHL ", "JD0001 23").unwrap(),
            ("DHL".into(), "JD0001 23".into())
        );
        assert!(ship("", "1").is_err());
        assert!(ship("DHL", "").is_err());
        assert!(ship("DHL", "   ").is_err());
        assert!(ship("DHL", "a/b").is_err());
        assert!(ship("D\u{7}HL", "1").is_err());
    }
}
