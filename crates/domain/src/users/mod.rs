//! The users repository: accounts, their password hashes and their sessions' revocation.
//!
//! A session is a token (`tokens.rs`); each account's item holds `tokens_valid_after` (epoch
//! seconds), and a token whose `iat` is older is refused (a password change or reset, an e-mail
//! change, the account's deletion). Every authenticated request checks it, through a small
//! per-instance cache ([`SESSION_CACHE_TTL`]): this instance's own writes clear their entries
//! at once, another instance sees a revocation within that time.
//!
//! Password-reset and e-mail-change links are in [`links`]; the export and the deletion of an
//! account's data in [`data`]; owners and staff, their roles and invitations in [`staff`] and
//! [`invitations`].
pub mod data;
pub mod invitations;
pub mod links;
pub mod staff;

use crate::actor::Actor;
use crate::error::{Error, Result};
use crate::items::{from_item, to_item};
use crate::outbox::Wakeup;
use crate::store::{Cond, Key, Path, Store, StoreError, WriteOp};
use bookstore_model::{Email, PersonName, ProblemCode, Role, User, UserId};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long an instance trusts what it read of an account's sessions: another instance's
/// revocation takes effect here within this time (this instance's own, at once).
pub const SESSION_CACHE_TTL: Duration = Duration::from_secs(1);

/// How long the links mailed by [`links`] work.
#[derive(Debug, Clone, Copy)]
pub struct LinkTtls {
    pub password_reset_secs: i64,
    pub email_change_secs: i64,
    /// How long an invitation to join the staff works (not mailed: the owner passes it on).
    pub staff_invitation_secs: i64,
}

impl Default for LinkTtls {
    fn default() -> Self {
        Self {
            password_reset_secs: 30 * 60,
            email_change_secs: 24 * 3600,
            staff_invitation_secs: 7 * 24 * 3600,
        }
    }
}

/// What the session check needs of an account, and its role (for a quick refusal of routes
/// above it; the role extractors read the account itself before letting anyone in).
#[derive(Debug, Clone, Copy)]
struct Session {
    id: UserId,
    valid_after: i64,
    role: Role,
}

#[derive(Debug, Clone)]
struct Cached {
    at: Instant,
    session: Option<Session>,
}

/// An account as stored: the user, the password hash, since when its tokens are valid.
#[derive(Debug, Clone)]
pub struct Account {
    pub user: User,
    pub password_hash: String,
    pub tokens_valid_after: i64,
}

/// The users repository: accounts, their password hashes and their sessions.
pub struct Users {
    store: Arc<dyn Store>,
    /// Normalised e-mail → the account's id and `tokens_valid_after`, or its absence.
    sessions: quick_cache::sync::Cache<String, Cached>,
    wakeup: Wakeup,
    links: LinkTtls,
}

impl Users {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            sessions: quick_cache::sync::Cache::new(10_000),
            wakeup: Wakeup::new(),
            links: LinkTtls::default(),
        }
    }

    /// Wakes `wakeup` (the dispatcher's) after a write with an event (the links' mails).
    pub fn with_wakeup(mut self, wakeup: Wakeup) -> Self {
        self.wakeup = wakeup;
        self
    }

    pub fn with_link_ttls(mut self, links: LinkTtls) -> Self {
        self.links = links;
        self
    }

    /// Creates an account; 409 if the e-mail is taken.
    pub async fn create(&self, user: &User, password_hash: String) -> Result<()> {
        let store = self.store.as_ref();
        let item = user_item(&UserRecord {
            user: user.clone(),
            password_hash,
            tokens_valid_after: 0,
        })?;
        let result = store
            .transact(vec![WriteOp::Put {
                item,
                cond: Some(Cond::NotExists),
            }])
            .await;
        self.forget(&user.email);
        match result {
            Ok(()) => Ok(()),
            // The account may be this very one: a write retried after its answer was lost (the
            // SDK retries a timed-out PutItem) finds the item its first attempt wrote. Each
            // registration makes a new id, so the same id is the same registration.
            Err(StoreError::ConditionFailed(_)) => match self.find(&user.email).await? {
                Some((existing, _)) if existing.id == user.id => Ok(()),
                _ => Err(Error::Conflict(
                    ProblemCode::EmailTaken,
                    "an account with this e-mail already exists".into(),
                )),
            },
            Err(e) => Err(e.into()),
        }
    }

    /// The account and its password hash.
    pub async fn find(&self, email: &Email) -> Result<Option<(User, String)>> {
        Ok(self
            .account(email)
            .await?
            .map(|a| (a.user, a.password_hash)))
    }

    /// The account as stored.
    pub async fn account(&self, email: &Email) -> Result<Option<Account>> {
        match self.store.get(&user_key(email)).await? {
            Some(item) => {
                let r: UserRecord = from_item(item)?;
                Ok(Some(Account {
                    user: r.user,
                    password_hash: r.password_hash,
                    tokens_valid_after: r.tokens_valid_after,
                }))
            }
            None => Ok(None),
        }
    }

    /// The caller's account; 401 if it is gone (deleted, or moved to another e-mail).
    pub async fn own(&self, actor: &Actor) -> Result<Account> {
        let email = actor_email(actor)?;
        match self.account(&email).await? {
            Some(a) if a.user.id == actor.id => Ok(a),
            _ => Err(Error::Unauthorized("the account no longer exists")),
        }
    }

    /// Whether a token of `id`, naming `email` and issued at `iat` (epoch seconds), is still a
    /// session of its account: the account exists under that e-mail with that id, and has not
    /// revoked its tokens since. Read through the per-instance cache; the account's role as
    /// read (a role changed by another instance shows within [`SESSION_CACHE_TTL`]).
    pub async fn check_session(&self, email: &str, id: UserId, iat: i64) -> Result<Role> {
        let session = match self.sessions.get(email) {
            Some(c) if c.at.elapsed() < SESSION_CACHE_TTL => c.session,
            _ => {
                let parsed =
                    Email::parse(email).map_err(|_| Error::Unauthorized("the token is invalid"))?;
                let session = self.account(&parsed).await?.map(|a| Session {
                    id: a.user.id,
                    valid_after: a.tokens_valid_after,
                    role: a.user.role,
                });
                let cached = Cached {
                    at: Instant::now(),
                    session,
                };
                self.sessions.insert(email.to_owned(), cached);
                session
            }
        };
        match session {
            Some(s) if s.id == id && iat >= s.valid_after => Ok(s.role),
            Some(s) if s.id == id => Err(Error::Unauthorized(
                "this session has ended (the password or e-mail changed); log in again",
            )),
            _ => Err(Error::Unauthorized("the account no longer exists")),
        }
    }

    /// Drops what this instance cached of an account's sessions (after writing it).
    fn forget(&self, email: &Email) {
        self.sessions.remove(email.as_str());
    }

    /// Sets a new password hash and ends every session of the account; the account must still
    /// have the hash the caller checked (`account.password_hash`), else 409. Returns the new
    /// `tokens_valid_after`, for the token that continues the caller's session.
    pub async fn change_password(&self, account: &Account, new_hash: String) -> Result<i64> {
        let valid_after = revocation_time();
        let op = WriteOp::Update {
            key: user_key(&account.user.email),
            set: vec![
                (Path::attr("password_hash"), Value::String(new_hash)),
                (Path::attr("tokens_valid_after"), valid_after.into()),
            ],
            add: vec![],
            cond: Some(Cond::And(vec![
                Cond::Eq(Path::attr("id"), account.user.id.to_string().into()),
                Cond::Eq(
                    Path::attr("password_hash"),
                    account.password_hash.clone().into(),
                ),
            ])),
        };
        let result = self.store.transact(vec![op]).await;
        self.forget(&account.user.email);
        match result {
            Ok(()) => Ok(valid_after),
            Err(StoreError::ConditionFailed(_)) => Err(Error::Conflict(
                ProblemCode::Conflict,
                "the account changed meanwhile (another password change?); retry".into(),
            )),
            Err(e) => Err(e.into()),
        }
    }

    /// Renames the caller's account.
    pub async fn rename(&self, actor: &Actor, name: PersonName) -> Result<User> {
        let mut user = self.own(actor).await?.user;
        let op = WriteOp::Update {
            key: user_key(&user.email),
            set: vec![(Path::attr("name"), Value::String(name.to_string()))],
            add: vec![],
            cond: Some(Cond::Eq(Path::attr("id"), user.id.to_string().into())),
        };
        match self.store.transact(vec![op]).await {
            Ok(()) => {
                user.name = name;
                Ok(user)
            }
            Err(StoreError::ConditionFailed(_)) => {
                Err(Error::Unauthorized("the account no longer exists"))
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// The `tokens_valid_after` of a revocation now: the next second, so a token issued in this
/// very second (before the change) is refused too; tokens are issued no earlier than their
/// account's `tokens_valid_after` (`Tokens::issue_after`), so a sign-in right after still works.
fn revocation_time() -> i64 {
    chrono::Utc::now().timestamp() + 1
}

fn actor_email(actor: &Actor) -> Result<Email> {
    Email::parse(&actor.email).map_err(|_| Error::Unauthorized("the token is invalid"))
}

fn user_item(r: &UserRecord) -> Result<crate::store::Item> {
    let mut item = to_item(r)?;
    let key = user_key(&r.user.email);
    item.insert("pk".into(), Value::String(key.pk));
    item.insert("sk".into(), Value::String(key.sk));
    Ok(item)
}

pub fn user_key(email: &Email) -> Key {
    Key::new(format!("USER#{email}"), "USER")
}

#[derive(Serialize, Deserialize)]
struct UserRecord {
    #[serde(flatten)]
    user: User,
    password_hash: String,
    /// Tokens issued before this (epoch seconds) are refused; 0 for an account that never
    /// revoked any.
    #[serde(default)]
    tokens_valid_after: i64,
}

pub fn new_user(email: Email, name: PersonName, role: Role) -> User {
    User {
        id: bookstore_model::UserId::new(),
        email,
        name,
        role,
        created_at: chrono::Utc::now(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::embedded::EmbeddedStore;

    #[tokio::test]
    async fn a_retried_registration_is_the_same_account_another_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let users = Users::new(std::sync::Arc::new(
            EmbeddedStore::open(dir.path()).unwrap(),
        ));
        let email = Email::parse("ada@example.com").unwrap();
        let name = PersonName::parse("Ada").unwrap();
        let user = new_user(email.clone(), name.clone(), Role::Customer);
        users.create(&user, "hash".into()).await.unwrap();
        // The same write again (a retry): the account it made.
        users.create(&user, "hash".into()).await.unwrap();
        // Another registration of the e-mail: taken.
        let other = new_user(email.clone(), name, Role::Customer);
        let err = users.create(&other, "hash".into()).await.unwrap_err();
        assert!(matches!(err, Error::Conflict(ProblemCode::EmailTaken, _)));
        assert_eq!(users.find(&email).await.unwrap().unwrap().0.id, user.id);
    }
}
