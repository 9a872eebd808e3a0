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
    /// Argon2id on a few dedicated threads, half the cores by default (see `hashing`).
    pub hashing: crate::hashing::HashPool,
    pub book_json: crate::db::books::BookJsonCache,
    pub bestsellers: crate::fresh::Fresh<Vec<bookstore_model::Bestseller>>,
    pub genres: crate::fresh::Fresh<Vec<bookstore_model::GenreCount>>,
    pub searches: crate::db::books::SearchCache,
    /// How long an `Idempotency-Key` of an order or a return is remembered.
    pub idempotency_ttl_secs: i64,
}
