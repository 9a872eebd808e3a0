use bookstore_api::settings::{AdminBootstrap, Settings, StoreKind};
use bookstore_api::startup::Application;
use bookstore_api::store::dynamo::DynamoSettings;
use bookstore_client::{Client, ClientError};
use bookstore_model::*;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tempfile::TempDir;

pub const ADMIN_EMAIL: &str = "admin@bookstore.test";
pub const ADMIN_PASSWORD: &str = "admin-password-for-tests";
pub const JWT_SECRET: &str = "test-secret-that-is-long-enough-0123456789";

/// A running server on its own store, and clients to talk to it.
pub struct TestApp {
    pub address: String,
    /// The metrics listener's address, when `metrics_listen` is set.
    pub metrics_address: Option<String>,
    /// Anonymous typed client.
    pub api: Client,
    /// Raw HTTP, for requests the typed client would never send.
    pub http: reqwest::Client,
    pub admin: Client,
    _data: TempDir,
}

/// The suite runs on the embedded store, or on DynamoDB Local when
/// `BOOKSTORE_TEST_STORE=dynamodb`: then each app gets a fresh table.
pub async fn test_dynamo() -> Option<DynamoSettings> {
    match std::env::var("BOOKSTORE_TEST_STORE").as_deref() {
        Ok("dynamodb") => Some(crate::dynamo_local::fresh_table().await.0),
        Ok("embedded") | Err(_) => None,
        Ok(other) => panic!("BOOKSTORE_TEST_STORE must be embedded or dynamodb, not {other}"),
    }
}

static USER_SEQ: AtomicU64 = AtomicU64::new(0);

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// Starts a server with adjusted settings.
    pub async fn spawn_with(adjust: impl FnOnce(&mut Settings)) -> Self {
        let data = tempfile::tempdir().expect("temp dir");
        let mut settings = Settings::for_tests(data.path());
        if let Some(dynamo) = test_dynamo().await {
            settings.store = StoreKind::Dynamodb;
            settings.dynamodb = Some(dynamo);
        }
        settings.jwt_secret = Some(JWT_SECRET.to_owned().into());
        settings.payments = Some(payment_settings());
        settings.admin = Some(AdminBootstrap {
            email: ADMIN_EMAIL.into(),
            password: ADMIN_PASSWORD.to_owned().into(),
            name: "Test Admin".into(),
        });
        adjust(&mut settings);
        let app = Application::build(settings).await.expect("build app");
        let address = format!("http://127.0.0.1:{}", app.port());
        let metrics_address = app.metrics_port().map(|p| format!("http://127.0.0.1:{p}"));
        tokio::spawn(app.run_until_stopped());
        let api = Client::new(&address);
        let admin_token = api
            .login(ADMIN_EMAIL, ADMIN_PASSWORD)
            .await
            .expect("admin login")
            .token;
        let admin = api.authed(admin_token);
        add_test_genres(&admin).await;
        Self {
            address,
            metrics_address,
            api,
            http: reqwest::Client::new(),
            admin,
            _data: data,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// What `GET /metrics` shows now.
    pub async fn metrics_text(&self) -> String {
        let res = self.http.get(self.url("/metrics")).send().await.unwrap();
        res.text().await.unwrap()
    }

    /// Registers a fresh customer and returns a client logged in as them.
    pub async fn customer(&self) -> Client {
        let n = USER_SEQ.fetch_add(1, Ordering::Relaxed);
        let req = RegisterRequest {
            email: Email::parse(&format!(
                "reader{n}-{}@example.com",
                uuid::Uuid::new_v4().simple()
            ))
            .unwrap(),
            password: Password::parse("a long enough password").unwrap(),
            name: PersonName::parse("Test Reader").unwrap(),
        };
        let res = self.api.register(&req).await.expect("register");
        self.api.authed(res.token)
    }

    /// Ships and delivers an order through the admin API (copies can be returned after).
    pub async fn deliver(&self, id: OrderId) -> Order {
        let ship = ShipOrder {
            carrier: "DHL".into(),
            tracking_number: "TEST 0001".into(),
        };
        self.admin.admin_ship_order(id, &ship).await.expect("ship");
        self.admin.admin_deliver_order(id).await.expect("deliver")
    }

    /// A return `shopper` asks for and the shop receives at once: the receipt of the receipt.
    pub async fn return_received(
        &self,
        shopper: &Client,
        order: OrderId,
        req: &CreateReturn,
    ) -> ReturnReceipt {
        let asked = shopper.create_return(order, req).await.expect("return");
        assert_eq!(asked.return_.status, ReturnStatus::Requested);
        self.admin
            .admin_receive_return(order, asked.return_.id)
            .await
            .expect("receive")
    }

    /// Adds a book through the admin API.
    pub async fn book(&self, title: &str, stock: i64) -> Book {
        self.admin
            .admin_create_book(&new_book(title, "Test Author", "fiction", 1000, stock))
            .await
            .expect("create book")
    }
}

/// A server on DynamoDB Local (whatever `BOOKSTORE_TEST_STORE` says: only a remote store can
/// leave a write's outcome unknown), reached through a proxy that holds back `operation` for
/// `delay` when told to, with short SDK timeouts: attempts of 1 s, 3 attempts, 3 s a call.
pub async fn spawn_behind_slow_proxy(
    operation: &str,
    delay: Duration,
) -> (TestApp, crate::slow_proxy::SlowProxy) {
    let (mut dynamo, _) = crate::dynamo_local::fresh_table().await;
    let upstream = dynamo.endpoint.clone().unwrap();
    let proxy = crate::slow_proxy::SlowProxy::start(&upstream, operation, delay).await;
    dynamo.endpoint = Some(proxy.endpoint.clone());
    dynamo.attempt_timeout_ms = 1_000;
    dynamo.operation_timeout_ms = 3_000;
    dynamo.max_attempts = 3;
    let app = TestApp::spawn_with(move |s| {
        s.store = StoreKind::Dynamodb;
        s.dynamodb = Some(dynamo);
    })
    .await;
    (app, proxy)
}

/// The genres the tests give books. A book's genre must be on the shop's list, which the
/// owner keeps: every test server gets these through the API, as an owner would add them.
pub const TEST_GENRES: [&str; 6] = [
    "fiction",
    "poetry",
    "history",
    "crime",
    "adventure",
    "philosophy",
];

/// Adds [`TEST_GENRES`] (those already listed stay).
pub async fn add_test_genres(owner: &Client) {
    for g in TEST_GENRES {
        loop {
            match owner.admin_add_genre(&Genre::parse(g).unwrap()).await {
                Ok(_) => break,
                Err(e) if e.code() == Some(ProblemCode::GenreExists) => break,
                // A test's low write limit (its refill is at least 1 a second).
                Err(e) if e.code() == Some(ProblemCode::RateLimited) => {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                Err(e) => panic!("adding the genre {g}: {e}"),
            }
        }
    }
}

static ISBN_SEQ: AtomicU64 = AtomicU64::new(1);

/// A valid, unique ISBN-13.
pub fn unique_isbn() -> Isbn {
    let n =
        ISBN_SEQ.fetch_add(1, Ordering::Relaxed) + u64::from(std::process::id() % 1000) * 1_000_000;
    let body = format!("979{:09}", n % 1_000_000_000);
    let digits: Vec<u32> = body.bytes().map(|b| u32::from(b - b'0')).collect();
    Isbn::parse(&format!("{body}{}", isbn13_check_digit(&digits))).unwrap()
}

pub fn new_book(title: &str, author: &str, genre: &str, price: i64, stock: i64) -> NewBook {
    NewBook::from_details(new_details(title, author, genre, price), stock)
}

pub fn new_details(title: &str, author: &str, genre: &str, price: i64) -> BookDetails {
    BookDetails {
        isbn: unique_isbn(),
        title: Title::parse(title).unwrap(),
        authors: vec![AuthorName::parse(author).unwrap()],
        genre: Genre::parse(genre).unwrap(),
        description: Description::parse("A book for tests.").unwrap(),
        price_cents: PriceCents::parse(price).unwrap(),
        published_year: 1900,
    }
}

pub fn line(book: BookId, quantity: i64) -> LineRequest {
    LineRequest {
        book_id: book,
        quantity: Quantity::parse(quantity).unwrap(),
    }
}

/// An order of `lines` to [`test_address`], shipped standard, paid with a card that works.
pub fn order_of(lines: Vec<LineRequest>) -> PlaceOrder {
    paid_with(lines, crate::payment_server::CARD_OK)
}

/// A shipment by a real carrier's tracking-number format.
pub fn ship_req() -> ShipOrder {
    ShipOrder {
        carrier: "DHL".into(),
        tracking_number: "JD014600006281".into(),
    }
}

/// `shopper` buys `copies` of `book` with a good card: the order, paid.
pub async fn buy(shopper: &Client, book: BookId, copies: i64) -> Order {
    let placed = shopper
        .place_order(&order_of(vec![line(book, copies)]), None)
        .await
        .expect("an order");
    assert_eq!(placed.value.status, OrderStatus::Paid, "{:?}", placed.value);
    placed.value
}

/// An order of `lines` paid with `payment_method`.
pub fn paid_with(lines: Vec<LineRequest>, payment_method: &str) -> PlaceOrder {
    PlaceOrder::shipped_to(
        lines,
        test_address(),
        "standard",
        PaymentMethodId::parse(payment_method).unwrap(),
    )
}

pub use crate::payment_server::test_address;

/// The settings of the shared payment server.
pub fn payment_settings() -> bookstore_api::settings::PaymentSettings {
    crate::payment_server::settings()
}

pub fn return_of(lines: Vec<LineRequest>) -> CreateReturn {
    CreateReturn {
        lines,
        reason: ReturnReason::parse("changed my mind").unwrap(),
    }
}

/// Every item of a paginated listing, following `next_cursor` until it runs out. `fetch` gets
/// the cursor of the page to read; each page must respect `limit`.
pub async fn all_pages<T, F, Fut>(limit: usize, mut fetch: F) -> Vec<T>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<Output = Page<T>>,
{
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let page = fetch(cursor).await;
        assert!(page.items.len() <= limit, "a page larger than its limit");
        out.extend(page.items);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return out,
        }
    }
}

/// The problem code of an error, panicking on success.
pub fn code_of<T: std::fmt::Debug>(r: Result<T, ClientError>) -> (u16, ProblemCode) {
    let e = r.expect_err("expected an error");
    (
        e.status().unwrap_or(0),
        e.code().unwrap_or_else(|| panic!("not a problem: {e}")),
    )
}

/// Asserts a raw response is a problem document with the given status and code.
pub async fn assert_problem(res: reqwest::Response, status: u16, code: &str) -> serde_json::Value {
    assert_eq!(res.status().as_u16(), status, "status");
    let ct = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap_or("").to_owned())
        .unwrap_or_default();
    assert!(
        ct.starts_with("application/problem+json"),
        "content-type {ct}"
    );
    let body: serde_json::Value = res.json().await.expect("problem JSON");
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status);
    for field in ["type", "title", "detail"] {
        assert!(body[field].is_string(), "problem lacks {field}: {body}");
    }
    body
}

/// The `bookstore` binary serving a data directory (or a DynamoDB table) as a process of its
/// own, as in production; killed (`kill -9`) when dropped.
pub struct Server {
    pub child: Child,
    pub client: Client,
}

impl Server {
    /// The bootstrap admin, signed in.
    pub async fn admin(&self) -> Client {
        let login = self.client.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let admin = self.client.authed(login.expect("admin login").token);
        add_test_genres(&admin).await;
        admin
    }

    /// A new customer `email` (password: the e-mail twice), signed in.
    pub async fn shopper(&self, email: &str) -> Client {
        let reg = RegisterRequest {
            email: Email::parse(email).unwrap(),
            password: Password::parse(&format!("{email}{email}")).unwrap(),
            name: PersonName::parse("Shopper").unwrap(),
        };
        let registered = self.client.register(&reg).await.expect("register");
        self.client.authed(registered.token)
    }

    /// `email` (made by `shopper`) signed in again, e.g. after a restart.
    pub async fn shopper_again(&self, email: &str) -> Client {
        let login = self.client.login(email, &format!("{email}{email}")).await;
        self.client.authed(login.expect("shopper login").token)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A `bookstore` command on the store the tests run on: the data directory, or `dynamo`'s table.
pub fn bookstore_on(data: &std::path::Path, dynamo: Option<&DynamoSettings>) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bookstore"));
    cmd.env("BOOKSTORE__DATA_DIR", data).env("RUST_LOG", "warn");
    let payments = crate::payment_server::url();
    cmd.env("BOOKSTORE__PAYMENTS__API_URL", payments)
        .env(
            "BOOKSTORE__PAYMENTS__SECRET_KEY",
            crate::payment_server::SECRET_KEY,
        )
        .env(
            "BOOKSTORE__PAYMENTS__PUBLISHABLE_KEY",
            crate::payment_server::PUBLISHABLE_KEY,
        );
    if let Some(d) = dynamo {
        cmd.env("BOOKSTORE__STORE", "dynamodb")
            .env("BOOKSTORE__DYNAMODB__TABLE", &d.table)
            .env(
                "BOOKSTORE__DYNAMODB__ENDPOINT",
                d.endpoint.as_deref().unwrap_or_default(),
            )
            .env(
                "BOOKSTORE__DYNAMODB__ATTEMPT_TIMEOUT_MS",
                d.attempt_timeout_ms.to_string(),
            )
            .env(
                "BOOKSTORE__DYNAMODB__OPERATION_TIMEOUT_MS",
                d.operation_timeout_ms.to_string(),
            );
    }
    cmd
}

/// Starts `bookstore serve` and waits until it is ready.
pub async fn start_server(data: &std::path::Path, dynamo: Option<&DynamoSettings>) -> Server {
    start_server_with(data, dynamo, &[]).await
}

/// [`start_server`] with more settings, as `BOOKSTORE__...` variables.
pub async fn start_server_with(
    data: &std::path::Path,
    dynamo: Option<&DynamoSettings>,
    env: &[(&str, &str)],
) -> Server {
    let port = free_port();
    let child = bookstore_on(data, dynamo)
        .envs(env.iter().copied())
        .arg("serve")
        .env("BOOKSTORE__LISTEN", format!("127.0.0.1:{port}"))
        .env("BOOKSTORE__JWT_SECRET", JWT_SECRET)
        .env("BOOKSTORE__SEED_DEMO", "false")
        .env("BOOKSTORE__ADMIN__EMAIL", ADMIN_EMAIL)
        .env("BOOKSTORE__ADMIN__PASSWORD", ADMIN_PASSWORD)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the bookstore binary");
    let server = Server {
        child,
        client: Client::new(format!("http://127.0.0.1:{port}")),
    };
    let http = reqwest::Client::new();
    for _ in 0..200 {
        if http
            .get(format!("http://127.0.0.1:{port}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            return server;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the server did not become ready");
}

/// `n` app instances on one store (the embedded store in a temp dir, or a fresh DynamoDB Local
/// table), as several processes would share one table; with the bootstrap admin.
pub struct Instances {
    pub urls: Vec<String>,
    _data: TempDir,
}

pub async fn instances_on_one_store(n: usize) -> Instances {
    instances_with(n, |_| {}).await
}

/// [`instances_on_one_store`] with adjusted settings.
pub async fn instances_with(n: usize, adjust: impl FnOnce(&mut Settings)) -> Instances {
    let data = tempfile::tempdir().unwrap();
    let mut settings = Settings::for_tests(data.path());
    if let Some(dynamo) = test_dynamo().await {
        settings.store = StoreKind::Dynamodb;
        settings.dynamodb = Some(dynamo);
    }
    settings.admin = Some(AdminBootstrap {
        email: ADMIN_EMAIL.into(),
        password: ADMIN_PASSWORD.to_owned().into(),
        name: "Admin".into(),
    });
    settings.payments = Some(payment_settings());
    adjust(&mut settings);
    let store = bookstore_api::startup::open_store(&settings).await.unwrap();
    let mut urls = Vec::new();
    for _ in 0..n {
        let app = Application::build_with_store(settings.clone(), store.clone())
            .await
            .unwrap();
        urls.push(format!("http://127.0.0.1:{}", app.port()));
        tokio::spawn(app.run_until_stopped());
    }
    let api = Client::new(&urls[0]);
    let token = api.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.unwrap().token;
    add_test_genres(&api.authed(token)).await;
    Instances { urls, _data: data }
}
