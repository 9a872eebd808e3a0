//! Bearer tokens: HS256 JWTs naming the user and their role, issued at sign-in.
use crate::error::Error;
use bookstore_model::{Role, User, UserId};
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

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

    pub fn issue(&self, user: &User) -> Result<(String, DateTime<Utc>), Error> {
        self.issue_after(user, 0)
    }

    /// A token whose `iat` is no earlier than `valid_after` (the account's
    /// `tokens_valid_after`, epoch seconds), so a revocation in this very second, which refuses
    /// tokens up to the end of it, does not refuse this one.
    pub fn issue_after(
        &self,
        user: &User,
        valid_after: i64,
    ) -> Result<(String, DateTime<Utc>), Error> {
        let now = Utc::now();
        let exp = now + chrono::Duration::seconds(self.ttl_secs);
        let claims = Claims {
            sub: user.id,
            email: user.email.to_string(),
            role: user.role,
            iat: now.timestamp().max(valid_after),
            exp: exp.timestamp(),
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(Error::internal)?;
        Ok((token, exp))
    }

    pub fn verify(&self, token: &str) -> Result<Claims, Error> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|d| d.claims)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => {
                    Error::Unauthorized("the token has expired; log in again")
                }
                _ => Error::Unauthorized("the token is invalid"),
            })
    }
}
