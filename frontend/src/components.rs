//! Small building blocks shared by the pages.
use crate::api::ApiError;
use crate::cart::use_cart;
use crate::live::use_live;
use bookstore_model::{Book, BookId};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;

pub use bookstore_model::display::{availability, money};

/// `2026-11-24 09:41` in UTC.
pub fn when(t: &chrono::DateTime<chrono::Utc>) -> String {
    use chrono::{Datelike, Timelike};
    // By hand: chrono's formatter would add to the download.
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute()
    )
}

/// Waits `ms` milliseconds (the browser's timer), for polling.
pub async fn sleep(ms: i32) {
    let timer = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(timer).await;
}

/// The first 8 characters of an id, for display.
pub fn short_id(id: impl ToString) -> String {
    id.to_string().chars().take(8).collect()
}

/// A cover placeholder: the title's initials on a colour derived from the id.
#[component]
pub fn Cover(id: BookId, title: String, #[prop(optional)] large: bool) -> impl IntoView {
    let hue = bookstore_model::display::cover_hue(&id);
    let initials = bookstore_model::display::cover_initials(&title);
    view! {
        <div
            class="cover"
            class:cover-large=large
            style=format!("--hue:{hue}")
            aria-hidden="true"
        >
            <span>{initials}</span>
        </div>
    }
}

/// "3 left" / "Out of stock", live.
#[component]
pub fn Availability(id: BookId, stock: i64) -> impl IntoView {
    let live = use_live();
    let now = move || live.stock(id, stock);
    view! {
        <span
            class="availability"
            class:out=move || { now() <= 0 }
            class:low=move || (1..=3).contains(&now())
            data-stock=move || now().to_string()
        >
            {move || {
                if live.is_removed(id) { "No longer available".to_owned() } else { availability(now()) }
            }}
        </span>
    }
}

/// A book in a grid: cover, title, authors, price, availability, add to cart.
#[component]
pub fn BookCard(book: Book) -> impl IntoView {
    let href = format!("/books/{}", book.id);
    let authors = book
        .authors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let price = money(book.price_cents.get(), book.currency.as_str());
    let title = book.title.to_string();
    let for_cart = book.clone();
    view! {
        <li class="card" data-book-id=book.id.to_string()>
            <A href=href.clone() attr:class="card-link">
                <Cover id=book.id title=title.clone() />
                <span class="card-title">{title}</span>
            </A>
            <span class="card-authors">{authors}</span>
            <span class="card-meta">
                <span class="price">{price}</span>
                <Availability id=book.id stock=book.stock />
            </span>
            <AddToCart book=for_cart compact=true />
        </li>
    }
}

/// Adds a copy (or `quantity` copies) to the cart, bounded by the live stock.
#[component]
pub fn AddToCart(
    book: Book,
    #[prop(optional)] compact: bool,
    #[prop(optional, into)] quantity: Option<Signal<u32>>,
) -> impl IntoView {
    let cart = use_cart();
    let live = use_live();
    let id = book.id;
    let initial = book.stock;
    let stock = move || live.stock(id, initial);
    let in_cart = move || cart.quantity_of(id);
    let room = move || (stock() - i64::from(in_cart())).max(0);
    let wanted = move || quantity.map_or(1, |q| q.get()).max(1);
    let disabled = move || live.is_removed(id) || room() < i64::from(wanted());
    let label = move || {
        if live.is_removed(id) || stock() <= 0 {
            "Out of stock".to_owned()
        } else if room() <= 0 {
            "All in cart".to_owned()
        } else {
            "Add to cart".to_owned()
        }
    };
    let title = book.title.to_string();
    let added = RwSignal::new(false);
    view! {
        <div class="add-to-cart" class:compact=compact>
            <button
                type="button"
                class="btn primary"
                disabled=disabled
                aria-label=move || format!("{} – {}", label(), title)
                on:click=move |_| {
                    cart.add(&book, wanted(), stock());
                    added.set(true);
                }
            >
                {label}
            </button>
            <span class="added" role="status">
                {move || {
                    if added.get() && in_cart() > 0 {
                        format!("{} in cart", in_cart())
                    } else {
                        String::new()
                    }
                }}
            </span>
        </div>
    }
}

/// An error box with the API's own words.
#[component]
pub fn ErrorBox(error: ApiError) -> impl IntoView {
    view! {
        <div class="error" role="alert">
            <p>{error.detail()}</p>
        </div>
    }
}

/// A placeholder while loading; keeps its room so the layout does not jump.
#[component]
pub fn Loading(#[prop(optional, into)] label: Option<String>) -> impl IntoView {
    view! {
        <p class="loading" role="status" aria-live="polite">
            {label.unwrap_or_else(|| "Loading…".to_owned())}
        </p>
    }
}

/// Skeleton cards for a grid being loaded.
#[component]
pub fn CardSkeletons(count: usize) -> impl IntoView {
    view! {
        <ul class="grid" aria-busy="true" aria-label="Loading books">
            {(0..count).map(|_| view! { <li class="card skeleton" aria-hidden="true"></li> }).collect_view()}
        </ul>
    }
}

/// Names the page in the browser's title (tabs, history, and what a screen reader announces
/// first on arriving), kept in step with `what`; `App` formats it as `<what> · Bookstore`.
/// Part of the page's view.
pub fn page_title(what: impl Fn() -> String + Send + Sync + 'static) -> impl IntoView {
    view! { <leptos_meta::Title text=what /> }
}

/// Writes `text` to the clipboard; `false` when the browser has no clipboard API here (an
/// insecure origin) or refused.
async fn copy_to_clipboard(text: &str) -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    let navigator = window.navigator();
    let has = js_sys::Reflect::get(&navigator, &"clipboard".into())
        .map(|c| !c.is_undefined() && !c.is_null())
        .unwrap_or(false);
    if !has {
        return false;
    }
    let promise = navigator.clipboard().write_text(text);
    wasm_bindgen_futures::JsFuture::from(promise).await.is_ok()
}

/// A secret shown once (a webhook's signing secret, an API key): selectable, with a copy
/// button and a plain warning. `what` names it ("signing secret"), `input_id` is its field's
/// id, `children` say what it is for; `note` says more (after a rotation: until when the old
/// secret signs too).
#[component]
pub fn SecretBox(
    secret: String,
    heading: String,
    what: &'static str,
    input_id: &'static str,
    #[prop(optional)] note: Option<String>,
    on_done: impl Fn() + Copy + Send + Sync + 'static,
    children: Children,
) -> impl IntoView {
    let input = NodeRef::<leptos::html::Input>::new();
    let copied: RwSignal<Option<&'static str>> = RwSignal::new(None);
    let node = NodeRef::<leptos::html::Div>::new();
    // Moves focus (and the view) to the secret: it is the one thing to do now.
    Effect::new(move |_| {
        if let Some(el) = node.get() {
            let _ = el.focus();
        }
    });
    let select = move || {
        if let Some(el) = input.get_untracked() {
            el.select();
        }
    };
    let label = heading.clone();
    let for_copy = secret.clone();
    let copy = move |_| {
        let text = for_copy.clone();
        select();
        spawn_local(async move {
            copied.set(Some(if copy_to_clipboard(&text).await {
                "Copied to the clipboard."
            } else {
                "Selected: press Ctrl+C (⌘C) to copy."
            }));
        });
    };
    view! {
        <div class="secret-box" role="region" aria-label=label tabindex="-1" node_ref=node>
            <h2>{heading}</h2>
            <p class="secret-warning">
                <strong>{format!("Copy this {what} now: it will not be shown again.")}</strong>
                " "
                {children()}
            </p>
            {note.map(|n| view! { <p>{n}</p> })}
            <div class="secret-row">
                <label for=input_id class="sr-only">{what}</label>
                <input
                    id=input_id
                    class="secret"
                    readonly
                    spellcheck="false"
                    autocomplete="off"
                    value=secret
                    node_ref=input
                    on:focus=move |_| select()
                />
                <button type="button" class="btn primary" id="copy-secret" on:click=copy>"Copy"</button>
            </div>
            <p class="muted" role="status">{move || copied.get()}</p>
            <button type="button" class="btn" on:click=move |_| on_done()>"I have saved it"</button>
        </div>
    }
}
