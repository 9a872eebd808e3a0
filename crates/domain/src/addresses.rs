//! The address book: each customer's addresses, at most [`MAX_ADDRESSES`], kept in the
//! account's own partition beside the user item.
//!
//! The limit holds under concurrent writes: a counter item in the same partition is raised in
//! the transaction that puts an address, on the condition that it is below the limit, and
//! lowered in the one that deletes one. The store has no "missing or below" condition, so the
//! first address creates the counter on the condition that it does not exist yet; a request
//! that guessed wrong reads the counter and tries again.
use crate::actor::Actor;
use crate::error::{Error, Result};
use crate::items::{from_item, to_item};
use crate::outcome::{Probe, is_void, transact_resolved};
use crate::store::{Cond, Item, Key, Path, Query, Store, StoreError, WriteOp};
use crate::users::user_key;
use bookstore_model::{Address, AddressId, AddressInput, Email, MAX_ADDRESSES, ProblemCode, paths};
use serde_json::Value;
use std::sync::Arc;

const SK_PREFIX: &str = "ADDR#";
const COUNTER_SK: &str = "ADDRESSES";
/// The counter item's attribute: how many addresses the account has.
const COUNT: &str = "count";
/// Tries of a create: only a race to create the counter makes a second one necessary.
const CREATE_ATTEMPTS: usize = 4;

/// The address book repository.
pub struct Addresses {
    store: Arc<dyn Store>,
}

impl Addresses {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }

    /// The caller's addresses, oldest first.
    pub async fn list(&self, actor: &Actor) -> Result<Vec<Address>> {
        let mut query = Query {
            index: None,
            pk: partition(actor)?,
            sk_prefix: Some(SK_PREFIX.into()),
            forward: true,
            // Room for the addresses and a few fences of unconfirmed creates.
            limit: 2 * MAX_ADDRESSES,
            start: None,
        };
        let mut out = Vec::new();
        loop {
            let page = self.store.query(&query).await?;
            for item in page.items {
                if !is_void(&item) {
                    out.push(from_item::<Address>(item)?);
                }
            }
            match page.last_key {
                Some(k) => query.start = Some(k),
                None => break,
            }
        }
        out.sort_by_key(|a| (a.created_at, a.id));
        Ok(out)
    }

    /// One of the caller's addresses; someone else's is reported as missing.
    pub async fn find(&self, actor: &Actor, id: AddressId) -> Result<Address> {
        match self.store.get(&address_key(&partition(actor)?, id)).await? {
            Some(item) if !is_void(&item) => from_item(item),
            _ => Err(Error::NotFound("address")),
        }
    }

    /// Adds an address to the caller's book; 422 `too_many_addresses` when it is full.
    pub async fn create(&self, actor: &Actor, input: AddressInput) -> Result<Address> {
        let address = input.into_address(AddressId::new(), chrono::Utc::now())?;
        let pk = partition(actor)?;
        let key = address_key(&pk, address.id);
        let counter = Key::new(&pk, COUNTER_SK);
        let item = address_item(&key, &address)?;
        // Most accounts that add an address have one already.
        let mut counter_exists = true;
        for _ in 0..CREATE_ATTEMPTS {
            let cond = if counter_exists {
                Cond::Le(Path::attr(COUNT), MAX_ADDRESSES as i64 - 1)
            } else {
                Cond::NotExists
            };
            let ops = vec![
                WriteOp::Put {
                    item: item.clone(),
                    cond: Some(Cond::NotExists),
                },
                WriteOp::Update {
                    key: counter.clone(),
                    set: vec![],
                    add: vec![(Path::attr(COUNT), 1)],
                    cond: Some(cond),
                },
            ];
            // Fenced: a create the store did not confirm is settled before answering, so a
            // client never retries one that was made.
            let probe = Probe {
                key: key.clone(),
                fence: true,
            };
            match transact_resolved(self.store.as_ref(), ops, &probe).await {
                Ok(()) => return Ok(address),
                Err(StoreError::ConditionFailed(_)) => {}
                Err(StoreError::Unknown(cause)) => {
                    return Err(Error::OutcomeUnknown {
                        what: "address",
                        location: Some(paths::MY_ADDRESSES.into()),
                        cause,
                    });
                }
                Err(e) => return Err(e.into()),
            }
            match self.store.get(&counter).await? {
                None => counter_exists = false,
                Some(c) if count(&c) >= MAX_ADDRESSES as i64 => return Err(too_many()),
                Some(_) => counter_exists = true,
            }
        }
        Err(Error::Conflict(
            ProblemCode::Conflict,
            "the address book kept changing while adding to it; retry".into(),
        ))
    }

    /// Replaces one of the caller's addresses; 404 if the caller has no such address.
    pub async fn replace(
        &self,
        actor: &Actor,
        id: AddressId,
        input: AddressInput,
    ) -> Result<Address> {
        let mut address = input.into_address(id, chrono::Utc::now())?;
        let pk = partition(actor)?;
        let key = address_key(&pk, id);
        let existing = self.get(&key).await?.ok_or(Error::NotFound("address"))?;
        address.created_at = existing.created_at;
        let op = WriteOp::Put {
            item: address_item(&key, &address)?,
            // Not a fence, and not deleted meanwhile.
            cond: Some(Cond::Eq(Path::attr("id"), Value::String(id.to_string()))),
        };
        match self.store.transact(vec![op]).await {
            Ok(()) => Ok(address),
            Err(StoreError::ConditionFailed(_)) => Err(Error::NotFound("address")),
            Err(StoreError::Unknown(cause)) => Err(Error::OutcomeUnknown {
                what: "address",
                location: Some(paths::MY_ADDRESSES.into()),
                cause,
            }),
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes one of the caller's addresses; 404 if the caller has no such address.
    pub async fn delete(&self, actor: &Actor, id: AddressId) -> Result<()> {
        let pk = partition(actor)?;
        let key = address_key(&pk, id);
        let ops = vec![
            WriteOp::Delete {
                key: key.clone(),
                cond: Some(Cond::Eq(Path::attr("id"), Value::String(id.to_string()))),
            },
            WriteOp::Update {
                key: Key::new(&pk, COUNTER_SK),
                set: vec![],
                add: vec![(Path::attr(COUNT), -1)],
                cond: Some(Cond::Ge(Path::attr(COUNT), 1)),
            },
        ];
        match self.store.transact(ops).await {
            Ok(()) => Ok(()),
            Err(StoreError::ConditionFailed(failed)) if failed.contains(&0) => {
                Err(Error::NotFound("address"))
            }
            Err(StoreError::ConditionFailed(_)) => Err(Error::internal(
                "an address exists but its account's counter is below 1",
            )),
            // Gone when read back: deleted, which is what the caller asked for.
            Err(StoreError::Unknown(cause)) => match self.get(&key).await {
                Ok(None) => Ok(()),
                _ => Err(Error::OutcomeUnknown {
                    what: "address deletion",
                    location: Some(paths::MY_ADDRESSES.into()),
                    cause,
                }),
            },
            Err(e) => Err(e.into()),
        }
    }

    /// An address by key; `None` if missing or a fence.
    async fn get(&self, key: &Key) -> Result<Option<Address>> {
        match self.store.get(key).await? {
            Some(item) if !is_void(&item) => Ok(Some(from_item(item)?)),
            _ => Ok(None),
        }
    }
}

/// The caller's partition: the one of their user item.
pub(crate) fn partition(actor: &Actor) -> Result<String> {
    let email =
        Email::parse(&actor.email).map_err(|_| Error::Unauthorized("the token is invalid"))?;
    Ok(user_key(&email).pk)
}

fn address_key(pk: &str, id: AddressId) -> Key {
    Key::new(pk, format!("{SK_PREFIX}{id}"))
}

fn address_item(key: &Key, address: &Address) -> Result<Item> {
    let mut item = to_item(address)?;
    item.insert("pk".into(), Value::String(key.pk.clone()));
    item.insert("sk".into(), Value::String(key.sk.clone()));
    Ok(item)
}

fn count(counter: &Item) -> i64 {
    counter.get(COUNT).and_then(Value::as_i64).unwrap_or(0)
}

fn too_many() -> Error {
    Error::Unprocessable(
        ProblemCode::TooManyAddresses,
        format!("an account keeps at most {MAX_ADDRESSES} addresses; delete one first"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::embedded::EmbeddedStore;
    use bookstore_model::{Role, UserId};

    fn actor(email: &str) -> Actor {
        Actor {
            id: UserId::new(),
            email: email.into(),
            role: Role::Customer,
        }
    }

    fn input(name: &str) -> AddressInput {
        AddressInput {
            name: name.into(),
            line1: "1 Main Street".into(),
            line2: None,
            city: "Springfield".into(),
            region: None,
            postal_code: "12345".into(),
            country: "US".into(),
            phone: None,
        }
    }

    #[tokio::test]
    async fn the_limit_holds_and_a_delete_makes_room() {
        let dir = tempfile::tempdir().unwrap();
        let book = Addresses::new(Arc::new(EmbeddedStore::open(dir.path()).unwrap()));
        let (ada, bob) = (actor("ada@example.com"), actor("bob@example.com"));
        let mut made = Vec::new();
        for i in 0..MAX_ADDRESSES {
            made.push(book.create(&ada, input(&format!("A{i}"))).await.unwrap());
        }
        let err = book.create(&ada, input("one too many")).await.unwrap_err();
        assert!(matches!(
            err,
            Error::Unprocessable(ProblemCode::TooManyAddresses, _)
        ));
        // Another account's book is its own.
        assert!(matches!(
            book.delete(&bob, made[0].id).await,
            Err(Error::NotFound(_))
        ));
        book.create(&bob, input("B")).await.unwrap();
        book.delete(&ada, made[0].id).await.unwrap();
        assert!(matches!(
            book.delete(&ada, made[0].id).await,
            Err(Error::NotFound(_))
        ));
        book.create(&ada, input("again")).await.unwrap();
        let listed = book.list(&ada).await.unwrap();
        assert_eq!(listed.len(), MAX_ADDRESSES);
        assert_eq!(listed[0].name, "A1", "oldest first");
    }
}
