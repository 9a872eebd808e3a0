//! Who is logged in. The token lives in memory and in `localStorage`, shared by the tabs of
//! this browser (never in a URL): signing in or out in one tab does it in all of them, through
//! the `storage` event other tabs get when the session's key changes. The token still ends at
//! its expiry, and a refused one logs every tab out.
use bookstore_model::{AuthResponse, Role, User};
use leptos::prelude::*;

const KEY: &str = "bookstore.session";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// The session another tab left in storage, if any and not expired.
fn stored() -> Option<AuthResponse> {
    storage()
        .and_then(|s| s.get_item(KEY).ok().flatten())
        .and_then(|json| serde_json::from_str::<AuthResponse>(&json).ok())
        .filter(still_valid)
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
    /// Whether the session came from another tab (or an earlier page load) rather than a
    /// sign-in in this one: only the tab where the person signed in merges its cart.
    adopted: RwSignal<bool>,
}

impl Session {
    /// Restores the browser's session, if any and not expired, and follows the other tabs'
    /// sign-ins and sign-outs from then on.
    pub fn restore() -> Self {
        let session = Self {
            auth: RwSignal::new(stored()),
            expired: RwSignal::new(false),
            adopted: RwSignal::new(true),
        };
        // Fired in the other tabs of this origin when one changes `localStorage` (`key` is
        // null when it was cleared). The listener lives as long as the page.
        let _ = window_event_listener(leptos::ev::storage, move |e| {
            if e.key().is_none_or(|k| k == KEY) {
                session.adopt(stored());
            }
        });
        session
    }

    /// Takes the session another tab stored (or its absence: signed out there).
    fn adopt(&self, auth: Option<AuthResponse>) {
        let current = self.auth.get_untracked();
        if current.as_ref().map(|a| &a.token) == auth.as_ref().map(|a| &a.token)
            && current.as_ref().map(|a| &a.user) == auth.as_ref().map(|a| &a.user)
        {
            return;
        }
        self.adopted.set(true);
        self.expired.set(false);
        self.auth.set(auth);
    }

    /// A sign-in in this tab (or a new token for it, e.g. after a password change).
    pub fn login(&self, auth: AuthResponse) {
        self.store(&auth);
        self.adopted.set(false);
        self.expired.set(false);
        self.auth.set(Some(auth));
    }

    fn store(&self, auth: &AuthResponse) {
        if let (Some(s), Ok(json)) = (storage(), serde_json::to_string(auth)) {
            let _ = s.set_item(KEY, &json);
        }
    }

    /// The account changed (a new name): the session shows it, its token stays.
    pub fn set_user(&self, user: User) {
        let Some(mut auth) = self.auth.get_untracked() else {
            return;
        };
        auth.user = user;
        self.store(&auth);
        self.auth.set(Some(auth));
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

    /// Whether the current session was signed into in this tab (untracked).
    pub fn signed_in_here(&self) -> bool {
        !self.adopted.get_untracked()
    }

    pub fn user(&self) -> Option<User> {
        self.auth.with(|a| a.as_ref().map(|a| a.user.clone()))
    }

    pub fn is_logged_in(&self) -> bool {
        self.auth.with(Option::is_some)
    }

    /// An owner or a staff member: the admin screens of the inventory and the orders.
    pub fn is_admin(&self) -> bool {
        self.auth
            .with(|a| a.as_ref().is_some_and(|a| a.user.role.is_staff()))
    }

    /// An owner: also the screens of the staff, API keys, webhooks and the audit log.
    pub fn is_owner(&self) -> bool {
        self.auth
            .with(|a| a.as_ref().is_some_and(|a| a.user.role == Role::Owner))
    }
}

pub fn use_session() -> Session {
    expect_context::<Session>()
}
