//! What the customer's and the staff's order pages both show, so the two tell one story: the
//! heading and status, the lines, the totals, where and how it ships, the timeline and the
//! returns. Each page adds its own actions (the customer's return form, the staff's buttons).
mod lines;
mod returns;

pub use lines::{ExtraColumn, order_lines, returnable};
pub use returns::{Receive, ReturnsList, return_status_label};

use crate::components::{money, short_id, when};
use crate::pages::checkout::PostalAddress;
use bookstore_model::{Order, OrderStatus, PaymentStatus, TimelineActor};
use leptos::prelude::*;

pub fn status_label(s: OrderStatus) -> &'static str {
    match s {
        OrderStatus::PendingPayment => "Awaiting payment",
        OrderStatus::Paid => "Paid",
        OrderStatus::PaymentFailed => "Payment failed",
        OrderStatus::Cancelled => "Cancelled",
        OrderStatus::Shipped => "Shipped",
        OrderStatus::Delivered => "Delivered",
        OrderStatus::PartiallyReturned => "Partly returned",
        OrderStatus::Returned => "Returned",
    }
}

/// "Order #…", when it was placed and its status (`status_id`: the status's element id).
#[component]
pub fn OrderHeading(order: Order, status_id: &'static str) -> impl IntoView {
    view! {
        <h1>{format!("Order #{}", short_id(order.id))}</h1>
        <p class="meta">
            "Placed " {when(&order.created_at)} " · "
            <span class=format!("status {}", order.status.as_str()) id=status_id>{status_label(order.status)}</span>
        </p>
    }
}

/// The totals and the delivery, side by side where there is room.
#[component]
pub fn OrderFacts(order: Order) -> impl IntoView {
    view! {
        <div class="order-facts">
            <section>
                <h2>"Totals"</h2>
                <Totals order=order.clone() />
            </section>
            <section>
                <h2>"Delivery"</h2>
                <Shipment order=order />
            </section>
        </div>
    }
}

pub fn payment_label(s: PaymentStatus) -> &'static str {
    match s {
        PaymentStatus::Pending => "Being authorized",
        PaymentStatus::Authorized => "Authorized (taken when it ships)",
        PaymentStatus::Captured => "Paid",
        PaymentStatus::Failed => "Refused",
        PaymentStatus::Voided => "Released",
        PaymentStatus::Refunded => "Refunded",
    }
}

/// Items, shipping, tax, total, refunded; the payment's state.
#[component]
pub fn Totals(order: Order) -> impl IntoView {
    let c = order.currency.to_string();
    let m = move |cents: i64| money(cents, &c);
    view! {
        <dl class="totals" id="order-totals">
            <dt>"Items"</dt><dd id="total-items">{m(order.items_cents)}</dd>
            <dt>"Shipping"</dt><dd id="total-shipping">{m(order.shipping_cents)}</dd>
            <dt>"Tax"</dt><dd id="total-tax">{m(order.tax_cents)}</dd>
            <dt class="grand">"Total"</dt><dd class="grand" id="total">{m(order.total_cents)}</dd>
            {(order.refunded_cents > 0).then(|| view! {
                <dt>"Refunded"</dt><dd id="refunded">{m(order.refunded_cents)}</dd>
            })}
            {order.payment.map(|p| view! {
                <dt>"Payment"</dt>
                <dd id="payment-status">
                    {payment_label(p.status)}
                    {p.failure.map(|f| format!(": {f}"))}
                </dd>
            })}
        </dl>
    }
}

/// The address, the shipping option and, once shipped, the carrier and tracking number.
#[component]
pub fn Shipment(order: Order) -> impl IntoView {
    match order.shipping {
        None => view! { <p class="muted">"No shipping details (an order from before checkout took an address)."</p> }.into_any(),
        Some(s) => view! {
            <div class="shipment">
                <div>
                    <h3>"Ship to"</h3>
                    <PostalAddress address=s.address />
                </div>
                <div>
                    <h3>"Shipping"</h3>
                    <p>{format!("{} ({}–{} days)", s.option_name, s.delivery_days_min, s.delivery_days_max)}</p>
                    {s.carrier.map(|c| view! { <p id="carrier">"Carrier: " <strong>{c}</strong></p> })}
                    {s.tracking_number.map(|t| view! { <p id="tracking">"Tracking number: " <strong class="mono">{t}</strong></p> })}
                </div>
            </div>
        }.into_any(),
    }
}

fn by(a: TimelineActor) -> &'static str {
    match a {
        TimelineActor::Customer => "by you",
        TimelineActor::Staff => "by the shop",
        TimelineActor::System => "",
    }
}

/// Every change of status with its time, oldest first; `staff` words the actors for the shop.
#[component]
pub fn Timeline(order: Order, #[prop(optional)] staff: bool) -> impl IntoView {
    let entries = order.timeline.clone();
    let expires = (order.status == OrderStatus::PendingPayment)
        .then_some(order.payment_expires_at)
        .flatten();
    view! {
        <ol class="timeline" id="timeline">
            {entries.into_iter().map(|e| {
                let who = match (e.by, staff) {
                    (TimelineActor::Customer, true) => "by the customer",
                    (TimelineActor::Staff, true) => "by staff",
                    (a, _) => by(a),
                };
                view! {
                    <li class=format!("tl {}", e.status.as_str()) data-status=e.status.as_str()>
                        <span class="tl-status">{status_label(e.status)}</span>
                        <time class="tl-at" datetime=e.at.to_rfc3339()>{when(&e.at)}</time>
                        <span class="tl-by muted">{who}</span>
                        {e.note.map(|n| view! { <span class="tl-note">{n}</span> })}
                    </li>
                }
            }).collect_view()}
            {expires.map(|t| view! {
                <li class="tl pending">
                    <span class="muted">{format!("The books are held for you until {}.", when(&t))}</span>
                </li>
            })}
        </ol>
    }
}
