//! The cart, kept in `localStorage` so it survives reloads, with the `Idempotency-Key` of the
//! order it will become.
//!
//! The key is made when checkout is first pressed and kept with the cart until the order
//! succeeds, so a double click or a retry after a network error sends the same key and the
//! server answers with the order already placed instead of buying twice. Changing the cart
//! makes it a different order, so the key is dropped then.
use bookstore_model::{Book, BookId, LineRequest, Quantity};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

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

#[derive(Clone, Copy)]
pub struct Cart {
    state: RwSignal<CartState>,
}

impl Cart {
    pub fn load() -> Self {
        let state = storage()
            .and_then(|s| s.get_item(KEY).ok().flatten())
            .and_then(|json| serde_json::from_str(&json).ok())
            .unwrap_or_default();
        Self {
            state: RwSignal::new(state),
        }
    }

    fn save(&self) {
        let state = self.state.get_untracked();
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
        });
        self.save();
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

    pub fn clear(&self) {
        self.state.set(CartState::default());
        self.save();
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

    pub fn forget_key(&self) {
        self.state.update(|s| s.idempotency_key = None);
        self.save();
    }

    pub fn has_pending_key(&self) -> bool {
        self.state.with(|s| s.idempotency_key.is_some())
    }
}

pub fn use_cart() -> Cart {
    expect_context::<Cart>()
}
