//! The inventory: search and page through the catalogue, edit details in place (optimistic
//! concurrency: a stale edit is refused with 412, and the screen shows who changed what and
//! offers to reload: it never overwrites), restock, delete with confirmation. Low stock stands
//! out.
use super::{AdminOnly, BookFields, BookForm, changes};
use crate::api::ApiError;
use crate::components::{ErrorBox, Loading, money, when};
use crate::live::use_live;
use crate::use_api;
use bookstore_model::{AuditEntry, Book, BookId, BookQuery, ProblemCode, StockAdjustment};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;

const PAGE: u32 = 20;
/// At or below this, a book is highlighted as low on stock.
pub const LOW_STOCK: i64 = 3;

#[component]
pub fn Inventory() -> impl IntoView {
    let title = crate::components::page_title(|| "Inventory".to_owned());
    view! {
        {title}
        <AdminOnly>
            <InventoryScreen />
        </AdminOnly>
    }
}

#[component]
fn InventoryScreen() -> impl IntoView {
    let api = use_api();
    let live = use_live();
    let search = RwSignal::new(String::new());
    let applied = RwSignal::new(String::new());
    // Cursors of the pages before this one (for "Previous"), this one's, and the next one's.
    let back: RwSignal<Vec<Option<String>>> = RwSignal::new(Vec::new());
    let current: RwSignal<Option<String>> = RwSignal::new(None);
    let next: RwSignal<Option<String>> = RwSignal::new(None);
    let books: RwSignal<Vec<Book>> = RwSignal::new(Vec::new());
    let loading = RwSignal::new(true);
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let notice: RwSignal<Option<String>> = RwSignal::new(None);
    let generation = StoredValue::new(0u64);

    let load = move || {
        let q = BookQuery {
            q: Some(applied.get_untracked()).filter(|s| !s.trim().is_empty()),
            limit: Some(PAGE),
            cursor: current.get_untracked(),
            ..Default::default()
        };
        let g = generation.get_value() + 1;
        generation.set_value(g);
        loading.set(true);
        spawn_local(async move {
            let r = api.books(&q).await;
            if generation.get_value() != g {
                return;
            }
            match r {
                Ok(page) => {
                    books.set(page.items);
                    next.set(page.next_cursor);
                    error.set(None);
                }
                Err(e) => error.set(Some(e)),
            }
            loading.set(false);
        });
    };
    Effect::new(move |_| {
        applied.track();
        current.track();
        load();
    });
    live.watch(move || books.with(|b| b.iter().map(|b| b.id).collect()));

    let on_search = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        back.set(Vec::new());
        current.set(None);
        applied.set(search.get_untracked());
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
    let removed = move |id: BookId, title: String| {
        books.update(|b| b.retain(|x| x.id != id));
        notice.set(Some(format!("Deleted “{title}”.")));
    };

    view! {
        <section class="page admin">
            <div class="title-row">
                <h1>"Inventory"</h1>
                <A href="/admin/books/new" attr:class="btn primary">"Add a book"</A>
            </div>
            <form class="filters" role="search" on:submit=on_search>
                <div class="field grow">
                    <label for="inv-q">"Search the inventory"</label>
                    <div class="inline">
                        <input
                            id="inv-q"
                            type="search"
                            placeholder="Title, author or ISBN"
                            prop:value=move || search.get()
                            on:input=move |ev| search.set(event_target_value(&ev))
                        />
                        <button type="submit" class="btn primary">"Search"</button>
                    </div>
                </div>
            </form>
            {move || notice.get().map(|n| view! { <p class="success" role="status">{n}</p> })}
            {move || error.get().map(|e| view! { <ErrorBox error=e /> })}
            <div class="table-wrap">
                <table class="inventory stack" aria-busy=move || loading.get().to_string()>
                    <caption class="sr-only">"Books in the catalogue"</caption>
                    <thead>
                        <tr>
                            <th scope="col">"Title"</th>
                            <th scope="col">"ISBN"</th>
                            <th scope="col">"Genre"</th>
                            <th scope="col" class="num">"Price"</th>
                            <th scope="col" class="num">"Stock"</th>
                            <th scope="col">"Actions"</th>
                        </tr>
                    </thead>
                    <For each=move || books.get() key=|b| b.id let:book>
                        <InventoryRow book=book on_removed=removed />
                    </For>
                </table>
            </div>
            <Show when=move || loading.get() && books.with(Vec::is_empty)>
                <Loading label="Loading the inventory…" />
            </Show>
            <Show when=move || !loading.get() && books.with(Vec::is_empty) && error.with(Option::is_none)>
                <p>"No books match."</p>
            </Show>
            <nav class="pager" aria-label="Inventory pages">
                <button type="button" class="btn" on:click=go_prev disabled=move || back.with(Vec::is_empty)>"Previous"</button>
                <span>{move || format!("Page {}", back.with(Vec::len) + 1)}</span>
                <button type="button" class="btn" on:click=go_next disabled=move || next.with(Option::is_none)>"Next"</button>
            </nav>
        </section>
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    View,
    Edit,
    Restock,
    ConfirmDelete,
}

/// Why a save was refused: the book as it is now and the change that made the edit stale.
#[derive(Debug, Clone)]
struct Conflict {
    current: Option<Book>,
    entry: Option<AuditEntry>,
}

#[component]
fn InventoryRow(
    book: Book,
    on_removed: impl Fn(BookId, String) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let api = use_api();
    let live = use_live();
    let id = book.id;
    let book = RwSignal::new(book);
    let mode = RwSignal::new(Mode::View);
    let form = BookForm::of(&book.get_untracked());
    let busy = RwSignal::new(false);
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    let saved: RwSignal<Option<String>> = RwSignal::new(None);
    let conflict: RwSignal<Option<Conflict>> = RwSignal::new(None);
    let delta = RwSignal::new(String::from("10"));
    let reason = RwSignal::new(String::from("restock"));

    let stock = move || live.stock(id, book.with(|b| b.stock));
    let low = move || stock() <= LOW_STOCK;
    // Keyboard users land on the safe choice of a confirmation.
    let cancel_delete = NodeRef::<leptos::html::Button>::new();
    Effect::new(move |_| {
        if let Some(b) = cancel_delete.get() {
            let _ = b.focus();
        }
    });

    let start_edit = move |_| {
        form.fill(&book.get_untracked());
        error.set(None);
        saved.set(None);
        conflict.set(None);
        mode.set(Mode::Edit);
    };
    let cancel = move |_| {
        error.set(None);
        conflict.set(None);
        mode.set(Mode::View);
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
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
        let version = book.with_untracked(|b| b.version);
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            match api.update_book(id, version, &details).await {
                Ok(b) => {
                    live.seen(id, b.stock, b.version);
                    book.set(b);
                    mode.set(Mode::View);
                    saved.set(Some("Saved.".into()));
                }
                Err(e) if e.code() == Some(ProblemCode::PreconditionFailed) => {
                    // Someone saved first: show what they changed; never overwrite.
                    let current = api.book(id).await.ok();
                    let entry = api.audit(None, 100).await.ok().and_then(|page| {
                        page.items
                            .into_iter()
                            .find(|e| e.book_id == Some(id) && e.action != "book.stock")
                    });
                    conflict.set(Some(Conflict { current, entry }));
                }
                Err(e) => error.set(Some(e.detail())),
            }
            busy.set(false);
        });
    };
    let reload = move |_| {
        if let Some(current) = conflict.get_untracked().and_then(|c| c.current) {
            form.fill(&current);
            book.set(current);
        }
        conflict.set(None);
        saved.set(Some(
            "Reloaded the latest version; your edit was discarded.".into(),
        ));
        mode.set(Mode::View);
    };
    let restock = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(d) = delta.get_untracked().trim().parse::<i64>() else {
            error.set(Some(
                "Enter a whole number of copies (negative to write off).".into(),
            ));
            return;
        };
        let adj = StockAdjustment {
            delta: d,
            reason: Some(reason.get_untracked()).filter(|r| !r.trim().is_empty()),
        };
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            match api.adjust_stock(id, &adj).await {
                Ok(b) => {
                    live.seen(id, b.stock, b.version);
                    book.set(b);
                    mode.set(Mode::View);
                    saved.set(Some(format!("Stock changed by {d}.")));
                }
                Err(e) => error.set(Some(e.detail())),
            }
            busy.set(false);
        });
    };
    let delete = move |_| {
        let (version, title) = book.with_untracked(|b| (b.version, b.title.to_string()));
        busy.set(true);
        spawn_local(async move {
            match api.delete_book(id, version).await {
                Ok(()) => on_removed(id, title),
                Err(e) => {
                    error.set(Some(e.detail()));
                    mode.set(Mode::View);
                }
            }
            busy.set(false);
        });
    };

    view! {
        <tbody class="inv-row" class:low=low class:out=move || { stock() <= 0 } data-book-id=id.to_string()>
            <tr>
                <th scope="row">
                    <A href=format!("/books/{id}")>{move || book.with(|b| b.title.to_string())}</A>
                    <span class="muted small">{move || book.with(|b| b.authors.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "))}</span>
                </th>
                <td class="isbn" data-label="ISBN">{move || book.with(|b| b.isbn.to_string())}</td>
                <td data-label="Genre">{move || book.with(|b| b.genre.to_string())}</td>
                <td class="num price" data-label="Price">{move || book.with(|b| money(b.price_cents.get(), b.currency.as_str()))}</td>
                <td class="num stock" data-label="Stock" data-stock=move || stock().to_string()>
                    {move || stock()}
                    <Show when=low>
                        <span class="tag">{move || if stock() <= 0 { "out" } else { "low" }}</span>
                    </Show>
                </td>
                <td class="actions full">
                    // Each row's buttons are named with its book for screen readers, which list
                    // a page's buttons out of their rows.
                    <button type="button" class="btn small" on:click=start_edit disabled=move || { mode.get() == Mode::Edit }
                        aria-label=move || book.with(|b| format!("Edit {}", b.title))>"Edit"</button>
                    <button type="button" class="btn small" on:click=move |_| { error.set(None); mode.set(Mode::Restock) }
                        aria-label=move || book.with(|b| format!("Restock {}", b.title))>"Restock"</button>
                    <button type="button" class="btn small danger" on:click=move |_| mode.set(Mode::ConfirmDelete)
                        aria-label=move || book.with(|b| format!("Delete {}", b.title))>"Delete"</button>
                </td>
            </tr>
            {move || (error.get().is_some() || saved.get().is_some() || mode.get() != Mode::View).then(|| view! {
                <tr class="detail-row">
                    <td colspan="6">
                        {move || saved.get().map(|m| view! { <p class="success" role="status">{m}</p> })}
                        {move || error.get().map(|m| view! { <div class="error" role="alert"><p>{m}</p></div> })}
                        {move || match mode.get() {
                            Mode::Edit => view! {
                                <form class="edit-form" on:submit=save aria-label="Edit book details">
                                    <BookFields form=form prefix=format!("edit-{id}") />
                                    {move || conflict.get().map(|c| view! { <ConflictBox conflict=c /> })}
                                    <div class="buttons">
                                        <Show
                                            when=move || conflict.with(Option::is_some)
                                            fallback=move || view! {
                                                <button type="submit" class="btn primary" disabled=move || busy.get()>"Save"</button>
                                            }
                                        >
                                            <button type="button" class="btn primary" on:click=reload>"Reload the latest version"</button>
                                        </Show>
                                        <button type="button" class="btn" on:click=cancel>"Cancel"</button>
                                    </div>
                                </form>
                            }.into_any(),
                            Mode::Restock => view! {
                                <form class="restock-form inline" on:submit=restock aria-label="Change stock">
                                    <div class="field">
                                        <label for=format!("delta-{id}")>"Copies to add (negative to write off)"</label>
                                        <input id=format!("delta-{id}") type="number" prop:value=move || delta.get() on:input=move |ev| delta.set(event_target_value(&ev)) />
                                    </div>
                                    <div class="field">
                                        <label for=format!("reason-{id}")>"Reason"</label>
                                        <input id=format!("reason-{id}") prop:value=move || reason.get() on:input=move |ev| reason.set(event_target_value(&ev)) />
                                    </div>
                                    <button type="submit" class="btn primary" disabled=move || busy.get()>"Apply"</button>
                                    <button type="button" class="btn" on:click=cancel>"Cancel"</button>
                                </form>
                            }.into_any(),
                            Mode::ConfirmDelete => view! {
                                <div class="confirm" role="alertdialog" aria-label="Confirm deletion">
                                    <p>{move || format!("Delete “{}” from the catalogue? Orders keep their copy of it; this cannot be undone.", book.with(|b| b.title.to_string()))}</p>
                                    <button type="button" class="btn danger" on:click=delete disabled=move || busy.get()>"Yes, delete"</button>
                                    <button type="button" class="btn" on:click=cancel node_ref=cancel_delete>"Cancel"</button>
                                </div>
                            }.into_any(),
                            Mode::View => ().into_any(),
                        }}
                    </td>
                </tr>
            })}
        </tbody>
    }
}

#[component]
fn ConflictBox(conflict: Conflict) -> impl IntoView {
    let who = conflict.entry.as_ref().map(|e| {
        format!(
            "{} changed this book at {} ({}).",
            e.actor_email,
            when(&e.at),
            e.action
        )
    });
    let diff = conflict.entry.as_ref().map(changes).unwrap_or_default();
    let now = conflict.current.as_ref().map(|b| {
        format!(
            "Now: “{}”, {}, version {}.",
            b.title,
            money(b.price_cents.get(), b.currency.as_str()),
            b.version
        )
    });
    // Moves focus (and the view) to the explanation.
    let node = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        if let Some(el) = node.get() {
            let _ = el.focus();
        }
    });
    view! {
        <div class="conflict" role="alert" id="edit-conflict" tabindex="-1" node_ref=node>
            <p><strong>"This book was changed by someone else since you opened it. Your edit was not saved."</strong></p>
            {who.map(|w| view! { <p>{w}</p> })}
            {(!diff.is_empty()).then(|| view! {
                <ul class="changes">
                    {diff.into_iter().map(|(f, b, a)| view! { <li><strong>{f}</strong> ": " {b} " → " {a}</li> }).collect_view()}
                </ul>
            })}
            {now.map(|n| view! { <p>{n}</p> })}
            <p>"Reload the latest version, then make your change again."</p>
        </div>
    }
}
