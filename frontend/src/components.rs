//! Small building blocks shared by the pages.
use crate::api::ApiError;
use crate::cart::use_cart;
use crate::live::use_live;
use bookstore_model::{Book, BookId};
use leptos::prelude::*;
use leptos_router::components::A;

/// `1234` USD → `$12.34`; other currencies → `12.34 EUR`.
pub fn money(cents: i64, currency: &str) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    let amount = format!("{}.{:02}", abs / 100, abs % 100);
    match currency {
        "USD" => format!("{sign}${amount}"),
        "EUR" => format!("{sign}€{amount}"),
        "GBP" => format!("{sign}£{amount}"),
        other => format!("{sign}{amount} {other}"),
    }
}

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

/// How availability reads for a stock level.
pub fn availability(stock: i64) -> String {
    match stock {
        i64::MIN..=0 => "Out of stock".to_owned(),
        1..=10 => format!("{stock} left"),
        _ => "In stock".to_owned(),
    }
}

/// The first 8 characters of an id, for display.
pub fn short_id(id: impl ToString) -> String {
    id.to_string().chars().take(8).collect()
}

/// A cover placeholder: the title's initials on a colour derived from the id.
#[component]
pub fn Cover(id: BookId, title: String, #[prop(optional)] large: bool) -> impl IntoView {
    let hue =
        id.0.as_bytes()
            .iter()
            .fold(0u32, |h, b| h.wrapping_mul(31) + u32::from(*b))
            % 360;
    let initials: String = title
        .split_whitespace()
        .filter_map(|w| w.chars().next())
        .filter(|c| c.is_alphanumeric())
        .take(2)
        .collect();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_and_availability_read_well() {
        assert_eq!(money(1250, "USD"), "$12.50");
        assert_eq!(money(5, "EUR"), "€0.05");
        assert_eq!(money(-300, "USD"), "-$3.00");
        assert_eq!(money(199, "CHF"), "1.99 CHF");
        assert_eq!(availability(0), "Out of stock");
        assert_eq!(availability(3), "3 left");
        assert_eq!(availability(11), "In stock");
    }
}
