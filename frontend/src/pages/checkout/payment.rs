//! Checkout's card step: the provider's script from the shop's `js_url`, its card element, and
//! a payment method made of the card at the provider (the shop never sees the number).
use crate::api::ApiError;
use crate::components::{ErrorBox, Loading};
use crate::payments::{CardField, load_script};
use crate::use_api;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// The card element, kept while the checkout page lives (3-D Secure needs it after the card
/// step, and another card after a decline is typed into the same element).
pub type CardSlot = StoredValue<Option<CardField>, LocalStorage>;

/// Step 3. Mounted once the shopper first reaches it and kept (hidden) afterwards.
/// `declined`: why the last card was refused, shown above the form.
#[component]
pub fn PaymentStep(
    card: CardSlot,
    declined: RwSignal<Option<String>>,
    on_method: Callback<String>,
) -> impl IntoView {
    let api = use_api();
    let mount_at = NodeRef::<leptos::html::Div>::new();
    let ready = RwSignal::new(false);
    let load_error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let script_error: RwSignal<Option<String>> = RwSignal::new(None);
    let card_error: RwSignal<Option<String>> = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let attempt = RwSignal::new(0u32);

    Effect::new(move |_| {
        attempt.track();
        let Some(el) = mount_at.get() else {
            return;
        };
        if card.with_value(Option::is_some) {
            ready.set(true);
            return;
        }
        load_error.set(None);
        script_error.set(None);
        spawn_local(async move {
            let config = match api.payment_config().await {
                Ok(c) => c,
                Err(e) => {
                    load_error.set(Some(e));
                    return;
                }
            };
            if let Err(e) = load_script(&config.js_url).await {
                script_error.set(Some(e));
                return;
            }
            match CardField::mount(&config.publishable_key, &el) {
                Ok(c) => {
                    card.set_value(Some(c));
                    ready.set(true);
                }
                Err(e) => script_error.set(Some(e)),
            }
        });
    });

    let use_card = move |_| {
        let Some(field) = card.get_value() else {
            return;
        };
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        card_error.set(None);
        spawn_local(async move {
            let r = field.payment_method().await;
            busy.set(false);
            match r {
                Ok(id) => on_method.run(id),
                Err(e) => card_error.set(Some(e)),
            }
        });
    };

    view! {
        {move || declined.get().map(|m| view! {
            <div class="error" role="alert" id="card-declined">
                <p><strong>"Your card was declined."</strong> " " {m}</p>
                <p>"Nothing was charged. Try another card."</p>
            </div>
        })}
        {move || load_error.get().map(|e| view! { <ErrorBox error=e /> })}
        {move || script_error.get().map(|m| view! {
            <div class="error" role="alert">
                <p>{m} " Check your connection."</p>
                <button type="button" class="btn" on:click=move |_| attempt.update(|a| *a += 1)>"Try again"</button>
            </div>
        })}
        <Show when=move || !ready.get() && load_error.with(Option::is_none) && script_error.with(Option::is_none)>
            <Loading label="Loading the secure card form…" />
        </Show>
        <div class="field">
            <span class="label" id="card-label">"Card"</span>
            <div id="card-element" class="card-element" role="group" aria-labelledby="card-label" node_ref=mount_at></div>
            <small class="muted">"Card details go straight to our payment provider; the shop never sees them."</small>
        </div>
        {move || card_error.get().map(|m| view! { <div class="error" role="alert" id="card-error"><p>{m}</p></div> })}
        <button type="button" class="btn primary" id="use-card" on:click=use_card
            disabled=move || !ready.get() || busy.get()>
            {move || if busy.get() { "Checking the card…" } else { "Continue to review" }}
        </button>
    }
}
