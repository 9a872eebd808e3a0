//! One order for the staff: who, where to, what, the totals and the timeline; shipping it (the
//! carrier and tracking number; the payment is taken then), marking it delivered, cancelling
//! it before it ships; and a packing slip to print (print CSS: only the slip is printed).
use super::AdminOnly;
use crate::api::ApiError;
use crate::components::{ErrorBox, Loading, money, short_id, when};
use crate::pages::order_summary::{Shipment, Timeline, Totals};
use crate::pages::orders::status_label;
use crate::use_api;
use bookstore_model::{Order, OrderId, OrderStatus, ShipOrder};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

#[component]
pub fn AdminOrderPage() -> impl IntoView {
    let title = crate::components::page_title(|| "Order".to_owned());
    view! {
        {title}
        <AdminOnly>
            <OrderScreen />
        </AdminOnly>
    }
}

#[component]
fn OrderScreen() -> impl IntoView {
    let api = use_api();
    let params = use_params_map();
    let id = Memo::new(move |_| {
        params
            .read()
            .get("id")
            .and_then(|s| s.parse::<OrderId>().ok())
    });
    let order: RwSignal<Option<Order>> = RwSignal::new(None);
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let notice: RwSignal<Option<String>> = RwSignal::new(None);
    Effect::new(move |_| {
        let Some(id) = id.get() else {
            return;
        };
        spawn_local(async move {
            match api.admin_order(id).await {
                Ok(o) => order.set(Some(o)),
                Err(e) => error.set(Some(e)),
            }
        });
    });
    let changed = Callback::new(move |(o, what): (Order, String)| {
        notice.set(Some(what));
        order.set(Some(o));
    });
    view! {
        <section class="page admin admin-order">
            <p class="crumbs no-print"><A href="/admin/orders">"← Orders"</A> " · " <A href="/admin/orders?view=queue">"Fulfilment queue"</A></p>
            {move || error.get().map(|e| view! { <ErrorBox error=e /> })}
            {move || notice.get().map(|m| view! { <p class="success no-print" role="status" id="admin-order-done">{m}</p> })}
            {move || match order.get() {
                None if error.with(Option::is_none) => view! { <Loading label="Loading the order…" /> }.into_any(),
                None => ().into_any(),
                Some(o) => view! { <OrderDetail order=o changed=changed /> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn OrderDetail(order: Order, changed: Callback<(Order, String)>) -> impl IntoView {
    let currency = order.currency.to_string();
    let name = order
        .shipping
        .as_ref()
        .map(|s| s.address.name.clone())
        .unwrap_or_default();
    let lines = order
        .lines
        .clone()
        .into_iter()
        .map(|l| {
            view! {
                <tr data-book-id=l.book_id.to_string()>
                    <td data-label="Book"><A href=format!("/books/{}", l.book_id)>{l.title.to_string()}</A></td>
                    <td data-label="Quantity" class="num">{l.quantity}</td>
                    <td data-label="Unit price" class="num">{money(l.unit_price_cents, &currency)}</td>
                    <td data-label="Returned" class="num">{l.returned_quantity}</td>
                </tr>
            }
        })
        .collect_view();
    let print = |_| {
        if let Some(w) = web_sys::window() {
            let _ = w.print();
        }
    };
    view! {
        <div class="no-print">
            <h1>{format!("Order #{}", short_id(order.id))}</h1>
            <p class="meta">
                "Placed " {when(&order.created_at)} " · "
                <span class=format!("status {}", order.status.as_str()) id="admin-order-status">{status_label(order.status)}</span>
            </p>
            <p class="customer-line">
                "Customer: " <strong id="customer-name">{name}</strong> " · "
                <a href=format!("mailto:{}", order.customer_email) id="customer-email">{order.customer_email.clone()}</a>
            </p>
            <Actions order=order.clone() changed=changed />
            <button type="button" class="btn" id="print-slip" on:click=print>"Print packing slip"</button>
            <h2>"Books"</h2>
            <div class="table-wrap">
                <table class="order-lines admin-lines">
                    <thead>
                        <tr>
                            <th scope="col">"Book"</th>
                            <th scope="col" class="num">"Quantity"</th>
                            <th scope="col" class="num">"Unit price"</th>
                            <th scope="col" class="num">"Returned"</th>
                        </tr>
                    </thead>
                    <tbody>{lines}</tbody>
                </table>
            </div>
            <div class="order-facts">
                <section>
                    <h2>"Totals"</h2>
                    <Totals order=order.clone() />
                </section>
                <section>
                    <h2>"Delivery"</h2>
                    <Shipment order=order.clone() />
                </section>
            </div>
            <h2>"History"</h2>
            <Timeline order=order.clone() staff=true />
        </div>
        <PackingSlip order=order />
    }
}

/// The buttons of what can happen next to the order.
#[component]
fn Actions(order: Order, changed: Callback<(Order, String)>) -> impl IntoView {
    let api = use_api();
    let id = order.id;
    let busy = RwSignal::new(false);
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let carrier = RwSignal::new(String::new());
    let tracking = RwSignal::new(String::new());
    let confirm_cancel = RwSignal::new(false);
    let act = move |what: &'static str| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        let ship = ShipOrder {
            carrier: carrier.get_untracked(),
            tracking_number: tracking.get_untracked(),
        };
        spawn_local(async move {
            let r = match what {
                "ship" => api.ship_order(id, &ship).await,
                "deliver" => api.deliver_order(id).await,
                _ => api.admin_cancel_order(id).await,
            };
            busy.set(false);
            match r {
                Ok(o) => {
                    let msg = match what {
                        "ship" => "Shipped; the payment was taken.",
                        "deliver" => "Marked delivered.",
                        _ => {
                            "Cancelled; the books are back in stock and the customer is not charged."
                        }
                    };
                    changed.run((o, msg.to_owned()));
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let ship = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        act("ship");
    };
    view! {
        <div class="actions">
            {move || error.get().map(|e| view! { <ErrorBox error=e /> })}
            {(order.status == OrderStatus::Paid).then(|| view! {
                <form class="form ship-form" id="ship-form" on:submit=ship>
                    <h2>"Ship"</h2>
                    <div class="fields">
                        <div class="field">
                            <label for="ship-carrier">"Carrier"</label>
                            <input id="ship-carrier" required maxlength="100"
                                prop:value=move || carrier.get()
                                on:input=move |ev| carrier.set(event_target_value(&ev)) />
                        </div>
                        <div class="field">
                            <label for="ship-tracking">"Tracking number"</label>
                            <input id="ship-tracking" required maxlength="64" pattern="[-0-9A-Za-z ]{1,64}"
                                prop:value=move || tracking.get()
                                on:input=move |ev| tracking.set(event_target_value(&ev)) />
                        </div>
                    </div>
                    <button type="submit" class="btn primary" id="ship-order" disabled=move || busy.get()>
                        {move || if busy.get() { "Shipping…" } else { "Mark shipped" }}
                    </button>
                </form>
            })}
            {(order.status == OrderStatus::Shipped).then(|| view! {
                <button type="button" class="btn primary" id="deliver-order" disabled=move || busy.get() on:click=move |_| act("deliver")>
                    "Mark delivered"
                </button>
            })}
            {order.status.cancellable().then(|| view! {
                <Show
                    when=move || confirm_cancel.get()
                    fallback=move || view! {
                        <button type="button" class="btn danger" id="admin-cancel" on:click=move |_| confirm_cancel.set(true)>"Cancel order"</button>
                    }
                >
                    <div class="confirm" role="alertdialog" aria-labelledby="admin-cancel-q">
                        <p id="admin-cancel-q"><strong>"Cancel this order?"</strong> " The hold on the card is released and the books go back in stock."</p>
                        <div class="buttons">
                            <button type="button" class="btn danger" id="admin-confirm-cancel" disabled=move || busy.get() on:click=move |_| act("cancel")>"Yes, cancel it"</button>
                            <button type="button" class="btn" on:click=move |_| confirm_cancel.set(false)>"Keep it"</button>
                        </div>
                    </div>
                </Show>
            })}
        </div>
    }
}

/// What goes in the parcel: no prices.
#[component]
fn PackingSlip(order: Order) -> impl IntoView {
    let address = order.shipping.as_ref().map(|s| s.address.clone());
    view! {
        <article class="packing-slip" id="packing-slip" aria-label="Packing slip">
            <header>
                <strong class="slip-shop">"Bookstore"</strong>
                <span>"Packing slip"</span>
            </header>
            <p>
                "Order " <strong>{order.id.to_string()}</strong><br />
                "Placed " {when(&order.created_at)}
            </p>
            <h2>"Ship to"</h2>
            {address.map(|a| view! { <crate::pages::checkout::PostalAddress address=a /> })}
            <table class="slip-lines">
                <thead><tr><th scope="col">"Qty"</th><th scope="col">"Book"</th><th scope="col">"Ref."</th></tr></thead>
                <tbody>
                    {order.lines.clone().into_iter().map(|l| view! {
                        <tr>
                            <td>{l.quantity}</td>
                            <td>{l.title.to_string()}</td>
                            <td class="mono">{short_id(l.book_id)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            <p class="slip-foot">"Thank you for shopping with us."</p>
        </article>
    }
}
