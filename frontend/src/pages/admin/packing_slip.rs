//! What goes in the parcel, printed (print CSS: only the slip is printed): the address and the
//! books with their ISBNs, to pick them from the shelf; no prices. An order's lines keep the
//! title but not the ISBN, so the slip reads each book (a book since deleted shows its id).
use crate::components::{short_id, when};
use crate::use_api;
use bookstore_model::{BookId, Order};
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::collections::HashMap;

#[component]
pub fn PackingSlip(order: Order) -> impl IntoView {
    let api = use_api();
    let address = order.shipping.as_ref().map(|s| s.address.clone());
    let isbns: RwSignal<HashMap<BookId, String>> = RwSignal::new(HashMap::new());
    let ids: Vec<BookId> = order.lines.iter().map(|l| l.book_id).collect();
    spawn_local(async move {
        for id in ids {
            if let Ok(book) = api.book(id).await {
                isbns.update(|m| {
                    m.insert(id, book.isbn.to_string());
                });
            }
        }
    });
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
                <thead><tr><th scope="col">"Qty"</th><th scope="col">"Book"</th><th scope="col">"ISBN"</th></tr></thead>
                <tbody>
                    {order.lines.clone().into_iter().map(|l| {
                        let id = l.book_id;
                        view! {
                            <tr data-book-id=id.to_string()>
                                <td>{l.quantity}</td>
                                <td>{l.title.to_string()}</td>
                                <td class="mono slip-isbn">
                                    {move || isbns.with(|m| m.get(&id).cloned()).unwrap_or_else(|| format!("ref. {}", short_id(id)))}
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            <p class="slip-foot">"Thank you for shopping with us."</p>
        </article>
    }
}
