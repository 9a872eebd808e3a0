//! Each instance's own operations figures, a minute at a time, kept in the store for a while
//! (`ttl`), so the dashboard shows every instance without a monitoring stack of its own.
//!
//! An instance adds what it served since its last flush to the item of the current minute:
//! pk `OPS#<hour>`, sk `<minute>#<instance>` (`ADD`, so flushes more often than once a minute,
//! and the last one at shutdown, add up). A range of hours is a query per hour. Latency is a
//! histogram of fixed buckets (`LATENCY_BOUNDS_US`), so percentiles of several instances or
//! minutes come from their summed buckets, exactly as of one.
use crate::error::{Error, Result};
use crate::items::time_key;
use crate::store::{Item, Key, Path, Query, Store, WriteOp};
use bookstore_model::{
    LATENCY_BOUNDS_US, MAX_OPERATIONS_SPAN_HOURS, OperationsPoint, OperationsQuery,
    OperationsSeries, OperationsStats, ProblemCode,
};
use chrono::{DateTime, Duration, DurationRound, Utc};
use futures::{StreamExt, TryStreamExt};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Latency buckets: one per bound and one for slower requests.
pub const LATENCY_BUCKETS: usize = LATENCY_BOUNDS_US.len() + 1;
/// Points in a range at most: a wider range gets wider steps.
const MAX_POINTS: i64 = 180;
/// Step widths offered, minutes.
const STEPS: [i64; 7] = [1, 2, 5, 10, 15, 30, 60];

/// What one instance served and spent since its last flush.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MinuteFigures {
    pub requests: i64,
    pub errors_4xx: i64,
    pub errors_5xx: i64,
    pub cpu_micros: i64,
    pub bytes_out: i64,
    pub latency: [i64; LATENCY_BUCKETS],
}

impl MinuteFigures {
    fn is_empty(&self) -> bool {
        self.requests == 0 && self.cpu_micros == 0 && self.bytes_out == 0
    }
}

/// The index of the latency bucket of a response time.
pub fn latency_bucket(micros: u64) -> usize {
    LATENCY_BOUNDS_US
        .iter()
        .position(|b| micros <= *b)
        .unwrap_or(LATENCY_BOUNDS_US.len())
}

/// The operations figures' repository.
pub struct Operations {
    store: Arc<dyn Store>,
    retention_secs: i64,
}

impl Operations {
    pub fn new(store: Arc<dyn Store>, retention: std::time::Duration) -> Self {
        Self {
            store,
            retention_secs: i64::try_from(retention.as_secs()).unwrap_or(i64::MAX),
        }
    }

    /// Adds `f` to `instance`'s figures of the current minute.
    pub async fn record(&self, instance: &str, f: &MinuteFigures) -> Result<()> {
        if f.is_empty() {
            return Ok(());
        }
        let minute = Utc::now()
            .duration_trunc(Duration::minutes(1))
            .map_err(Error::internal)?;
        let mut add = vec![
            (Path::attr("requests"), f.requests),
            (Path::attr("errors_4xx"), f.errors_4xx),
            (Path::attr("errors_5xx"), f.errors_5xx),
            (Path::attr("cpu_micros"), f.cpu_micros),
            (Path::attr("bytes_out"), f.bytes_out),
        ];
        add.extend(
            f.latency
                .iter()
                .enumerate()
                .filter(|(_, n)| **n > 0)
                .map(|(i, n)| (Path::attr(&format!("l{i}")), *n)),
        );
        let op = WriteOp::Update {
            key: Key::new(
                format!("OPS#{}", minute.format("%Y-%m-%dT%H")),
                format!("{}#{instance}", time_key(minute)),
            ),
            set: vec![
                (Path::attr("instance"), instance.into()),
                (Path::attr("minute"), minute.timestamp().into()),
                (
                    Path::attr("ttl"),
                    minute
                        .timestamp()
                        .saturating_add(self.retention_secs)
                        .into(),
                ),
            ],
            add,
            cond: None,
        };
        Ok(self.store.transact(vec![op]).await?)
    }

    /// Every instance's figures over a range, and their total, in steps.
    pub async fn figures(&self, q: &OperationsQuery) -> Result<OperationsStats> {
        let bad = |d: &str| Error::BadRequest(ProblemCode::InvalidRange, d.into());
        let minute = Duration::minutes(1);
        let to = q.to.unwrap_or_else(Utc::now);
        let to = match to.duration_trunc(minute) {
            Ok(t) if t == to => t,
            Ok(t) => t
                .checked_add_signed(minute)
                .ok_or_else(|| bad("a time out of range"))?,
            Err(_) => return Err(bad("a time out of range")),
        };
        let from = match q.from {
            Some(f) => f,
            None => to
                .checked_sub_signed(Duration::hours(3))
                .ok_or_else(|| bad("a time out of range"))?,
        }
        .duration_trunc(minute)
        .map_err(|_| bad("a time out of range"))?;
        if from >= to {
            return Err(bad("`from` must be before `to`"));
        }
        if to - from > Duration::hours(MAX_OPERATIONS_SPAN_HOURS) {
            return Err(bad("a range is at most 48 hours long"));
        }
        let span = (to - from).num_minutes();
        let step = STEPS
            .into_iter()
            .find(|s| (span + s - 1) / s <= MAX_POINTS)
            .unwrap_or(60);
        let points = ((span + step - 1) / step) as usize;
        let hours: Vec<String> = std::iter::successors(
            Some(
                from.duration_trunc(Duration::hours(1))
                    .map_err(Error::internal)?,
            ),
            |h| Some(*h + Duration::hours(1)),
        )
        .take_while(|h| *h < to)
        .map(|h| format!("OPS#{}", h.format("%Y-%m-%dT%H")))
        .collect();
        let items: Vec<Vec<Item>> = futures::stream::iter(hours)
            .map(|pk| self.partition(pk))
            .buffered(8)
            .try_collect()
            .await?;
        let (from_s, step_s) = (from.timestamp(), step * 60);
        let mut by_instance: BTreeMap<String, Vec<MinuteFigures>> = BTreeMap::new();
        let mut total = vec![MinuteFigures::default(); points];
        for item in items.iter().flatten() {
            let at = num(item, "minute");
            if at < from_s || at >= to.timestamp() {
                continue;
            }
            let i = ((at - from_s) / step_s) as usize;
            let instance = item.get("instance").and_then(Value::as_str).unwrap_or("?");
            let f = figures_of(item);
            let series = by_instance
                .entry(instance.to_owned())
                .or_insert_with(|| vec![MinuteFigures::default(); points]);
            add(&mut series[i], &f);
            add(&mut total[i], &f);
        }
        let start = |i: usize| from + Duration::minutes(step * i as i64);
        let to_points = |figs: Vec<MinuteFigures>| -> Vec<OperationsPoint> {
            figs.into_iter()
                .enumerate()
                .map(|(i, f)| point(start(i), f))
                .collect()
        };
        let mut series = vec![OperationsSeries {
            instance: None,
            points: to_points(total),
        }];
        series.extend(
            by_instance
                .into_iter()
                .map(|(name, figs)| OperationsSeries {
                    instance: Some(name),
                    points: to_points(figs),
                }),
        );
        Ok(OperationsStats {
            from,
            to,
            step_secs: step_s,
            latency_bounds_us: LATENCY_BOUNDS_US.to_vec(),
            series,
        })
    }

    async fn partition(&self, pk: String) -> Result<Vec<Item>> {
        let mut query = Query {
            index: None,
            pk,
            sk_prefix: None,
            forward: true,
            limit: 1000,
            start: None,
        };
        let mut out = Vec::new();
        loop {
            let page = self.store.query(&query).await?;
            out.extend(page.items);
            match page.last_key {
                Some(last) => query.start = Some(last),
                None => return Ok(out),
            }
        }
    }
}

fn num(item: &Item, name: &str) -> i64 {
    item.get(name).and_then(Value::as_i64).unwrap_or(0)
}

fn figures_of(item: &Item) -> MinuteFigures {
    let mut f = MinuteFigures {
        requests: num(item, "requests"),
        errors_4xx: num(item, "errors_4xx"),
        errors_5xx: num(item, "errors_5xx"),
        cpu_micros: num(item, "cpu_micros"),
        bytes_out: num(item, "bytes_out"),
        ..MinuteFigures::default()
    };
    for (i, n) in f.latency.iter_mut().enumerate() {
        *n = num(item, &format!("l{i}"));
    }
    f
}

fn add(to: &mut MinuteFigures, f: &MinuteFigures) {
    to.requests += f.requests;
    to.errors_4xx += f.errors_4xx;
    to.errors_5xx += f.errors_5xx;
    to.cpu_micros += f.cpu_micros;
    to.bytes_out += f.bytes_out;
    for (a, b) in to.latency.iter_mut().zip(f.latency) {
        *a += b;
    }
}

/// The upper bound (ms) of the bucket the `q` quantile falls in; the slowest bucket reports
/// its lower bound.
fn percentile(buckets: &[i64], q: f64) -> f64 {
    let total: i64 = buckets.iter().sum();
    if total == 0 {
        return 0.0;
    }
    let rank = (q * total as f64).ceil().max(1.0) as i64;
    let mut seen = 0;
    for (i, n) in buckets.iter().enumerate() {
        seen += n;
        if seen >= rank {
            let bound = LATENCY_BOUNDS_US
                .get(i)
                .or(LATENCY_BOUNDS_US.last())
                .copied()
                .unwrap_or(0);
            return bound as f64 / 1000.0;
        }
    }
    0.0
}

fn point(start: DateTime<Utc>, f: MinuteFigures) -> OperationsPoint {
    OperationsPoint {
        start,
        requests: f.requests,
        errors_4xx: f.errors_4xx,
        errors_5xx: f.errors_5xx,
        p50_ms: percentile(&f.latency, 0.50),
        p90_ms: percentile(&f.latency, 0.90),
        p99_ms: percentile(&f.latency, 0.99),
        cpu_seconds: f.cpu_micros as f64 / 1e6,
        bytes_out: f.bytes_out,
        latency_buckets: f.latency.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_come_from_the_merged_buckets() {
        let mut b = [0i64; LATENCY_BUCKETS];
        assert_eq!(percentile(&b, 0.5), 0.0);
        b[latency_bucket(200)] = 90; // ≤ 0.25 ms
        b[latency_bucket(40_000)] = 9; // ≤ 50 ms
        b[latency_bucket(60_000_000)] = 1; // slower than every bound
        assert_eq!(percentile(&b, 0.5), 0.25);
        assert_eq!(percentile(&b, 0.9), 0.25);
        assert_eq!(percentile(&b, 0.91), 50.0);
        assert_eq!(percentile(&b, 0.99), 50.0);
        assert_eq!(percentile(&b, 1.0), 10_000.0);
    }
}
