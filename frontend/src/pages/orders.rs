//! "My orders", one order with its lines, totals, shipping, timeline and status; cancelling
//! it before it ships; and, once delivered, returns: some or all copies of a line, with a
//! reason, showing what is still returnable.
use crate::api::ApiError;
use crate::components::{ErrorBox, Loading, money, short_id, when};
use crate::live::use_live;
use crate::pages::order_facts::{
    ExtraColumn, OrderFacts, OrderHeading, ReturnsList, Timeline, order_lines, returnable,
    status_label,
};
use crate::session::use_session;
use crate::use_api;
use bookstore_model::{
    BookId, CreateReturn, LineRequest, Order, OrderId, OrderLine, OrderStatus, Quantity, Return,
    ReturnReason,
};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};
use std::collections::HashMap;

/// Asks to log in when nobody is.
#[component]
pub fn LoginFirst(next: &'static str) -> impl IntoView {
    view! {
        <p class="notice">
            <A href=format!("/login?next={next}")>"Log in"</A>
            " to see your orders."
        </p>
    }
}

#[component]
pub fn MyOrders() -> impl IntoView {
    let title = crate::components::page_title(|| "My orders".to_owned());
    let api = use_api();
    let session = use_session();
    let orders: RwSignal<Vec<Order>> = RwSignal::new(Vec::new());
    let cursor: RwSignal<Option<String>> = RwSignal::new(None);
    let loading = RwSignal::new(false);
    let loaded = RwSignal::new(false);
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let load = move |next: Option<String>| {
        loading.set(true);
        spawn_local(async move {
            let append = next.is_some();
            match api.orders(next).await {
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
            loaded.set(true);
        });
    };
    Effect::new(move |_| {
        if session.is_logged_in() {
            load(None);
        }
    });

    view! {
        {title}
        <section class="page">
            <h1>"My orders"</h1>
            <Show when=move || session.is_logged_in() fallback=|| view! { <LoginFirst next="/orders" /> }>
                {move || error.get().map(|e| view! { <ErrorBox error=e /> })}
                <Show when=move || loaded.get() fallback=|| view! { <Loading label="Loading your orders…" /> }>
                    <Show
                        when=move || !orders.with(Vec::is_empty)
                        fallback=|| view! { <p>"No orders yet. " <A href="/books">"Find a book"</A> "."</p> }
                    >
                        <table class="orders-table">
                            <thead>
                                <tr>
                                    <th scope="col">"Order"</th>
                                    <th scope="col">"Placed"</th>
                                    <th scope="col">"Books"</th>
                                    <th scope="col">"Total"</th>
                                    <th scope="col">"Status"</th>
                                </tr>
                            </thead>
                            <tbody>
                                <For each=move || orders.get() key=|o| (o.id, o.updated_at) let:o>
                                    <tr>
                                        <td><A href=format!("/orders/{}", o.id)>{format!("#{}", short_id(o.id))}</A></td>
                                        <td>{when(&o.created_at)}</td>
                                        <td>{o.lines.iter().map(|l| l.title.to_string()).collect::<Vec<_>>().join(", ")}</td>
                                        <td>{money(o.total_cents, o.currency.as_str())}</td>
                                        <td><span class=format!("status {}", o.status.as_str())>{status_label(o.status)}</span></td>
                                    </tr>
                                </For>
                            </tbody>
                        </table>
                    </Show>
                </Show>
                <Show when=move || cursor.with(Option::is_some)>
                    <button type="button" class="btn" disabled=move || loading.get() on:click=move |_| load(cursor.get_untracked())>
                        "Load more"
                    </button>
                </Show>
            </Show>
        </section>
    }
}

#[component]
pub fn OrderPage() -> impl IntoView {
    let title = crate::components::page_title(|| "Order".to_owned());
    let api = use_api();
    let session = use_session();
    let params = use_params_map();
    let query = use_query_map();
    let just_placed = move || query.read().get("placed").is_some();
    let id = Memo::new(move |_| {
        params
            .read()
            .get("id")
            .and_then(|s| s.parse::<OrderId>().ok())
    });
    let order: RwSignal<Option<Order>> = RwSignal::new(None);
    let returns: RwSignal<Vec<Return>> = RwSignal::new(Vec::new());
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    // Outlives the order view, which is rebuilt with the order a return answers with.
    let done: RwSignal<Option<String>> = RwSignal::new(None);
    Effect::new(move |_| {
        let (Some(id), true) = (id.get(), session.is_logged_in()) else {
            return;
        };
        spawn_local(async move {
            match api.order(id).await {
                Ok(o) => order.set(Some(o)),
                Err(e) => error.set(Some(e)),
            }
            if let Ok(r) = api.returns(id).await {
                returns.set(r);
            }
        });
    });

    view! {
        {title}
        <section class="page">
            <p class="crumbs"><A href="/orders">"← My orders"</A></p>
            <Show when=move || session.is_logged_in() fallback=|| view! { <LoginFirst next="/orders" /> }>
                <Show when=just_placed>
                    <p class="success" role="status">"Thank you! Your order is placed."</p>
                </Show>
                {move || error.get().map(|e| view! { <ErrorBox error=e /> })}
                {move || done.get().map(|m| view! { <p class="success" role="status" id="return-done">{m}</p> })}
                {move || match order.get() {
                    None if error.with(Option::is_none) => view! { <Loading label="Loading the order…" /> }.into_any(),
                    None => ().into_any(),
                    Some(o) => view! { <OrderView order=o returns=returns done=done on_return=move |o| order.set(Some(o)) /> }.into_any(),
                }}
            </Show>
        </section>
    }
}

#[component]
fn OrderView(
    order: Order,
    returns: RwSignal<Vec<Return>>,
    done: RwSignal<Option<String>>,
    on_return: impl Fn(Order) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let api = use_api();
    let live = use_live();
    let order_id = order.id;
    let currency = order.currency.to_string();
    let titles: HashMap<BookId, String> = order
        .lines
        .iter()
        .map(|l| (l.book_id, l.title.to_string()))
        .collect();
    // Returns are for books that arrived.
    let can_return = matches!(
        order.status,
        OrderStatus::Delivered | OrderStatus::PartiallyReturned
    );
    let any_returnable = can_return && order.lines.iter().any(|l| returnable(l) > 0);
    let cancellable = order.status.cancellable();
    let confirming = RwSignal::new(false);
    let cancelling = RwSignal::new(false);
    let cancel_error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let cancel = move |_| {
        if cancelling.get_untracked() {
            return;
        }
        cancelling.set(true);
        cancel_error.set(None);
        spawn_local(async move {
            match api.cancel_order(order_id).await {
                Ok(o) => {
                    done.set(Some("Your order is cancelled. Nothing will be charged; any hold on your card is released.".into()));
                    on_return(o);
                }
                Err(e) => cancel_error.set(Some(e)),
            }
            cancelling.set(false);
            confirming.set(false);
        });
    };
    // Copies to return, per line.
    let picks: RwSignal<HashMap<BookId, u32>> = RwSignal::new(HashMap::new());
    let reason = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    // The Idempotency-Key of the return being attempted, with what it returns: sending the
    // same return again (after an answer was lost) reuses it, so it is made and refunded once.
    let attempt: StoredValue<Option<(String, String)>> = StoredValue::new(None);

    let submit = {
        let currency = currency.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            if busy.get_untracked() {
                return;
            }
            let lines: Vec<LineRequest> = picks
                .get_untracked()
                .into_iter()
                .filter(|(_, n)| *n > 0)
                .filter_map(|(book_id, n)| {
                    Some(LineRequest {
                        book_id,
                        quantity: Quantity::parse(i64::from(n)).ok()?,
                    })
                })
                .collect();
            if lines.is_empty() {
                error.set(Some("Choose how many copies to return.".into()));
                return;
            }
            let reason = match ReturnReason::parse(&reason.get_untracked()) {
                Ok(r) => r,
                Err(e) => {
                    error.set(Some(format!("Reason: {e}")));
                    return;
                }
            };
            let mut what: Vec<(String, u32)> = lines
                .iter()
                .map(|l| (l.book_id.to_string(), l.quantity.get()))
                .collect();
            what.sort();
            let what = format!("{what:?} {}", reason.as_str());
            let key = attempt
                .with_value(|a| {
                    a.as_ref()
                        .filter(|(w, _)| *w == what)
                        .map(|(_, k)| k.clone())
                })
                .unwrap_or_else(|| {
                    let k = uuid::Uuid::new_v4().to_string();
                    attempt.set_value(Some((what, k.clone())));
                    k
                });
            busy.set(true);
            error.set(None);
            done.set(None);
            let currency = currency.clone();
            spawn_local(async move {
                let r = api
                    .create_return(order_id, &CreateReturn { lines, reason }, &key)
                    .await;
                busy.set(false);
                match r {
                    Ok(receipt) => {
                        attempt.set_value(None);
                        done.set(Some(format!(
                            "Return accepted: {} will be refunded once the shop receives the books.",
                            money(receipt.return_.refund_cents, &currency)
                        )));
                        returns.update(|r| r.push(receipt.return_.clone()));
                        picks.set(HashMap::new());
                        on_return(receipt.order);
                    }
                    Err(e) => error.set(Some(e.detail())),
                }
            });
        }
    };

    // Returned copies go back on the shelf: show the stock of the order's books live.
    let ids: Vec<BookId> = order.lines.iter().map(|l| l.book_id).collect();
    live.watch(move || ids.clone());

    // The copies to return, once the books have arrived.
    let pick = move |l: &OrderLine| {
        let id = l.book_id;
        let left = returnable(l);
        let title = l.title.to_string();
        view! {
            <td data-label="Return now">
                {(left > 0).then(|| view! {
                    <label class="sr-only" for=format!("ret-{id}")>{format!("Copies of {title} to return")}</label>
                    <input
                        id=format!("ret-{id}")
                        class="qty"
                        type="number"
                        min="0"
                        max=left.to_string()
                        prop:value=move || picks.with(|p| p.get(&id).copied().unwrap_or(0)).to_string()
                        on:input=move |ev| {
                            let n = event_target_value(&ev).parse::<u32>().unwrap_or(0).min(left);
                            picks.update(|p| { p.insert(id, n); });
                        }
                    />
                })}
            </td>
        }
        .into_any()
    };
    let extra = can_return.then(|| ExtraColumn {
        heading: "Return now",
        cell: Box::new(pick),
    });
    let lines = order_lines(&order, "", extra);

    view! {
        <article class="order" data-order-id=order.id.to_string()>
            <OrderHeading order=order.clone() status_id="order-status" />
            <form class="return-form" on:submit=submit>
                {lines}
                {any_returnable.then(|| view! {
                    <fieldset class="return-box">
                        <legend>"Request a return"</legend>
                        <div class="field">
                            <label for="return-reason">"Reason"</label>
                            <textarea
                                id="return-reason"
                                rows="2"
                                required
                                prop:value=move || reason.get()
                                on:input=move |ev| reason.set(event_target_value(&ev))
                            ></textarea>
                        </div>
                        {move || error.get().map(|m| view! { <div class="error" role="alert"><p>{m}</p></div> })}
                        <button type="submit" class="btn" disabled=move || busy.get()>
                            {move || if busy.get() { "Sending…" } else { "Return selected copies" }}
                        </button>
                    </fieldset>
                })}
            </form>
            <OrderFacts order=order.clone() />
            {cancellable.then(|| view! {
                <section class="cancel-box">
                    {move || cancel_error.get().map(|e| view! { <ErrorBox error=e /> })}
                    <Show
                        when=move || confirming.get()
                        fallback=move || view! {
                            <button type="button" class="btn danger" id="cancel-order" on:click=move |_| confirming.set(true)>
                                "Cancel order"
                            </button>
                        }
                    >
                        <div class="confirm" role="alertdialog" aria-labelledby="cancel-q">
                            <p id="cancel-q"><strong>"Cancel this order?"</strong> " The books go back on the shelf and nothing is charged."</p>
                            <div class="buttons">
                                <button type="button" class="btn danger" id="confirm-cancel" on:click=cancel disabled=move || cancelling.get()>
                                    {move || if cancelling.get() { "Cancelling…" } else { "Yes, cancel it" }}
                                </button>
                                <button type="button" class="btn" id="keep-order" on:click=move |_| confirming.set(false)>"Keep the order"</button>
                            </div>
                        </div>
                    </Show>
                </section>
            })}
            <h2>"History"</h2>
            <Timeline order=order.clone() />
            <ReturnsList returns=returns titles=titles currency=currency receive=None />
        </article>
    }
}
