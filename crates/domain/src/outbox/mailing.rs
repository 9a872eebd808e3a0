//! The dispatcher's mail jobs: an event's mail to one recipient, and the pages of a
//! back-in-stock book's subscribers.
use super::dispatch::{Dispatcher, finish};
use super::{Job, KIND_MAIL, KIND_NOTIFY, Lease, finish_op, job_item, shard_of_id};
use crate::catalogue::notify::NOTIFY_PREFIX;
use crate::error::{Error, Result};
use crate::mail::templates;
use crate::store::{Cond, Key, Query, WriteOp};
use bookstore_model::Event;
use chrono::{DateTime, Utc};
use serde_json::Value;

impl Dispatcher {
    /// Sends an event's mail; a refusal or an unreachable server is retried like a webhook
    /// delivery, over the same period.
    pub(super) async fn mail(&self, job: &Job, lease: &Lease) -> Result<()> {
        let store = self.webhooks.store();
        let event: Event = serde_json::from_value(
            job.item
                .get("event")
                .cloned()
                .ok_or_else(|| Error::internal("mail job without its event"))?,
        )
        .map_err(Error::internal)?;
        let to = job
            .item
            .get("to")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let attempts = job
            .item
            .get("attempts")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        let (Some(mailer), Some(mail)) = (
            &self.mailer,
            self.mailer
                .as_ref()
                .and_then(|m| templates::render(&event, &m.shop_url)),
        ) else {
            return finish(store, vec![finish_op(job, lease)]).await;
        };
        let sent = mailer.send(&event.id.to_string(), to, &mail).await;
        let mut ops = vec![finish_op(job, lease)];
        if let Err(error) = sent {
            let now = Utc::now();
            let attempts = u32::try_from(attempts + 1).unwrap_or(u32::MAX);
            let next = now + self.backoff(attempts);
            let deadline = event.timestamp
                + chrono::Duration::from_std(self.webhooks.config.retry_period)
                    .unwrap_or(chrono::Duration::days(3));
            if next <= deadline {
                tracing::warn!(event = %event.id, %error, attempts, "mail not sent; retrying");
                ops.push(mail_job(&event, to, attempts, next)?);
            } else {
                tracing::error!(event = %event.id, %error, attempts, "mail not sent; given up");
            }
        }
        finish(store, ops).await
    }

    /// Mails a page of a book's subscribers and removes their subscriptions, in one
    /// transaction with the job's next page (if any): each subscriber is mailed once.
    pub(super) async fn notify(&self, job: &Job, lease: &Lease) -> Result<()> {
        let store = self.webhooks.store();
        let event: Event = serde_json::from_value(
            job.item
                .get("event")
                .cloned()
                .ok_or_else(|| Error::internal("notify job without its event"))?,
        )
        .map_err(Error::internal)?;
        let page_no = job.item.get("page").and_then(Value::as_u64).unwrap_or(0);
        let book = event
            .data
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::internal("back-in-stock event without a book id"))?;
        let page = store
            .query(&Query {
                index: None,
                pk: format!("BOOK#{book}"),
                sk_prefix: Some(NOTIFY_PREFIX.into()),
                forward: true,
                limit: NOTIFY_PAGE,
                start: None,
            })
            .await?;
        let now = Utc::now();
        let mut ops = vec![finish_op(job, lease)];
        for item in &page.items {
            let (Some(key), Some(to)) = (Key::of(item), item.get("email").and_then(Value::as_str))
            else {
                continue;
            };
            ops.push(mail_job(&event, to, 0, now)?);
            ops.push(WriteOp::Delete {
                key,
                cond: Some(Cond::Exists),
            });
        }
        // Subscriptions were removed above, so the next page starts at the first one left.
        if page.last_key.is_some() {
            let next = u32::try_from(page_no + 1).unwrap_or(u32::MAX);
            ops.push(notify_job(&event, next, now)?);
        }
        finish(store, ops).await?;
        Ok(())
    }
}

/// Subscribers mailed per `notify` job: two writes each, within a transaction's 100.
const NOTIFY_PAGE: usize = 45;

/// The job that mails page `page` of a back-in-stock book's subscribers.
pub(super) fn notify_job(event: &Event, page: u32, due: DateTime<Utc>) -> Result<WriteOp> {
    let id = format!("{}:notify:{page}", event.id);
    let mut item = job_item(&id, due, KIND_NOTIFY, shard_of_id(&id));
    item.insert(
        "event".into(),
        serde_json::to_value(event).map_err(Error::internal)?,
    );
    item.insert("page".into(), page.into());
    Ok(WriteOp::Put {
        item,
        cond: Some(Cond::NotExists),
    })
}

/// The job that sends an event's mail to `to` at `due` (`attempts` made so far).
pub(super) fn mail_job(
    event: &Event,
    to: &str,
    attempts: u32,
    due: DateTime<Utc>,
) -> Result<WriteOp> {
    // One job per event and recipient; the address is not in the key.
    let id = format!(
        "{}:mail:{:08x}",
        event.id,
        crate::store::keys::stable_hash(to)
    );
    let mut item = job_item(&id, due, KIND_MAIL, shard_of_id(&id));
    item.insert(
        "event".into(),
        serde_json::to_value(event).map_err(Error::internal)?,
    );
    item.insert("to".into(), to.into());
    item.insert("attempts".into(), attempts.into());
    Ok(WriteOp::Put {
        item,
        cond: Some(Cond::NotExists),
    })
}
