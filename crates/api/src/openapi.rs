//! The OpenAPI 3.1 document, generated from the handlers and model types.
use crate::routes;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Bookstore API",
        version = "1.0.0",
        description = "The JSON API of the bookstore: catalogue, accounts, orders, returns and administration. \
Every error is an RFC 9457 problem document (`application/problem+json`) with a stable `code`. \
Listings are paginated with opaque, signed cursors."
    ),
    paths(
        routes::health::healthz,
        routes::health::readyz,
        routes::health::metrics,
        routes::books::list,
        routes::books::show,
        routes::genres::list,
        routes::bestsellers::list,
        routes::events::stream,
        routes::auth::register,
        routes::auth::login,
        routes::me::show,
        routes::orders::place,
        routes::orders::list,
        routes::orders::show,
        routes::orders::create_return,
        routes::orders::list_returns,
        routes::admin::books::create,
        routes::admin::books::update,
        routes::admin::books::remove,
        routes::admin::books::adjust_stock,
        routes::admin::orders::list,
        routes::admin::audit::list,
    ),
    components(schemas(
        bookstore_model::StockEvent,
        bookstore_model::RemovedEvent,
        bookstore_model::CatalogueEvent
    )),
    modifiers(&BearerAuth),
    tags(
        (name = "catalogue", description = "Browse and search books"),
        (name = "accounts", description = "Register and log in"),
        (name = "orders", description = "Buy and return books"),
        (name = "admin", description = "Manage the inventory (admin token)"),
        (name = "health", description = "Liveness and readiness"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The document as committed in `api-spec/openapi.json`.
pub fn pretty_json() -> String {
    let mut s = ApiDoc::openapi().to_pretty_json().unwrap_or_default();
    s.push('\n');
    s
}
