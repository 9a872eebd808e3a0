//! Every order, filtered by status, or the fulfilment queue (paid orders, oldest first); each
//! opens its own page (`admin::order`), where it is shipped, delivered or cancelled.
use super::AdminOnly;
use crate::api::ApiError;
use crate::components::{ErrorBox, Loading, money, short_id, when};
use crate::pages::order_facts::status_label;
use crate::use_api;
use bookstore_model::{Order, OrderStatus};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};

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
    let query = use_query_map();
    let navigate = use_navigate();
    // `?view=queue`: the fulfilment queue; `?status=`: a filter. Both kept in the address, so
    // that coming back from an order shows the same list.
    let queue = Memo::new(move |_| query.read().get("view").as_deref() == Some("queue"));
    let status = Memo::new(move |_| {
        if queue.get() {
            Some(OrderStatus::Paid)
        } else {
            query.read().get("status").as_deref().and_then(parse_status)
        }
    });
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
            let r = api
                .admin_orders(status.get_untracked(), queue.get_untracked(), next)
                .await;
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
        queue.track();
        load(None);
    });
    let nav = navigate.clone();
    let filter = move |ev| {
        let v = event_target_value(&ev);
        let to = if v.is_empty() {
            "/admin/orders".to_owned()
        } else {
            format!("/admin/orders?status={v}")
        };
        nav(&to, Default::default());
    };

    view! {
        <section class="page admin">
            <h1>{move || if queue.get() { "Fulfilment queue" } else { "Orders" }}</h1>
            <nav class="tabs" aria-label="Order lists">
                <A href="/admin/orders" attr:id="tab-all" attr:aria-current=move || (!queue.get()).then_some("page")>"All orders"</A>
                <A href="/admin/orders?view=queue" attr:id="tab-queue" attr:aria-current=move || queue.get().then_some("page")>"Fulfilment queue"</A>
            </nav>
            <Show
                when=move || !queue.get()
                fallback=|| view! { <p class="muted">"Paid orders waiting to ship, oldest first."</p> }
            >
                <div class="filters">
                    <div class="field">
                        <label for="status-filter">"Status"</label>
                        <select id="status-filter" on:change=filter.clone()>
                            <option value="" selected=move || status.get().is_none()>"All"</option>
                            {OrderStatus::ALL
                                .iter()
                                .map(|s| {
                                    let s = *s;
                                    view! {
                                        <option value=s.as_str() selected=move || status.get() == Some(s)>{status_label(s)}</option>
                                    }
                                })
                                .collect_view()}
                        </select>
                    </div>
                </div>
            </Show>
            {move || error.get().map(|e| view! { <ErrorBox error=e /> })}
            <div class="table-wrap">
                <table class="admin-orders stack" aria-busy=move || loading.get().to_string()>
                    <thead>
                        <tr>
                            <th scope="col">"Order"</th>
                            <th scope="col">"Placed"</th>
                            <th scope="col">"Customer"</th>
                            <th scope="col">"Ship to"</th>
                            <th scope="col" class="num">"Total"</th>
                            <th scope="col">"Status"</th>
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
    let href = format!("/admin/orders/{}", order.id);
    let name = order
        .shipping
        .as_ref()
        .map(|s| s.address.name.clone())
        .unwrap_or_else(|| "—".into());
    let place = order
        .shipping
        .as_ref()
        .map(|s| format!("{}, {}", s.address.city, s.address.country))
        .unwrap_or_default();
    let email = if order.customer_email.is_empty() {
        short_id(order.user_id)
    } else {
        order.customer_email.clone()
    };
    let books: u32 = order.lines.iter().map(|l| l.quantity).sum();
    // Copies asked back and not yet received: a return waits for its parcel.
    let awaiting: u32 = order
        .lines
        .iter()
        .map(|l| {
            l.return_requested_quantity
                .saturating_sub(l.returned_quantity)
        })
        .sum();
    view! {
        <tbody>
            <tr data-order-id=order.id.to_string()>
                <th scope="row" data-label="Order">
                    <A href=href>{format!("#{}", short_id(order.id))}</A>
                    <span class="muted small">{format!("{books} book(s)")}</span>
                </th>
                <td data-label="Placed">{when(&order.created_at)}</td>
                <td data-label="Customer" class="customer">
                    <span class="cust-name">{name}</span>
                    <span class="muted small cust-email">{email}</span>
                </td>
                <td data-label="Ship to">{place}</td>
                <td data-label="Total" class="num">{money(order.total_cents, order.currency.as_str())}</td>
                <td data-label="Status">
                    <span class=format!("status {}", order.status.as_str())>{status_label(order.status)}</span>
                    {(awaiting > 0).then(|| view! { <span class="status return-due">{format!("{awaiting} to receive back")}</span> })}
                </td>
            </tr>
        </tbody>
    }
}
