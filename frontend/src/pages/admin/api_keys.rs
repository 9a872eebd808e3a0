//! API keys for other systems: list, create (the key is shown once, here), revoke.
use super::AdminOnly;
use crate::api::ApiError;
use crate::components::{ErrorBox, Loading, SecretBox, when};
use crate::use_api;
use bookstore_model::{ApiKey, ApiKeyId, ApiKeyName, NewApiKey, Scope};
use chrono::{DateTime, NaiveDate, Utc};
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn ApiKeys() -> impl IntoView {
    let title = crate::components::page_title(|| "API keys".to_owned());
    view! {
        {title}
        <AdminOnly owner=true>
            <ApiKeysScreen />
        </AdminOnly>
    }
}

/// What a scope allows, for its checkbox.
fn describe(s: Scope) -> &'static str {
    match s {
        Scope::CatalogueRead => "read the catalogue through the admin routes",
        Scope::CatalogueWrite => "add, edit and remove books, adjust stock",
        Scope::OrdersRead => "read every customer's orders",
        Scope::OrdersWrite => "fulfilment operations on orders (none yet)",
        Scope::WebhooksManage => "manage webhook endpoints",
    }
}

/// A date typed as `2027-01-31`: the key works until the end of that day (UTC).
pub fn end_of_day(date: &str) -> Option<DateTime<Utc>> {
    let mut parts = date.trim().splitn(3, '-');
    let y = parts.next()?.parse().ok()?;
    let m = parts.next()?.parse().ok()?;
    let d = parts.next()?.parse().ok()?;
    Some(
        NaiveDate::from_ymd_opt(y, m, d)?
            .and_hms_opt(23, 59, 59)?
            .and_utc(),
    )
}

/// Active, expired or revoked, as shown.
fn status(k: &ApiKey, now: DateTime<Utc>) -> (&'static str, String) {
    match (k.revoked_at, k.expires_at) {
        (Some(t), _) => ("off", format!("Revoked {}", when(&t))),
        (None, Some(t)) if t <= now => ("off", "Expired".to_owned()),
        _ => ("on", "Active".to_owned()),
    }
}

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(js_sys::Date::now() as i64).unwrap_or_default()
}

#[component]
fn ApiKeysScreen() -> impl IntoView {
    let api = use_api();
    let keys: RwSignal<Vec<ApiKey>> = RwSignal::new(Vec::new());
    let cursor: RwSignal<Option<String>> = RwSignal::new(None);
    let loading = RwSignal::new(true);
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let notice: RwSignal<Option<String>> = RwSignal::new(None);
    // The key just made (shown once) and its name.
    let created: RwSignal<Option<(String, String)>> = RwSignal::new(None);

    let load = move |more: bool| {
        loading.set(true);
        let from = if more { cursor.get_untracked() } else { None };
        spawn_local(async move {
            match api.api_keys(from).await {
                Ok(page) => {
                    if more {
                        keys.update(|k| k.extend(page.items));
                    } else {
                        keys.set(page.items);
                    }
                    cursor.set(page.next_cursor);
                    error.set(None);
                }
                Err(e) => error.set(Some(e)),
            }
            loading.set(false);
        });
    };
    load(false);

    let on_created = Callback::new(move |(k, key): (ApiKey, String)| {
        notice.set(None);
        created.set(Some((k.name.to_string(), key)));
        keys.update(|l| l.insert(0, k));
    });
    let on_revoked = Callback::new(move |(id, name): (ApiKeyId, String)| {
        let at = now();
        keys.update(|l| {
            if let Some(k) = l.iter_mut().find(|k| k.id == id) {
                k.revoked_at = Some(at);
            }
        });
        notice.set(Some(format!(
            "Revoked the key “{name}”: it is refused from now on."
        )));
    });

    view! {
        <section class="page admin api-keys">
            <h1>"API keys"</h1>
            <p class="muted">
                "Keys let other systems (a warehouse, an accounting tool) use the admin API with only the scopes you give them. "
                "Send one as " <code>"Authorization: Bearer <key>"</code> " or " <code>"X-Api-Key: <key>"</code> "."
            </p>
            {move || created.get().map(|(name, key)| view! {
                <SecretBox
                    secret=key
                    heading="Key created".to_owned()
                    what="API key"
                    input_id="api-key-secret"
                    note=format!("It is the key “{name}”. The list shows only its prefix.")
                    on_done=move || created.set(None)
                >
                    "The shop keeps only a hash of it."
                </SecretBox>
            })}
            {move || notice.get().map(|n| view! { <p class="success" role="status">{n}</p> })}
            {move || error.get().map(|e| view! { <ErrorBox error=e /> })}
            <NewKeyForm on_created=on_created />
            <h2>"Keys"</h2>
            <Show when=move || loading.get() && keys.with(Vec::is_empty)>
                <Loading label="Loading the keys…" />
            </Show>
            <Show when=move || !loading.get() && keys.with(Vec::is_empty)>
                <p class="muted">"No keys yet."</p>
            </Show>
            <Show when=move || keys.with(|k| !k.is_empty())>
                <div class="table-wrap">
                    <table class="keys" id="api-keys">
                        <thead>
                            <tr>
                                <th scope="col">"Name"</th>
                                <th scope="col">"Prefix"</th>
                                <th scope="col">"Scopes"</th>
                                <th scope="col">"Expires"</th>
                                <th scope="col">"Last used"</th>
                                <th scope="col">"Status"</th>
                                <th scope="col"><span class="sr-only">"Actions"</span></th>
                            </tr>
                        </thead>
                        <tbody>
                            <For
                                each=move || keys.get()
                                key=|k| (k.id, k.revoked_at, k.last_used_at)
                                let:k
                            >
                                <KeyRow key=k on_revoked=on_revoked />
                            </For>
                        </tbody>
                    </table>
                </div>
            </Show>
            <Show when=move || cursor.with(Option::is_some)>
                <button type="button" class="btn" on:click=move |_| load(true) disabled=move || loading.get()>"Load more"</button>
            </Show>
        </section>
    }
}

#[component]
fn NewKeyForm(on_created: Callback<(ApiKey, String)>) -> impl IntoView {
    let api = use_api();
    let name = RwSignal::new(String::new());
    let scopes: RwSignal<Vec<Scope>> = RwSignal::new(Vec::new());
    let expiry = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let invalid: RwSignal<Option<String>> = RwSignal::new(None);
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let request = move || -> Result<NewApiKey, String> {
        let name =
            ApiKeyName::parse(name.get_untracked().trim()).map_err(|e| format!("Name: {e}"))?;
        let chosen = scopes.get_untracked();
        let scopes: Vec<Scope> = Scope::ALL
            .iter()
            .copied()
            .filter(|s| chosen.contains(s))
            .collect();
        let typed = expiry.get_untracked();
        let expires_at = if typed.trim().is_empty() {
            None
        } else {
            Some(end_of_day(&typed).ok_or("Expires: choose a date, or none.")?)
        };
        let req = NewApiKey {
            name,
            scopes,
            expires_at,
        };
        req.validate()
            .map_err(|_| "Choose at least one scope.".to_owned())?;
        Ok(req)
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        error.set(None);
        let req = match request() {
            Ok(r) => r,
            Err(msg) => return invalid.set(Some(msg)),
        };
        invalid.set(None);
        busy.set(true);
        spawn_local(async move {
            let r = api.create_api_key(&req).await;
            busy.set(false);
            match r {
                Ok(c) => {
                    name.set(String::new());
                    scopes.set(Vec::new());
                    expiry.set(String::new());
                    on_created.run((c.api_key, c.key));
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let today = {
        use chrono::Datelike;
        let t = now();
        format!("{:04}-{:02}-{:02}", t.year(), t.month(), t.day())
    };
    view! {
        <form class="form key-form" on:submit=submit aria-labelledby="new-key-h">
            <h2 id="new-key-h">"New key"</h2>
            <div class="field">
                <label for="key-name">"Name"</label>
                <input
                    id="key-name"
                    required
                    autocomplete="off"
                    placeholder="Warehouse sync"
                    prop:value=move || name.get()
                    on:input=move |ev| name.set(event_target_value(&ev))
                />
            </div>
            <fieldset>
                <legend>"Scopes"</legend>
                {Scope::ALL.iter().map(|&s| {
                    let id = format!("scope-{}", s.as_str().replace(':', "-"));
                    view! {
                        <div class="check">
                            <input
                                type="checkbox"
                                id=id.clone()
                                prop:checked=move || scopes.with(|l| l.contains(&s))
                                on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    scopes.update(|l| {
                                        l.retain(|x| *x != s);
                                        if on {
                                            l.push(s);
                                        }
                                    });
                                }
                            />
                            <label for=id><code>{s.as_str()}</code> " – " {describe(s)}</label>
                        </div>
                    }
                }).collect_view()}
            </fieldset>
            <div class="field">
                <label for="key-expiry">"Expires (optional)"</label>
                <input
                    id="key-expiry"
                    type="date"
                    min=today
                    aria-describedby="key-expiry-help"
                    prop:value=move || expiry.get()
                    on:input=move |ev| expiry.set(event_target_value(&ev))
                />
                <small id="key-expiry-help">"The key stops working at the end of that day (UTC). Empty: never."</small>
            </div>
            {move || invalid.get().map(|m| view! { <div class="error" role="alert"><p>{m}</p></div> })}
            {move || error.get().map(|e| view! { <ErrorBox error=e /> })}
            <button type="submit" class="btn primary" disabled=move || busy.get()>
                {move || if busy.get() { "Creating…" } else { "Create key" }}
            </button>
        </form>
    }
}

#[component]
fn KeyRow(key: ApiKey, on_revoked: Callback<(ApiKeyId, String)>) -> impl IntoView {
    let api = use_api();
    let id = key.id;
    let name = key.name.to_string();
    let confirming = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let (state, label) = status(&key, now());
    let revoked = key.revoked_at.is_some();
    let scopes = key
        .scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let stored_name = StoredValue::new(name.clone());
    let revoke = move |_| {
        busy.set(true);
        error.set(None);
        let name = stored_name.get_value();
        spawn_local(async move {
            let r = api.revoke_api_key(id).await;
            busy.set(false);
            match r {
                Ok(()) => {
                    confirming.set(false);
                    on_revoked.run((id, name));
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let ask_label = format!("Revoke the key {name}");
    view! {
        <tr class="api-key" data-key-id=id.to_string() data-prefix=key.prefix.clone()>
            <td data-label="Name">{name.clone()}</td>
            <td data-label="Prefix"><code>{key.prefix.clone()}</code></td>
            <td data-label="Scopes">{scopes}</td>
            <td data-label="Expires">{key.expires_at.as_ref().map_or_else(|| "Never".to_owned(), when)}</td>
            <td data-label="Last used">{key.last_used_at.as_ref().map_or_else(|| "Never".to_owned(), when)}</td>
            <td data-label="Status"><span class=format!("state {state}")>{label}</span></td>
            <td>
                <Show when=move || !revoked>
                    <Show
                        when=move || confirming.get()
                        fallback={
                            let ask_label = ask_label.clone();
                            move || view! {
                                <button type="button" class="btn small danger" aria-label=ask_label.clone()
                                    on:click=move |_| confirming.set(true)>"Revoke"</button>
                            }
                        }
                    >
                        <div class="confirm" role="alertdialog" aria-label="Confirm revoking">
                            <p>"Revoke this key? Systems using it are refused from now on; this cannot be undone."</p>
                            <button type="button" class="btn danger" on:click=revoke disabled=move || busy.get()>"Yes, revoke"</button>
                            <button type="button" class="btn" on:click=move |_| confirming.set(false)>"Cancel"</button>
                        </div>
                    </Show>
                </Show>
                {move || error.get().map(|e| view! { <ErrorBox error=e /> })}
            </td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_expiry_date_means_the_end_of_that_day() {
        let t = end_of_day("2027-01-31").unwrap();
        assert_eq!(t.to_rfc3339(), "2027-01-31T23:59:59+00:00");
        assert_eq!(end_of_day("2027-02-30"), None);
        assert_eq!(end_of_day(""), None);
    }
}
