//! The admin screens. Each renders only for a session with its role (owner or staff; owner
//! for the staff, API keys, webhooks and the audit log): anyone else sees a notice, and no
//! admin request is ever sent for them.
pub mod api_keys;
pub mod audit;
pub mod csv;
pub mod dashboard;
pub mod inventory;
pub mod new_book;
pub mod order;
pub mod orders;
mod packing_slip;
pub mod staff;
pub mod stock;
pub mod webhooks;

use crate::session::use_session;
use bookstore_model::AuditEntry;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_location;
use serde_json::Value;

/// Renders its children for owners and staff (with `owner`, for owners only).
#[component]
pub fn AdminOnly(#[prop(optional)] owner: bool, children: ChildrenFn) -> impl IntoView {
    let session = use_session();
    let location = use_location();
    let children = StoredValue::new(children);
    let allowed = move || match owner {
        true => session.is_owner(),
        false => session.is_admin(),
    };
    view! {
        <Show
            when=allowed
            fallback=move || {
                if owner && session.is_admin() {
                    view! {
                        <section class="page narrow" id="admin-denied">
                            <h1>"Owners only"</h1>
                            <p>"This part of the shop is for its owners. " <A href="/admin">"Back to the inventory"</A> "."</p>
                        </section>
                    }.into_any()
                } else if session.is_logged_in() {
                    view! {
                        <section class="page narrow" id="admin-denied">
                            <h1>"Admins only"</h1>
                            <p>"This part of the shop is for the shop's staff. " <A href="/books">"Back to the catalogue"</A> "."</p>
                        </section>
                    }.into_any()
                } else {
                    let next = js_sys::encode_uri_component(&location.pathname.get_untracked());
                    view! {
                        <section class="page narrow" id="admin-denied">
                            <h1>"Admins only"</h1>
                            <p><A href=format!("/login?next={next}")>"Log in"</A> " with an admin account."</p>
                        </section>
                    }.into_any()
                }
            }
        >
            {children.read_value()()}
        </Show>
    }
}

/// A value from the audit log, as text.
fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "—".into(),
        Value::Array(a) => a.iter().map(show).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// What an audit entry changed: `(field, before, after)`, bookkeeping fields left out.
pub fn changes(e: &AuditEntry) -> Vec<(String, String, String)> {
    // A whole book appearing or going is not a list of field changes.
    if e.before.is_none() || e.after.is_none() {
        return Vec::new();
    }
    let empty = serde_json::Map::new();
    let before = e
        .before
        .as_ref()
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let after = e
        .after
        .as_ref()
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let mut keys: Vec<&String> = before.keys().chain(after.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| !matches!(k.as_str(), "updated_at" | "created_at" | "id" | "version"))
        .filter_map(|k| {
            let b = before.get(k).unwrap_or(&Value::Null);
            let a = after.get(k).unwrap_or(&Value::Null);
            (b != a).then(|| (k.replace('_', " "), show(b), show(a)))
        })
        .collect()
}

/// `12.99` → 1299.
pub fn parse_price(s: &str) -> Result<i64, String> {
    let s = s.trim().trim_start_matches('$');
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty()
        || frac.len() > 2
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err("price must be an amount such as 12.99".into());
    }
    let whole: i64 = whole.parse().map_err(|_| "price is too large".to_owned())?;
    let frac: i64 = format!("{frac:0<2}").parse().unwrap_or(0);
    whole
        .checked_mul(100)
        .and_then(|w| w.checked_add(frac))
        .ok_or_else(|| "price is too large".into())
}

/// 1299 → `12.99`.
pub fn price_text(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// The editable details of a book, as typed.
#[derive(Clone, Copy)]
pub struct BookForm {
    pub title: RwSignal<String>,
    pub authors: RwSignal<String>,
    pub isbn: RwSignal<String>,
    pub genre: RwSignal<String>,
    pub price: RwSignal<String>,
    pub year: RwSignal<String>,
    pub description: RwSignal<String>,
}

impl BookForm {
    pub fn empty() -> Self {
        Self {
            title: RwSignal::new(String::new()),
            authors: RwSignal::new(String::new()),
            isbn: RwSignal::new(String::new()),
            genre: RwSignal::new(String::new()),
            price: RwSignal::new(String::new()),
            year: RwSignal::new(String::new()),
            description: RwSignal::new(String::new()),
        }
    }

    pub fn of(b: &bookstore_model::Book) -> Self {
        let f = Self::empty();
        f.fill(b);
        f
    }

    pub fn fill(&self, b: &bookstore_model::Book) {
        self.title.set(b.title.to_string());
        self.authors.set(
            b.authors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        );
        self.isbn.set(b.isbn.to_string());
        self.genre.set(b.genre.to_string());
        self.price.set(price_text(b.price_cents.get()));
        self.year.set(b.published_year.to_string());
        self.description.set(b.description.to_string());
    }

    /// The details, checked by the model's own rules (the API's messages). Rules spanning
    /// fields (the year's range, the number of authors) are left to the API.
    pub fn details(&self) -> Result<bookstore_model::BookDetails, String> {
        use bookstore_model::*;
        let authors = self
            .authors
            .get_untracked()
            .split(',')
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(AuthorName::parse)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("Authors: {e}"))?;
        Ok(BookDetails {
            isbn: Isbn::parse(&self.isbn.get_untracked()).map_err(|e| format!("ISBN: {e}"))?,
            title: Title::parse(&self.title.get_untracked()).map_err(|e| format!("Title: {e}"))?,
            authors,
            genre: Genre::parse(&self.genre.get_untracked()).map_err(|e| format!("Genre: {e}"))?,
            description: Description::parse(&self.description.get_untracked())
                .map_err(|e| format!("Description: {e}"))?,
            price_cents: parse_price(&self.price.get_untracked())
                .and_then(|p| PriceCents::parse(p).map_err(|e| e.to_string()))
                .map_err(|e| format!("Price: {e}"))?,
            published_year: self
                .year
                .get_untracked()
                .trim()
                .parse()
                .map_err(|_| "Year: enter a year such as 1999".to_owned())?,
        })
    }
}

/// The labelled inputs of a [`BookForm`]; `prefix` keeps ids unique on the page.
#[component]
pub fn BookFields(form: BookForm, prefix: String) -> impl IntoView {
    let desc_id = format!("{prefix}-description");
    // Every book is priced in the shop's one currency: the label names it.
    let api = crate::use_api();
    let currency = LocalResource::new(move || async move { api.shop_currency().await });
    let price_id = format!("{prefix}-price");
    // A book's genre is one of the shop's list (the API refuses any other).
    let genres = LocalResource::new(move || async move { api.admin_genres().await });
    let genre_id = format!("{prefix}-genre");
    let field =
        move |name: &str, label: &'static str, sig: RwSignal<String>, kind: &'static str| {
            let id = format!("{prefix}-{name}");
            view! {
                <div class="field">
                    <label for=id.clone()>{label}</label>
                    <input
                        id=id
                        name=name.to_owned()
                        type=kind
                        prop:value=move || sig.get()
                        on:input=move |ev| sig.set(event_target_value(&ev))
                    />
                </div>
            }
        };
    view! {
        <div class="fields">
            {field("title", "Title", form.title, "text")}
            {field("authors", "Authors (comma-separated)", form.authors, "text")}
            {field("isbn", "ISBN", form.isbn, "text")}
            <div class="field">
                <label for=genre_id.clone()>"Genre"</label>
                <select
                    id=genre_id
                    name="genre"
                    prop:value=move || form.genre.get()
                    on:change=move |ev| form.genre.set(event_target_value(&ev))
                >
                    <option value="" disabled=true selected=move || form.genre.get().is_empty()>
                        "Choose a genre"
                    </option>
                    {move || {
                        let mut names: Vec<String> = match genres.get() {
                            Some(Ok(list)) => list.into_iter().map(|g| g.genre.to_string()).collect(),
                            _ => Vec::new(),
                        };
                        // The book's own genre, whatever the list's state (it is on it).
                        let current = form.genre.get();
                        if !current.is_empty() && !names.contains(&current) {
                            names.push(current.clone());
                        }
                        names
                            .into_iter()
                            .map(|n| {
                                let selected = n == current;
                                view! { <option value=n.clone() selected=selected>{n.clone()}</option> }
                            })
                            .collect_view()
                    }}
                </select>
            </div>
            <div class="field">
                <label for=price_id.clone()>
                    {move || match currency.get() {
                        Some(Ok(c)) => format!("Price ({c})"),
                        _ => "Price".to_owned(),
                    }}
                </label>
                <input
                    id=price_id
                    name="price"
                    type="text"
                    prop:value=move || form.price.get()
                    on:input=move |ev| form.price.set(event_target_value(&ev))
                />
            </div>
            {field("year", "Year published", form.year, "number")}
            <div class="field wide">
                <label for=desc_id.clone()>"Description"</label>
                <textarea
                    id=desc_id
                    name="description"
                    rows="3"
                    prop:value=move || form.description.get()
                    on:input=move |ev| form.description.set(event_target_value(&ev))
                ></textarea>
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_parse_to_cents_and_back() {
        assert_eq!(parse_price("12.99"), Ok(1299));
        assert_eq!(parse_price("12.9"), Ok(1290));
        assert_eq!(parse_price("$7"), Ok(700));
        assert!(parse_price("12.999").is_err());
        assert!(parse_price("-1").is_err());
        assert!(parse_price("").is_err());
        assert_eq!(price_text(1299), "12.99");
        assert_eq!(price_text(5), "0.05");
    }

    #[test]
    fn an_update_lists_only_the_fields_it_changed() {
        let e = AuditEntry {
            id: bookstore_model::AuditId::new(),
            at: chrono::DateTime::UNIX_EPOCH,
            actor_id: bookstore_model::UserId::new(),
            actor_email: "a@example.com".into(),
            action: "book.update".into(),
            book_id: Some(bookstore_model::BookId::new()),
            user_id: None,
            before: Some(serde_json::json!({"title": "Old", "price_cents": 100, "version": 1})),
            after: Some(serde_json::json!({"title": "Old", "price_cents": 250, "version": 2})),
            note: None,
        };
        assert_eq!(
            changes(&e),
            vec![("price cents".to_owned(), "100".to_owned(), "250".to_owned())]
        );
    }
}
