//! Checkout's first two steps: where to ship (an address of the book, a new one saved to it, or
//! one typed for this order only), then how (the options that serve its country, with price and
//! delivery estimate).
use super::ShipTo;
use crate::api::ApiError;
use crate::components::{ErrorBox, Loading, money};
use crate::pages::my_account::addresses::AddressEditor;
use crate::use_api;
use bookstore_model::{Address, AddressInput, CountryCode, ShippingOption, ShippingOptions};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// An address as lines of text.
pub fn address_lines(a: &AddressInput) -> Vec<String> {
    let mut lines = vec![a.name.clone(), a.line1.clone()];
    lines.extend(a.line2.clone().filter(|l| !l.is_empty()));
    let region = a
        .region
        .clone()
        .filter(|r| !r.is_empty())
        .map(|r| format!(", {r}"))
        .unwrap_or_default();
    lines.push(format!("{} {}{region}", a.postal_code, a.city));
    lines.push(a.country.clone());
    lines.extend(a.phone.clone().filter(|p| !p.is_empty()));
    lines
}

pub fn input_of(a: &Address) -> AddressInput {
    AddressInput {
        name: a.name.clone(),
        line1: a.line1.clone(),
        line2: a.line2.clone(),
        city: a.city.clone(),
        region: a.region.clone(),
        postal_code: a.postal_code.clone(),
        country: a.country.to_string(),
        phone: a.phone.clone(),
    }
}

/// An address, as the post writes it.
#[component]
pub fn PostalAddress(address: AddressInput) -> impl IntoView {
    view! {
        <address class="postal">
            {address_lines(&address).into_iter().map(|l| view! { <span>{l}</span> }).collect_view()}
        </address>
    }
}

/// Step 1: pick an address of the book, or add one.
#[component]
pub fn AddressStep(on_chosen: Callback<ShipTo>) -> impl IntoView {
    let api = use_api();
    let book: RwSignal<Vec<Address>> = RwSignal::new(Vec::new());
    let loaded = RwSignal::new(false);
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let picked: RwSignal<Option<usize>> = RwSignal::new(None);
    let adding = RwSignal::new(false);
    spawn_local(async move {
        match api.addresses().await {
            Ok(list) => {
                adding.set(list.is_empty());
                picked.set((!list.is_empty()).then_some(0));
                book.set(list);
            }
            Err(e) => {
                adding.set(true);
                error.set(Some(e));
            }
        }
        loaded.set(true);
    });
    let use_picked = move |_| {
        if let Some(a) = picked
            .get_untracked()
            .and_then(|i| book.with_untracked(|b| b.get(i).cloned()))
        {
            on_chosen.run(ShipTo::saved(&a));
        }
    };
    let on_saved = Callback::new(move |a: Address| {
        book.update(|b| b.push(a.clone()));
        adding.set(false);
        on_chosen.run(ShipTo::saved(&a));
    });
    let on_one_off = Callback::new(move |input: AddressInput| {
        adding.set(false);
        on_chosen.run(ShipTo::one_off(input));
    });
    let on_cancel = Callback::new(move |()| adding.set(false));
    view! {
        <Show when=move || loaded.get() fallback=|| view! { <Loading label="Loading your addresses…" /> }>
            {move || error.get().map(|e| view! { <ErrorBox error=e /> })}
            <Show when=move || !book.with(Vec::is_empty)>
                <fieldset class="choices" id="saved-addresses">
                    <legend>"Your addresses"</legend>
                    {move || book.get().into_iter().enumerate().map(|(i, a)| {
                        let id = format!("addr-{}", a.id);
                        view! {
                            <label class="choice" for=id.clone()>
                                <input
                                    type="radio"
                                    name="ship-to"
                                    id=id.clone()
                                    prop:checked=move || picked.get() == Some(i)
                                    on:change=move |_| picked.set(Some(i))
                                />
                                <PostalAddress address=input_of(&a) />
                            </label>
                        }
                    }).collect_view()}
                </fieldset>
                <div class="buttons">
                    <button type="button" class="btn primary" id="use-address" on:click=use_picked
                        disabled=move || picked.get().is_none()>
                        "Deliver to this address"
                    </button>
                    <Show when=move || !adding.get()>
                        <button type="button" class="btn" id="new-address" on:click=move |_| adding.set(true)>
                            "Add a new address"
                        </button>
                    </Show>
                </div>
            </Show>
            <Show when=move || adding.get()>
                <AddressEditor
                    prefix="ship"
                    address=None
                    on_saved=on_saved
                    on_cancel=on_cancel
                    on_one_off=on_one_off
                />
            </Show>
        </Show>
    }
}

/// What shipping `option` costs for `copies` copies.
pub fn shipping_cents(option: &ShippingOption, copies: u32) -> i64 {
    option.price_per_order_cents + option.price_per_item_cents * i64::from(copies)
}

pub fn estimate(option: &ShippingOption) -> String {
    if option.delivery_days_min == option.delivery_days_max {
        format!("{} days", option.delivery_days_min)
    } else {
        format!(
            "{}–{} days",
            option.delivery_days_min, option.delivery_days_max
        )
    }
}

/// Step 2: the options that ship to `country`; the choice goes to `on_chosen` with the shop's
/// currency.
#[component]
pub fn ShippingStep(
    country: String,
    copies: Signal<u32>,
    current: Option<String>,
    on_chosen: Callback<(ShippingOption, String)>,
) -> impl IntoView {
    let api = use_api();
    let options: RwSignal<Option<ShippingOptions>> = RwSignal::new(None);
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let picked: RwSignal<Option<String>> = RwSignal::new(current);
    match CountryCode::parse(&country) {
        Ok(code) => spawn_local(async move {
            match api.shipping_options(code).await {
                Ok(o) => {
                    if picked
                        .get_untracked()
                        .is_none_or(|p| !o.options.iter().any(|x| x.id == p))
                    {
                        picked.set(o.options.first().map(|x| x.id.clone()));
                    }
                    options.set(Some(o));
                }
                Err(e) => error.set(Some(e)),
            }
        }),
        Err(_) => options.set(Some(ShippingOptions {
            currency: bookstore_model::Currency::parse("EUR").expect("a currency"),
            options: Vec::new(),
        })),
    }
    let choose = move |_| {
        let Some(o) = options.get_untracked() else {
            return;
        };
        let id = picked.get_untracked();
        if let Some(opt) = o.options.into_iter().find(|x| Some(&x.id) == id.as_ref()) {
            on_chosen.run((opt, o.currency.to_string()));
        }
    };
    view! {
        {move || error.get().map(|e| view! { <ErrorBox error=e /> })}
        {move || match options.get() {
            None if error.with(Option::is_none) => view! { <Loading label="Loading the shipping options…" /> }.into_any(),
            None => ().into_any(),
            Some(o) if o.options.is_empty() => view! {
                <p class="notice" id="no-shipping">
                    {format!("Sorry, we do not ship to {country} yet. Choose another address.")}
                </p>
            }.into_any(),
            Some(o) => {
                let currency = o.currency.to_string();
                view! {
                    <fieldset class="choices" id="shipping-options">
                        <legend>{format!("Ways to ship to {country}")}</legend>
                        {o.options.into_iter().map(|opt| {
                            let id = format!("ship-{}", opt.id);
                            let value = opt.id.clone();
                            let mine = opt.id.clone();
                            let currency = currency.clone();
                            let price = opt.clone();
                            view! {
                                <label class="choice" for=id.clone()>
                                    <input
                                        type="radio"
                                        name="shipping"
                                        id=id.clone()
                                        value=value
                                        prop:checked=move || picked.with(|p| p.as_ref() == Some(&mine))
                                        on:change={
                                            let v = opt.id.clone();
                                            move |_| picked.set(Some(v.clone()))
                                        }
                                    />
                                    <span class="choice-main">
                                        <strong>{opt.name.clone()}</strong>
                                        <span class="muted">{format!("Arrives in {}", estimate(&opt))}</span>
                                    </span>
                                    <span class="choice-price">
                                        {move || money(shipping_cents(&price, copies.get()), &currency)}
                                    </span>
                                </label>
                            }
                        }).collect_view()}
                    </fieldset>
                    <button type="button" class="btn primary" id="use-shipping" on:click=choose
                        disabled=move || picked.with(Option::is_none)>
                        "Continue to payment"
                    </button>
                }.into_any()
            }
        }}
    }
}
