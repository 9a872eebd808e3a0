//! Links mailed to an account: a password reset, and the confirmation of a new e-mail.
//!
//! Each link carries a single-use token: 32 bytes of the OS generator, stored only as its
//! SHA-256 (`RESET#<hash>` / `EMAILCHANGE#<hash>`; a slow hash guards guessable secrets, nothing
//! here can be guessed), with its expiry as the item's `ttl`. Consuming it is a conditional
//! delete in the transaction of the change it allows, so of two racing uses exactly one wins.
//! The mail goes out through the outbox: the event is written with the token item, and its type
//! is never delivered to webhooks (`EventType::WEBHOOK`), as its data holds the token.
use super::staff::roster_put;
use super::{Account, UserRecord, Users, revocation_time, user_item, user_key};
use crate::error::{Error, Result};
use crate::items::from_item;
use crate::outcome::is_void;
use crate::store::{Cond, Item, Key, Path, Query, StoreError, WriteOp};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bookstore_model::{Email, EventType, ProblemCode, User, UserId};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const RESET: &str = "RESET";
const EMAIL_CHANGE: &str = "EMAILCHANGE";
/// The most items an account's partition may hold to move in one transaction (of at most
/// 100 items: each moved item is a put and a delete, plus the token's delete).
const MAX_MOVED: usize = 48;

/// A link's stored state: whose account, and (an e-mail change) where it moves.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct LinkRecord {
    user_id: UserId,
    email: Email,
    #[serde(default)]
    new_email: Option<Email>,
    /// When the link stops working (epoch seconds; DynamoDB's TTL attribute).
    ttl: i64,
}

impl Users {
    /// Mails a password-reset link to `email` if it has an account; does nothing otherwise
    /// (the caller answers alike either way).
    pub async fn request_password_reset(&self, email: &Email) -> Result<()> {
        let Some(account) = self.account(email).await? else {
            return Ok(());
        };
        let ttl = self.links.password_reset_secs;
        self.send_link(
            RESET,
            EventType::PasswordResetRequested,
            &account,
            email,
            None,
            ttl,
        )
        .await
    }

    /// Sets the password of the reset link's account and ends its sessions, consuming the
    /// token; 400 `invalid_reset_token` if it is unknown, used or expired.
    pub async fn reset_password(&self, token: &str, new_hash: String) -> Result<()> {
        let invalid = || {
            Error::BadRequest(
                ProblemCode::InvalidResetToken,
                "this password-reset link is unknown, used or expired; ask for a new one".into(),
            )
        };
        let key = link_key(RESET, token);
        let link = self.live_link(&key).await?.ok_or_else(invalid)?;
        let ops = vec![
            consume(&key, link.ttl),
            WriteOp::Update {
                key: user_key(&link.email),
                set: vec![
                    (Path::attr("password_hash"), Value::String(new_hash)),
                    (Path::attr("tokens_valid_after"), revocation_time().into()),
                ],
                add: vec![],
                cond: Some(Cond::Eq(Path::attr("id"), link.user_id.to_string().into())),
            },
        ];
        let result = self.store.transact(ops).await;
        self.forget(&link.email);
        match result {
            Ok(()) => Ok(()),
            // Used meanwhile, or the account is gone or moved: the link no longer applies.
            Err(StoreError::ConditionFailed(_)) => Err(invalid()),
            Err(e) => Err(e.into()),
        }
    }

    /// Mails a link to `new_email` that moves the account there once followed.
    pub async fn request_email_change(&self, account: &Account, new_email: &Email) -> Result<()> {
        if *new_email == account.user.email {
            return Ok(());
        }
        let ttl = self.links.email_change_secs;
        let to = Some(new_email);
        let old = &account.user.email;
        self.send_link(
            EMAIL_CHANGE,
            EventType::EmailChangeRequested,
            account,
            old,
            to,
            ttl,
        )
        .await
    }

    /// Moves the link's account to its new e-mail, in one transaction: the user item put under
    /// the new e-mail if none is there (else 409 `email_taken`), the old one deleted, the
    /// addresses, their counter and the cart moved, the token consumed; the account's sessions
    /// end (they name the old e-mail). 400 `invalid_email_token` if the link is unknown, used or expired.
    pub async fn confirm_email_change(&self, token: &str) -> Result<()> {
        let invalid = || {
            Error::BadRequest(
                ProblemCode::InvalidEmailToken,
                "this confirmation link is unknown, used or expired".into(),
            )
        };
        let key = link_key(EMAIL_CHANGE, token);
        let link = self.live_link(&key).await?.ok_or_else(invalid)?;
        let new_email = link.new_email.clone().ok_or_else(invalid)?;
        let old_pk = user_key(&link.email).pk;
        let new_pk = user_key(&new_email).pk;
        let items = self.partition(&old_pk).await?;
        let mut ops = vec![consume(&key, link.ttl)];
        let mut found = false;
        let mut moved_user = None;
        for item in items {
            let Some(old_key) = Key::of(&item) else {
                continue;
            };
            if old_key.sk == "USER" {
                let mut r: UserRecord = from_item(item)?;
                if r.user.id != link.user_id {
                    return Err(invalid());
                }
                found = true;
                r.user.email = new_email.clone();
                r.tokens_valid_after = revocation_time();
                moved_user = Some(r.user.clone());
                ops.insert(
                    1,
                    WriteOp::Put {
                        item: user_item(&r)?,
                        cond: Some(Cond::NotExists),
                    },
                );
                ops.push(WriteOp::Delete {
                    key: old_key,
                    cond: Some(Cond::Eq(Path::attr("id"), r.user.id.to_string().into())),
                });
            } else if is_void(&item) {
                ops.push(WriteOp::Delete {
                    key: old_key,
                    cond: None,
                });
            } else {
                let mut moved = item.clone();
                moved.insert("pk".into(), Value::String(new_pk.clone()));
                ops.push(WriteOp::Put {
                    item: moved,
                    cond: Some(Cond::NotExists),
                });
                // Unchanged since read: an address added meanwhile fails the move (retry).
                let cond = match item.get("count") {
                    Some(n) => Cond::Eq(Path::attr("count"), n.clone()),
                    None => Cond::Exists,
                };
                ops.push(WriteOp::Delete {
                    key: old_key,
                    cond: Some(cond),
                });
            }
        }
        if !found {
            return Err(invalid());
        }
        // The staff roster finds the account by its e-mail: it moves along.
        if let Some(user) = moved_user.filter(|u| u.role.is_staff()) {
            self.enroll(&User {
                email: link.email.clone(),
                ..user.clone()
            })
            .await?;
            ops.push(roster_put(&user, user.role, Cond::Exists)?);
        }
        let result = self.store.transact(ops).await;
        self.forget(&link.email);
        self.forget(&new_email);
        match result {
            Ok(()) => Ok(()),
            Err(StoreError::ConditionFailed(failed)) if failed.contains(&0) => Err(invalid()),
            Err(StoreError::ConditionFailed(failed)) if failed.contains(&1) => {
                Err(Error::Conflict(
                    ProblemCode::EmailTaken,
                    "an account with this e-mail already exists".into(),
                ))
            }
            Err(StoreError::ConditionFailed(_)) => Err(Error::Conflict(
                ProblemCode::Conflict,
                "the account changed while moving it; follow the link again".into(),
            )),
            Err(e) => Err(e.into()),
        }
    }

    /// The items of an account's partition (the user item, addresses, their counter, the cart).
    pub(super) async fn partition(&self, pk: &str) -> Result<Vec<Item>> {
        let page = self
            .store
            .query(&Query {
                index: None,
                pk: pk.to_owned(),
                sk_prefix: None,
                forward: true,
                limit: MAX_MOVED + 1,
                start: None,
            })
            .await?;
        if page.items.len() > MAX_MOVED {
            return Err(Error::internal(format!(
                "account partition {pk} holds more than {MAX_MOVED} items"
            )));
        }
        Ok(page.items)
    }

    /// Writes a link's token item and the event that mails it, in one transaction.
    async fn send_link(
        &self,
        kind: &str,
        event: EventType,
        account: &Account,
        email: &Email,
        new_email: Option<&Email>,
        ttl_secs: i64,
    ) -> Result<()> {
        let token = new_token();
        let expires_at = chrono::Utc::now() + chrono::Duration::seconds(ttl_secs.max(1));
        let record = LinkRecord {
            user_id: account.user.id,
            email: email.clone(),
            new_email: new_email.cloned(),
            ttl: expires_at.timestamp(),
        };
        let mut item = crate::items::to_item(&record)?;
        let key = link_key(kind, &token);
        item.insert("pk".into(), key.pk.into());
        item.insert("sk".into(), key.sk.into());
        let data = json!({
            "email": new_email.unwrap_or(email),
            "name": account.user.name,
            "token": token,
            "expires_at": expires_at,
        });
        let ops = vec![
            WriteOp::Put {
                item,
                cond: Some(Cond::NotExists),
            },
            self.wakeup.emit(event, &data)?,
        ];
        self.store.transact(ops).await?;
        Ok(())
    }

    /// A link's record, if the token is known and not expired.
    async fn live_link(&self, key: &Key) -> Result<Option<LinkRecord>> {
        let Some(item) = self.store.get(key).await? else {
            return Ok(None);
        };
        let link: LinkRecord = from_item(item)?;
        Ok((link.ttl > chrono::Utc::now().timestamp()).then_some(link))
    }
}

/// The conditional delete that uses a token up: only while it is there, and unexpired.
pub(super) fn consume(key: &Key, ttl: i64) -> WriteOp {
    WriteOp::Delete {
        key: key.clone(),
        cond: Some(Cond::Eq(Path::attr("ttl"), ttl.into())),
    }
}

pub(super) fn link_key(kind: &str, token: &str) -> Key {
    let hash = Sha256::digest(token.as_bytes());
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    Key::new(format!("{kind}#{hex}"), kind)
}

/// 32 random bytes (two v4 UUIDs' worth of the OS generator: 244 random bits), URL-safe.
pub(super) fn new_token() -> String {
    let mut bytes = [0u8; 32];
    bytes[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    bytes[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    URL_SAFE_NO_PAD.encode(bytes)
}
