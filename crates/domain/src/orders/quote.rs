//! A quote: what an order would come to if placed now, priced by the very code that prices
//! placing (`checkout.rs`), so the review before paying shows the tax and total the card will
//! be asked for. Reads only: nothing is reserved, and the stock may change before placing.
use super::Orders;
use super::checkout::{Priced, in_stock, line_records};
use crate::Actor;
use crate::error::Result;
use bookstore_model::{BookId, CountryCode, OrderQuote, QuoteLine, QuoteRequest};

impl Orders {
    /// Prices `req` for `user` (whose address book `address_id` names): `unknown_book`,
    /// `insufficient_stock` and `shipping_unavailable` as placing would answer them now.
    pub async fn quote(&self, user: &Actor, req: QuoteRequest) -> Result<OrderQuote> {
        req.validate()?;
        let address = self
            .ship_to(user, req.address_id, req.shipping_address.as_ref())
            .await?;
        let country = CountryCode::parse(&address.country)?;
        let option = self.serving_option(&req.shipping_option, &country)?;
        let ids: Vec<BookId> = req.lines.iter().map(|l| l.book_id).collect();
        let (books, _) = in_stock(self.store.as_ref(), &req.lines, &ids).await?;
        let lines = line_records(&req.lines, &books);
        let Priced {
            items_cents,
            shipping_cents,
            tax_rate_bps,
            tax_cents,
            total_cents,
        } = self.price(&lines, &option, &country);
        Ok(OrderQuote {
            lines: lines
                .into_iter()
                .map(|l| QuoteLine {
                    book_id: l.book_id,
                    title: l.title,
                    unit_price_cents: l.unit_price_cents,
                    quantity: l.quantity,
                })
                .collect(),
            items_cents,
            shipping_cents,
            tax_rate_bps,
            tax_cents,
            total_cents,
            currency: self.shipping.currency().clone(),
        })
    }
}
