//! The cart and checkout.
//!
//! Checkout sends the cart's `Idempotency-Key` (see [`crate::cart`]): the button is disabled
//! while the order is on its way, and pressing it again after a network error sends the same
//! key, so the order is placed at most once. When stock ran out meanwhile, the API's
//! `shortages` say what is left, and the cart can be adjusted to it in one click.
//!
//! Lines that cannot be bought as they stand are flagged (sold out, fewer copies than asked
//! for, no longer in the catalogue: by the live stock, the book's page read, and the server's
//! cart) and hold the checkout button back until they are removed or lowered.
use crate::api::ApiError;
use crate::cart::{CartLine, use_cart};
use crate::components::{Cover, money};
use crate::live::use_live;
use crate::session::use_session;
use crate::use_api;
use bookstore_model::{BookId, Quantity, Shortage};
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

    let placing = RwSignal::new(false);
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);

    let adjust = move |shortages: Vec<Shortage>| {
        for s in shortages {
            cart.set_quantity(s.book_id, u32::try_from(s.available.max(0)).unwrap_or(0));
        }
        error.set(None);
    };

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
                {move || error.get().map(|e| view! { <CheckoutError error=e adjust=adjust /> })}
                <Show
                    when=move || session.is_logged_in()
                    fallback=|| view! {
                        <p class="notice">
                            <A href="/login?next=/cart">"Log in"</A> " or " <A href="/register?next=/cart">"create an account"</A>
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
                    <CheckoutButton placing=placing error=error blocked=blocked />
                </Show>
            </Show>
        </section>
    }
}

/// Places the cart's order with its idempotency key.
#[component]
fn CheckoutButton(
    placing: RwSignal<bool>,
    error: RwSignal<Option<ApiError>>,
    blocked: Signal<bool>,
) -> impl IntoView {
    let cart = use_cart();
    let api = use_api();
    let navigate = use_navigate();
    // Checkout asks where to ship, how, and for the card, in steps (`pages/checkout`).
    let checkout = move |_| {
        if blocked.get_untracked() || cart.state().line_requests().is_empty() {
            return;
        }
        let _ = (&api, &placing, &error);
        navigate("/checkout", Default::default());
    };
    view! {
        <button
            type="button"
            id="checkout"
            class="btn primary big"
            on:click=checkout
            disabled=move || placing.get() || blocked.get()
            aria-busy=move || placing.get().to_string()
        >
            {move || {
                if placing.get() {
                    "Placing your order…"
                } else if cart.has_pending_key() && error.with(|e| e.as_ref().is_some_and(ApiError::is_network)) {
                    "Retry placing the order"
                } else {
                    "Place order"
                }
            }}
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

#[component]
fn CheckoutError(
    error: ApiError,
    adjust: impl Fn(Vec<Shortage>) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let cart = use_cart();
    let title_of = move |id: BookId| {
        cart.state()
            .lines
            .iter()
            .find(|l| l.book_id == id)
            .map_or_else(|| id.to_string(), |l| l.title.clone())
    };
    let shortages = error
        .problem
        .as_ref()
        .and_then(|p| p.shortages.clone())
        .unwrap_or_default();
    let unknown = error
        .problem
        .as_ref()
        .and_then(|p| p.unknown_books.clone())
        .unwrap_or_default();
    let headline = if error.is_network() {
        "We could not confirm your order: the connection failed. Pressing the button again is \
         safe: it never buys twice."
            .to_owned()
    } else if !shortages.is_empty() {
        "Some books ran out while you were shopping. Nothing was bought.".to_owned()
    } else {
        error.detail()
    };
    let for_adjust = shortages.clone();
    // Moves focus (and the view) to the explanation.
    let node = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        if let Some(el) = node.get() {
            let _ = el.focus();
        }
    });
    view! {
        <div class="error checkout-error" role="alert" tabindex="-1" node_ref=node>
            <p>{headline}</p>
            <Show when={
                let n = shortages.len();
                move || { n > 0 }
            }>
                <ul class="shortages">
                    {shortages
                        .iter()
                        .map(|s| {
                            let msg = if s.available <= 0 {
                                format!("{}: out of stock (you asked for {}).", title_of(s.book_id), s.requested)
                            } else {
                                format!(
                                    "{}: only {} left (you asked for {}).",
                                    title_of(s.book_id),
                                    s.available,
                                    s.requested,
                                )
                            };
                            view! { <li>{msg}</li> }
                        })
                        .collect_view()}
                </ul>
                <button type="button" class="btn" on:click={
                    let s = for_adjust.clone();
                    move |_| adjust(s.clone())
                }>
                    "Adjust my cart to what is available"
                </button>
            </Show>
            {(!unknown.is_empty()).then(|| {
                let ids = unknown.clone();
                view! {
                    <p>"Some books are no longer in the catalogue."</p>
                    <button type="button" class="btn" on:click=move |_| {
                        for id in &ids {
                            cart.remove(*id);
                        }
                    }>"Remove them from my cart"</button>
                }
            })}
        </div>
    }
}
