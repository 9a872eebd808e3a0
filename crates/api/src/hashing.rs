//! Password hashing on a few dedicated threads.
//!
//! Argon2id (OWASP parameters) takes ~16 ms of CPU and 19 MiB per hash. A burst of sign-ins must
//! not take every core from request handling, so only a few threads hash and the rest of a burst
//! queues here. The queue is a channel the threads pull from: a thread starts the next hash the
//! moment it finishes one. (A semaphore around `web::block` left the hashing thread idle while
//! the permit's release and the next waiter's wake-up each waited for a busy request worker to
//! be scheduled; at ~30 sign-ins/s on two saturated cores that idle time made the queue grow
//! to seconds.)
use crate::error::ApiError;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, mpsc};
use tokio::sync::oneshot;

type Job = Box<dyn FnOnce() + Send>;

/// Half the cores, at least one.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1))
}

pub struct HashPool {
    jobs: mpsc::Sender<Job>,
}

impl HashPool {
    pub fn new(threads: usize) -> std::io::Result<Self> {
        let threads = threads.max(1);
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..threads {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("password-hash-{i}"))
                .spawn(move || {
                    // Ends when the pool, and with it the sender, is dropped.
                    while let Some(job) = next_job(&queue) {
                        job();
                    }
                })?;
        }
        Ok(Self { jobs })
    }

    /// Queues `f` now, behind the jobs queued before it; the future resolves when a hashing
    /// thread has run it.
    pub fn run<T, F>(&self, f: F) -> impl Future<Output = Result<T, ApiError>> + use<T, F>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let (done, result) = oneshot::channel();
        let queued = self.jobs.send(Box::new(move || {
            // A panic fails this one request (its receiver sees the sender dropped); the
            // thread lives on for the next job.
            if let Ok(value) = catch_unwind(AssertUnwindSafe(f)) {
                let _ = done.send(value);
            }
        }));
        async move {
            queued.map_err(|_| ApiError::internal("the password-hashing threads are gone"))?;
            result
                .await
                .map_err(|_| ApiError::internal("password hashing failed"))
        }
    }
}

fn next_job(queue: &Mutex<mpsc::Receiver<Job>>) -> Option<Job> {
    queue.lock().ok()?.recv().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn runs_jobs_and_survives_a_panicking_one() {
        let pool = HashPool::new(1).expect("threads");
        assert_eq!(pool.run(|| 6 * 7).await.expect("ran"), 42);
        let failed = pool.run(|| -> u8 { panic!("boom") }).await;
        assert!(failed.is_err());
        assert_eq!(pool.run(|| "still here").await.expect("ran"), "still here");
    }

    #[tokio::test]
    async fn jobs_wait_for_a_free_thread_in_order() {
        let pool = Arc::new(HashPool::new(1).expect("threads"));
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut waits = Vec::new();
        for i in 0..5 {
            let order = order.clone();
            waits.push(pool.run(move || order.lock().expect("lock").push(i)));
        }
        for wait in waits {
            wait.await.expect("ran");
        }
        assert_eq!(*order.lock().expect("lock"), vec![0, 1, 2, 3, 4]);
    }
}
