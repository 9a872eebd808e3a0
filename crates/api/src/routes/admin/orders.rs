use crate::auth::{
    Authorized,
    scope::{OrdersRead, OrdersWrite},
};
use crate::error::ApiResult;
use crate::state::AppState;
use actix_web::{get, post, web};
use bookstore_model::{
    Order, OrderId, OrderQuery, Page, Return, ReturnId, ReturnReceipt, ShipOrder,
};
use utoipa_actix_web::{scope, service_config::ServiceConfig};

/// Registers this resource's routes (for actix and the OpenAPI document alike).
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(
        scope("/orders")
            .service(list)
            .service(show)
            .service(ship)
            .service(deliver)
            .service(cancel)
            .service(returns)
            .service(receive_return),
    );
}

/// All orders, newest first (or oldest first), optionally of one status. The fulfilment
/// queue is `?status=paid&oldest_first=true`.
#[utoipa::path(
    get,
    operation_id = "listAllOrders",
    tag = "admin",
    security(("bearer" = []), ("api_key" = ["orders:read"]), ("api_key_header" = ["orders:read"])),
    extensions(("x-required-role" = json!("staff"))),
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

/// Any order, with the customer's e-mail and shipping address.
#[utoipa::path(
    get,
    operation_id = "getAnyOrder",
    tag = "admin",
    security(("bearer" = []), ("api_key" = ["orders:read"]), ("api_key_header" = ["orders:read"])),
    extensions(("x-required-role" = json!("staff"))),
    params(("id" = OrderId, Path, description = "Order id")),
    responses(
        (status = 200, description = "The order", body = Order),
        (status = 404, description = "No such order (`not_found`)")
    )
)]
#[get("/{id}")]
pub async fn show(
    state: web::Data<AppState>,
    _admin: Authorized<OrdersRead>,
    id: web::Path<OrderId>,
) -> ApiResult<web::Json<Order>> {
    Ok(web::Json(state.orders.get(*id).await?))
}

/// Ship a paid order: the payment is captured (taken) first, then the order is `shipped` with
/// its carrier and tracking number.
#[utoipa::path(
    post,
    operation_id = "shipOrder",
    tag = "admin",
    security(("bearer" = []), ("api_key" = ["orders:write"]), ("api_key_header" = ["orders:write"])),
    extensions(("x-required-role" = json!("staff"))),
    params(("id" = OrderId, Path, description = "Order id")),
    request_body = ShipOrder,
    responses(
        (status = 200, description = "The shipped order", body = Order),
        (status = 402, description = "The payment could not be captured (`payment_declined`)"),
        (status = 404, description = "No such order (`not_found`)"),
        (status = 409, description = "The order is not `paid` (`invalid_transition`), e.g. cancelled meanwhile"),
        (status = 422, description = "A bad carrier or tracking number (`validation_failed`)"),
        (status = 503, description = "`payment_unavailable`: the provider did not answer; retry after `Retry-After`")
    )
)]
#[post("/{id}/ship")]
pub async fn ship(
    state: web::Data<AppState>,
    admin: Authorized<OrdersWrite>,
    id: web::Path<OrderId>,
    body: web::Json<ShipOrder>,
) -> ApiResult<web::Json<Order>> {
    Ok(web::Json(
        state.orders.ship(&admin, *id, body.into_inner()).await?,
    ))
}

/// Mark a shipped order delivered (from then on, the return window runs).
#[utoipa::path(
    post,
    operation_id = "deliverOrder",
    tag = "admin",
    security(("bearer" = []), ("api_key" = ["orders:write"]), ("api_key_header" = ["orders:write"])),
    extensions(("x-required-role" = json!("staff"))),
    params(("id" = OrderId, Path, description = "Order id")),
    responses(
        (status = 200, description = "The delivered order", body = Order),
        (status = 404, description = "No such order (`not_found`)"),
        (status = 409, description = "The order is not `shipped` (`invalid_transition`)")
    )
)]
#[post("/{id}/deliver")]
pub async fn deliver(
    state: web::Data<AppState>,
    admin: Authorized<OrdersWrite>,
    id: web::Path<OrderId>,
) -> ApiResult<web::Json<Order>> {
    Ok(web::Json(state.orders.deliver(&admin, *id).await?))
}

/// Cancel any order before it ships: copies back to stock, the payment released.
#[utoipa::path(
    post,
    operation_id = "cancelAnyOrder",
    tag = "admin",
    security(("bearer" = []), ("api_key" = ["orders:write"]), ("api_key_header" = ["orders:write"])),
    extensions(("x-required-role" = json!("staff"))),
    params(("id" = OrderId, Path, description = "Order id")),
    responses(
        (status = 200, description = "The cancelled order", body = Order),
        (status = 404, description = "No such order (`not_found`)"),
        (status = 409, description = "The order has shipped or ended already (`invalid_transition`)")
    )
)]
#[post("/{id}/cancel")]
pub async fn cancel(
    state: web::Data<AppState>,
    admin: Authorized<OrdersWrite>,
    id: web::Path<OrderId>,
) -> ApiResult<web::Json<Order>> {
    Ok(web::Json(state.orders.cancel(&admin, *id, true).await?))
}

/// The returns of any order, oldest first: requested ones wait to be received.
#[utoipa::path(
    get,
    operation_id = "listAnyOrderReturns",
    tag = "admin",
    security(("bearer" = []), ("api_key" = ["orders:read"]), ("api_key_header" = ["orders:read"])),
    extensions(("x-required-role" = json!("staff"))),
    params(("id" = OrderId, Path, description = "Order id")),
    responses(
        (status = 200, description = "The order's returns", body = Vec<Return>),
        (status = 404, description = "No such order (`not_found`)")
    )
)]
#[get("/{id}/returns")]
pub async fn returns(
    state: web::Data<AppState>,
    _admin: Authorized<OrdersRead>,
    id: web::Path<OrderId>,
) -> ApiResult<web::Json<Vec<Return>>> {
    Ok(web::Json(state.orders.returns_of_any(*id).await?))
}

/// The copies of a requested return arrived: they go back to stock, the order counts them
/// returned, and the refund is issued through the payment provider (`refund.issued` follows
/// once the provider confirms).
#[utoipa::path(
    post,
    operation_id = "receiveReturn",
    tag = "admin",
    security(("bearer" = []), ("api_key" = ["orders:write"]), ("api_key_header" = ["orders:write"])),
    extensions(("x-required-role" = json!("staff"))),
    params(
        ("id" = OrderId, Path, description = "Order id"),
        ("return_id" = ReturnId, Path, description = "Return id")
    ),
    responses(
        (status = 200, description = "The received return and the order", body = ReturnReceipt),
        (status = 404, description = "No such order or return (`not_found`)"),
        (status = 409, description = "Received already (`invalid_transition`), or the order kept changing (`conflict`)")
    )
)]
#[post("/{id}/returns/{return_id}/receive")]
pub async fn receive_return(
    state: web::Data<AppState>,
    admin: Authorized<OrdersWrite>,
    ids: web::Path<(OrderId, ReturnId)>,
) -> ApiResult<web::Json<ReturnReceipt>> {
    let (id, return_id) = ids.into_inner();
    Ok(web::Json(
        state.orders.receive_return(&admin, id, return_id).await?,
    ))
}
