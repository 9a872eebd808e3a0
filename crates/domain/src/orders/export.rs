//! Orders as CSV, a page at a time, newest first, within a time range and of one status if
//! asked. Text cells (e-mail, titles) pass `escape_cell`: no cell runs as a formula.
use super::*;
use bookstore_model::{ORDER_COLUMNS, Order, OrderExportQuery, OrderQuery, escape_cell};

impl Orders {
    /// One page of orders as CSV rows (the header first when `cursor` is none) and the next
    /// page's cursor; none once the orders are older than `q.from`.
    pub async fn export_page(
        &self,
        q: &OrderExportQuery,
        cursor: Option<&str>,
    ) -> Result<(Vec<u8>, Option<String>)> {
        let page = self
            .list_all(&OrderQuery {
                status: q.status,
                oldest_first: Some(false),
                limit: Some(100),
                cursor: cursor.map(str::to_owned),
            })
            .await?;
        let mut w = csv::Writer::from_writer(Vec::with_capacity(page.items.len() * 200));
        let failed = |e: csv::Error| Error::Internal(format!("writing CSV: {e}"));
        if cursor.is_none() {
            w.write_record(ORDER_COLUMNS).map_err(failed)?;
        }
        let mut past_range = false;
        for o in &page.items {
            if q.from.is_some_and(|from| o.created_at < from) {
                past_range = true;
                continue;
            }
            if q.to.is_some_and(|to| o.created_at >= to) {
                continue;
            }
            w.write_record(order_row(o)).map_err(failed)?;
        }
        let out = w
            .into_inner()
            .map_err(|e| Error::Internal(format!("writing CSV: {e}")))?;
        // Newest first: past `from`, every later page is older still.
        let next = page.next_cursor.filter(|_| !past_range);
        Ok((out, next))
    }
}

fn order_row(o: &Order) -> [String; 11] {
    let lines = o
        .lines
        .iter()
        .map(|l| format!("{} x {}", l.quantity, l.title))
        .collect::<Vec<_>>()
        .join("; ");
    [
        o.id.to_string(),
        o.created_at.to_rfc3339(),
        o.status.as_str().to_owned(),
        escape_cell(&o.customer_email).into_owned(),
        escape_cell(&lines).into_owned(),
        o.items_cents.to_string(),
        o.shipping_cents.to_string(),
        o.tax_cents.to_string(),
        o.total_cents.to_string(),
        o.refunded_cents.to_string(),
        o.currency.to_string(),
    ]
}
