//! An order's returns: asked for by the customer, received by the shop (the copies back in
//! stock), then refunded once the payment provider confirms. The staff's page adds a button to
//! receive a requested return.
use crate::components::{money, when};
use bookstore_model::{BookId, Return, ReturnId, ReturnStatus};
use leptos::prelude::*;
use std::collections::HashMap;

pub fn return_status_label(r: &Return) -> &'static str {
    match (r.status, r.refunded_at) {
        (ReturnStatus::Requested, _) => "Requested",
        (ReturnStatus::Received, None) => "Received",
        (ReturnStatus::Received, Some(_)) => "Refunded",
    }
}

fn status_class(r: &Return) -> &'static str {
    match (r.status, r.refunded_at) {
        (ReturnStatus::Requested, _) => "requested",
        (ReturnStatus::Received, None) => "received",
        (ReturnStatus::Received, Some(_)) => "refunded",
    }
}

/// What happens to the money, as of now.
fn refund_text(r: &Return, currency: &str, staff: bool) -> String {
    let amount = money(r.refund_cents, currency);
    match (r.status, r.refunded_at, staff) {
        (ReturnStatus::Requested, _, false) => {
            format!("{amount} will be refunded once the shop receives the books.")
        }
        (ReturnStatus::Requested, _, true) => {
            format!("Awaiting the parcel: {amount} to refund on receipt.")
        }
        (ReturnStatus::Received, None, _) => format!(
            "Received {}; the refund of {amount} is being issued.",
            r.received_at.as_ref().map(when).unwrap_or_default()
        ),
        (ReturnStatus::Received, Some(at), _) => format!(
            "Received {}; {amount} refunded {}.",
            r.received_at.as_ref().map(when).unwrap_or_default(),
            when(&at)
        ),
    }
}

/// The staff's means to receive a return: the action, and the return being received.
#[derive(Clone, Copy)]
pub struct Receive {
    pub run: Callback<ReturnId>,
    pub busy: RwSignal<Option<ReturnId>>,
}

/// Every return of the order, oldest first, with its status, lines, reason and refund.
#[component]
pub fn ReturnsList(
    returns: RwSignal<Vec<Return>>,
    titles: HashMap<BookId, String>,
    currency: String,
    /// The staff's button ("Mark received"); none for the customer.
    receive: Option<Receive>,
) -> impl IntoView {
    let staff = receive.is_some();
    let item = move |r: Return| {
        let what = r
            .lines
            .iter()
            .map(|l| {
                let title = titles.get(&l.book_id).cloned().unwrap_or_default();
                format!("{} × {title}", l.quantity)
            })
            .collect::<Vec<_>>()
            .join(", ");
        let id = r.id;
        let button = receive
            .filter(|_| r.status == ReturnStatus::Requested)
            .map(|rc| {
                view! {
                    <button type="button" class="btn primary receive-return" id=format!("receive-{id}")
                        disabled=move || rc.busy.get().is_some()
                        on:click=move |_| rc.run.run(id)>
                        {move || if rc.busy.get() == Some(id) { "Receiving…" } else { "Mark received" }}
                    </button>
                }
            });
        view! {
            <li class=format!("return {}", status_class(&r)) id=format!("return-{id}") data-return-id=id.to_string()>
                <p class="return-head">
                    <span class=format!("rstatus {}", status_class(&r))>{return_status_label(&r)}</span>
                    " · asked " {when(&r.created_at)}
                </p>
                <p class="return-what">{what}</p>
                <p class="return-reason">"“" {r.reason.to_string()} "”"</p>
                <p class="return-refund">{refund_text(&r, &currency, staff)}</p>
                {button}
            </li>
        }
    };
    view! {
        <Show when=move || !returns.with(Vec::is_empty)>
            <h2>"Returns"</h2>
            <ul class="returns" id="returns">
                {
                    let item = item.clone();
                    move || returns.get().into_iter().map(item.clone()).collect_view()
                }
            </ul>
        </Show>
    }
}
