//! The payment provider (section `payments`): Stripe's API, or a server that speaks it
//! (localstripe in tests and `cargo xtask run`). Without it, checkout answers 503.
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentSettings {
    /// The API's base URL, e.g. `https://api.stripe.com`.
    pub api_url: String,
    /// The secret key (`sk_…`): from the environment or a secrets store, never a file in git.
    pub secret_key: SecretString,
    /// The publishable key (`pk_…`) the shopper's browser uses.
    pub publishable_key: String,
    /// The provider's script for the browser.
    #[serde(default = "default_js_url")]
    pub js_url: String,
    /// How long one call to the provider may take.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// How long an unpaid order holds its copies before they go back to stock.
    #[serde(default = "default_payment_timeout_secs")]
    pub payment_timeout_secs: u64,
}

fn default_js_url() -> String {
    "https://js.stripe.com/v3/".into()
}

fn default_timeout_ms() -> u64 {
    10_000
}

fn default_payment_timeout_secs() -> u64 {
    15 * 60
}

impl PaymentSettings {
    pub fn payments_config(&self) -> bookstore_domain::PaymentsConfig {
        use std::time::Duration;
        bookstore_domain::PaymentsConfig {
            api_url: self.api_url.trim_end_matches('/').to_owned(),
            secret_key: self.secret_key.expose_secret().to_owned(),
            publishable_key: self.publishable_key.clone(),
            js_url: self.js_url.clone(),
            timeout: Duration::from_millis(self.timeout_ms.max(1)),
            payment_timeout: Duration::from_secs(self.payment_timeout_secs.max(1)),
        }
    }
}
