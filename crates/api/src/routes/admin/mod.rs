//! `/api/v1/admin`: every handler takes an `OwnerUser` or `StaffUser`, or an
//! `Authorized<scope>` (a token whose role the scope allows, or an API key with that scope), so
//! a customer token gets 403, a staff token 403 on owner operations, a key without the scope
//! 403 `insufficient_scope`, and a missing or bad credential 401. Each operation states its
//! least role as `x-required-role` in the OpenAPI document; the HTTP tests check every one.
pub mod api_keys;
pub mod audit;
pub mod books;
pub mod exports;
pub mod genres;
pub mod imports;
pub mod inventory;
pub mod orders;
pub mod staff;
pub mod stats;
pub mod webhooks;

use utoipa_actix_web::{scope, service_config::ServiceConfig};

/// Registers everything under `/admin`.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(
        scope("/admin")
            .configure(books::routes)
            .configure(genres::routes)
            .configure(inventory::routes)
            .configure(imports::routes)
            .configure(exports::routes)
            .configure(orders::routes)
            .configure(audit::routes)
            .configure(webhooks::routes)
            .configure(api_keys::routes)
            .configure(staff::routes)
            .configure(stats::routes),
    );
}
