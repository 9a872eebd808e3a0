//! The ways to ship a shop gets when its settings name none.
use bookstore_model::{CountryCode, ShippingOption};

/// Standard to everywhere; express to a few neighbouring countries of a shop in euros.
pub(super) fn default_shipping_options() -> Vec<ShippingOption> {
    let express_to = ["AT", "BE", "DE", "FR", "LU", "NL"];
    vec![
        ShippingOption {
            id: "standard".into(),
            name: "Standard delivery".into(),
            price_per_order_cents: 495,
            price_per_item_cents: 0,
            countries: vec![],
            delivery_days_min: 3,
            delivery_days_max: 7,
        },
        ShippingOption {
            id: "express".into(),
            name: "Express delivery".into(),
            price_per_order_cents: 1295,
            price_per_item_cents: 100,
            countries: express_to
                .iter()
                .filter_map(|c| CountryCode::parse(c).ok())
                .collect(),
            delivery_days_min: 1,
            delivery_days_max: 2,
        },
    ]
}
