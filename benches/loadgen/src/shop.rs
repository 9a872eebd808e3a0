//! The emulated shoppers: TPC-W's interactions mapped onto the shop's API, its three mixes,
//! think time, and the consistency check after the run.
//!
//! | TPC-W interaction    | here                                                          |
//! |----------------------|---------------------------------------------------------------|
//! | Home                 | `GET /bestsellers?limit=5` and `GET /books?sort=newest&limit=10`, concurrently |
//! | New Products         | `GET /books?genre=G&sort=newest&limit=20`                      |
//! | Best Sellers         | `GET /bestsellers?limit=20`                                    |
//! | Product Detail       | `GET /books/{id}` (zipfian id)                                 |
//! | Search Request       | `GET /genres` (the search form lists the subjects)             |
//! | Search Results       | `GET /books?q=WORD&limit=20`                                   |
//! | Shopping Cart        | client-side cart: a detail fetch of the book added             |
//! | Customer Registration| signed in: `GET /me`; else 20 % `POST /auth/register`, 80 % `POST /auth/login` |
//! | Buy Request          | `GET /me`                                                      |
//! | Buy Confirm          | `POST /orders` with the cart and an `Idempotency-Key`          |
//! | Order Inquiry        | `GET /orders?limit=10`                                         |
//! | Order Display        | `GET /orders/{id}` of the shopper's latest order               |
//! | Admin Request        | `GET /books/{id}` as the admin                                 |
//! | Admin Confirm        | `GET /books/{id}` then `PUT /admin/books/{id}` with `If-Match` |
//! | (not in TPC-W) Return| `POST /orders/{id}/returns` of one copy of one of its orders    |
//!
//! Interactions are drawn independently with the mix's frequencies (TPC-W drives them through
//! a transition matrix whose stationary distribution is the mix; the frequencies are the same).
//!
//! User sessions: TPC-W's emulated browsers run sessions of a negative-exponential length (mean
//! 15 minutes at 7 s think time, so ~128 interactions). A shopper signs in (logs in, or
//! registers) when a session starts and keeps its token for the session, as the SPA does; a
//! Customer Registration page within a session finds it signed in (`GET /me`). With
//! `session_mean = 0` every Customer Registration signs in anew (a password hash each time).
use crate::dataset::{GENRES, TITLE_WORDS, customer};
use crate::rng::Rng;
use crate::stats::{Outcome, Percentiles, Stats, TimelinePoint};
use crate::zipf::Popularity;
use anyhow::{Context, bail};
use bookstore_client::{Client, ClientError};
use bookstore_model::{
    Book, BookDetails, BookId, BookQuery, BookSort, CreateReturn, Email, LineRequest, OrderId,
    PageQuery, Password, PersonName, PlaceOrder, PriceCents, ProblemCode, Quantity,
    RegisterRequest, ReturnReason,
};
use futures::StreamExt;
use serde::Serialize;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Mix {
    /// ~95 % browse, 5 % order.
    Browsing,
    /// ~80 % browse, 20 % order (TPC-W's primary mix, WIPS).
    Shopping,
    /// ~50 % browse, 50 % order.
    Ordering,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Home,
    NewProducts,
    BestSellers,
    ProductDetail,
    SearchRequest,
    SearchResults,
    ShoppingCart,
    Register,
    Login,
    /// Customer Registration of a shopper already signed in.
    SignedIn,
    BuyRequest,
    BuyConfirm,
    OrderInquiry,
    OrderDisplay,
    AdminRequest,
    AdminConfirm,
    Return,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Self::Home => "home",
            Self::NewProducts => "new_products",
            Self::BestSellers => "best_sellers",
            Self::ProductDetail => "product_detail",
            Self::SearchRequest => "search_request",
            Self::SearchResults => "search_results",
            Self::ShoppingCart => "shopping_cart",
            Self::Register => "register",
            Self::Login => "login",
            Self::SignedIn => "registration_signed_in",
            Self::BuyRequest => "buy_request",
            Self::BuyConfirm => "buy_confirm",
            Self::OrderInquiry => "order_inquiry",
            Self::OrderDisplay => "order_display",
            Self::AdminRequest => "admin_request",
            Self::AdminConfirm => "admin_confirm",
            Self::Return => "return",
        }
    }

    pub fn is_browse(self) -> bool {
        BROWSE.contains(&self)
    }
}

/// TPC-W's browsing interactions; the others are ordering interactions.
pub const BROWSE: [Kind; 6] = [
    Kind::Home,
    Kind::NewProducts,
    Kind::BestSellers,
    Kind::ProductDetail,
    Kind::SearchRequest,
    Kind::SearchResults,
];

/// The mix's frequencies in percent: TPC-W clause 5.2.1's table, with Customer Registration
/// split 20/80 into register/login, plus returns (not in TPC-W) on top.
pub fn weights(mix: Mix) -> Vec<(Kind, f64)> {
    use Kind::*;
    // home, new, best, detail, search req, search res, cart, registration, buy req,
    // buy confirm, order inquiry, order display, admin req, admin confirm, return
    let w: [f64; 15] = match mix {
        Mix::Browsing => [
            29.00, 11.00, 11.00, 21.00, 12.00, 11.00, 2.00, 0.82, 0.75, 0.69, 0.30, 0.25, 0.10,
            0.09, 0.05,
        ],
        Mix::Shopping => [
            16.00, 5.00, 5.00, 17.00, 20.00, 17.00, 11.60, 3.00, 2.60, 1.20, 0.75, 0.66, 0.10,
            0.09, 0.30,
        ],
        Mix::Ordering => [
            9.12, 0.46, 0.46, 12.35, 14.53, 13.08, 13.53, 12.86, 12.73, 10.18, 0.25, 0.22, 0.12,
            0.11, 1.00,
        ],
    };
    vec![
        (Home, w[0]),
        (NewProducts, w[1]),
        (BestSellers, w[2]),
        (ProductDetail, w[3]),
        (SearchRequest, w[4]),
        (SearchResults, w[5]),
        (ShoppingCart, w[6]),
        (Register, w[7] * 0.2),
        (Login, w[7] * 0.8),
        (BuyRequest, w[8]),
        (BuyConfirm, w[9]),
        (OrderInquiry, w[10]),
        (OrderDisplay, w[11]),
        (AdminRequest, w[12]),
        (AdminConfirm, w[13]),
        (Return, w[14]),
    ]
}

#[derive(Debug, Clone, Serialize)]
pub struct RunConfig {
    pub base: String,
    pub admin_email: String,
    #[serde(skip)]
    pub admin_password: String,
    pub mix: Mix,
    pub shoppers: usize,
    /// Customers of the dataset (`shopper-{i}@loadgen.example`) the shoppers log in as.
    pub customers: usize,
    pub duration: Duration,
    /// Left out of the summary (but shown in the timeline).
    pub warmup: Duration,
    /// Mean of the negative-exponential think time; zero runs at peak.
    pub think_mean: Duration,
    /// Mean interactions per user session (negative-exponential, capped at 4× as TPC-W caps
    /// session time); 0 = no sessions, every Customer Registration logs in or registers.
    pub session_mean: u64,
    pub theta: f64,
    pub max_cart_lines: usize,
    pub seed: u64,
    pub progress: bool,
    pub verify: bool,
    #[serde(skip)]
    pub json: Option<PathBuf>,
    #[serde(skip)]
    pub chart: Option<PathBuf>,
}

impl RunConfig {
    pub fn new(base: &str, admin_email: &str, admin_password: &str) -> Self {
        Self {
            base: base.into(),
            admin_email: admin_email.into(),
            admin_password: admin_password.into(),
            mix: Mix::Shopping,
            shoppers: 64,
            customers: 200,
            duration: Duration::from_secs(60),
            warmup: Duration::from_secs(5),
            think_mean: Duration::ZERO,
            session_mean: 128,
            theta: 0.99,
            max_cart_lines: 3,
            seed: 1,
            progress: true,
            verify: true,
            json: None,
            chart: None,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct InteractionReport {
    /// Completed interactions per second over the measured window.
    pub per_second: f64,
    #[serde(flatten)]
    pub latency: Percentiles,
    /// Refusals the workload provokes on purpose, by problem code.
    pub expected: BTreeMap<String, u64>,
    /// Errors by HTTP status (0: transport failure or timeout).
    pub errors: BTreeMap<u16, u64>,
    /// The first few distinct errors, with their causes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub error_samples: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Consistency {
    pub books_checked: usize,
    /// Books where `initial = now + sold - returned` does not hold.
    pub stock_mismatches: Vec<String>,
    pub negative_stock: usize,
    pub orders_acknowledged: usize,
    pub orders_missing: Vec<String>,
    /// Order placements whose outcome stayed unknown after retries with the same key.
    pub orders_ambiguous: u64,
    pub units_sold: i64,
    pub units_returned: i64,
    pub ok: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub config: RunConfig,
    pub started_at: chrono::DateTime<chrono::Utc>,
    pub catalogue_books: usize,
    pub measured_secs: f64,
    /// Completed interactions per second (TPC-W's WIPS) over the measured window.
    pub wips: f64,
    pub browse_share: f64,
    pub total: Percentiles,
    pub errors: u64,
    pub interactions: BTreeMap<String, InteractionReport>,
    pub timeline: Vec<TimelinePoint>,
    pub consistency: Option<Consistency>,
}

#[derive(Default)]
struct Ledger {
    sold: HashMap<BookId, i64>,
    returned: HashMap<BookId, i64>,
    /// Units of placements whose outcome is unknown, per book.
    ambiguous: HashMap<BookId, i64>,
    ambiguous_orders: u64,
    /// Acknowledged orders, with the token that may read them and the units per book.
    orders: Vec<(OrderId, Arc<str>, u32)>,
}

struct Shared {
    cfg: RunConfig,
    http: reqwest::Client,
    admin: Client,
    books: Popularity<BookId>,
    start: Instant,
    deadline: Instant,
    stats: Mutex<Stats>,
    ledger: Mutex<Ledger>,
    completed: AtomicU64,
    failed: AtomicU64,
    registered: AtomicUsize,
    run_id: String,
}

/// An order a shopper placed during the run: what can still be returned.
struct Placed {
    id: OrderId,
    returnable: Vec<(BookId, u32)>,
}

struct Shopper {
    shared: Arc<Shared>,
    rng: Rng,
    client: Client,
    email: String,
    password: String,
    cart: Vec<(BookId, u32)>,
    placed: Vec<Placed>,
    admin_seen: Option<Book>,
    /// Interactions left in this user session; at 0 the next one signs in.
    session_left: u64,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn error_outcome(e: &ClientError) -> Outcome {
    Outcome::Error(e.status().unwrap_or(0))
}

/// What an interaction did, and why: the problem code of an expected refusal, the error of a
/// failure.
type Step = (Kind, Outcome, Cow<'static, str>);

/// A failed interaction, with the error and its causes (a transport error's own message is
/// only "error sending request").
fn failed(kind: Kind, e: &ClientError) -> Step {
    let mut why = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        why.push_str(": ");
        why.push_str(&cause.to_string());
        source = cause.source();
    }
    (kind, error_outcome(e), why.into())
}

impl Shopper {
    fn session_length(&mut self) -> u64 {
        let mean = self.shared.cfg.session_mean as f64;
        1 + self.rng.exp(mean).min(mean * 4.0) as u64
    }

    fn book(&mut self) -> BookId {
        *self.shared.books.choose(&mut self.rng)
    }

    async fn perform(&mut self, kind: Kind) -> Step {
        let ok = |r: Result<(), ClientError>| match r {
            Ok(()) => (kind, Outcome::Ok, "".into()),
            Err(e) => failed(kind, &e),
        };
        let c = self.client.clone();
        match kind {
            // Both at once, as the SPA's home page (two resources) and a browser fetch them.
            Kind::Home => ok(async {
                let newest = BookQuery {
                    sort: Some(BookSort::Newest),
                    limit: Some(10),
                    ..Default::default()
                };
                futures::try_join!(c.bestsellers(Some(5)), c.list_books(&newest))?;
                Ok(())
            }
            .await),
            Kind::NewProducts => {
                let genre = self.rng.pick(GENRES).to_owned();
                ok(c.list_books(&BookQuery {
                    genre: Some(genre),
                    sort: Some(BookSort::Newest),
                    limit: Some(20),
                    ..Default::default()
                })
                .await
                .map(drop))
            }
            Kind::BestSellers => ok(c.bestsellers(Some(20)).await.map(drop)),
            Kind::ProductDetail => {
                let id = self.book();
                ok(c.get_book(id).await.map(drop))
            }
            Kind::SearchRequest => ok(c.genres().await.map(drop)),
            Kind::SearchResults => {
                let mut q = self.rng.pick(TITLE_WORDS).to_owned();
                if self.rng.below(4) == 0 {
                    q.push(' ');
                    q.push_str(self.rng.pick(TITLE_WORDS));
                }
                ok(c.list_books(&BookQuery {
                    q: Some(q),
                    limit: Some(20),
                    ..Default::default()
                })
                .await
                .map(drop))
            }
            Kind::ShoppingCart => {
                let id = self.book();
                let r = c.get_book(id).await.map(drop);
                if r.is_ok() {
                    self.add_to_cart(id);
                }
                ok(r)
            }
            Kind::Register => self.register().await,
            Kind::Login => match c.login(&self.email, &self.password).await {
                Ok(auth) => {
                    self.client = self.client.authed(auth.token);
                    (kind, Outcome::Ok, "".into())
                }
                Err(e) => failed(kind, &e),
            },
            Kind::BuyRequest | Kind::SignedIn => ok(c.me().await.map(drop)),
            Kind::BuyConfirm => self.buy().await,
            Kind::OrderInquiry => ok(c
                .list_orders(&PageQuery {
                    limit: Some(10),
                    cursor: None,
                })
                .await
                .map(drop)),
            Kind::OrderDisplay => match self.placed.last() {
                Some(p) => ok(c.get_order(p.id).await.map(drop)),
                None => {
                    let r = async {
                        let page = c
                            .list_orders(&PageQuery {
                                limit: Some(1),
                                cursor: None,
                            })
                            .await?;
                        if let Some(o) = page.items.first() {
                            c.get_order(o.id).await?;
                        }
                        Ok(())
                    }
                    .await;
                    ok(r)
                }
            },
            Kind::AdminRequest => {
                let id = self.book();
                match self.shared.admin.get_book(id).await {
                    Ok(b) => {
                        self.admin_seen = Some(b);
                        (kind, Outcome::Ok, "".into())
                    }
                    Err(e) => failed(kind, &e),
                }
            }
            Kind::AdminConfirm => self.admin_confirm().await,
            Kind::Return => self.return_one().await,
        }
    }

    fn add_to_cart(&mut self, id: BookId) {
        let qty = self.rng.between(1, 2) as u32;
        if let Some(line) = self.cart.iter_mut().find(|(b, _)| *b == id) {
            line.1 = (line.1 + qty).min(5);
        } else if self.cart.len() < self.shared.cfg.max_cart_lines.max(1) {
            self.cart.push((id, qty));
        } else {
            let i = self.rng.below(self.cart.len() as u64) as usize;
            self.cart[i] = (id, qty);
        }
    }

    async fn register(&mut self) -> Step {
        let n = self.shared.registered.fetch_add(1, Ordering::Relaxed);
        let email = format!("new-{}-{n}@loadgen.example", self.shared.run_id);
        let password = format!("loadgen-new-password-{n}");
        let req = match (|| -> Result<RegisterRequest, bookstore_model::ValidationError> {
            Ok(RegisterRequest {
                email: Email::parse(&email)?,
                password: Password::parse(&password)?,
                name: PersonName::parse(&format!("New Shopper {n}"))?,
            })
        })() {
            Ok(r) => r,
            Err(_) => {
                return (
                    Kind::Register,
                    Outcome::Error(0),
                    "invalid generated account".into(),
                );
            }
        };
        match self.client.register(&req).await {
            Ok(auth) => {
                // From now on this shopper is the new customer.
                self.client = self.client.authed(auth.token);
                self.email = email;
                self.password = password;
                self.placed.clear();
                (Kind::Register, Outcome::Ok, "".into())
            }
            Err(e) => failed(Kind::Register, &e),
        }
    }

    async fn buy(&mut self) -> Step {
        if self.cart.is_empty() {
            let id = self.book();
            self.add_to_cart(id);
        }
        let lines: Vec<LineRequest> = self
            .cart
            .iter()
            .filter_map(|(b, q)| {
                Some(LineRequest {
                    book_id: *b,
                    quantity: Quantity::parse(i64::from(*q)).ok()?,
                })
            })
            .collect();
        let cart = std::mem::take(&mut self.cart);
        let req = PlaceOrder { lines };
        let key = uuid::Uuid::new_v4().to_string();
        // A transport failure leaves the outcome unknown: retry with the same key, which
        // either places the order or answers with the one placed before.
        let mut last = None;
        for attempt in 0..4 {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(50 * attempt)).await;
            }
            match self.client.place_order(&req, Some(&key)).await {
                Ok(placed) => {
                    let order = placed.value;
                    let token: Arc<str> = self.client.token().unwrap_or_default().into();
                    let mut ledger = lock(&self.shared.ledger);
                    let mut units = 0;
                    for l in &order.lines {
                        *ledger.sold.entry(l.book_id).or_default() += i64::from(l.quantity);
                        units += l.quantity;
                    }
                    ledger.orders.push((order.id, token, units));
                    drop(ledger);
                    self.placed.push(Placed {
                        id: order.id,
                        returnable: order
                            .lines
                            .iter()
                            .map(|l| (l.book_id, l.quantity))
                            .collect(),
                    });
                    if self.placed.len() > 20 {
                        self.placed.remove(0);
                    }
                    return (Kind::BuyConfirm, Outcome::Ok, "".into());
                }
                Err(e) if e.code() == Some(ProblemCode::InsufficientStock) => {
                    return (
                        Kind::BuyConfirm,
                        Outcome::Expected,
                        "insufficient_stock".into(),
                    );
                }
                Err(e @ ClientError::Transport(_)) => last = Some(e),
                Err(e) if e.status().is_some_and(|s| s >= 500) => last = Some(e),
                Err(e) => return failed(Kind::BuyConfirm, &e),
            }
        }
        let mut ledger = lock(&self.shared.ledger);
        ledger.ambiguous_orders += 1;
        for (b, q) in cart {
            *ledger.ambiguous.entry(b).or_default() += i64::from(q);
        }
        match &last {
            Some(e) => failed(Kind::BuyConfirm, e),
            None => (Kind::BuyConfirm, Outcome::Error(0), "no attempt".into()),
        }
    }

    async fn admin_confirm(&mut self) -> Step {
        let kind = Kind::AdminConfirm;
        let admin = self.shared.admin.clone();
        let book = match self.admin_seen.take() {
            Some(b) => b,
            None => match admin.get_book(self.book()).await {
                Ok(b) => b,
                Err(e) => return failed(kind, &e),
            },
        };
        let delta = if self.rng.below(2) == 0 { -1 } else { 1 };
        let price = PriceCents::parse((book.price_cents.get() + delta).clamp(1, 99_999))
            .unwrap_or(book.price_cents);
        let details = BookDetails {
            isbn: book.isbn,
            title: book.title,
            authors: book.authors,
            genre: book.genre,
            description: book.description,
            price_cents: price,
            currency: book.currency,
            published_year: book.published_year,
        };
        match admin
            .admin_update_book(book.id, book.version, &details)
            .await
        {
            Ok(_) => (kind, Outcome::Ok, "".into()),
            Err(e) if e.code() == Some(ProblemCode::PreconditionFailed) => {
                (kind, Outcome::Expected, "precondition_failed".into())
            }
            Err(e) => failed(kind, &e),
        }
    }

    async fn return_one(&mut self) -> Step {
        let kind = Kind::Return;
        let Some(pi) = self
            .placed
            .iter()
            .rposition(|p| p.returnable.iter().any(|(_, q)| *q > 0))
        else {
            // Nothing to return yet: the shopper looks at its orders instead.
            return match self
                .client
                .list_orders(&PageQuery {
                    limit: Some(10),
                    cursor: None,
                })
                .await
            {
                Ok(_) => (Kind::OrderInquiry, Outcome::Ok, "".into()),
                Err(e) => failed(Kind::OrderInquiry, &e),
            };
        };
        let order = self.placed[pi].id;
        let Some(li) = self.placed[pi].returnable.iter().position(|(_, q)| *q > 0) else {
            return (kind, Outcome::Error(0), "no returnable line".into());
        };
        let book = self.placed[pi].returnable[li].0;
        let (Ok(quantity), Ok(reason)) = (Quantity::parse(1), ReturnReason::parse("load test"))
        else {
            return (kind, Outcome::Error(0), "invalid generated return".into());
        };
        let req = CreateReturn {
            lines: vec![LineRequest {
                book_id: book,
                quantity,
            }],
            reason,
        };
        match self.client.create_return(order, &req).await {
            Ok(_) => {
                self.placed[pi].returnable[li].1 -= 1;
                *lock(&self.shared.ledger).returned.entry(book).or_default() += 1;
                (kind, Outcome::Ok, "".into())
            }
            Err(e) if e.code() == Some(ProblemCode::ReturnExceedsPurchase) => {
                self.placed[pi].returnable[li].1 = 0;
                (kind, Outcome::Expected, "return_exceeds_purchase".into())
            }
            Err(e) => failed(kind, &e),
        }
    }
}

/// Every book of the catalogue and its stock, read page by page.
pub async fn catalogue(client: &Client) -> anyhow::Result<HashMap<BookId, i64>> {
    let mut out = HashMap::new();
    let mut cursor = None;
    loop {
        let page = client
            .list_books(&BookQuery {
                sort: Some(BookSort::Title),
                limit: Some(100),
                cursor,
                ..Default::default()
            })
            .await
            .context("reading the catalogue")?;
        for b in page.items {
            out.insert(b.id, b.stock);
        }
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return Ok(out),
        }
    }
}

fn pick_kind(rng: &mut Rng, table: &[(Kind, f64)], total: f64) -> Kind {
    let mut x = rng.f64() * total;
    for (k, w) in table {
        if x < *w {
            return *k;
        }
        x -= w;
    }
    table.last().map_or(Kind::Home, |(k, _)| *k)
}

async fn shopper_loop(mut s: Shopper) {
    let table = weights(s.shared.cfg.mix);
    let total: f64 = table.iter().map(|(_, w)| w).sum();
    let think = s.shared.cfg.think_mean.as_secs_f64();
    loop {
        if Instant::now() >= s.shared.deadline {
            break;
        }
        let sessions = s.shared.cfg.session_mean > 0;
        let kind = match pick_kind(&mut s.rng, &table, total) {
            _ if sessions && s.session_left == 0 => {
                if s.rng.below(5) == 0 {
                    Kind::Register
                } else {
                    Kind::Login
                }
            }
            Kind::Register | Kind::Login if sessions => Kind::SignedIn,
            k => k,
        };
        let t0 = Instant::now();
        let (done, outcome, why) =
            match tokio::time::timeout(Duration::from_secs(30), s.perform(kind)).await {
                Ok(step) => step,
                Err(_) => (kind, Outcome::Error(0), "timeout".into()),
            };
        let end = Instant::now();
        let took = end - t0;
        let second = (end - s.shared.start).as_secs();
        lock(&s.shared.stats).record(second, done.name(), outcome, took, &why);
        if sessions {
            s.session_left = match (kind, outcome) {
                (Kind::Register | Kind::Login, Outcome::Error(_)) => 0,
                (Kind::Register | Kind::Login, _) => s.session_length(),
                _ => s.session_left.saturating_sub(1),
            };
        }
        match outcome {
            Outcome::Error(_) => s.shared.failed.fetch_add(1, Ordering::Relaxed),
            _ => s.shared.completed.fetch_add(1, Ordering::Relaxed),
        };
        if think > 0.0 {
            let pause = Duration::from_secs_f64(s.rng.exp(think).min(think * 10.0));
            let until = (Instant::now() + pause).min(s.shared.deadline);
            tokio::time::sleep_until(until.into()).await;
        }
    }
}

/// Runs the shoppers against the shop, then checks consistency.
pub async fn run(cfg: RunConfig) -> anyhow::Result<Report> {
    if cfg.shoppers == 0 || cfg.customers == 0 {
        bail!("need at least one shopper and one customer");
    }
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(cfg.shoppers + 8)
        // Below any server's keep-alive (the shop's is 75 s): a connection the server closes
        // just as it is reused fails the request ("connection closed before message completed").
        .pool_idle_timeout(Duration::from_secs(30))
        .timeout(Duration::from_secs(30))
        .build()?;
    let public = Client::with_http(http.clone(), cfg.base.clone());
    let admin =
        crate::dataset::admin_client(&cfg.base, &cfg.admin_email, &cfg.admin_password).await?;
    let admin =
        Client::with_http(http.clone(), cfg.base.clone()).authed(admin.token().unwrap_or_default());
    let initial = catalogue(&public).await?;
    if initial.is_empty() {
        bail!("the catalogue is empty: load a dataset first (`bookstore-loadgen dataset`)");
    }
    let mut ids: Vec<BookId> = initial.keys().copied().collect();
    ids.sort();
    let books = Popularity::new(ids, cfg.theta, cfg.seed);
    // Log every shopper in before the clock starts.
    let logins = futures::stream::iter(0..cfg.shoppers)
        .map(|i| {
            let public = public.clone();
            let (email, password) = customer(i % cfg.customers);
            async move {
                let auth = public
                    .login(&email, &password)
                    .await
                    .with_context(|| format!("logging in {email} (load the dataset first)"))?;
                Ok::<_, anyhow::Error>((public.authed(auth.token), email, password))
            }
        })
        .buffered(8)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<anyhow::Result<Vec<_>>>()?;
    let start = Instant::now();
    let started_at = chrono::Utc::now();
    let shared = Arc::new(Shared {
        http,
        admin,
        books,
        start,
        deadline: start + cfg.duration,
        stats: Mutex::new(Stats::new(cfg.warmup.as_secs())),
        ledger: Mutex::new(Ledger::default()),
        completed: AtomicU64::new(0),
        failed: AtomicU64::new(0),
        registered: AtomicUsize::new(0),
        run_id: format!("{}", uuid::Uuid::new_v4().simple())[..8].to_owned(),
        cfg: cfg.clone(),
    });
    let progress = cfg.progress.then(|| {
        let shared = shared.clone();
        tokio::spawn(async move {
            let mut last = 0;
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            tick.tick().await;
            loop {
                tick.tick().await;
                let done = shared.completed.load(Ordering::Relaxed);
                let failed = shared.failed.load(Ordering::Relaxed);
                let elapsed = shared.start.elapsed().as_secs();
                let p90 = {
                    let stats = lock(&shared.stats);
                    let s = elapsed.saturating_sub(1) as usize;
                    stats
                        .timeline
                        .get(s)
                        .map_or(0.0, |b| Percentiles::of(&b.latency).p90_ms)
                };
                eprintln!(
                    "[{elapsed:>4}s] {:>6} interactions/s  p90 {p90:>7.1} ms  total {done}  errors {failed}",
                    done - last
                );
                last = done;
            }
        })
    });
    let tasks: Vec<_> = logins
        .into_iter()
        .enumerate()
        .map(|(i, (client, email, password))| {
            let mut s = Shopper {
                shared: shared.clone(),
                rng: Rng::new(cfg.seed.wrapping_mul(1_000_003).wrapping_add(i as u64)),
                client,
                email,
                password,
                cart: Vec::new(),
                placed: Vec::new(),
                admin_seen: None,
                session_left: 0,
            };
            // Signed in before the clock started, somewhere in a session (sessions are
            // memoryless, so what is left of one has the same distribution).
            if cfg.session_mean > 0 {
                s.session_left = s.session_length();
            }
            tokio::spawn(shopper_loop(s))
        })
        .collect();
    for t in tasks {
        t.await?;
    }
    let ran = start.elapsed();
    if let Some(p) = progress {
        p.abort();
    }
    let consistency = if cfg.verify {
        Some(verify(&shared, &public, &initial).await?)
    } else {
        None
    };
    let stats = lock(&shared.stats);
    let measured = (ran.as_secs_f64() - cfg.warmup.as_secs_f64()).max(0.001);
    let mut interactions = BTreeMap::new();
    let mut browse = 0;
    for (name, h) in &stats.latency {
        if BROWSE.iter().any(|k| k.name() == *name) {
            browse += h.len();
        }
        interactions.insert(
            (*name).to_owned(),
            InteractionReport {
                per_second: h.len() as f64 / measured,
                latency: Percentiles::of(h),
                expected: stats.expected.get(name).cloned().unwrap_or_default(),
                errors: stats.errors.get(name).cloned().unwrap_or_default(),
                error_samples: stats.error_samples.get(name).cloned().unwrap_or_default(),
            },
        );
    }
    for (name, errs) in &stats.errors {
        interactions
            .entry((*name).to_owned())
            .or_insert_with(|| InteractionReport {
                per_second: 0.0,
                latency: Percentiles::of(&crate::stats::histogram()),
                expected: BTreeMap::new(),
                errors: errs.clone(),
                error_samples: stats.error_samples.get(name).cloned().unwrap_or_default(),
            });
    }
    let report = Report {
        config: cfg.clone(),
        started_at,
        catalogue_books: initial.len(),
        measured_secs: measured,
        wips: stats.total.len() as f64 / measured,
        browse_share: browse as f64 / stats.total.len().max(1) as f64,
        total: Percentiles::of(&stats.total),
        errors: stats.error_count(),
        interactions,
        timeline: stats.timeline_points(),
        consistency,
    };
    drop(stats);
    if let Some(path) = &cfg.json {
        std::fs::write(path, serde_json::to_vec_pretty(&report)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(path) = &cfg.chart {
        // The last bucket holds only the tail of the final second: leave it out.
        let whole = (cfg.duration.as_secs() as usize).clamp(1, report.timeline.len().max(1));
        crate::chart::draw(
            path,
            &format!(
                "{:?} mix, {} shoppers, think time {} ms",
                cfg.mix,
                cfg.shoppers,
                cfg.think_mean.as_millis()
            ),
            &report.timeline[..whole.min(report.timeline.len())],
        )?;
    }
    Ok(report)
}

async fn verify(
    shared: &Shared,
    public: &Client,
    initial: &HashMap<BookId, i64>,
) -> anyhow::Result<Consistency> {
    let now = catalogue(public).await?;
    let ledger = std::mem::take(&mut *lock(&shared.ledger));
    let mut c = Consistency {
        books_checked: initial.len(),
        orders_acknowledged: ledger.orders.len(),
        orders_ambiguous: ledger.ambiguous_orders,
        units_sold: ledger.sold.values().sum(),
        units_returned: ledger.returned.values().sum(),
        ..Default::default()
    };
    for (id, before) in initial {
        let sold = ledger.sold.get(id).copied().unwrap_or(0);
        let returned = ledger.returned.get(id).copied().unwrap_or(0);
        let unknown = ledger.ambiguous.get(id).copied().unwrap_or(0);
        let Some(stock) = now.get(id).copied() else {
            c.stock_mismatches
                .push(format!("{id}: missing after the run"));
            continue;
        };
        if stock < 0 {
            c.negative_stock += 1;
        }
        // An ambiguous placement may or may not have taken its units.
        let expected_max = before - sold + returned;
        if stock > expected_max || stock < expected_max - unknown {
            c.stock_mismatches.push(format!(
                "{id}: initial {before}, now {stock}, sold {sold}, returned {returned}"
            ));
        }
    }
    let mut checks = futures::stream::iter(ledger.orders.iter())
        .map(|(id, token, units)| {
            let client = Client::with_http(shared.http.clone(), shared.cfg.base.clone())
                .authed(token.to_string());
            async move {
                match client.get_order(*id).await {
                    Ok(o) if o.lines.iter().map(|l| l.quantity).sum::<u32>() == *units => None,
                    Ok(_) => Some(format!("{id}: lines differ from the acknowledgement")),
                    Err(e) => Some(format!("{id}: {e}")),
                }
            }
        })
        .buffer_unordered(32);
    while let Some(r) = checks.next().await {
        if let Some(problem) = r {
            c.orders_missing.push(problem);
        }
    }
    c.ok = c.stock_mismatches.is_empty() && c.negative_stock == 0 && c.orders_missing.is_empty();
    c.stock_mismatches.truncate(50);
    c.orders_missing.truncate(50);
    Ok(c)
}

/// The human summary of a run.
pub fn summary(r: &Report) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:?} mix, {} shoppers, think time {} ms, {} books, measured {:.1} s",
        r.config.mix,
        r.config.shoppers,
        r.config.think_mean.as_millis(),
        r.catalogue_books,
        r.measured_secs
    );
    let _ = writeln!(
        s,
        "{:<16} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}  expected / errors",
        "interaction", "count", "per s", "p50 ms", "p90 ms", "p99 ms", "max ms"
    );
    for (name, i) in &r.interactions {
        let _ = writeln!(
            s,
            "{:<16} {:>9} {:>9.1} {:>9.2} {:>9.2} {:>9.2} {:>9.1}  {:?} {:?}",
            name,
            i.latency.count,
            i.per_second,
            i.latency.p50_ms,
            i.latency.p90_ms,
            i.latency.p99_ms,
            i.latency.max_ms,
            i.expected,
            i.errors
        );
    }
    let _ = writeln!(
        s,
        "{:<16} {:>9} {:>9.1} {:>9.2} {:>9.2} {:>9.2} {:>9.1}  errors {}",
        "TOTAL (WIPS)",
        r.total.count,
        r.wips,
        r.total.p50_ms,
        r.total.p90_ms,
        r.total.p99_ms,
        r.total.max_ms,
        r.errors
    );
    for (name, i) in &r.interactions {
        for why in &i.error_samples {
            let _ = writeln!(s, "  {name} error: {why}");
        }
    }
    let _ = writeln!(s, "browse share {:.1} %", r.browse_share * 100.0);
    if let Some(c) = &r.consistency {
        let _ = writeln!(
            s,
            "consistency: {} ({} books checked, {} orders acknowledged and found {}, {} sold, {} returned, {} ambiguous, {} stock mismatches, {} negative)",
            if c.ok { "OK" } else { "FAILED" },
            c.books_checked,
            c.orders_acknowledged,
            c.orders_acknowledged - c.orders_missing.len(),
            c.units_sold,
            c.units_returned,
            c.orders_ambiguous,
            c.stock_mismatches.len(),
            c.negative_stock
        );
        for m in c.stock_mismatches.iter().chain(&c.orders_missing).take(10) {
            let _ = writeln!(s, "  {m}");
        }
    }
    s
}
