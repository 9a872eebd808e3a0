//! What checkout charges besides the books: the configured shipping options and tax rates, and
//! the arithmetic on them. All amounts are integers in minor units of the shop's currency;
//! a tax is rounded half up once, on the amount it is charged on.
use bookstore_model::{
    CountryCode, Currency, PriceCents, ShippingOption, ShippingOptions, ValidationError,
};
use std::collections::{BTreeMap, HashSet};

/// A tax rate is at most 100 %, in basis points (1/100 of a per cent).
pub const MAX_TAX_RATE_BPS: u32 = 10_000;
/// The longest delivery estimate a shipping option may state.
pub const MAX_DELIVERY_DAYS: u32 = 365;
const MAX_ID_LEN: usize = 40;
const MAX_NAME_CHARS: usize = 100;

/// The shop's currency, shipping options and tax rates, checked once at start-up.
#[derive(Debug, Clone)]
pub struct Shipping {
    currency: Currency,
    options: Vec<ShippingOption>,
    tax_rates: BTreeMap<CountryCode, u32>,
}

impl Shipping {
    /// Checks the configuration: a currency code; at least one option, each with its own id, a
    /// name, prices from 0 to [`PriceCents::MAX`] and `delivery_days_min <= delivery_days_max`;
    /// tax rates of assigned countries (any case: configuration keys may come lower-cased)
    /// from 0 to [`MAX_TAX_RATE_BPS`]. The message says which setting is wrong.
    pub fn new(
        currency: &str,
        options: Vec<ShippingOption>,
        tax_rates: impl IntoIterator<Item = (String, u32)>,
    ) -> Result<Self, String> {
        let currency = Currency::parse(currency).map_err(|e| format!("currency: {e}"))?;
        if options.is_empty() {
            return Err("shipping_options: configure at least one way to ship".into());
        }
        let mut ids = HashSet::new();
        for o in &options {
            check_option(o).map_err(|e| format!("shipping_options `{}`: {e}", o.id))?;
            if !ids.insert(o.id.as_str()) {
                return Err(format!("shipping_options: the id `{}` appears twice", o.id));
            }
        }
        let mut rates = BTreeMap::new();
        for (country, bps) in tax_rates {
            let code = CountryCode::parse(&country.to_ascii_uppercase())
                .map_err(|e| format!("tax_rates `{country}`: {e}"))?;
            if bps > MAX_TAX_RATE_BPS {
                return Err(format!(
                    "tax_rates `{country}`: {bps} basis points is over 100 % ({MAX_TAX_RATE_BPS})"
                ));
            }
            if rates.insert(code, bps).is_some() {
                return Err(format!("tax_rates: `{country}` appears twice"));
            }
        }
        Ok(Self {
            currency,
            options,
            tax_rates: rates,
        })
    }

    pub fn currency(&self) -> &Currency {
        &self.currency
    }

    /// Every option, in configured order.
    pub fn options(&self) -> &[ShippingOption] {
        &self.options
    }

    /// The option with this id.
    pub fn option(&self, id: &str) -> Option<&ShippingOption> {
        self.options.iter().find(|o| o.id == id)
    }

    /// The options that ship to `country` (all of them without one), with the currency.
    pub fn listing(&self, country: Option<&CountryCode>) -> ShippingOptions {
        ShippingOptions {
            currency: self.currency.clone(),
            options: self
                .options
                .iter()
                .filter(|o| country.is_none_or(|c| o.serves(c)))
                .cloned()
                .collect(),
        }
    }

    /// The tax rate of `country` in basis points; 0 where none is configured.
    pub fn tax_rate_bps(&self, country: &CountryCode) -> u32 {
        self.tax_rates.get(country).copied().unwrap_or(0)
    }

    /// The tax on `amount_cents` in `country`.
    pub fn tax_cents(&self, country: &CountryCode, amount_cents: i64) -> i64 {
        tax_cents(amount_cents, self.tax_rate_bps(country))
    }
}

fn check_option(o: &ShippingOption) -> Result<(), ValidationError> {
    let slug = !o.id.is_empty()
        && o.id.len() <= MAX_ID_LEN
        && o.id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !slug {
        return Err(ValidationError::new(format!(
            "id must be 1 to {MAX_ID_LEN} lower-case letters, digits or hyphens"
        )));
    }
    let name = o.name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS || name != o.name {
        return Err(ValidationError::new(format!(
            "name must be 1 to {MAX_NAME_CHARS} characters without surrounding white space"
        )));
    }
    if o.name.chars().any(char::is_control) {
        return Err(ValidationError::new(
            "name must not contain control characters",
        ));
    }
    for (what, cents) in [
        ("price_per_order_cents", o.price_per_order_cents),
        ("price_per_item_cents", o.price_per_item_cents),
    ] {
        PriceCents::parse(cents).map_err(|_| {
            ValidationError::new(format!("{what} must be between 0 and {}", PriceCents::MAX))
        })?;
    }
    if o.delivery_days_min > o.delivery_days_max || o.delivery_days_max > MAX_DELIVERY_DAYS {
        return Err(ValidationError::new(format!(
            "delivery_days_min must be at most delivery_days_max, which must be at most \
             {MAX_DELIVERY_DAYS}"
        )));
    }
    Ok(())
}

/// What `option` charges to ship `items` copies: once per order, plus per copy. Prices are at
/// most [`PriceCents::MAX`], so no count of copies an order can hold overflows.
pub fn shipping_cents(option: &ShippingOption, items: u32) -> i64 {
    option.price_per_order_cents + option.price_per_item_cents * i64::from(items)
}

/// `rate_bps` of `amount_cents`, rounded half up to a whole minor unit (12.5 cents is 13). A
/// negative amount (a refund) gets the negated tax of its size, so a refund returns exactly
/// the tax that was charged.
pub fn tax_cents(amount_cents: i64, rate_bps: u32) -> i64 {
    let exact = i128::from(amount_cents.unsigned_abs()) * i128::from(rate_bps);
    // i128: any i64 amount times any u32 rate fits; the result is at most the amount.
    let rounded = ((exact + 5_000) / 10_000) as i64;
    if amount_cents < 0 { -rounded } else { rounded }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn option(id: &str, countries: &[&str]) -> ShippingOption {
        ShippingOption {
            id: id.into(),
            name: format!("{id} delivery"),
            price_per_order_cents: 495,
            price_per_item_cents: 100,
            countries: countries
                .iter()
                .map(|c| CountryCode::parse(c).unwrap())
                .collect(),
            delivery_days_min: 2,
            delivery_days_max: 5,
        }
    }

    fn cc(c: &str) -> CountryCode {
        CountryCode::parse(c).unwrap()
    }

    fn shop() -> Shipping {
        Shipping::new(
            "EUR",
            vec![option("standard", &[]), option("express", &["DE", "AT"])],
            [("de".to_owned(), 1900), ("FR".to_owned(), 2000)],
        )
        .unwrap()
    }

    #[test]
    fn options_serve_their_countries_or_everywhere() {
        let s = shop();
        let ids = |c: Option<&str>| -> Vec<String> {
            let c = c.map(cc);
            s.listing(c.as_ref())
                .options
                .into_iter()
                .map(|o| o.id)
                .collect()
        };
        assert_eq!(ids(None), ["standard", "express"]);
        assert_eq!(ids(Some("DE")), ["standard", "express"]);
        assert_eq!(ids(Some("US")), ["standard"]);
        assert_eq!(s.listing(None).currency.as_str(), "EUR");
        assert_eq!(s.option("express").unwrap().countries.len(), 2);
    }

    #[test]
    fn shipping_is_per_order_plus_per_item() {
        let o = option("standard", &[]);
        assert_eq!(shipping_cents(&o, 0), 495);
        assert_eq!(shipping_cents(&o, 3), 795);
        let mut dear = o.clone();
        (dear.price_per_order_cents, dear.price_per_item_cents) =
            (PriceCents::MAX, PriceCents::MAX);
        assert_eq!(shipping_cents(&dear, 50_000), PriceCents::MAX * 50_001);
    }

    #[test]
    fn tax_rounds_half_up_in_minor_units() {
        assert_eq!(tax_cents(1000, 1900), 190);
        assert_eq!(tax_cents(1, 5000), 1, "0.5 rounds up");
        assert_eq!(tax_cents(3, 1500), 0, "0.45 rounds down");
        assert_eq!(tax_cents(125, 1000), 13, "12.5 rounds up");
        assert_eq!(tax_cents(124, 1000), 12);
        assert_eq!(tax_cents(-125, 1000), -13, "a refund mirrors the charge");
        assert_eq!(tax_cents(0, 1900), 0);
        assert_eq!(tax_cents(i64::MAX, 10_000), i64::MAX);
        let s = shop();
        assert_eq!(s.tax_cents(&cc("DE"), 1999), 380, "379.81");
        assert_eq!(s.tax_cents(&cc("US"), 1999), 0, "no rate: no tax");
        assert_eq!(s.tax_rate_bps(&cc("FR")), 2000);
    }

    #[test]
    fn bad_configuration_is_refused_with_its_setting() {
        let err = |currency: &str, options: Vec<ShippingOption>, rates: &[(&str, u32)]| {
            let rates = rates.iter().map(|(c, r)| (c.to_string(), *r));
            Shipping::new(currency, options, rates).unwrap_err()
        };
        let ok = || vec![option("standard", &[])];
        assert!(err("eur", ok(), &[]).starts_with("currency"));
        assert!(err("EUR", vec![], &[]).starts_with("shipping_options"));
        let twice = vec![option("a", &[]), option("a", &["DE"])];
        assert!(err("EUR", twice, &[]).contains("twice"));
        let mut negative = option("cheap", &[]);
        negative.price_per_item_cents = -1;
        assert!(err("EUR", vec![negative], &[]).contains("price_per_item_cents"));
        let mut slow = option("slow", &[]);
        slow.delivery_days_min = 9;
        assert!(err("EUR", vec![slow], &[]).contains("delivery_days_min"));
        let mut bad_id = option("Express!", &[]);
        bad_id.name = "Express".into();
        assert!(err("EUR", vec![bad_id], &[]).contains("id must"));
        assert!(err("EUR", ok(), &[("XX", 100)]).starts_with("tax_rates `XX`"));
        assert!(err("EUR", ok(), &[("DE", 10_001)]).contains("over 100 %"));
        assert!(err("EUR", ok(), &[("de", 1), ("DE", 2)]).contains("twice"));
    }
}
