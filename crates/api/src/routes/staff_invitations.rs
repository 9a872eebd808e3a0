//! `/api/v1/staff-invitations`: accepting an invitation to join the staff. The token is in the
//! body, not the path, so that it stays out of access logs (as the password-reset token).
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use actix_web::{post, web};
use bookstore_domain::users::invitations::Acceptance;
use bookstore_model::{AcceptStaffInvitation, AuthResponse};
use utoipa_actix_web::{scope, service_config::ServiceConfig};

/// Registers this resource's routes (for actix and the OpenAPI document alike).
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(scope("/staff-invitations").service(accept));
}

/// Accepts an invitation and logs in with the new role. With `name` and `password`, it makes a
/// new account under the invitation's e-mail (409 `email_taken` if there is one: log in and
/// accept as it). Without them, the request carries the bearer token of the account under the
/// invitation's e-mail, which gets the role (an owner invited as staff stays an owner). Either
/// way the token is used up. Audited as `staff.join`.
#[utoipa::path(
    post,
    operation_id = "acceptStaffInvitation",
    tag = "staff",
    security((), ("bearer" = [])),
    request_body = AcceptStaffInvitation,
    responses(
        (status = 200, description = "Joined, and logged in with the new role", body = AuthResponse),
        (status = 400, description = "The invitation is unknown, used or expired (`invalid_invitation`)"),
        (status = 403, description = "The token is another account's than the invitation's e-mail (`forbidden`)"),
        (status = 409, description = "A new account was asked for an e-mail that has one (`email_taken`)"),
        (status = 422, description = "Invalid, or only one of `name` and `password` (`validation_failed`)"),
        (status = 503, description = crate::routes::HASHING_BUSY)
    )
)]
#[post("/accept")]
pub async fn accept(
    state: web::Data<AppState>,
    user: Option<AuthUser>,
    body: web::Json<AcceptStaffInvitation>,
) -> ApiResult<web::Json<AuthResponse>> {
    let AcceptStaffInvitation {
        token,
        name,
        password,
    } = body.into_inner();
    let account = match (name, password, &user) {
        (Some(name), Some(password), _) => {
            let password_hash = state.hashing.hash(password.expose().to_owned()).await?;
            let who = Acceptance::New {
                name,
                password_hash,
            };
            state.users.accept_invitation(&token, who).await?
        }
        (None, None, Some(user)) => {
            let who = Acceptance::Existing(user);
            state.users.accept_invitation(&token, who).await?
        }
        (None, None, None) => {
            return Err(ApiError::Unauthorized(
                "log in as the invited account, or give a name and a password for a new one",
            ));
        }
        _ => {
            return Err(ApiError::Validation(
                "give both a name and a password for a new account, or neither".into(),
            ));
        }
    };
    let (token, expires_at) = state
        .tokens
        .issue_after(&account.user, account.tokens_valid_after)?;
    Ok(web::Json(AuthResponse {
        token,
        expires_at,
        user: account.user,
    }))
}
