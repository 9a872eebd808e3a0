//! The OpenAPI 3.1 document, generated from the handlers and model types.
use crate::routes;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
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
    components(schemas(
        bookstore_model::StockEvent,
        bookstore_model::RemovedEvent,
        bookstore_model::CatalogueEvent,
        // The body of every webhook delivery.
        bookstore_model::Event,
        // The `data` of a `stock.low` event.
        bookstore_model::StockLow,
        // The body of every error response (see `CommonResponses`).
        bookstore_model::Problem
    )),
    modifiers(&BearerAuth),
    tags(
        (name = "catalogue", description = "Browse and search books"),
        (name = "accounts", description = "Register and log in"),
        (name = "orders", description = "Buy and return books"),
        (name = "admin", description = "Manage the inventory and the orders. Each operation under `/api/v1/admin` states the least role it takes as `x-required-role` and in its description: `staff` (owners too) or `owner`"),
        (name = "staff", description = "The shop's owners and staff: list them, invite, change roles (owner token)"),
        (name = "webhooks", description = "Endpoints that receive the shop's events, signed per the Standard Webhooks specification (owner token)"),
        (name = "api-keys", description = "Scoped keys for integrators (owner token only). An operation that a key may call lists the scope it needs under `api_key` (`Authorization: Bearer bk_live_…`) and `api_key_header` (`X-Api-Key`); a key without it gets 403 `insufficient_scope`"),
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
        // An API key as a bearer credential (told from a JWT by its `bk_live_` prefix)...
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("bk_live_<8 characters>_<secret>")
                    .description(Some("An API key; the operation lists the scope it needs"))
                    .build(),
            ),
        );
        // ...or in a header of its own.
        components.add_security_scheme(
            "api_key_header",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-Api-Key",
                "An API key; the operation lists the scope it needs",
            ))),
        );
    }
}

/// The error responses that middleware and extractors give on every operation of a kind, so
/// that each handler need not repeat them (one listed by a handler, with its own description,
/// is kept): 400 for a malformed path, query or header parameter; for a JSON body 400
/// (malformed), 413, 415 and 422 (invalid); 401 with a bearer token, 403 on admin routes; 429
/// on the API (rate limits, also per API key); and `default`, any other error (500, 503), always a problem. Every
/// error response, these and the handlers' own, has the problem document as its body.
struct CommonResponses;

impl Modify for CommonResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        for (path, item) in &mut openapi.paths.paths {
            let admin = path.starts_with("/api/v1/admin/");
            let ops = [
                item.get.as_mut(),
                item.post.as_mut(),
                item.put.as_mut(),
                item.patch.as_mut(),
                item.delete.as_mut(),
            ];
            for op in ops {
                let Some(op) = op else { continue };
                let mut add: Vec<(&str, &str)> = Vec::new();
                if op.parameters.as_ref().is_some_and(|p| !p.is_empty()) {
                    add.push((
                        "400",
                        "A malformed parameter (`invalid_id`, `invalid_query`, `invalid_header`)",
                    ));
                }
                if op.request_body.is_some() {
                    add.push(("400", "Malformed JSON (`invalid_json`)"));
                    add.push(("413", "The body is too large (`payload_too_large`)"));
                    add.push(("415", "Not `application/json` (`unsupported_media_type`)"));
                    add.push(("422", "The body is not valid (`validation_failed`)"));
                }
                if op.security.as_ref().is_some_and(|s| !s.is_empty()) {
                    add.push((
                        "401",
                        "No credential, or an expired, invalid or revoked one (`unauthorized`)",
                    ));
                }
                if admin {
                    let role = required_role(op);
                    add.push((
                        "403",
                        match role.as_deref() {
                            Some("owner") => {
                                "The token is not an owner's (`forbidden`), or an API key may \
                                 not do this (`insufficient_scope`)"
                            }
                            _ => {
                                "The token is not an owner's or a staff member's \
                                 (`forbidden`), or an API key may not do this \
                                 (`insufficient_scope`)"
                            }
                        },
                    ));
                    // The role, in words too, where the reader looks first.
                    if let Some(role) = role {
                        let needs = match role.as_str() {
                            "owner" => "**Role:** owner.",
                            _ => "**Role:** staff (or owner).",
                        };
                        op.description = Some(match op.description.take() {
                            Some(d) if !d.is_empty() => format!("{d}\n\n{needs}"),
                            _ => needs.to_owned(),
                        });
                    }
                }
                // Reads and writes alike (`rate_limit.*`).
                if path.starts_with("/api/") {
                    add.push((
                        "429",
                        "Too many requests from this client or API key (`rate_limited`); see `Retry-After`",
                    ));
                }
                add.push((
                    "default",
                    "Any other error, e.g. 503 when the store cannot be reached (`unavailable`)",
                ));
                // One response per status: the causes of a status, joined.
                let mut by_status: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
                for (status, description) in add {
                    by_status.entry(status).or_default().push(description);
                }
                for (status, descriptions) in by_status {
                    op.responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| {
                            ResponseBuilder::new()
                                .description(descriptions.join("; "))
                                .build()
                                .into()
                        });
                }
                // Every error response, these and the handlers' own, is a problem document:
                // the status and its causes are given above or by the handler, the body here.
                for (status, response) in op.responses.responses.iter_mut() {
                    let error = status == "default" || status.starts_with(['4', '5']);
                    if let utoipa::openapi::RefOr::T(response) = response
                        && error
                        && response.content.is_empty()
                    {
                        response.content.insert(
                            "application/problem+json".to_owned(),
                            ContentBuilder::new()
                                .schema(Some(Ref::from_schema_name("Problem")))
                                .build(),
                        );
                    }
                }
            }
        }
    }
}

/// The least role whose token may call an operation: its `x-required-role` extension, which
/// every admin operation states (a test checks it against what the server does).
fn required_role(op: &utoipa::openapi::path::Operation) -> Option<String> {
    op.extensions
        .as_ref()?
        .get("x-required-role")?
        .as_str()
        .map(str::to_owned)
}

/// The whole document: [`ApiDoc`] with every route that `routes::register` registers (the
/// same function the server registers them with), then the responses common to them.
pub fn document() -> utoipa::openapi::OpenApi {
    use utoipa_actix_web::AppExt;
    let (_, mut doc) = actix_web::App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(|cfg| routes::register(cfg, true))
        .split_for_parts();
    CommonResponses.modify(&mut doc);
    doc
}

/// The document as committed in `api-spec/openapi.json`.
pub fn pretty_json() -> String {
    let mut s = document().to_pretty_json().unwrap_or_default();
    s.push('\n');
    s
}
