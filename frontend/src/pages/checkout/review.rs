//! The review before paying: the lines, shipping, tax and total as the shop prices them
//! (`POST /orders/quote`, the very pricing of placing), asked again whenever the cart, the
//! address or the shipping option changes. Until the shop answers (or if it cannot), the
//! items and shipping are priced here and the tax is said to be added at placement. A quote
//! that finds a book short or gone shows why before the shopper pays.
use super::address::shipping_cents;
use super::{Failure, ShipTo};
use crate::cart::use_cart;
use crate::components::money;
use crate::use_api;
use bookstore_model::{OrderQuote, ProblemCode, QuoteRequest, ShippingOption};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// A line as the review shows it.
#[derive(Clone, PartialEq, Eq, Hash)]
struct Row {
    id: String,
    title: String,
    quantity: u32,
    cents: i64,
}

#[component]
pub(super) fn Review(
    ship_to: RwSignal<Option<ShipTo>>,
    shipping: RwSignal<Option<(ShippingOption, String)>>,
    copies: Signal<u32>,
    failure: RwSignal<Option<Failure>>,
) -> impl IntoView {
    let api = use_api();
    let cart = use_cart();
    let quote: RwSignal<Option<OrderQuote>> = RwSignal::new(None);
    // Only the newest question's answer counts.
    let asked = StoredValue::new(0u32);
    // What to price: asked again only when it changes (not, say, when placing stores its key
    // with the cart).
    let request = Memo::new(move |_| {
        let (Some(to), Some((option, _))) = (ship_to.get(), shipping.get()) else {
            return None;
        };
        let lines = cart.state().line_requests();
        (!lines.is_empty()).then(|| QuoteRequest {
            lines,
            address_id: to.saved,
            shipping_address: to.saved.is_none().then_some(to.address),
            shipping_option: option.id,
        })
    });
    Effect::new(move |_| {
        let Some(req) = request.get() else {
            return;
        };
        let n = asked.get_value() + 1;
        asked.set_value(n);
        spawn_local(async move {
            let answer = api.quote_order(&req).await;
            // A newer question was asked, or the review is gone (the order placed).
            if asked.try_get_value() != Some(n) {
                return;
            }
            match answer {
                Ok(q) => quote.set(Some(q)),
                Err(e) => {
                    quote.set(None);
                    // A book short or gone: say so now, not after paying.
                    if matches!(
                        e.code(),
                        Some(ProblemCode::InsufficientStock | ProblemCode::UnknownBook)
                    ) {
                        failure.set(Some(Failure {
                            error: e,
                            retry: false,
                        }));
                    }
                }
            }
        });
    });

    let currency = move || {
        quote
            .with(|q| q.as_ref().map(|q| q.currency.to_string()))
            .or_else(|| shipping.with(|s| s.as_ref().map(|(_, c)| c.clone())))
            .unwrap_or_else(|| "EUR".into())
    };
    let rows = move || -> Vec<Row> {
        match quote.get() {
            Some(q) => q
                .lines
                .iter()
                .map(|l| Row {
                    id: l.book_id.to_string(),
                    title: l.title.to_string(),
                    quantity: l.quantity,
                    cents: l.unit_price_cents * i64::from(l.quantity),
                })
                .collect(),
            None => cart
                .state()
                .lines
                .iter()
                .map(|l| Row {
                    id: l.book_id.to_string(),
                    title: l.title.clone(),
                    quantity: l.quantity,
                    cents: l.unit_price_cents * i64::from(l.quantity),
                })
                .collect(),
        }
    };
    let items = move || {
        quote
            .with(|q| q.as_ref().map(|q| q.items_cents))
            .unwrap_or_else(|| cart.state().total_cents())
    };
    let ship = move || {
        quote
            .with(|q| q.as_ref().map(|q| q.shipping_cents))
            .unwrap_or_else(|| {
                shipping.with(|s| {
                    s.as_ref()
                        .map_or(0, |(o, _)| shipping_cents(o, copies.get()))
                })
            })
    };
    let tax = move || {
        match quote.get() {
        Some(q) if q.tax_rate_bps > 0 => view! {
            <dd id="review-tax">{format!("{} ({})", money(q.tax_cents, q.currency.as_str()), percent(q.tax_rate_bps))}</dd>
        }
        .into_any(),
        Some(q) => view! { <dd id="review-tax">{money(0, q.currency.as_str())}</dd> }.into_any(),
        None => view! { <dd id="review-tax" class="muted">"added for your country when the order is placed"</dd> }.into_any(),
    }
    };
    let total = move || match quote.get() {
        Some(q) => view! {
            <dt class="grand">"Total"</dt>
            <dd class="grand" id="review-total">{money(q.total_cents, q.currency.as_str())}</dd>
        }
        .into_any(),
        None => view! {
            <dt class="grand">"Total before tax"</dt>
            <dd class="grand" id="review-total">{move || money(items() + ship(), &currency())}</dd>
        }
        .into_any(),
    };
    view! {
        <table class="review-lines">
            <caption class="sr-only">"Your order"</caption>
            <thead>
                <tr><th scope="col">"Book"</th><th scope="col" class="num">"Qty"</th><th scope="col" class="num">"Price"</th></tr>
            </thead>
            <tbody>
                <For each=rows key=|r| r.clone() let:r>
                    <tr data-book-id=r.id.clone()>
                        <td>{r.title.clone()}</td>
                        <td class="num">{r.quantity}</td>
                        <td class="num">{move || money(r.cents, &currency())}</td>
                    </tr>
                </For>
            </tbody>
        </table>
        <dl class="totals" id="review-totals" data-quoted=move || quote.with(Option::is_some).to_string()>
            <dt>"Items"</dt><dd id="review-items">{move || money(items(), &currency())}</dd>
            <dt>"Shipping"</dt><dd id="review-shipping">{move || money(ship(), &currency())}</dd>
            <dt>"Tax"</dt>{tax}
            {total}
        </dl>
        <p class="muted small">"The total is held on your card now and taken when the books ship; the order page confirms what was charged."</p>
    }
}

/// `1900` basis points → `19%`; `750` → `7.5%`.
fn percent(bps: u32) -> String {
    let whole = bps / 100;
    match bps % 100 {
        0 => format!("{whole}%"),
        f if f % 10 == 0 => format!("{whole}.{}%", f / 10),
        f => format!("{whole}.{f:02}%"),
    }
}
