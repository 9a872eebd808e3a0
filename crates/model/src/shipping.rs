//! Shipping options and the shop's currency, as `GET /api/v1/shipping-options` answers them.
//! They come from configuration; the domain checks them at start-up and prices with them.
use crate::{CountryCode, Currency};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A way to ship an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShippingOption {
    /// A stable slug, e.g. `standard`.
    #[schema(example = "standard")]
    pub id: String,
    #[schema(example = "Standard delivery")]
    pub name: String,
    /// Charged once per order, in minor units of the shop's currency.
    #[schema(minimum = 0)]
    pub price_per_order_cents: i64,
    /// Charged for each copy on the order, in minor units.
    #[schema(minimum = 0)]
    pub price_per_item_cents: i64,
    /// The countries served; empty: every country.
    #[serde(default)]
    pub countries: Vec<CountryCode>,
    /// The delivery estimate, in days.
    pub delivery_days_min: u32,
    pub delivery_days_max: u32,
}

impl ShippingOption {
    /// Whether this option ships to `country`.
    pub fn serves(&self, country: &CountryCode) -> bool {
        self.countries.is_empty() || self.countries.contains(country)
    }
}

/// The body of `GET /api/v1/shipping-options`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ShippingOptions {
    /// The currency of every price here, and of checkout.
    pub currency: Currency,
    pub options: Vec<ShippingOption>,
}

/// The query of `GET /api/v1/shipping-options`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ShippingQuery {
    /// Only the options that ship to this country.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[param(nullable = false)]
    pub country: Option<CountryCode>,
}
