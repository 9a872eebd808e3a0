//! Owners and staff: who they are, their role changes, and the rule that one owner remains.
//!
//! The role lives on the user item, which every admin request reads. A roster lists the shop's
//! people without a scan: an item per owner or staff member (`STAFF` / `USER#<id>`, with the
//! e-mail that keys the account) and a counter of owners (`STAFF` / `OWNERS`). A role change
//! writes the user item, the roster, the counter and its audit entry in one transaction; one
//! that takes an owner away decrements the counter on the condition that it is at least 2, so
//! of two racing demotions of the last two owners exactly one succeeds. Accounts made admins
//! before the roster existed (stored as `admin`) join it when first seen: at login, at start
//! (the bootstrap owner), before any role change ([`Users::enroll`]).
use super::{Account, Users, user_key};
use crate::actor::Actor;
use crate::audit;
use crate::error::{Error, Result};
use crate::items::{from_item, to_item};
use crate::store::{Cond, Key, Path, Query, StoreError, WriteOp};
use bookstore_model::{Email, ProblemCode, Role, StaffMember, User, UserId};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

const STAFF_PK: &str = "STAFF";
/// A roster's page (and a `batch_get`'s most keys).
const PAGE: usize = 100;

/// A roster entry: enough to find the account (its item is keyed by e-mail).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct RosterRecord {
    pub user_id: UserId,
    pub email: Email,
    pub role: Role,
}

/// A role change's transaction, and where in it the owners' counter and the actor's check are.
pub(super) struct RoleOps {
    pub ops: Vec<WriteOp>,
    pub owners_at: Option<usize>,
    pub actor_at: Option<usize>,
}

impl RoleOps {
    /// The error of a failed transaction, by the operations whose conditions failed.
    pub fn error(&self, failed: &[usize]) -> Error {
        if self.owners_at.is_some_and(|i| failed.contains(&i)) {
            last_owner()
        } else if self.actor_at.is_some_and(|i| failed.contains(&i)) {
            Error::Forbidden("you are no longer an owner")
        } else {
            Error::Conflict(
                ProblemCode::Conflict,
                "the account changed meanwhile; reload and retry".into(),
            )
        }
    }
}

impl Users {
    /// The owners and staff, owners first, then by name.
    pub async fn staff(&self) -> Result<Vec<StaffMember>> {
        let mut query = Query {
            index: None,
            pk: STAFF_PK.into(),
            sk_prefix: Some("USER#".into()),
            forward: true,
            limit: PAGE,
            start: None,
        };
        let mut members = Vec::new();
        loop {
            let page = self.store.query(&query).await?;
            let roster: Vec<RosterRecord> = page
                .items
                .into_iter()
                .map(from_item)
                .collect::<Result<_>>()?;
            let keys: Vec<Key> = roster.iter().map(|r| user_key(&r.email)).collect();
            let accounts = self.store.batch_get(&keys).await?;
            for (entry, item) in roster.iter().zip(accounts) {
                // The account is authoritative: a roster entry left by a crash is skipped.
                let Some(item) = item else { continue };
                let user: User = from_item(item)?;
                if user.id == entry.user_id && user.role.is_staff() {
                    members.push(StaffMember {
                        id: user.id,
                        email: user.email,
                        name: user.name,
                        role: user.role,
                    });
                }
            }
            match page.last_key {
                Some(k) => query.start = Some(k),
                None => break,
            }
        }
        members.sort_by(|a, b| {
            (b.role == Role::Owner)
                .cmp(&(a.role == Role::Owner))
                .then_with(|| a.name.as_str().cmp(b.name.as_str()))
        });
        Ok(members)
    }

    /// Adds an owner's or staff member's account to the roster unless it is there (an account
    /// made admin before the roster existed); nothing for a customer.
    pub async fn enroll(&self, user: &User) -> Result<()> {
        if !user.role.is_staff() || self.store.get(&roster_key(user.id)).await?.is_some() {
            return Ok(());
        }
        let mut ops = vec![
            WriteOp::Check {
                key: user_key(&user.email),
                cond: Cond::And(vec![id_is(user.id), role_is(user.role)]),
            },
            roster_put(user, user.role, Cond::NotExists)?,
        ];
        if user.role == Role::Owner {
            ops.push(owners_add(1));
        }
        match self.store.transact(ops).await {
            // Changed or enrolled meanwhile: whoever did that kept the roster right.
            Ok(()) | Err(StoreError::ConditionFailed(_)) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Sets the role of the staff member `id`: `owner` or `staff`, or `customer` to remove
    /// them from the staff. 404 if `id` is not on the staff, 409 `last_owner` if no owner
    /// would remain. Audited as `staff.role` (`staff.remove` for `customer`).
    pub async fn change_role(&self, actor: &Actor, id: UserId, role: Role) -> Result<StaffMember> {
        let me = self.own(actor).await?.user;
        if me.role != Role::Owner {
            return Err(Error::Forbidden("only an owner manages the staff"));
        }
        self.enroll(&me).await?;
        let entry = match self.store.get(&roster_key(id)).await? {
            Some(item) => from_item::<RosterRecord>(item)?,
            None => return Err(Error::NotFound("staff member")),
        };
        let target = match self.account(&entry.email).await? {
            Some(a) if a.user.id == id && a.user.role.is_staff() => a.user,
            _ => return Err(Error::NotFound("staff member")),
        };
        if target.role == role {
            return Ok(member(target));
        }
        let action = if role == Role::Customer {
            "staff.remove"
        } else {
            "staff.role"
        };
        let mut plan = role_ops(&target, role, true)?;
        if actor.id != id {
            // The actor must still be an owner when it is written (the same item may not
            // appear twice in a transaction: demoting oneself is checked by its own update).
            plan.actor_at = Some(plan.ops.len());
            plan.ops.push(WriteOp::Check {
                key: user_key(&me.email),
                cond: Cond::And(vec![id_is(me.id), role_is(Role::Owner)]),
            });
        }
        plan.ops.push(audit::staff_entry(
            actor,
            action,
            Some(id),
            Some(json!({ "email": target.email, "role": target.role })),
            Some(json!({ "email": target.email, "role": role })),
        )?);
        let result = self.store.transact(plan.ops.clone()).await;
        self.forget(&target.email);
        match result {
            Ok(()) => Ok(member(User { role, ..target })),
            Err(StoreError::ConditionFailed(failed)) => Err(plan.error(&failed)),
            Err(e) => Err(e.into()),
        }
    }

    /// Gives the account under `email` a role, as the operator (`bookstore admin revoke`): no
    /// actor, not audited, and the last owner may go (the operator can `bookstore admin create`
    /// another). `false` if there is no such account.
    pub async fn set_role(&self, email: &Email, role: Role) -> Result<bool> {
        let Some(Account { user, .. }) = self.account(email).await? else {
            return Ok(false);
        };
        self.enroll(&user).await?;
        if user.role == role {
            return Ok(true);
        }
        let plan = role_ops(&user, role, false)?;
        let result = self.store.transact(plan.ops.clone()).await;
        self.forget(email);
        match result {
            Ok(()) => Ok(true),
            Err(StoreError::ConditionFailed(failed)) => Err(plan.error(&failed)),
            Err(e) => Err(e.into()),
        }
    }

    /// How many owners the roster counts.
    pub(super) async fn owners(&self) -> Result<i64> {
        let item = self.store.get(&owners_key()).await?;
        Ok(item
            .and_then(|i| i.get("count").and_then(Value::as_i64))
            .unwrap_or(0))
    }

    /// The operations that take an account off the roster with its deletion (an owner only if
    /// another remains), and where the owners' counter is among them.
    pub(super) async fn leave_roster(&self, user: &User) -> Result<(Vec<WriteOp>, Option<usize>)> {
        self.enroll(user).await?;
        if self.store.get(&roster_key(user.id)).await?.is_none() {
            return Ok((vec![], None));
        }
        let mut ops = vec![WriteOp::Delete {
            key: roster_key(user.id),
            cond: Some(Cond::Exists),
        }];
        if user.role == Role::Owner {
            ops.push(owners_remove());
            return Ok((ops, Some(1)));
        }
        Ok((ops, None))
    }
}

/// The writes that take `user` (enrolled if on the staff) from its role to `to`; with
/// `keep_an_owner`, only if an owner remains.
pub(super) fn role_ops(user: &User, to: Role, keep_an_owner: bool) -> Result<RoleOps> {
    let from = user.role;
    let mut ops = vec![WriteOp::Update {
        key: user_key(&user.email),
        set: vec![(Path::attr("role"), Value::String(to.as_str().into()))],
        add: vec![],
        cond: Some(Cond::And(vec![id_is(user.id), role_is(from)])),
    }];
    match (from.is_staff(), to.is_staff()) {
        (_, true) => {
            let cond = if from.is_staff() {
                Cond::Exists
            } else {
                Cond::NotExists
            };
            ops.push(roster_put(user, to, cond)?);
        }
        (true, false) => ops.push(WriteOp::Delete {
            key: roster_key(user.id),
            cond: Some(Cond::Exists),
        }),
        (false, false) => {}
    }
    let mut owners_at = None;
    match (from == Role::Owner, to == Role::Owner) {
        (true, false) if keep_an_owner => {
            owners_at = Some(ops.len());
            ops.push(owners_remove());
        }
        (true, false) => ops.push(owners_add(-1)),
        (false, true) => ops.push(owners_add(1)),
        _ => {}
    }
    Ok(RoleOps {
        ops,
        owners_at,
        actor_at: None,
    })
}

pub(super) fn last_owner() -> Error {
    Error::Conflict(
        ProblemCode::LastOwner,
        "the shop must keep at least one owner: make someone else an owner first".into(),
    )
}

fn member(user: User) -> StaffMember {
    StaffMember {
        id: user.id,
        email: user.email,
        name: user.name,
        role: user.role,
    }
}

pub(super) fn roster_key(id: UserId) -> Key {
    Key::new(STAFF_PK, format!("USER#{id}"))
}

fn owners_key() -> Key {
    Key::new(STAFF_PK, "OWNERS")
}

pub(super) fn roster_put(user: &User, role: Role, cond: Cond) -> Result<WriteOp> {
    let mut item = to_item(&RosterRecord {
        user_id: user.id,
        email: user.email.clone(),
        role,
    })?;
    let key = roster_key(user.id);
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    Ok(WriteOp::Put {
        item,
        cond: Some(cond),
    })
}

pub(super) fn owners_add(n: i64) -> WriteOp {
    WriteOp::Update {
        key: owners_key(),
        set: vec![],
        add: vec![(Path::attr("count"), n)],
        cond: None,
    }
}

/// One owner fewer, only if another remains: the write two racing demotions contend on.
fn owners_remove() -> WriteOp {
    WriteOp::Update {
        key: owners_key(),
        set: vec![],
        add: vec![(Path::attr("count"), -1)],
        cond: Some(Cond::Ge(Path::attr("count"), 2)),
    }
}

fn id_is(id: UserId) -> Cond {
    Cond::Eq(Path::attr("id"), id.to_string().into())
}

/// The stored role is `role`; an owner's may still read `admin` (stored before staff roles).
pub(super) fn role_is(role: Role) -> Cond {
    let eq = |s: &str| Cond::Eq(Path::attr("role"), Value::String(s.into()));
    match role {
        Role::Owner => Cond::Or(vec![eq("owner"), eq("admin")]),
        other => eq(other.as_str()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;
    use crate::store::embedded::EmbeddedStore;
    use crate::users::{UserRecord, new_user, user_item};
    use bookstore_model::PersonName;

    /// An account stored as `admin` (before staff roles) is an owner: it joins the roster when
    /// seen, and its role changes under the same rules.
    #[tokio::test]
    async fn an_admin_stored_before_staff_roles_is_an_owner() {
        let dir = tempfile::tempdir().unwrap();
        let store = std::sync::Arc::new(EmbeddedStore::open(dir.path()).unwrap());
        let users = Users::new(store.clone());
        let email = Email::parse("old-admin@example.com").unwrap();
        let user = new_user(
            email.clone(),
            PersonName::parse("Old").unwrap(),
            Role::Owner,
        );
        let mut item = user_item(&UserRecord {
            user: user.clone(),
            password_hash: "hash".into(),
            tokens_valid_after: 0,
        })
        .unwrap();
        item.insert("role".into(), "admin".into());
        store
            .transact(vec![WriteOp::Put { item, cond: None }])
            .await
            .unwrap();

        let read = users.find(&email).await.unwrap().unwrap().0;
        assert_eq!(read.role, Role::Owner);
        assert!(users.staff().await.unwrap().is_empty());
        users.enroll(&read).await.unwrap();
        users.enroll(&read).await.unwrap();
        let listed = users.staff().await.unwrap();
        assert_eq!((listed.len(), listed[0].role), (1, Role::Owner));
        assert_eq!(users.owners().await.unwrap(), 1);
        // The last owner, as the operator may still take it away.
        assert!(users.set_role(&email, Role::Customer).await.unwrap());
        assert!(users.staff().await.unwrap().is_empty());
        assert_eq!(users.owners().await.unwrap(), 0);
    }
}
