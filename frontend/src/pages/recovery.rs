//! The pages the shop's mails link to, and the way into one of them: `/reset-password` (ask
//! for a link; with `?token=`, choose the new password) and `/confirm-email?token=` (moves the
//! account to the e-mail the link was sent to). Neither needs a login: the token is the proof.
use crate::api::ApiError;
use crate::components::{ErrorBox, Loading, page_title};
use crate::session::use_session;
use crate::use_api;
use bookstore_model::{Email, Password, ProblemCode};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

/// The API's lower-case `detail` as a sentence.
pub fn sentence(s: &str) -> String {
    let mut c = s.chars();
    let mut out: String = match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => return String::new(),
    };
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

#[component]
pub fn ResetPassword() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.read().get("token").filter(|t| !t.is_empty());
    view! {
        {move || match token() {
            Some(t) => view! { <NewPassword token=t /> }.into_any(),
            None => view! { <AskForLink /> }.into_any(),
        }}
    }
}

/// Step one: the e-mail. The answer is the same whether or not it has an account.
#[component]
fn AskForLink() -> impl IntoView {
    let title = page_title(|| "Reset your password".to_owned());
    let api = use_api();
    let email = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let sent: RwSignal<Option<String>> = RwSignal::new(None);
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let addr = match Email::parse(email.get_untracked().trim()) {
            Ok(a) => a,
            Err(e) => {
                error.set(Some(format!("E-mail: {e}")));
                return;
            }
        };
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let r = api.request_password_reset(&addr).await;
            busy.set(false);
            match r {
                Ok(detail) => sent.set(Some(sentence(&detail))),
                Err(e) => error.set(Some(e.detail())),
            }
        });
    };
    view! {
        {title}
        <section class="page narrow">
            <h1>"Reset your password"</h1>
            <Show
                when=move || sent.get().is_none()
                fallback=move || view! {
                    <p class="notice" role="status" id="reset-sent">
                        {move || sent.get()}
                        " Check your inbox (and the spam folder) and follow the link in the mail."
                    </p>
                    <p><A href="/login">"Back to logging in"</A></p>
                }
            >
                <p>"Tell us the e-mail of your account and we will mail you a link to choose a new password."</p>
                <form class="form" on:submit=submit>
                    <div class="field">
                        <label for="reset-email">"E-mail"</label>
                        <input
                            id="reset-email"
                            type="email"
                            autocomplete="username"
                            required
                            prop:value=move || email.get()
                            on:input=move |ev| email.set(event_target_value(&ev))
                        />
                    </div>
                    {move || error.get().map(|msg| view! { <div class="error" role="alert"><p>{msg}</p></div> })}
                    <button type="submit" class="btn primary" disabled=move || busy.get()>
                        {move || if busy.get() { "Sending…" } else { "Send me a link" }}
                    </button>
                </form>
            </Show>
        </section>
    }
}

/// Step two, from the mail's link: the new password.
#[component]
fn NewPassword(token: String) -> impl IntoView {
    let title = page_title(|| "Choose a new password".to_owned());
    let api = use_api();
    let session = use_session();
    let password = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let done = RwSignal::new(false);
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let invalid: RwSignal<Option<String>> = RwSignal::new(None);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let new = match Password::parse(&password.get_untracked()) {
            Ok(p) => p,
            Err(e) => {
                invalid.set(Some(format!("Password: {e}")));
                return;
            }
        };
        busy.set(true);
        error.set(None);
        invalid.set(None);
        let token = token.clone();
        spawn_local(async move {
            let r = api.reset_password(&token, &new).await;
            busy.set(false);
            match r {
                Ok(()) => {
                    // Every session of the account has ended; this tab's too, if it had one.
                    session.logout();
                    done.set(true);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let bad_link = move || {
        error
            .get()
            .is_some_and(|e| e.code() == Some(ProblemCode::InvalidResetToken))
    };
    view! {
        {title}
        <section class="page narrow">
            <h1>"Choose a new password"</h1>
            <Show
                when=move || !done.get()
                fallback=|| view! {
                    <p class="notice" role="status" id="reset-done">
                        "Your password is changed, and every session of your account has ended. Log in with the new password."
                    </p>
                    <p><A href="/login" attr:class="btn primary">"Log in"</A></p>
                }
            >
                <form class="form" on:submit=submit.clone()>
                    <div class="field">
                        <label for="reset-password">"New password"</label>
                        <input
                            id="reset-password"
                            type="password"
                            autocomplete="new-password"
                            aria-describedby="reset-password-help"
                            required
                            prop:value=move || password.get()
                            on:input=move |ev| password.set(event_target_value(&ev))
                        />
                        <small id="reset-password-help">"8 to 128 characters."</small>
                    </div>
                    {move || invalid.get().map(|msg| view! { <div class="error" role="alert"><p>{msg}</p></div> })}
                    {move || error.get().map(|e| view! { <ErrorBox error=e /> })}
                    <Show when=bad_link>
                        <p id="reset-again">
                            "A link works once, and only for a while. "
                            <A href="/reset-password">"Ask for a new link"</A>
                        </p>
                    </Show>
                    <button type="submit" class="btn primary" disabled=move || busy.get()>
                        {move || if busy.get() { "Saving…" } else { "Set the new password" }}
                    </button>
                </form>
            </Show>
        </section>
    }
}

/// From the mail sent to a new address: confirms it at once.
#[component]
pub fn ConfirmEmail() -> impl IntoView {
    let title = page_title(|| "Confirm your e-mail".to_owned());
    let api = use_api();
    let session = use_session();
    let query = use_query_map();
    let token = query.read_untracked().get("token").unwrap_or_default();
    let outcome = LocalResource::new(move || {
        let token = token.clone();
        async move {
            if token.is_empty() {
                return Err(None);
            }
            api.confirm_email(&token).await.map_err(Some)
        }
    });
    view! {
        {title}
        <section class="page narrow confirm-email">
            <h1>"Confirm your e-mail"</h1>
            <Suspense fallback=|| view! { <Loading label="Confirming…" /> }>
                {move || Suspend::new(async move {
                    match outcome.await {
                        Ok(()) => {
                            // The session's user still shows the old address.
                            if session.token().is_some() {
                                session.logout();
                            }
                            view! {
                                <p class="notice" role="status" id="email-confirmed">
                                    "Your account now uses this e-mail address. Log in with it from now on."
                                </p>
                                <p><A href="/login" attr:class="btn primary">"Log in"</A></p>
                            }.into_any()
                        }
                        Err(e) => {
                            let why = match e.as_ref().and_then(ApiError::code) {
                                None if e.is_none() => "This link has no token: open the whole link from the mail.".to_owned(),
                                Some(ProblemCode::InvalidEmailToken) => "This link is not valid (any more): a link works once, and only for a while. Ask for the change again on your account page.".to_owned(),
                                Some(ProblemCode::EmailTaken) => "Another account took this e-mail address in the meantime, so yours keeps its old one.".to_owned(),
                                _ => e.map(|e| e.detail()).unwrap_or_default(),
                            };
                            view! {
                                <div class="error" role="alert" id="email-not-confirmed"><p>{why}</p></div>
                                <p><A href="/account">"Your account"</A></p>
                            }.into_any()
                        }
                    }
                })}
            </Suspense>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_read_as_sentences() {
        assert_eq!(sentence("a link is on its way"), "A link is on its way.");
        assert_eq!(sentence("Done."), "Done.");
        assert_eq!(sentence(""), "");
    }
}
