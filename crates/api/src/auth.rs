//! The `AuthUser` / `StaffUser` / `OwnerUser` extractors: the bearer token's [`Actor`],
//! checked, and its role; and [`Authorized`], a staff token or an API key with the operation's
//! scope.
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header, web};
use bookstore_domain::Actor;
use bookstore_domain::api_keys::{KeyHolder, looks_like_key};
use bookstore_model::{Email, Role, Scope};
use futures::future::LocalBoxFuture;
use std::marker::PhantomData;

/// The caller, authenticated by a bearer token: the domain's [`Actor`].
#[derive(Debug, Clone)]
pub struct AuthUser(pub Actor);

impl std::ops::Deref for AuthUser {
    type Target = Actor;

    fn deref(&self) -> &Actor {
        &self.0
    }
}

/// The bearer token's user and when the token was issued (`iat`), its signature and expiry
/// checked; [`authenticate`] checks the session too.
fn verify(req: &HttpRequest) -> Result<(AuthUser, i64), ApiError> {
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
    let user = AuthUser(Actor {
        id: claims.sub,
        email: claims.email,
        role: claims.role,
    });
    Ok((user, claims.iat))
}

/// The bearer token's user, if the token is still a session of its account: the account
/// exists, under the token's e-mail, and has not revoked its tokens since the token was issued
/// (a password change or reset). One cached read (`Users::check_session`: this instance's own
/// revocations at once, another instance's within `SESSION_CACHE_TTL`).
async fn authenticate(
    state: &AppState,
    verified: Result<(AuthUser, i64), ApiError>,
) -> Result<AuthUser, ApiError> {
    let (mut user, iat) = verified?;
    // The account's role, not the token's: a promotion needs no new token.
    user.0.role = state.users.check_session(&user.email, user.id, iat).await?;
    Ok(user)
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
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let verified = verify(req);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal("AppState missing"))?;
            authenticate(&state, verified).await
        })
    }
}

/// The caller, authenticated by a user's token (never an API key) and holding at least the
/// role of the extractor: [`StaffUser`] (owner or staff) or [`OwnerUser`]. Anyone else gets
/// 401 or 403.
///
/// The token's role is not the last word: the account's stored role is. A role revoked, or an
/// account gone, takes effect at once on every instance, not when the token expires (one store
/// read per request let in; staff requests are few). A promotion needs no new token: it shows
/// at once on this instance, within `SESSION_CACHE_TTL` on others (the session's cached role
/// refuses callers below the route's role without a read).
macro_rules! role_extractor {
    ($(#[$m:meta])* $name:ident, $role:expr) => {
        $(#[$m])*
        #[derive(Debug, Clone)]
        pub struct $name(pub AuthUser);

        impl $name {
            pub const ROLE: Role = $role;
        }

        impl std::ops::Deref for $name {
            type Target = Actor;

            fn deref(&self) -> &Actor {
                &self.0
            }
        }

        impl FromRequest for $name {
            type Error = ApiError;
            type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

            fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
                let credential = credential(req);
                let user = verify(req);
                let state = req.app_data::<web::Data<AppState>>().cloned();
                Box::pin(async move {
                    let state = state.ok_or_else(|| ApiError::internal("AppState missing"))?;
                    // A valid key is refused with 403 (an invalid one with 401): keys never
                    // manage keys or the staff, nor read the audit log.
                    if let Credential::Key(key) = credential? {
                        state.api_keys.authenticate(&key).await?;
                        return Err(ApiError::InsufficientScope(
                            "API keys cannot do this; it takes a login".into(),
                        ));
                    }
                    let user = authenticate(&state, user).await?;
                    with_role(&state, user, Self::ROLE).await.map(Self)
                })
            }
        }
    };
}

role_extractor!(
    /// An owner or a staff member: the inventory and the orders' fulfilment.
    StaffUser,
    Role::Staff
);
role_extractor!(
    /// An owner: everything, also API keys, webhooks, the staff and the audit log.
    OwnerUser,
    Role::Owner
);

/// The user, if the account (as stored) still has at least the role `needed`; the actor then
/// carries the stored role.
async fn with_role(
    state: &AppState,
    mut user: AuthUser,
    needed: Role,
) -> Result<AuthUser, ApiError> {
    let refused = match needed {
        Role::Owner => "this needs the owner role",
        _ => "this needs the staff or owner role",
    };
    // Refused at once by the session's cached role (no read, so the answer is 403 whatever
    // the body); let in only by the account as stored now, so a demotion works at once.
    if !user.role.at_least(needed) {
        return Err(ApiError::Forbidden(refused));
    }
    let email = Email::parse(&user.email).map_err(|_| ApiError::Forbidden(refused))?;
    match state.users.find(&email).await? {
        Some((account, _)) if account.id == user.id && account.role.at_least(needed) => {
            user.0.role = account.role;
            Ok(user)
        }
        _ => Err(ApiError::Forbidden(refused)),
    }
}

/// What a request authenticates with.
enum Credential {
    /// `X-Api-Key: <key>`, or `Authorization: Bearer <key>` with a key's prefix.
    Key(String),
    /// Any other bearer credential: a user's token (checked by [`verify`], [`authenticate`]).
    Token,
}

fn credential(req: &HttpRequest) -> Result<Credential, ApiError> {
    const HOW: &str = "send Authorization: Bearer <token or API key>, or X-Api-Key: <key>";
    if let Some(v) = req.headers().get("x-api-key") {
        let key = v.to_str().map(str::trim).unwrap_or_default();
        return match looks_like_key(key) {
            true => Ok(Credential::Key(key.to_owned())),
            false => Err(ApiError::Unauthorized("X-Api-Key is not an API key")),
        };
    }
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or(ApiError::Unauthorized(HOW))?;
    match value.to_str().ok().and_then(bearer_token) {
        Some(t) if looks_like_key(t) => Ok(Credential::Key(t.to_owned())),
        Some(_) => Ok(Credential::Token),
        None => Err(ApiError::Unauthorized(HOW)),
    }
}

/// A scope an operation needs, as a type (see [`scope`]).
pub trait ScopeMarker {
    const SCOPE: Scope;
}

/// The scopes as types, one per [`Scope`], for [`Authorized`].
pub mod scope {
    use super::{Scope, ScopeMarker};

    macro_rules! markers {
        ($($name:ident),* $(,)?) => {$(
            #[doc = concat!("Needs `", stringify!($name), "` (see [`Scope`]).")]
            pub struct $name;
            impl ScopeMarker for $name {
                const SCOPE: Scope = Scope::$name;
            }
        )*};
    }

    markers!(
        CatalogueRead,
        CatalogueWrite,
        OrdersRead,
        OrdersWrite,
        WebhooksManage
    );
}

/// The caller of an operation that needs scope `S`: the token of a user whose role may do it
/// (`Scope::role`: staff for the catalogue and the orders, owner for webhooks) or an API key
/// with `S`; a key without it gets 403
/// `insufficient_scope`. For a key, the actor is the admin who made it, named in the audit
/// log as `api-key:<prefix>` (never the key). Each key has a rate limit of its own.
pub struct Authorized<S: ScopeMarker>(pub Actor, PhantomData<fn() -> S>);

impl<S: ScopeMarker> std::ops::Deref for Authorized<S> {
    type Target = Actor;

    fn deref(&self) -> &Actor {
        &self.0
    }
}

impl<S: ScopeMarker> FromRequest for Authorized<S> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let credential = credential(req);
        let user = verify(req);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal("AppState missing"))?;
            let actor = match credential? {
                Credential::Key(key) => {
                    let holder = state.api_keys.authenticate(&key).await?;
                    permit(&state, &holder, S::SCOPE)?;
                    holder.actor
                }
                Credential::Token => {
                    let user = authenticate(&state, user).await?;
                    with_role(&state, user, S::SCOPE.role()).await?.0
                }
            };
            Ok(Self(actor, PhantomData))
        })
    }
}

/// Whether a valid key may make this request: its scope, then its rate limit.
fn permit(state: &AppState, holder: &KeyHolder, scope: Scope) -> Result<(), ApiError> {
    if !holder.allows(scope) {
        return Err(ApiError::InsufficientScope(format!(
            "this API key ({}) lacks the scope {scope}",
            holder.prefix
        )));
    }
    state.limits.check_api_key(holder.id).map_err(|secs| {
        state
            .metrics
            .rate_limited
            .with_label_values(&["api_key"])
            .inc();
        ApiError::RateLimited(secs)
    })
}
