//! The shop's single-page app: Leptos, rendered in the browser, served by the API binary.
//!
//! - [`api`]: every HTTP call, over the shared typed client;
//! - [`session`], [`cart`], [`live`]: app-wide state (login, cart, live stock);
//! - [`pages`]: one module per screen; the router is [`App`].
pub mod api;
pub mod cart;
pub mod components;
pub mod live;
pub mod pages;
#[cfg(feature = "shopper")]
pub mod payments;
pub mod session;

use crate::api::Api;
use crate::cart::Cart;
use crate::live::{LinkState, Live};
use crate::session::Session;
use leptos::prelude::*;
use leptos_router::components::{A, Outlet, ParentRoute, Route, Router, Routes};
use leptos_router::hooks::{use_location, use_navigate};
use leptos_router::path;
#[cfg(not(feature = "admin"))]
use wasm_bindgen::JsCast;

/// Entry point (called by `main`): mounts the app on `<body>`.
pub fn start() {
    console_error_panic_hook::set_once();
    #[cfg(not(feature = "admin"))]
    let _ = BOOT_PATH.set(loaded_path());
    if let Some(boot) = document().get_element_by_id("boot") {
        boot.remove();
    }
    leptos::mount::mount_to_body(App);
}

pub fn use_api() -> Api {
    expect_context::<Api>()
}

/// The document title of a page named `what` (see `components::page_title`).
fn page_title_of(what: String) -> String {
    if what.is_empty() {
        "Bookstore".to_owned()
    } else {
        format!("{what} · Bookstore")
    }
}

#[component]
pub fn App() -> impl IntoView {
    let session = Session::restore();
    provide_context(session);
    let api = Api::new(session);
    provide_context(api);
    provide_context(Cart::load(session, api));
    provide_context(Live::start());
    leptos_meta::provide_meta_context();

    view! {
        <leptos_meta::Title formatter=page_title_of />
        <Router>
            <a class="skip" href="#main">"Skip to content"</a>
            <Header />
            <ExpiredRedirect />
            <main id="main" tabindex="-1">
                <Routes fallback=pages::not_found::NotFound>
                    <Route path=path!("/") view=pages::home::Home />
                    <Route path=path!("/books") view=pages::catalogue::Catalogue />
                    <Route path=path!("/books/:id") view=pages::book::BookPage />
                    <Route path=path!("/cart") view=pages::cart::CartPage />
                    <Route path=path!("/checkout") view=shopper::CheckoutPage />
                    <Route path=path!("/login") view=shopper::Login />
                    <Route path=path!("/register") view=shopper::Register />
                    <Route path=path!("/reset-password") view=shopper::ResetPassword />
                    <Route path=path!("/confirm-email") view=shopper::ConfirmEmail />
                    <Route path=path!("/account") view=shopper::AccountPage />
                    <Route path=path!("/orders") view=shopper::MyOrders />
                    <Route path=path!("/orders/:id") view=shopper::OrderPage />
                    <AdminRoutes />
                    <Route path=path!("/staff-invitation") view=shopper::AcceptInvitation />
                </Routes>
            </main>
            <footer class="footer">
                <LiveIndicator />
            </footer>
        </Router>
    }
}

/// The shopper's own pages, in the bundles with the feature `shopper`; the shop's smallest
/// bundle loads them from the server (see `bookstore_model::bundle`).
#[cfg(feature = "shopper")]
mod shopper {
    pub use crate::pages::account::{Login, Register};
    pub use crate::pages::checkout::CheckoutPage;
    pub use crate::pages::invitation::AcceptInvitation;
    pub use crate::pages::my_account::AccountPage;
    pub use crate::pages::orders::{MyOrders, OrderPage};
    pub use crate::pages::recovery::{ConfirmEmail, ResetPassword};
}

#[cfg(not(feature = "shopper"))]
mod shopper {
    pub(crate) use crate::LoadFromServer as CheckoutPage;
    pub(crate) use crate::LoadFromServer as Login;
    pub(crate) use crate::LoadFromServer as Register;
    pub(crate) use crate::LoadFromServer as ResetPassword;
    pub(crate) use crate::LoadFromServer as ConfirmEmail;
    pub(crate) use crate::LoadFromServer as AccountPage;
    pub(crate) use crate::LoadFromServer as MyOrders;
    pub(crate) use crate::LoadFromServer as OrderPage;
    pub(crate) use crate::LoadFromServer as AcceptInvitation;
}

/// The admin screens, in the admin bundle only (`cargo xtask spa` builds the shop's bundle
/// without the feature `admin`, so that shoppers never download them; the server sends
/// `admin.html`, which loads the admin bundle, for every `/admin/…` page).
#[cfg(feature = "admin")]
#[component(transparent)]
fn AdminRoutes() -> impl leptos_router::MatchNestedRoutes + Clone {
    view! {
        <ParentRoute path=path!("/admin") view=Outlet>
            <Route path=path!("") view=pages::admin::inventory::Inventory />
            <Route path=path!("books/new") view=pages::admin::new_book::NewBookPage />
            <Route path=path!("stock") view=pages::admin::stock::StockLevels />
            <Route path=path!("orders") view=pages::admin::orders::AdminOrders />
            <Route path=path!("orders/:id") view=pages::admin::order::AdminOrderPage />
            <Route path=path!("csv") view=pages::admin::csv::CsvPage />
            <Route path=path!("audit") view=pages::admin::audit::AuditLog />
            <Route path=path!("dashboard") view=pages::admin::dashboard::Dashboard />
            <Route path=path!("webhooks") view=pages::admin::webhooks::Webhooks />
            <Route path=path!("api-keys") view=pages::admin::api_keys::ApiKeys />
            <Route path=path!("staff") view=pages::admin::staff::Staff />
        </ParentRoute>
    }
    .into_inner()
}

/// In the shop's bundles, an admin page (a link, the redirect after a staff login) is loaded
/// from the server: that is the admin bundle.
#[cfg(not(feature = "admin"))]
#[component(transparent)]
fn AdminRoutes() -> impl leptos_router::MatchNestedRoutes + Clone {
    view! {
        <ParentRoute path=path!("/admin") view=Outlet>
            <Route path=path!("") view=LoadFromServer />
            <Route path=path!("*rest") view=LoadFromServer />
        </ParentRoute>
    }
    .into_inner()
}

#[cfg(not(feature = "admin"))]
#[component]
pub(crate) fn LoadFromServer() -> impl IntoView {
    // The router's address, not the window's: the router renders the new page first and only
    // then puts its address in the address bar.
    let location = use_location();
    let path = location.pathname.get_untracked();
    // The server sent this bundle for this very address (a dist without the page of the bundle
    // that has it): loading it again would loop.
    if BOOT_PATH.get().is_some_and(|boot| *boot == path) {
        return view! { <pages::not_found::NotFound /> }.into_any();
    }
    let search = location.search.get_untracked();
    let hash = location.hash.get_untracked();
    let query = if search.is_empty() {
        String::new()
    } else {
        format!("?{search}")
    };
    let hash = match hash.as_str() {
        "" | "#" => String::new(),
        h if h.starts_with('#') => hash,
        h => format!("#{h}"),
    };
    // The server answers it with the page of the bundle that has it. (Should the router have
    // put the address in the bar already, the browser replaces that entry: one in history.)
    let _ = window().location().assign(&format!("{path}{query}{hash}"));
    view! { <p class="boot" role="status">"Loading…"</p> }.into_any()
}

/// The path the server sent this document for. Not `location` at start: a script (or a quick
/// back button) can move the address before the WASM has loaded, and the app would then take
/// the new address for the one the server answered.
#[cfg(not(feature = "admin"))]
fn loaded_path() -> String {
    let navigation = window()
        .performance()
        .map(|p| p.get_entries_by_type("navigation"))
        .and_then(|entries| entries.get(0).dyn_into::<web_sys::PerformanceEntry>().ok())
        .and_then(|entry| web_sys::Url::new(&entry.name()).ok());
    match navigation {
        Some(url) => url.pathname(),
        None => window().location().pathname().unwrap_or_default(),
    }
}

/// The path the app started at.
#[cfg(not(feature = "admin"))]
static BOOT_PATH: std::sync::OnceLock<String> = std::sync::OnceLock::new();

#[component]
fn Header() -> impl IntoView {
    let session = session::use_session();
    let cart = cart::use_cart();
    let navigate = use_navigate();
    let logout = move |_| {
        session.logout();
        navigate("/", Default::default());
    };
    view! {
        <header class="header">
            <A href="/" attr:class="brand">"Bookstore"</A>
            <nav aria-label="Main">
                <ul class="nav">
                    <li><A href="/books">"Catalogue"</A></li>
                    <Show when=move || session.is_logged_in() && !session.is_admin()>
                        <li><A href="/orders">"My orders"</A></li>
                    </Show>
                    <Show when=move || session.is_admin()>
                        // Exact: every admin path starts with /admin, so Inventory would
                        // otherwise be marked the current page on all of them.
                        <li><A href="/admin" exact=true>"Inventory"</A></li>
                        <li><A href="/admin/stock">"Stock levels"</A></li>
                        <li><A href="/admin/orders">"Orders"</A></li>
                        <li><A href="/admin/dashboard">"Dashboard"</A></li>
                        <li><A href="/admin/csv">"Import / export"</A></li>
                    </Show>
                    // Owners only: staff never see links to screens the API refuses them.
                    <Show when=move || session.is_owner()>
                        <li><A href="/admin/audit">"Audit log"</A></li>
                        <li><A href="/admin/webhooks">"Webhooks"</A></li>
                        <li><A href="/admin/api-keys">"API keys"</A></li>
                        <li><A href="/admin/staff">"Staff"</A></li>
                    </Show>
                    <li>
                        <A href="/cart" attr:class="cart-link">
                            "Cart "
                            <span class="badge" aria-label=move || format!("{} items", cart.count())>
                                {move || cart.count()}
                            </span>
                        </A>
                    </li>
                    <Show
                        when=move || session.is_logged_in()
                        fallback=|| view! { <li><A href="/login">"Log in"</A></li> }
                    >
                        <li class="who">
                            <A href="/account" attr:class="user-name" attr:title="Your account">
                                {move || session.user().map(|u| u.name.to_string()).unwrap_or_default()}
                            </A>
                            <button type="button" class="btn link" on:click=logout.clone()>
                                "Log out"
                            </button>
                        </li>
                    </Show>
                </ul>
            </nav>
        </header>
    }
}

/// When the server refuses the token (expired, revoked), sends the user to log in again and
/// back to where they were afterwards.
#[component]
fn ExpiredRedirect() -> impl IntoView {
    let session = session::use_session();
    let navigate = use_navigate();
    let location = use_location();
    Effect::new(move |_| {
        if session.expired() {
            let path = location.pathname.get_untracked();
            if path != "/login" {
                // The query too: a catalogue page's genre, search and sort survive the login.
                let search = location.search.get_untracked();
                let here = if search.is_empty() {
                    path
                } else {
                    format!("{path}?{search}")
                };
                let next = js_sys::encode_uri_component(&here);
                navigate(&format!("/login?expired=1&next={next}"), Default::default());
            }
        }
    });
}

#[component]
fn LiveIndicator() -> impl IntoView {
    let live = live::use_live();
    view! {
        <p class="live" data-link=move || format!("{:?}", live.link.get())>
            {move || match live.link.get() {
                LinkState::Open => "Stock updates live",
                LinkState::Connecting => "Connecting for live stock…",
                LinkState::Reconnecting => "Live stock paused, reconnecting…",
            }}
        </p>
    }
}
