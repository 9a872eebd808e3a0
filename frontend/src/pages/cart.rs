//! The cart. Its button leads to checkout (`pages/checkout`), which places the order with the
//! cart's `Idempotency-Key` and explains refusals (declined card, copies run out).
//!
//! Lines that cannot be bought as they stand are flagged (sold out, fewer copies than asked
//! for, no longer in the catalogue: by the live stock, the book's page read, and the server's
//! cart) and hold the checkout button back until they are removed or lowered.
use crate::cart::{CartLine, use_cart};
use crate::components::{Cover, money};
use crate::live::use_live;
use crate::session::use_session;
use crate::use_api;
use bookstore_model::{BookId, Quantity};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;
use std::collections::{HashMap, HashSet};

#[component]
pub fn CartPage() -> impl IntoView {
    let title = crate::components::page_title(|| "Your cart".to_owned());
    let cart = use_cart();
    let live = use_live();
    let api = use_api();
    let session = use_session();

    // The catalogue's view of the cart's books: current stock (live), price and title.
    let ids = Memo::new(move |_| {
        cart.state()
            .lines
            .iter()
            .map(|l| l.book_id)
            .collect::<Vec<BookId>>()
    });
    live.watch(move || ids.get());
    let stock_read: RwSignal<HashMap<BookId, i64>> = RwSignal::new(HashMap::new());
    // Books whose page answered 404: deleted from the catalogue.
    let deleted: RwSignal<HashSet<BookId>> = RwSignal::new(HashSet::new());
    Effect::new(move |_| {
        for id in ids.get() {
            if stock_read.with_untracked(|s| s.contains_key(&id)) {
                continue;
            }
            spawn_local(async move {
                match api.book(id).await {
                    Ok(book) => {
                        cart.refresh_line(&book);
                        stock_read.update(|s| {
                            s.insert(id, book.stock);
                        });
                    }
                    Err(e) if e.status == Some(404) => deleted.update(|d| {
                        d.insert(id);
                    }),
                    Err(_) => {}
                }
            });
        }
    });
    let stock_of = move |id: BookId| {
        let read = stock_read.with(|s| s.get(&id).copied());
        read.map(|s| live.stock(id, s))
    };
    let gone = move |id: BookId| deleted.with(|d| d.contains(&id)) || cart.is_unavailable(id);
    // Checkout waits until no line is flagged.
    let blocked = Signal::derive(move || {
        cart.state().lines.iter().any(|l| {
            gone(l.book_id) || stock_of(l.book_id).is_some_and(|s| i64::from(l.quantity) > s)
        })
    });

    view! {
        {title}
        <section class="page cart-page">
            <h1>"Your cart"</h1>
            <Show
                when=move || { cart.count() > 0 }
                fallback=|| view! {
                    <p class="empty">"Your cart is empty. " <A href="/books">"Browse the catalogue"</A> "."</p>
                }
            >
                <table class="cart-table">
                    <caption class="sr-only">"Books in your cart"</caption>
                    <thead>
                        <tr>
                            <th scope="col">"Book"</th>
                            <th scope="col">"Price"</th>
                            <th scope="col">"Quantity"</th>
                            <th scope="col">"Subtotal"</th>
                            <th scope="col"><span class="sr-only">"Actions"</span></th>
                        </tr>
                    </thead>
                    <tbody>
                        <For
                            each=move || cart.state().lines
                            key=|l| (l.book_id, l.quantity, l.unit_price_cents)
                            children=move |line| {
                                let id = line.book_id;
                                view! {
                                    <CartRow
                                        line=line
                                        stock=Signal::derive(move || stock_of(id))
                                        gone=Signal::derive(move || gone(id))
                                    />
                                }
                            }
                        />
                    </tbody>
                </table>
                <p class="total">
                    "Total: "
                    <strong id="cart-total">
                        {move || {
                            let s = cart.state();
                            let currency = s.lines.first().map(|l| l.currency.clone()).unwrap_or_else(|| "USD".into());
                            money(s.total_cents(), &currency)
                        }}
                    </strong>
                </p>
                <Show
                    when=move || session.is_logged_in()
                    fallback=|| view! {
                        <p class="notice">
                            <A href="/login?next=/checkout">"Log in"</A> " or " <A href="/register?next=/checkout">"create an account"</A>
                            " to place your order."
                        </p>
                    }
                >
                    <Show when=move || blocked.get()>
                        <p class="notice" id="checkout-blocked" role="status">
                            "Some books in your cart cannot be bought as they are. Remove them or \
                             lower their quantity to place your order."
                        </p>
                    </Show>
                    <CheckoutButton blocked=blocked />
                </Show>
            </Show>
        </section>
    }
}

/// Leads to checkout, unless a line is flagged.
#[component]
fn CheckoutButton(blocked: Signal<bool>) -> impl IntoView {
    let cart = use_cart();
    let navigate = use_navigate();
    let checkout = move |_| {
        if blocked.get_untracked() || cart.state().line_requests().is_empty() {
            return;
        }
        navigate("/checkout", Default::default());
    };
    view! {
        <button
            type="button"
            id="checkout"
            class="btn primary big"
            on:click=checkout
            disabled=move || blocked.get()
        >
            "Checkout"
        </button>
    }
}

#[component]
fn CartRow(line: CartLine, stock: Signal<Option<i64>>, gone: Signal<bool>) -> impl IntoView {
    let cart = use_cart();
    let id = line.book_id;
    let quantity = line.quantity;
    // The live stock once the book has been read; until then, no bound but the API's.
    let max = move || stock.get().map_or(i64::MAX, |s| s.max(0));
    let over = move || i64::from(quantity) > max();
    let flag = move || {
        if gone.get() {
            Some("No longer available: remove it to check out".to_owned())
        } else if over() && max() == 0 {
            Some("Sold out".to_owned())
        } else if over() {
            Some(format!("Only {} left", max()))
        } else {
            None
        }
    };
    // What the input accepts: the stock, and never more than one order line may hold.
    let limit = move || max().min(i64::from(Quantity::MAX));
    let title = line.title.clone();
    let remove_label = format!(" {}", line.title);
    view! {
        <tr class:short=move || flag().is_some() class:gone=move || gone.get() data-book-id=id.to_string()>
            <td class="cart-book">
                <Cover id=id title=line.title.clone() />
                <A href=format!("/books/{id}")>{line.title.clone()}</A>
            </td>
            <td>{money(line.unit_price_cents, &line.currency)}</td>
            <td>
                <label class="sr-only" for=format!("qty-{id}")>{format!("Quantity of {title}")}</label>
                <input
                    id=format!("qty-{id}")
                    class="qty"
                    type="number"
                    min="0"
                    max=move || limit().to_string()
                    value=quantity.to_string()
                    on:change=move |ev| {
                        let n = event_target_value(&ev).parse::<i64>().unwrap_or(0).clamp(0, limit());
                        cart.set_quantity(id, u32::try_from(n).unwrap_or(0));
                    }
                />
                {move || flag().map(|f| view! { <span class="warn">{f}</span> })}
            </td>
            <td>{money(line.unit_price_cents * i64::from(quantity), &line.currency)}</td>
            <td>
                <button type="button" class="btn link" on:click=move |_| cart.remove(id)>
                    "Remove"
                    <span class="sr-only">{remove_label}</span>
                </button>
            </td>
        </tr>
    }
}
