//! Mail to customers, sent through the outbox: an event with a mail (see [`templates`]) gets a
//! mail job in the same fan-out as its webhook deliveries, and the job is retried until the SMTP
//! server accepts the message. Each message's `Message-ID` is derived from the event, so a
//! message sent twice (at least once, like every delivery) is recognisably the same.
pub mod templates;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

/// How the SMTP server is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// Plain SMTP: only for a server on the same host or network (development, tests).
    None,
    /// STARTTLS, required (port 587).
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
}

#[derive(Debug, Clone)]
pub struct MailConfig {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: Option<String>,
    pub password: Option<String>,
    /// The sender, e.g. `Bookstore <shop@example.com>`.
    pub from: String,
    /// The shop's public URL, for links in mails.
    pub shop_url: String,
    pub timeout: Duration,
    /// Where `stock.low` is mailed, if anywhere.
    pub stock_alerts_to: Option<String>,
}

/// Sends rendered mails over SMTP.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    pub(crate) shop_url: String,
    /// Where `stock.low` is mailed, if anywhere (checked at start).
    pub(crate) stock_alerts_to: Option<String>,
}

impl Mailer {
    pub fn new(c: &MailConfig) -> Result<Self, String> {
        let from: Mailbox = c
            .from
            .parse()
            .map_err(|e| format!("mail.from `{}`: {e}", c.from))?;
        let builder = match c.security {
            SmtpSecurity::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&c.host),
            SmtpSecurity::Starttls => tls_builder(&c.host, true)?,
            SmtpSecurity::Tls => tls_builder(&c.host, false)?,
        };
        let mut builder = builder.port(c.port).timeout(Some(c.timeout));
        if let (Some(user), Some(pass)) = (&c.username, &c.password) {
            builder = builder.credentials(Credentials::new(user.clone(), pass.clone()));
        }
        if let Some(to) = &c.stock_alerts_to {
            to.parse::<Mailbox>()
                .map_err(|e| format!("mail.stock_alerts_to `{to}`: {e}"))?;
        }
        Ok(Self {
            transport: builder.build(),
            from,
            shop_url: c.shop_url.trim_end_matches('/').to_owned(),
            stock_alerts_to: c.stock_alerts_to.clone(),
        })
    }

    /// Sends `mail` to `to`; `id` makes the `Message-ID`.
    pub async fn send(&self, id: &str, to: &str, mail: &templates::Mail) -> Result<(), String> {
        let to: Mailbox = to.parse().map_err(|e| format!("recipient `{to}`: {e}"))?;
        let host = self.from.email.domain().to_owned();
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .message_id(Some(format!("<{id}@{host}>")))
            .multipart(MultiPart::alternative_plain_html(
                mail.text.clone(),
                mail.html.clone(),
            ))
            .map_err(|e| e.to_string())?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

#[cfg(feature = "tls")]
fn tls_builder(
    host: &str,
    starttls: bool,
) -> Result<lettre::transport::smtp::AsyncSmtpTransportBuilder, String> {
    let r = if starttls {
        AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)
    } else {
        AsyncSmtpTransport::<Tokio1Executor>::relay(host)
    };
    r.map_err(|e| e.to_string())
}

#[cfg(not(feature = "tls"))]
fn tls_builder(
    _host: &str,
    _starttls: bool,
) -> Result<lettre::transport::smtp::AsyncSmtpTransportBuilder, String> {
    Err("this build has no TLS (the `tls` feature): use mail.security = \"none\"".into())
}
