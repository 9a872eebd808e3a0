//! The emulated shoppers: TPC-W's interactions mapped onto the shop's API (the mapping is in
//! `benches/README.md`), its three mixes, think time, user sessions, and the consistency check
//! after the run (`verify`).
mod sales;
mod shopper;
mod verify;

use crate::dataset::{GENRES, TITLE_WORDS, customer};
use crate::rng::Rng;
use crate::stats::{Outcome, Percentiles, Stats, TimelinePoint};
use crate::zipf::Popularity;
use anyhow::{Context, bail};
use bookstore_client::{Client, ClientError};
use bookstore_model::{
    Book, BookDetails, BookId, BookQuery, BookSort, CreateReturn, Email, LineRequest, Order,
    OrderId, PageQuery, Password, PersonName, PriceCents, ProblemCode, Quantity, RegisterRequest,
    ReturnReason, ShipOrder,
};
use futures::StreamExt;
use serde::Serialize;
use shopper::*;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
pub use verify::catalogue;
use verify::*;

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
    /// The payment provider's API and secret key, for the consistency check's look at every
    /// order's payment (default: `BOOKSTORE__PAYMENTS__API_URL` and `..._SECRET_KEY`, as the
    /// shop reads them and `bench.sh` exports them).
    pub provider: Option<String>,
    #[serde(skip)]
    pub provider_secret: String,
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
            provider: std::env::var("BOOKSTORE__PAYMENTS__API_URL").ok(),
            provider_secret: std::env::var("BOOKSTORE__PAYMENTS__SECRET_KEY").unwrap_or_default(),
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
    /// Acknowledged orders whose payment is not exactly one authorization of their total at the
    /// provider (checked when `BOOKSTORE__PAYMENTS__API_URL` names it, as `bench.sh` sets).
    pub payments_wrong: Vec<String>,
    pub payments_checked: usize,
    /// Every order the shop holds, whatever its state, checked at the provider by its state.
    pub orders_in_shop: usize,
    /// Order placements whose outcome stayed unknown after retries with the same key.
    pub orders_ambiguous: u64,
    pub units_sold: i64,
    pub units_returned: i64,
    /// Paid orders recounted against the sales counters (`GET /admin/stats/sales`), and the
    /// days or top titles where they differ.
    pub sales_orders_recounted: usize,
    pub sales_mismatches: Vec<String>,
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
            "consistency: {} ({} books checked, {} orders acknowledged and found {}, {} sold, {} returned, {} ambiguous, {} stock mismatches, {} negative, {} payments checked at the provider, {} orders in the shop checked by state, {} wrong, {} paid orders recounted against the sales counters, {} sales mismatches)",
            if c.ok { "OK" } else { "FAILED" },
            c.books_checked,
            c.orders_acknowledged,
            c.orders_acknowledged - c.orders_missing.len(),
            c.units_sold,
            c.units_returned,
            c.orders_ambiguous,
            c.stock_mismatches.len(),
            c.negative_stock,
            c.payments_checked,
            c.orders_in_shop,
            c.payments_wrong.len(),
            c.sales_orders_recounted,
            c.sales_mismatches.len()
        );
        let problems = c.stock_mismatches.iter().chain(&c.orders_missing);
        let problems = problems.chain(&c.payments_wrong).chain(&c.sales_mismatches);
        for m in problems.take(10) {
            let _ = writeln!(s, "  {m}");
        }
    }
    s
}
