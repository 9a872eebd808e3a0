//! `/api/v1/me/password`, `/me/email`, `/me/export`: changes that take the current password,
//! and the data export.
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use actix_web::{HttpResponse, get, post, web};
use bookstore_domain::users::Account;
use bookstore_model::{
    AccountExport, AuthResponse, ChangeEmail, ChangePassword, ConfirmEmail, LinkSent,
};
use utoipa_actix_web::service_config::ServiceConfig;

/// Registers this resource's routes (for actix and the OpenAPI document alike).
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(change_password)
        .service(change_email)
        .service(confirm_email)
        .service(export);
}

/// The caller's account, if `password` is its current one: else 403 `wrong_password`. Each try
/// counts against the account's login limit, so a stolen token cannot guess the password
/// faster than a login could.
pub(super) async fn confirm_password(
    state: &AppState,
    user: &AuthUser,
    password: String,
) -> ApiResult<Account> {
    if let Err(retry_after) = state.limits.check_login(&user.email) {
        state
            .metrics
            .rate_limited
            .with_label_values(&["logins"])
            .inc();
        return Err(ApiError::RateLimited(retry_after));
    }
    let account = state.users.own(user).await?;
    let stored = Some(account.password_hash.clone());
    match state.hashing.verify(password, stored).await? {
        true => Ok(account),
        false => Err(ApiError::WrongPassword),
    }
}

/// Change the password. Every other session of the account ends (on every instance within a
/// second); the answer carries a new token, so this one continues.
#[utoipa::path(
    post,
    operation_id = "changePassword",
    tag = "accounts",
    security(("bearer" = [])),
    request_body = ChangePassword,
    responses(
        (status = 200, description = "Changed; use the new token from now on", body = AuthResponse),
        (status = 401, description = "No token, an expired or invalid one, or the account no longer exists (`unauthorized`)"),
        (status = 403, description = "The current password is wrong (`wrong_password`)"),
        (status = 409, description = "The password changed meanwhile (`conflict`)"),
        (status = 422, description = "An invalid field (`validation_failed`)"),
        (status = 429, description = "Too many password attempts for this account (`rate_limited`); see `Retry-After`"),
        (status = 503, description = crate::routes::HASHING_BUSY)
    )
)]
#[post("/password")]
pub async fn change_password(
    state: web::Data<AppState>,
    user: AuthUser,
    body: web::Json<ChangePassword>,
) -> ApiResult<web::Json<AuthResponse>> {
    let ChangePassword {
        current_password,
        new_password,
    } = body.into_inner();
    let account = confirm_password(&state, &user, current_password).await?;
    let hash = state.hashing.hash(new_password.expose().to_owned()).await?;
    let valid_after = state.users.change_password(&account, hash).await?;
    let (token, expires_at) = state.tokens.issue_after(&account.user, valid_after)?;
    Ok(web::Json(AuthResponse {
        token,
        expires_at,
        user: account.user,
    }))
}

/// Ask to move the account to another e-mail: a link is mailed to the new address, and the
/// account moves when it is followed (`POST /api/v1/me/email/confirm`).
#[utoipa::path(
    post,
    operation_id = "changeEmail",
    tag = "accounts",
    security(("bearer" = [])),
    request_body = ChangeEmail,
    responses(
        (status = 202, description = "A link valid for `email_change_ttl_secs` is on its way to the new address", body = LinkSent),
        (status = 401, description = "No token, an expired or invalid one, or the account no longer exists (`unauthorized`)"),
        (status = 403, description = "The current password is wrong (`wrong_password`)"),
        (status = 422, description = "An invalid field (`validation_failed`)"),
        (status = 429, description = "Too many password attempts for this account (`rate_limited`); see `Retry-After`"),
        (status = 503, description = crate::routes::HASHING_BUSY)
    )
)]
#[post("/email")]
pub async fn change_email(
    state: web::Data<AppState>,
    user: AuthUser,
    body: web::Json<ChangeEmail>,
) -> ApiResult<HttpResponse> {
    let ChangeEmail {
        new_email,
        current_password,
    } = body.into_inner();
    let account = confirm_password(&state, &user, current_password).await?;
    state
        .users
        .request_email_change(&account, &new_email)
        .await?;
    Ok(HttpResponse::Accepted().json(LinkSent {
        detail: "a link to confirm the new address is on its way to it".into(),
    }))
}

/// Confirm a new e-mail with the token of the mailed link: the account, its addresses and
/// its sign-in move there, and every session ends (log in with the new e-mail). Needs no token:
/// the link is the proof.
#[utoipa::path(
    post,
    operation_id = "confirmEmail",
    tag = "accounts",
    request_body = ConfirmEmail,
    responses(
        (status = 204, description = "Moved; log in with the new e-mail"),
        (status = 400, description = "The link is unknown, used or expired (`invalid_email_token`)"),
        (status = 409, description = "The new e-mail has an account now (`email_taken`), or the account changed while moving (`conflict`)"),
        (status = 422, description = "An invalid field (`validation_failed`)")
    )
)]
#[post("/email/confirm")]
pub async fn confirm_email(
    state: web::Data<AppState>,
    body: web::Json<ConfirmEmail>,
) -> ApiResult<HttpResponse> {
    state
        .users
        .confirm_email_change(&body.into_inner().token)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Everything the shop keeps about the caller, as one JSON document: the account (never its
/// password hash), the addresses, the cart, every order with its returns.
#[utoipa::path(
    get,
    operation_id = "exportMe",
    tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's data", body = AccountExport),
        (status = 401, description = "No token, an expired or invalid one, or the account no longer exists (`unauthorized`)")
    )
)]
#[get("/export")]
pub async fn export(
    state: web::Data<AppState>,
    user: AuthUser,
) -> ApiResult<web::Json<AccountExport>> {
    let data = state
        .users
        .export(&user, &state.addresses, &state.carts, &state.orders)
        .await?;
    Ok(web::Json(data))
}
