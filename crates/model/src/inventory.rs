//! The shop's inventory: each book's low-stock threshold and the `stock.low` event.
use crate::{Book, BookId, Genre, Title, ValidationError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The largest low-stock threshold a book may have (the largest stock a restock can add).
pub const MAX_LOW_STOCK_THRESHOLD: u32 = 1_000_000;

/// The body of `PUT /api/v1/admin/books/{id}/low-stock-threshold`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LowStockThreshold {
    /// The book is low on stock when its stock is at or below this; `null`: the shop's
    /// default (setting `inventory.low_stock_threshold`).
    #[schema(minimum = 0, maximum = 1_000_000)]
    pub low_stock_threshold: Option<u32>,
}

impl LowStockThreshold {
    pub fn validate(&self) -> Result<(), ValidationError> {
        if self
            .low_stock_threshold
            .is_some_and(|t| t > MAX_LOW_STOCK_THRESHOLD)
        {
            return Err(ValidationError::new(
                "low_stock_threshold must be between 0 and 1000000",
            ));
        }
        Ok(())
    }
}

/// A book as the shop's inventory shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct InventoryItem {
    pub id: BookId,
    pub title: Title,
    pub genre: Genre,
    /// Copies available to buy now.
    pub stock: i64,
    /// Copies sold (reserved by orders, less those given back).
    pub sold: i64,
    /// The book's own threshold; `null`: the shop's default applies.
    pub low_stock_threshold: Option<u32>,
    /// The threshold that applies: the book's own or the shop's default.
    pub effective_threshold: u32,
    /// Whether the stock is at or below the effective threshold.
    pub low: bool,
    /// The book's version (bumped by a change of its details or of its threshold).
    pub version: i64,
}

/// The data of a `stock.low` event: the book as it is after the change that brought its stock
/// to or below its threshold, and that threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct StockLow {
    #[serde(flatten)]
    pub book: Book,
    /// The threshold the stock crossed.
    pub threshold: u32,
}
