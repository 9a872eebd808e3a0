//! Everything the shop keeps about the account, as a file; and deleting the account.
use super::success;
use crate::api::ApiError;
use crate::components::ErrorBox;
use crate::session::use_session;
use crate::use_api;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;

/// What must be typed to delete the account.
const CONFIRM_WORD: &str = "DELETE";

/// `1 order`, `2 orders`.
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Offers `json` to the browser as a download named `name`.
fn download(name: &str, json: &str) -> Result<(), String> {
    let parts = js_sys::Array::of1(&json.into());
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type("application/json");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts)
        .map_err(|_| "The browser could not make the file.".to_owned())?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)
        .map_err(|_| "The browser could not make the file.".to_owned())?;
    let a = document()
        .create_element("a")
        .ok()
        .and_then(|e| e.dyn_into::<web_sys::HtmlAnchorElement>().ok())
        .ok_or_else(|| "The browser could not offer the file.".to_owned())?;
    a.set_href(&url);
    a.set_download(name);
    a.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}

#[component]
pub fn ExportData() -> impl IntoView {
    let api = use_api();
    let busy = RwSignal::new(false);
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let failed: RwSignal<Option<String>> = RwSignal::new(None);
    let done: RwSignal<Option<String>> = RwSignal::new(None);
    let export = move |_| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        failed.set(None);
        done.set(None);
        spawn_local(async move {
            let r = api.export_me().await;
            busy.set(false);
            let data = match r {
                Ok(d) => d,
                Err(e) => return error.set(Some(e)),
            };
            let name = {
                use chrono::Datelike;
                let t = data.exported_at;
                format!(
                    "bookstore-account-{:04}-{:02}-{:02}.json",
                    t.year(),
                    t.month(),
                    t.day()
                )
            };
            let json = serde_json::to_string_pretty(&data).unwrap_or_default();
            match download(&name, &json) {
                Ok(()) => done.set(Some(format!(
                    "Downloaded {name}: your account, {} and {} with their returns.",
                    count(data.addresses.len(), "address", "addresses"),
                    count(data.orders.len(), "order", "orders")
                ))),
                Err(msg) => failed.set(Some(msg)),
            }
        });
    };
    view! {
        <section class="account-section" aria-labelledby="export-h">
            <h2 id="export-h">"Your data"</h2>
            <p>"Download everything the shop keeps about your account (profile, addresses, orders and returns) as a JSON file."</p>
            <button type="button" class="btn" id="export-data" on:click=export disabled=move || busy.get()>
                {move || if busy.get() { "Preparing…" } else { "Download my data" }}
            </button>
            {move || error.get().map(|e| view! { <ErrorBox error=e /> })}
            {move || failed.get().map(|m| view! { <div class="error" role="alert"><p>{m}</p></div> })}
            {move || done.get().map(|m| success("export-done", m))}
        </section>
    }
}

#[component]
pub fn DeleteAccount(deleted: RwSignal<bool>) -> impl IntoView {
    let api = use_api();
    let session = use_session();
    let password = RwSignal::new(String::new());
    let typed = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let ready =
        move || typed.with(|t| t.trim() == CONFIRM_WORD) && password.with(|p| !p.is_empty());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() || !ready() {
            return;
        }
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let r = api.delete_me(&password.get_untracked()).await;
            busy.set(false);
            match r {
                Ok(()) => {
                    deleted.set(true);
                    session.logout();
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <section class="account-section danger-zone" aria-labelledby="delete-h">
            <h2 id="delete-h">"Delete your account"</h2>
            <p>
                "This deletes your account and address book and logs you out everywhere. "
                "Your orders stay on the shop's books, without your e-mail address. This cannot be undone."
            </p>
            <form class="form" on:submit=submit>
                <div class="field">
                    <label for="delete-password">"Your password"</label>
                    <input
                        id="delete-password"
                        type="password"
                        autocomplete="current-password"
                        required
                        prop:value=move || password.get()
                        on:input=move |ev| password.set(event_target_value(&ev))
                    />
                </div>
                <div class="field">
                    <label for="delete-confirm">{format!("Type {CONFIRM_WORD} to confirm")}</label>
                    <input
                        id="delete-confirm"
                        autocomplete="off"
                        spellcheck="false"
                        required
                        prop:value=move || typed.get()
                        on:input=move |ev| typed.set(event_target_value(&ev))
                    />
                </div>
                {move || error.get().map(|e| view! { <ErrorBox error=e /> })}
                <button type="submit" class="btn danger primary" id="delete-account" disabled=move || busy.get() || !ready()>
                    "Delete my account"
                </button>
            </form>
        </section>
    }
}
