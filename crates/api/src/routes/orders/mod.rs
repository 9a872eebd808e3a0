mod returns;

use crate::auth::AuthUser;
use crate::error::ApiResult;
use crate::extract::IdempotencyKey;
use crate::state::AppState;
use actix_web::{HttpResponse, get, post, web};
use bookstore_model::{Order, OrderId, OrderQuote, Page, PageQuery, PlaceOrder, QuoteRequest};
use utoipa_actix_web::{scope, service_config::ServiceConfig};

/// Registers this resource's routes (for actix and the OpenAPI document alike).
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(
        scope("/orders")
            .service(place)
            .service(quote)
            .route("/quote", crate::routes::other_methods("POST"))
            .service(list)
            .service(show)
            .service(cancel)
            .service(complete_payment)
            .configure(returns::routes),
    );
}

/// Buy books: reserve every line at once (or none), ship to an address with a shipping option,
/// and pay with a card the browser registered at the payment provider (`/payment-config`).
/// The copies are reserved (`pending_payment`), then the card is authorized: the answer is the
/// `paid` order, or 402 with the copies back (`payment_declined`), or 402
/// `payment_requires_action` (3-D Secure: complete it in the browser, then
/// `POST /orders/{id}/payment`). An order not paid within the shop's payment timeout is
/// cancelled and its copies go back. With an `Idempotency-Key`, a retry of the same request
/// answers the same order (200), completing its payment if that was interrupted, instead of
/// buying twice.
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
        (status = 402, description = "The card was declined and nothing was charged (`payment_declined`; the order, if one was reserved, is `payment_failed` and its copies are back), or it needs 3-D Secure (`payment_requires_action`, with `client_secret` and the order's `location`)"),
        (status = 404, description = "`address_id` is not one of my addresses (`not_found`)"),
        (status = 409, description = "Not enough stock (`insufficient_stock`, with `shortages`), or the books kept changing while ordering (`conflict`, retry)"),
        (status = 422, description = "Invalid lines or address (`validation_failed`), a shipping option that does not serve the address's country (`shipping_unavailable`), books not in the catalogue (`unknown_book`, with `unknown_books`), or a key used for another order (`idempotency_key_reused`)"),
        (status = 503, description = "`service_unavailable`: the store is unavailable and no order was placed; or `payment_unavailable`: the payment provider did not answer (with `location` when the order is reserved: retry with the same key, or POST its `/payment`); retry after `Retry-After`"),
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
            .order_value_cents
            .inc_by(u64::try_from(order.total_cents).unwrap_or(0));
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

/// What an order would come to if placed now, without placing it: its lines at today's prices,
/// the shipping, the destination's tax and the total, priced as placing prices them. Nothing is
/// reserved: the stock and the prices may still change before the order is placed.
#[utoipa::path(
    post,
    operation_id = "quoteOrder",
    tag = "orders",
    security(("bearer" = [])),
    request_body = QuoteRequest,
    responses(
        (status = 200, description = "The order's price", body = OrderQuote),
        (status = 404, description = "`address_id` is not one of my addresses (`not_found`)"),
        (status = 409, description = "Not enough stock now (`insufficient_stock`, with `shortages`)"),
        (status = 422, description = "Invalid lines or address (`validation_failed`), a shipping option that does not serve the address's country (`shipping_unavailable`), or books not in the catalogue (`unknown_book`, with `unknown_books`)")
    )
)]
#[post("/quote")]
pub async fn quote(
    state: web::Data<AppState>,
    user: AuthUser,
    body: web::Json<QuoteRequest>,
) -> ApiResult<web::Json<OrderQuote>> {
    Ok(web::Json(
        state.orders.quote(&user, body.into_inner()).await?,
    ))
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

/// Cancel one of my orders before it ships: its copies go back to stock at once and the
/// payment is released (the hold voided, or refunded if already taken).
#[utoipa::path(
    post,
    operation_id = "cancelOrder",
    tag = "orders",
    security(("bearer" = [])),
    params(("id" = OrderId, Path, description = "Order id")),
    responses(
        (status = 200, description = "The cancelled order", body = Order),
        (status = 404, description = "No such order of mine (`not_found`)"),
        (status = 409, description = "The order has shipped or ended already (`invalid_transition`)")
    )
)]
#[post("/{id}/cancel")]
pub async fn cancel(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<OrderId>,
) -> ApiResult<web::Json<Order>> {
    Ok(web::Json(state.orders.cancel(&user, *id, false).await?))
}

/// Complete the payment of one of my `pending_payment` orders: after the card's 3-D Secure
/// step in the browser, or after the provider did not answer. The shop asks the provider and
/// answers the order as it is then (`paid`, or 402 as at checkout). Any other order is
/// answered as it is.
#[utoipa::path(
    post,
    operation_id = "completeOrderPayment",
    tag = "orders",
    security(("bearer" = [])),
    params(("id" = OrderId, Path, description = "Order id")),
    responses(
        (status = 200, description = "The order", body = Order),
        (status = 402, description = "Declined (`payment_declined`; the copies are back) or still waiting for 3-D Secure (`payment_requires_action`)"),
        (status = 404, description = "No such order of mine (`not_found`)"),
        (status = 503, description = "`payment_unavailable`: the provider did not answer; retry after `Retry-After`")
    )
)]
#[post("/{id}/payment")]
pub async fn complete_payment(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<OrderId>,
) -> ApiResult<web::Json<Order>> {
    Ok(web::Json(state.orders.complete_payment(&user, *id).await?))
}
