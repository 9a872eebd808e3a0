//! A YCSB-like benchmark of the storage interface itself (`Store`), on either back end:
//! records of ten 100-byte fields plus a `stock` number, zipfian keys, and the workloads
//!
//! - A: 50 % read / 50 % update (one-item transaction setting one field),
//! - B: 95 % read / 5 % update,
//! - C: 100 % read,
//! - F: read-modify-write: read the record, then decrement its stock in a transaction
//!   conditioned on `stock >= 1` (`Cond::Ge`), as checkout does.
//!
//! Every update is durable when acknowledged (the embedded store fsyncs its group commit).
use crate::rng::Rng;
use crate::stats::{Percentiles, histogram};
use crate::zipf::Popularity;
use anyhow::Context;
use bookstore_api::store::dynamo::{DynamoSettings, DynamoStore};
use bookstore_api::store::embedded::EmbeddedStore;
use bookstore_api::store::{Cond, Item, Key, Path, Store, StoreError, WriteOp};
use futures::StreamExt;
use hdrhistogram::Histogram;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Embedded,
    Dynamodb,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
pub enum Workload {
    A,
    B,
    C,
    F,
}

impl Workload {
    /// The share of plain reads; the rest are updates (A, B) or read-modify-writes (F).
    fn read_share(self) -> f64 {
        match self {
            Self::A => 0.5,
            Self::B => 0.95,
            Self::C => 1.0,
            Self::F => 0.5,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct StoreBenchConfig {
    pub backend: Backend,
    pub endpoint: Option<String>,
    pub records: usize,
    pub workloads: Vec<Workload>,
    pub duration: Duration,
    pub concurrency: usize,
    pub theta: f64,
    pub seed: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct WorkloadReport {
    pub workload: Workload,
    pub ops_per_sec: f64,
    pub ops: u64,
    /// Per operation type: `read`, `update`, `rmw` (the read and the conditional write).
    pub latency: BTreeMap<&'static str, Percentiles>,
    pub condition_failures: u64,
    pub errors: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct StoreBenchReport {
    pub config: StoreBenchConfig,
    pub load_secs: f64,
    pub load_per_sec: f64,
    pub workloads: Vec<WorkloadReport>,
}

fn record_key(i: usize) -> Key {
    Key::new(format!("YCSB#{i:08}"), "R")
}

fn field(rng: &mut Rng) -> String {
    (0..100)
        .map(|_| char::from(b'a' + rng.below(26) as u8))
        .collect()
}

fn record(i: usize, rng: &mut Rng) -> Item {
    let key = record_key(i);
    let mut item = Item::new();
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    for f in 0..10 {
        item.insert(format!("field{f}"), field(rng).into());
    }
    item.insert("stock".into(), Value::from(1_000_000_000i64));
    item
}

/// Keeps the temporary directory of the embedded store alive as long as the store.
pub struct Opened {
    pub store: Arc<dyn Store>,
    _dir: Option<tempfile::TempDir>,
}

pub async fn open(backend: Backend, endpoint: Option<&str>) -> anyhow::Result<Opened> {
    match backend {
        Backend::Embedded => {
            let dir = tempfile::tempdir()?;
            let store = EmbeddedStore::open(dir.path())?;
            Ok(Opened {
                store: Arc::new(store),
                _dir: Some(dir),
            })
        }
        Backend::Dynamodb => {
            let endpoint = endpoint.context("--endpoint of DynamoDB Local is required")?;
            let table = format!("ycsb-{}", uuid::Uuid::new_v4().simple());
            let mut settings = DynamoSettings::local(endpoint, &table);
            settings.attempt_timeout_ms = 10_000;
            settings.operation_timeout_ms = 30_000;
            let store = DynamoStore::connect(&settings).await;
            let mut last = None;
            for _ in 0..30 {
                match store.init().await {
                    Ok(_) => {
                        return Ok(Opened {
                            store: Arc::new(store),
                            _dir: None,
                        });
                    }
                    Err(e) => last = Some(e),
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            anyhow::bail!("creating table {table}: {last:?}")
        }
    }
}

pub async fn run(cfg: StoreBenchConfig, quiet: bool) -> anyhow::Result<StoreBenchReport> {
    let opened = open(cfg.backend, cfg.endpoint.as_deref()).await?;
    let store = opened.store.clone();
    let seed = cfg.seed;
    let t0 = Instant::now();
    let mut loads = futures::stream::iter(0..cfg.records)
        .map(|i| {
            let store = store.clone();
            let mut rng = Rng::new(seed ^ i as u64);
            async move {
                store
                    .transact(vec![WriteOp::Put {
                        item: record(i, &mut rng),
                        cond: None,
                    }])
                    .await
            }
        })
        .buffer_unordered(cfg.concurrency.max(1));
    while let Some(r) = loads.next().await {
        r.context("loading records")?;
    }
    let load_secs = t0.elapsed().as_secs_f64();
    if !quiet {
        eprintln!(
            "store: loaded {} records in {load_secs:.1} s ({:.0}/s)",
            cfg.records,
            cfg.records as f64 / load_secs
        );
    }
    let keys = Popularity::new((0..cfg.records).collect(), cfg.theta, cfg.seed);
    let keys = Arc::new(keys);
    let mut workloads = Vec::new();
    for &w in &cfg.workloads {
        let report = run_workload(&store, &keys, w, &cfg).await?;
        if !quiet {
            eprintln!(
                "store {:?} workload {:?}: {:.0} ops/s {}",
                cfg.backend,
                w,
                report.ops_per_sec,
                report
                    .latency
                    .iter()
                    .map(|(k, p)| format!(
                        "{k}: p50 {:.2} p90 {:.2} p99 {:.2} ms",
                        p.p50_ms, p.p90_ms, p.p99_ms
                    ))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        workloads.push(report);
    }
    Ok(StoreBenchReport {
        load_per_sec: cfg.records as f64 / load_secs,
        load_secs,
        config: cfg,
        workloads,
    })
}

#[derive(Default)]
struct Local {
    read: Option<Histogram<u64>>,
    update: Option<Histogram<u64>>,
    rmw: Option<Histogram<u64>>,
    condition_failures: u64,
    errors: u64,
}

fn rec(h: &mut Option<Histogram<u64>>, d: Duration) {
    h.get_or_insert_with(histogram)
        .saturating_record((d.as_micros() as u64).max(1));
}

async fn run_workload(
    store: &Arc<dyn Store>,
    keys: &Arc<Popularity<usize>>,
    w: Workload,
    cfg: &StoreBenchConfig,
) -> anyhow::Result<WorkloadReport> {
    let start = Instant::now();
    let deadline = start + cfg.duration;
    let tasks: Vec<_> = (0..cfg.concurrency.max(1))
        .map(|t| {
            let store = store.clone();
            let keys = keys.clone();
            let mut rng = Rng::new(cfg.seed.wrapping_add(1 + t as u64) ^ (w as u64) << 32);
            tokio::spawn(async move {
                let mut l = Local::default();
                while Instant::now() < deadline {
                    let key = record_key(*keys.choose(&mut rng));
                    let t0 = Instant::now();
                    if rng.f64() < w.read_share() {
                        match store.get(&key).await {
                            Ok(Some(_)) => rec(&mut l.read, t0.elapsed()),
                            _ => l.errors += 1,
                        }
                    } else if w == Workload::F {
                        let ok = match store.get(&key).await {
                            Ok(Some(_)) => {
                                store
                                    .transact(vec![WriteOp::Update {
                                        key,
                                        set: vec![],
                                        add: vec![(Path::attr("stock"), -1)],
                                        cond: Some(Cond::Ge(Path::attr("stock"), 1)),
                                    }])
                                    .await
                            }
                            Ok(None) => Err(StoreError::Internal("missing record".into())),
                            Err(e) => Err(e),
                        };
                        match ok {
                            Ok(()) => rec(&mut l.rmw, t0.elapsed()),
                            Err(StoreError::ConditionFailed(_)) => l.condition_failures += 1,
                            Err(_) => l.errors += 1,
                        }
                    } else {
                        let f = format!("field{}", rng.below(10));
                        let v = field(&mut rng);
                        match store
                            .transact(vec![WriteOp::Update {
                                key,
                                set: vec![(Path::attr(&f), v.into())],
                                add: vec![],
                                cond: None,
                            }])
                            .await
                        {
                            Ok(()) => rec(&mut l.update, t0.elapsed()),
                            Err(_) => l.errors += 1,
                        }
                    }
                }
                l
            })
        })
        .collect();
    let mut read = histogram();
    let mut update = histogram();
    let mut rmw = histogram();
    let (mut cf, mut errors) = (0, 0);
    for t in tasks {
        let l = t.await?;
        for (into, from) in [
            (&mut read, l.read),
            (&mut update, l.update),
            (&mut rmw, l.rmw),
        ] {
            if let Some(h) = from {
                into.add(&h).map_err(|e| anyhow::anyhow!("{e}"))?;
            }
        }
        cf += l.condition_failures;
        errors += l.errors;
    }
    let secs = start.elapsed().as_secs_f64();
    let ops = read.len() + update.len() + rmw.len();
    let mut latency = BTreeMap::new();
    for (name, h) in [("read", &read), ("update", &update), ("rmw", &rmw)] {
        if !h.is_empty() {
            latency.insert(name, Percentiles::of(h));
        }
    }
    Ok(WorkloadReport {
        workload: w,
        ops_per_sec: ops as f64 / secs,
        ops,
        latency,
        condition_failures: cf,
        errors,
    })
}
