//! The `AuthUser` / `AdminUser` extractors: the bearer token's [`Actor`], checked.
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header, web};
use bookstore_domain::Actor;
use bookstore_model::{Email, Role};
use futures::future::LocalBoxFuture;
use std::future::{Ready, ready};

/// The caller, authenticated by a bearer token: the domain's [`Actor`].
#[derive(Debug, Clone)]
pub struct AuthUser(pub Actor);

impl std::ops::Deref for AuthUser {
    type Target = Actor;

    fn deref(&self) -> &Actor {
        &self.0
    }
}

fn authenticate(req: &HttpRequest) -> Result<AuthUser, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::internal("AppState missing"))?;
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or(ApiError::Unauthorized("send Authorization: Bearer <token>"))?;
    let token = value
        .to_str()
        .ok()
        .and_then(bearer_token)
        .ok_or(ApiError::Unauthorized("send Authorization: Bearer <token>"))?;
    let claims = state.tokens.verify(token)?;
    Ok(AuthUser(Actor {
        id: claims.sub,
        email: claims.email,
        role: claims.role,
    }))
}

/// The token of an `Authorization` value: the scheme name is case-insensitive (RFC 9110,
/// 11.1), so `bearer` and `BEARER` are `Bearer`; one or more spaces follow it.
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim_start();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req))
    }
}

/// The caller, authenticated and holding the admin role; anyone else gets 401 or 403.
///
/// The token's role is not the last word: the account must still be an admin's. Admin rights
/// revoked (`bookstore admin revoke`), or an account gone, end at once on every instance, not
/// when the token expires. One store read per admin request; admin requests are few.
#[derive(Debug, Clone)]
pub struct AdminUser(pub AuthUser);

impl FromRequest for AdminUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let user = authenticate(req);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let user = user?;
            if user.role != Role::Admin {
                return Err(ApiError::Forbidden);
            }
            let state = state.ok_or_else(|| ApiError::internal("AppState missing"))?;
            let email = Email::parse(&user.email).map_err(|_| ApiError::Forbidden)?;
            match state.users.find(&email).await? {
                Some((account, _)) if account.id == user.id && account.role == Role::Admin => {
                    Ok(AdminUser(user))
                }
                _ => Err(ApiError::Forbidden),
            }
        })
    }
}
