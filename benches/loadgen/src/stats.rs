//! Latency histograms per interaction, outcome counts and a per-second timeline.
use hdrhistogram::Histogram;
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// Latencies are recorded in microseconds, 1 µs .. 60 s, 3 significant digits.
pub fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3).unwrap_or_else(|_| unreachable!())
}

/// A second of the timeline's: 2 significant digits (1 %) are plenty for a second's p99, and
/// keep each second's counts at ~20 KB instead of ~140 KB (250 MB over a 30-minute soak).
fn second_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 2).unwrap_or_else(|_| unreachable!())
}

fn record(h: &mut Histogram<u64>, d: Duration) {
    h.saturating_record((d.as_micros() as u64).max(1));
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Percentiles {
    pub count: u64,
    pub mean_ms: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Percentiles {
    pub fn of(h: &Histogram<u64>) -> Self {
        let ms = |us: u64| us as f64 / 1000.0;
        if h.is_empty() {
            return Self {
                count: 0,
                mean_ms: 0.0,
                p50_ms: 0.0,
                p90_ms: 0.0,
                p99_ms: 0.0,
                max_ms: 0.0,
            };
        }
        Self {
            count: h.len(),
            mean_ms: h.mean() / 1000.0,
            p50_ms: ms(h.value_at_quantile(0.50)),
            p90_ms: ms(h.value_at_quantile(0.90)),
            p99_ms: ms(h.value_at_quantile(0.99)),
            max_ms: ms(h.max()),
        }
    }
}

/// One second of the run.
#[derive(Debug, Clone)]
pub struct Bucket {
    pub completed: u64,
    pub errors: u64,
    pub latency: Histogram<u64>,
}

impl Default for Bucket {
    fn default() -> Self {
        Self {
            completed: 0,
            errors: 0,
            latency: second_histogram(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct TimelinePoint {
    /// Seconds since the start of the run (warm-up included).
    pub second: u64,
    pub completed: u64,
    pub errors: u64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
}

/// How an interaction ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The expected success.
    Ok,
    /// A refusal that the workload provokes on purpose and the shop must give:
    /// `insufficient_stock`, a lost `If-Match` race, a return of more than is left.
    Expected,
    /// Anything else: counted as an error, by status (0 = transport failure).
    Error(u16),
}

/// Distinct error messages kept per interaction: enough to tell what failed.
pub const ERROR_SAMPLES: usize = 3;

/// Everything recorded during a run; one per run, behind a mutex.
#[derive(Debug)]
pub struct Stats {
    /// Interactions that completed (ok or expected) after the warm-up.
    pub latency: BTreeMap<&'static str, Histogram<u64>>,
    pub total: Histogram<u64>,
    pub expected: BTreeMap<&'static str, BTreeMap<String, u64>>,
    pub errors: BTreeMap<&'static str, BTreeMap<u16, u64>>,
    /// Up to [`ERROR_SAMPLES`] distinct error messages per interaction.
    pub error_samples: BTreeMap<&'static str, Vec<String>>,
    pub timeline: Vec<Bucket>,
    pub warmup_secs: u64,
}

impl Stats {
    pub fn new(warmup_secs: u64) -> Self {
        Self {
            latency: BTreeMap::new(),
            total: histogram(),
            expected: BTreeMap::new(),
            errors: BTreeMap::new(),
            error_samples: BTreeMap::new(),
            timeline: Vec::new(),
            warmup_secs,
        }
    }

    /// Records an interaction that ended at `second` of the run after `took`.
    pub fn record(
        &mut self,
        second: u64,
        name: &'static str,
        outcome: Outcome,
        took: Duration,
        why: &str,
    ) {
        let s = second as usize;
        if self.timeline.len() <= s {
            self.timeline.resize_with(s + 1, Bucket::default);
        }
        let bucket = &mut self.timeline[s];
        match outcome {
            Outcome::Error(_) => bucket.errors += 1,
            _ => {
                bucket.completed += 1;
                record(&mut bucket.latency, took);
            }
        }
        if second < self.warmup_secs {
            return;
        }
        match outcome {
            Outcome::Ok | Outcome::Expected => {
                record(self.latency.entry(name).or_insert_with(histogram), took);
                record(&mut self.total, took);
                if outcome == Outcome::Expected {
                    *self
                        .expected
                        .entry(name)
                        .or_default()
                        .entry(why.to_owned())
                        .or_default() += 1;
                }
            }
            Outcome::Error(status) => {
                *self
                    .errors
                    .entry(name)
                    .or_default()
                    .entry(status)
                    .or_default() += 1;
                let samples = self.error_samples.entry(name).or_default();
                if samples.len() < ERROR_SAMPLES && !samples.iter().any(|s| s == why) {
                    samples.push(why.to_owned());
                }
            }
        }
    }

    pub fn error_count(&self) -> u64 {
        self.errors.values().flat_map(|m| m.values()).sum()
    }

    pub fn timeline_points(&self) -> Vec<TimelinePoint> {
        self.timeline
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let p = Percentiles::of(&b.latency);
                TimelinePoint {
                    second: i as u64,
                    completed: b.completed,
                    errors: b.errors,
                    p50_ms: p.p50_ms,
                    p90_ms: p.p90_ms,
                    p99_ms: p.p99_ms,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warmup_is_left_out_of_the_summary_but_not_the_timeline() {
        let mut s = Stats::new(1);
        s.record(0, "home", Outcome::Ok, Duration::from_millis(5), "");
        s.record(1, "home", Outcome::Ok, Duration::from_millis(10), "");
        s.record(
            1,
            "buy",
            Outcome::Expected,
            Duration::from_millis(1),
            "stock",
        );
        s.record(2, "buy", Outcome::Error(500), Duration::from_millis(1), "");
        assert_eq!(s.total.len(), 2);
        assert_eq!(s.timeline.len(), 3);
        assert_eq!(s.timeline[0].completed, 1);
        assert_eq!(s.error_count(), 1);
        assert_eq!(s.expected["buy"]["stock"], 1);
        let p = Percentiles::of(&s.latency["home"]);
        assert!((p.p50_ms - 10.0).abs() < 0.1);
    }
}
