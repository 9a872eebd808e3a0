use super::{from_item, time_key, to_item};
use crate::auth::AuthUser;
use crate::error::ApiResult;
use crate::store::{Item, Query, WriteOp};
use bookstore_model::{AuditEntry, AuditId, BookId};
use serde_json::Value;

pub const AUDIT_PK: &str = "AUDIT";

/// The audit record of an admin change, to be written in the change's own transaction.
pub fn entry(
    actor: &AuthUser,
    action: &str,
    book_id: BookId,
    before: Option<Value>,
    after: Option<Value>,
    note: Option<String>,
) -> ApiResult<WriteOp> {
    let e = AuditEntry {
        id: AuditId::new(),
        at: chrono::Utc::now(),
        actor_id: actor.id,
        actor_email: actor.email.clone(),
        action: action.to_owned(),
        book_id,
        before,
        after,
        note,
    };
    let mut item = to_item(&e)?;
    item.insert("pk".into(), AUDIT_PK.into());
    item.insert("sk".into(), format!("{}#{}", time_key(e.at), e.id).into());
    Ok(WriteOp::Put { item, cond: None })
}

/// Newest first.
pub fn query(limit: usize) -> Query {
    Query {
        index: None,
        pk: AUDIT_PK.into(),
        sk_prefix: None,
        forward: false,
        limit,
        start: None,
    }
}

pub fn decode(items: Vec<Item>) -> ApiResult<Vec<AuditEntry>> {
    items.into_iter().map(from_item).collect()
}
