//! After a run: the catalogue's stock, and the check that every unit sold or returned is
//! accounted for, and that every acknowledged order holds exactly one authorization of its
//! total at the payment provider.
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
        let maybe_back = ledger.returns_unsure.get(id).copied().unwrap_or(0);
        let Some(stock) = now.get(id).copied() else {
            c.stock_mismatches
                .push(format!("{id}: missing after the run"));
            continue;
        };
        if stock < 0 {
            c.negative_stock += 1;
        }
        // An ambiguous placement may or may not have taken its units (a reservation whose
        // client gave up holds them until it expires); an unsure receipt may have put one back.
        let expected = before - sold + returned;
        if stock > expected + maybe_back || stock < expected - unknown {
            c.stock_mismatches.push(format!(
                "{id}: initial {before}, now {stock}, sold {sold}, returned {returned}, \
                 unsure {unknown} sold / {maybe_back} returned"
            ));
        }
    }
    // The provider, to check each acknowledged order's money: one intent, authorized (held, or
    // taken once shipped) for exactly the order's total, refunded by what the order refunded.
    let provider = shared.cfg.provider.clone();
    let secret = shared.cfg.provider_secret.clone();
    let mut checks = futures::stream::iter(ledger.orders.iter())
        .map(|(id, token, units)| {
            let client = Client::with_http(shared.http.clone(), shared.cfg.base.clone())
                .authed(token.to_string());
            let (provider, secret, http) = (provider.clone(), secret.clone(), shared.http.clone());
            async move {
                let o = match client.get_order(*id).await {
                    Ok(o) if o.lines.iter().map(|l| l.quantity).sum::<u32>() == *units => o,
                    Ok(_) => {
                        return (
                            Some(format!("{id}: lines differ from the acknowledgement")),
                            None,
                        );
                    }
                    Err(e) => return (Some(format!("{id}: {e}")), None),
                };
                let Some(url) = provider else {
                    return (None, None);
                };
                (None, Some(payment_problem(&http, &url, &secret, &o).await))
            }
        })
        .buffer_unordered(32);
    while let Some((missing, payment)) = checks.next().await {
        if let Some(problem) = missing {
            c.orders_missing.push(problem);
        }
        if let Some(problem) = payment {
            c.payments_checked += 1;
            if let Some(p) = problem {
                c.payments_wrong.push(p);
            }
        }
    }
    c.ok = c.stock_mismatches.is_empty()
        && c.negative_stock == 0
        && c.orders_missing.is_empty()
        && c.payments_wrong.is_empty();
    c.payments_wrong.truncate(50);
    c.stock_mismatches.truncate(50);
    c.orders_missing.truncate(50);
    Ok(c)
}

/// What is wrong with an acknowledged order's payment at the provider, if anything.
async fn payment_problem(
    http: &reqwest::Client,
    provider: &str,
    secret: &str,
    o: &Order,
) -> Option<String> {
    let id = o.id;
    let Some(p) = &o.payment else {
        return Some(format!("{id}: acknowledged without a payment"));
    };
    let url = format!("{provider}/v1/payment_intents/{}", p.provider_id);
    let intent: serde_json::Value = match http.get(&url).basic_auth(secret, Some("")).send().await {
        Ok(r) => match r.json().await {
            Ok(v) => v,
            Err(e) => return Some(format!("{id}: intent unreadable: {e}")),
        },
        Err(e) => return Some(format!("{id}: provider: {e}")),
    };
    let status = intent["status"].as_str().unwrap_or_default();
    let held = matches!(status, "requires_capture" | "succeeded");
    let metadata = intent["metadata"]["order_id"].as_str() == Some(&id.to_string());
    if !held || intent["amount"].as_i64() != Some(o.total_cents) || !metadata {
        return Some(format!(
            "{id}: intent {} is {status} for {} (order total {})",
            p.provider_id, intent["amount"], o.total_cents
        ));
    }
    None
}
