//! The shop's owners and staff (owners only): list, invite (the link is mailed, and shown
//! once here), change a role, remove.
use super::AdminOnly;
use crate::api::ApiError;
use crate::components::{ErrorBox, Loading, SecretBox, when};
use crate::session::use_session;
use crate::use_api;
use bookstore_model::{Email, NewStaffInvitation, Role, StaffInvitation, StaffMember, UserId};
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn Staff() -> impl IntoView {
    let title = crate::components::page_title(|| "Staff".to_owned());
    view! {
        {title}
        <AdminOnly owner=true>
            <StaffScreen />
        </AdminOnly>
    }
}

/// What a role may do, in a sentence.
fn describe(role: Role) -> &'static str {
    match role {
        Role::Owner => "everything, also the staff, API keys, webhooks and the audit log",
        Role::Staff => "the inventory and the orders' fulfilment",
        Role::Customer => "their own orders",
    }
}

/// The invitation's link on this shop's origin.
fn full_link(invitation: &StaffInvitation) -> String {
    let origin = web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default();
    format!("{origin}{}", invitation.link)
}

#[component]
fn StaffScreen() -> impl IntoView {
    let api = use_api();
    let members: RwSignal<Vec<StaffMember>> = RwSignal::new(Vec::new());
    let loading = RwSignal::new(true);
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let notice: RwSignal<Option<String>> = RwSignal::new(None);
    let invited: RwSignal<Option<StaffInvitation>> = RwSignal::new(None);

    let load = move || {
        loading.set(true);
        spawn_local(async move {
            match api.staff().await {
                Ok(list) => {
                    members.set(list);
                    error.set(None);
                }
                Err(e) => error.set(Some(e)),
            }
            loading.set(false);
        });
    };
    load();

    let on_invited = Callback::new(move |i: StaffInvitation| {
        notice.set(None);
        invited.set(Some(i));
    });
    // After a change, the list as the server has it (a removal, a promotion).
    let on_changed = Callback::new(move |message: String| {
        notice.set(Some(message));
        load();
    });

    view! {
        <section class="page admin staff">
            <h1>"Staff"</h1>
            <p class="muted">
                "Owners may do " {describe(Role::Owner)} ". Staff may do " {describe(Role::Staff)} ". "
                "The shop always keeps at least one owner."
            </p>
            {move || invited.get().map(|i| view! {
                <SecretBox
                    secret=full_link(&i)
                    heading="Invitation made".to_owned()
                    what="invitation link"
                    input_id="invitation-link"
                    note=format!(
                        "It is mailed to {} when the shop sends mail; you may also pass it on \
                         yourself. It makes them {} and works once, until {}.",
                        i.email, i.role, when(&i.expires_at),
                    )
                    on_done=move || invited.set(None)
                >
                    "The shop keeps only a hash of it."
                </SecretBox>
            })}
            {move || notice.get().map(|n| view! { <p class="success" role="status" id="staff-notice">{n}</p> })}
            {move || error.get().map(|e| view! { <ErrorBox error=e /> })}
            <InviteForm on_invited=on_invited />
            <h2>"Owners and staff"</h2>
            <Show when=move || loading.get() && members.with(Vec::is_empty)>
                <Loading label="Loading the staff…" />
            </Show>
            <Show when=move || members.with(|m| !m.is_empty())>
                <div class="table-wrap">
                    <table class="staff stack" id="staff">
                        <thead>
                            <tr>
                                <th scope="col">"Name"</th>
                                <th scope="col">"E-mail"</th>
                                <th scope="col">"Role"</th>
                                <th scope="col"><span class="sr-only">"Actions"</span></th>
                            </tr>
                        </thead>
                        <tbody>
                            <For each=move || members.get() key=|m| (m.id, m.role) let:m>
                                <MemberRow member=m on_changed=on_changed />
                            </For>
                        </tbody>
                    </table>
                </div>
            </Show>
        </section>
    }
}

#[component]
fn InviteForm(on_invited: Callback<StaffInvitation>) -> impl IntoView {
    let api = use_api();
    let email = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Staff);
    let busy = RwSignal::new(false);
    let invalid: RwSignal<Option<String>> = RwSignal::new(None);
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        error.set(None);
        let address = match Email::parse(email.get_untracked().trim()) {
            Ok(a) => a,
            Err(e) => return invalid.set(Some(format!("E-mail: {e}"))),
        };
        invalid.set(None);
        busy.set(true);
        let req = NewStaffInvitation {
            email: address,
            role: role.get_untracked(),
        };
        spawn_local(async move {
            let r = api.invite_staff(&req).await;
            busy.set(false);
            match r {
                Ok(i) => {
                    email.set(String::new());
                    on_invited.run(i);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <form class="form invite-form" on:submit=submit aria-labelledby="invite-h">
            <h2 id="invite-h">"Invite"</h2>
            <div class="field">
                <label for="invite-email">"E-mail"</label>
                <input
                    id="invite-email"
                    type="email"
                    required
                    autocomplete="off"
                    prop:value=move || email.get()
                    on:input=move |ev| email.set(event_target_value(&ev))
                />
            </div>
            <div class="field">
                <label for="invite-role">"Role"</label>
                <RoleSelect id="invite-role".to_owned() role=role />
            </div>
            {move || invalid.get().map(|m| view! { <div class="error" role="alert"><p>{m}</p></div> })}
            {move || error.get().map(|e| view! { <ErrorBox error=e /> })}
            <button type="submit" class="btn primary" id="invite-submit" disabled=move || busy.get()>
                {move || if busy.get() { "Inviting…" } else { "Make an invitation link" }}
            </button>
        </form>
    }
}

/// A choice of `staff` or `owner`.
#[component]
fn RoleSelect(id: String, role: RwSignal<Role>) -> impl IntoView {
    view! {
        <select
            id=id
            prop:value=move || role.get().as_str()
            on:change=move |ev| {
                let owner = event_target_value(&ev) == "owner";
                role.set(if owner { Role::Owner } else { Role::Staff });
            }
        >
            <option value="staff">"Staff"</option>
            <option value="owner">"Owner"</option>
        </select>
    }
}

#[component]
fn MemberRow(member: StaffMember, on_changed: Callback<String>) -> impl IntoView {
    let api = use_api();
    let session = use_session();
    let id: UserId = member.id;
    let me = session.user().is_some_and(|u| u.id == id);
    let name = StoredValue::new(member.name.to_string());
    let role = RwSignal::new(member.role);
    let current = member.role;
    let confirming = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let save = move |_| {
        let to = role.get_untracked();
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let r = api.change_staff_role(id, to).await;
            busy.set(false);
            match r {
                Ok(m) => on_changed.run(format!("{} is now {}.", m.name, m.role)),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let remove = move |_| {
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let r = api.remove_staff(id).await;
            busy.set(false);
            match r {
                Ok(()) => {
                    confirming.set(false);
                    on_changed.run(format!(
                        "{} is no longer on the staff: the account stays, as a customer's.",
                        name.get_value()
                    ));
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let select_id = format!("role-{id}");
    view! {
        <tr class="staff-member" data-user-id=id.to_string() data-role=current.as_str()>
            <td data-label="Name">{name.get_value()} {me.then_some(" (you)")}</td>
            <td data-label="E-mail">{member.email.to_string()}</td>
            <td data-label="Role">
                <label for=select_id.clone() class="sr-only">{format!("Role of {}", name.get_value())}</label>
                <RoleSelect id=select_id role=role />
                <Show when=move || role.get() != current>
                    <button type="button" class="btn small" on:click=save disabled=move || busy.get()>"Save"</button>
                </Show>
            </td>
            <td>
                <Show
                    when=move || confirming.get()
                    fallback=move || view! {
                        <button type="button" class="btn small danger" on:click=move |_| confirming.set(true)>"Remove"</button>
                    }
                >
                    <div class="confirm" role="alertdialog" aria-label="Confirm removal">
                        <p>"Take this person off the staff? Their account stays, as a customer's."</p>
                        <button type="button" class="btn danger" on:click=remove disabled=move || busy.get()>"Yes, remove"</button>
                        <button type="button" class="btn" on:click=move |_| confirming.set(false)>"Cancel"</button>
                    </div>
                </Show>
                {move || error.get().map(|e| view! { <ErrorBox error=e /> })}
            </td>
        </tr>
    }
}
