//! Log in and register.
use crate::api::ApiError;
use crate::components::ErrorBox;
use crate::session::use_session;
use crate::use_api;
use bookstore_model::{Email, Password, PersonName, RegisterRequest, Role};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};

/// Where to go after logging in: the `next` parameter if it is a path of this app. Nothing a
/// browser could read as another origin: `//host`, `/\host` (a backslash counts as a slash)
/// and control characters (tabs and newlines are dropped from URLs: `/\t/host`) are refused.
fn next_path(next: Option<String>, role: Role) -> String {
    match next {
        Some(n) if is_local_path(&n) && !NOT_NEXT.iter().any(|p| n.starts_with(p)) => n,
        _ if role.is_staff() => "/admin".to_owned(),
        _ => "/".to_owned(),
    }
}

/// Pages that make no sense to come back to after logging in.
const NOT_NEXT: &[&str] = &["/login", "/register", "/reset-password", "/confirm-email"];

fn is_local_path(n: &str) -> bool {
    n.starts_with('/')
        && !n.starts_with("//")
        && !n.contains('\\')
        && !n.chars().any(char::is_control)
}

/// The link between the login and the registration page, keeping where to go afterwards.
fn with_next(page: &str, next: Option<String>) -> String {
    match next.filter(|n| is_local_path(n)) {
        Some(n) => format!("{page}?next={}", js_sys::encode_uri_component(&n)),
        None => page.to_owned(),
    }
}

#[component]
pub fn Login() -> impl IntoView {
    let title = crate::components::page_title(|| "Log in".to_owned());
    let api = use_api();
    let session = use_session();
    let navigate = use_navigate();
    let query = use_query_map();
    let expired = move || query.read().get("expired").is_some();
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        let navigate = navigate.clone();
        let next = query.read_untracked().get("next");
        spawn_local(async move {
            let r = api
                .login(email.get_untracked().trim(), &password.get_untracked())
                .await;
            busy.set(false);
            match r {
                Ok(auth) => {
                    let role = auth.user.role;
                    session.login(auth);
                    navigate(&next_path(next, role), Default::default());
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };

    view! {
        {title}
        <section class="page narrow">
            <h1>"Log in"</h1>
            <Show when=expired>
                <p class="notice" role="status">"Your session has expired. Please log in again."</p>
            </Show>
            <form class="form" on:submit=submit>
                <div class="field">
                    <label for="login-email">"E-mail"</label>
                    <input
                        id="login-email"
                        type="email"
                        autocomplete="username"
                        required
                        prop:value=move || email.get()
                        on:input=move |ev| email.set(event_target_value(&ev))
                    />
                </div>
                <div class="field">
                    <label for="login-password">"Password"</label>
                    <input
                        id="login-password"
                        type="password"
                        autocomplete="current-password"
                        required
                        prop:value=move || password.get()
                        on:input=move |ev| password.set(event_target_value(&ev))
                    />
                </div>
                {move || error.get().map(|e| view! { <ErrorBox error=e /> })}
                <button type="submit" class="btn primary" disabled=move || busy.get()>
                    {move || if busy.get() { "Logging in…" } else { "Log in" }}
                </button>
            </form>
            <p><A href="/reset-password" attr:id="forgot-password">"Forgot your password?"</A></p>
            <p>"New here? " <A href=move || with_next("/register", query.read().get("next"))>"Create an account"</A></p>
        </section>
    }
}

#[component]
pub fn Register() -> impl IntoView {
    let title = crate::components::page_title(|| "Create an account".to_owned());
    let api = use_api();
    let session = use_session();
    let navigate = use_navigate();
    let query = use_query_map();
    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let error: RwSignal<Option<String>> = RwSignal::new(None);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        // The model's own rules, so the message matches the API's.
        let req = (|| {
            Ok::<_, String>(RegisterRequest {
                email: Email::parse(email.get_untracked().trim())
                    .map_err(|e| format!("E-mail: {e}"))?,
                password: Password::parse(&password.get_untracked())
                    .map_err(|e| format!("Password: {e}"))?,
                name: PersonName::parse(name.get_untracked().trim())
                    .map_err(|e| format!("Name: {e}"))?,
            })
        })();
        let req = match req {
            Ok(r) => r,
            Err(msg) => {
                error.set(Some(msg));
                return;
            }
        };
        busy.set(true);
        error.set(None);
        let navigate = navigate.clone();
        let next = query.read_untracked().get("next");
        spawn_local(async move {
            let r = api.register(&req).await;
            busy.set(false);
            match r {
                Ok(auth) => {
                    let role = auth.user.role;
                    session.login(auth);
                    navigate(&next_path(next, role), Default::default());
                }
                Err(e) => error.set(Some(e.detail())),
            }
        });
    };

    view! {
        {title}
        <section class="page narrow">
            <h1>"Create an account"</h1>
            <form class="form" on:submit=submit>
                <div class="field">
                    <label for="reg-name">"Name"</label>
                    <input
                        id="reg-name"
                        autocomplete="name"
                        required
                        prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev))
                    />
                </div>
                <div class="field">
                    <label for="reg-email">"E-mail"</label>
                    <input
                        id="reg-email"
                        type="email"
                        autocomplete="email"
                        required
                        prop:value=move || email.get()
                        on:input=move |ev| email.set(event_target_value(&ev))
                    />
                </div>
                <div class="field">
                    <label for="reg-password">"Password"</label>
                    <input
                        id="reg-password"
                        type="password"
                        autocomplete="new-password"
                        aria-describedby="reg-password-help"
                        required
                        prop:value=move || password.get()
                        on:input=move |ev| password.set(event_target_value(&ev))
                    />
                    <small id="reg-password-help">"8 to 128 characters."</small>
                </div>
                {move || error.get().map(|msg| view! { <div class="error" role="alert"><p>{msg}</p></div> })}
                <button type="submit" class="btn primary" disabled=move || busy.get()>
                    {move || if busy.get() { "Creating…" } else { "Create account" }}
                </button>
            </form>
            <p>"Already have an account? " <A href=move || with_next("/login", query.read().get("next"))>"Log in"</A></p>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_of_this_app_are_followed_after_login() {
        let go = |n: &str| next_path(Some(n.to_owned()), Role::Customer);
        assert_eq!(go("/orders?page=2"), "/orders?page=2");
        assert_eq!(go("/books/42"), "/books/42");
        for foreign in [
            "//evil.example",
            "/\\evil.example",
            "/\\/evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "https://evil.example",
            "evil.example",
            "/login",
        ] {
            assert_eq!(go(foreign), "/", "{foreign:?} was followed");
        }
        assert_eq!(next_path(None, Role::Owner), "/admin");
        assert_eq!(next_path(None, Role::Staff), "/admin");
    }
}
