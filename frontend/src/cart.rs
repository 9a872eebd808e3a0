//! The cart, kept in `localStorage` so it survives reloads, with the `Idempotency-Key` of the
//! order it will become.
//!
//! The key is made when checkout is first pressed and kept with the cart until the order
//! succeeds, so a double click or a retry after a network error sends the same key and the
//! server answers with the order already placed instead of buying twice. Changing the cart
//! makes it a different order, so the key is dropped then. So does another address, shipping
//! option or card at checkout: the key is kept with the body it was made for
//! ([`Cart::key_for`]), and another body gets a new key (the API refuses a key reused with
//! another body).
//!
//! Signed in, the cart is the account's, kept by the server (`/api/v1/me/cart`), so it
//! follows the person to any browser: it is loaded at sign-in and saved after every change
//! (one save at a time; changes made meanwhile go in the next one, so the last state wins).
//! Signing in in this tab first merges the cart built before into the account's (quantities
//! of a book added up, at most `Quantity::MAX`; at most `MAX_CART_LINES` lines) and clears it
//! from `localStorage`; a sign-in adopted from another tab only loads the account's cart (that
//! tab merged the browser's). Signing out empties the cart shown: it stays with the account.
use crate::api::Api;
use crate::session::Session;
use bookstore_model::{
    Book, BookId, CartInput, CartLineStatus, LineRequest, MAX_CART_LINES, Quantity, UserId,
};
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

const KEY: &str = "bookstore.cart";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CartLine {
    pub book_id: BookId,
    pub title: String,
    pub unit_price_cents: i64,
    pub currency: String,
    pub quantity: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CartState {
    pub lines: Vec<CartLine>,
    /// The key of the order being placed, until it succeeds.
    pub idempotency_key: Option<String>,
    /// The body the key was made for (see [`Cart::key_for`]).
    #[serde(default)]
    pub idempotency_body: Option<String>,
}

impl CartState {
    pub fn count(&self) -> u32 {
        self.lines.iter().map(|l| l.quantity).sum()
    }

    pub fn total_cents(&self) -> i64 {
        self.lines
            .iter()
            .map(|l| l.unit_price_cents * i64::from(l.quantity))
            .sum()
    }

    pub fn quantity_of(&self, id: BookId) -> u32 {
        self.lines
            .iter()
            .find(|l| l.book_id == id)
            .map_or(0, |l| l.quantity)
    }

    /// The lines as the server keeps them (the first `MAX_CART_LINES`).
    pub fn input(&self) -> CartInput {
        CartInput {
            lines: self
                .line_requests()
                .into_iter()
                .take(MAX_CART_LINES)
                .collect(),
        }
    }

    /// The cart's lines as an order's (checkout adds where and how to ship and the card).
    pub fn line_requests(&self) -> Vec<LineRequest> {
        self.lines
            .iter()
            .filter_map(|l| {
                // Lines hold 1..=Quantity::MAX (add and set_quantity bound them; empty
                // lines are dropped), so every line of the cart is in the order.
                Some(LineRequest {
                    book_id: l.book_id,
                    quantity: Quantity::parse(i64::from(l.quantity.min(Quantity::MAX))).ok()?,
                })
            })
            .collect()
    }
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// The server side of a signed-in cart.
#[derive(Debug, Clone, Copy, Default)]
struct Remote {
    /// The account whose cart this is; `None` signed out.
    account: Option<UserId>,
    /// The account's cart is being read: changes wait for it.
    loading: bool,
    /// A save is on its way.
    saving: bool,
    /// The cart changed while it was: save again.
    dirty: bool,
}

#[derive(Clone, Copy)]
pub struct Cart {
    state: RwSignal<CartState>,
    /// Books the server says are no longer in the catalogue.
    unavailable: RwSignal<HashSet<BookId>>,
    sync: StoredValue<Remote>,
    api: Api,
}

impl Cart {
    /// The browser's cart, then (signed in) the account's, following the session.
    pub fn load(session: Session, api: Api) -> Self {
        let cart = Self {
            state: RwSignal::new(stored().unwrap_or_default()),
            unavailable: RwSignal::new(HashSet::new()),
            sync: StoredValue::new(Remote::default()),
            api,
        };
        let account = Memo::new(move |_| session.user().map(|u| u.id));
        Effect::new(move |_| match account.get() {
            Some(id) if cart.sync.with_value(|s| s.account) != Some(id) => {
                cart.signed_in(id, session.signed_in_here());
            }
            Some(_) => {}
            None if cart.sync.with_value(|s| s.account.is_some()) => cart.signed_out(),
            None => {}
        });
        cart
    }

    /// Loads the account's cart, merging this tab's into it when the person signed in here.
    /// Otherwise (another tab signed in, or a page load) this tab's lines are dropped first:
    /// they were the browser's, merged by the tab that signed in; what is added while the
    /// account's cart is read is merged all the same.
    fn signed_in(&self, account: UserId, merge_here: bool) {
        if !merge_here && self.state.with_untracked(|s| !s.lines.is_empty()) {
            self.state.update(|s| s.lines.clear());
        }
        self.sync.update_value(|s| {
            *s = Remote {
                account: Some(account),
                loading: true,
                ..Remote::default()
            }
        });
        let cart = *self;
        spawn_local(async move {
            let read = cart.api.my_cart().await;
            if cart.sync.with_value(|s| s.account) != Some(account) {
                return;
            }
            let Ok(server) = read else {
                // Changes are saved from now on, over what the server had.
                cart.sync.update_value(|s| s.loading = false);
                return;
            };
            let local = cart.state.get_untracked().lines;
            let mut lines: Vec<CartLine> = server
                .lines
                .iter()
                .map(|l| from_server(l, &server))
                .collect();
            let merged = !local.is_empty();
            for l in local {
                match lines.iter().position(|m| m.book_id == l.book_id) {
                    Some(i) => {
                        lines[i].quantity = (lines[i].quantity + l.quantity).min(Quantity::MAX);
                    }
                    None if lines.len() < MAX_CART_LINES => lines.push(l),
                    None => {}
                }
            }
            cart.absorb(&server);
            let (key, body) = cart
                .state
                .with_untracked(|s| (s.idempotency_key.clone(), s.idempotency_body.clone()));
            cart.state.set(CartState {
                lines,
                // The same order as before only if nothing was merged into it.
                idempotency_key: if merged { None } else { key },
                idempotency_body: if merged { None } else { body },
            });
            cart.save();
            let dirty = cart.sync.with_value(|s| s.dirty);
            cart.sync.update_value(|s| s.loading = false);
            if merged || dirty {
                cart.push();
            }
        });
    }

    /// Signed out (here or in another tab): the cart stays with the account.
    fn signed_out(&self) {
        self.sync.update_value(|s| *s = Remote::default());
        self.unavailable.set(HashSet::new());
        self.state.set(CartState::default());
        self.save();
    }

    /// Sends the cart to the server, one save at a time; a change made meanwhile is sent
    /// when the save in flight is answered.
    fn push(&self) {
        let Some(account) = self.sync.with_value(|s| s.account) else {
            return;
        };
        if self.sync.with_value(|s| s.saving || s.loading) {
            self.sync.update_value(|s| s.dirty = true);
            return;
        }
        self.sync.update_value(|s| s.saving = true);
        let cart = *self;
        spawn_local(async move {
            loop {
                cart.sync.update_value(|s| s.dirty = false);
                let input = cart.state.with_untracked(CartState::input);
                let saved = cart.api.save_cart(&input).await;
                if cart.sync.with_value(|s| s.account) != Some(account) {
                    return;
                }
                if let Ok(server) = saved {
                    cart.absorb(&server);
                }
                if !cart.sync.with_value(|s| s.dirty) {
                    break;
                }
            }
            cart.sync.update_value(|s| s.saving = false);
        });
    }

    /// Takes the server's flags (books no longer in the catalogue).
    fn absorb(&self, server: &bookstore_model::Cart) {
        let gone: HashSet<BookId> = server
            .lines
            .iter()
            .filter(|l| l.status == CartLineStatus::Unavailable)
            .map(|l| l.book_id)
            .collect();
        if self.unavailable.with_untracked(|u| *u != gone) {
            self.unavailable.set(gone);
        }
    }

    /// Keeps the cart in `localStorage`: signed out, all of it; signed in, only the pending
    /// order's key (the lines are the server's, and another person may use this browser).
    fn save(&self) {
        let mut state = self.state.get_untracked();
        if self.sync.with_value(|s| s.account.is_some()) {
            state.lines.clear();
        }
        if let (Some(s), Ok(json)) = (storage(), serde_json::to_string(&state)) {
            let _ = s.set_item(KEY, &json);
        }
    }

    /// Changes the lines; the pending order's key no longer applies.
    fn edit(&self, f: impl FnOnce(&mut Vec<CartLine>)) {
        self.state.update(|s| {
            f(&mut s.lines);
            s.lines.retain(|l| l.quantity > 0);
            s.idempotency_key = None;
            s.idempotency_body = None;
        });
        self.save();
        self.push();
    }

    /// Whether the server says the book is no longer in the catalogue.
    pub fn is_unavailable(&self, id: BookId) -> bool {
        self.unavailable.with(|u| u.contains(&id))
    }

    pub fn state(&self) -> CartState {
        self.state.get()
    }

    pub fn count(&self) -> u32 {
        self.state.with(CartState::count)
    }

    pub fn quantity_of(&self, id: BookId) -> u32 {
        self.state.with(|s| s.quantity_of(id))
    }

    /// Adds copies, never beyond `stock` in all, nor beyond what one order line may hold.
    pub fn add(&self, book: &Book, quantity: u32, stock: i64) {
        let max = u32::try_from(stock.max(0))
            .unwrap_or(u32::MAX)
            .min(Quantity::MAX);
        self.edit(
            |lines| match lines.iter_mut().find(|l| l.book_id == book.id) {
                Some(l) => {
                    l.quantity = (l.quantity + quantity).min(max);
                    l.unit_price_cents = book.price_cents.get();
                }
                None => lines.push(CartLine {
                    book_id: book.id,
                    title: book.title.to_string(),
                    unit_price_cents: book.price_cents.get(),
                    currency: book.currency.to_string(),
                    quantity: quantity.min(max),
                }),
            },
        );
    }

    pub fn set_quantity(&self, id: BookId, quantity: u32) {
        self.edit(|lines| {
            if let Some(l) = lines.iter_mut().find(|l| l.book_id == id) {
                l.quantity = quantity.min(Quantity::MAX);
            }
        });
    }

    /// Keeps the title and price (and the shop's currency) of a line in step with the catalogue.
    pub fn refresh_line(&self, book: &Book) {
        let changed = self.state.with_untracked(|s| {
            s.lines.iter().any(|l| {
                l.book_id == book.id
                    && (l.unit_price_cents != book.price_cents.get()
                        || l.title != book.title.as_str()
                        || l.currency != book.currency.as_str())
            })
        });
        if changed {
            // The order's body (ids and quantities) is unchanged: the key still applies.
            self.state.update(|s| {
                if let Some(l) = s.lines.iter_mut().find(|l| l.book_id == book.id) {
                    l.unit_price_cents = book.price_cents.get();
                    l.title = book.title.to_string();
                    l.currency = book.currency.to_string();
                }
            });
            self.save();
        }
    }

    pub fn remove(&self, id: BookId) {
        self.edit(|lines| lines.retain(|l| l.book_id != id));
    }

    /// Empties the cart (an order was placed), on the server too when signed in.
    pub fn clear(&self) {
        self.state.set(CartState::default());
        self.unavailable.set(HashSet::new());
        self.save();
        self.push();
    }

    /// The key for placing this cart's order: the kept one, or a new one (kept at once, before
    /// the request leaves, so that a retry after a lost answer reuses it).
    pub fn idempotency_key(&self) -> String {
        if let Some(k) = self.state.with_untracked(|s| s.idempotency_key.clone()) {
            return k;
        }
        let key = uuid::Uuid::new_v4().to_string();
        self.state.update(|s| s.idempotency_key = Some(key.clone()));
        self.save();
        key
    }

    /// The key for placing an order with this `body` (its JSON): the kept one if it was made
    /// for this very body (a retry), else a new one, kept at once with the body.
    pub fn key_for(&self, body: &str) -> String {
        let kept = self.state.with_untracked(|s| {
            s.idempotency_key
                .clone()
                .filter(|_| s.idempotency_body.as_deref() == Some(body))
        });
        if let Some(k) = kept {
            return k;
        }
        let key = uuid::Uuid::new_v4().to_string();
        self.state.update(|s| {
            s.idempotency_key = Some(key.clone());
            s.idempotency_body = Some(body.to_owned());
        });
        self.save();
        key
    }

    pub fn forget_key(&self) {
        self.state.update(|s| {
            s.idempotency_key = None;
            s.idempotency_body = None;
        });
        self.save();
    }

    pub fn has_pending_key(&self) -> bool {
        self.state.with(|s| s.idempotency_key.is_some())
    }
}

fn stored() -> Option<CartState> {
    let json = storage()?.get_item(KEY).ok().flatten()?;
    serde_json::from_str(&json).ok()
}

/// A line of the account's cart as this one keeps it (the cart page reads the book itself).
fn from_server(l: &bookstore_model::CartLine, cart: &bookstore_model::Cart) -> CartLine {
    let currency = l.currency.as_ref().or(cart.currency.as_ref());
    CartLine {
        book_id: l.book_id,
        title: l.title.as_ref().map_or_else(
            || "A book no longer in the catalogue".to_owned(),
            ToString::to_string,
        ),
        unit_price_cents: l.unit_price_cents.unwrap_or(0),
        currency: currency.map_or_else(|| "USD".to_owned(), ToString::to_string),
        quantity: l.quantity,
    }
}

pub fn use_cart() -> Cart {
    expect_context::<Cart>()
}
