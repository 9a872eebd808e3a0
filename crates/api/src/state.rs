use crate::limits::Limiters;
use crate::metrics::Metrics;
use crate::store::Store;
use bookstore_domain::hashing::HashPool;
use bookstore_domain::tokens::Tokens;
use bookstore_domain::{
    Addresses, ApiKeys, Audit, Carts, Catalogue, Operations, Orders, Sales, Shipping, Users,
    Webhooks,
};
use std::sync::Arc;

/// What every handler can reach: the repositories, the keys and the edge's own parts (rate
/// limits, metrics). Cheap to share across workers.
pub struct AppState {
    pub catalogue: Arc<Catalogue>,
    pub orders: std::sync::Arc<Orders>,
    /// The sales counters' reader (the owner's dashboard).
    pub sales: Sales,
    /// Every instance's per-minute operations figures (the dashboard).
    pub operations: Arc<Operations>,
    /// What this instance served since its last flush into `operations`.
    pub ops: Arc<crate::ops::OpsRecorder>,
    pub users: Users,
    pub addresses: Addresses,
    pub carts: Carts,
    /// The currency, shipping options and tax rates, checked at start-up.
    pub shipping: std::sync::Arc<Shipping>,
    pub audit: Audit,
    pub api_keys: ApiKeys,
    /// Shared with the outbox's dispatcher, which reads the endpoints it delivers to.
    pub webhooks: Arc<Webhooks>,
    /// The store itself, for the readiness probe and the live-stock poller.
    pub store: Arc<dyn Store>,
    pub tokens: Tokens,
    pub metrics: Arc<Metrics>,
    pub limits: Limiters,
    /// Argon2id on a few dedicated threads, half the cores by default (see `hashing`).
    pub hashing: HashPool,
}
