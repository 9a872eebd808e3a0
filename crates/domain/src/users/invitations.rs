//! Invitations to join the staff. An owner makes one; its link is mailed to the invitee and
//! shown to the owner (to pass on when the shop has no mail server). Its token is single use and stored only as its SHA-256
//! (`INVITE#<hash>`, as the mailed links in [`super::links`]), with its expiry as the item's
//! `ttl`; accepting consumes it in the very transaction that gives the role, so of two racing
//! uses exactly one wins.
use super::links::{consume, link_key, new_token};
use super::staff::{owners_add, role_ops, roster_put};
use super::{Account, UserRecord, Users, user_item};
use crate::actor::Actor;
use crate::audit;
use crate::error::{Error, Result};
use crate::items::{from_item, to_item};
use crate::store::{Cond, Key, StoreError, WriteOp};
use bookstore_model::{
    Email, EventType, PersonName, ProblemCode, Role, StaffInvitation, User, UserId,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

const INVITE: &str = "INVITE";

#[derive(Debug, Clone, Serialize, Deserialize)]
struct InvitationRecord {
    email: Email,
    role: Role,
    invited_by: UserId,
    /// When the invitation stops working (epoch seconds; DynamoDB's TTL attribute).
    ttl: i64,
}

/// Who accepts an invitation.
pub enum Acceptance<'a> {
    /// The logged-in account under the invitation's e-mail.
    Existing(&'a Actor),
    /// A new account under the invitation's e-mail.
    New {
        name: PersonName,
        password_hash: String,
    },
}

impl Users {
    /// Makes an invitation for `email` to join as `role` (`staff` or `owner`); audited as
    /// `staff.invite`, mailed to `email` (`account.staff_invited`) and in the answer.
    pub async fn invite(&self, actor: &Actor, email: Email, role: Role) -> Result<StaffInvitation> {
        if !role.is_staff() {
            return Err(Error::Validation(
                "role: an invitation is to `staff` or `owner`".into(),
            ));
        }
        let token = new_token();
        let secs = self.links.staff_invitation_secs.max(1);
        let expires_at = chrono::Utc::now() + chrono::Duration::seconds(secs);
        let record = InvitationRecord {
            email: email.clone(),
            role,
            invited_by: actor.id,
            ttl: expires_at.timestamp(),
        };
        let mut item = to_item(&record)?;
        let key = link_key(INVITE, &token);
        item.insert("pk".into(), key.pk.into());
        item.insert("sk".into(), key.sk.into());
        let after = json!({ "email": email, "role": role, "expires_at": expires_at });
        // The mail goes out through the outbox, from this very transaction (when the shop has
        // no mail server, the owner passes on the link in the answer).
        let mail = json!({
            "email": email,
            "name": "",
            "role": role,
            "invited_by": actor.email,
            "token": token,
            "expires_at": expires_at,
        });
        let ops = vec![
            WriteOp::Put {
                item,
                cond: Some(Cond::NotExists),
            },
            audit::staff_entry(actor, "staff.invite", None, None, Some(after))?,
            self.wakeup.emit(EventType::StaffInvited, &mail)?,
        ];
        self.store.transact(ops).await?;
        Ok(StaffInvitation {
            email,
            role,
            link: format!("/staff-invitation?token={token}"),
            token,
            expires_at,
        })
    }

    /// Accepts an invitation: a new account with its role, or the logged-in account under its
    /// e-mail given the role (never lowered: an owner invited as staff stays an owner). The
    /// token is used up either way. Audited as `staff.join`. 400 `invalid_invitation` if the
    /// token is unknown, used or expired; 403 if the logged-in account is another e-mail's; 409
    /// `email_taken` if a new account is asked for an e-mail that has one (log in instead).
    pub async fn accept_invitation(&self, token: &str, who: Acceptance<'_>) -> Result<Account> {
        let key = link_key(INVITE, token);
        let invitation = self.live_invitation(&key).await?.ok_or_else(invalid)?;
        let result = match who {
            Acceptance::New {
                name,
                password_hash,
            } => self.join_new(&key, &invitation, name, password_hash).await,
            Acceptance::Existing(actor) => self.join_existing(&key, &invitation, actor).await,
        };
        self.forget(&invitation.email);
        result
    }

    async fn join_new(
        &self,
        key: &Key,
        invitation: &InvitationRecord,
        name: PersonName,
        password_hash: String,
    ) -> Result<Account> {
        let user = super::new_user(invitation.email.clone(), name, invitation.role);
        let record = UserRecord {
            user: user.clone(),
            password_hash,
            tokens_valid_after: 0,
        };
        let mut ops = vec![
            consume(key, invitation.ttl),
            WriteOp::Put {
                item: user_item(&record)?,
                cond: Some(Cond::NotExists),
            },
            roster_put(&user, user.role, Cond::NotExists)?,
        ];
        if user.role == Role::Owner {
            ops.push(owners_add(1));
        }
        ops.push(joined(&user, Role::Customer)?);
        match self.store.transact(ops).await {
            Ok(()) => Ok(Account {
                user: record.user,
                password_hash: record.password_hash,
                tokens_valid_after: 0,
            }),
            Err(StoreError::ConditionFailed(failed)) if failed.contains(&0) => Err(invalid()),
            Err(StoreError::ConditionFailed(_)) => Err(Error::Conflict(
                ProblemCode::EmailTaken,
                "an account with this e-mail exists: log in as it and accept the invitation".into(),
            )),
            Err(e) => Err(e.into()),
        }
    }

    async fn join_existing(
        &self,
        key: &Key,
        invitation: &InvitationRecord,
        actor: &Actor,
    ) -> Result<Account> {
        let mut account = self.own(actor).await?;
        if account.user.email != invitation.email {
            return Err(Error::Forbidden(
                "this invitation is for another e-mail: log in as that account",
            ));
        }
        let user = account.user.clone();
        self.enroll(&user).await?;
        let mut ops = vec![consume(key, invitation.ttl)];
        let raise = !user.role.at_least(invitation.role);
        if raise {
            ops.extend(role_ops(&user, invitation.role, true)?.ops);
            let joined_as = User {
                role: invitation.role,
                ..user.clone()
            };
            ops.push(joined(&joined_as, user.role)?);
        }
        match self.store.transact(ops).await {
            Ok(()) => {
                if raise {
                    account.user.role = invitation.role;
                }
                Ok(account)
            }
            Err(StoreError::ConditionFailed(failed)) if failed.contains(&0) => Err(invalid()),
            Err(StoreError::ConditionFailed(_)) => Err(Error::Conflict(
                ProblemCode::Conflict,
                "the account changed meanwhile; retry".into(),
            )),
            Err(e) => Err(e.into()),
        }
    }

    /// An invitation's record, if the token is known and not expired.
    async fn live_invitation(&self, key: &Key) -> Result<Option<InvitationRecord>> {
        let Some(item) = self.store.get(key).await? else {
            return Ok(None);
        };
        let record: InvitationRecord = from_item(item)?;
        Ok((record.ttl > chrono::Utc::now().timestamp()).then_some(record))
    }
}

/// The audit entry of `user` joining the staff from the role `before`; the actor is the user.
fn joined(user: &User, before: Role) -> Result<WriteOp> {
    let actor = Actor {
        id: user.id,
        email: user.email.to_string(),
        role: user.role,
    };
    audit::staff_entry(
        &actor,
        "staff.join",
        Some(user.id),
        Some(json!({ "email": user.email, "role": before })),
        Some(json!({ "email": user.email, "role": user.role })),
    )
}

fn invalid() -> Error {
    Error::BadRequest(
        ProblemCode::InvalidInvitation,
        "this invitation is unknown, used or expired; ask an owner for a new one".into(),
    )
}
