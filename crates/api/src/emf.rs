//! CloudWatch's embedded metric format (EMF): once a minute each instance prints its last
//! minute's figures as one JSON line on stdout. On ECS the awslogs driver ships the line and
//! CloudWatch turns it into metrics (namespace [`NAMESPACE`], by service and by instance) for the
//! dashboard in `infra/cloudformation/bookstore.yaml`; no agent, no API call. The figures are the
//! differences of the Prometheus registry's counters, so `/metrics` and CloudWatch agree.
use crate::metrics::Metrics;
use prometheus::proto::{MetricFamily, MetricType};
use serde_json::{Map, Value, json};
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

pub const NAMESPACE: &str = "Bookstore";

/// Every metric a line carries, with its CloudWatch unit. The infra check
/// (`infra/check_dashboards.py`) holds the dashboard's `Bookstore` metrics to this list.
pub const METRICS: &[(&str, &str)] = &[
    ("Requests", "Count"),
    ("Errors4xx", "Count"),
    ("Errors5xx", "Count"),
    ("Latency", "Seconds"),
    ("CpuSeconds", "Seconds"),
    ("BytesOut", "Bytes"),
    ("MemoryBytes", "Bytes"),
    ("OrdersPlaced", "Count"),
    ("OrderValueCents", "None"),
    ("UnitsSold", "Count"),
    ("StockOuts", "Count"),
];

/// The registry's running totals that a minute's line is the difference of.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Totals {
    requests: f64,
    errors_4xx: f64,
    errors_5xx: f64,
    /// Cumulative counts per latency bucket's upper bound (the last one unbounded).
    latency: Vec<(f64, f64)>,
    cpu_seconds: f64,
    bytes_out: f64,
    memory_bytes: f64,
    orders: f64,
    order_value_cents: f64,
    units: f64,
    stock_outs: f64,
}

impl Totals {
    pub fn of(families: &[MetricFamily]) -> Self {
        let mut t = Totals::default();
        for family in families {
            let name = family.name();
            for m in family.get_metric() {
                let value = match family.get_field_type() {
                    MetricType::COUNTER => m.get_counter().get_value(),
                    MetricType::GAUGE => m.get_gauge().get_value(),
                    _ => 0.0,
                };
                match name {
                    "bookstore_http_requests_total" => {
                        t.requests += value;
                        let status = m
                            .get_label()
                            .iter()
                            .find(|l| l.name() == "status")
                            .map(|l| l.value())
                            .unwrap_or_default();
                        if status.starts_with('4') {
                            t.errors_4xx += value;
                        } else if status.starts_with('5') {
                            t.errors_5xx += value;
                        }
                    }
                    "bookstore_http_request_duration_seconds" => {
                        let h = m.get_histogram();
                        let buckets = h.get_bucket();
                        if t.latency.is_empty() {
                            t.latency = buckets
                                .iter()
                                .map(|b| (b.upper_bound(), 0.0))
                                .chain([(f64::INFINITY, 0.0)])
                                .collect();
                        }
                        for (slot, b) in t.latency.iter_mut().zip(buckets) {
                            slot.1 += b.cumulative_count() as f64;
                        }
                        if let Some(last) = t.latency.last_mut() {
                            last.1 += h.get_sample_count() as f64;
                        }
                    }
                    "bookstore_http_response_bytes_total" => t.bytes_out += value,
                    "bookstore_orders_placed_total" => t.orders += value,
                    "bookstore_order_value_cents_total" => t.order_value_cents += value,
                    "bookstore_units_sold_total" => t.units += value,
                    "bookstore_stock_outs_total" => t.stock_outs += value,
                    n if n.ends_with("process_cpu_seconds_total") => t.cpu_seconds += value,
                    n if n.ends_with("process_resident_memory_bytes") => t.memory_bytes = value,
                    _ => {}
                }
            }
        }
        t
    }
}

/// The EMF line for the minute from `before` to `now`: counts are differences, memory is the
/// current figure, latency a distribution (`Values`/`Counts`, one value per non-empty bucket:
/// the bucket's midpoint) so CloudWatch computes p50/p90/p99 over every instance.
pub fn line(before: &Totals, now: &Totals, service: &str, instance: &str, at_ms: i64) -> Value {
    let diff = |a: f64, b: f64| (a - b).max(0.0);
    let mut values = Vec::new();
    let mut counts = Vec::new();
    let (mut lower, mut prev_now, mut prev_before) = (0.0_f64, 0.0, 0.0);
    for (i, (upper, cumulative)) in now.latency.iter().enumerate() {
        let before_cumulative = before.latency.get(i).map_or(0.0, |b| b.1);
        let n = diff(cumulative - prev_now, before_cumulative - prev_before);
        (prev_now, prev_before) = (*cumulative, before_cumulative);
        if n > 0.0 {
            // The unbounded bucket has no midpoint: twice its lower bound stands for it.
            let value = if upper.is_finite() {
                (lower + upper) / 2.0
            } else {
                lower * 2.0
            };
            values.push(json!(value));
            counts.push(json!(n));
        }
        lower = *upper;
    }
    let mut out = Map::new();
    out.insert("Service".into(), json!(service));
    out.insert("Instance".into(), json!(instance));
    let figures = [
        ("Requests", diff(now.requests, before.requests)),
        ("Errors4xx", diff(now.errors_4xx, before.errors_4xx)),
        ("Errors5xx", diff(now.errors_5xx, before.errors_5xx)),
        ("CpuSeconds", diff(now.cpu_seconds, before.cpu_seconds)),
        ("BytesOut", diff(now.bytes_out, before.bytes_out)),
        ("MemoryBytes", now.memory_bytes),
        ("OrdersPlaced", diff(now.orders, before.orders)),
        (
            "OrderValueCents",
            diff(now.order_value_cents, before.order_value_cents),
        ),
        ("UnitsSold", diff(now.units, before.units)),
        ("StockOuts", diff(now.stock_outs, before.stock_outs)),
    ];
    for (name, value) in figures {
        out.insert(name.into(), json!(value));
    }
    // A minute without requests has no distribution: a zero sample would pull the percentiles
    // down, so that line neither carries nor declares the metric.
    if !values.is_empty() {
        out.insert(
            "Latency".into(),
            json!({ "Values": values, "Counts": counts }),
        );
    }
    let declared: Vec<Value> = METRICS
        .iter()
        .filter(|(name, _)| out.contains_key(*name))
        .map(|(name, unit)| json!({ "Name": name, "Unit": unit }))
        .collect();
    out.insert(
        "_aws".into(),
        json!({
            "Timestamp": at_ms,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [["Service"], ["Service", "Instance"]],
                "Metrics": declared,
            }],
        }),
    );
    Value::Object(out)
}

/// Prints a line every `every` until the process ends.
/// `instance` is the name the operations dashboard knows the instance by (`instance_id`).
pub fn spawn(metrics: Arc<Metrics>, service: String, instance: String, every: Duration) {
    tokio::spawn(async move {
        let mut before = Totals::of(&metrics.gather());
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tick.tick().await;
            let now = Totals::of(&metrics.gather());
            let at = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as i64);
            let text = line(&before, &now, &service, &instance, at).to_string();
            // One write per line: awslogs turns each line into one log event.
            let _ = writeln!(std::io::stdout().lock(), "{text}");
            before = now;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn traffic(m: &Metrics, ok: u64, bad: u64, failed: u64, secs: &[f64]) {
        let route = ["/api/v1/books", "GET"];
        for (status, n) in [("200", ok), ("404", bad), ("503", failed)] {
            m.http_requests
                .with_label_values(&[route[0], route[1], status])
                .inc_by(n);
        }
        for s in secs {
            m.http_latency.with_label_values(&route).observe(*s);
        }
    }

    #[test]
    fn a_line_holds_the_minutes_differences_in_emf() {
        let m = Metrics::new().unwrap();
        traffic(&m, 10, 0, 0, &[0.002; 10]);
        m.orders_placed.inc();
        m.order_value_cents.inc_by(2_500);
        let before = Totals::of(&m.gather());
        traffic(&m, 7, 2, 1, &[0.0007, 0.0007, 0.003, 0.2, 9.0]);
        m.orders_placed.inc_by(2);
        m.order_value_cents.inc_by(4_000);
        m.units_sold.inc_by(5);
        m.http_response_bytes.inc_by(1_234);
        let now = Totals::of(&m.gather());
        let v = line(&before, &now, "shop", "host-1", 1_700_000_000_000);

        let meta = &v["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(meta["Namespace"], "Bookstore");
        assert_eq!(v["_aws"]["Timestamp"], 1_700_000_000_000_i64);
        // Every dimension and every declared metric is a member of the line, as EMF requires.
        for set in meta["Dimensions"].as_array().unwrap() {
            for d in set.as_array().unwrap() {
                assert!(v[d.as_str().unwrap()].is_string(), "{d}");
            }
        }
        for (name, _) in METRICS {
            assert!(!v[*name].is_null(), "{name} missing: {v}");
        }
        assert_eq!(v["Requests"], 10.0);
        assert_eq!(v["Errors4xx"], 2.0);
        assert_eq!(v["Errors5xx"], 1.0);
        assert_eq!(v["OrdersPlaced"], 2.0);
        assert_eq!(v["OrderValueCents"], 4_000.0);
        assert_eq!(v["UnitsSold"], 5.0);
        assert_eq!(v["BytesOut"], 1_234.0);
        // Five samples this minute: two in (0.5, 1] ms, one in (2.5, 5] ms, one in
        // (100, 250] ms and one beyond the last bound (5 s).
        assert_eq!(
            v["Latency"]["Values"],
            json!([0.00075, 0.00375, 0.175, 10.0])
        );
        assert_eq!(v["Latency"]["Counts"], json!([2.0, 1.0, 1.0, 1.0]));
    }

    #[test]
    fn a_quiet_minute_has_no_latency_and_zero_counts() {
        let m = Metrics::new().unwrap();
        traffic(&m, 3, 0, 0, &[0.01; 3]);
        let t = Totals::of(&m.gather());
        let v = line(&t, &t, "shop", "host-1", 0);
        assert!(v.get("Latency").is_none());
        let declared = v["_aws"]["CloudWatchMetrics"][0]["Metrics"].to_string();
        assert!(!declared.contains("Latency"), "{declared}");
        assert!(declared.contains("Requests"), "{declared}");
        assert_eq!(v["Requests"], 0.0);
        assert!(v["MemoryBytes"].as_f64().unwrap() >= 0.0);
    }
}
