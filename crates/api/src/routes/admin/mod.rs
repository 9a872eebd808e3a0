//! `/api/v1/admin`: every handler takes an `AdminUser`, so a customer token gets 403 and a
//! missing or bad one 401.
pub mod audit;
pub mod books;
pub mod orders;
pub mod webhooks;

use utoipa_actix_web::{scope, service_config::ServiceConfig};

/// Registers everything under `/admin`.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(
        scope("/admin")
            .configure(books::routes)
            .configure(orders::routes)
            .configure(audit::routes)
            .configure(webhooks::routes),
    );
}
