//! This instance's operations figures for the dashboard: the edge middleware counts each
//! response here (atomics, no lock), and a task hands the counts to the store every
//! `ops_flush_ms` and once more at shutdown (`Operations::record`, which owns the items).
use bookstore_domain::Operations;
use bookstore_domain::operations::{LATENCY_BUCKETS, MinuteFigures, latency_bucket};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering::Relaxed};
use std::time::Duration;

#[derive(Default)]
pub struct OpsRecorder {
    requests: AtomicI64,
    errors_4xx: AtomicI64,
    errors_5xx: AtomicI64,
    bytes_out: AtomicI64,
    latency: [AtomicI64; LATENCY_BUCKETS],
    /// The process's CPU time at the last flush, microseconds.
    cpu_seen: AtomicI64,
}

impl OpsRecorder {
    pub fn new() -> Self {
        let r = Self::default();
        r.cpu_seen.store(cpu_micros(), Relaxed);
        r
    }

    /// Counts one response.
    pub fn count(&self, status: u16, elapsed: Duration, bytes: Option<u64>) {
        self.requests.fetch_add(1, Relaxed);
        match status {
            400..=499 => self.errors_4xx.fetch_add(1, Relaxed),
            500..=599 => self.errors_5xx.fetch_add(1, Relaxed),
            _ => 0,
        };
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        self.latency[latency_bucket(micros)].fetch_add(1, Relaxed);
        if let Some(n) = bytes {
            self.bytes_out
                .fetch_add(i64::try_from(n).unwrap_or(i64::MAX), Relaxed);
        }
    }

    /// What was counted since the last take, reset to zero.
    fn take(&self) -> MinuteFigures {
        let cpu = cpu_micros();
        let mut f = MinuteFigures {
            requests: self.requests.swap(0, Relaxed),
            errors_4xx: self.errors_4xx.swap(0, Relaxed),
            errors_5xx: self.errors_5xx.swap(0, Relaxed),
            bytes_out: self.bytes_out.swap(0, Relaxed),
            cpu_micros: (cpu - self.cpu_seen.swap(cpu, Relaxed)).max(0),
            ..MinuteFigures::default()
        };
        for (to, from) in f.latency.iter_mut().zip(&self.latency) {
            *to = from.swap(0, Relaxed);
        }
        f
    }

    /// Writes what was counted since the last flush; on a store error the counts are kept for
    /// the next flush (added back), so a minute is late rather than lost.
    pub async fn flush(&self, ops: &Operations, instance: &str) {
        let f = self.take();
        if let Err(e) = ops.record(instance, &f).await {
            tracing::warn!(error = %e, "recording this instance's operations figures");
            self.requests.fetch_add(f.requests, Relaxed);
            self.errors_4xx.fetch_add(f.errors_4xx, Relaxed);
            self.errors_5xx.fetch_add(f.errors_5xx, Relaxed);
            self.bytes_out.fetch_add(f.bytes_out, Relaxed);
            self.cpu_seen.fetch_sub(f.cpu_micros, Relaxed);
            for (to, n) in self.latency.iter().zip(f.latency) {
                to.fetch_add(n, Relaxed);
            }
        }
    }

    /// Flushes every `every` until the task is aborted.
    pub fn start(
        self: Arc<Self>,
        ops: Arc<Operations>,
        instance: String,
        every: Duration,
    ) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every.max(Duration::from_millis(100)));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tick.tick().await;
            loop {
                tick.tick().await;
                self.flush(&ops, &instance).await;
            }
        })
    }
}

/// The CPU time (user and system) this process has used, microseconds: from `/proc/self/stat`
/// (clock ticks of 1/100 s, Linux's `USER_HZ`); 0 where there is no `/proc`.
fn cpu_micros() -> i64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0;
    };
    // The command name (field 2) may hold spaces; the fields after its `)` are fixed.
    let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
        return 0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the name.
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(0)
    };
    (ticks(11) + ticks(12)) * 10_000
}

/// This instance's name when the settings give none: host name and process id.
pub fn default_instance_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "instance".into());
    format!("{host}-{}", std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_process_cpu_time_is_read() {
        let before = cpu_micros();
        let mut x = 0u64;
        for i in 0..30_000_000u64 {
            x = x.wrapping_add(i * i);
        }
        std::hint::black_box(x);
        assert!(cpu_micros() > before, "CPU time did not grow");
    }
}
