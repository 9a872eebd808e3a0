//! `/staff-invitation?token=…`: accepting an invitation to join the staff. Logged in, the
//! account (it must be the invited e-mail's) gets the role; logged out, a name and a password
//! make a new account under the invited e-mail, or the link to log in first leads back here.
use crate::api::ApiError;
use crate::components::{ErrorBox, page_title};
use crate::session::use_session;
use crate::use_api;
use bookstore_model::{AcceptStaffInvitation, Password, PersonName, ProblemCode};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};

#[component]
pub fn AcceptInvitation() -> impl IntoView {
    let title = page_title(|| "Join the staff".to_owned());
    let query = use_query_map();
    let token = move || query.read().get("token").filter(|t| !t.is_empty());
    view! {
        {title}
        <section class="page narrow" id="staff-invitation">
            <h1>"Join the shop's staff"</h1>
            {move || match token() {
                Some(t) => view! { <Accept token=t /> }.into_any(),
                None => view! {
                    <p>"This page needs the invitation's link, as an owner of the shop sent it to you."</p>
                }.into_any(),
            }}
        </section>
    }
}

#[component]
fn Accept(token: String) -> impl IntoView {
    let api = use_api();
    let session = use_session();
    let navigate = use_navigate();
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let invalid: RwSignal<Option<String>> = RwSignal::new(None);
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let here = format!("/staff-invitation?token={token}");
    let login_link = format!("/login?next={}", js_sys::encode_uri_component(&here));
    let token = StoredValue::new(token);

    // Sends the acceptance: `new` (name, password) for a new account, else as the session.
    let send = move |new: Option<(PersonName, Password)>| {
        busy.set(true);
        error.set(None);
        let (name, password) = new.unzip();
        let req = AcceptStaffInvitation {
            token: token.get_value(),
            name,
            password,
        };
        let navigate = navigate.clone();
        spawn_local(async move {
            let r = api.accept_staff_invitation(&req).await;
            busy.set(false);
            match r {
                Ok(auth) => {
                    session.login(auth);
                    navigate("/admin", Default::default());
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let send_new = send.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let fields = PersonName::parse(name.get_untracked().trim())
            .map_err(|e| format!("Name: {e}"))
            .and_then(|n| {
                Password::parse(&password.get_untracked())
                    .map(|p| (n, p))
                    .map_err(|e| format!("Password: {e}"))
            });
        match fields {
            Ok(f) => {
                invalid.set(None);
                send_new(Some(f));
            }
            Err(m) => invalid.set(Some(m)),
        }
    };
    let bad_link = move || {
        error
            .get()
            .is_some_and(|e| e.code() == Some(ProblemCode::InvalidInvitation))
    };
    view! {
        <Show
            when=move || session.is_logged_in()
            fallback=move || view! {
                <p>"Make your account for the shop, or " <A href=login_link.clone()>"log in"</A> " first if you already have one under the invited e-mail."</p>
                <form class="form" on:submit=submit.clone()>
                    <div class="field">
                        <label for="invitation-name">"Your name"</label>
                        <input
                            id="invitation-name"
                            autocomplete="name"
                            required
                            prop:value=move || name.get()
                            on:input=move |ev| name.set(event_target_value(&ev))
                        />
                    </div>
                    <div class="field">
                        <label for="invitation-password">"Password"</label>
                        <input
                            id="invitation-password"
                            type="password"
                            autocomplete="new-password"
                            required
                            prop:value=move || password.get()
                            on:input=move |ev| password.set(event_target_value(&ev))
                        />
                        <small>"8 to 128 characters."</small>
                    </div>
                    {move || invalid.get().map(|m| view! { <div class="error" role="alert"><p>{m}</p></div> })}
                    <button type="submit" class="btn primary" id="invitation-join" disabled=move || busy.get()>
                        {move || if busy.get() { "Joining…" } else { "Make my account and join" }}
                    </button>
                </form>
            }
        >
            <p>
                "You are logged in as " <strong>{move || session.user().map(|u| u.email.to_string())}</strong>
                ". The invitation must be for this e-mail."
            </p>
            <button
                type="button"
                class="btn primary"
                id="invitation-accept"
                disabled=move || busy.get()
                on:click={
                    let send = send.clone();
                    move |_| send(None)
                }
            >
                {move || if busy.get() { "Joining…" } else { "Accept and join" }}
            </button>
        </Show>
        {move || error.get().map(|e| view! { <ErrorBox error=e /> })}
        <Show when=bad_link>
            <p id="invitation-again">"An invitation works once, and only for a while: ask an owner for a new one."</p>
        </Show>
    }
}
