//! The shop's stock: restocks and write-offs, each book's low-stock threshold, and the
//! `stock.low` / `stock.back_in_stock` events their writes raise (see `stock.rs`).
use super::stock::{Crossing, THRESHOLD, own_threshold, stock_move, threshold_move};
use super::*;
use bookstore_model::{InventoryItem, LowStockThreshold, StockAdjustment, StockLow};

/// Attempts when sales move the stock between a read and its write.
const ATTEMPTS: usize = 20;

impl Catalogue {
    /// One book as stored, in the shop's currency, with its own threshold and units sold.
    async fn get_stocked(&self, id: BookId) -> Result<Option<Stocked>> {
        let Some(item) = self.store.get(&book_key(id)).await? else {
            return Ok(None);
        };
        let own = own_threshold(&item);
        let sold = item.get("sold").and_then(Value::as_i64).unwrap_or(0);
        let mut book: Book = from_item(item)?;
        book.currency = self.currency.clone();
        Ok(Some(Stocked { book, own, sold }))
    }

    /// The threshold of a book without its own.
    pub fn default_low_stock_threshold(&self) -> u32 {
        self.low_stock_threshold
    }

    /// Restock or write off. Retries when a sale moves the stock between read and write, so the
    /// audit log records the exact stock before and after, and the events say the stock after.
    pub async fn adjust_stock(
        &self,
        actor: &Actor,
        id: BookId,
        adj: StockAdjustment,
    ) -> Result<Book> {
        let store = self.store.as_ref();
        adj.validate()?;
        for _ in 0..ATTEMPTS {
            let Stocked { book: old, own, .. } =
                self.get_stocked(id).await?.ok_or(Error::NotFound("book"))?;
            let new_stock = old.stock + adj.delta;
            if new_stock < 0 {
                return Err(Error::Conflict(
                    ProblemCode::StockWouldGoNegative,
                    format!("only {} in stock; cannot remove {}", old.stock, -adj.delta),
                ));
            }
            let threshold = own.unwrap_or(self.low_stock_threshold);
            let mut new = old.clone();
            new.stock = new_stock;
            // The exact stock and version read: the threshold the crossing is judged by is the
            // one stored (a change of it bumps the version).
            let mut ops = vec![
                WriteOp::Update {
                    key: book_key(id),
                    set: vec![],
                    add: vec![(Path::attr("stock"), adj.delta)],
                    cond: Some(Cond::And(vec![
                        Cond::Eq(Path::attr("stock"), old.stock.into()),
                        Cond::Eq(Path::attr("version"), old.version.into()),
                    ])),
                },
                self.wakeup.emit(EventType::BookUpdated, &new)?,
            ];
            let crossing = stock_move(old.stock, adj.delta, threshold).crossing;
            ops.extend(crossing_events(&self.wakeup, crossing, &new, threshold)?);
            ops.push(audit::entry(
                actor,
                "book.stock",
                id,
                Some(json!({ "stock": old.stock })),
                Some(json!({ "stock": new_stock })),
                adj.reason.clone(),
            )?);
            match transact_audited(store, ops).await {
                Ok(()) => {
                    self.wakeup.wake();
                    return Ok(new);
                }
                Err(StoreError::ConditionFailed(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(too_fast())
    }

    /// One book as the inventory shows it.
    pub async fn inventory_item(&self, id: BookId) -> Result<InventoryItem> {
        let stocked = self.get_stocked(id).await?.ok_or(Error::NotFound("book"))?;
        Ok(stocked.item(self.low_stock_threshold))
    }

    /// Sets (or, `null`, clears) a book's own low-stock threshold. A book whose stock is above
    /// the threshold before and at or below it after raises `stock.low`, as a sale would. Bumps
    /// the version: checkout judges crossings by the threshold of the version it read.
    pub async fn set_low_stock_threshold(
        &self,
        actor: &Actor,
        id: BookId,
        body: LowStockThreshold,
    ) -> Result<InventoryItem> {
        let store = self.store.as_ref();
        body.validate()?;
        for _ in 0..ATTEMPTS {
            let old = self.get_stocked(id).await?.ok_or(Error::NotFound("book"))?;
            let before = old.own.unwrap_or(self.low_stock_threshold);
            let after = body.low_stock_threshold.unwrap_or(self.low_stock_threshold);
            let moved = threshold_move(old.book.stock, before, after);
            let mut new = old.clone();
            new.own = body.low_stock_threshold;
            new.book.version += 1;
            new.book.updated_at = chrono::Utc::now();
            let mut cond = moved.cond;
            cond.push(Cond::Eq(Path::attr("version"), old.book.version.into()));
            let mut ops = vec![WriteOp::Update {
                key: book_key(id),
                set: vec![
                    (Path::attr(THRESHOLD), json!(body.low_stock_threshold)),
                    (Path::attr("version"), new.book.version.into()),
                    (Path::attr("updated_at"), json!(new.book.updated_at)),
                ],
                add: vec![],
                cond: Some(Cond::And(cond)),
            }];
            ops.extend(crossing_events(
                &self.wakeup,
                moved.crossing,
                &new.book,
                after,
            )?);
            ops.push(audit::entry(
                actor,
                "book.low_stock_threshold",
                id,
                Some(json!({ "low_stock_threshold": old.own })),
                Some(json!({ "low_stock_threshold": new.own })),
                None,
            )?);
            match transact_audited(store, ops).await {
                Ok(()) => {
                    self.wakeup.wake();
                    return Ok(new.item(self.low_stock_threshold));
                }
                Err(StoreError::ConditionFailed(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(too_fast())
    }
}

/// A book with what the inventory needs beyond its public fields.
#[derive(Clone)]
struct Stocked {
    book: Book,
    own: Option<u32>,
    sold: i64,
}

impl Stocked {
    fn item(&self, default: u32) -> InventoryItem {
        let effective = self.own.unwrap_or(default);
        InventoryItem {
            id: self.book.id,
            title: self.book.title.clone(),
            genre: self.book.genre.clone(),
            stock: self.book.stock,
            sold: self.sold,
            low_stock_threshold: self.own,
            effective_threshold: effective,
            low: self.book.stock <= i64::from(effective),
            version: self.book.version,
        }
    }
}

/// The events of `crossing`, with `book` as it is after the change.
pub(crate) fn crossing_events(
    wakeup: &Wakeup,
    crossing: Crossing,
    book: &Book,
    threshold: u32,
) -> Result<Vec<WriteOp>> {
    let mut ops = Vec::new();
    if crossing.back_in_stock {
        ops.push(wakeup.emit(EventType::StockBackInStock, book)?);
    }
    if crossing.low {
        let low = StockLow {
            book: book.clone(),
            threshold,
        };
        ops.push(wakeup.emit(EventType::StockLow, &low)?);
    }
    Ok(ops)
}

fn too_fast() -> Error {
    Error::Conflict(
        ProblemCode::Conflict,
        "the stock is changing too fast; retry".into(),
    )
}
