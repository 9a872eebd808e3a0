use crate::error::{Error, Result};
use crate::items::{from_item, to_item};
use crate::store::{Cond, Key, Path, Store, StoreError, WriteOp};
use bookstore_model::{Email, PersonName, ProblemCode, Role, User};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;

/// The users repository: accounts and their password hashes.
pub struct Users {
    store: Arc<dyn Store>,
}

impl Users {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }

    /// Creates an account; 409 if the e-mail is taken.
    pub async fn create(&self, user: &User, password_hash: String) -> Result<()> {
        let store = self.store.as_ref();
        let mut item = to_item(&UserRecord {
            user: user.clone(),
            password_hash,
        })?;
        let key = user_key(&user.email);
        item.insert("pk".into(), Value::String(key.pk));
        item.insert("sk".into(), Value::String(key.sk));
        match store
            .transact(vec![WriteOp::Put {
                item,
                cond: Some(Cond::NotExists),
            }])
            .await
        {
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
        let store = self.store.as_ref();
        match store.get(&user_key(email)).await? {
            Some(item) => {
                let r: UserRecord = from_item(item)?;
                Ok(Some((r.user, r.password_hash)))
            }
            None => Ok(None),
        }
    }

    /// Gives an account another role; `false` if there is no such account.
    pub async fn set_role(&self, email: &Email, role: Role) -> Result<bool> {
        let store = self.store.as_ref();
        let op = WriteOp::Update {
            key: user_key(email),
            set: vec![(
                Path::attr("role"),
                serde_json::to_value(role).map_err(Error::internal)?,
            )],
            add: vec![],
            cond: Some(Cond::Exists),
        };
        match store.transact(vec![op]).await {
            Ok(()) => Ok(true),
            Err(StoreError::ConditionFailed(_)) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
}

pub fn user_key(email: &Email) -> Key {
    Key::new(format!("USER#{email}"), "USER")
}

#[derive(Serialize, Deserialize)]
struct UserRecord {
    #[serde(flatten)]
    user: User,
    password_hash: String,
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
