//! One book: details, live availability, and "add to cart" with a quantity bounded by stock;
//! when it is sold out, a shopper may ask to be mailed once it is back.
use crate::api::ApiError;
use crate::components::{AddToCart, Availability, Cover, ErrorBox, Loading, money};
use crate::live::use_live;
use crate::session::use_session;
use crate::use_api;
use bookstore_model::{Book, BookId, ProblemCode, Quantity};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

#[component]
pub fn BookPage() -> impl IntoView {
    let api = use_api();
    let live = use_live();
    let params = use_params_map();
    let id = Memo::new(move |_| {
        params
            .read()
            .get("id")
            .and_then(|s| s.parse::<BookId>().ok())
    });
    let reload = RwSignal::new(0u32);
    let book = LocalResource::new(move || {
        let id = id.get();
        reload.track();
        async move {
            match id {
                Some(id) => api.book(id).await.map(Some),
                None => Ok(None),
            }
        }
    });
    live.watch(move || id.get().into_iter().collect());
    // An admin edit bumps the book's version (a sale does not): reload the details when the
    // announced version is not the one shown. The memo keeps other books' stock events, and
    // this book's sales, from reloading the page (and resetting the quantity typed).
    let announced = Memo::new(move |_| id.get().and_then(|id| live.version(id)));
    Effect::new(move |_| {
        let Some(version) = announced.get() else {
            return;
        };
        let shown = book.with_untracked(|b| match b {
            Some(Ok(Some(b))) => Some(b.version),
            _ => None,
        });
        if shown.is_some_and(|v| v != version) {
            reload.update(|n| *n += 1);
        }
    });

    view! {
        <section class="page book-page">
            <p class="crumbs"><A href="/books">"← Catalogue"</A></p>
            <Transition fallback=|| view! { <Loading label="Loading the book…" /> }>
                {move || Suspend::new(async move {
                    match book.await {
                        Ok(Some(b)) => view! { <BookDetails book=b /> }.into_any(),
                        Ok(None) => view! { <h1>"No such book"</h1> }.into_any(),
                        Err(e) if e.status == Some(404) => view! {
                            <h1>"No such book"</h1>
                            <p>"This book is not in the catalogue (any more)."</p>
                        }.into_any(),
                        Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn BookDetails(book: Book) -> impl IntoView {
    let live = use_live();
    let id = book.id;
    let initial = book.stock;
    let stock = move || live.stock(id, initial);
    let title = book.title.to_string();
    let title = crate::components::page_title(move || title.clone());
    // The input's bound: the stock, and never more than one order line may hold.
    let limit = move || {
        u32::try_from(stock().max(1))
            .unwrap_or(1)
            .min(Quantity::MAX)
    };
    let quantity = RwSignal::new(1u32);
    // Never more than the stock, never less than one.
    Effect::new(move |_| {
        let max = limit();
        if quantity.get_untracked() > max {
            quantity.set(max);
        }
    });
    let authors = book
        .authors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    view! {
        {title}
        <article class="book" data-book-id=book.id.to_string()>
            <Cover id=book.id title=book.title.to_string() large=true />
            <div class="book-info">
                <h1>{book.title.to_string()}</h1>
                <p class="authors">"by " {authors}</p>
                <p class="price big">{money(book.price_cents.get(), book.currency.as_str())}</p>
                <p><Availability id=book.id stock=book.stock /></p>
                <div class="buy">
                    <label for="qty">"Quantity"</label>
                    <input
                        id="qty"
                        type="number"
                        min="1"
                        max=move || limit().to_string()
                        prop:value=move || quantity.get().to_string()
                        on:input=move |ev| {
                            // Half-typed input (empty) is left alone until it is a number.
                            let max = limit();
                            if let Ok(n) = event_target_value(&ev).trim().parse::<u32>() {
                                quantity.set(n.clamp(1, max));
                            }
                        }
                        disabled=move || stock() <= 0
                    />
                    <AddToCart book=book.clone() quantity=Signal::derive(move || quantity.get()) />
                </div>
                <Show when=move || { stock() <= 0 && !live.is_removed(id) }>
                    <NotifyMe id=id />
                </Show>
                <dl class="facts">
                    <dt>"Genre"</dt>
                    <dd><A href=format!("/books?genre={}", js_sys::encode_uri_component(book.genre.as_str()))>{book.genre.to_string()}</A></dd>
                    <dt>"ISBN"</dt>
                    <dd class="isbn">{book.isbn.to_string()}</dd>
                    <dt>"Published"</dt>
                    <dd>{book.published_year}</dd>
                </dl>
                <p class="description">{book.description.to_string()}</p>
            </div>
        </article>
    }
}

/// Where the "notify me" request stands (the API does not say whether one is pending, so the
/// page starts from "not asked").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Notify {
    NotAsked,
    Asked,
    /// Refused with 409 `in_stock`: copies came back meanwhile.
    InStock,
}

/// "Notify me when it's back", for a sold-out book: a signed-in shopper asks (and may undo);
/// others are invited to log in first. Admins are not shoppers.
#[component]
fn NotifyMe(id: BookId) -> impl IntoView {
    let api = use_api();
    let session = use_session();
    let state = RwSignal::new(Notify::NotAsked);
    let busy = RwSignal::new(false);
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let act = move |ask: bool| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let r = if ask {
                api.notify_me(id).await
            } else {
                api.stop_notifying(id).await
            };
            busy.set(false);
            match r {
                Ok(()) => state.set(if ask { Notify::Asked } else { Notify::NotAsked }),
                Err(e) if e.code() == Some(ProblemCode::InStock) => state.set(Notify::InStock),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let login = format!(
        "/login?next={}",
        js_sys::encode_uri_component(&format!("/books/{id}"))
    );
    view! {
        <div class="notify-me" aria-live="polite">
            <Show
                when=move || session.is_logged_in()
                fallback=move || view! {
                    <p class="notify-login">
                        <A href=login.clone()>"Log in"</A>
                        " to be mailed when this book is back in stock."
                    </p>
                }
            >
                <Show when=move || !session.is_admin()>
                    {move || match state.get() {
                        Notify::NotAsked => view! {
                            <button
                                type="button"
                                class="btn"
                                id="notify-me"
                                disabled=move || busy.get()
                                on:click=move |_| act(true)
                            >
                                "Notify me when it's back"
                            </button>
                        }.into_any(),
                        Notify::Asked => view! {
                            <p class="notice" role="status">
                                "We'll mail you once when this book is back in stock. "
                                <button
                                    type="button"
                                    class="btn link"
                                    id="notify-undo"
                                    disabled=move || busy.get()
                                    on:click=move |_| act(false)
                                >
                                    "Undo"
                                </button>
                            </p>
                        }.into_any(),
                        Notify::InStock => view! {
                            <p class="notice" role="status">
                                "No need to wait: copies are back in stock, so there is nothing to notify you of. Reload the page to buy one."
                            </p>
                        }.into_any(),
                    }}
                </Show>
            </Show>
            {move || error.get().map(|e| view! { <ErrorBox error=e /> })}
        </div>
    }
}
