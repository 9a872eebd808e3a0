//! The payment provider: Stripe's PaymentIntents API over HTTPS (in tests and `cargo xtask run`,
//! localstripe, a stateful emulator of it). Cards are authorized at checkout (manual capture),
//! captured when the order ships, and voided or refunded when it is cancelled or returned.
//!
//! Every call that changes money carries an idempotency key derived from the order, and none
//! relies on it alone (localstripe ignores it, and Stripe forgets keys after a day): a retry
//! first reads the intent's state, and a refund first looks for one with its key in the
//! intent's refunds.
use serde::Deserialize;
use serde_json::Value;
use std::time::Duration;

/// Where the provider is and who the shop is to it.
#[derive(Debug, Clone)]
pub struct PaymentsConfig {
    /// E.g. `https://api.stripe.com` (no trailing slash).
    pub api_url: String,
    pub secret_key: String,
    pub publishable_key: String,
    /// The provider's script for the shopper's browser.
    pub js_url: String,
    pub timeout: Duration,
    /// How long an unpaid order holds its copies.
    pub payment_timeout: Duration,
}

/// A PaymentIntent as far as the shop reads it.
#[derive(Debug, Clone, Deserialize)]
pub struct Intent {
    pub id: String,
    /// `requires_payment_method`, `requires_confirmation`, `requires_action`, `processing`,
    /// `requires_capture`, `succeeded` or `canceled`.
    pub status: String,
    #[serde(default)]
    pub client_secret: Option<String>,
    #[serde(default)]
    pub amount: i64,
    #[serde(default)]
    pub last_payment_error: Option<Value>,
}

impl Intent {
    /// The money is held or taken.
    pub fn authorized(&self) -> bool {
        matches!(self.status.as_str(), "requires_capture" | "succeeded")
    }

    /// Nothing can be taken any more without the shopper starting again.
    pub fn dead(&self) -> bool {
        matches!(self.status.as_str(), "canceled" | "requires_payment_method")
    }
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum ProviderError {
    /// The card was refused (`card_declined` and the like): a final answer.
    #[error("{message}")]
    Declined { code: String, message: String },
    /// The provider refused the request itself (a 4xx that is no decline).
    #[error("the payment provider refused the request ({status}): {message}")]
    Refused { status: u16, message: String },
    /// No answer, or a 5xx / 429: whether it acted is unknown; ask again later.
    #[error("the payment provider is unavailable: {0}")]
    Unavailable(String),
}

pub struct Payments {
    config: PaymentsConfig,
    client: reqwest::Client,
}

impl Payments {
    pub fn new(config: PaymentsConfig) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(5)))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self { config, client })
    }

    pub fn config(&self) -> &PaymentsConfig {
        &self.config
    }

    /// A PaymentIntent for an order, not yet confirmed (nothing is held until
    /// [`confirm`](Self::confirm)), to be captured by hand.
    pub async fn create_intent(
        &self,
        order_id: &str,
        amount_cents: i64,
        currency: &str,
        payment_method: &str,
    ) -> Result<Intent, ProviderError> {
        let form = [
            ("amount", amount_cents.to_string()),
            ("currency", currency.to_ascii_lowercase()),
            ("capture_method", "manual".into()),
            ("payment_method", payment_method.into()),
            ("metadata[order_id]", order_id.into()),
        ];
        self.post(
            "/v1/payment_intents",
            &form,
            &format!("order-{order_id}-intent"),
        )
        .await
    }

    pub async fn retrieve(&self, intent: &str) -> Result<Intent, ProviderError> {
        let res = self
            .client
            .get(self.url(&format!("/v1/payment_intents/{intent}")))
            .basic_auth(&self.config.secret_key, Some(""))
            .send()
            .await;
        parse(res).await
    }

    /// Authorizes the intent's card: `requires_capture` when held, `requires_action` when the
    /// card wants 3-D Secure, [`ProviderError::Declined`] when refused.
    ///
    /// Two requests for one order (a shopper's retries) may confirm its intent at once. While
    /// the first runs the provider answers the other 409 (unavailable: ask again later); once
    /// the intent has moved on, 400, which is no answer about the card. So a refused
    /// confirmation looks at the intent: confirmed meanwhile, its state is the answer.
    pub async fn confirm(&self, intent: &str) -> Result<Intent, ProviderError> {
        let confirmed = self
            .post(
                &format!("/v1/payment_intents/{intent}/confirm"),
                &[],
                &format!("{intent}-confirm"),
            )
            .await;
        match confirmed {
            Err(refused @ ProviderError::Refused { .. }) => match self.retrieve(intent).await {
                Ok(now) if now.status != "requires_confirmation" => Ok(now),
                _ => Err(refused),
            },
            other => other,
        }
    }

    pub async fn capture(&self, intent: &str) -> Result<Intent, ProviderError> {
        self.post(
            &format!("/v1/payment_intents/{intent}/capture"),
            &[],
            &format!("{intent}-capture"),
        )
        .await
    }

    /// Releases a hold (or an intent never confirmed).
    pub async fn cancel(&self, intent: &str) -> Result<Intent, ProviderError> {
        self.post(
            &format!("/v1/payment_intents/{intent}/cancel"),
            &[],
            &format!("{intent}-cancel"),
        )
        .await
    }

    /// Pays back `amount_cents` of a captured intent, once per `key`: a refund already made
    /// with this key (found in the intent's refunds) is not made again.
    pub async fn refund(
        &self,
        intent: &str,
        amount_cents: i64,
        key: &str,
    ) -> Result<(), ProviderError> {
        let res = self
            .client
            .get(format!(
                "{}?{}",
                self.url("/v1/refunds"),
                encode(&[
                    ("payment_intent", intent.to_owned()),
                    ("limit", "100".into())
                ])
            ))
            .basic_auth(&self.config.secret_key, Some(""))
            .send()
            .await;
        let list: Value = parse(res).await?;
        let done = list["data"].as_array().is_some_and(|refunds| {
            refunds
                .iter()
                .any(|r| r["metadata"]["shop_key"].as_str() == Some(key))
        });
        if done {
            return Ok(());
        }
        let form = [
            ("payment_intent", intent.to_owned()),
            ("amount", amount_cents.to_string()),
            ("metadata[shop_key]", key.to_owned()),
        ];
        let _: Value = self.post("/v1/refunds", &form, key).await?;
        Ok(())
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.config.api_url.trim_end_matches('/'))
    }

    async fn post<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        form: &[(&str, String)],
        idempotency_key: &str,
    ) -> Result<T, ProviderError> {
        let res = self
            .client
            .post(self.url(path))
            .basic_auth(&self.config.secret_key, Some(""))
            .header("Idempotency-Key", idempotency_key)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(encode(form))
            .send()
            .await;
        parse(res).await
    }
}

/// Stripe's request encoding (`metadata[key]` names are plain keys to it).
fn encode(pairs: &[(&str, String)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())))
        .finish()
}

async fn parse<T: serde::de::DeserializeOwned>(
    res: Result<reqwest::Response, reqwest::Error>,
) -> Result<T, ProviderError> {
    let res = res.map_err(|e| ProviderError::Unavailable(crate::webhooks::net::describe(&e)))?;
    let status = res.status();
    let body: Value = res
        .json()
        .await
        .map_err(|e| ProviderError::Unavailable(crate::webhooks::net::describe(&e)))?;
    if status.is_success() {
        return serde_json::from_value(body)
            .map_err(|e| ProviderError::Unavailable(format!("unexpected answer: {e}")));
    }
    let error = &body["error"];
    let message = error["message"].as_str().unwrap_or("no message").to_owned();
    // 409: another request with the same idempotency key is still running; ask again later.
    if status.is_server_error() || matches!(status.as_u16(), 409 | 429) {
        return Err(ProviderError::Unavailable(format!("{status}: {message}")));
    }
    let code = error["decline_code"]
        .as_str()
        .or_else(|| error["code"].as_str())
        .unwrap_or_default()
        .to_owned();
    if status.as_u16() == 402 || error["type"].as_str() == Some("card_error") {
        return Err(ProviderError::Declined { code, message });
    }
    Err(ProviderError::Refused {
        status: status.as_u16(),
        message,
    })
}
