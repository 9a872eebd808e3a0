//! Who is logged in. The token lives in memory and in `sessionStorage` (this tab only, gone
//! when the tab closes); never in a URL.
use bookstore_model::{AuthResponse, Role, User};
use leptos::prelude::*;

const KEY: &str = "bookstore.session";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok()?
}

fn now_ms() -> f64 {
    js_sys::Date::now()
}

fn still_valid(a: &AuthResponse) -> bool {
    (a.expires_at.timestamp_millis() as f64) > now_ms()
}

#[derive(Clone, Copy)]
pub struct Session {
    auth: RwSignal<Option<AuthResponse>>,
    /// Set when the server refused the token (or it ran out): the app sends the user to log in.
    expired: RwSignal<bool>,
}

impl Session {
    /// Restores the session of this tab, if any and not expired.
    pub fn restore() -> Self {
        let saved = storage()
            .and_then(|s| s.get_item(KEY).ok().flatten())
            .and_then(|json| serde_json::from_str::<AuthResponse>(&json).ok())
            .filter(still_valid);
        Self {
            auth: RwSignal::new(saved),
            expired: RwSignal::new(false),
        }
    }

    pub fn login(&self, auth: AuthResponse) {
        if let (Some(s), Ok(json)) = (storage(), serde_json::to_string(&auth)) {
            let _ = s.set_item(KEY, &json);
        }
        self.expired.set(false);
        self.auth.set(Some(auth));
    }

    /// The account changed (a new name): the session shows it, its token stays.
    pub fn set_user(&self, user: User) {
        let Some(mut auth) = self.auth.get_untracked() else {
            return;
        };
        auth.user = user;
        self.login(auth);
    }

    pub fn logout(&self) {
        if let Some(s) = storage() {
            let _ = s.remove_item(KEY);
        }
        self.auth.set(None);
    }

    /// The token was refused: log out and flag it, so the app can explain and redirect.
    pub fn expire(&self) {
        self.logout();
        self.expired.set(true);
    }

    pub fn expired(&self) -> bool {
        self.expired.get()
    }

    pub fn clear_expired(&self) {
        self.expired.set(false);
    }

    /// The token, if logged in and not past its expiry (untracked: for requests).
    pub fn token(&self) -> Option<String> {
        let auth = self.auth.get_untracked()?;
        if still_valid(&auth) {
            Some(auth.token)
        } else {
            self.expire();
            None
        }
    }

    pub fn user(&self) -> Option<User> {
        self.auth.with(|a| a.as_ref().map(|a| a.user.clone()))
    }

    pub fn is_logged_in(&self) -> bool {
        self.auth.with(Option::is_some)
    }

    pub fn is_admin(&self) -> bool {
        self.auth
            .with(|a| a.as_ref().is_some_and(|a| a.user.role == Role::Admin))
    }
}

pub fn use_session() -> Session {
    expect_context::<Session>()
}
