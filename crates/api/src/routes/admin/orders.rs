use crate::auth::{Authorized, scope::OrdersRead};
use crate::error::ApiResult;
use crate::state::AppState;
use actix_web::{get, web};
use bookstore_model::{Order, OrderQuery, Page};
use utoipa_actix_web::{scope, service_config::ServiceConfig};

/// Registers this resource's routes (for actix and the OpenAPI document alike).
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(scope("/orders").service(list));
}

/// All orders, newest first, optionally of one status.
#[utoipa::path(
    get,
    operation_id = "listAllOrders",
    tag = "admin",
    security(("bearer" = []), ("api_key" = ["orders:read"]), ("api_key_header" = ["orders:read"])),
    params(OrderQuery),
    responses(
        (status = 200, description = "A page of every customer's orders", body = Page<Order>),
        (status = 400, description = "A bad query parameter (`invalid_query`) or cursor (`invalid_cursor`)")
    )
)]
#[get("")]
pub async fn list(
    state: web::Data<AppState>,
    _admin: Authorized<OrdersRead>,
    q: web::Query<OrderQuery>,
) -> ApiResult<web::Json<Page<Order>>> {
    Ok(web::Json(state.orders.list_all(&q).await?))
}
