//! Prometheus metrics: HTTP traffic, store calls, the shop's business counters and the
//! process (CPU, memory), served at `GET /metrics`.
use crate::store::{Item, Key, Query, QueryPage, RawItem, RawPage, Store, StoreError, WriteOp};
use async_trait::async_trait;
use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts,
    Registry, TextEncoder,
};
use std::sync::Arc;
use std::time::Instant;

pub struct Metrics {
    registry: Registry,
    pub http_requests: IntCounterVec,
    pub http_latency: HistogramVec,
    pub http_in_flight: IntGauge,
    pub http_response_bytes: IntCounter,
    pub store_latency: HistogramVec,
    pub store_errors: IntCounterVec,
    pub orders_placed: IntCounter,
    pub units_sold: IntCounter,
    /// The totals of the orders placed, in the currency's minor unit.
    pub order_value_cents: IntCounter,
    pub units_returned: IntCounter,
    pub stock_outs: IntCounter,
    pub rate_limited: IntCounterVec,
}

const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

impl Metrics {
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new_custom(Some("bookstore".into()), None)?;
        let m = Self {
            http_requests: IntCounterVec::new(
                Opts::new(
                    "http_requests_total",
                    "HTTP requests by route pattern, method and status",
                ),
                &["route", "method", "status"],
            )?,
            http_latency: HistogramVec::new(
                HistogramOpts::new(
                    "http_request_duration_seconds",
                    "HTTP response time by route pattern and method",
                )
                .buckets(LATENCY_BUCKETS.to_vec()),
                &["route", "method"],
            )?,
            http_in_flight: IntGauge::new("http_requests_in_flight", "HTTP requests being served")?,
            http_response_bytes: IntCounter::new(
                "http_response_bytes_total",
                "Bytes of response bodies of known size (network out)",
            )?,
            store_latency: HistogramVec::new(
                HistogramOpts::new(
                    "store_call_duration_seconds",
                    "Store call latency by operation",
                )
                .buckets(LATENCY_BUCKETS.to_vec()),
                &["op"],
            )?,
            store_errors: IntCounterVec::new(
                Opts::new(
                    "store_call_errors_total",
                    "Failed store calls by operation and kind",
                ),
                &["op", "kind"],
            )?,
            orders_placed: IntCounter::new("orders_placed_total", "Orders placed")?,
            units_sold: IntCounter::new("units_sold_total", "Copies sold")?,
            order_value_cents: IntCounter::new(
                "order_value_cents_total",
                "Totals of the orders placed, in the currency's minor unit",
            )?,
            units_returned: IntCounter::new("units_returned_total", "Copies returned")?,
            stock_outs: IntCounter::new(
                "stock_outs_total",
                "Orders refused for insufficient stock",
            )?,
            rate_limited: IntCounterVec::new(
                Opts::new("rate_limited_total", "Requests refused by a rate limit"),
                &["limit"],
            )?,
            registry,
        };
        m.registry.register(Box::new(m.http_requests.clone()))?;
        m.registry.register(Box::new(m.http_latency.clone()))?;
        m.registry.register(Box::new(m.http_in_flight.clone()))?;
        m.registry
            .register(Box::new(m.http_response_bytes.clone()))?;
        m.registry.register(Box::new(m.store_latency.clone()))?;
        m.registry.register(Box::new(m.store_errors.clone()))?;
        m.registry.register(Box::new(m.orders_placed.clone()))?;
        m.registry.register(Box::new(m.units_sold.clone()))?;
        m.registry.register(Box::new(m.order_value_cents.clone()))?;
        m.registry.register(Box::new(m.units_returned.clone()))?;
        m.registry.register(Box::new(m.stock_outs.clone()))?;
        m.registry.register(Box::new(m.rate_limited.clone()))?;
        #[cfg(target_os = "linux")]
        m.registry.register(Box::new(
            prometheus::process_collector::ProcessCollector::for_self(),
        ))?;
        Ok(m)
    }

    /// Every family's current figures (what `/metrics` renders).
    pub fn gather(&self) -> Vec<prometheus::proto::MetricFamily> {
        self.registry.gather()
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        // Encoding into memory cannot fail for well-formed families.
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buf);
        String::from_utf8(buf).unwrap_or_default()
    }
}

/// A store that measures every call of the one it wraps.
pub struct InstrumentedStore {
    inner: Arc<dyn Store>,
    metrics: Arc<Metrics>,
    /// Each operation's latency histogram, looked up once: a label lookup per call hashes
    /// the label and takes the vector's lock.
    latency: [Histogram; OPS.len()],
}

/// The operations, as labelled; the raw reads are the same operations to the database, so
/// they share the labels.
const OPS: [&str; 5] = ["get", "batch_get", "transact", "query", "ping"];
const GET: usize = 0;
const BATCH_GET: usize = 1;
const TRANSACT: usize = 2;
const QUERY: usize = 3;
const PING: usize = 4;

impl InstrumentedStore {
    pub fn new(inner: Arc<dyn Store>, metrics: Arc<Metrics>) -> Self {
        let latency = OPS.map(|op| metrics.store_latency.with_label_values(&[op]));
        Self {
            inner,
            metrics,
            latency,
        }
    }

    fn observe<T>(&self, op: usize, started: Instant, result: &Result<T, StoreError>) {
        self.latency[op].observe(started.elapsed().as_secs_f64());
        let op = OPS[op];
        if let Err(e) = result {
            let kind = match e {
                StoreError::ConditionFailed(_) => "condition_failed",
                StoreError::Invalid(_) => "invalid",
                StoreError::InvalidStart(_) => "invalid_start",
                StoreError::TooLarge(_) => "too_large",
                StoreError::Unavailable(_) => "unavailable",
                StoreError::Unknown(_) => "unknown",
                StoreError::Internal(_) => "internal",
            };
            self.metrics
                .store_errors
                .with_label_values(&[op, kind])
                .inc();
        }
    }
}

#[async_trait]
impl Store for InstrumentedStore {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        let t = Instant::now();
        let r = self.inner.get(key).await;
        self.observe(GET, t, &r);
        r
    }

    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, StoreError> {
        let t = Instant::now();
        let r = self.inner.batch_get(keys).await;
        self.observe(BATCH_GET, t, &r);
        r
    }

    async fn transact(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        let t = Instant::now();
        let r = self.inner.transact(ops).await;
        self.observe(TRANSACT, t, &r);
        r
    }

    async fn query(&self, query: &Query) -> Result<QueryPage, StoreError> {
        let t = Instant::now();
        let r = self.inner.query(query).await;
        self.observe(QUERY, t, &r);
        r
    }

    async fn ping(&self) -> Result<(), StoreError> {
        let t = Instant::now();
        let r = self.inner.ping().await;
        self.observe(PING, t, &r);
        r
    }

    async fn get_raw(&self, key: &Key) -> Result<Option<RawItem>, StoreError> {
        let t = Instant::now();
        let r = self.inner.get_raw(key).await;
        self.observe(GET, t, &r);
        r
    }

    async fn batch_get_raw(&self, keys: &[Key]) -> Result<Vec<Option<RawItem>>, StoreError> {
        let t = Instant::now();
        let r = self.inner.batch_get_raw(keys).await;
        self.observe(BATCH_GET, t, &r);
        r
    }

    async fn query_raw(&self, query: &Query) -> Result<RawPage, StoreError> {
        let t = Instant::now();
        let r = self.inner.query_raw(query).await;
        self.observe(QUERY, t, &r);
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, BTreeSet};

    /// The Grafana dashboard in `infra/grafana` charts only series this registry exports, with
    /// labels they carry (Prometheus adds `instance` and `job` when it scrapes).
    #[test]
    fn the_grafana_dashboard_queries_only_exported_series() {
        let m = Metrics::new().unwrap();
        // A labelled family is exported once it has a series: give each one.
        m.http_requests
            .with_label_values(&["/", "GET", "200"])
            .inc();
        m.http_latency.with_label_values(&["/", "GET"]).observe(0.1);
        m.store_latency.with_label_values(&["get"]).observe(0.1);
        m.store_errors.with_label_values(&["get", "unknown"]).inc();
        m.rate_limited.with_label_values(&["writes"]).inc();
        let mut exported: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for family in m.gather() {
            let labels: BTreeSet<String> = family
                .get_metric()
                .iter()
                .flat_map(|s| s.get_label().iter().map(|l| l.name().to_owned()))
                .chain(["instance".to_owned(), "job".to_owned()])
                .collect();
            let name = family.name().to_owned();
            if family.get_field_type() == prometheus::proto::MetricType::HISTOGRAM {
                for suffix in ["_bucket", "_sum", "_count"] {
                    let mut with_le = labels.clone();
                    with_le.insert("le".into());
                    exported.insert(format!("{name}{suffix}"), with_le);
                }
            }
            exported.insert(name, labels);
        }
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../infra/grafana/bookstore.json"
        );
        let dashboard: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let mut queries = 0;
        for panel in dashboard["panels"].as_array().unwrap() {
            for target in panel["targets"].as_array().into_iter().flatten() {
                let expr = target["expr"].as_str().unwrap();
                queries += 1;
                let mut named = 0;
                // Series selectors: a name, then optionally `{label op "value", ...}`.
                let mut rest = expr;
                while let Some(at) = rest.find("bookstore_") {
                    let tail = &rest[at..];
                    let end = tail
                        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                        .unwrap_or(tail.len());
                    let name = &tail[..end];
                    let labels = exported
                        .get(name)
                        .unwrap_or_else(|| panic!("{name} (in {expr}) is not exported"));
                    named += 1;
                    if let Some(selector) = tail[end..].strip_prefix('{') {
                        let body = &selector[..selector.find('}').unwrap()];
                        for matcher in body.split(',') {
                            let label = matcher.split(['=', '!', '~']).next().unwrap().trim();
                            assert!(labels.contains(label), "{name} has no label {label}");
                        }
                    }
                    rest = &tail[end..];
                }
                assert!(named > 0, "{expr} names no series of the shop");
            }
        }
        assert!(queries >= 10, "only {queries} queries");
    }
}
