//! One endpoint: what it receives and whether it is on (the shop's reason first, when the shop
//! turned it off), and edit, re-enable, rotate the secret, delete, and its delivery log.
use super::deliveries::DeliveryLog;
use super::form::{WebhookFields, WebhookForm};
use crate::components::SecretBox;
use crate::components::when;
use crate::use_api;
use bookstore_model::{Webhook, WebhookId, WebhookRequest, WebhookSecret};
use leptos::prelude::*;
use leptos::task::spawn_local;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    View,
    Edit,
    ConfirmDelete,
}

#[component]
pub fn EndpointCard(
    webhook: Webhook,
    on_removed: impl Fn(WebhookId, String) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let api = use_api();
    let id = webhook.id;
    let hook = RwSignal::new(webhook);
    let mode = RwSignal::new(Mode::View);
    let form = WebhookForm::empty();
    let busy = RwSignal::new(false);
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    let saved: RwSignal<Option<String>> = RwSignal::new(None);
    let rotated: RwSignal<Option<WebhookSecret>> = RwSignal::new(None);
    let log_open = RwSignal::new(false);
    let log_id = format!("log-{id}");
    let prefix = format!("wh-{id}");
    // Keyboard users land on the safe choice of a confirmation.
    let cancel_delete = NodeRef::<leptos::html::Button>::new();
    Effect::new(move |_| {
        if let Some(b) = cancel_delete.get() {
            let _ = b.focus();
        }
    });

    let url = move || hook.with(|h| h.url.to_string());
    let start_edit = move |_| {
        form.fill(&hook.get_untracked());
        error.set(None);
        saved.set(None);
        mode.set(Mode::Edit);
    };
    let cancel = move |_| {
        error.set(None);
        mode.set(Mode::View);
    };
    let put = move |req: WebhookRequest, done: &'static str| {
        busy.set(true);
        error.set(None);
        saved.set(None);
        spawn_local(async move {
            match api.update_webhook(id, &req).await {
                Ok(w) => {
                    hook.set(w);
                    mode.set(Mode::View);
                    saved.set(Some(done.to_owned()));
                }
                Err(e) => error.set(Some(e.detail())),
            }
            busy.set(false);
        });
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        match form.request() {
            Ok(req) => put(req, "Saved."),
            Err(msg) => error.set(Some(msg)),
        }
    };
    let re_enable = move |_| {
        let req = hook.with_untracked(|h| WebhookRequest {
            url: h.url.clone(),
            event_types: h.event_types.clone(),
            enabled: true,
        });
        put(
            req,
            "Enabled again. Deliveries that failed meanwhile can be retried from the log.",
        );
    };
    let rotate = move |_| {
        busy.set(true);
        error.set(None);
        saved.set(None);
        spawn_local(async move {
            match api.rotate_webhook_secret(id).await {
                Ok(s) => rotated.set(Some(s)),
                Err(e) => error.set(Some(e.detail())),
            }
            busy.set(false);
        });
    };
    // The log was reloaded: the endpoint's last success or state may have moved on too.
    let reread = move || {
        spawn_local(async move {
            if let Ok(w) = api.webhook(id).await {
                hook.set(w);
            }
        });
    };
    let delete = move |_| {
        busy.set(true);
        spawn_local(async move {
            match api.delete_webhook(id).await {
                Ok(()) => on_removed(id, url()),
                Err(e) => {
                    error.set(Some(e.detail()));
                    mode.set(Mode::View);
                }
            }
            busy.set(false);
        });
    };

    let types = move || {
        hook.with(|h| {
            h.event_types
                .iter()
                .map(|t| view! { <li><code>{t.as_str()}</code></li> })
                .collect_view()
        })
    };
    let state = move || {
        hook.with(|h| match (h.enabled, &h.disabled_reason) {
            (true, _) => view! { <span class="state on">"Enabled"</span> }.into_any(),
            (false, Some(_)) => {
                view! { <span class="state off">"Disabled by the shop"</span> }.into_any()
            }
            (false, None) => view! { <span class="state off">"Disabled"</span> }.into_any(),
        })
    };
    let reason = move || {
        hook.with(|h| h.disabled_reason.clone().filter(|_| !h.enabled))
            .map(|r| {
                view! {
                    <div class="disabled-reason" role="alert">
                        <p><strong>"The shop disabled this endpoint: "</strong>{r}</p>
                        <p>"Nothing is sent to it until it is enabled again."</p>
                        <button type="button" class="btn small primary" on:click=re_enable disabled=move || busy.get()>
                            "Enable again"
                        </button>
                    </div>
                }
            })
    };
    let rotated_box = move || {
        rotated.get().map(|s| {
            let note = match s.previous_valid_until {
                Some(t) => format!(
                    "The old secret keeps signing too (both signatures are sent) until {}, so your receiver can switch without missing a delivery.",
                    when(&t)
                ),
                None => "The old secret no longer signs.".to_owned(),
            };
            view! {
                <SecretBox
                    secret=s.secret
                    heading="New signing secret".to_owned()
                    what="signing secret"
                    input_id="webhook-secret"
                    note=note
                    on_done=move || rotated.set(None)
                >
                    "Your receiver needs it to check each delivery's " <code>"webhook-signature"</code> "."
                </SecretBox>
            }
        })
    };

    view! {
        <li class="webhook" class:disabled=move || hook.with(|h| !h.enabled) data-webhook-id=id.to_string()>
            <div class="webhook-head">
                <h3 class="webhook-url">{url}</h3>
                {state}
            </div>
            {reason}
            <dl class="webhook-facts">
                <dt>"Events"</dt>
                <dd><ul class="types">{types}</ul></dd>
                <dt>"Last success"</dt>
                <dd class="last-success">
                    {move || hook.with(|h| h.last_success_at.as_ref().map_or_else(|| "Never".to_owned(), when))}
                </dd>
            </dl>
            {move || saved.get().map(|m| view! { <p class="success" role="status">{m}</p> })}
            {move || error.get().map(|m| view! { <div class="error" role="alert"><p>{m}</p></div> })}
            {rotated_box}
            <div class="buttons">
                <button type="button" class="btn small" on:click=start_edit disabled=move || mode.get() == Mode::Edit
                    aria-label=move || format!("Edit {}", url())>"Edit"</button>
                <button type="button" class="btn small" on:click=rotate disabled=move || busy.get()
                    aria-label=move || format!("Rotate the secret of {}", url())>"Rotate secret"</button>
                <button type="button" class="btn small danger" on:click=move |_| mode.set(Mode::ConfirmDelete)
                    aria-label=move || format!("Delete {}", url())>"Delete"</button>
                <button type="button" class="btn small log-toggle"
                    aria-expanded=move || log_open.get().to_string()
                    aria-controls=log_id.clone()
                    on:click=move |_| log_open.update(|o| *o = !*o)>
                    {move || if log_open.get() { "Hide deliveries" } else { "Deliveries" }}
                </button>
            </div>
            {move || match mode.get() {
                Mode::Edit => view! {
                    <form class="webhook-form edit" on:submit=save aria-label="Edit the endpoint">
                        <WebhookFields form=form prefix=prefix.clone() />
                        <Show when=move || hook.with(|h| !h.enabled && h.disabled_reason.is_some())>
                            <p class="muted">"Enabling it clears the shop's reason; deliveries that failed meanwhile can be retried from the log."</p>
                        </Show>
                        <div class="buttons">
                            <button type="submit" class="btn primary" disabled=move || busy.get()>"Save"</button>
                            <button type="button" class="btn" on:click=cancel>"Cancel"</button>
                        </div>
                    </form>
                }.into_any(),
                Mode::ConfirmDelete => view! {
                    <div class="confirm" role="alertdialog" aria-label="Confirm deletion">
                        <p>{format!("Delete the endpoint {}? Deliveries still due to it fail; this cannot be undone.", url())}</p>
                        <button type="button" class="btn danger" on:click=delete disabled=move || busy.get()>"Yes, delete"</button>
                        <button type="button" class="btn" on:click=cancel node_ref=cancel_delete>"Cancel"</button>
                    </div>
                }.into_any(),
                Mode::View => ().into_any(),
            }}
            <div id=log_id.clone() hidden=move || !log_open.get()>
                <Show when=move || log_open.get()>
                    <DeliveryLog id=id on_refreshed=reread />
                </Show>
            </div>
        </li>
    }
}
