//! The address book: list, add, edit, delete. The API checks one field at a time and names it
//! first in its `detail` (`postal_code must be ...`): the message goes under that field.
use crate::api::ApiError;
use crate::components::{ErrorBox, Loading};
use crate::use_api;
use bookstore_model::country::COUNTRY_CODES;
use bookstore_model::{Address, AddressId, AddressInput, MAX_ADDRESSES, ProblemCode};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// The fields of the form, in order: the API's name, the label, `autocomplete`, required.
const FIELDS: &[(&str, &str, &str, bool)] = &[
    ("name", "Recipient", "name", true),
    ("line1", "Address", "address-line1", true),
    ("line2", "Address line 2 (optional)", "address-line2", false),
    ("city", "City", "address-level2", true),
    (
        "region",
        "State, province or county (optional)",
        "address-level1",
        false,
    ),
    ("postal_code", "Postal code", "postal-code", true),
    ("phone", "Phone, for the carrier (optional)", "tel", false),
];

/// Which field a refusal is about: the first word of the API's detail, if it names one.
pub fn field_of(detail: &str) -> Option<&'static str> {
    let first = detail.split_whitespace().next()?;
    FIELDS
        .iter()
        .map(|f| f.0)
        .chain(["country"])
        .find(|f| *f == first)
}

/// The form as typed: one signal per field.
#[derive(Clone, Copy)]
struct AddressForm {
    values: [RwSignal<String>; 7],
    country: RwSignal<String>,
}

impl AddressForm {
    fn new(a: Option<&Address>) -> Self {
        let get = |i: usize| -> String {
            let Some(a) = a else {
                return String::new();
            };
            let v = match i {
                0 => Some(&a.name),
                1 => Some(&a.line1),
                2 => a.line2.as_ref(),
                3 => Some(&a.city),
                4 => a.region.as_ref(),
                5 => Some(&a.postal_code),
                _ => a.phone.as_ref(),
            };
            v.cloned().unwrap_or_default()
        };
        Self {
            values: std::array::from_fn(|i| RwSignal::new(get(i))),
            country: RwSignal::new(a.map(|a| a.country.to_string()).unwrap_or_default()),
        }
    }

    fn input(&self) -> AddressInput {
        let v = |i: usize| self.values[i].get_untracked();
        let opt = |i: usize| Some(v(i)).filter(|s| !s.trim().is_empty());
        AddressInput {
            name: v(0),
            line1: v(1),
            line2: opt(2),
            city: v(3),
            region: opt(4),
            postal_code: v(5),
            country: self.country.get_untracked(),
            phone: opt(6),
        }
    }
}

#[component]
pub fn AddressBook() -> impl IntoView {
    let api = use_api();
    let list: RwSignal<Vec<Address>> = RwSignal::new(Vec::new());
    let loading = RwSignal::new(true);
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let adding = RwSignal::new(false);
    let notice: RwSignal<Option<String>> = RwSignal::new(None);
    spawn_local(async move {
        match api.addresses().await {
            Ok(l) => list.set(l),
            Err(e) => error.set(Some(e)),
        }
        loading.set(false);
    });
    let on_added = Callback::new(move |a: Address| {
        list.update(|l| l.push(a));
        adding.set(false);
        notice.set(Some("Address added.".to_owned()));
    });
    let on_cancel = Callback::new(move |()| adding.set(false));
    view! {
        <section class="account-section" aria-labelledby="addresses-h">
            <h2 id="addresses-h">"Addresses"</h2>
            <Show when=move || loading.get()><Loading label="Loading your addresses…" /></Show>
            {move || error.get().map(|e| view! { <ErrorBox error=e /> })}
            <ul class="addresses" id="addresses">
                <For each=move || list.get() key=|a| (a.id, a.name.clone(), a.line1.clone(), a.postal_code.clone(), a.city.clone()) let:a>
                    <AddressItem address=a list=list notice=notice />
                </For>
            </ul>
            <Show when=move || !loading.get() && list.with(Vec::is_empty) && !adding.get()>
                <p class="muted">"No addresses yet."</p>
            </Show>
            <p class="success" role="status" hidden=move || notice.with(Option::is_none)>{move || notice.get()}</p>
            <Show
                when=move || adding.get()
                fallback=move || view! {
                    <button
                        type="button"
                        class="btn"
                        id="add-address"
                        disabled=move || list.with(|l| l.len() >= MAX_ADDRESSES)
                        on:click=move |_| {
                            notice.set(None);
                            adding.set(true);
                        }
                    >"Add an address"</button>
                }
            >
                <AddressEditor prefix="addr-new" address=None on_saved=on_added on_cancel=on_cancel />
            </Show>
        </section>
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    View,
    Edit,
    ConfirmDelete,
}

#[component]
fn AddressItem(
    address: Address,
    list: RwSignal<Vec<Address>>,
    notice: RwSignal<Option<String>>,
) -> impl IntoView {
    let api = use_api();
    let id = address.id;
    let mode = RwSignal::new(Mode::View);
    let busy = RwSignal::new(false);
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let lines: Vec<String> = [
        Some(address.name.clone()),
        Some(address.line1.clone()),
        address.line2.clone(),
        Some(format!("{} {}", address.postal_code, address.city)),
        address.region.clone(),
        Some(address.country.to_string()),
        address.phone.clone(),
    ]
    .into_iter()
    .flatten()
    .collect();
    let label = format!("{}, {}", address.name, address.line1);
    let on_saved = Callback::new(move |a: Address| {
        list.update(|l| {
            if let Some(x) = l.iter_mut().find(|x| x.id == a.id) {
                *x = a;
            }
        });
        notice.set(Some("Address saved.".to_owned()));
    });
    let on_cancel = Callback::new(move |()| mode.set(Mode::View));
    let delete = move |_| {
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let r = api.delete_address(id).await;
            busy.set(false);
            match r {
                Ok(()) => {
                    list.update(|l| l.retain(|a| a.id != id));
                    notice.set(Some("Address deleted.".to_owned()));
                }
                Err(e) if e.code() == Some(ProblemCode::NotFound) => {
                    list.update(|l| l.retain(|a| a.id != id));
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let prefix = format!("addr-{}", crate::components::short_id(id));
    let delete_label = format!("Delete the address {label}");
    let edit_label = format!("Edit the address {label}");
    view! {
        <li class="address" data-address-id=id.to_string()>
            {move || match mode.get() {
                Mode::Edit => {
                    let a = list.with_untracked(|l| l.iter().find(|a| a.id == id).cloned());
                    view! {
                        <AddressEditor prefix=prefix.clone() address=a on_saved=on_saved on_cancel=on_cancel />
                    }.into_any()
                }
                m => view! {
                    <address>
                        {lines.iter().map(|l| view! { <span>{l.clone()}</span> }).collect_view()}
                    </address>
                    <div class="buttons">
                        <button type="button" class="btn small" aria-label=edit_label.clone()
                            on:click=move |_| { notice.set(None); mode.set(Mode::Edit) }>"Edit"</button>
                        <button type="button" class="btn small danger" aria-label=delete_label.clone()
                            on:click=move |_| mode.set(Mode::ConfirmDelete)>"Delete"</button>
                    </div>
                    <Show when=move || m == Mode::ConfirmDelete>
                        <div class="confirm" role="alertdialog" aria-label="Confirm deletion">
                            <p>"Delete this address?"</p>
                            <button type="button" class="btn danger" on:click=delete disabled=move || busy.get()>"Yes, delete"</button>
                            <button type="button" class="btn" on:click=move |_| mode.set(Mode::View)>"Cancel"</button>
                        </div>
                    </Show>
                }.into_any(),
            }}
            {move || error.get().map(|e| view! { <ErrorBox error=e /> })}
        </li>
    }
}

/// Adds (no `address`) or replaces an address; the API's refusal goes under its field.
///
/// With `on_one_off` (checkout), a box offers not to keep the address: unticked, the form is
/// checked here (as the API would) and handed to `on_one_off`, and nothing is saved.
#[component]
pub fn AddressEditor(
    #[prop(into)] prefix: String,
    address: Option<Address>,
    on_saved: Callback<Address>,
    on_cancel: Callback<()>,
    #[prop(optional)] on_one_off: Option<Callback<AddressInput>>,
) -> impl IntoView {
    let api = use_api();
    let form = AddressForm::new(address.as_ref());
    let keep = RwSignal::new(true);
    // A one-off address refused here, for no field in particular.
    let refusal: RwSignal<Option<String>> = RwSignal::new(None);
    let id: Option<AddressId> = address.as_ref().map(|a| a.id);
    let busy = RwSignal::new(false);
    // A refusal naming a field, as (field, message); any other refusal.
    let field_error: RwSignal<Option<(&'static str, String)>> = RwSignal::new(None);
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        field_error.set(None);
        error.set(None);
        refusal.set(None);
        let input = form.input();
        if let (Some(one_off), false) = (on_one_off, keep.get_untracked()) {
            let checked = input
                .clone()
                .into_address(AddressId::new(), chrono::Utc::now());
            match checked {
                Ok(_) => one_off.run(input),
                Err(e) => {
                    let msg = e.to_string();
                    match field_of(&msg) {
                        Some(f) => field_error.set(Some((f, msg))),
                        None => refusal.set(Some(msg)),
                    }
                }
            }
            return;
        }
        busy.set(true);
        spawn_local(async move {
            let r = match id {
                Some(id) => api.replace_address(id, &input).await,
                None => api.create_address(&input).await,
            };
            busy.set(false);
            match r {
                Ok(a) => on_saved.run(a),
                Err(e) => match e
                    .problem
                    .as_ref()
                    .filter(|p| p.code == ProblemCode::ValidationFailed)
                    .and_then(|p| field_of(&p.detail))
                {
                    Some(f) => field_error.set(Some((f, e.detail()))),
                    None => error.set(Some(e)),
                },
            }
        });
    };
    let err_of = move |f: &'static str| {
        field_error.with(|e| e.as_ref().filter(|e| e.0 == f).map(|e| e.1.clone()))
    };
    let field_id = {
        let prefix = prefix.clone();
        move |f: &str| format!("{prefix}-{}", f.replace('_', "-"))
    };
    let fields = FIELDS
        .iter()
        .enumerate()
        .map(|(i, &(f, label, autocomplete, required))| {
            let value = form.values[i];
            let input_id = field_id(f);
            let err_id = format!("{input_id}-error");
            let invalid = move || err_of(f).is_some();
            view! {
                <div class="field" class:invalid=invalid>
                    <label for=input_id.clone()>{label}</label>
                    <input
                        id=input_id.clone()
                        autocomplete=autocomplete
                        required=required
                        aria-invalid=move || invalid().to_string()
                        aria-describedby=err_id.clone()
                        prop:value=move || value.get()
                        on:input=move |ev| value.set(event_target_value(&ev))
                    />
                    <small class="field-error" id=err_id.clone()>{move || err_of(f)}</small>
                </div>
            }
        })
        .collect_view();
    let country_id = field_id("country");
    let country_err = format!("{country_id}-error");
    let heading = if id.is_some() {
        "Edit the address"
    } else {
        "New address"
    };
    view! {
        <form class="form address-form" on:submit=submit aria-label=heading>
            <h3>{heading}</h3>
            <div class="fields">
                {fields}
                <div class="field" class:invalid=move || err_of("country").is_some()>
                    <label for=country_id.clone()>"Country"</label>
                    <select
                        id=country_id.clone()
                        autocomplete="country"
                        required
                        aria-describedby=country_err.clone()
                        prop:value=move || form.country.get()
                        on:change=move |ev| form.country.set(event_target_value(&ev))
                    >
                        <option value="" disabled selected=move || form.country.with(String::is_empty)>"Choose…"</option>
                        {COUNTRY_CODES
                            .iter()
                            .map(|c| {
                                let c = *c;
                                view! { <option value=c selected=move || form.country.with(|x| x == c)>{c}</option> }
                            })
                            .collect_view()}
                    </select>
                    <small class="field-error" id=country_err.clone()>{move || err_of("country")}</small>
                </div>
            </div>
            {on_one_off.is_some().then(|| {
                let keep_id = field_id("keep");
                view! {
                    <div class="field check">
                        <input
                            type="checkbox"
                            id=keep_id.clone()
                            prop:checked=move || keep.get()
                            on:change=move |ev| keep.set(event_target_checked(&ev))
                        />
                        <label for=keep_id>"Save it in my address book"</label>
                    </div>
                }
            })}
            {move || error.get().map(|e| view! { <ErrorBox error=e /> })}
            {move || refusal.get().map(|m| view! { <div class="error" role="alert"><p>{m}</p></div> })}
            <div class="buttons">
                <button type="submit" class="btn primary" disabled=move || busy.get()>
                    {move || match (busy.get(), on_one_off.is_some()) {
                        (true, _) => "Saving…",
                        (false, true) => "Use this address",
                        (false, false) => "Save address",
                    }}
                </button>
                <button type="button" class="btn" on:click=move |_| on_cancel.run(())>"Cancel"</button>
            </div>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_is_placed_at_the_field_it_names() {
        assert_eq!(
            field_of("postal_code must be 1 to 16 letters"),
            Some("postal_code")
        );
        assert_eq!(
            field_of("country must be an assigned code"),
            Some("country")
        );
        assert_eq!(field_of("too many addresses"), None);
        assert_eq!(field_of(""), None);
    }
}
