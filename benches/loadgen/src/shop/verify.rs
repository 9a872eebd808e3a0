//! After a run: the catalogue's stock, and the check that every unit sold or returned is
//! accounted for.
use super::*;

/// Every book of the catalogue and its stock, read page by page.
pub async fn catalogue(client: &Client) -> anyhow::Result<HashMap<BookId, i64>> {
    let mut out = HashMap::new();
    let mut cursor = None;
    loop {
        let page = client
            .list_books(&BookQuery {
                sort: Some(BookSort::Title),
                limit: Some(100),
                cursor,
                ..Default::default()
            })
            .await
            .context("reading the catalogue")?;
        for b in page.items {
            out.insert(b.id, b.stock);
        }
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return Ok(out),
        }
    }
}

pub(super) async fn verify(
    shared: &Shared,
    public: &Client,
    initial: &HashMap<BookId, i64>,
) -> anyhow::Result<Consistency> {
    let now = catalogue(public).await?;
    let ledger = std::mem::take(&mut *lock(&shared.ledger));
    let mut c = Consistency {
        books_checked: initial.len(),
        orders_acknowledged: ledger.orders.len(),
        orders_ambiguous: ledger.ambiguous_orders,
        units_sold: ledger.sold.values().sum(),
        units_returned: ledger.returned.values().sum(),
        ..Default::default()
    };
    for (id, before) in initial {
        let sold = ledger.sold.get(id).copied().unwrap_or(0);
        let returned = ledger.returned.get(id).copied().unwrap_or(0);
        let unknown = ledger.ambiguous.get(id).copied().unwrap_or(0);
        let Some(stock) = now.get(id).copied() else {
            c.stock_mismatches
                .push(format!("{id}: missing after the run"));
            continue;
        };
        if stock < 0 {
            c.negative_stock += 1;
        }
        // An ambiguous placement may or may not have taken its units.
        let expected_max = before - sold + returned;
        if stock > expected_max || stock < expected_max - unknown {
            c.stock_mismatches.push(format!(
                "{id}: initial {before}, now {stock}, sold {sold}, returned {returned}"
            ));
        }
    }
    let mut checks = futures::stream::iter(ledger.orders.iter())
        .map(|(id, token, units)| {
            let client = Client::with_http(shared.http.clone(), shared.cfg.base.clone())
                .authed(token.to_string());
            async move {
                match client.get_order(*id).await {
                    Ok(o) if o.lines.iter().map(|l| l.quantity).sum::<u32>() == *units => None,
                    Ok(_) => Some(format!("{id}: lines differ from the acknowledgement")),
                    Err(e) => Some(format!("{id}: {e}")),
                }
            }
        })
        .buffer_unordered(32);
    while let Some(r) = checks.next().await {
        if let Some(problem) = r {
            c.orders_missing.push(problem);
        }
    }
    c.ok = c.stock_mismatches.is_empty() && c.negative_stock == 0 && c.orders_missing.is_empty();
    c.stock_mismatches.truncate(50);
    c.orders_missing.truncate(50);
    Ok(c)
}
