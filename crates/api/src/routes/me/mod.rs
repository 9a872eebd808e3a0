//! `/api/v1/me`: the caller's own account and what hangs off it.
pub mod account;
pub mod addresses;
pub mod cart;

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use actix_web::{HttpResponse, delete, get, put, web};
use bookstore_model::{DeleteAccount, Email, UpdateProfile, User};
use utoipa_actix_web::{scope, service_config::ServiceConfig};

/// Registers this resource's routes (for actix and the OpenAPI document alike).
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(
        scope("/me")
            .service(show)
            .service(update)
            .service(remove)
            .configure(account::routes)
            .configure(addresses::routes)
            .configure(cart::routes),
    );
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

/// Change the account's name (at once).
#[utoipa::path(
    put,
    operation_id = "updateMe",
    tag = "accounts",
    security(("bearer" = [])),
    request_body = UpdateProfile,
    responses(
        (status = 200, description = "The account, renamed", body = User),
        (status = 401, description = "No token, an expired or invalid one, or the account no longer exists (`unauthorized`)"),
        (status = 422, description = "An invalid field (`validation_failed`)")
    )
)]
#[put("")]
pub async fn update(
    state: web::Data<AppState>,
    user: AuthUser,
    body: web::Json<UpdateProfile>,
) -> ApiResult<web::Json<User>> {
    let renamed = state.users.rename(&user, body.into_inner().name).await?;
    Ok(web::Json(renamed))
}

/// Delete the account: the person's data (account, addresses) goes, every session ends; the
/// orders stay for the shop's books, without the e-mail. The e-mail can register again.
#[utoipa::path(
    delete,
    operation_id = "deleteMe",
    tag = "accounts",
    security(("bearer" = [])),
    request_body = DeleteAccount,
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No token, an expired or invalid one, or the account no longer exists (`unauthorized`)"),
        (status = 403, description = "The current password is wrong (`wrong_password`)"),
        (status = 429, description = "Too many password attempts for this account (`rate_limited`); see `Retry-After`"),
        (status = 503, description = crate::routes::HASHING_BUSY)
    )
)]
#[delete("")]
pub async fn remove(
    state: web::Data<AppState>,
    user: AuthUser,
    body: web::Json<DeleteAccount>,
) -> ApiResult<HttpResponse> {
    let account =
        account::confirm_password(&state, &user, body.into_inner().current_password).await?;
    state.users.delete(&account, &state.orders).await?;
    Ok(HttpResponse::NoContent().finish())
}
