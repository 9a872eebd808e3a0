//! Tokens and the `AuthUser` / `AdminUser` extractors.
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header, web};
use bookstore_model::{Email, Role, User, UserId};
use chrono::{DateTime, Utc};
use futures::future::LocalBoxFuture;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use std::future::{Ready, ready};

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: UserId,
    pub email: String,
    pub role: Role,
    pub iat: i64,
    pub exp: i64,
    /// Who issued it and for whom: a token another service signs with a shared key (or one of
    /// ours meant elsewhere) is refused.
    pub iss: String,
    pub aud: String,
}

/// The `iss` and `aud` of the tokens this API issues and accepts.
pub const ISSUER: &str = "bookstore";
pub const AUDIENCE: &str = "bookstore-api";

/// Issues and verifies HS256 tokens. Only HS256 is accepted, so `alg: none` and algorithm
/// confusion are refused by construction.
pub struct Tokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl_secs: i64,
}

impl Tokens {
    pub fn new(secret: &[u8], ttl_secs: i64) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl_secs,
        }
    }

    pub fn issue(&self, user: &User) -> Result<(String, DateTime<Utc>), ApiError> {
        let now = Utc::now();
        let exp = now + chrono::Duration::seconds(self.ttl_secs);
        let claims = Claims {
            sub: user.id,
            email: user.email.to_string(),
            role: user.role,
            iat: now.timestamp(),
            exp: exp.timestamp(),
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(ApiError::internal)?;
        Ok((token, exp))
    }

    pub fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|d| d.claims)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => {
                    ApiError::Unauthorized("the token has expired; log in again")
                }
                _ => ApiError::Unauthorized("the token is invalid"),
            })
    }
}

/// The caller, authenticated by a bearer token.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub id: UserId,
    pub email: String,
    pub role: Role,
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
    Ok(AuthUser {
        id: claims.sub,
        email: claims.email,
        role: claims.role,
    })
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
            match crate::db::users::find(state.store.as_ref(), &email).await? {
                Some((account, _)) if account.id == user.id && account.role == Role::Admin => {
                    Ok(AdminUser(user))
                }
                _ => Err(ApiError::Forbidden),
            }
        })
    }
}
