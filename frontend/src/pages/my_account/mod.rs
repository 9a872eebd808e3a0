//! `/account`: what a signed-in person may change of their own account.
//!
//! - [`profile`]: the name, the e-mail (a link confirms the new one) and the password;
//! - [`addresses`]: the address book, with the API's refusals shown at the field they name;
//! - [`data`]: a download of everything the shop keeps about the account, and deleting it.
pub(crate) mod addresses;
mod data;
mod profile;

use crate::components::page_title;
use crate::session::use_session;
use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn AccountPage() -> impl IntoView {
    let title = page_title(|| "Your account".to_owned());
    let session = use_session();
    // Set once the account is gone: the session ends, and the page says goodbye.
    let deleted = RwSignal::new(false);
    // Only a change of logged in or not redraws the page: a rename or a new token must not
    // (the forms would lose what they say).
    let logged_in = Memo::new(move |_| session.is_logged_in());
    view! {
        {title}
        <section class="page narrow account-page">
            <h1>"Your account"</h1>
            {move || {
                if deleted.get() {
                    view! {
                        <p class="notice" role="status" id="account-deleted">
                            "Your account is deleted, and you are logged out. Thank you for shopping with us."
                        </p>
                        <p><A href="/books">"Back to the catalogue"</A></p>
                    }.into_any()
                } else if !logged_in.get() {
                    view! {
                        <p><A href="/login?next=%2Faccount">"Log in"</A> " to see and change your account."</p>
                    }.into_any()
                } else {
                    view! {
                        <profile::Profile />
                        <profile::ChangeEmail />
                        <profile::ChangePassword />
                        <addresses::AddressBook />
                        <data::ExportData />
                        <data::DeleteAccount deleted=deleted />
                    }.into_any()
                }
            }}
        </section>
    }
}

/// A one-line confirmation under a form.
fn success(id: &'static str, msg: String) -> impl IntoView {
    view! { <p class="success" role="status" id=id>{msg}</p> }
}
