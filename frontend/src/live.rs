//! Live stock: one `EventSource` on `GET /api/v1/events?books=…` for the books on screen.
//!
//! Pages declare what they show with [`Live::watch`]; the union (at most 100 ids) names the
//! stream, which is reopened when it changes. The server sends each watched book's current
//! stock on connecting and changes afterwards; the browser reconnects by itself after a dropped
//! connection, and this module reopens the stream when the browser gives up.
use crate::api::events_url;
use bookstore_model::{BookId, CatalogueEvent, MAX_WATCHED_BOOKS, RemovedEvent, StockEvent};
use leptos::prelude::*;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::time::Duration;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    Connecting,
    Open,
    Reconnecting,
}

#[derive(Clone, Copy)]
pub struct Live {
    stock: RwSignal<HashMap<BookId, StockEvent>>,
    removed: RwSignal<HashSet<BookId>>,
    /// Bumped when the catalogue's newest book changes: listings reload.
    catalogue: RwSignal<u64>,
    newest: RwSignal<Option<Option<BookId>>>,
    watchers: RwSignal<BTreeMap<u64, Vec<BookId>>>,
    next_watcher: RwSignal<u64>,
    /// Bumped to force a new connection (after the browser gave up, or a resync).
    generation: RwSignal<u64>,
    pub link: RwSignal<LinkState>,
}

/// The open stream and the handlers it calls; dropping it closes the stream.
struct Connection {
    source: web_sys::EventSource,
    _handlers: Vec<Closure<dyn FnMut(web_sys::Event)>>,
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.source.close();
    }
}

thread_local! {
    static CONNECTION: RefCell<Option<Connection>> = const { RefCell::new(None) };
}

impl Live {
    /// Creates the context and keeps a stream open for the watched books.
    pub fn start() -> Self {
        let live = Self {
            stock: RwSignal::new(HashMap::new()),
            removed: RwSignal::new(HashSet::new()),
            catalogue: RwSignal::new(0),
            newest: RwSignal::new(None),
            watchers: RwSignal::new(BTreeMap::new()),
            next_watcher: RwSignal::new(0),
            generation: RwSignal::new(0),
            link: RwSignal::new(LinkState::Connecting),
        };
        let wanted = Memo::new(move |_| {
            live.watchers.with(|w| {
                let all: BTreeSet<BookId> = w.values().flatten().copied().collect();
                all.into_iter().take(MAX_WATCHED_BOOKS).collect::<Vec<_>>()
            })
        });
        Effect::new(move |_| {
            let books = wanted.get();
            live.generation.track();
            live.connect(&books);
        });
        // A page left for another (or kept in the back/forward cache) must not keep its stream:
        // browsers allow six connections per host, and frozen pages' streams would use them up.
        // Reopened when the page is shown again.
        // (The listeners live as long as the page; their handles need no keeping.)
        let _ = window_event_listener_untyped("pagehide", move |_| {
            CONNECTION.with(|c| c.borrow_mut().take());
            live.link.set(LinkState::Reconnecting);
        });
        let _ = window_event_listener_untyped("pageshow", move |e| {
            let restored = js_sys::Reflect::get(&e, &"persisted".into())
                .ok()
                .and_then(|v| v.as_bool())
                .unwrap_or(false);
            if restored {
                live.generation.update(|n| *n += 1);
            }
        });
        live
    }

    fn connect(self, books: &[BookId]) {
        CONNECTION.with(|c| c.borrow_mut().take());
        let Ok(source) = web_sys::EventSource::new(&events_url(books)) else {
            self.link.set(LinkState::Reconnecting);
            return;
        };
        self.link.set(LinkState::Connecting);
        let mut handlers: Vec<Closure<dyn FnMut(web_sys::Event)>> = Vec::new();
        let mut on = |name: &str, f: Box<dyn FnMut(web_sys::Event)>| {
            let cb = Closure::wrap(f);
            let _ = source.add_event_listener_with_callback(name, cb.as_ref().unchecked_ref());
            handlers.push(cb);
        };
        on("open", Box::new(move |_| self.link.set(LinkState::Open)));
        on(
            "stock",
            Box::new(move |e| {
                if let Some(ev) = data::<StockEvent>(&e) {
                    self.removed.update(|r| {
                        r.remove(&ev.book_id);
                    });
                    self.stock.update(|s| {
                        s.insert(ev.book_id, ev);
                    });
                }
            }),
        );
        on(
            "removed",
            Box::new(move |e| {
                if let Some(ev) = data::<RemovedEvent>(&e) {
                    self.removed.update(|r| {
                        r.insert(ev.book_id);
                    });
                }
            }),
        );
        on(
            "catalogue",
            Box::new(move |e| {
                if let Some(ev) = data::<CatalogueEvent>(&e) {
                    let before = self.newest.get_untracked();
                    if before.is_some_and(|b| b != ev.newest) {
                        self.catalogue.update(|n| *n += 1);
                    }
                    self.newest.set(Some(ev.newest));
                }
            }),
        );
        on(
            "resync",
            Box::new(move |_| {
                self.catalogue.update(|n| *n += 1);
                self.generation.update(|n| *n += 1);
            }),
        );
        let source_for_error = source.clone();
        on(
            "error",
            Box::new(move |_| {
                self.link.set(LinkState::Reconnecting);
                // CLOSED: the browser gave up (e.g. the server answered an error); retry.
                if source_for_error.ready_state() == web_sys::EventSource::CLOSED {
                    set_timeout(
                        move || self.generation.update(|n| *n += 1),
                        Duration::from_secs(3),
                    );
                }
            }),
        );
        CONNECTION.with(|c| {
            *c.borrow_mut() = Some(Connection {
                source,
                _handlers: handlers,
            })
        });
    }

    /// Declares the books a component shows, for as long as it lives.
    pub fn watch(self, books: impl Fn() -> Vec<BookId> + 'static) {
        let key = self.next_watcher.get_untracked();
        self.next_watcher.set(key + 1);
        Effect::new(move |_| {
            let ids = books();
            self.watchers.update(|w| {
                w.insert(key, ids);
            });
        });
        on_cleanup(move || {
            self.watchers.try_update(|w| {
                w.remove(&key);
            });
        });
    }

    /// The live stock of a book, or `fallback` (what the page loaded) until an event came.
    pub fn stock(self, id: BookId, fallback: i64) -> i64 {
        self.stock
            .with(|s| s.get(&id).map_or(fallback, |e| e.stock))
    }

    /// The book's version as last announced.
    pub fn version(self, id: BookId) -> Option<i64> {
        self.stock.with(|s| s.get(&id).map(|e| e.version))
    }

    pub fn is_removed(self, id: BookId) -> bool {
        self.removed.with(|r| r.contains(&id))
    }

    /// Changes when listings should reload.
    pub fn catalogue_changes(self) -> u64 {
        self.catalogue.get()
    }

    /// Records a book's state as just read from the API (e.g. after a purchase), so the page
    /// does not wait for the next event.
    pub fn seen(self, id: BookId, stock: i64, version: i64) {
        self.stock.update(|s| {
            s.insert(
                id,
                StockEvent {
                    book_id: id,
                    stock,
                    version,
                },
            );
        });
    }
}

fn data<T: serde::de::DeserializeOwned>(e: &web_sys::Event) -> Option<T> {
    let msg = e.dyn_ref::<web_sys::MessageEvent>()?;
    let text = msg.data().as_string()?;
    serde_json::from_str(&text).ok()
}

pub fn use_live() -> Live {
    expect_context::<Live>()
}
