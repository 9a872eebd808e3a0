use crate::Actor;
use crate::cursor::CursorCodec;
use crate::error::Result;
use crate::items::{Pager, from_item, page_limit, time_key, to_item};
use crate::store::{Item, Query, Store, WriteOp};
use bookstore_model::{AuditEntry, AuditId, BookId, UserId};
use bookstore_model::{Page, PageQuery};
use serde_json::Value;
use std::sync::Arc;

/// The audit log: every admin change, written by the change's own transaction (see [`entry`]).
pub struct Audit {
    pager: Pager,
}

impl Audit {
    pub fn new(store: Arc<dyn Store>, cursors: Arc<CursorCodec>) -> Self {
        Self {
            pager: Pager::new(store, cursors),
        }
    }

    /// A page of the log, newest first.
    pub async fn list(&self, q: &PageQuery) -> Result<Page<AuditEntry>> {
        let limit = page_limit(q.limit)?;
        let (items, next_cursor) = self
            .pager
            .paged("audit", query(limit), q.cursor.as_deref())
            .await?;
        Ok(Page {
            items: decode(items)?,
            next_cursor,
        })
    }
}

pub const AUDIT_PK: &str = "AUDIT";

/// The audit record of an admin change to a book, to be written in the change's own
/// transaction.
pub fn entry(
    actor: &Actor,
    action: &str,
    book_id: BookId,
    before: Option<Value>,
    after: Option<Value>,
    note: Option<String>,
) -> Result<WriteOp> {
    let subject = Subject {
        book_id: Some(book_id),
        user_id: None,
    };
    write(actor, action, subject, before, after, note)
}

/// The audit record of a change to the staff (an invitation, a role change) of the account
/// `user_id` (none for an invitation), to be written in the change's own transaction.
pub fn staff_entry(
    actor: &Actor,
    action: &str,
    user_id: Option<UserId>,
    before: Option<Value>,
    after: Option<Value>,
) -> Result<WriteOp> {
    let subject = Subject {
        book_id: None,
        user_id,
    };
    write(actor, action, subject, before, after, None)
}

/// The audit record of a change to the list of genres, to be written in the change's own
/// transaction.
pub fn genre_entry(
    actor: &Actor,
    action: &str,
    before: Option<Value>,
    after: Option<Value>,
) -> Result<WriteOp> {
    let subject = Subject {
        book_id: None,
        user_id: None,
    };
    write(actor, action, subject, before, after, None)
}

/// The audit record of a books import accepted (`after` names it and its rows), to be written
/// in the transaction that accepts it. Each book it adds or changes has its own entry.
pub fn import_entry(actor: &Actor, after: Value) -> Result<WriteOp> {
    let subject = Subject {
        book_id: None,
        user_id: None,
    };
    write(actor, "import.start", subject, None, Some(after), None)
}

/// What an entry is about.
struct Subject {
    book_id: Option<BookId>,
    user_id: Option<UserId>,
}

fn write(
    actor: &Actor,
    action: &str,
    subject: Subject,
    before: Option<Value>,
    after: Option<Value>,
    note: Option<String>,
) -> Result<WriteOp> {
    let e = AuditEntry {
        id: AuditId::new(),
        at: chrono::Utc::now(),
        actor_id: actor.id,
        actor_email: actor.email.clone(),
        action: action.to_owned(),
        book_id: subject.book_id,
        user_id: subject.user_id,
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
fn query(limit: usize) -> Query {
    Query {
        index: None,
        pk: AUDIT_PK.into(),
        sk_prefix: None,
        forward: false,
        limit,
        start: None,
    }
}

fn decode(items: Vec<Item>) -> Result<Vec<AuditEntry>> {
    items.into_iter().map(from_item).collect()
}
