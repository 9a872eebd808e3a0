//! Add a book. Field rules come from the shared model; whatever the API still refuses (an ISBN
//! already taken, a year out of range) is shown in the API's own words.
use super::{AdminOnly, BookFields, BookForm};
use crate::use_api;
use bookstore_model::NewBook;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;

#[component]
pub fn NewBookPage() -> impl IntoView {
    let title = crate::components::page_title(|| "New book".to_owned());
    view! {
        {title}
        <AdminOnly>
            <NewBookScreen />
        </AdminOnly>
    }
}

#[component]
fn NewBookScreen() -> impl IntoView {
    let api = use_api();
    let navigate = use_navigate();
    let form = BookForm::empty();
    let stock = RwSignal::new(String::from("0"));
    let busy = RwSignal::new(false);
    let error: RwSignal<Option<String>> = RwSignal::new(None);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let details = match form.details() {
            Ok(d) => d,
            Err(msg) => {
                error.set(Some(msg));
                return;
            }
        };
        let Ok(stock) = stock.get_untracked().trim().parse::<i64>() else {
            error.set(Some("Initial stock: enter a whole number.".into()));
            return;
        };
        let book = NewBook::from_details(details, stock);
        busy.set(true);
        error.set(None);
        let navigate = navigate.clone();
        spawn_local(async move {
            match api.create_book(&book).await {
                Ok(b) => navigate(&format!("/books/{}", b.id), Default::default()),
                Err(e) => error.set(Some(e.detail())),
            }
            busy.set(false);
        });
    };

    view! {
        <section class="page admin narrow">
            <p class="crumbs"><A href="/admin">"← Inventory"</A></p>
            <h1>"Add a book"</h1>
            <form class="form" on:submit=submit id="new-book">
                <BookFields form=form prefix="new".to_owned() />
                <div class="field">
                    <label for="new-stock">"Initial stock"</label>
                    <input id="new-stock" type="number" min="0" prop:value=move || stock.get() on:input=move |ev| stock.set(event_target_value(&ev)) />
                </div>
                {move || error.get().map(|m| view! { <div class="error" role="alert" id="new-book-error"><p>{m}</p></div> })}
                <button type="submit" class="btn primary" disabled=move || busy.get()>
                    {move || if busy.get() { "Adding…" } else { "Add the book" }}
                </button>
            </form>
        </section>
    }
}
