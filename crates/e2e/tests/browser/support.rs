//! The real server (on a free port, serving the built SPA), the test data, and the browser
//! (`driver`). Nothing here skips: a missing browser or SPA build fails the test.
use bookstore_api::settings::{AdminBootstrap, Settings};
use bookstore_api::startup::Application;
use bookstore_client::Client;
use bookstore_model::*;
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tempfile::TempDir;

pub const ADMIN_EMAIL: &str = "admin@bookstore.test";
pub const ADMIN_PASSWORD: &str = "admin-password-for-e2e";
pub const PASSWORD: &str = "a long enough password";

/// One browser test at a time: they share two cores.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

pub async fn serial() -> tokio::sync::MutexGuard<'static, ()> {
    SERIAL.lock().await
}

fn workspace() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// The built SPA: `$BOOKSTORE_E2E_DIST` (set by `cargo xtask test`) or `frontend/dist`.
pub fn dist() -> PathBuf {
    let dir = std::env::var_os("BOOKSTORE_E2E_DIST")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("frontend/dist"));
    assert!(
        dir.join("index.html").is_file(),
        "no SPA build in {}: run `cargo xtask spa` first (or `cargo xtask test`, which does)",
        dir.display()
    );
    dir
}

/// Where screenshots go: `$BOOKSTORE_SCREENSHOTS`, else `<target dir>/screenshots`.
pub fn screenshot_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("BOOKSTORE_SCREENSHOTS") {
        return PathBuf::from(d);
    }
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target"))
        .join("screenshots")
}

/// Settings that send the shop's mails to `smtp` (links point to `https://shop.example`).
pub fn mail_to(smtp: &crate::smtp::SmtpServer) -> impl FnOnce(&mut Settings) {
    let port = smtp.port;
    move |s: &mut Settings| {
        s.mail = Some(
            serde_json::from_value(serde_json::json!({
                "smtp_host": "127.0.0.1",
                "smtp_port": port,
                "security": "none",
                "from": "Bookstore <shop@bookstore.test>",
                "shop_url": "https://shop.example",
                "timeout_ms": 2000,
            }))
            .expect("mail settings"),
        );
        s.webhooks.first_backoff_ms = 100;
    }
}

/// The token of the link to `https://shop.example/<page>?token=` in the last mail to `to`.
pub async fn mailed_token(smtp: &crate::smtp::SmtpServer, to: &str, page: &str) -> String {
    let prefix = format!("https://shop.example/{page}?token=");
    let deadline = Instant::now() + WAIT;
    loop {
        let found = smtp
            .messages()
            .into_iter()
            .rev()
            .filter(|m| m.header("To").is_some_and(|t| t.contains(to)))
            .find_map(|m| {
                let text = m.text();
                let at = text.find(&prefix)? + prefix.len();
                let token: String = text[at..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                    .collect();
                (!token.is_empty()).then_some(token)
            });
        if let Some(t) = found {
            return t;
        }
        assert!(
            Instant::now() < deadline,
            "no mail to {to} linking to /{page}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// An order of `quantity` copies of `book`, shipped to Berlin, paid with a card that works.
pub fn order_of(book: bookstore_model::BookId, quantity: i64) -> bookstore_model::PlaceOrder {
    use bookstore_model::*;
    PlaceOrder::shipped_to(
        vec![LineRequest {
            book_id: book,
            quantity: Quantity::parse(quantity).unwrap(),
        }],
        AddressInput {
            name: "Browser Reader".into(),
            line1: "1 Test Street".into(),
            line2: None,
            city: "Berlin".into(),
            region: None,
            postal_code: "10115".into(),
            country: "DE".into(),
            phone: None,
        },
        "standard",
        PaymentMethodId::parse(crate::payment_server::CARD_OK).unwrap(),
    )
}

/// The whole shop on a fresh store, with an admin account.
pub struct Shop {
    pub url: String,
    pub api: Client,
    pub admin: Client,
    _data: TempDir,
}

static SEQ: AtomicU64 = AtomicU64::new(1);

impl Shop {
    pub async fn start() -> Self {
        Self::start_with(|_| ()).await
    }

    /// [`Shop::start`], with settings changed by `configure` first.
    pub async fn start_with(configure: impl FnOnce(&mut Settings)) -> Self {
        if std::env::var_os("BOOKSTORE_E2E_LOG").is_some() {
            bookstore_api::telemetry::init();
        }
        let data = tempfile::tempdir().expect("temp dir");
        let mut settings = Settings::for_tests(data.path());
        settings.static_dir = dist();
        // The tests' webhook receivers listen on loopback.
        settings.webhooks.allow_private_targets = true;
        settings.webhooks.poll_ms = 200;
        let payments = crate::payment_server::url();
        settings.payments = Some(bookstore_api::settings::PaymentSettings {
            api_url: payments.to_owned(),
            secret_key: crate::payment_server::SECRET_KEY.to_owned().into(),
            publishable_key: crate::payment_server::PUBLISHABLE_KEY.into(),
            js_url: format!("{payments}/js.stripe.com/v3/"),
            timeout_ms: 10_000,
            payment_timeout_secs: 900,
        });
        // The shop's one currency: the tests read prices as dollars.
        settings.currency = "USD".into();
        configure(&mut settings);
        settings.admin = Some(AdminBootstrap {
            email: ADMIN_EMAIL.into(),
            password: ADMIN_PASSWORD.to_owned().into(),
            name: "Shop Admin".into(),
        });
        let app = Application::build(settings).await.expect("build app");
        let url = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        let api = Client::new(&url);
        let token = api
            .login(ADMIN_EMAIL, ADMIN_PASSWORD)
            .await
            .expect("admin login")
            .token;
        let admin = api.authed(token);
        // A book's genre must be on the shop's list: the owner adds those the tests use.
        for genre in ["fiction", "mystery"] {
            admin
                .admin_add_genre(&Genre::parse(genre).expect("genre"))
                .await
                .expect("add genre");
        }
        Self {
            url,
            api,
            admin,
            _data: data,
        }
    }

    /// Adds a book through the API.
    pub async fn book(&self, title: &str, author: &str, price_cents: i64, stock: i64) -> Book {
        self.admin
            .admin_create_book(&NewBook::from_details(
                details(title, author, price_cents),
                stock,
            ))
            .await
            .expect("create book")
    }

    /// A fresh customer: e-mail and a logged-in client.
    pub async fn customer(&self) -> (String, Client) {
        let email = unique_email();
        let auth = self
            .api
            .register(&RegisterRequest {
                email: Email::parse(&email).expect("email"),
                password: Password::parse(PASSWORD).expect("password"),
                name: PersonName::parse("Other Reader").expect("name"),
            })
            .await
            .expect("register");
        (email, self.api.authed(auth.token))
    }
}

pub fn unique_email() -> String {
    format!(
        "reader{}-{}@example.com",
        SEQ.fetch_add(1, Ordering::Relaxed),
        std::process::id()
    )
}

/// A valid ISBN-13, unique within this process.
pub fn unique_isbn() -> String {
    let n = SEQ.fetch_add(1, Ordering::Relaxed) + u64::from(std::process::id() % 1000) * 1_000_000;
    let body = format!("979{:09}", n % 1_000_000_000);
    let digits: Vec<u32> = body.bytes().map(|b| u32::from(b - b'0')).collect();
    format!("{body}{}", isbn13_check_digit(&digits))
}

pub fn details(title: &str, author: &str, price_cents: i64) -> BookDetails {
    BookDetails {
        isbn: Isbn::parse(&unique_isbn()).expect("isbn"),
        title: Title::parse(title).expect("title"),
        authors: vec![AuthorName::parse(author).expect("author")],
        genre: Genre::parse("fiction").expect("genre"),
        description: Description::parse("A book for the browser tests.").expect("description"),
        price_cents: PriceCents::parse(price_cents).expect("price"),
        published_year: 2001,
    }
}

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

pub use crate::driver::{Browser, WAIT};
