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

/// How to order the inventory: by a field, ascending, or descending with `-`; ties by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
pub enum InventorySort {
    #[default]
    #[serde(rename = "title")]
    Title,
    #[serde(rename = "-title")]
    TitleDesc,
    #[serde(rename = "genre")]
    Genre,
    #[serde(rename = "-genre")]
    GenreDesc,
    #[serde(rename = "stock")]
    Stock,
    #[serde(rename = "-stock")]
    StockDesc,
    #[serde(rename = "sold")]
    Sold,
    #[serde(rename = "-sold")]
    SoldDesc,
}

impl InventorySort {
    pub const ALL: &[Self] = &[
        Self::Title,
        Self::TitleDesc,
        Self::Genre,
        Self::GenreDesc,
        Self::Stock,
        Self::StockDesc,
        Self::Sold,
        Self::SoldDesc,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Title => "title",
            Self::TitleDesc => "-title",
            Self::Genre => "genre",
            Self::GenreDesc => "-genre",
            Self::Stock => "stock",
            Self::StockDesc => "-stock",
            Self::Sold => "sold",
            Self::SoldDesc => "-sold",
        }
    }

    /// Whether the order is descending.
    pub fn descending(self) -> bool {
        self.as_str().starts_with('-')
    }
}

/// Query parameters of `GET /api/v1/admin/inventory`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InventoryQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[param(inline)]
    pub sort: Option<InventorySort>,
    /// Only books of this genre (blank: every genre).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[param(schema_with = crate::schema::genre_query)]
    pub genre: Option<String>,
    /// Only books whose title contains this text (case-insensitive); at most 200 characters,
    /// longer is 400 `invalid_query`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[param(max_length = 200)]
    pub q: Option<String>,
    /// Only books at or below their low-stock threshold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub low: Option<bool>,
    /// Only books with no stock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_of_stock: Option<bool>,
    /// Page size, 1..=100 (default 20).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page (of the same sort and filters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

/// A page of the inventory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct InventoryPage {
    pub items: Vec<InventoryItem>,
    /// The next page's cursor; null on the last page.
    pub next_cursor: Option<String>,
    /// How many books match the filters (all pages).
    pub matching: u64,
    /// How many books of the whole inventory are low on stock (the low-stock view's count).
    pub low_stock: u64,
}
