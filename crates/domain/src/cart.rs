//! The cart of each account: one item in the account's partition beside the user item, so it
//! moves with an e-mail change and goes with the account.
//!
//! The item keeps only what the customer chose (book ids and quantities) and the last title
//! seen of each book, so that a line whose book was deleted can still be named. Prices and
//! stock are read from the catalogue on every answer, never stored: the cart says what an
//! order would meet now. A `PUT` replaces the whole cart (last writer wins: the cart is one
//! person's, edited by their own tabs; each tab sends its whole cart, so the last one stands).
use crate::actor::Actor;
use crate::addresses::partition;
use crate::catalogue::get_many;
use crate::error::{Error, Result};
use crate::items::from_item;
use crate::store::{Key, Store, StoreError, WriteOp};
use bookstore_model::{Book, BookId, Cart, CartInput, CartLine, CartLineStatus, Title, paths};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;

const CART_SK: &str = "CART";

/// The stored cart item (beside `pk` and `sk`).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct CartRecord {
    lines: Vec<LineRecord>,
    updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct LineRecord {
    book_id: BookId,
    quantity: u32,
    /// The book's title when the cart last saw it in the catalogue.
    #[serde(default)]
    title: Option<Title>,
}

/// The carts repository.
pub struct Carts {
    store: Arc<dyn Store>,
}

impl Carts {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }

    /// The caller's cart, each line checked against the catalogue now; empty if never saved.
    pub async fn get(&self, actor: &Actor) -> Result<Cart> {
        let key = cart_key(actor)?;
        let record = match self.store.get(&key).await? {
            Some(item) => Some(from_item::<CartRecord>(item)?),
            None => None,
        };
        let Some(record) = record else {
            return Ok(Cart::default());
        };
        let books = self.books(&record.lines).await?;
        Ok(view(&record, &books))
    }

    /// Replaces the caller's cart; an empty one deletes the item. Answers the cart as
    /// [`Carts::get`] would.
    pub async fn replace(&self, actor: &Actor, input: CartInput) -> Result<Cart> {
        input.validate()?;
        let key = cart_key(actor)?;
        let mut record = CartRecord {
            lines: input
                .lines
                .iter()
                .map(|l| LineRecord {
                    book_id: l.book_id,
                    quantity: l.quantity.get(),
                    title: None,
                })
                .collect(),
            updated_at: Utc::now(),
        };
        let books = self.books(&record.lines).await?;
        let op = if record.lines.is_empty() {
            WriteOp::Delete { key, cond: None }
        } else {
            // A deleted book keeps the title this cart saw last, if it ever saw one.
            let titles = if books.iter().any(Option::is_none) {
                self.stored_titles(&key).await?
            } else {
                Vec::new()
            };
            for (line, book) in record.lines.iter_mut().zip(&books) {
                line.title = match book {
                    Some(b) => Some(b.title.clone()),
                    None => titles
                        .iter()
                        .find(|(id, _)| *id == line.book_id)
                        .map(|(_, t)| t.clone()),
                };
            }
            WriteOp::Put {
                item: cart_item(&key, &record)?,
                cond: None,
            }
        };
        // Replacing is idempotent: whatever happened to an unconfirmed write, sending the
        // same cart again gives the same result.
        match self.store.transact(vec![op]).await {
            Ok(()) => {}
            Err(StoreError::Unknown(cause)) => {
                return Err(Error::OutcomeUnknown {
                    what: "cart",
                    location: Some(paths::MY_CART.into()),
                    cause,
                });
            }
            Err(e) => return Err(e.into()),
        }
        let mut answer = view(&record, &books);
        if record.lines.is_empty() {
            answer.updated_at = None;
        }
        Ok(answer)
    }

    /// The books of the lines, in their order; `None` for one not in the catalogue.
    async fn books(&self, lines: &[LineRecord]) -> Result<Vec<Option<Book>>> {
        let ids: Vec<BookId> = lines.iter().map(|l| l.book_id).collect();
        get_many(self.store.as_ref(), &ids)
            .await?
            .into_iter()
            .map(|item| item.map(from_item::<Book>).transpose())
            .collect()
    }

    /// The titles the stored cart remembers, by book.
    async fn stored_titles(&self, key: &Key) -> Result<Vec<(BookId, Title)>> {
        Ok(match self.store.get(key).await? {
            Some(item) => from_item::<CartRecord>(item)?
                .lines
                .into_iter()
                .filter_map(|l| Some((l.book_id, l.title?)))
                .collect(),
            None => Vec::new(),
        })
    }
}

/// The cart as answered: each line against its book (`None`: not in the catalogue).
fn view(record: &CartRecord, books: &[Option<Book>]) -> Cart {
    let lines: Vec<CartLine> = record
        .lines
        .iter()
        .zip(books)
        .map(|(line, book)| match book {
            Some(b) => CartLine {
                book_id: line.book_id,
                quantity: line.quantity,
                status: if b.stock >= i64::from(line.quantity) {
                    CartLineStatus::Available
                } else {
                    CartLineStatus::InsufficientStock
                },
                title: Some(b.title.clone()),
                unit_price_cents: Some(b.price_cents.get()),
                currency: Some(b.currency.clone()),
                stock: b.stock.max(0),
                line_total_cents: b.price_cents.get() * i64::from(line.quantity),
            },
            None => CartLine {
                book_id: line.book_id,
                quantity: line.quantity,
                status: CartLineStatus::Unavailable,
                title: line.title.clone(),
                unit_price_cents: None,
                currency: None,
                stock: 0,
                line_total_cents: 0,
            },
        })
        .collect();
    Cart {
        checkout_ready: !lines.is_empty() && !lines.iter().any(CartLine::is_flagged),
        subtotal_cents: lines.iter().map(|l| l.line_total_cents).sum(),
        currency: lines.iter().find_map(|l| l.currency.clone()),
        lines,
        updated_at: Some(record.updated_at),
    }
}

fn cart_key(actor: &Actor) -> Result<Key> {
    Ok(Key::new(partition(actor)?, CART_SK))
}

fn cart_item(key: &Key, record: &CartRecord) -> Result<crate::store::Item> {
    let mut item = crate::items::to_item(record)?;
    item.insert("pk".into(), Value::String(key.pk.clone()));
    item.insert("sk".into(), Value::String(key.sk.clone()));
    Ok(item)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::embedded::EmbeddedStore;
    use bookstore_model::{LineRequest, Quantity, Role, UserId};

    fn actor(email: &str) -> Actor {
        Actor {
            id: UserId::new(),
            email: email.into(),
            role: Role::Customer,
        }
    }

    #[tokio::test]
    async fn each_account_has_its_own_cart_and_unknown_books_are_flagged() {
        let dir = tempfile::tempdir().unwrap();
        let carts = Carts::new(Arc::new(EmbeddedStore::open(dir.path()).unwrap()));
        let (ada, bob) = (actor("ada@example.com"), actor("bob@example.com"));
        assert_eq!(carts.get(&ada).await.unwrap(), Cart::default());
        let input = CartInput {
            lines: vec![LineRequest {
                book_id: BookId::new(),
                quantity: Quantity::parse(2).unwrap(),
            }],
        };
        let saved = carts.replace(&ada, input).await.unwrap();
        assert_eq!(saved.lines[0].status, CartLineStatus::Unavailable);
        assert!(!saved.checkout_ready);
        assert_eq!(carts.get(&ada).await.unwrap(), saved);
        assert_eq!(carts.get(&bob).await.unwrap(), Cart::default());
        let emptied = carts.replace(&ada, CartInput::default()).await.unwrap();
        assert_eq!(emptied, Cart::default());
        assert_eq!(carts.get(&ada).await.unwrap(), Cart::default());
    }
}
