use anyhow::Context;
use bookstore_loadgen::dataset::{self, DatasetSpec};
use bookstore_loadgen::dynraw::{self, RawOp};
use bookstore_loadgen::shop::{self, Mix, RunConfig};
use bookstore_loadgen::storebench::{self, Backend, StoreBenchConfig, Workload};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::time::Duration;

// The shop's allocator: with glibc's, the load generator's CPU per interaction grew by half
// over a 30-minute soak (`_int_malloc` the symbol that grew most), taking cores from the shop
// it measures.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "bookstore-loadgen", about = "Benchmarks of the bookstore")]
struct Cli {
    /// Runtime worker threads of the load generator (it shares the machine with the shop).
    #[arg(long, global = true, default_value_t = 2)]
    threads: usize,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(clap::Args, Clone)]
struct Shop {
    /// The shop's origin.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    base: String,
    #[arg(
        long,
        env = "LOADGEN_ADMIN_EMAIL",
        default_value = "admin@loadgen.example"
    )]
    admin_email: String,
    #[arg(
        long,
        env = "LOADGEN_ADMIN_PASSWORD",
        default_value = "loadgen-admin-password"
    )]
    admin_password: String,
}

#[derive(Subcommand)]
enum Cmd {
    /// Loads N books (admin API) and M customers into a running shop.
    Dataset {
        #[command(flatten)]
        shop: Shop,
        #[arg(long, default_value_t = 10_000)]
        books: usize,
        #[arg(long, default_value_t = 200)]
        customers: usize,
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        #[arg(long, default_value_t = 20_000)]
        stock_min: i64,
        #[arg(long, default_value_t = 50_000)]
        stock_max: i64,
    },
    /// Emulated shoppers (TPC-W mixes) against a running shop; checks consistency after.
    Run {
        #[command(flatten)]
        shop: Shop,
        #[arg(long, value_enum, default_value = "shopping")]
        mix: Mix,
        #[arg(long, default_value_t = 64)]
        shoppers: usize,
        /// Customers of the dataset the shoppers log in as.
        #[arg(long, default_value_t = 200)]
        customers: usize,
        #[arg(long, default_value_t = 60)]
        duration_secs: u64,
        #[arg(long, default_value_t = 5)]
        warmup_secs: u64,
        /// Mean think time (negative-exponential); TPC-W uses 7000; 0 runs at peak.
        #[arg(long, default_value_t = 0)]
        think_ms: u64,
        /// Mean interactions per user session: a shopper signs in once per session and keeps
        /// its token (TPC-W: 15 min sessions at 7 s think time ≈ 128); 0 = sign in at every
        /// Customer Registration.
        #[arg(long, default_value_t = 128)]
        session_interactions: u64,
        /// Zipfian skew of the books the shoppers pick.
        #[arg(long, default_value_t = 0.99)]
        theta: f64,
        #[arg(long, default_value_t = 3)]
        max_cart_lines: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long)]
        json: Option<PathBuf>,
        #[arg(long)]
        chart: Option<PathBuf>,
        #[arg(long)]
        no_verify: bool,
        #[arg(long)]
        quiet: bool,
    },
    /// Writes inputs for wrk scripts: `ids.txt` (one book id a line) and `token.txt` (a
    /// customer's bearer token).
    WrkPrep {
        #[command(flatten)]
        shop: Shop,
        #[arg(long, default_value = ".")]
        out_dir: PathBuf,
        /// Which dataset customer the token belongs to.
        #[arg(long, default_value_t = 0)]
        customer: usize,
    },
    /// YCSB-like benchmark of the storage interface (A, B, C, F), zipfian keys.
    Store {
        #[arg(long, value_enum)]
        backend: Backend,
        /// DynamoDB Local's endpoint (with --backend dynamodb).
        #[arg(long)]
        endpoint: Option<String>,
        #[arg(long, default_value_t = 10_000)]
        records: usize,
        #[arg(
            long,
            value_enum,
            value_delimiter = ',',
            default_value = "a,b,c,f",
            ignore_case = true
        )]
        workloads: Vec<Workload>,
        #[arg(long, default_value_t = 15)]
        duration_secs: u64,
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
        #[arg(long, default_value_t = 0.99)]
        theta: f64,
        #[arg(long, default_value_t = 7)]
        seed: u64,
        #[arg(long)]
        json: Option<PathBuf>,
    },
    /// Events through the outbox: orders as fast as possible, one webhook receiver here;
    /// events/s and the latency from each order's transaction to its event's arrival.
    Outbox {
        #[command(flatten)]
        shop: Shop,
        #[arg(long, default_value_t = 5_000)]
        orders: usize,
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
        #[arg(long)]
        json: Option<PathBuf>,
    },
    /// Raw aws-sdk-dynamodb comparator on the shop's own table (see `dynraw`).
    DynamoRaw {
        #[arg(long)]
        endpoint: String,
        #[arg(long)]
        table: String,
        /// The shop, to list its books.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        base: String,
        #[arg(long, value_enum)]
        op: RawOp,
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        #[arg(long, default_value_t = 15)]
        duration_secs: u64,
        #[arg(long, default_value_t = 3)]
        seed: u64,
        /// The shop's payment provider (`checkout-paid`), called with the shop's secret key.
        #[arg(long)]
        provider: Option<String>,
        #[arg(long, env = "LOADGEN_PROVIDER_KEY", default_value = "sk_test_bench")]
        provider_key: String,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cli.threads.max(1))
        .enable_all()
        .build()?
        .block_on(run(cli.cmd))
}

async fn run(cmd: Cmd) -> anyhow::Result<()> {
    match cmd {
        Cmd::Outbox {
            shop,
            orders,
            concurrency,
            json,
        } => {
            let admin =
                dataset::admin_client(&shop.base, &shop.admin_email, &shop.admin_password).await?;
            let report = bookstore_loadgen::outbox::run(&admin, orders, concurrency).await?;
            let text = serde_json::to_string_pretty(&report)?;
            if let Some(path) = json {
                std::fs::write(&path, &text)
                    .with_context(|| format!("writing {}", path.display()))?;
            }
            println!("{text}");
        }
        Cmd::Dataset {
            shop,
            books,
            customers,
            concurrency,
            seed,
            stock_min,
            stock_max,
        } => {
            let admin =
                dataset::admin_client(&shop.base, &shop.admin_email, &shop.admin_password).await?;
            let spec = DatasetSpec {
                books,
                customers,
                stock: (stock_min, stock_max.max(stock_min)),
                seed,
            };
            let s = dataset::load(&admin, &spec, concurrency, false).await?;
            println!("{}", serde_json::to_string(&s)?);
        }
        Cmd::Run {
            shop,
            mix,
            shoppers,
            customers,
            duration_secs,
            warmup_secs,
            think_ms,
            session_interactions,
            theta,
            max_cart_lines,
            seed,
            json,
            chart,
            no_verify,
            quiet,
        } => {
            let mut cfg = RunConfig::new(&shop.base, &shop.admin_email, &shop.admin_password);
            cfg.mix = mix;
            cfg.shoppers = shoppers;
            cfg.customers = customers;
            cfg.duration = Duration::from_secs(duration_secs);
            cfg.warmup = Duration::from_secs(warmup_secs.min(duration_secs.saturating_sub(1)));
            cfg.think_mean = Duration::from_millis(think_ms);
            cfg.session_mean = session_interactions;
            cfg.theta = theta;
            cfg.max_cart_lines = max_cart_lines;
            cfg.seed = seed;
            cfg.json = json;
            cfg.chart = chart;
            cfg.verify = !no_verify;
            cfg.progress = !quiet;
            let report = shop::run(cfg).await?;
            print!("{}", shop::summary(&report));
            if report.consistency.as_ref().is_some_and(|c| !c.ok) {
                anyhow::bail!("the consistency check failed");
            }
        }
        Cmd::WrkPrep {
            shop,
            out_dir,
            customer,
        } => {
            let client = bookstore_client::Client::new(&shop.base);
            let ids = shop::catalogue(&client).await?;
            let mut ids: Vec<String> = ids.keys().map(ToString::to_string).collect();
            ids.sort();
            std::fs::create_dir_all(&out_dir)?;
            std::fs::write(out_dir.join("ids.txt"), ids.join("\n") + "\n")?;
            let (email, password) = dataset::customer(customer);
            let auth = client
                .login(&email, &password)
                .await
                .with_context(|| format!("logging in {email}"))?;
            std::fs::write(out_dir.join("token.txt"), auth.token)?;
            eprintln!(
                "wrote {} ids and a token to {}",
                ids.len(),
                out_dir.display()
            );
        }
        Cmd::Store {
            backend,
            endpoint,
            records,
            workloads,
            duration_secs,
            concurrency,
            theta,
            seed,
            json,
        } => {
            let cfg = StoreBenchConfig {
                backend,
                endpoint,
                records,
                workloads,
                duration: Duration::from_secs(duration_secs),
                concurrency,
                theta,
                seed,
            };
            let report = storebench::run(cfg, false).await?;
            let text = serde_json::to_string_pretty(&report)?;
            match json {
                Some(path) => std::fs::write(path, &text)?,
                None => println!("{text}"),
            }
        }
        Cmd::DynamoRaw {
            endpoint,
            table,
            base,
            op,
            concurrency,
            duration_secs,
            seed,
            provider,
            provider_key,
        } => {
            let books = dynraw::books(&base).await?;
            let provider = provider
                .map(|url| dynraw::paid::Provider::new(&url, &provider_key))
                .transpose()?;
            let target = dynraw::Target {
                endpoint,
                table,
                provider,
            };
            let r = dynraw::run(
                target,
                books,
                op,
                concurrency,
                Duration::from_secs(duration_secs),
                seed,
            )
            .await?;
            println!("{}", serde_json::to_string(&r)?);
        }
    }
    Ok(())
}
