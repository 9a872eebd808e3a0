//! Password hashing: Argon2id on a few dedicated threads, fed by a queue they pull from, so a
//! burst of sign-ins cannot take every core from request handling and a thread starts the next
//! hash the moment it finishes one (why not a semaphore: `docs/design-notes.md`).
use crate::error::Error;
use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::password_hash::{self, CustomizedPasswordHasher, PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, mpsc};
use tokio::sync::oneshot;

type Job = Box<dyn FnOnce() + Send>;

/// One per core: the request workers run at a lower priority (`worker_nice`), so the hashing
/// threads take a core when they have work and leave it when they have none.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Sign-ins that may wait for a hashing thread, per thread, before more are refused: at
/// ~11-14 ms a hash, a sign-in never waits much more than 200 ms behind others; past that the
/// shop is out of hashing capacity, and a quick 503 with `Retry-After` beats a growing queue.
pub const DEFAULT_WAITING_PER_THREAD: usize = 16;

/// OWASP's Argon2id configurations, all "an equal level of defense" trading memory for passes,
/// as (KiB, passes): (47104, 1), (19456, 2), (12288, 3), (9216, 4), (7168, 5). Production
/// refuses a cost below them: at least `MIN_MEMORY_KIB` and `MIN_MEMORY_PASSES` KiB x passes.
pub const MIN_MEMORY_KIB: u32 = 7168;
pub const MIN_MEMORY_PASSES: u64 = 7168 * 5;
/// The most memory a hash may take, configured or stored: a corrupt stored hash asking for
/// terabytes must fail one login, not abort the process on allocation.
pub const MAX_MEMORY_KIB: u32 = 1 << 20;

/// Argon2id at this deployment's cost. Verifying uses the cost stored in each hash, so a
/// change of cost keeps every existing password working.
#[derive(Debug, Clone)]
pub struct PasswordKdf {
    params: Params,
    /// What a login with an unknown e-mail verifies against, at the current cost, so that it
    /// takes as long as one with a known e-mail.
    dummy: Arc<OnceLock<String>>,
}

impl PasswordKdf {
    pub fn new(memory_kib: u32, passes: u32) -> Result<Self, argon2::Error> {
        if memory_kib > MAX_MEMORY_KIB {
            return Err(argon2::Error::MemoryTooMuch);
        }
        Ok(Self {
            params: Params::new(memory_kib, passes, 1, None)?,
            dummy: Arc::default(),
        })
    }

    /// Whether the cost is at least one of OWASP's configurations.
    pub fn meets_owasp_minimum(&self) -> bool {
        let (m, t) = (self.params.m_cost(), self.params.t_cost());
        m >= MIN_MEMORY_KIB && u64::from(m) * u64::from(t) >= MIN_MEMORY_PASSES
    }

    /// A PHC string (`$argon2id$v=19$m=...`) for `password` with a fresh random salt.
    /// CPU-heavy: call it from a hashing thread.
    pub fn hash(&self, password: &str) -> Result<String, Error> {
        ReusedMemory::argon2id(self.params.clone())
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(Error::internal)
    }

    /// Whether `password` matches the PHC string `stored`; `None` (no such account) verifies
    /// against a dummy hash and answers false. CPU-heavy: call it from a hashing thread.
    pub fn verify(&self, password: &str, stored: Option<&str>) -> bool {
        let dummy = || {
            self.dummy
                .get_or_init(|| self.hash("not a real password").unwrap_or_default())
                .as_str()
        };
        let ok = PasswordHash::new(stored.unwrap_or_else(dummy)).is_ok_and(|parsed| {
            ReusedMemory::argon2id(Params::DEFAULT)
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        });
        ok && stored.is_some()
    }
}

thread_local! {
    /// Argon2's working memory, kept by each hashing thread between hashes: allocating and
    /// faulting in 19 MiB per hash cost ~7 % of the hash.
    static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// Argon2 hashing into this thread's kept memory; verification (compare in constant time)
/// comes with the trait implementations.
struct ReusedMemory {
    algorithm: Algorithm,
    version: Version,
    params: Params,
}

impl ReusedMemory {
    fn argon2id(params: Params) -> Self {
        Self {
            algorithm: Algorithm::Argon2id,
            version: Version::V0x13,
            params,
        }
    }
}

impl PasswordHasher<PasswordHash> for ReusedMemory {
    fn hash_password_with_salt(
        &self,
        password: &[u8],
        salt: &[u8],
    ) -> password_hash::Result<PasswordHash> {
        let params = &self.params;
        let salt = Salt::new(salt)?;
        let mut buffer = [0u8; Output::MAX_LENGTH];
        let out = buffer
            .get_mut(..params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN))
            .ok_or(password_hash::Error::OutputSize)?;
        if params.m_cost() > MAX_MEMORY_KIB {
            return Err(password_hash::Error::ParamInvalid { name: "m" });
        }
        MEMORY.with_borrow_mut(|memory| {
            let blocks = params.block_count();
            if memory.len() < blocks {
                memory.resize(blocks, Block::default());
            }
            // Argon2 writes every block before it reads it: no need to clear the old contents.
            Argon2::new(self.algorithm, self.version, params.clone())
                .hash_password_into_with_memory(password, &salt, out, &mut memory[..blocks])
        })?;
        Ok(PasswordHash {
            algorithm: self.algorithm.ident(),
            version: Some(self.version.into()),
            params: ParamsString::try_from(params)?,
            salt: Some(salt),
            hash: Some(Output::new(out)?),
        })
    }
}

impl CustomizedPasswordHasher<PasswordHash> for ReusedMemory {
    type Params = Params;

    fn hash_password_customized(
        &self,
        password: &[u8],
        salt: &[u8],
        algorithm: Option<&str>,
        version: Option<u32>,
        params: Params,
    ) -> password_hash::Result<PasswordHash> {
        let algorithm = algorithm
            .map(Algorithm::try_from)
            .transpose()?
            .unwrap_or_default();
        let version = version
            .map(Version::try_from)
            .transpose()?
            .unwrap_or_default();
        Self {
            algorithm,
            version,
            params,
        }
        .hash_password_with_salt(password, salt)
    }
}

pub struct HashPool {
    jobs: mpsc::Sender<Job>,
    kdf: PasswordKdf,
    /// Jobs queued and not yet started.
    waiting: Arc<AtomicUsize>,
    max_waiting: usize,
}

impl HashPool {
    /// `threads` hashing threads, refusing a job while `max_waiting` others wait.
    pub fn new(threads: usize, max_waiting: usize, kdf: PasswordKdf) -> std::io::Result<Self> {
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
        Ok(Self {
            jobs,
            kdf,
            waiting: Arc::new(AtomicUsize::new(0)),
            max_waiting,
        })
    }

    /// Hashes `password` on a hashing thread.
    pub fn hash(&self, password: String) -> impl Future<Output = Result<String, Error>> + use<> {
        let kdf = self.kdf.clone();
        let hashed = self.run(move || kdf.hash(&password));
        async move { hashed.await? }
    }

    /// Verifies `password` against `stored` (`None`: no such account) on a hashing thread.
    pub fn verify(
        &self,
        password: String,
        stored: Option<String>,
    ) -> impl Future<Output = Result<bool, Error>> + use<> {
        let kdf = self.kdf.clone();
        self.run(move || kdf.verify(&password, stored.as_deref()))
    }

    /// Queues `f` now, behind the jobs queued before it; the future resolves when a hashing
    /// thread has run it, or at once with `Error::Busy` when the queue is full.
    pub fn run<T, F>(&self, f: F) -> impl Future<Output = Result<T, Error>> + use<T, F>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let (done, result) = oneshot::channel();
        let waiting = self.waiting.clone();
        let full = waiting.fetch_add(1, Ordering::AcqRel) >= self.max_waiting;
        if full {
            waiting.fetch_sub(1, Ordering::AcqRel);
        }
        let queued = if full {
            Err(Error::Busy(
                "too many sign-ins are being checked at once; nothing was changed",
            ))
        } else {
            self.jobs
                .send(Box::new(move || {
                    waiting.fetch_sub(1, Ordering::AcqRel);
                    // A panic fails this one request (its receiver sees the sender dropped); the
                    // thread lives on for the next job.
                    if let Ok(value) = catch_unwind(AssertUnwindSafe(f)) {
                        let _ = done.send(value);
                    }
                }))
                .map_err(|_| Error::internal("the password-hashing threads are gone"))
        };
        async move {
            queued?;
            result
                .await
                .map_err(|_| Error::internal("password hashing failed"))
        }
    }
}

fn next_job(queue: &Mutex<mpsc::Receiver<Job>>) -> Option<Job> {
    queue.lock().ok()?.recv().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> PasswordKdf {
        PasswordKdf::new(64, 1).expect("params")
    }

    #[test]
    fn hashes_verify_with_the_argon2_crate_and_back() {
        let kdf = cheap();
        let ours = kdf.hash("correct horse").expect("hash");
        assert!(ours.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{ours}");
        let parsed = PasswordHash::new(&ours).expect("phc");
        assert!(
            Argon2::default()
                .verify_password(b"correct horse", &parsed)
                .is_ok()
        );
        assert!(
            Argon2::default()
                .verify_password(b"wrong horse", &parsed)
                .is_err()
        );
        // A hash made by the crate's own allocating path, at another cost, verifies here.
        let theirs = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(128, 2, 1, None).expect("params"),
        )
        .hash_password(b"battery staple")
        .expect("hash")
        .to_string();
        assert!(kdf.verify("battery staple", Some(&theirs)));
        assert!(!kdf.verify("battery stapler", Some(&theirs)));
        // The same memory, reused after a larger hash, gives the same answers.
        assert!(kdf.verify("correct horse", Some(&ours)));
        assert!(!kdf.verify("correct horse", None));
        assert!(!kdf.verify("correct horse", Some("not a phc string")));
        // A stored hash asking for 4 TiB is refused without allocating.
        let huge = ours.replace("m=64,", "m=4294967295,");
        assert!(!kdf.verify("correct horse", Some(&huge)));
        assert!(PasswordKdf::new(MAX_MEMORY_KIB + 1, 1).is_err());
    }

    #[test]
    fn owasp_minimum() {
        let ok = |m, t| {
            PasswordKdf::new(m, t)
                .expect("params")
                .meets_owasp_minimum()
        };
        for (m, t) in [(47104, 1), (19456, 2), (12288, 3), (9216, 4), (7168, 5)] {
            assert!(ok(m, t), "{m} KiB x {t}");
        }
        assert!(!ok(19456, 1));
        assert!(!ok(6144, 8));
        assert!(!ok(64, 1));
    }

    #[tokio::test]
    async fn pool_hashes_and_verifies() {
        let pool = HashPool::new(1, 64, cheap()).expect("threads");
        let hash = pool.hash("open sesame".into()).await.expect("hash");
        let verify = |p: &str, h: Option<&str>| pool.verify(p.into(), h.map(str::to_owned));
        assert!(verify("open sesame", Some(&hash)).await.expect("ran"));
        assert!(!verify("open sesame!", Some(&hash)).await.expect("ran"));
        assert!(!verify("open sesame", None).await.expect("ran"));
    }

    #[tokio::test]
    async fn runs_jobs_and_survives_a_panicking_one() {
        let pool = HashPool::new(1, 64, cheap()).expect("threads");
        assert_eq!(pool.run(|| 6 * 7).await.expect("ran"), 42);
        let failed = pool.run(|| -> u8 { panic!("boom") }).await;
        assert!(failed.is_err());
        assert_eq!(pool.run(|| "still here").await.expect("ran"), "still here");
    }

    #[tokio::test]
    async fn jobs_wait_for_a_free_thread_in_order() {
        let pool = Arc::new(HashPool::new(1, 64, cheap()).expect("threads"));
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

    #[tokio::test]
    async fn refuses_a_job_while_the_queue_is_full_and_takes_one_again_after() {
        let pool = HashPool::new(1, 2, cheap()).expect("threads");
        let (started, running) = mpsc::channel();
        let (release, gate) = mpsc::channel::<()>();
        // One job holds the thread, two wait: the queue is full.
        let holding = pool.run(move || {
            started.send(()).expect("send");
            gate.recv().expect("released");
        });
        running.recv().expect("the first job started");
        let (a, b) = (pool.run(|| 1), pool.run(|| 2));
        let refused = pool.run(|| 3).await;
        assert!(matches!(refused, Err(Error::Busy(_))), "{refused:?}");
        release.send(()).expect("release");
        holding.await.expect("ran");
        assert_eq!((a.await.expect("ran"), b.await.expect("ran")), (1, 2));
        assert_eq!(pool.run(|| 4).await.expect("room again"), 4);
    }
}
