//! `/api/v1/payment-config`: what the shopper's browser needs to collect a card (the
//! provider's script and the shop's publishable key); anyone may read it.
use crate::error::ApiResult;
use crate::state::AppState;
use actix_web::{get, web};
use bookstore_model::PaymentConfig;
use utoipa_actix_web::service_config::ServiceConfig;

/// Registers this resource's routes (for actix and the OpenAPI document alike).
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(show);
}

/// The payment provider's script and publishable key. Card data goes from the browser to the
/// provider only; checkout sends the shop the payment method's id.
#[utoipa::path(
    get,
    operation_id = "getPaymentConfig",
    tag = "orders",
    responses(
        (status = 200, description = "How to collect a card", body = PaymentConfig),
        (status = 503, description = "`payment_unavailable`: no payment provider is configured")
    )
)]
#[get("/payment-config")]
pub async fn show(state: web::Data<AppState>) -> ApiResult<web::Json<PaymentConfig>> {
    Ok(web::Json(state.orders.payment_config()?))
}
