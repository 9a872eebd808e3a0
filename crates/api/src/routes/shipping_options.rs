//! `/api/v1/shipping-options`: how the shop ships and in which currency it charges, from
//! configuration; anyone may read it.
use crate::state::AppState;
use actix_web::{get, web};
use bookstore_model::{ShippingOptions, ShippingQuery};
use utoipa_actix_web::service_config::ServiceConfig;

/// Registers this resource's routes (for actix and the OpenAPI document alike).
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list);
}

/// The ways to ship an order, with the shop's currency; with `country`, only those that ship
/// there.
#[utoipa::path(
    get,
    operation_id = "listShippingOptions",
    tag = "orders",
    params(ShippingQuery),
    responses((status = 200, description = "The shipping options and the currency", body = ShippingOptions))
)]
#[get("/shipping-options")]
pub async fn list(
    state: web::Data<AppState>,
    q: web::Query<ShippingQuery>,
) -> web::Json<ShippingOptions> {
    web::Json(state.shipping.listing(q.country.as_ref()))
}
