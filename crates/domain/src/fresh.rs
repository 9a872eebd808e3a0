//! A derived value (a ranking, a count) that one instance computes from the store and serves
//! for a short time.
//!
//! Some listings are read on most page views but change rarely or matter only roughly: the
//! bestseller ranking, the genre counts. Computing them per request scans the parts of the
//! store that writes rewrite most (in the embedded store every superseded version stays in
//! the memtable until a flush, and a scan walks them all). So each instance keeps the value
//! it computed for `max_age`. When it expires, one request recomputes it while the others keep
//! getting the previous value: an expiry costs one computation and makes nobody wait (only the
//! very first value, and the first after an invalidation, is awaited).
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct Fresh<T> {
    max_age: Duration,
    slot: Mutex<Option<(Instant, Arc<T>)>>,
    refreshing: AtomicBool,
    /// Bumped by `invalidate`, so that a computation that began before it cannot store its
    /// (possibly older) value after it.
    generation: AtomicU64,
    first: tokio::sync::Mutex<()>,
}

impl<T> Fresh<T> {
    /// `max_age` zero: computed on every call.
    pub fn new(max_age: Duration) -> Self {
        Self {
            max_age,
            slot: Mutex::new(None),
            refreshing: AtomicBool::new(false),
            generation: AtomicU64::new(0),
            first: tokio::sync::Mutex::new(()),
        }
    }

    /// Whether values are kept at all (`max_age` above zero).
    pub fn caches(&self) -> bool {
        !self.max_age.is_zero()
    }

    /// Forgets the value: the next call computes it afresh and waits for it. For a change this
    /// instance made and its own next reader should see.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        *self.lock() = None;
    }

    /// The value, at most `max_age` old (plus one computation), computing it when needed.
    pub async fn get<F, Fut, E>(&self, compute: F) -> Result<Arc<T>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        if self.max_age.is_zero() {
            return compute().await.map(Arc::new);
        }
        let current = self.lock().clone();
        match current {
            Some((at, value)) if at.elapsed() < self.max_age => Ok(value),
            Some((_, stale)) => {
                if self
                    .refreshing
                    .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
                    .is_ok()
                {
                    let _flag = Refreshing(&self.refreshing);
                    self.compute_and_store(compute).await
                } else {
                    Ok(stale)
                }
            }
            None => {
                let _first = self.first.lock().await;
                let current = self.lock().clone();
                match current {
                    Some((_, value)) => Ok(value),
                    None => self.compute_and_store(compute).await,
                }
            }
        }
    }

    async fn compute_and_store<F, Fut, E>(&self, compute: F) -> Result<Arc<T>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let generation = self.generation.load(Ordering::Acquire);
        let value = Arc::new(compute().await?);
        let mut slot = self.lock();
        if self.generation.load(Ordering::Acquire) == generation {
            *slot = Some((Instant::now(), value.clone()));
        }
        Ok(value)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(Instant, Arc<T>)>> {
        // The slot holds a plain value: a panic elsewhere cannot leave it half-written.
        self.slot.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Clears the "a request is recomputing" flag however the recomputation ends.
struct Refreshing<'a>(&'a AtomicBool);

impl Drop for Refreshing<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::convert::Infallible;

    async fn count(fresh: &Fresh<u32>, calls: &AtomicU64) -> u32 {
        let n = fresh
            .get(|| async { Ok::<_, Infallible>(calls.fetch_add(1, Ordering::SeqCst) as u32) })
            .await;
        *n.unwrap_or_else(|e| match e {})
    }

    #[tokio::test]
    async fn serves_the_value_until_it_expires_then_recomputes() {
        let fresh = Fresh::new(Duration::from_millis(200));
        let calls = AtomicU64::new(0);
        assert_eq!(count(&fresh, &calls).await, 0);
        assert_eq!(count(&fresh, &calls).await, 0);
        tokio::time::sleep(Duration::from_millis(250)).await;
        // The expired value's recomputation is what this call gets.
        assert_eq!(count(&fresh, &calls).await, 1);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn invalidation_makes_the_next_call_recompute_and_zero_age_never_caches() {
        let fresh = Fresh::new(Duration::from_secs(60));
        let calls = AtomicU64::new(0);
        assert_eq!(count(&fresh, &calls).await, 0);
        fresh.invalidate();
        assert_eq!(count(&fresh, &calls).await, 1);
        assert_eq!(count(&fresh, &calls).await, 1);

        let never = Fresh::new(Duration::ZERO);
        assert_eq!(count(&never, &calls).await, 2);
        assert_eq!(count(&never, &calls).await, 3);
    }

    #[tokio::test]
    async fn a_failed_computation_is_not_cached() {
        let fresh: Fresh<u32> = Fresh::new(Duration::from_secs(60));
        assert!(fresh.get(|| async { Err::<u32, _>("down") }).await.is_err());
        let got = fresh.get(|| async { Ok::<_, &str>(7) }).await;
        assert_eq!(got.as_deref(), Ok(&7));
    }

    #[tokio::test]
    async fn a_computation_overtaken_by_an_invalidation_is_not_stored() {
        let fresh = Fresh::new(Duration::from_secs(60));
        let got = fresh
            .get(|| async {
                fresh.invalidate(); // a write lands while the old value is computed
                Ok::<_, Infallible>(1)
            })
            .await;
        assert_eq!(got.as_deref().ok(), Some(&1));
        let next = fresh.get(|| async { Ok::<_, Infallible>(2) }).await;
        assert_eq!(
            next.as_deref().ok(),
            Some(&2),
            "recomputed, not the overtaken value"
        );
    }
}
