use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use actix_web::{HttpResponse, post, web};
use bookstore_model::{AuthResponse, Email, LoginRequest, RegisterRequest, Role};
use utoipa_actix_web::{scope, service_config::ServiceConfig};

/// Registers this resource's routes (for actix and the OpenAPI document alike).
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(scope("/auth").service(register).service(login));
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
        (status = 422, description = "An invalid field (`validation_failed`)")
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
        (status = 429, description = "Too many attempts from this client, or for this account from any (`rate_limited`); see `Retry-After`")
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
        Ok(email) => state.users.find(&email).await?,
        Err(_) => None,
    };
    let stored = found.as_ref().map(|(_, hash)| hash.clone());
    let ok = state.hashing.verify(password, stored).await?;
    match found {
        Some((user, _)) if ok => {
            let (token, expires_at) = state.tokens.issue(&user)?;
            Ok(HttpResponse::Ok().json(AuthResponse {
                token,
                expires_at,
                user,
            }))
        }
        _ => Err(ApiError::InvalidCredentials),
    }
}
