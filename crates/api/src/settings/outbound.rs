//! Settings of what the shop sends out: webhook deliveries (and the outbox's dispatcher) and
//! mail.
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// Webhook deliveries and the outbox's dispatcher (section `webhooks`).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhookSettings {
    /// Whether endpoints may be loopback or private addresses. Never in production: it lets
    /// whoever manages webhooks make the server call its own network (SSRF).
    pub allow_private_targets: bool,
    /// How long a failing delivery is retried; an endpoint that accepted nothing for this
    /// long is disabled.
    pub retry_period_secs: u64,
    /// The first retry's delay; each next one doubles (with jitter) up to `max_backoff_secs`.
    pub first_backoff_ms: u64,
    pub max_backoff_secs: u64,
    /// How long one delivery attempt may take.
    pub timeout_ms: u64,
    /// How long a dispatcher holds a claimed job (at least three attempts' timeouts).
    pub lease_secs: u64,
    /// How often each instance reads the outbox for work it was not woken for.
    pub poll_ms: u64,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            allow_private_targets: false,
            retry_period_secs: 3 * 24 * 3600,
            first_backoff_ms: 5000,
            max_backoff_secs: 6 * 3600,
            timeout_ms: 10_000,
            lease_secs: 60,
            poll_ms: 5000,
        }
    }
}

impl WebhookSettings {
    pub fn webhook_config(&self) -> bookstore_domain::webhooks::WebhookConfig {
        use std::time::Duration;
        bookstore_domain::webhooks::WebhookConfig {
            allow_private: self.allow_private_targets,
            retry_period: Duration::from_secs(self.retry_period_secs),
            first_backoff: Duration::from_millis(self.first_backoff_ms),
            max_backoff: Duration::from_secs(self.max_backoff_secs),
            timeout: Duration::from_millis(self.timeout_ms.max(1)),
            ..Default::default()
        }
    }

    pub fn dispatch_config(&self) -> bookstore_domain::outbox::dispatch::DispatchConfig {
        use std::time::Duration;
        bookstore_domain::outbox::dispatch::DispatchConfig {
            lease: Duration::from_secs(self.lease_secs.max(1)),
            poll: Duration::from_millis(self.poll_ms.max(10)),
            ..Default::default()
        }
    }
}

/// Mail to customers over SMTP (section `mail`); without it the shop sends none.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailSettings {
    pub smtp_host: String,
    #[serde(default = "default_smtp_port")]
    pub smtp_port: u16,
    /// `starttls` (default), `tls`, or `none` (only for a server on this host or network).
    #[serde(default = "default_smtp_security")]
    pub security: bookstore_domain::mail::SmtpSecurity,
    pub username: Option<String>,
    pub password: Option<SecretString>,
    /// The sender, e.g. `Bookstore <shop@example.com>`.
    pub from: String,
    /// The shop's public URL, for links in mails.
    pub shop_url: String,
    #[serde(default = "default_smtp_timeout_ms")]
    pub timeout_ms: u64,
    /// Where `stock.low` is mailed (e.g. the owners' shared inbox); unset: nowhere (webhooks
    /// still receive it).
    #[serde(default)]
    pub stock_alerts_to: Option<String>,
}

fn default_smtp_port() -> u16 {
    587
}

fn default_smtp_security() -> bookstore_domain::mail::SmtpSecurity {
    bookstore_domain::mail::SmtpSecurity::Starttls
}

fn default_smtp_timeout_ms() -> u64 {
    10_000
}

impl MailSettings {
    pub fn mail_config(&self) -> bookstore_domain::mail::MailConfig {
        bookstore_domain::mail::MailConfig {
            host: self.smtp_host.clone(),
            port: self.smtp_port,
            security: self.security,
            username: self.username.clone(),
            password: self.password.as_ref().map(|p| p.expose_secret().to_owned()),
            from: self.from.clone(),
            shop_url: self.shop_url.clone(),
            timeout: std::time::Duration::from_millis(self.timeout_ms.max(1)),
            stock_alerts_to: self.stock_alerts_to.clone(),
        }
    }
}
