//! `/api/v1/me/cart`: the caller's cart, kept on the server so that it follows the person
//! from browser to browser. A `PUT` replaces the whole cart; the last one wins.
use crate::auth::AuthUser;
use crate::error::ApiResult;
use crate::state::AppState;
use actix_web::{get, put, web};
use bookstore_model::{Cart, CartInput};
use utoipa_actix_web::service_config::ServiceConfig;

/// Registers this resource's routes (for actix and the OpenAPI document alike).
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(show).service(replace);
}

/// My cart, each line checked against the catalogue now: `available`, `insufficient_stock`
/// (`stock` says how many copies there are) or `unavailable` (no longer in the catalogue).
/// `checkout_ready` is true when there are lines and none is flagged.
#[utoipa::path(
    get,
    operation_id = "getMyCart",
    tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "My cart (empty if never saved)", body = Cart),
        (status = 401, description = "No token, an expired or invalid one (`unauthorized`)")
    )
)]
#[get("/cart")]
pub async fn show(state: web::Data<AppState>, user: AuthUser) -> ApiResult<web::Json<Cart>> {
    Ok(web::Json(state.carts.get(&user).await?))
}

/// Replace my whole cart (an empty `lines` empties it); the last write wins. Any book id is
/// kept, one not in the catalogue is answered as `unavailable`.
#[utoipa::path(
    put,
    operation_id = "replaceMyCart",
    tag = "accounts",
    security(("bearer" = [])),
    request_body = CartInput,
    responses(
        (status = 200, description = "The cart as saved, checked against the catalogue", body = Cart),
        (status = 401, description = "No token, an expired or invalid one (`unauthorized`)"),
        (status = 422, description = "More than 50 lines, a quantity outside 1..=1000, or a book on more than one line (`validation_failed`)"),
        (status = 504, description = "`outcome_unknown`: the store did not confirm the cart; sending it again is safe")
    )
)]
#[put("/cart")]
pub async fn replace(
    state: web::Data<AppState>,
    user: AuthUser,
    body: web::Json<CartInput>,
) -> ApiResult<web::Json<Cart>> {
    Ok(web::Json(
        state.carts.replace(&user, body.into_inner()).await?,
    ))
}
