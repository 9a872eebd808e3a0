//! Every order, filtered by status, each with its lines on demand.
use super::AdminOnly;
use crate::api::ApiError;
use crate::components::{ErrorBox, Loading, money, short_id, when};
use crate::pages::orders::status_label;
use crate::use_api;
use bookstore_model::{Order, OrderStatus};
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn AdminOrders() -> impl IntoView {
    let title = crate::components::page_title(|| "All orders".to_owned());
    view! {
        {title}
        <AdminOnly>
            <OrdersScreen />
        </AdminOnly>
    }
}

fn parse_status(s: &str) -> Option<OrderStatus> {
    OrderStatus::ALL.iter().copied().find(|o| o.as_str() == s)
}

#[component]
fn OrdersScreen() -> impl IntoView {
    let api = use_api();
    let status: RwSignal<Option<OrderStatus>> = RwSignal::new(None);
    let orders: RwSignal<Vec<Order>> = RwSignal::new(Vec::new());
    let cursor: RwSignal<Option<String>> = RwSignal::new(None);
    let loading = RwSignal::new(true);
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let generation = StoredValue::new(0u64);
    let load = move |next: Option<String>| {
        let g = if next.is_none() {
            generation.get_value() + 1
        } else {
            generation.get_value()
        };
        generation.set_value(g);
        loading.set(true);
        spawn_local(async move {
            let append = next.is_some();
            let r = api.admin_orders(status.get_untracked(), next).await;
            if generation.get_value() != g {
                return;
            }
            match r {
                Ok(page) => {
                    if append {
                        orders.update(|o| o.extend(page.items));
                    } else {
                        orders.set(page.items);
                    }
                    cursor.set(page.next_cursor);
                    error.set(None);
                }
                Err(e) => error.set(Some(e)),
            }
            loading.set(false);
        });
    };
    Effect::new(move |_| {
        status.track();
        load(None);
    });

    view! {
        <section class="page admin">
            <h1>"Orders"</h1>
            <div class="filters">
                <div class="field">
                    <label for="status-filter">"Status"</label>
                    <select id="status-filter" on:change=move |ev| status.set(parse_status(&event_target_value(&ev)))>
                        <option value="">"All"</option>
                        {OrderStatus::ALL
                            .iter()
                            .map(|s| view! {
                                <option value=s.as_str()>{crate::pages::orders::status_label(*s)}</option>
                            })
                            .collect_view()}
                    </select>
                </div>
            </div>
            {move || error.get().map(|e| view! { <ErrorBox error=e /> })}
            <div class="table-wrap">
                <table class="admin-orders stack" aria-busy=move || loading.get().to_string()>
                    <thead>
                        <tr>
                            <th scope="col">"Order"</th>
                            <th scope="col">"Placed"</th>
                            <th scope="col">"Customer"</th>
                            <th scope="col" class="num">"Total"</th>
                            <th scope="col" class="num">"Refunded"</th>
                            <th scope="col">"Status"</th>
                            <th scope="col"><span class="sr-only">"Details"</span></th>
                        </tr>
                    </thead>
                    <For each=move || orders.get() key=|o| (o.id, o.updated_at) let:o>
                        <OrderRow order=o />
                    </For>
                </table>
            </div>
            <Show when=move || loading.get() && orders.with(Vec::is_empty)>
                <Loading label="Loading orders…" />
            </Show>
            <Show when=move || !loading.get() && orders.with(Vec::is_empty)>
                <p>"No orders."</p>
            </Show>
            <Show when=move || cursor.with(Option::is_some)>
                <button type="button" class="btn" disabled=move || loading.get() on:click=move |_| load(cursor.get_untracked())>"Load more"</button>
            </Show>
        </section>
    }
}

#[component]
fn OrderRow(order: Order) -> impl IntoView {
    let open = RwSignal::new(false);
    let detail_id = format!("order-{}", order.id);
    let currency = order.currency.to_string();
    let lines = order
        .lines
        .iter()
        .map(|l| {
            view! {
                <li>
                    {format!("{} × {} at {}", l.quantity, l.title, money(l.unit_price_cents, &currency))}
                    {(l.returned_quantity > 0).then(|| format!(" ({} returned)", l.returned_quantity))}
                </li>
            }
        })
        .collect_view();
    view! {
        <tbody>
            <tr>
                <th scope="row">{format!("#{}", short_id(order.id))}</th>
                <td data-label="Placed">{when(&order.created_at)}</td>
                <td class="muted" data-label="Customer">{short_id(order.user_id)}</td>
                <td class="num" data-label="Total">{money(order.total_cents, order.currency.as_str())}</td>
                <td class="num" data-label="Refunded">{money(order.refunded_cents, order.currency.as_str())}</td>
                <td data-label="Status"><span class=format!("status {}", order.status.as_str())>{status_label(order.status)}</span></td>
                <td class="row-actions">
                    <button
                        type="button"
                        class="btn small"
                        aria-expanded=move || open.get().to_string()
                        aria-controls=detail_id.clone()
                        on:click=move |_| open.update(|o| *o = !*o)
                    >
                        {move || if open.get() { "Hide" } else { "Details" }}
                    </button>
                </td>
            </tr>
            <tr id=detail_id.clone() class="detail-row" hidden=move || !open.get()>
                <td colspan="7">
                    <p>{format!("Order {} · customer {}", order.id, order.user_id)}</p>
                    <ul>{lines}</ul>
                </td>
            </tr>
        </tbody>
    }
}
