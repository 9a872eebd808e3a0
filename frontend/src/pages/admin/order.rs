//! One order for the staff: who, where to, what, the totals and the timeline; shipping it (the
//! carrier and tracking number; the payment is taken then), marking it delivered, cancelling
//! it before it ships; receiving its returns (the copies back in stock, the refund issued at
//! the provider, followed until the provider confirms it); and a packing slip to print (print
//! CSS: only the slip is printed).
use super::AdminOnly;
use super::packing_slip::PackingSlip;
use crate::api::ApiError;
use crate::components::{ErrorBox, Loading, money, sleep};
use crate::pages::order_facts::{
    OrderFacts, OrderHeading, Receive, ReturnsList, Timeline, order_lines,
};
use crate::use_api;
use bookstore_model::{Order, OrderId, OrderStatus, Return, ReturnId, ShipOrder};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use std::collections::HashMap;

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
    let returns: RwSignal<Vec<Return>> = RwSignal::new(Vec::new());
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
            match api.admin_order_returns(id).await {
                Ok(r) => returns.set(r),
                Err(e) => error.set(Some(e)),
            }
        });
    });
    let changed = Callback::new(move |(o, what): (Order, String)| {
        notice.set(Some(what));
        order.set(Some(o));
    });
    // Receiving lives here, with the page: the order's view is rebuilt by each change.
    let busy: RwSignal<Option<ReturnId>> = RwSignal::new(None);
    let run = Callback::new(move |ret: ReturnId| {
        let Some(id) = id.get_untracked() else {
            return;
        };
        if busy.get_untracked().is_some() {
            return;
        }
        busy.set(Some(ret));
        error.set(None);
        spawn_local(async move {
            let receipt = api.receive_return(id, ret).await;
            busy.set(None);
            let receipt = match receipt {
                Ok(r) => r,
                Err(e) => return error.set(Some(e)),
            };
            let copies: u32 = receipt.return_.lines.iter().map(|l| l.quantity).sum();
            let refund = money(
                receipt.return_.refund_cents,
                receipt.order.currency.as_str(),
            );
            let received = receipt.return_.clone();
            returns.update(|all| {
                if let Some(r) = all.iter_mut().find(|r| r.id == ret) {
                    *r = received;
                }
            });
            // The page may be gone by now (then nothing is shown, nor followed).
            changed.try_run((
                receipt.order,
                format!(
                    "Received: {copies} {} back in stock; the refund of {refund} is being issued.",
                    if copies == 1 { "copy" } else { "copies" }
                ),
            ));
            follow_refund(api, id, ret, refund, returns, changed).await;
        });
    });
    let receive = Receive { run, busy };
    view! {
        <section class="page admin admin-order">
            <p class="crumbs no-print"><A href="/admin/orders">"← Orders"</A> " · " <A href="/admin/orders?view=queue">"Fulfilment queue"</A></p>
            {move || error.get().map(|e| view! { <ErrorBox error=e /> })}
            {move || notice.get().map(|m| view! { <p class="success no-print" role="status" id="admin-order-done">{m}</p> })}
            {move || match order.get() {
                None if error.with(Option::is_none) => view! { <Loading label="Loading the order…" /> }.into_any(),
                None => ().into_any(),
                Some(o) => view! { <OrderDetail order=o returns=returns receive=receive changed=changed /> }.into_any(),
            }}
        </section>
    }
}

/// The provider confirms a refund in the background (the shop's outbox asks it): reads the
/// returns again for a while until the return shows it refunded, then the order.
async fn follow_refund(
    api: crate::api::Api,
    id: OrderId,
    ret: ReturnId,
    refund: String,
    returns: RwSignal<Vec<Return>>,
    changed: Callback<(Order, String)>,
) {
    for _ in 0..60 {
        sleep(500).await;
        if returns.is_disposed() {
            return;
        }
        let Ok(all) = api.admin_order_returns(id).await else {
            continue;
        };
        let refunded = all.iter().any(|r| r.id == ret && r.refunded_at.is_some());
        returns.set(all);
        if refunded {
            if let Ok(o) = api.admin_order(id).await {
                changed.try_run((
                    o,
                    format!("Refunded {refund} through the payment provider."),
                ));
            }
            return;
        }
    }
}

#[component]
fn OrderDetail(
    order: Order,
    returns: RwSignal<Vec<Return>>,
    receive: Receive,
    changed: Callback<(Order, String)>,
) -> impl IntoView {
    let name = order
        .shipping
        .as_ref()
        .map(|s| s.address.name.clone())
        .unwrap_or_default();
    let titles: HashMap<_, _> = order
        .lines
        .iter()
        .map(|l| (l.book_id, l.title.to_string()))
        .collect();
    let awaiting = move || {
        returns.with(|r| {
            r.iter()
                .filter(|r| r.status == bookstore_model::ReturnStatus::Requested)
                .count()
        })
    };
    let print = |_| {
        if let Some(w) = web_sys::window() {
            let _ = w.print();
        }
    };
    view! {
        <div class="no-print">
            <OrderHeading order=order.clone() status_id="admin-order-status" />
            <p class="customer-line">
                "Customer: " <strong id="customer-name">{name}</strong> " · "
                <a href=format!("mailto:{}", order.customer_email) id="customer-email">{order.customer_email.clone()}</a>
            </p>
            {move || (awaiting() > 0).then(|| view! {
                <p class="notice" id="returns-awaiting">
                    <strong>{format!("{} to receive", match awaiting() { 1 => "1 return".to_owned(), n => format!("{n} returns") })}</strong>
                    ": mark each received when its parcel arrives (the copies go back in stock and the customer is refunded)."
                </p>
            })}
            <Actions order=order.clone() changed=changed />
            <button type="button" class="btn" id="print-slip" on:click=print>"Print packing slip"</button>
            <h2>"Books"</h2>
            {order_lines(&order, "admin-lines", None)}
            <OrderFacts order=order.clone() />
            <h2>"History"</h2>
            <Timeline order=order.clone() staff=true />
            <ReturnsList returns=returns titles=titles currency=order.currency.to_string() receive=Some(receive) />
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
