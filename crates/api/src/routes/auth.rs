use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use actix_web::{HttpResponse, post, web};
use bookstore_model::{
    AuthResponse, Email, LinkSent, LoginRequest, PasswordResetConfirm, PasswordResetRequest,
    RegisterRequest, Role,
};
use utoipa_actix_web::{scope, service_config::ServiceConfig};

/// Registers this resource's routes (for actix and the OpenAPI document alike).
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(
        scope("/auth")
            .service(register)
            .service(login)
            .service(request_password_reset)
            .service(reset_password),
    );
}

/// Create a customer account and log in.
#[utoipa::path(
    post,
    operation_id = "register",
    tag = "accounts",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "Registered and logged in", body = AuthResponse),
        (status = 409, description = "E-mail taken"),
        (status = 422, description = "An invalid field (`validation_failed`)"),
        (status = 503, description = crate::routes::HASHING_BUSY)
    )
)]
#[post("/register")]
pub async fn register(
    state: web::Data<AppState>,
    body: web::Json<RegisterRequest>,
) -> ApiResult<HttpResponse> {
    let RegisterRequest {
        email,
        password,
        name,
    } = body.into_inner();
    let hash = state.hashing.hash(password.expose().to_owned()).await?;
    let user = bookstore_domain::users::new_user(email, name, Role::Customer);
    state.users.create(&user, hash).await?;
    let (token, expires_at) = state.tokens.issue(&user)?;
    Ok(HttpResponse::Created().json(AuthResponse {
        token,
        expires_at,
        user,
    }))
}

/// Log in. A wrong password and an unknown e-mail get the same answer, in the same time.
#[utoipa::path(
    post,
    operation_id = "login",
    tag = "accounts",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in", body = AuthResponse),
        (status = 401, description = "Wrong credentials (`invalid_credentials`)"),
        (status = 429, description = "Too many attempts from this client, or for this account from any (`rate_limited`); see `Retry-After`"),
        (status = 503, description = crate::routes::HASHING_BUSY)
    )
)]
#[post("/login")]
pub async fn login(
    state: web::Data<AppState>,
    body: web::Json<LoginRequest>,
) -> ApiResult<HttpResponse> {
    let LoginRequest { email, password } = body.into_inner();
    // Before any work: a guessed password costs a hash. Unknown accounts count alike, so the
    // limit tells nothing about which e-mails are registered.
    let account = Email::parse(&email).map_or_else(|_| email.to_lowercase(), |e| e.to_string());
    if let Err(retry_after) = state.limits.check_login(&account) {
        state
            .metrics
            .rate_limited
            .with_label_values(&["logins"])
            .inc();
        return Err(ApiError::RateLimited(retry_after));
    }
    let found = match Email::parse(&email) {
        Ok(email) => state.users.account(&email).await?,
        Err(_) => None,
    };
    let stored = found.as_ref().map(|a| a.password_hash.clone());
    let ok = state.hashing.verify(password, stored).await?;
    match found {
        Some(account) if ok => {
            // An owner made before the staff roster existed joins it. Not a reason to refuse
            // the login: the roster only lists the staff and counts the owners.
            if let Err(e) = state.users.enroll(&account.user).await {
                tracing::warn!(error = %e, "adding an account to the staff roster");
            }
            let (token, expires_at) = state
                .tokens
                .issue_after(&account.user, account.tokens_valid_after)?;
            Ok(HttpResponse::Ok().json(AuthResponse {
                token,
                expires_at,
                user: account.user,
            }))
        }
        _ => Err(ApiError::InvalidCredentials),
    }
}

/// Ask for a password-reset link by e-mail. The answer is the same, and as quick, whether or
/// not the e-mail has an account: the work is done after answering.
#[utoipa::path(
    post,
    operation_id = "requestPasswordReset",
    tag = "accounts",
    request_body = PasswordResetRequest,
    responses(
        (status = 202, description = "If the e-mail has an account, a link valid for `password_reset_ttl_secs` is on its way", body = LinkSent),
        (status = 422, description = "An invalid field (`validation_failed`)"),
        (status = 429, description = "Too many requests from this client, or for this e-mail from any (`rate_limited`); see `Retry-After`")
    )
)]
#[post("/password-reset")]
pub async fn request_password_reset(
    state: web::Data<AppState>,
    body: web::Json<PasswordResetRequest>,
) -> ApiResult<HttpResponse> {
    let PasswordResetRequest { email } = body.into_inner();
    if let Err(retry_after) = state.limits.check_password_reset(email.as_str()) {
        state
            .metrics
            .rate_limited
            .with_label_values(&["password_resets"])
            .inc();
        return Err(ApiError::RateLimited(retry_after));
    }
    let background = state.clone();
    actix_web::rt::spawn(async move {
        if let Err(error) = background.users.request_password_reset(&email).await {
            tracing::error!(%error, "password-reset request failed");
        }
    });
    Ok(HttpResponse::Accepted().json(LinkSent {
        detail: "if an account has this e-mail, a link to reset its password is on its way".into(),
    }))
}

/// Set a new password with the token of a reset link; every session of the account ends.
#[utoipa::path(
    post,
    operation_id = "resetPassword",
    tag = "accounts",
    request_body = PasswordResetConfirm,
    responses(
        (status = 204, description = "The password is set; log in with it"),
        (status = 400, description = "The link is unknown, used or expired (`invalid_reset_token`)"),
        (status = 422, description = "An invalid field (`validation_failed`)"),
        (status = 503, description = crate::routes::HASHING_BUSY)
    )
)]
#[post("/password-reset/confirm")]
pub async fn reset_password(
    state: web::Data<AppState>,
    body: web::Json<PasswordResetConfirm>,
) -> ApiResult<HttpResponse> {
    let PasswordResetConfirm {
        token,
        new_password,
    } = body.into_inner();
    let hash = state.hashing.hash(new_password.expose().to_owned()).await?;
    state.users.reset_password(&token, hash).await?;
    Ok(HttpResponse::NoContent().finish())
}
