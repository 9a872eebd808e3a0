//! `/api/v1/me`: the caller's own account and what hangs off it.
pub mod addresses;

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use actix_web::{get, web};
use bookstore_model::{Email, User};
use utoipa_actix_web::{scope, service_config::ServiceConfig};

/// Registers this resource's routes (for actix and the OpenAPI document alike).
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(scope("/me").service(show).configure(addresses::routes));
}

/// The account the token belongs to.
#[utoipa::path(
    get,
    operation_id = "getMe",
    tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The account", body = User),
        (status = 401, description = "No token, an expired or invalid one, or the account no longer exists (`unauthorized`)")
    )
)]
#[get("")]
pub async fn show(state: web::Data<AppState>, user: AuthUser) -> ApiResult<web::Json<User>> {
    let email =
        Email::parse(&user.email).map_err(|_| ApiError::Unauthorized("the token is invalid"))?;
    match state.users.find(&email).await? {
        Some((u, _)) if u.id == user.id => Ok(web::Json(u)),
        _ => Err(ApiError::Unauthorized("the account no longer exists")),
    }
}
