mod returns;

use crate::auth::AuthUser;
use crate::error::ApiResult;
use crate::extract::IdempotencyKey;
use crate::state::AppState;
use actix_web::{HttpResponse, get, post, web};
use bookstore_model::{Order, OrderId, Page, PageQuery, PlaceOrder};
use utoipa_actix_web::{scope, service_config::ServiceConfig};

/// Registers this resource's routes (for actix and the OpenAPI document alike).
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(
        scope("/orders")
            .service(place)
            .service(list)
            .service(show)
            .configure(returns::routes),
    );
}

/// Buy books. All lines are reserved at once or none is. With an `Idempotency-Key`, a retry
/// of the same request returns the same order (200) instead of buying twice. An order the store
/// placed without confirming it in time is read back and answered 201 all the same.
#[utoipa::path(
    post,
    operation_id = "placeOrder",
    tag = "orders",
    security(("bearer" = [])),
    request_body = PlaceOrder,
    params(("Idempotency-Key" = Option<String>, Header, nullable = false, description = "Makes retries safe: 1 to 255 visible ASCII characters", pattern = "^[!-~]{1,255}$")),
    responses(
        (status = 201, description = "Placed", body = Order),
        (status = 200, description = "A retry: the order placed earlier with this key", body = Order),
        (status = 409, description = "Not enough stock (`insufficient_stock`, with `shortages`), or the books kept changing while ordering (`conflict`, retry)"),
        (status = 422, description = "Invalid lines (`validation_failed`), books not in the catalogue (`unknown_book`, with `unknown_books`), or a key used for another order (`idempotency_key_reused`)"),
        (status = 503, description = "`service_unavailable`: the store is unavailable and no order was placed; retry after `Retry-After`"),
        (status = 504, description = "`outcome_unknown`: the store did not confirm the order and reading it back could not tell whether it was placed; `location` is the order to check before retrying")
    )
)]
#[post("")]
pub async fn place(
    state: web::Data<AppState>,
    user: AuthUser,
    key: IdempotencyKey,
    body: web::Json<PlaceOrder>,
) -> ApiResult<HttpResponse> {
    let placed = state.orders.place(&user, body.into_inner(), key.0).await;
    if matches!(placed, Err(bookstore_domain::Error::InsufficientStock(_))) {
        state.metrics.stock_outs.inc();
    }
    let (order, created) = placed?;
    if created {
        state.metrics.orders_placed.inc();
        state
            .metrics
            .units_sold
            .inc_by(order.lines.iter().map(|l| u64::from(l.quantity)).sum());
    }
    let mut res = if created {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    };
    Ok(res
        .insert_header(("Location", format!("/api/v1/orders/{}", order.id)))
        .json(order))
}

/// My orders, newest first.
#[utoipa::path(
    get,
    operation_id = "listOrders",
    tag = "orders",
    security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "A page of my orders", body = Page<Order>),
        (status = 400, description = "A bad query parameter (`invalid_query`) or cursor (`invalid_cursor`)")
    )
)]
#[get("")]
pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    q: web::Query<PageQuery>,
) -> ApiResult<web::Json<Page<Order>>> {
    Ok(web::Json(state.orders.list_mine(&user, &q).await?))
}

/// One of my orders; another customer's order is 404.
#[utoipa::path(
    get,
    operation_id = "getOrder",
    tag = "orders",
    security(("bearer" = [])),
    params(("id" = OrderId, Path, description = "Order id")),
    responses(
        (status = 200, description = "The order", body = Order),
        (status = 404, description = "No such order of mine (`not_found`)")
    )
)]
#[get("/{id}")]
pub async fn show(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<OrderId>,
) -> ApiResult<web::Json<Order>> {
    Ok(web::Json(state.orders.get_own(&user, *id).await?))
}
