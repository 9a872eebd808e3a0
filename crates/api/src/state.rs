use crate::auth::Tokens;
use crate::cursor::CursorCodec;
use crate::metrics::Metrics;
use crate::middleware::Limiters;
use crate::store::Store;
use std::sync::Arc;

/// What every handler can reach: the store and the keys. Cheap to share across workers.
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub tokens: Tokens,
    pub cursors: CursorCodec,
    pub metrics: Arc<Metrics>,
    pub limits: Limiters,
    /// Argon2id takes ~20 ms of CPU and 19 MiB per hash: at most this many run at once, so a
    /// burst of logins queues instead of starving every other request of CPU.
    pub hashing: tokio::sync::Semaphore,
    pub book_json: crate::db::books::BookJsonCache,
    pub bestsellers: crate::db::books::BestsellerCache,
}

impl AppState {
    /// Concurrent password hashes: half the cores, at least one.
    pub fn hashing_permits() -> usize {
        std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1))
    }
}
