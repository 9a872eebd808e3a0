//! The name, the e-mail address and the password.
use super::success;
use crate::api::ApiError;
use crate::components::ErrorBox;
use crate::pages::recovery::sentence;
use crate::session::use_session;
use crate::use_api;
use bookstore_model::{ChangeEmail, ChangePassword, Email, Password, PersonName, UpdateProfile};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// A form's state: busy, the API's refusal or a rule of the model broken, and what went well.
#[derive(Clone, Copy)]
struct FormState {
    busy: RwSignal<bool>,
    error: RwSignal<Option<ApiError>>,
    invalid: RwSignal<Option<String>>,
    done: RwSignal<Option<String>>,
}

impl FormState {
    fn new() -> Self {
        Self {
            busy: RwSignal::new(false),
            error: RwSignal::new(None),
            invalid: RwSignal::new(None),
            done: RwSignal::new(None),
        }
    }

    /// Clears the messages and marks the form busy; false if it already was.
    fn start(&self) -> bool {
        if self.busy.get_untracked() {
            return false;
        }
        self.busy.set(true);
        self.error.set(None);
        self.invalid.set(None);
        self.done.set(None);
        true
    }

    fn refuse(&self, msg: String) {
        self.busy.set(false);
        self.invalid.set(Some(msg));
    }

    fn messages(self, done_id: &'static str) -> impl IntoView {
        let s = self;
        view! {
            {move || s.invalid.get().map(|m| view! { <div class="error" role="alert"><p>{m}</p></div> })}
            {move || s.error.get().map(|e| view! { <ErrorBox error=e /> })}
            {move || s.done.get().map(|m| success(done_id, m))}
        }
    }
}

#[component]
pub fn Profile() -> impl IntoView {
    let api = use_api();
    let session = use_session();
    let current = session
        .user()
        .map(|u| u.name.to_string())
        .unwrap_or_default();
    let name = RwSignal::new(current);
    let state = FormState::new();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !state.start() {
            return;
        }
        let req = match PersonName::parse(name.get_untracked().trim()) {
            Ok(name) => UpdateProfile { name },
            Err(e) => return state.refuse(format!("Name: {e}")),
        };
        spawn_local(async move {
            let r = api.rename(&req).await;
            state.busy.set(false);
            match r {
                Ok(user) => {
                    name.set(user.name.to_string());
                    session.set_user(user);
                    state.done.set(Some("Your name is saved.".to_owned()));
                }
                Err(e) => state.error.set(Some(e)),
            }
        });
    };
    view! {
        <section class="account-section" aria-labelledby="profile-h">
            <h2 id="profile-h">"Profile"</h2>
            <form class="form" on:submit=submit>
                <div class="field">
                    <label for="account-name">"Name"</label>
                    <input
                        id="account-name"
                        autocomplete="name"
                        required
                        prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev))
                    />
                </div>
                {state.messages("name-saved")}
                <button type="submit" class="btn primary" disabled=move || state.busy.get()>"Save name"</button>
            </form>
        </section>
    }
}

/// The e-mail changes only when the link mailed to the new address is followed.
#[component]
pub fn ChangeEmail() -> impl IntoView {
    let api = use_api();
    let session = use_session();
    let email = move || {
        session
            .user()
            .map(|u| u.email.to_string())
            .unwrap_or_default()
    };
    let open = RwSignal::new(false);
    let new_email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let state = FormState::new();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !state.start() {
            return;
        }
        let req = match Email::parse(new_email.get_untracked().trim()) {
            Ok(new_email) => ChangeEmail {
                new_email,
                current_password: password.get_untracked(),
            },
            Err(e) => return state.refuse(format!("New e-mail: {e}")),
        };
        spawn_local(async move {
            let r = api.change_email(&req).await;
            state.busy.set(false);
            match r {
                Ok(detail) => {
                    password.set(String::new());
                    open.set(false);
                    state.done.set(Some(format!(
                        "{} Check your new inbox: your account moves to {} when you follow the link. Until then, log in with {}.",
                        sentence(&detail),
                        req.new_email,
                        email()
                    )));
                }
                Err(e) => state.error.set(Some(e)),
            }
        });
    };
    view! {
        <section class="account-section" aria-labelledby="email-h">
            <h2 id="email-h">"E-mail"</h2>
            <p>"You log in with " <strong id="account-email">{email}</strong> "."</p>
            <Show
                when=move || open.get()
                fallback=move || view! {
                    <button type="button" class="btn" id="change-email" on:click=move |_| {
                        state.done.set(None);
                        open.set(true);
                    }>"Change e-mail"</button>
                }
            >
                <form class="form" on:submit=submit>
                    <div class="field">
                        <label for="new-email">"New e-mail"</label>
                        <input
                            id="new-email"
                            type="email"
                            autocomplete="email"
                            required
                            prop:value=move || new_email.get()
                            on:input=move |ev| new_email.set(event_target_value(&ev))
                        />
                    </div>
                    <div class="field">
                        <label for="email-password">"Your password"</label>
                        <input
                            id="email-password"
                            type="password"
                            autocomplete="current-password"
                            required
                            prop:value=move || password.get()
                            on:input=move |ev| password.set(event_target_value(&ev))
                        />
                    </div>
                    <div class="buttons">
                        <button type="submit" class="btn primary" disabled=move || state.busy.get()>"Send the link"</button>
                        <button type="button" class="btn" on:click=move |_| open.set(false)>"Cancel"</button>
                    </div>
                </form>
            </Show>
            {state.messages("email-link-sent")}
        </section>
    }
}

/// A new password ends every other session; this tab goes on with the answer's token.
#[component]
pub fn ChangePassword() -> impl IntoView {
    let api = use_api();
    let session = use_session();
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let state = FormState::new();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !state.start() {
            return;
        }
        let req = match Password::parse(&new.get_untracked()) {
            Ok(new_password) => ChangePassword {
                current_password: current.get_untracked(),
                new_password,
            },
            Err(e) => return state.refuse(format!("New password: {e}")),
        };
        spawn_local(async move {
            let r = api.change_password(&req).await;
            state.busy.set(false);
            match r {
                Ok(auth) => {
                    session.login(auth);
                    current.set(String::new());
                    new.set(String::new());
                    state.done.set(Some(
                        "Your password is changed. Every other session of your account has ended; this one goes on."
                            .to_owned(),
                    ));
                }
                Err(e) => state.error.set(Some(e)),
            }
        });
    };
    view! {
        <section class="account-section" aria-labelledby="password-h">
            <h2 id="password-h">"Password"</h2>
            <form class="form" on:submit=submit>
                <div class="field">
                    <label for="current-password">"Current password"</label>
                    <input
                        id="current-password"
                        type="password"
                        autocomplete="current-password"
                        required
                        prop:value=move || current.get()
                        on:input=move |ev| current.set(event_target_value(&ev))
                    />
                </div>
                <div class="field">
                    <label for="new-password">"New password"</label>
                    <input
                        id="new-password"
                        type="password"
                        autocomplete="new-password"
                        aria-describedby="new-password-help"
                        required
                        prop:value=move || new.get()
                        on:input=move |ev| new.set(event_target_value(&ev))
                    />
                    <small id="new-password-help">"8 to 128 characters."</small>
                </div>
                {state.messages("password-changed")}
                <button type="submit" class="btn primary" disabled=move || state.busy.get()>"Change password"</button>
            </form>
        </section>
    }
}
