//! Events out: the shop's webhook endpoints. Add one (its signing secret is shown once, here),
//! edit, re-enable, rotate the secret, delete; and per endpoint its delivery log, with retries.
//!
//! - [`form`]: the fields adding and editing share, and the one-time secret box;
//! - [`endpoint`]: one endpoint and what can be done to it;
//! - [`deliveries`]: an endpoint's delivery log.
mod deliveries;
mod endpoint;
mod form;

use super::AdminOnly;
use crate::api::ApiError;
use crate::components::SecretBox;
use crate::components::{ErrorBox, Loading};
use crate::use_api;
use bookstore_model::{MAX_WEBHOOKS, Webhook, WebhookId};
use endpoint::EndpointCard;
use form::{WebhookFields, WebhookForm};
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn Webhooks() -> impl IntoView {
    let title = crate::components::page_title(|| "Webhooks".to_owned());
    view! {
        {title}
        <AdminOnly owner=true>
            <WebhooksScreen />
        </AdminOnly>
    }
}

/// A secret just made, with the endpoint it signs for.
#[derive(Debug, Clone)]
struct NewSecret {
    url: String,
    secret: String,
}

#[component]
fn WebhooksScreen() -> impl IntoView {
    let api = use_api();
    let hooks: RwSignal<Vec<Webhook>> = RwSignal::new(Vec::new());
    let loading = RwSignal::new(true);
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let notice: RwSignal<Option<String>> = RwSignal::new(None);
    let created: RwSignal<Option<NewSecret>> = RwSignal::new(None);

    let load = move || {
        loading.set(true);
        spawn_local(async move {
            match api.webhooks().await {
                Ok(list) => {
                    hooks.set(list);
                    error.set(None);
                }
                Err(e) => error.set(Some(e)),
            }
            loading.set(false);
        });
    };
    load();

    let on_created = move |w: Webhook, secret: String| {
        notice.set(None);
        created.set(Some(NewSecret {
            url: w.url.to_string(),
            secret,
        }));
        hooks.update(|h| h.push(w));
    };
    let on_removed = move |id: WebhookId, url: String| {
        hooks.update(|h| h.retain(|w| w.id != id));
        notice.set(Some(format!("Deleted the endpoint {url}.")));
    };

    view! {
        <section class="page admin webhooks">
            <h1>"Webhooks"</h1>
            <p class="muted">
                "The shop sends its events (orders, returns, refunds, catalogue changes) to these URLs, "
                "signed with each endpoint's secret. Failed deliveries are retried for three days."
            </p>
            {move || created.get().map(|c| view! {
                <SecretBox
                    secret=c.secret
                    heading="Endpoint added".to_owned()
                    what="signing secret"
                    input_id="webhook-secret"
                    note=format!("It signs the deliveries to {}.", c.url)
                    on_done=move || created.set(None)
                >
                    "Your receiver needs it to check each delivery's " <code>"webhook-signature"</code> "."
                </SecretBox>
            })}
            {move || notice.get().map(|n| view! { <p class="success" role="status">{n}</p> })}
            {move || error.get().map(|e| view! { <ErrorBox error=e /> })}
            <h2>{move || format!("Endpoints ({} of at most {MAX_WEBHOOKS})", hooks.with(Vec::len))}</h2>
            <Show when=move || loading.get() && hooks.with(Vec::is_empty)>
                <Loading label="Loading the endpoints…" />
            </Show>
            <Show when=move || !loading.get() && hooks.with(Vec::is_empty) && error.with(Option::is_none)>
                <p id="no-webhooks">"No endpoints yet: add one below."</p>
            </Show>
            <ul class="webhook-list">
                <For each=move || hooks.get() key=|w| w.id let:w>
                    <EndpointCard webhook=w on_removed=on_removed />
                </For>
            </ul>
            <NewEndpoint on_created=on_created />
        </section>
    }
}

/// The form to add an endpoint.
#[component]
fn NewEndpoint(
    on_created: impl Fn(Webhook, String) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let api = use_api();
    let form = WebhookForm::empty();
    let busy = RwSignal::new(false);
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let req = match form.request() {
            Ok(r) => r,
            Err(msg) => {
                error.set(Some(msg));
                return;
            }
        };
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            match api.create_webhook(&req).await {
                Ok(c) => {
                    form.clear();
                    on_created(c.webhook, c.secret);
                }
                Err(e) => error.set(Some(e.detail())),
            }
            busy.set(false);
        });
    };
    view! {
        <form id="new-webhook" class="form webhook-form" on:submit=submit aria-labelledby="new-webhook-title">
            <h2 id="new-webhook-title">"Add an endpoint"</h2>
            <WebhookFields form=form prefix="wh-new".to_owned() />
            {move || error.get().map(|m| view! {
                <div class="error" role="alert" id="new-webhook-error"><p>{m}</p></div>
            })}
            <button type="submit" class="btn primary" disabled=move || busy.get()>
                {move || if busy.get() { "Adding…" } else { "Add endpoint" }}
            </button>
        </form>
    }
}
