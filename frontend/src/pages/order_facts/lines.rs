//! An order's lines: what was bought, asked back and received back, with a column the page may
//! add (the customer's copies to return).
use crate::components::money;
use bookstore_model::{Order, OrderLine};
use leptos::prelude::*;
use leptos_router::components::A;

/// How many copies of a line may still be asked back: bought, less those asked back already
/// (received or not; orders from before returns were requests only count received ones).
pub fn returnable(l: &OrderLine) -> u32 {
    l.quantity
        .saturating_sub(l.return_requested_quantity.max(l.returned_quantity))
}

/// A column a page adds to the lines: its heading and each line's cell.
pub struct ExtraColumn {
    pub heading: &'static str,
    pub cell: Box<dyn Fn(&OrderLine) -> AnyView>,
}

/// The lines as a table (`class`: more classes for it); on a phone each row is a card.
pub fn order_lines(order: &Order, class: &'static str, extra: Option<ExtraColumn>) -> AnyView {
    let currency = order.currency.to_string();
    let extra_heading = extra
        .as_ref()
        .map(|e| view! { <th scope="col">{e.heading}</th> });
    let rows = order
        .lines
        .iter()
        .map(|l| {
            let id = l.book_id;
            let cell = extra.as_ref().map(|e| (e.cell)(l));
            let title = l.title.to_string();
            let price = money(l.unit_price_cents, &currency);
            let (bought, received, left) = (l.quantity, l.returned_quantity, returnable(l));
            let asked = l.return_requested_quantity.max(received);
            view! {
                <tr data-book-id=id.to_string()>
                    <td class="full" data-label="Book"><A href=format!("/books/{id}")>{title}</A></td>
                    <td data-label="Unit price">{price}</td>
                    <td data-label="Bought">{bought}</td>
                    <td class="asked" data-label="Asked back">{asked}</td>
                    <td class="received" data-label="Received back">{received}</td>
                    <td class="returnable" data-label="Returnable">{left}</td>
                    {cell}
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class=format!("order-lines stack {class}")>
            <thead>
                <tr>
                    <th scope="col">"Book"</th>
                    <th scope="col">"Unit price"</th>
                    <th scope="col">"Bought"</th>
                    <th scope="col">"Asked back"</th>
                    <th scope="col">"Received back"</th>
                    <th scope="col">"Returnable"</th>
                    {extra_heading}
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any()
}
