//! The home page: best sellers and new arrivals, both live.
use crate::components::{BookCard, CardSkeletons, ErrorBox};
use crate::live::use_live;
use crate::use_api;
use bookstore_model::{BookQuery, BookSort};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;

#[component]
pub fn Home() -> impl IntoView {
    let title = crate::components::page_title(String::new);
    let api = use_api();
    let live = use_live();
    let best = LocalResource::new(move || async move { api.bestsellers(6).await });
    let newest = LocalResource::new(move || {
        // Reloads when the catalogue gets a new book.
        live.catalogue_changes();
        async move {
            api.books(&BookQuery {
                sort: Some(BookSort::Newest),
                limit: Some(6),
                ..Default::default()
            })
            .await
        }
    });
    live.watch(move || {
        let mut ids: Vec<_> = best
            .get()
            .and_then(Result::ok)
            .map(|b| b.into_iter().map(|b| b.book.id).collect())
            .unwrap_or_default();
        if let Some(Ok(page)) = newest.get() {
            ids.extend(page.items.iter().map(|b| b.id));
        }
        ids
    });

    // The catalogue's search, within the app (a plain GET form would load the whole app
    // again); without WASM the form still works as a GET to /books.
    let query = NodeRef::<leptos::html::Input>::new();
    let navigate = use_navigate();
    let search = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let q = query.get().map(|i| i.value()).unwrap_or_default();
        let q = q.trim();
        let to = if q.is_empty() {
            "/books".to_owned()
        } else {
            format!("/books?q={}", js_sys::encode_uri_component(q))
        };
        navigate(&to, Default::default());
    };

    view! {
        {title}
        <section class="page home">
            <div class="hero">
                <h1>"Find your next book"</h1>
                <form class="search" role="search" action="/books" method="get" on:submit=search>
                    <label for="home-q" class="sr-only">"Search by title, author or ISBN"</label>
                    <input id="home-q" name="q" type="search" placeholder="Title, author or ISBN" node_ref=query />
                    <button class="btn primary" type="submit">"Search"</button>
                </form>
            </div>
            <section aria-labelledby="best-h">
                <h2 id="best-h">"Best sellers"</h2>
                <Transition fallback=|| view! { <CardSkeletons count=6 /> }>
                    {move || Suspend::new(async move {
                        match best.await {
                            Ok(list) if list.is_empty() => {
                                view! { <p class="muted">"Nothing sold yet: be the first."</p> }.into_any()
                            }
                            Ok(list) => view! {
                                <ul class="grid" id="bestsellers">
                                    {list.into_iter().map(|b| view! { <BookCard book=b.book /> }).collect_view()}
                                </ul>
                            }.into_any(),
                            Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                        }
                    })}
                </Transition>
            </section>
            <section aria-labelledby="new-h">
                <h2 id="new-h">"New arrivals"</h2>
                <Transition fallback=|| view! { <CardSkeletons count=6 /> }>
                    {move || Suspend::new(async move {
                        match newest.await {
                            Ok(page) => view! {
                                <ul class="grid" id="new-arrivals">
                                    {page.items.into_iter().map(|b| view! { <BookCard book=b /> }).collect_view()}
                                </ul>
                            }.into_any(),
                            Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                        }
                    })}
                </Transition>
                <p><A href="/books?sort=newest">"All new books"</A></p>
            </section>
        </section>
    }
}
