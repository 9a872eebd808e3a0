//! API keys: scoped credentials for integrators. Keys live in one partition (`APIKEYS`, sort
//! key `KEY#<id>`). A key is `bk_live_<first 8 characters of its id>_<secret>`; the store keeps
//! the SHA-256 of the whole key, never the key: with 244 random bits in the secret, a fast hash
//! is as good as a slow one (nothing to guess), and checking costs no Argon2 per request.
//!
//! Checking a key reads the store every time (a strongly consistent query on the id prefix):
//! a revocation, made through any instance, refuses the key at once everywhere, as admin rights
//! revoked do for tokens. `last_used_at` is written at most once a minute per key, by a
//! conditional write, so steady traffic costs one read per request and no writes.
use crate::Actor;
use crate::cursor::CursorCodec;
use crate::error::{Error, Result};
use crate::items::{Pager, from_item, page_limit, to_item};
use crate::store::{Cond, Key, Path, Query, Store, StoreError, WriteOp};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bookstore_model::{
    API_KEY_PREFIX, ApiKey, ApiKeyCreated, ApiKeyId, NewApiKey, Page, PageQuery, ProblemCode,
    Scope, UserId,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::sync::Arc;

const PK: &str = "APIKEYS";
/// How often `last_used_at` may be written per key.
const LAST_USED_EVERY_SECS: i64 = 60;

/// A key as stored: the public view, the hash of the key and who made it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct KeyRecord {
    #[serde(flatten)]
    key: ApiKey,
    /// SHA-256 of the whole key, hex.
    hash: String,
    created_by: UserId,
    /// `last_used_at` in Unix seconds (0: never), for the conditional write that throttles it.
    last_used_epoch: i64,
}

/// A key that was accepted: what it may do and who it acts as.
#[derive(Debug, Clone)]
pub struct KeyHolder {
    pub id: ApiKeyId,
    pub prefix: String,
    pub scopes: Vec<Scope>,
    /// The key acts for the admin who made it; the audit log names the key, not them.
    pub actor: Actor,
}

impl KeyHolder {
    pub fn allows(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope)
    }
}

fn key_of(id: ApiKeyId) -> Key {
    Key::new(PK, format!("KEY#{id}"))
}

/// The 8 characters of the id that the key shows (a UUID's first group: hex, no hyphen).
fn short_id(id: ApiKeyId) -> String {
    id.to_string()[..8].to_owned()
}

fn hash(key: &str) -> String {
    let digest = Sha256::digest(key.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Equal bytes, in time independent of where they differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Whether a credential is shaped as an API key (a JWT never starts so).
pub fn looks_like_key(credential: &str) -> bool {
    credential.starts_with(API_KEY_PREFIX)
}

/// The API keys repository.
pub struct ApiKeys {
    store: Arc<dyn Store>,
    pager: Pager,
}

impl ApiKeys {
    pub fn new(store: Arc<dyn Store>, cursors: Arc<CursorCodec>) -> Self {
        Self {
            pager: Pager::new(store.clone(), cursors),
            store,
        }
    }

    /// Makes a key; the answer is the only place the key is ever shown.
    pub async fn create(&self, actor: &Actor, req: NewApiKey) -> Result<ApiKeyCreated> {
        req.validate()?;
        let now = Utc::now();
        if req.expires_at.is_some_and(|t| t <= now) {
            return Err(Error::Unprocessable(
                ProblemCode::ExpiryInPast,
                "expires_at must be in the future".into(),
            ));
        }
        let mut scopes = req.scopes;
        scopes.sort_unstable();
        scopes.dedup();
        let id = ApiKeyId::new();
        let prefix = format!("{API_KEY_PREFIX}{}", short_id(id));
        let key = format!("{prefix}_{}", new_secret());
        let record = KeyRecord {
            key: ApiKey {
                id,
                name: req.name,
                prefix,
                scopes,
                created_at: now,
                expires_at: req.expires_at,
                last_used_at: None,
                revoked_at: None,
            },
            hash: hash(&key),
            created_by: actor.id,
            last_used_epoch: 0,
        };
        let mut item = to_item(&record)?;
        let k = key_of(id);
        item.insert("pk".into(), k.pk.clone().into());
        item.insert("sk".into(), k.sk.clone().into());
        self.store
            .transact(vec![WriteOp::Put {
                item,
                cond: Some(Cond::NotExists),
            }])
            .await?;
        Ok(ApiKeyCreated {
            api_key: record.key,
            key,
        })
    }

    /// A page of keys, revoked ones too, in id order.
    pub async fn list(&self, q: &PageQuery) -> Result<Page<ApiKey>> {
        let limit = page_limit(q.limit)?;
        let query = Query {
            index: None,
            pk: PK.into(),
            sk_prefix: Some("KEY#".into()),
            forward: true,
            limit,
            start: None,
        };
        let (items, next_cursor) = self
            .pager
            .paged("api-keys", query, q.cursor.as_deref())
            .await?;
        let items = items
            .into_iter()
            .map(|i| from_item::<KeyRecord>(i).map(|r| r.key))
            .collect::<Result<_>>()?;
        Ok(Page { items, next_cursor })
    }

    pub async fn get(&self, id: ApiKeyId) -> Result<ApiKey> {
        Ok(self.record(id).await?.key)
    }

    /// Refuses the key from now on, everywhere. Revoking a revoked key changes nothing.
    pub async fn revoke(&self, id: ApiKeyId) -> Result<()> {
        if self.record(id).await?.key.revoked_at.is_some() {
            return Ok(());
        }
        let op = WriteOp::Update {
            key: key_of(id),
            set: vec![(Path::attr("revoked_at"), json!(Utc::now()))],
            add: vec![],
            cond: Some(Cond::Exists),
        };
        match self.store.transact(vec![op]).await {
            Ok(()) => Ok(()),
            Err(StoreError::ConditionFailed(_)) => Err(Error::NotFound("API key")),
            Err(e) => Err(e.into()),
        }
    }

    /// The holder of a key, if the key is one the shop made and still accepts.
    pub async fn authenticate(&self, presented: &str) -> Result<KeyHolder> {
        let invalid = Error::Unauthorized("the API key is invalid");
        let short = presented
            .strip_prefix(API_KEY_PREFIX)
            .and_then(|rest| rest.split_once('_'))
            .map(|(short, _)| short)
            .filter(|s| s.len() == 8 && s.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or(Error::Unauthorized("the API key is invalid"))?;
        // Ids sharing the 8 characters are few (32 random bits); the hash tells them apart.
        let page = self
            .store
            .query(&Query {
                index: None,
                pk: PK.into(),
                sk_prefix: Some(format!("KEY#{}", short.to_ascii_lowercase())),
                forward: true,
                limit: 100,
                start: None,
            })
            .await?;
        let wanted = hash(presented);
        let mut found = None;
        for item in page.items {
            let record: KeyRecord = from_item(item)?;
            if same(&record.hash, &wanted) {
                found = Some(record);
            }
        }
        let record = found.ok_or(invalid)?;
        let now = Utc::now();
        if record.key.revoked_at.is_some() {
            return Err(Error::Unauthorized("the API key has been revoked"));
        }
        if record.key.expires_at.is_some_and(|t| t <= now) {
            return Err(Error::Unauthorized("the API key has expired"));
        }
        if now.timestamp() - record.last_used_epoch >= LAST_USED_EVERY_SECS {
            self.touch(record.key.id, now, record.last_used_epoch).await;
        }
        Ok(KeyHolder {
            id: record.key.id,
            actor: Actor {
                id: record.created_by,
                email: format!("api-key:{}", record.key.prefix),
                role: bookstore_model::Role::Owner,
            },
            prefix: record.key.prefix,
            scopes: record.key.scopes,
        })
    }

    /// Records a use, unless one was recorded within the minute (by any instance). A failure
    /// only leaves `last_used_at` older: it never refuses the request.
    async fn touch(&self, id: ApiKeyId, now: DateTime<Utc>, seen: i64) {
        let op = WriteOp::Update {
            key: key_of(id),
            set: vec![
                (Path::attr("last_used_at"), json!(now)),
                (Path::attr("last_used_epoch"), json!(now.timestamp())),
            ],
            add: vec![],
            // Also false if the key is gone, so the write never makes an item.
            cond: Some(Cond::Le(
                Path::attr("last_used_epoch"),
                seen.max(now.timestamp() - LAST_USED_EVERY_SECS),
            )),
        };
        match self.store.transact(vec![op]).await {
            Ok(()) | Err(StoreError::ConditionFailed(_)) => {}
            Err(e) => tracing::warn!(error = %e, "recording an API key's use failed"),
        }
    }

    async fn record(&self, id: ApiKeyId) -> Result<KeyRecord> {
        match self.store.get(&key_of(id)).await? {
            Some(item) => from_item(item),
            None => Err(Error::NotFound("API key")),
        }
    }
}

/// 32 random bytes (two v4 UUIDs' worth of the OS generator: 244 random bits), URL-safe.
fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    bytes[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    bytes[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_show_their_prefix_and_hide_enough_randomness() {
        let id = ApiKeyId::new();
        let short = short_id(id);
        assert_eq!(short.len(), 8);
        assert!(short.bytes().all(|b| b.is_ascii_hexdigit()));
        let secret = new_secret();
        assert_eq!(secret.len(), 43);
        assert_ne!(secret, new_secret());
        assert!(looks_like_key(&format!("{API_KEY_PREFIX}{short}_{secret}")));
        assert!(!looks_like_key("eyJhbGciOiJIUzI1NiJ9.e30.sig"));
    }

    #[test]
    fn hashes_compare_whole() {
        let h = hash("bk_live_0a1b2c3d_x");
        assert_eq!(h.len(), 64);
        assert!(same(&h, &hash("bk_live_0a1b2c3d_x")));
        assert!(!same(&h, &hash("bk_live_0a1b2c3d_y")));
        assert!(!same(&h, &h[..63]));
    }
}
