//! All configuration in one place: built-in defaults, then an optional TOML file
//! (`bookstore.toml` or the file named by `--config` / `BOOKSTORE_CONFIG`), then environment
//! variables `BOOKSTORE__<FIELD>` (nested fields with `__`, e.g. `BOOKSTORE__ADMIN__EMAIL`).
use anyhow::{Context, bail};
use bookstore_domain::Shipping;
use bookstore_domain::hashing::{MIN_MEMORY_KIB, MIN_MEMORY_PASSES, PasswordKdf};
use bookstore_model::ShippingOption;
use secrecy::{ExposeSecret, SecretString};

mod embedded;
mod inventory;
mod outbound;
mod payments;
mod shipping;
pub use embedded::EmbeddedSettings;
pub use inventory::InventorySettings;
pub use outbound::{MailSettings, WebhookSettings};
pub use payments::PaymentSettings;
use serde::Deserialize;
use shipping::default_shipping_options;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Local development: a generated JWT secret is acceptable and the demo catalogue is
    /// loaded into an empty store.
    Dev,
    /// Refuses to start without a strong JWT secret.
    Production,
}

/// Which back end holds the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum StoreKind {
    /// The durable embedded store in `data_dir` (the default).
    Embedded,
    /// Amazon DynamoDB (or a compatible endpoint), configured under `dynamodb`.
    Dynamodb,
}

/// Per-client rate limits (per API instance).
#[derive(Debug, Clone, Deserialize)]
pub struct RateLimits {
    /// Logins and registrations per client and minute.
    pub auth_per_minute: u32,
    /// Other writes (orders, returns, admin changes) per client and second...
    pub writes_per_second: u32,
    /// ...with bursts up to this many.
    pub write_burst: u32,
    /// API reads (GET) per client and second: far above what a person's pages ask for, low
    /// enough that one client cannot flood the store with searches and listings...
    pub reads_per_second: u32,
    /// ...with bursts up to this many.
    pub read_burst: u32,
    /// Live-stock streams (`GET /api/v1/events`) one client may hold open at once.
    pub streams_per_client: u32,
    /// Login attempts per account (e-mail) and minute, from any number of addresses: password
    /// guessing spread over many clients still meets this.
    pub logins_per_account_per_minute: u32,
    /// Password-reset mails per account (e-mail) and hour, asked from any address.
    pub password_resets_per_account_per_hour: u32,
    /// Requests per API key and second, whatever address they come from (on top of the
    /// per-client limits), so one integration cannot crowd out the others...
    pub api_key_per_second: u32,
    /// ...with bursts up to this many.
    pub api_key_burst: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AdminBootstrap {
    pub email: String,
    pub password: SecretString,
    #[serde(default = "default_admin_name")]
    pub name: String,
}

fn default_admin_name() -> String {
    "Administrator".into()
}

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub mode: Mode,
    /// Address to listen on, e.g. `127.0.0.1:8080`; port 0 picks a free port.
    pub listen: String,
    /// Which back end holds the data.
    pub store: StoreKind,
    /// Serve `GET /metrics` on this address of its own (e.g. `0.0.0.0:9100`) instead of on
    /// `listen`: a balancer that forwards `listen` to the internet then cannot expose it,
    /// however a path is spelled. Unset: `/metrics` is on `listen` (dev, tests, one host).
    #[serde(default)]
    pub metrics_listen: Option<String>,
    /// Print each minute's figures as CloudWatch embedded-metric-format lines on stdout, under
    /// this service name (the AWS stack sets its own name); unset: no lines.
    #[serde(default)]
    pub emf_service: Option<String>,
    /// Where the embedded store keeps its file.
    pub data_dir: PathBuf,
    /// The DynamoDB table and how to reach it, when `store = "dynamodb"`.
    #[serde(default)]
    pub dynamodb: Option<crate::store::dynamo::DynamoSettings>,
    /// HMAC key for tokens and cursors; at least 32 bytes in production.
    #[serde(default)]
    pub jwt_secret: Option<SecretString>,
    /// Lifetime of an access token.
    pub token_ttl_secs: i64,
    /// How long a password-reset link works.
    pub password_reset_ttl_secs: i64,
    /// How long the link confirming a new e-mail works.
    pub email_change_ttl_secs: i64,
    /// How long an invitation to join the staff works.
    #[serde(default = "default_staff_invitation_ttl_secs")]
    pub staff_invitation_ttl_secs: i64,
    /// Load the demo catalogue into an empty store at start (default: in dev mode only).
    #[serde(default)]
    pub seed_demo: Option<bool>,
    /// Largest accepted request body.
    pub max_body_bytes: usize,
    /// How long an idle client connection is kept open, and a new one waits for its first
    /// request. Longer than the load balancer's idle timeout (60 s on AWS's ALB): a balancer
    /// that reuses a connection at the moment the server closes it turns the request into a
    /// 502.
    pub keep_alive_secs: u64,
    /// HTTP worker threads (default: one per core).
    #[serde(default)]
    pub workers: Option<usize>,
    /// Threads that hash passwords (Argon2id, ~11 ms of CPU each at the default cost; default:
    /// one per core). They run ahead of the request workers (`worker_nice`); sign-ins beyond
    /// 16 waiting per thread are refused with 503 and `Retry-After` rather than queued.
    #[serde(default)]
    pub password_hash_threads: Option<usize>,
    /// Argon2id memory per hash, KiB, and passes over it: by default (7168, 5), one of OWASP's
    /// configurations of equal strength, ~25 % less CPU here than its first, (19456, 2): two
    /// such hashes at once fit a 32 MiB L3 cache. Production refuses less than those. Existing
    /// hashes keep the cost they were made with.
    pub password_hash_memory_kib: u32,
    pub password_hash_passes: u32,
    /// Nice levels the HTTP request workers run below the rest of the process (Linux), so that
    /// a sign-in's hash and the store's commits get a core when they have work even while
    /// requests saturate them. 0 switches it off.
    pub worker_nice: i32,
    /// Nice levels the embedded store's flush and compaction threads run below the rest of the
    /// process: below the request workers, so that a compaction takes the cores they leave
    /// rather than their share (level with them, each compaction's second stalled the p99).
    /// 0 switches it off.
    pub store_nice: i32,
    pub rate_limit: RateLimits,
    /// How many proxies (balancers) in front of the API append to `X-Forwarded-For`: the
    /// client is the address that many entries from the right. A client can write anything
    /// into the header, but only to the left of what the proxies append. 0 = the peer address.
    #[serde(default)]
    pub trusted_proxies: u8,
    /// Origins allowed to call the API from a browser (CORS); the SPA served by the API itself
    /// needs none.
    #[serde(default)]
    pub cors_origins: Vec<String>,
    /// An admin account created at start if its e-mail is not registered yet.
    #[serde(default)]
    pub admin: Option<AdminBootstrap>,
    /// How long one instance serves a computed bestseller list before computing it again
    /// (TPC-W allows 30 s). The ranking moves with every sale, so computing it per request
    /// would rescan the most-rewritten part of the index on every home page; 0 = per request.
    pub bestsellers_max_age_ms: u64,
    /// How long one instance serves the genre counts it computed (every search page lists
    /// them; only catalogue edits change them, and the instance that made one forgets its
    /// counts at once); 0 = per request.
    pub genres_max_age_ms: u64,
    /// How long one instance serves the results of a search it ran (all the matches, sorted;
    /// the next pages and repeats of the search use them) and the token items of its lookup
    /// word (other searches with that word filter them); the instance that changes the
    /// catalogue forgets them at once; 0 = per request.
    pub search_max_age_ms: u64,
    /// How long one instance serves a sales dashboard answer it read (the same range asked
    /// again within it costs no store read); 0 = per request.
    pub stats_max_age_ms: u64,
    /// Memory for memoised book JSON (a 10,000-book catalogue takes ~15 MiB).
    pub book_json_cache_bytes: u64,
    /// Memory for kept search results (ids: 16 MiB holds ~1 million matches over all kept
    /// searches) and for kept lookup words' candidates (64 MiB: ~250,000 books' token items).
    pub search_results_cache_bytes: u64,
    pub search_candidates_cache_bytes: u64,
    /// How long an `Idempotency-Key` of an order or a return is remembered: a retry within it
    /// gets the first answer; afterwards the key may be used for a new request.
    pub idempotency_ttl_secs: u32,
    /// The shop's one currency (ISO 4217): of every book's price, of shipping and of checkout.
    pub currency: String,
    /// The ways to ship an order (checked at start; see `Shipping::new`).
    #[serde(default = "default_shipping_options")]
    pub shipping_options: Vec<ShippingOption>,
    /// Tax rates by country (alpha-2, any case), in basis points: 1900 is 19 %. A country not
    /// listed pays no tax.
    #[serde(default)]
    pub tax_rates: BTreeMap<String, u32>,
    /// The single-page app's built files (`cargo xtask spa`), relative to the working
    /// directory. Missing: the API works without the app and logs a warning.
    pub static_dir: PathBuf,
    #[serde(default)]
    pub webhooks: WebhookSettings,
    #[serde(default)]
    pub mail: Option<MailSettings>,
    #[serde(default)]
    pub payments: Option<PaymentSettings>,
    /// How many days after delivery a customer may return copies.
    #[serde(default = "default_return_window_days")]
    pub return_window_days: u32,
    /// This instance's name on the operations dashboard; default: host name and process id.
    #[serde(default)]
    pub instance_id: Option<String>,
    /// How often this instance adds its request, error, latency, CPU and network figures to
    /// the store (per minute items; also once at shutdown).
    #[serde(default = "default_ops_flush_ms")]
    pub ops_flush_ms: u64,
    /// How long the operations figures are kept (DynamoDB's TTL removes them after).
    #[serde(default = "default_ops_retention_days")]
    pub ops_retention_days: u32,
    #[serde(default)]
    pub inventory: InventorySettings,
    /// The embedded store's caches and write buffers.
    #[serde(default)]
    pub embedded: EmbeddedSettings,
}

fn default_ops_flush_ms() -> u64 {
    60_000
}

fn default_ops_retention_days() -> u32 {
    7
}

fn default_return_window_days() -> u32 {
    30
}

const DEFAULT_BOOK_JSON_CACHE_BYTES: u64 = 64 << 20;
const DEFAULT_SEARCH_RESULTS_BYTES: u64 = 16 << 20;
const DEFAULT_SEARCH_CANDIDATES_BYTES: u64 = 64 << 20;
/// High enough that a sign-in's hash takes a core from the workers at once, low enough that
/// the workers keep ~10 % of each core while hashes saturate it (CFS weights 110 : 1024).
/// TPC-W at think time 0 on 2 cores: login p90 267 ms at 5, 69 at 10, 58 at 19.
const DEFAULT_WORKER_NICE: i32 = 10;
/// Five below the workers (CFS weights 36 : 110): a compaction gets about a quarter of a core
/// the workers want, and all of one they leave. The store's writes stall only past 20 tables
/// waiting in its first level or 4 memtables waiting to be written, which at the shop's write
/// rate is minutes of compaction behind.
const DEFAULT_STORE_NICE: i32 = 15;

/// Secrets that must never be accepted outside dev mode.
const WEAK_SECRETS: &[&str] = &["secret", "changeme", "change-me", "jwt-secret", "bookstore"];
pub const MIN_SECRET_LEN: usize = 32;
const MIN_SECRET_DISTINCT_CHARS: usize = 10;

fn default_staff_invitation_ttl_secs() -> i64 {
    7 * 24 * 3600
}

impl Settings {
    pub fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        let mut builder = config::Config::builder()
            .set_default("mode", "dev")?
            .set_default("listen", "127.0.0.1:8080")?
            .set_default("store", "embedded")?
            .set_default("data_dir", "./data")?
            .set_default("token_ttl_secs", 12 * 3600)?
            .set_default("password_reset_ttl_secs", 30 * 60)?
            .set_default("email_change_ttl_secs", 24 * 3600)?
            .set_default("max_body_bytes", 64 * 1024)?
            .set_default("keep_alive_secs", 75)?
            .set_default("rate_limit.auth_per_minute", 30)?
            .set_default("rate_limit.writes_per_second", 20)?
            .set_default("rate_limit.write_burst", 40)?
            .set_default("rate_limit.reads_per_second", 200)?
            .set_default("rate_limit.read_burst", 400)?
            .set_default("rate_limit.streams_per_client", 32)?
            .set_default("rate_limit.logins_per_account_per_minute", 10)?
            .set_default("rate_limit.password_resets_per_account_per_hour", 5)?
            .set_default("rate_limit.api_key_per_second", 10)?
            .set_default("rate_limit.api_key_burst", 20)?
            .set_default("bestsellers_max_age_ms", 5000)?
            .set_default("genres_max_age_ms", 5000)?
            .set_default("search_max_age_ms", 5000)?
            .set_default("stats_max_age_ms", 10_000)?
            .set_default("book_json_cache_bytes", DEFAULT_BOOK_JSON_CACHE_BYTES)?
            .set_default("search_results_cache_bytes", DEFAULT_SEARCH_RESULTS_BYTES)?
            .set_default(
                "search_candidates_cache_bytes",
                DEFAULT_SEARCH_CANDIDATES_BYTES,
            )?
            .set_default("idempotency_ttl_secs", 24 * 3600)?
            .set_default("password_hash_memory_kib", 7168)?
            .set_default("password_hash_passes", 5)?
            .set_default("worker_nice", DEFAULT_WORKER_NICE)?
            .set_default("store_nice", DEFAULT_STORE_NICE)?
            .set_default("static_dir", "frontend/dist")?
            .set_default("currency", "EUR")?;
        builder = match file {
            Some(f) => builder.add_source(config::File::from(f).required(true)),
            None => builder.add_source(config::File::with_name("bookstore").required(false)),
        };
        let settings: Self = builder
            .add_source(
                config::Environment::with_prefix("BOOKSTORE")
                    .prefix_separator("__")
                    .separator("__")
                    .try_parsing(true)
                    .list_separator(",")
                    .with_list_parse_key("cors_origins"),
            )
            .build()?
            .try_deserialize()
            .context("invalid configuration")?;
        Ok(settings)
    }

    /// Settings for tests and tools: dev mode, port 0, the given data directory.
    pub fn for_tests(data_dir: &Path) -> Self {
        Self {
            mode: Mode::Dev,
            listen: "127.0.0.1:0".into(),
            metrics_listen: None,
            emf_service: None,
            store: StoreKind::Embedded,
            data_dir: data_dir.to_owned(),
            dynamodb: None,
            jwt_secret: Some(SecretString::from(
                "test-secret-that-is-long-enough-0123456789",
            )),
            token_ttl_secs: 3600,
            password_reset_ttl_secs: 30 * 60,
            email_change_ttl_secs: 24 * 3600,
            staff_invitation_ttl_secs: default_staff_invitation_ttl_secs(),
            seed_demo: Some(false),
            max_body_bytes: 64 * 1024,
            keep_alive_secs: 75,
            workers: Some(2),
            password_hash_threads: None,
            password_hash_memory_kib: 19456,
            password_hash_passes: 2,
            worker_nice: 0,
            store_nice: 0,
            rate_limit: RateLimits {
                auth_per_minute: 1_000_000,
                writes_per_second: 1_000_000,
                write_burst: 1_000_000,
                reads_per_second: 1_000_000,
                read_burst: 1_000_000,
                streams_per_client: 1_000_000,
                logins_per_account_per_minute: 1_000_000,
                password_resets_per_account_per_hour: 1_000_000,
                api_key_per_second: 1_000_000,
                api_key_burst: 1_000_000,
            },
            trusted_proxies: 0,
            cors_origins: vec![],
            admin: None,
            // Tests see each sale in the ranking at once; the cache has its own test.
            bestsellers_max_age_ms: 0,
            genres_max_age_ms: 0,
            search_max_age_ms: 0,
            stats_max_age_ms: 0,
            book_json_cache_bytes: DEFAULT_BOOK_JSON_CACHE_BYTES,
            search_results_cache_bytes: DEFAULT_SEARCH_RESULTS_BYTES,
            search_candidates_cache_bytes: DEFAULT_SEARCH_CANDIDATES_BYTES,
            idempotency_ttl_secs: 24 * 3600,
            static_dir: data_dir.join("static"),
            // The tests' receivers listen on loopback.
            // Tests that wait for retries poll faster themselves: every poll of every test app
            // reads the 128 outbox shards, which on DynamoDB Local slows the whole suite.
            webhooks: WebhookSettings {
                allow_private_targets: true,
                poll_ms: 1000,
                ..Default::default()
            },
            mail: None,
            payments: None,
            return_window_days: 30,
            // Tests see every sale in the inventory at once.
            inventory: InventorySettings {
                snapshot_max_age_ms: 0,
                ..InventorySettings::default()
            },
            embedded: EmbeddedSettings::default(),
            instance_id: None,
            ops_flush_ms: default_ops_flush_ms(),
            ops_retention_days: default_ops_retention_days(),
            currency: "EUR".into(),
            shipping_options: default_shipping_options(),
            tax_rates: BTreeMap::new(),
        }
    }

    /// How long the links mailed to accounts work.
    pub fn link_ttls(&self) -> bookstore_domain::users::LinkTtls {
        bookstore_domain::users::LinkTtls {
            password_reset_secs: self.password_reset_ttl_secs,
            email_change_secs: self.email_change_ttl_secs,
            staff_invitation_secs: self.staff_invitation_ttl_secs,
        }
    }

    /// The catalogue's caches: how large, and how old on instances that did not make a change.
    pub fn catalogue_config(&self) -> anyhow::Result<bookstore_domain::CatalogueConfig> {
        let ms = std::time::Duration::from_millis;
        let currency = bookstore_model::Currency::parse(&self.currency)
            .map_err(|e| anyhow::anyhow!("currency: {e}"))?;
        Ok(bookstore_domain::CatalogueConfig {
            book_json_bytes: self.book_json_cache_bytes,
            genres_max_age: ms(self.genres_max_age_ms),
            bestsellers_max_age: ms(self.bestsellers_max_age_ms),
            search_max_age: ms(self.search_max_age_ms),
            search_results_bytes: self.search_results_cache_bytes,
            search_candidates_bytes: self.search_candidates_cache_bytes,
            currency,
            low_stock_threshold: self.inventory.low_stock_threshold,
            inventory_max_age: ms(self.inventory.snapshot_max_age_ms),
        })
    }

    /// The currency, shipping options and tax rates, checked: a mistake stops the start.
    pub fn shipping(&self) -> anyhow::Result<Shipping> {
        Shipping::new(
            &self.currency,
            self.shipping_options.clone(),
            self.tax_rates.clone(),
        )
        .map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))
    }

    pub fn seed_demo(&self) -> bool {
        self.seed_demo.unwrap_or(self.mode == Mode::Dev)
    }

    /// The password hashing cost; outside dev mode, at least OWASP's.
    pub fn password_kdf(&self) -> anyhow::Result<PasswordKdf> {
        let (m, t) = (self.password_hash_memory_kib, self.password_hash_passes);
        let kdf = PasswordKdf::new(m, t)
            .map_err(|e| anyhow::anyhow!("password_hash_memory_kib {m}, passes {t}: {e}"))?;
        if self.mode == Mode::Production && !kdf.meets_owasp_minimum() {
            bail!(
                "password hashing too cheap ({m} KiB x {t} passes): use OWASP's 19456 KiB x 2 \
                 or at least {MIN_MEMORY_KIB} KiB and {MIN_MEMORY_PASSES} KiB x passes"
            );
        }
        Ok(kdf)
    }

    /// The key for signing tokens and cursors. In production a configured, strong secret is
    /// required; in dev mode a random one is generated once and kept in the data directory so
    /// that tokens survive a restart.
    pub fn jwt_secret(&self) -> anyhow::Result<Vec<u8>> {
        if let Some(secret) = &self.jwt_secret {
            let s = secret.expose_secret();
            // Few distinct characters: a repeated word ("changeme" x 4) or a pattern, however
            // long; 32 random characters have ~25 distinct ones.
            let distinct = s.chars().collect::<std::collections::BTreeSet<_>>().len();
            let weak = s.len() < MIN_SECRET_LEN
                || WEAK_SECRETS.iter().any(|w| s.eq_ignore_ascii_case(w))
                || distinct < MIN_SECRET_DISTINCT_CHARS;
            if weak && self.mode == Mode::Production {
                bail!("jwt_secret is too weak: use at least {MIN_SECRET_LEN} random characters");
            }
            return Ok(s.as_bytes().to_vec());
        }
        if self.mode == Mode::Production {
            bail!("jwt_secret must be set in production (BOOKSTORE__JWT_SECRET)");
        }
        let path = self.data_dir.join("dev-jwt-secret");
        if let Ok(existing) = std::fs::read_to_string(&path)
            && existing.trim().len() >= MIN_SECRET_LEN
        {
            return Ok(existing.trim().as_bytes().to_vec());
        }
        std::fs::create_dir_all(&self.data_dir)?;
        let fresh = format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        write_private(&path, &fresh).with_context(|| format!("writing {}", path.display()))?;
        tracing::warn!("dev mode: generated a JWT secret in {}", path.display());
        Ok(fresh.into_bytes())
    }
}

/// Writes a file only its owner may read (a key: other users of the machine must not sign
/// tokens with it).
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(contents.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bookstore_model::CountryCode;

    #[cfg(unix)]
    #[test]
    fn the_dev_secret_is_readable_by_its_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let mut s = Settings::for_tests(dir.path());
        s.mode = Mode::Dev;
        s.jwt_secret = None;
        let first = s.jwt_secret().unwrap();
        let mode = std::fs::metadata(dir.path().join("dev-jwt-secret"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(s.jwt_secret().unwrap(), first, "kept across restarts");
    }

    #[test]
    fn production_refuses_missing_or_weak_secrets() {
        let dir = std::env::temp_dir();
        let mut s = Settings::for_tests(&dir);
        s.mode = Mode::Production;
        s.jwt_secret = None;
        assert!(s.jwt_secret().is_err());
        s.jwt_secret = Some(SecretString::from("short"));
        assert!(s.jwt_secret().is_err());
        s.jwt_secret = Some(SecretString::from("a".repeat(40)));
        assert!(s.jwt_secret().is_err());
        s.jwt_secret = Some(SecretString::from("changeme".repeat(4)));
        assert!(s.jwt_secret().is_err());
        s.jwt_secret = Some(SecretString::from("01234567".repeat(4)));
        assert!(s.jwt_secret().is_err());
        s.jwt_secret = Some(SecretString::from("k3Jq8vR2mXp9sT4wY7zB1nC6dF0gH5jL"));
        assert!(s.jwt_secret().is_ok());
    }

    #[test]
    fn shipping_defaults_are_valid_and_mistakes_stop_the_start() {
        let mut s = Settings::for_tests(&std::env::temp_dir());
        let shipping = s.shipping().unwrap();
        assert_eq!(shipping.currency().as_str(), "EUR");
        assert_eq!(shipping.options().len(), 2);
        s.tax_rates.insert("de".into(), 1900);
        let de = CountryCode::parse("DE").unwrap();
        assert_eq!(s.shipping().unwrap().tax_rate_bps(&de), 1900);
        s.tax_rates.insert("XX".into(), 1900);
        assert!(s.shipping().is_err());
        s.tax_rates.clear();
        s.shipping_options[1].id = "standard".into();
        assert!(s.shipping().is_err());
    }

    #[test]
    fn shipping_settings_load_from_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("shop.toml");
        std::fs::write(
            &file,
            r#"
currency = "USD"
[tax_rates]
US = 725
[[shipping_options]]
id = "ground"
name = "Ground"
price_per_order_cents = 599
price_per_item_cents = 50
countries = ["US", "CA"]
delivery_days_min = 2
delivery_days_max = 6
"#,
        )
        .unwrap();
        let s = Settings::load(Some(&file)).unwrap();
        let shipping = s.shipping().unwrap();
        assert_eq!(shipping.currency().as_str(), "USD");
        assert_eq!(shipping.options().len(), 1);
        let us = CountryCode::parse("US").unwrap();
        assert_eq!(shipping.tax_rate_bps(&us), 725);
    }

    #[test]
    fn production_refuses_cheap_password_hashing() {
        let mut s = Settings::for_tests(&std::env::temp_dir());
        s.password_hash_memory_kib = 4096;
        s.password_hash_passes = 8;
        assert!(s.password_kdf().is_ok(), "dev mode takes any valid cost");
        s.mode = Mode::Production;
        assert!(s.password_kdf().is_err());
        s.password_hash_memory_kib = 7168;
        s.password_hash_passes = 5;
        assert!(s.password_kdf().is_ok());
        s.password_hash_memory_kib = 4;
        assert!(s.password_kdf().is_err(), "below Argon2's own minimum");
    }
}
