//! The catalogue: search (title, author, ISBN), genre filter, sort, and "Load more" over the
//! API's cursors. The filters live in the URL (`/books?q=…&genre=…&sort=…`), so a reload or
//! the back button keeps them.
use crate::api::ApiError;
use crate::components::{BookCard, CardSkeletons, ErrorBox};
use crate::live::use_live;
use crate::use_api;
use bookstore_model::{Book, BookQuery, BookSort};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_navigate, use_query_map};

const PAGE: u32 = 20;

fn parse_sort(s: &str) -> BookSort {
    match s {
        "price" => BookSort::PriceAsc,
        "-price" => BookSort::PriceDesc,
        "newest" => BookSort::Newest,
        _ => BookSort::Title,
    }
}

fn url_of(q: &str, genre: &str, sort: &str) -> String {
    let mut parts = Vec::new();
    for (k, v) in [("q", q), ("genre", genre), ("sort", sort)] {
        let default_sort = k == "sort" && v == "title";
        if !v.trim().is_empty() && !default_sort {
            parts.push(format!("{k}={}", js_sys::encode_uri_component(v.trim())));
        }
    }
    if parts.is_empty() {
        "/books".to_owned()
    } else {
        format!("/books?{}", parts.join("&"))
    }
}

#[component]
pub fn Catalogue() -> impl IntoView {
    let api = use_api();
    let live = use_live();
    let query = use_query_map();
    let navigate = use_navigate();

    let q = Memo::new(move |_| query.read().get("q").unwrap_or_default());
    let genre = Memo::new(move |_| query.read().get("genre").unwrap_or_default());
    let sort = Memo::new(move |_| query.read().get("sort").unwrap_or_else(|| "title".into()));
    let title = crate::components::page_title(move || {
        let (q, genre) = (q.get(), genre.get());
        match (q.trim(), genre.as_str()) {
            ("", "") => "Catalogue".to_owned(),
            ("", g) => format!("{g} books"),
            (q, _) => format!("Search: {q}"),
        }
    });

    let books: RwSignal<Vec<Book>> = RwSignal::new(Vec::new());
    let cursor: RwSignal<Option<String>> = RwSignal::new(None);
    let loading = RwSignal::new(true);
    let loaded_once = RwSignal::new(false);
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    // Answers to an older query are dropped.
    let generation = StoredValue::new(0u64);

    let base = move || BookQuery {
        q: Some(q.get()).filter(|s| !s.trim().is_empty()),
        genre: Some(genre.get()).filter(|s| !s.is_empty()),
        sort: Some(parse_sort(&sort.get())),
        limit: Some(PAGE),
        cursor: None,
    };

    // (Re)loads the first page when the filters change, and when the catalogue gets a new
    // book (keeping as many books as were shown).
    Effect::new(move |prev: Option<BookQuery>| {
        let mut bq = base();
        live.catalogue_changes();
        if prev.as_ref() == Some(&bq) {
            let shown = books.with_untracked(Vec::len) as u32;
            bq.limit = Some(shown.clamp(PAGE, 100));
        }
        let gen_now = generation.get_value() + 1;
        generation.set_value(gen_now);
        loading.set(true);
        let req = bq.clone();
        spawn_local(async move {
            let r = api.books(&req).await;
            if generation.get_value() != gen_now {
                return;
            }
            match r {
                Ok(page) => {
                    books.set(page.items);
                    cursor.set(page.next_cursor);
                    error.set(None);
                }
                Err(e) => error.set(Some(e)),
            }
            loading.set(false);
            loaded_once.set(true);
        });
        base()
    });

    let load_more = move |_| {
        let Some(c) = cursor.get_untracked() else {
            return;
        };
        let mut bq = base();
        bq.cursor = Some(c);
        let gen_now = generation.get_value();
        loading.set(true);
        spawn_local(async move {
            let r = api.books(&bq).await;
            if generation.get_value() != gen_now {
                return;
            }
            match r {
                Ok(page) => {
                    books.update(|b| b.extend(page.items));
                    cursor.set(page.next_cursor);
                    error.set(None);
                }
                Err(e) => error.set(Some(e)),
            }
            loading.set(false);
        });
    };

    live.watch(move || books.with(|b| b.iter().map(|b| b.id).collect()));

    let genres = LocalResource::new(move || async move { api.genres().await });

    let search_text = RwSignal::new(String::new());
    Effect::new(move |_| search_text.set(q.get()));
    let nav_search = navigate.clone();
    let on_search = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        nav_search(
            &url_of(
                &search_text.get_untracked(),
                &genre.get_untracked(),
                &sort.get_untracked(),
            ),
            Default::default(),
        );
    };
    let nav_genre = navigate.clone();
    let on_genre = move |ev: leptos::ev::Event| {
        nav_genre(
            &url_of(
                &q.get_untracked(),
                &event_target_value(&ev),
                &sort.get_untracked(),
            ),
            Default::default(),
        );
    };
    let nav_sort = navigate.clone();
    let on_sort = move |ev: leptos::ev::Event| {
        nav_sort(
            &url_of(
                &q.get_untracked(),
                &genre.get_untracked(),
                &event_target_value(&ev),
            ),
            Default::default(),
        );
    };

    view! {
        {title}
        <section class="page catalogue">
            <h1>"Catalogue"</h1>
            <form class="filters" role="search" on:submit=on_search>
                <div class="field grow">
                    <label for="q">"Search"</label>
                    <div class="inline">
                        <input
                            id="q"
                            name="q"
                            type="search"
                            placeholder="Title, author or ISBN"
                            prop:value=move || search_text.get()
                            on:input=move |ev| search_text.set(event_target_value(&ev))
                        />
                        <button class="btn primary" type="submit">"Search"</button>
                    </div>
                </div>
                <div class="field">
                    <label for="genre">"Genre"</label>
                    <select id="genre" on:change=on_genre prop:value=move || genre.get()>
                        <option value="">"All genres"</option>
                        {move || {
                            genres
                                .get()
                                .and_then(Result::ok)
                                .unwrap_or_default()
                                .into_iter()
                                .map(|g| {
                                    let name = g.genre.to_string();
                                    let selected = name == genre.get();
                                    view! {
                                        <option value=name.clone() selected=selected>
                                            {format!("{name} ({})", g.count)}
                                        </option>
                                    }
                                })
                                .collect_view()
                        }}
                    </select>
                </div>
                <div class="field">
                    <label for="sort">"Sort by"</label>
                    <select id="sort" on:change=on_sort prop:value=move || sort.get()>
                        <option value="title">"Title"</option>
                        <option value="price">"Price: low to high"</option>
                        <option value="-price">"Price: high to low"</option>
                        <option value="newest">"Newest"</option>
                    </select>
                </div>
            </form>
            <p class="results-status" role="status" aria-live="polite">
                {move || {
                    if loading.get() && !loaded_once.get() {
                        "Loading…".to_owned()
                    } else {
                        let n = books.with(Vec::len);
                        let more = if cursor.with(Option::is_some) { "+" } else { "" };
                        match n {
                            0 => "No books match.".to_owned(),
                            1 => "1 book".to_owned(),
                            n => format!("{n}{more} books"),
                        }
                    }
                }}
            </p>
            {move || error.get().map(|e| view! { <ErrorBox error=e /> })}
            <Show when=move || loaded_once.get() fallback=|| view! { <CardSkeletons count=8 /> }>
                <ul class="grid" id="results" aria-busy=move || loading.get().to_string()>
                    <For each=move || books.get() key=|b| (b.id, b.version) let:book>
                        <BookCard book=book />
                    </For>
                </ul>
            </Show>
            <div class="pager">
                <Show when=move || cursor.with(Option::is_some)>
                    <button type="button" class="btn" on:click=load_more disabled=move || loading.get()>
                        {move || if loading.get() { "Loading…" } else { "Load more" }}
                    </button>
                </Show>
            </div>
        </section>
    }
}
