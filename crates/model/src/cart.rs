//! The server-side cart: one per account, so that it follows the person from browser to
//! browser. The client sends the whole cart ([`CartInput`]); the server answers each line with
//! the book as it is now ([`Cart`]), flagged when it cannot be bought as it stands.
use crate::{BookId, Currency, LineRequest, MAX_LINES, Title, ValidationError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The most lines a cart may hold: as many as one order.
pub const MAX_CART_LINES: usize = MAX_LINES;

/// The body of `PUT /api/v1/me/cart`: the whole cart, replacing the stored one. An empty list
/// empties it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CartInput {
    /// 0 to 50 lines, each of another book. A book id that is not in the catalogue is kept
    /// and answered as `unavailable`.
    #[schema(max_items = 50)]
    pub lines: Vec<LineRequest>,
}

impl CartInput {
    /// At most [`MAX_CART_LINES`] lines, each of another book; none is fine.
    pub fn validate(&self) -> Result<(), ValidationError> {
        crate::order::bounded_distinct_lines(&self.lines)
    }
}

/// Whether a cart line can be bought as it stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CartLineStatus {
    /// In the catalogue with at least `quantity` copies in stock.
    Available,
    /// In the catalogue, but fewer copies in stock than the line asks for (`stock` says how
    /// many; 0 when sold out).
    InsufficientStock,
    /// No longer in the catalogue (deleted, or never was).
    Unavailable,
}

/// A line of the cart as the catalogue has it now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CartLine {
    pub book_id: BookId,
    #[schema(minimum = 1, maximum = 1000)]
    pub quantity: u32,
    pub status: CartLineStatus,
    /// The book's title now; for an `unavailable` book, the last title the cart saw (null if
    /// none).
    pub title: Option<Title>,
    /// The book's price now (minor units); null when `unavailable`.
    pub unit_price_cents: Option<i64>,
    /// Null when `unavailable`.
    pub currency: Option<Currency>,
    /// Copies in stock now: what an `insufficient_stock` line can have; 0 when `unavailable`.
    pub stock: i64,
    /// `unit_price_cents` × `quantity`; 0 when `unavailable`.
    pub line_total_cents: i64,
}

impl CartLine {
    /// Whether the line keeps the cart from checking out.
    pub fn is_flagged(&self) -> bool {
        self.status != CartLineStatus::Available
    }
}

/// `GET` and `PUT /api/v1/me/cart`: the account's cart, each line checked against the
/// catalogue now.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Cart {
    /// In the order they were saved.
    pub lines: Vec<CartLine>,
    /// True when the cart has lines and none is flagged (`insufficient_stock` or
    /// `unavailable`): an order of these lines can be placed as they stand.
    pub checkout_ready: bool,
    /// The sum of the lines' `line_total_cents` (minor units of `currency`).
    pub subtotal_cents: i64,
    /// The currency of the priced lines (null when none is priced).
    pub currency: Option<Currency>,
    /// When the cart was last saved; null if it never was.
    pub updated_at: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Quantity;

    fn line(id: BookId, q: i64) -> LineRequest {
        LineRequest {
            book_id: id,
            quantity: Quantity::parse(q).unwrap(),
        }
    }

    #[test]
    fn lines_are_bounded_and_distinct() {
        let ok = CartInput {
            lines: (0..MAX_CART_LINES)
                .map(|_| line(BookId::new(), 1))
                .collect(),
        };
        assert!(ok.validate().is_ok());
        assert!(CartInput::default().validate().is_ok(), "empty is fine");
        let mut long = ok.clone();
        long.lines.push(line(BookId::new(), 1));
        assert!(long.validate().is_err());
        let id = BookId::new();
        let twice = CartInput {
            lines: vec![line(id, 1), line(id, 2)],
        };
        assert!(
            twice
                .validate()
                .unwrap_err()
                .0
                .contains("more than one line")
        );
    }

    #[test]
    fn quantities_and_fields_are_checked_while_reading() {
        let id = BookId::new();
        for bad in [
            serde_json::json!({"lines": [{"book_id": id, "quantity": 0}]}),
            serde_json::json!({"lines": [{"book_id": id, "quantity": 1001}]}),
            serde_json::json!({"lines": [], "extra": 1}),
        ] {
            assert!(serde_json::from_value::<CartInput>(bad).is_err());
        }
    }
}
