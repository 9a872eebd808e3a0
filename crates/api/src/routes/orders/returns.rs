//! `/api/v1/orders/{id}/returns`: the returns of one of my orders.
use crate::auth::AuthUser;
use crate::error::ApiResult;
use crate::extract::IdempotencyKey;
use crate::state::AppState;
use actix_web::{HttpResponse, get, post, web};
use bookstore_model::{CreateReturn, OrderId, Return, ReturnReceipt};
use utoipa_actix_web::service_config::ServiceConfig;

/// Registers the returns routes inside the `/orders` scope.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(create_return).service(list_returns);
}

/// Ask to return copies of a delivered order, within the shop's return window, with a reason:
/// the return is `requested`; once the shop receives the copies they go back to stock and the
/// refund is issued. Never more than bought minus already asked back. With an
/// `Idempotency-Key`, a retry of the same request answers the same return (200) instead of a
/// second one.
#[utoipa::path(
    post,
    operation_id = "createReturn",
    tag = "orders",
    security(("bearer" = [])),
    params(
        ("id" = OrderId, Path, description = "Order id"),
        ("Idempotency-Key" = Option<String>, Header, nullable = false, description = "Makes retries safe: 1 to 255 visible ASCII characters", pattern = "^[!-~]{1,255}$")
    ),
    request_body = CreateReturn,
    responses(
        (status = 201, description = "Requested", body = ReturnReceipt),
        (status = 200, description = "A retry: the return made earlier with this key, and the order as it is now", body = ReturnReceipt),
        (status = 400, description = "A malformed `Idempotency-Key` (`invalid_header`)"),
        (status = 404, description = "No such order of mine (`not_found`)"),
        (status = 409, description = "`return_exceeds_purchase`, with `excess`; `invalid_transition` when the order is not delivered; or `conflict` when the order kept changing"),
        (status = 422, description = "Invalid lines (`validation_failed`), delivered longer ago than the return window (`return_window_closed`), or a key used for another return (`idempotency_key_reused`)"),
        (status = 503, description = "`service_unavailable`: nothing was returned; retry after `Retry-After`"),
        (status = 504, description = "`outcome_unknown`: the store did not confirm the return and reading it back could not tell whether it was made; `location` lists the order's returns")
    )
)]
#[post("/{id}/returns")]
pub async fn create_return(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<OrderId>,
    key: IdempotencyKey,
    body: web::Json<CreateReturn>,
) -> ApiResult<HttpResponse> {
    let (receipt, created) = state
        .orders
        .create_return(&user, *id, body.into_inner(), key.0)
        .await?;
    if !created {
        return Ok(HttpResponse::Ok().json(receipt));
    }
    let units: u64 = receipt
        .return_
        .lines
        .iter()
        .map(|l| u64::from(l.quantity))
        .sum();
    state.metrics.units_returned.inc_by(units);
    Ok(HttpResponse::Created().json(receipt))
}

/// The returns of one of my orders, oldest first.
#[utoipa::path(
    get,
    operation_id = "listReturns",
    tag = "orders",
    security(("bearer" = [])),
    params(("id" = OrderId, Path, description = "Order id")),
    responses(
        (status = 200, description = "The order's returns, oldest first", body = Vec<Return>),
        (status = 404, description = "No such order of mine (`not_found`)")
    )
)]
#[get("/{id}/returns")]
pub async fn list_returns(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<OrderId>,
) -> ApiResult<web::Json<Vec<Return>>> {
    Ok(web::Json(state.orders.returns_of(&user, *id).await?))
}
