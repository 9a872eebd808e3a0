//! The shop's stock: restocks and write-offs, each book's low-stock threshold, and the
//! `stock.low` / `stock.back_in_stock` events their writes raise (see `stock.rs`).
use super::stock::{Crossing, THRESHOLD, own_threshold, stock_move, threshold_move};
use super::*;
use bookstore_model::{
    InventoryItem, InventoryPage, InventoryQuery, InventorySort, LowStockThreshold,
    MAX_QUERY_CHARS, StockAdjustment, StockLow,
};
use std::cmp::Ordering;

/// Attempts when sales move the stock between a read and its write.
const ATTEMPTS: usize = 20;

impl Catalogue {
    /// One book as stored, in the shop's currency, with its own threshold and units sold.
    pub(super) async fn get_stocked(&self, id: BookId) -> Result<Option<Stocked>> {
        let Some(item) = self.store.get(&book_key(id)).await? else {
            return Ok(None);
        };
        let mut stocked = Stocked::from_item(item)?;
        stocked.book.currency = self.currency.clone();
        Ok(Some(stocked))
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
            let (new, ops) = self.stock_ops(actor, &old, own, new_stock, adj.reason.clone())?;
            match transact_audited(store, ops).await {
                Ok(()) => {
                    self.inventory.invalidate();
                    return Ok(new);
                }
                Err(StoreError::ConditionFailed(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(too_fast())
    }

    /// The writes that move `old`'s stock (its own threshold `own`) to `new_stock`, conditioned
    /// on the exact stock and version read (a threshold's change bumps the version, so the
    /// crossing is judged by the stored one): the stock, `book.updated`, the crossing's events,
    /// the audit entry `book.stock` with `note`; and the book as it will be.
    pub(super) fn stock_ops(
        &self,
        actor: &Actor,
        old: &Book,
        own: Option<u32>,
        new_stock: i64,
        note: Option<String>,
    ) -> Result<(Book, Vec<WriteOp>)> {
        let threshold = own.unwrap_or(self.low_stock_threshold);
        let delta = new_stock - old.stock;
        let mut new = old.clone();
        new.stock = new_stock;
        let mut ops = vec![
            WriteOp::Update {
                key: book_key(old.id),
                set: vec![],
                add: vec![(Path::attr("stock"), delta)],
                cond: Some(Cond::And(vec![
                    Cond::Eq(Path::attr("stock"), old.stock.into()),
                    Cond::Eq(Path::attr("version"), old.version.into()),
                ])),
            },
            self.wakeup.emit(EventType::BookUpdated, &new)?,
        ];
        let crossing = stock_move(old.stock, delta, threshold).crossing;
        ops.extend(crossing_events(&self.wakeup, crossing, &new, threshold)?);
        ops.push(audit::entry(
            actor,
            "book.stock",
            old.id,
            Some(json!({ "stock": old.stock })),
            Some(json!({ "stock": new_stock })),
            note,
        )?);
        Ok((new, ops))
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
                    self.inventory.invalidate();
                    return Ok(new.item(self.low_stock_threshold));
                }
                Err(StoreError::ConditionFailed(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(too_fast())
    }
}

impl Catalogue {
    /// The inventory, sorted and filtered, a page at a time. Served from a snapshot of every
    /// book (id, title, genre, stock, sales, threshold: ~200 bytes a book) at most
    /// `inventory_max_age` old, forgotten at once by this instance's own catalogue writes (sales
    /// show within the age); paged by keyset (the last item's sort value and id), so a book
    /// that moves between pages is neither skipped nor shown twice by the order it had.
    pub async fn inventory(&self, q: &InventoryQuery) -> Result<InventoryPage> {
        let limit = page_limit(q.limit)?;
        let sort = q.sort.unwrap_or_default();
        let genre = listing::parse_genre(q.genre.as_deref())?;
        let text = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty());
        if text.is_some_and(|t| t.chars().count() > MAX_QUERY_CHARS) {
            return Err(Error::BadRequest(
                ProblemCode::InvalidQuery,
                format!("q must be at most {MAX_QUERY_CHARS} characters"),
            ));
        }
        let text = text.map(str::to_lowercase);
        let (low, out) = (q.low.unwrap_or(false), q.out_of_stock.unwrap_or(false));
        let scope = format!(
            "inventory:{}:{}:{}:{low}:{out}",
            sort.as_str(),
            genre.as_ref().map_or("", Genre::as_str),
            text.as_deref().unwrap_or("")
        );
        let after: Option<(SortKey, BookId)> = match q.cursor.as_deref() {
            Some(c) => Some(
                serde_json::from_value(self.pager.cursors().decode(&scope, c)?).map_err(|_| {
                    Error::BadRequest(ProblemCode::InvalidCursor, "invalid cursor".into())
                })?,
            ),
            None => None,
        };
        let all = self
            .inventory
            .get(|| scan_inventory(self.store.as_ref(), self.low_stock_threshold))
            .await?;
        let low_stock = all.iter().filter(|i| i.low).count() as u64;
        let mut matching: Vec<(SortKey, &InventoryItem)> = all
            .iter()
            .filter(|i| genre.as_ref().is_none_or(|g| &i.genre == g))
            .filter(|i| (!low || i.low) && (!out || i.stock <= 0))
            .filter(|i| {
                text.as_deref()
                    .is_none_or(|t| i.title.as_str().to_lowercase().contains(t))
            })
            .map(|i| (SortKey::of(i, sort), i))
            .collect();
        let total = matching.len() as u64;
        let order = |a: &(SortKey, BookId), b: &(SortKey, BookId)| {
            let by_key = if sort.descending() {
                b.0.cmp(&a.0)
            } else {
                a.0.cmp(&b.0)
            };
            by_key.then(a.1.cmp(&b.1))
        };
        matching.sort_by(|a, b| order(&(a.0.clone(), a.1.id), &(b.0.clone(), b.1.id)));
        let start = after.map_or(0, |cursor| {
            matching
                .partition_point(|(k, i)| order(&(k.clone(), i.id), &cursor) != Ordering::Greater)
        });
        let page: Vec<&(SortKey, &InventoryItem)> =
            matching.iter().skip(start).take(limit).collect();
        let next_cursor = match page.last() {
            Some((k, i)) if start + page.len() < matching.len() => {
                Some(self.pager.cursors().encode(&scope, &json!((k, i.id))))
            }
            _ => None,
        };
        Ok(InventoryPage {
            items: page.into_iter().map(|(_, i)| (*i).clone()).collect(),
            next_cursor,
            matching: total,
            low_stock,
        })
    }
}

/// An inventory item's value in a sort: text case-insensitively, or a number.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
enum SortKey {
    Number(i64),
    Text(String),
}

impl SortKey {
    fn of(i: &InventoryItem, sort: InventorySort) -> Self {
        match sort {
            InventorySort::Title | InventorySort::TitleDesc => {
                Self::Text(i.title.as_str().to_lowercase())
            }
            InventorySort::Genre | InventorySort::GenreDesc => Self::Text(i.genre.as_str().into()),
            InventorySort::Stock | InventorySort::StockDesc => Self::Number(i.stock),
            InventorySort::Sold | InventorySort::SoldDesc => Self::Number(i.sold),
        }
    }
}

/// Every book as the inventory shows it: the catalogue index read page by page.
async fn scan_inventory(store: &dyn Store, default: u32) -> Result<Vec<InventoryItem>> {
    let mut out = Vec::new();
    let mut start = None;
    loop {
        let page = store
            .query(&Query {
                index: Some(BOOKS_BY_TITLE),
                pk: CATALOGUE.into(),
                sk_prefix: None,
                forward: true,
                limit: 1000,
                start,
            })
            .await?;
        for item in page.items {
            out.push(Stocked::from_item(item)?.item(default));
        }
        match page.last_key {
            Some(k) => start = Some(k),
            None => return Ok(out),
        }
    }
}

/// A book with what the inventory needs beyond its public fields.
#[derive(Clone)]
pub(super) struct Stocked {
    pub book: Book,
    pub own: Option<u32>,
    sold: i64,
}

impl Stocked {
    fn from_item(item: Item) -> Result<Self> {
        let own = own_threshold(&item);
        let sold = item.get("sold").and_then(Value::as_i64).unwrap_or(0);
        Ok(Self {
            book: from_item(item)?,
            own,
            sold,
        })
    }

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
