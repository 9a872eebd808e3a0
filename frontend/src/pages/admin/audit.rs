//! The audit log: every admin change, newest first, with what it changed.
use super::{AdminOnly, changes};
use crate::api::ApiError;
use crate::components::{ErrorBox, Loading, when};
use crate::use_api;
use bookstore_model::AuditEntry;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;

#[component]
pub fn AuditLog() -> impl IntoView {
    let title = crate::components::page_title(|| "Audit log".to_owned());
    view! {
        {title}
        <AdminOnly owner=true>
            <AuditScreen />
        </AdminOnly>
    }
}

#[component]
fn AuditScreen() -> impl IntoView {
    let api = use_api();
    let entries: RwSignal<Vec<AuditEntry>> = RwSignal::new(Vec::new());
    let cursor: RwSignal<Option<String>> = RwSignal::new(None);
    let loading = RwSignal::new(true);
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let load = move |next: Option<String>| {
        loading.set(true);
        spawn_local(async move {
            match api.audit(next, 30).await {
                Ok(page) => {
                    entries.update(|e| e.extend(page.items));
                    cursor.set(page.next_cursor);
                    error.set(None);
                }
                Err(e) => error.set(Some(e)),
            }
            loading.set(false);
        });
    };
    load(None);

    view! {
        <section class="page admin">
            <h1>"Audit log"</h1>
            {move || error.get().map(|e| view! { <ErrorBox error=e /> })}
            <div class="table-wrap">
                <table class="audit stack">
                    <thead>
                        <tr>
                            <th scope="col">"When"</th>
                            <th scope="col">"Who"</th>
                            <th scope="col">"What"</th>
                            <th scope="col">"Subject"</th>
                            <th scope="col">"Changes"</th>
                        </tr>
                    </thead>
                    <tbody>
                        <For each=move || entries.get() key=|e| e.id let:e>
                            {
                            let subject = match e.book_id {
                                Some(id) => {
                                    let title = title_of(&e);
                                    view! { <A href=format!("/books/{id}")>{title}</A> }.into_any()
                                }
                                // A staff change names the account's e-mail.
                                None => view! { <span>{email_of(&e)}</span> }.into_any(),
                            };
                            let diff = changes(&e);
                            view! {
                            <tr>
                                <td data-label="When">{when(&e.at)}</td>
                                <td data-label="Who">{e.actor_email.clone()}</td>
                                <td data-label="What">{e.action.clone()} {e.note.clone().map(|n| format!(" ({n})"))}</td>
                                <td data-label="Subject">{subject}</td>
                                <td class="full" data-label="Changes">
                                    <ul class="changes">
                                        {diff.into_iter().map(|(f, b, a)| view! { <li><strong>{f}</strong> ": " {b} " → " {a}</li> }).collect_view()}
                                    </ul>
                                </td>
                            </tr>
                            }
                            }
                        </For>
                    </tbody>
                </table>
            </div>
            <Show when=move || loading.get() && entries.with(Vec::is_empty)>
                <Loading label="Loading the audit log…" />
            </Show>
            <Show when=move || cursor.with(Option::is_some)>
                <button type="button" class="btn" disabled=move || loading.get() on:click=move |_| load(cursor.get_untracked())>"Load more"</button>
            </Show>
        </section>
    }
}

fn title_of(e: &AuditEntry) -> String {
    [e.after.as_ref(), e.before.as_ref()]
        .into_iter()
        .flatten()
        .find_map(|v| v.get("title")?.as_str().map(str::to_owned))
        .unwrap_or_else(|| {
            let id = e.book_id.map(|id| id.to_string()).unwrap_or_default();
            id.chars().take(8).collect()
        })
}

fn email_of(e: &AuditEntry) -> String {
    [e.after.as_ref(), e.before.as_ref()]
        .into_iter()
        .flatten()
        .find_map(|v| v.get("email")?.as_str().map(str::to_owned))
        .unwrap_or_default()
}
