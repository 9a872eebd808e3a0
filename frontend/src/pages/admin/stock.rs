//! Stock levels: every book's stock, sales and low-stock threshold, sortable and filterable,
//! with a "Low stock" view and its count; each book's threshold editable in place (blank: the
//! shop's default).
use super::AdminOnly;
use crate::api::ApiError;
use crate::components::ErrorBox;
use crate::use_api;
use bookstore_model::{BookId, InventoryItem, InventoryQuery, InventorySort};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;

const PAGE: u32 = 25;

/// Which books the screen lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum View {
    All,
    Low,
    Out,
}

#[component]
pub fn StockLevels() -> impl IntoView {
    let title = crate::components::page_title(|| "Stock levels".to_owned());
    view! {
        {title}
        <AdminOnly>
            <StockScreen />
        </AdminOnly>
    }
}

fn sort_label(s: InventorySort) -> &'static str {
    match s {
        InventorySort::Title => "Title A–Z",
        InventorySort::TitleDesc => "Title Z–A",
        InventorySort::Genre => "Genre A–Z",
        InventorySort::GenreDesc => "Genre Z–A",
        InventorySort::Stock => "Stock: lowest first",
        InventorySort::StockDesc => "Stock: highest first",
        InventorySort::Sold => "Sold: fewest first",
        InventorySort::SoldDesc => "Sold: most first",
    }
}

#[component]
fn StockScreen() -> impl IntoView {
    let api = use_api();
    let view_of = RwSignal::new(View::All);
    let sort = RwSignal::new(InventorySort::Title);
    let genre = RwSignal::new(String::new());
    let text = RwSignal::new(String::new());
    let applied_text = RwSignal::new(String::new());
    let genres: RwSignal<Vec<String>> = RwSignal::new(Vec::new());
    let back: RwSignal<Vec<Option<String>>> = RwSignal::new(Vec::new());
    let current: RwSignal<Option<String>> = RwSignal::new(None);
    let next: RwSignal<Option<String>> = RwSignal::new(None);
    let items: RwSignal<Vec<InventoryItem>> = RwSignal::new(Vec::new());
    let matching = RwSignal::new(0u64);
    let low_count = RwSignal::new(0u64);
    let loading = RwSignal::new(true);
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let generation = StoredValue::new(0u64);

    spawn_local(async move {
        if let Ok(list) = api.genres().await {
            genres.set(list.into_iter().map(|g| g.genre.to_string()).collect());
        }
    });

    let load = move || {
        let v = view_of.get_untracked();
        let q = InventoryQuery {
            sort: Some(sort.get_untracked()),
            genre: Some(genre.get_untracked()).filter(|g| !g.is_empty()),
            q: Some(applied_text.get_untracked()).filter(|t| !t.trim().is_empty()),
            low: (v == View::Low).then_some(true),
            out_of_stock: (v == View::Out).then_some(true),
            limit: Some(PAGE),
            cursor: current.get_untracked(),
        };
        let g = generation.get_value() + 1;
        generation.set_value(g);
        loading.set(true);
        spawn_local(async move {
            let r = api.inventory(&q).await;
            if generation.get_value() != g {
                return;
            }
            match r {
                Ok(page) => {
                    items.set(page.items);
                    next.set(page.next_cursor);
                    matching.set(page.matching);
                    low_count.set(page.low_stock);
                    error.set(None);
                }
                Err(e) => error.set(Some(e)),
            }
            loading.set(false);
        });
    };
    Effect::new(move |_| {
        view_of.track();
        sort.track();
        genre.track();
        applied_text.track();
        current.track();
        load();
    });
    // A new listing starts at its first page.
    let restart = move || {
        back.set(Vec::new());
        current.set(None);
    };
    let choose = move |v: View| {
        restart();
        view_of.set(v);
    };
    let on_search = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        restart();
        applied_text.set(text.get_untracked());
    };
    let go_next = move |_| {
        if let Some(n) = next.get_untracked() {
            back.update(|b| b.push(current.get_untracked()));
            current.set(Some(n));
        }
    };
    let go_prev = move |_| {
        let mut stack = back.get_untracked();
        if let Some(prev) = stack.pop() {
            back.set(stack);
            current.set(prev);
        }
    };
    let tab = move |v: View, id: &'static str, label: Box<dyn Fn() -> String + Send + Sync>| {
        view! {
            <button
                type="button"
                id=id
                class="tab"
                aria-pressed=move || (view_of.get() == v).to_string()
                on:click=move |_| choose(v)
            >
                {label}
            </button>
        }
    };

    view! {
        <section class="page admin stock-levels">
            <h1>"Stock levels"</h1>
            <div class="tabs" role="group" aria-label="Which books">
                {tab(View::All, "view-all", Box::new(|| "All books".to_owned()))}
                {tab(View::Low, "view-low", Box::new(move || format!("Low stock ({})", low_count.get())))}
                {tab(View::Out, "view-out", Box::new(|| "Out of stock".to_owned()))}
            </div>
            <form class="filters" role="search" on:submit=on_search>
                <div class="field grow">
                    <label for="stock-q">"Title"</label>
                    <div class="inline">
                        <input
                            id="stock-q"
                            type="search"
                            placeholder="Part of a title"
                            prop:value=move || text.get()
                            on:input=move |ev| text.set(event_target_value(&ev))
                        />
                        <button class="btn" type="submit">"Filter"</button>
                    </div>
                </div>
                <div class="field">
                    <label for="stock-genre">"Genre"</label>
                    <select
                        id="stock-genre"
                        on:change=move |ev| {
                            restart();
                            genre.set(event_target_value(&ev));
                        }
                    >
                        <option value="" selected=move || genre.get().is_empty()>"All genres"</option>
                        {move || {
                            genres
                                .get()
                                .into_iter()
                                .map(|g| {
                                    let selected = g == genre.get();
                                    view! { <option value=g.clone() selected=selected>{g.clone()}</option> }
                                })
                                .collect_view()
                        }}
                    </select>
                </div>
                <div class="field">
                    <label for="stock-sort">"Sort by"</label>
                    <select
                        id="stock-sort"
                        on:change=move |ev| {
                            let v = event_target_value(&ev);
                            if let Some(s) = InventorySort::ALL.iter().find(|s| s.as_str() == v) {
                                restart();
                                sort.set(*s);
                            }
                        }
                    >
                        {InventorySort::ALL
                            .iter()
                            .map(|s| {
                                let s = *s;
                                view! { <option value=s.as_str() selected=move || sort.get() == s>{sort_label(s)}</option> }
                            })
                            .collect_view()}
                    </select>
                </div>
            </form>
            <p class="results-status" role="status" aria-live="polite">
                {move || match (loading.get(), matching.get()) {
                    (true, _) if items.with(Vec::is_empty) => "Loading…".to_owned(),
                    (_, 0) => "No books match.".to_owned(),
                    (_, 1) => "1 book".to_owned(),
                    (_, n) => format!("{n} books"),
                }}
            </p>
            {move || error.get().map(|e| view! { <ErrorBox error=e /> })}
            <div class="table-wrap">
                <table class="stock-table stack" aria-busy=move || loading.get().to_string()>
                    <thead>
                        <tr>
                            <th scope="col">"Title"</th>
                            <th scope="col">"Genre"</th>
                            <th scope="col" class="num">"Stock"</th>
                            <th scope="col" class="num">"Sold"</th>
                            <th scope="col">"Low-stock threshold"</th>
                        </tr>
                    </thead>
                    <tbody>
                        <For each=move || items.get() key=|i| (i.id, i.version, i.stock) let:item>
                            <StockRow item=item on_saved=move || load() />
                        </For>
                    </tbody>
                </table>
            </div>
            <div class="buttons pager">
                <button type="button" class="btn" disabled=move || back.with(Vec::is_empty) on:click=go_prev>"Previous"</button>
                <button type="button" class="btn" disabled=move || next.with(Option::is_none) on:click=go_next>"Next"</button>
            </div>
        </section>
    }
}

#[component]
fn StockRow(
    item: InventoryItem,
    on_saved: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let api = use_api();
    let id: BookId = item.id;
    let input_id = format!("threshold-{id}");
    let value = RwSignal::new(
        item.low_stock_threshold
            .map(|t| t.to_string())
            .unwrap_or_default(),
    );
    let busy = RwSignal::new(false);
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    let default_hint = format!("Default ({})", item.effective_threshold);
    let title = item.title.to_string();
    let label = format!("Low-stock threshold of {title}");
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let raw = value.get_untracked();
        let threshold = match raw.trim() {
            "" => None,
            t => match t.parse::<u32>() {
                Ok(n) if n <= bookstore_model::MAX_LOW_STOCK_THRESHOLD => Some(n),
                _ => {
                    error.set(Some(
                        "A whole number from 0 to 1000000, or blank for the default.".into(),
                    ));
                    return;
                }
            },
        };
        busy.set(true);
        spawn_local(async move {
            match api.set_low_stock_threshold(id, threshold).await {
                Ok(_) => {
                    error.set(None);
                    on_saved();
                }
                Err(e) => error.set(Some(e.detail())),
            }
            busy.set(false);
        });
    };
    let class = if item.stock <= 0 {
        "inv-row out"
    } else if item.low {
        "inv-row low"
    } else {
        "inv-row"
    };
    let flag = if item.stock <= 0 {
        Some("Out")
    } else if item.low {
        Some("Low")
    } else {
        None
    };
    view! {
        <tr class=class>
            <th scope="row">
                <A href=format!("/books/{id}")>{title}</A>
                {flag.map(|f| view! { <span class="tag">{f}</span> })}
            </th>
            <td data-label="Genre">{item.genre.to_string()}</td>
            <td data-label="Stock" class="num">{item.stock}</td>
            <td data-label="Sold" class="num">{item.sold}</td>
            <td class="full" data-label="Low-stock threshold">
                <form class="threshold-form" on:submit=save>
                    <label class="sr-only" for=input_id.clone()>{label}</label>
                    <input
                        id=input_id
                        class="qty"
                        type="number"
                        min="0"
                        max="1000000"
                        inputmode="numeric"
                        placeholder=default_hint
                        prop:value=move || value.get()
                        on:input=move |ev| value.set(event_target_value(&ev))
                    />
                    <button class="btn" type="submit" disabled=move || busy.get()>"Save"</button>
                </form>
                {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            </td>
        </tr>
    }
}
