//! Live stock for open pages, without extra writes on the order path.
//!
//! Each API instance runs one background poller. Clients connect to `GET /api/v1/events` with
//! the ids of the books they show; the poller batch-reads the union of the watched books through
//! the [`Store`] interface about once a second (so it works on every back end, and across
//! instances sharing one database), compares stock and version with what it saw last, and
//! broadcasts what changed. It also follows the newest book of the catalogue, so that open
//! listings can refresh when a book is added. Nothing is polled while no client is connected.
use crate::catalogue::{CATALOGUE, book_key};
use crate::store::keys::BOOKS_BY_NEWEST;
use crate::store::{Item, Key, Query, Store};
use bookstore_model::{BookId, CatalogueEvent, RemovedEvent, StockEvent};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;
use tokio::sync::broadcast;

/// How often the poller reads the watched books.
pub const POLL_INTERVAL: Duration = Duration::from_secs(1);
/// How often an idle event stream sends a comment, so proxies keep it open and the server
/// notices a client that went away.
pub const HEARTBEAT_INTERVAL: Duration = Duration::from_secs(15);
/// Events a slow client may fall behind before it is told to resynchronise.
const CHANNEL_CAPACITY: usize = 1024;

/// A change the poller saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveEvent {
    Stock(StockEvent),
    Removed(RemovedEvent),
    Catalogue(CatalogueEvent),
}

impl LiveEvent {
    /// The book the event is about, if it concerns one book.
    pub fn book_id(&self) -> Option<BookId> {
        match self {
            Self::Stock(e) => Some(e.book_id),
            Self::Removed(e) => Some(e.book_id),
            Self::Catalogue(_) => None,
        }
    }

    /// The event in the `text/event-stream` format.
    pub fn to_frame(&self) -> String {
        let (name, data) = match self {
            Self::Stock(e) => ("stock", serde_json::to_string(e)),
            Self::Removed(e) => ("removed", serde_json::to_string(e)),
            Self::Catalogue(e) => ("catalogue", serde_json::to_string(e)),
        };
        format!("event: {name}\ndata: {}\n\n", data.unwrap_or_default())
    }
}

/// The hub: who watches which books, and the channel the poller broadcasts on.
pub struct Live {
    watched: Mutex<HashMap<BookId, usize>>,
    /// Open streams per client address, each at most `max_per_client`: a stream holds a
    /// connection and a task for as long as the client likes, so one client must not open
    /// them without end.
    clients: Mutex<HashMap<IpAddr, usize>>,
    max_per_client: usize,
    tx: broadcast::Sender<LiveEvent>,
    /// Set when the server shuts down: streams end, so a graceful shutdown need not wait for
    /// them.
    closing: tokio::sync::watch::Sender<bool>,
}

/// A client's registration; dropping it (when the client disconnects) ends the watch.
pub struct Subscription {
    pub events: broadcast::Receiver<LiveEvent>,
    pub books: HashSet<BookId>,
    /// Changes to `true` when the server shuts down.
    pub closing: tokio::sync::watch::Receiver<bool>,
    client: Option<IpAddr>,
    live: Arc<Live>,
}

/// A client has as many streams open as it may.
#[derive(Debug)]
pub struct TooManyStreams;

impl Drop for Subscription {
    fn drop(&mut self) {
        if let Some(ip) = self.client {
            let mut clients = self.live.clients.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(n) = clients.get_mut(&ip) {
                *n -= 1;
                if *n == 0 {
                    clients.remove(&ip);
                }
            }
        }
        let mut watched = self.live.watched.lock().unwrap_or_else(|p| p.into_inner());
        for id in &self.books {
            if let Some(n) = watched.get_mut(id) {
                *n -= 1;
                if *n == 0 {
                    watched.remove(id);
                }
            }
        }
    }
}

impl Live {
    /// Creates the hub and starts its poller on the current tokio runtime. The poller stops
    /// when the hub is dropped. A client may have `max_per_client` streams open at once.
    pub fn start(store: Arc<dyn Store>, interval: Duration, max_per_client: usize) -> Arc<Self> {
        let (tx, _) = broadcast::channel(CHANNEL_CAPACITY);
        let live = Arc::new(Self {
            watched: Mutex::new(HashMap::new()),
            clients: Mutex::new(HashMap::new()),
            max_per_client,
            tx,
            closing: tokio::sync::watch::Sender::new(false),
        });
        tokio::spawn(poll_loop(
            Arc::downgrade(&live),
            Arc::downgrade(&store),
            interval,
        ));
        live
    }

    /// Registers a client watching `books`. Subscribes to the channel before anything is read,
    /// so a change between the client's snapshot and the poller's next round is not lost.
    pub fn subscribe(
        self: &Arc<Self>,
        books: HashSet<BookId>,
        client: Option<IpAddr>,
    ) -> Result<Subscription, TooManyStreams> {
        if let Some(ip) = client {
            let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
            let open = clients.entry(ip).or_default();
            if *open >= self.max_per_client {
                return Err(TooManyStreams);
            }
            *open += 1;
        }
        let events = self.tx.subscribe();
        {
            let mut watched = self.watched.lock().unwrap_or_else(|p| p.into_inner());
            for id in &books {
                *watched.entry(*id).or_default() += 1;
            }
        }
        Ok(Subscription {
            events,
            books,
            closing: self.closing.subscribe(),
            client,
            live: Arc::clone(self),
        })
    }

    /// Ends every stream (on shutdown).
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    /// Ends the streams when the process is asked to stop (SIGINT, SIGTERM), so that the
    /// server's graceful shutdown does not wait for them. Holds the hub weakly.
    pub fn close_on_shutdown_signal(self: &Arc<Self>) {
        let live = Arc::downgrade(self);
        tokio::spawn(async move {
            #[cfg(unix)]
            {
                use tokio::signal::unix::{SignalKind, signal};
                let Ok(mut term) = signal(SignalKind::terminate()) else {
                    return;
                };
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            #[cfg(not(unix))]
            let _ = tokio::signal::ctrl_c().await;
            if let Some(live) = live.upgrade() {
                live.close();
            }
        });
    }

    /// Connected clients.
    pub fn clients(&self) -> usize {
        self.tx.receiver_count()
    }

    /// The union of the watched books.
    pub fn watched(&self) -> Vec<BookId> {
        let watched = self.watched.lock().unwrap_or_else(|p| p.into_inner());
        watched.keys().copied().collect()
    }

    /// Stops polling a book that is gone: ids are never reused, so it cannot come back, and
    /// a client watching made-up ids must not make every round read them. Its watchers were
    /// told (`removed`); when they leave, their counts for it are simply not found.
    fn forget(&self, id: BookId) {
        let mut watched = self.watched.lock().unwrap_or_else(|p| p.into_inner());
        watched.remove(&id);
    }

    fn publish(&self, event: LiveEvent) {
        // No receiver is not an error: the clients left.
        let _ = self.tx.send(event);
    }
}

/// The stock and version of a book item.
pub fn stock_of(id: BookId, item: &Item) -> StockEvent {
    let num = |k: &str| item.get(k).and_then(Value::as_i64).unwrap_or(0);
    StockEvent {
        book_id: id,
        stock: num("stock"),
        version: num("version"),
    }
}

/// Reads the current state of `ids`: a `stock` event for each book, `removed` for the missing.
pub async fn snapshot(store: &dyn Store, ids: &[BookId]) -> anyhow::Result<Vec<LiveEvent>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(100) {
        let keys: Vec<Key> = chunk.iter().map(|id| book_key(*id)).collect();
        let items = store.batch_get(&keys).await?;
        for (id, item) in chunk.iter().zip(items) {
            out.push(match item {
                Some(item) => LiveEvent::Stock(stock_of(*id, &item)),
                None => LiveEvent::Removed(RemovedEvent { book_id: *id }),
            });
        }
    }
    Ok(out)
}

/// The id of the newest book in the catalogue.
pub async fn newest_book(store: &dyn Store) -> anyhow::Result<Option<BookId>> {
    let page = store
        .query(&Query {
            index: Some(BOOKS_BY_NEWEST),
            pk: CATALOGUE.into(),
            sk_prefix: None,
            forward: false,
            limit: 1,
            start: None,
        })
        .await?;
    Ok(page
        .items
        .first()
        .and_then(|i| i.get("id")?.as_str()?.parse().ok()))
}

/// What the poller saw last.
#[derive(Default)]
struct Seen {
    books: HashMap<BookId, Option<StockEvent>>,
    newest: Option<Option<BookId>>,
}

/// Holds neither the hub nor the store alive: it ends when the server drops them.
async fn poll_loop(live: Weak<Live>, store: Weak<dyn Store>, interval: Duration) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut seen = Seen::default();
    loop {
        ticker.tick().await;
        let (Some(live), Some(store)) = (live.upgrade(), store.upgrade()) else {
            return;
        };
        if let Err(e) = poll_once(&live, store.as_ref(), &mut seen).await {
            tracing::warn!(error = %e, "live stock poll failed");
        }
    }
}

async fn poll_once(live: &Live, store: &dyn Store, seen: &mut Seen) -> anyhow::Result<()> {
    if live.clients() == 0 {
        *seen = Seen::default();
        return Ok(());
    }
    let ids = live.watched();
    let still: HashSet<BookId> = ids.iter().copied().collect();
    seen.books.retain(|id, _| still.contains(id));
    for event in snapshot(store, &ids).await? {
        let Some(id) = event.book_id() else { continue };
        let now = match event {
            LiveEvent::Stock(s) => Some(s),
            _ => None,
        };
        // A book seen for the first time is announced too: its watcher may have read it
        // before the change that this round sees.
        if seen.books.get(&id) != Some(&now) {
            seen.books.insert(id, now);
            live.publish(event);
        }
        if now.is_none() {
            live.forget(id);
        }
    }
    let newest = newest_book(store).await?;
    if seen.newest != Some(newest) {
        seen.newest = Some(newest);
        live.publish(LiveEvent::Catalogue(CatalogueEvent { newest }));
    }
    Ok(())
}
