use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn NotFound() -> impl IntoView {
    let title = crate::components::page_title(|| "Page not found".to_owned());
    view! {
        {title}
        <section class="page">
            <h1>"Page not found"</h1>
            <p>"There is nothing here. " <A href="/books">"Browse the catalogue"</A> "."</p>
        </section>
    }
}
