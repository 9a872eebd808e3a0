//! After a run: the catalogue's stock, and the check that every unit sold or returned is
//! accounted for; that every acknowledged order holds exactly one authorization of its total at
//! the payment provider; and that every order the shop holds has the money its state says.
use super::*;
use bookstore_model::OrderStatus;

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
    // Every order the shop holds, acknowledged or not (a client that gave up, an expired
    // reservation): its money at the provider must match its state.
    let orders = shop_orders(shared).await?;
    if let Some(url) = &provider {
        let (checked, wrong) = all_orders_at_provider(shared, url, &secret, &orders).await?;
        c.orders_in_shop = checked;
        c.payments_wrong.extend(wrong);
    }
    // The expiry of a reservation still open may yet pay it: the orders are read again after
    // the provider check, which waited for the outbox.
    let orders = shop_orders(shared).await?;
    c.sales_orders_recounted = orders
        .iter()
        .filter(|o| o.timeline.iter().any(|t| t.status == OrderStatus::Paid))
        .count();
    c.sales_mismatches = super::sales::sales_problems(&shared.admin, &orders).await?;
    c.ok = c.stock_mismatches.is_empty()
        && c.negative_stock == 0
        && c.orders_missing.is_empty()
        && c.payments_wrong.is_empty()
        && c.sales_mismatches.is_empty();
    c.sales_mismatches.truncate(50);
    c.payments_wrong.truncate(50);
    c.stock_mismatches.truncate(50);
    c.orders_missing.truncate(50);
    Ok(c)
}

/// Every order of the shop (the admin listing).
async fn shop_orders(shared: &Shared) -> anyhow::Result<Vec<Order>> {
    let mut orders = Vec::new();
    let mut cursor = None;
    loop {
        let page = shared
            .admin
            .admin_list_orders(&bookstore_model::OrderQuery {
                limit: Some(100),
                cursor,
                ..Default::default()
            })
            .await
            .context("listing the shop's orders")?;
        orders.extend(page.items);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return Ok(orders),
        }
    }
}

/// Checks each of the shop's orders' payment by its state; the releases of cancelled orders are outbox jobs, so a wrong one is read again for
/// up to 20 s before it counts.
async fn all_orders_at_provider(
    shared: &Shared,
    provider: &str,
    secret: &str,
    orders: &[Order],
) -> anyhow::Result<(usize, Vec<String>)> {
    let mut orders = orders.to_vec();
    let checked = orders.len();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let results: Vec<(Order, Option<String>)> = futures::stream::iter(orders)
            .map(|o| async move {
                let problem = state_problem(&shared.http, provider, secret, &o).await;
                (o, problem)
            })
            .buffer_unordered(32)
            .collect()
            .await;
        let (wrong, problems): (Vec<Order>, Vec<String>) = results
            .into_iter()
            .filter_map(|(o, p)| p.map(|p| (o, p)))
            .unzip();
        if wrong.is_empty() || Instant::now() >= deadline {
            return Ok((checked, problems));
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        // Read the wrong ones again: a release may have been done meanwhile.
        orders = Vec::with_capacity(wrong.len());
        for o in wrong {
            orders.push(shared.admin.admin_get_order(o.id).await.unwrap_or(o));
        }
    }
}

/// What is wrong with an order's money at the provider for its state: a paid (or later) order
/// holds one authorization of its total (or its capture); a cancelled or failed one holds
/// nothing (voided, or refunded in full); a pending one is still being paid.
async fn state_problem(
    http: &reqwest::Client,
    provider: &str,
    secret: &str,
    o: &Order,
) -> Option<String> {
    use bookstore_model::OrderStatus as S;
    match o.status {
        S::PendingPayment => None,
        S::Cancelled | S::PaymentFailed => {
            let p = o.payment.as_ref()?;
            let path = format!("/v1/payment_intents/{}", p.provider_id);
            let intent = match provider_get(http, provider, secret, &path).await {
                Ok(v) => v,
                Err(e) => return Some(format!("{}: {e}", o.id)),
            };
            let status = intent["status"].as_str().unwrap_or_default();
            let released = match status {
                "canceled" | "requires_payment_method" | "requires_confirmation" => true,
                // Taken, then paid back in full.
                "succeeded" => {
                    let path = format!("/v1/refunds?payment_intent={}&limit=100", p.provider_id);
                    let list = match provider_get(http, provider, secret, &path).await {
                        Ok(v) => v,
                        Err(e) => return Some(format!("{}: {e}", o.id)),
                    };
                    let refunded: i64 = list["data"]
                        .as_array()
                        .map(|rs| rs.iter().filter_map(|r| r["amount"].as_i64()).sum())
                        .unwrap_or(0);
                    Some(refunded) == intent["amount"].as_i64()
                }
                _ => false,
            };
            (!released).then(|| {
                format!(
                    "{}: {} order, but its intent {} is {status}",
                    o.id,
                    o.status.as_str(),
                    p.provider_id
                )
            })
        }
        _ => payment_problem(http, provider, secret, o).await,
    }
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
    let path = format!("/v1/payment_intents/{}", p.provider_id);
    let intent = match provider_get(http, provider, secret, &path).await {
        Ok(v) => v,
        Err(e) => return Some(format!("{id}: {e}")),
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

/// A GET of the provider's API (`path` from `/v1/`), its JSON or why not.
async fn provider_get(
    http: &reqwest::Client,
    provider: &str,
    secret: &str,
    path: &str,
) -> Result<serde_json::Value, String> {
    let res = http
        .get(format!("{provider}{path}"))
        .basic_auth(secret, Some(""))
        .send()
        .await
        .map_err(|e| format!("provider: {e}"))?;
    res.json()
        .await
        .map_err(|e| format!("unreadable answer of {path}: {e}"))
}
