//! "Notify me": a shopper's wish to hear when a sold-out book is back. A subscription is an
//! item in the book's partition; when the stock comes back the `stock.back_in_stock` event's
//! fan-out mails every subscriber and removes their subscriptions (`outbox::dispatch`).
use super::*;
use crate::Actor;

/// The sort-key prefix of a book's subscriptions (`BOOK#<id>`, `NOTIFY#<user id>`).
pub(crate) const NOTIFY_PREFIX: &str = "NOTIFY#";

pub(crate) fn subscription_key(book: BookId, user: bookstore_model::UserId) -> Key {
    Key::new(book_key(book).pk, format!("{NOTIFY_PREFIX}{user}"))
}

impl Catalogue {
    /// Subscribes the caller to `book`'s return to stock; 409 `in_stock` if it has copies.
    pub async fn notify_me(&self, actor: &Actor, book: BookId) -> Result<()> {
        let store = self.store.as_ref();
        let current = self.get(book).await?.ok_or(Error::NotFound("book"))?;
        if current.stock > 0 {
            return Err(Error::Conflict(
                ProblemCode::InStock,
                format!("{} copies are in stock: order one now", current.stock),
            ));
        }
        let mut item = crate::store::expr::key_item(&subscription_key(book, actor.id));
        item.insert("email".into(), actor.email.clone().into());
        item.insert("created_at".into(), json!(chrono::Utc::now()));
        // Only while the book exists: a subscription must not outlive it.
        let ops = vec![
            WriteOp::Check {
                key: book_key(book),
                cond: Cond::Exists,
            },
            WriteOp::Put { item, cond: None },
        ];
        match store.transact(ops).await {
            Ok(()) => Ok(()),
            Err(StoreError::ConditionFailed(_)) => Err(Error::NotFound("book")),
            Err(e) => Err(e.into()),
        }
    }

    /// Withdraws the caller's subscription, if any.
    pub async fn stop_notifying(&self, actor: &Actor, book: BookId) -> Result<()> {
        let op = WriteOp::Delete {
            key: subscription_key(book, actor.id),
            cond: None,
        };
        self.store.transact(vec![op]).await?;
        Ok(())
    }
}
