use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use actix_web::{Scope, get, web};
use bookstore_model::{Email, User};

pub fn scope() -> Scope {
    web::scope("/me").service(show)
}

/// The account the token belongs to.
#[utoipa::path(
    get,
    path = "/api/v1/me",
    operation_id = "getMe",
    tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The account", body = User),
        (status = 401, description = "No token, an expired or invalid one, or the account no longer exists (`unauthorized`)", body = bookstore_model::Problem, content_type = "application/problem+json")
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
