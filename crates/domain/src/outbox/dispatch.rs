//! The dispatcher: on every instance, a loop that claims due jobs (a lease each) and does them.
//! An event job fans the event out into one delivery per subscribed endpoint; a delivery job
//! makes one attempt and records it, scheduling the next or giving up. Each job's outcome and
//! its removal are one transaction, conditioned on the lease still being held, so a dispatcher
//! that stalled past its lease writes nothing and the job's new holder decides.
mod batch;

use super::mailing::{mail_job, notify_job};
use super::{
    Job, KIND_DELIVER, KIND_EVENT, KIND_EXPIRE, KIND_MAIL, KIND_NOTIFY, KIND_REFUND, KIND_RELEASE,
    KIND_SALES, Lease, Marks, RESCAN_EVERY, SHARDS, Wakeup, claim, due_jobs, finish_op, hold_off,
};
use crate::catalogue::{Catalogue, KIND_IMPORT};
use crate::error::{Error, Result};
use crate::items::from_item;
use crate::mail::{Mailer, templates};
use crate::orders::Orders;
use crate::store::{Cond, Key, Path, Store, StoreError, WriteOp};
use crate::webhooks::{
    DeliveryRecord, EndpointRecord, Webhooks, deliver_job, delivery_item, delivery_key,
    endpoint_key, net, sign, status_value, subscribed,
};
use bookstore_model::{DeliveryStatus, Event, EventId, EventType, WebhookId};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

/// How the dispatcher polls and leases.
#[derive(Debug, Clone)]
pub struct DispatchConfig {
    /// How long a claimed job is this dispatcher's; longer than any attempt can take.
    pub lease: Duration,
    /// How often the queue is read when nothing woke the dispatcher (jobs of other instances,
    /// retries coming due).
    pub poll: Duration,
    /// Jobs read per shard and round.
    pub batch: usize,
    /// Jobs done at once.
    pub concurrency: usize,
}

impl Default for DispatchConfig {
    fn default() -> Self {
        Self {
            lease: Duration::from_secs(60),
            poll: Duration::from_secs(5),
            batch: 50,
            concurrency: 32,
        }
    }
}

pub struct Dispatcher {
    pub(super) webhooks: Arc<Webhooks>,
    /// Mails go out only when SMTP is configured.
    pub(super) mailer: Option<Arc<Mailer>>,
    pub(super) wakeup: Wakeup,
    /// Does the orders' jobs: reservations that expire, payments to release.
    orders: Option<Arc<Orders>>,
    /// Where each shard's read starts.
    marks: Marks,
    /// Applies imports' chunks.
    catalogue: Option<Arc<Catalogue>>,
    config: DispatchConfig,
    client: reqwest::Client,
}

/// What fanning an event out writes besides its job's removal (deliveries and their jobs, a
/// mail's job), and the jobs among them written leased to this dispatcher (`own`).
struct FanOut {
    ops: Vec<WriteOp>,
    mine: Vec<Job>,
    own: Lease,
}

/// What one attempt of a delivery came to.
enum Attempt {
    Accepted(u16),
    Refused(Option<u16>, String),
}

impl Dispatcher {
    pub fn new(
        webhooks: Arc<Webhooks>,
        mailer: Option<Arc<Mailer>>,
        wakeup: Wakeup,
        mut config: DispatchConfig,
    ) -> Result<Self> {
        let timeout = webhooks.config.timeout;
        // A lease must outlast the attempt it covers, with room to record it.
        config.lease = config.lease.max(timeout * 3);
        let client =
            net::client(timeout, webhooks.config.allow_private).map_err(Error::internal)?;
        Ok(Self {
            webhooks,
            mailer,
            wakeup,
            orders: None,
            catalogue: None,
            marks: Marks::default(),
            config,
            client,
        })
    }

    pub fn with_orders(mut self, orders: Arc<Orders>) -> Self {
        // A refund job makes two provider calls (look for the refund, make it) and a record.
        if let Ok(p) = orders.payments() {
            self.config.lease = self.config.lease.max(p.config().timeout * 3);
        }
        self.orders = Some(orders);
        self
    }

    pub fn with_catalogue(mut self, catalogue: Arc<Catalogue>) -> Self {
        self.catalogue = Some(catalogue);
        self
    }

    /// Runs until the task is dropped.
    pub fn start(self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move { self.run().await })
    }

    async fn run(self) {
        let mut next_full = tokio::time::Instant::now();
        let mut polls: u64 = 0;
        loop {
            // The jobs committed here since the last round, and every shard on each poll; in
            // between, the shards noted since the last round (see `wakeup`), each once.
            let full = tokio::time::Instant::now() >= next_full;
            let noted = self.wakeup.take();
            let reads = if full {
                next_full = tokio::time::Instant::now() + self.config.poll;
                polls += 1;
                self.full_poll(polls)
            } else {
                noted.shards()
            };
            if let Err(e) = self.round(&reads, noted.jobs, full).await {
                // What it did not read, the next full poll does.
                tracing::warn!(error = %e, "outbox round failed");
            }
            // A commit or a full shard during the round has already left its wake.
            tokio::select! {
                () = self.wakeup.woken() => {}
                () = tokio::time::sleep_until(next_full) => {}
            }
        }
    }

    /// The reads of full poll number `poll`: every shard from its mark, except that each
    /// shard's turn to be read from its start comes once in RESCAN_EVERY polls, spread over them.
    fn full_poll(&self, poll: u64) -> Vec<(u32, i64)> {
        (0..SHARDS)
            .map(|shard| {
                let from = if (poll + u64::from(shard)).is_multiple_of(RESCAN_EVERY) {
                    0
                } else {
                    self.marks.from(shard)
                };
                (shard, from)
            })
            .collect()
    }

    /// Does the jobs `handed` over by this instance's commits and those found by reading each
    /// shard of `reads` from its due time (epoch ms). Only a full poll's reads move the shards'
    /// marks (a read from a new job's due time does not see the older jobs a mark must stay
    /// behind); a shard that had a full batch is read again next round.
    async fn round(&self, reads: &[(u32, i64)], handed: Vec<Job>, full_poll: bool) -> Result<()> {
        let store = self.webhooks.store();
        let now = Utc::now();
        let batch = self.config.batch;
        let read = futures::future::join_all(
            reads
                .iter()
                .map(|(shard, from)| due_jobs(store, *shard, now, batch, *from)),
        )
        .await;
        // A handed job a read also found is done once.
        let handed_keys: HashSet<Key> = handed.iter().map(|j| j.key.clone()).collect();
        let mut jobs = handed;
        let mut full = Vec::new();
        let mut failed = None;
        for ((shard, from), got) in reads.iter().zip(read) {
            // The handed jobs and the other shards' are done all the same.
            let got = match got {
                Ok(got) => got,
                Err(e) => {
                    failed = Some(e);
                    continue;
                }
            };
            if full_poll {
                self.marks.read(*shard, now, got.first_due);
            }
            if got.jobs.len() >= batch {
                full.push((*shard, *from));
            }
            jobs.extend(
                got.jobs
                    .into_iter()
                    .filter(|j| !handed_keys.contains(&j.key)),
            );
        }
        self.do_round(jobs, now.timestamp_millis()).await;
        self.wakeup.note_shards(&full);
        failed.map_or(Ok(()), |e| Err(e.into()))
    }

    async fn claim_and_do(&self, job: Job, read_at: i64) {
        let lease = match job.kind.as_str() {
            KIND_EVENT | KIND_SALES => Lease::unclaimed(read_at),
            _ => match claim(self.webhooks.store(), &job, self.lease_ms()).await {
                Ok(Some(lease)) => lease,
                // Someone else holds or finished it.
                Ok(None) => return,
                Err(e) => {
                    tracing::warn!(error = %e, key = ?job.key, "outbox claim failed");
                    return;
                }
            },
        };
        if let Err(e) = self.do_job(&job, &lease).await {
            // Tried again, here or elsewhere: a claimed job once its lease runs out, an
            // unclaimed one once it is no longer held off.
            tracing::warn!(error = %e, key = ?job.key, "outbox job failed");
            if lease.token().is_none() {
                let poll = i64::try_from(self.config.poll.as_millis()).unwrap_or(i64::MAX);
                let op = hold_off(&job, &lease, poll, self.lease_ms(), Utc::now());
                if let Err(e) = self.webhooks.store().transact(vec![op]).await {
                    tracing::debug!(error = %e, key = ?job.key, "a failed job was not held off");
                }
            }
        }
    }

    /// Does a job this dispatcher holds the lease of.
    async fn do_job(&self, job: &Job, lease: &Lease) -> Result<()> {
        match job.kind.as_str() {
            KIND_EVENT => Box::pin(self.fan_out(job, lease)).await,
            KIND_DELIVER => self.deliver(job, lease).await,
            KIND_MAIL => self.mail(job, lease).await,
            KIND_NOTIFY => self.notify(job, lease).await,
            KIND_EXPIRE | KIND_RELEASE | KIND_REFUND => {
                let Some(orders) = &self.orders else {
                    return Err(Error::internal("an order job this dispatcher cannot do"));
                };
                orders.run_job(&job.kind, &job.item).await?;
                finish(self.webhooks.store(), vec![finish_op(job, lease)]).await
            }
            KIND_SALES => {
                let store = self.webhooks.store();
                let mut ops = crate::sales::apply_job(store, &job.item).await?;
                ops.push(finish_op(job, lease));
                finish(store, ops).await
            }
            KIND_IMPORT => {
                let Some(catalogue) = &self.catalogue else {
                    return Err(Error::internal("an import job this dispatcher cannot do"));
                };
                // In the background: a chunk takes seconds, which would hold up every other
                // job of the round. The chunk keeps its lease while it runs.
                let (catalogue, job, lease) = (catalogue.clone(), job.clone(), lease.clone());
                let lease_ms = self.lease_ms();
                tokio::spawn(async move {
                    if let Err(e) = catalogue.run_import_job(&job, &lease, lease_ms).await {
                        tracing::warn!(error = %e, key = ?job.key, "import chunk failed");
                    }
                });
                Ok(())
            }
            other => {
                tracing::error!(kind = other, key = ?job.key, "unknown job kind; dropped");
                finish(self.webhooks.store(), vec![finish_op(job, lease)]).await
            }
        }
    }

    fn lease_ms(&self) -> i64 {
        i64::try_from(self.config.lease.as_millis()).unwrap_or(i64::MAX)
    }

    /// One delivery (and its first job) per endpoint subscribed to the event, and the event's
    /// job removed: all or nothing.
    async fn fan_out(&self, job: &Job, lease: &Lease) -> Result<()> {
        let FanOut { mut ops, mine, own } = self.plan_fan_out(job).await?;
        ops.push(finish_op(job, lease));
        if !commit(self.webhooks.store(), ops).await? {
            return Ok(());
        }
        let done = futures::future::join_all(mine.iter().map(|j| self.do_job(j, &own))).await;
        for (j, r) in mine.iter().zip(done) {
            if let Err(e) = r {
                tracing::warn!(error = %e, key = ?j.key, "outbox job failed");
            }
        }
        Ok(())
    }

    /// What fanning the event of `job` out writes, besides the job's removal.
    async fn plan_fan_out(&self, job: &Job) -> Result<FanOut> {
        let event: Event = serde_json::from_value(
            job.item
                .get("event")
                .cloned()
                .ok_or_else(|| Error::internal("event job without its event"))?,
        )
        .map_err(Error::internal)?;
        let now = Utc::now();
        // The deliveries and the mail are this dispatcher's from the start (written leased to
        // it): it does them right after the fan-out commits, without a claim or a queue read.
        // Should it die first, their leases run out and any dispatcher does them.
        let own = Lease::held(uuid::Uuid::new_v4().to_string());
        let until = now.timestamp_millis() + self.lease_ms();
        let mut ops = Vec::new();
        let mut mine = Vec::new();
        let mut lease_to_me = |op: WriteOp, ops: &mut Vec<WriteOp>| {
            if let WriteOp::Put { mut item, cond } = op {
                item.insert("lease_until".into(), until.into());
                item.insert("lease_token".into(), own.token().unwrap_or_default().into());
                mine.extend(Job::of(item.clone()));
                ops.push(WriteOp::Put { item, cond });
            }
        };
        for endpoint in self.webhooks.load_endpoints().await? {
            if subscribed(&endpoint, event.type_) {
                let id = endpoint.webhook.id;
                ops.push(WriteOp::Put {
                    item: delivery_item(id, &event, now)?,
                    cond: Some(Cond::NotExists),
                });
                lease_to_me(deliver_job(id, event.id, now), &mut ops);
            }
        }
        if let Some(mailer) = &self.mailer
            && let Some(to) = templates::recipient(&event).or_else(|| {
                // The shop's own alerts go to the address configured for them.
                (event.type_ == EventType::StockLow)
                    .then(|| mailer.stock_alerts_to.clone())
                    .flatten()
            })
            && templates::render(&event, &mailer.shop_url).is_some()
        {
            lease_to_me(mail_job(&event, &to, 0, now)?, &mut ops);
        }
        // A book back in stock: its subscribers, page by page (`notify`).
        if self.mailer.is_some() && event.type_ == EventType::StockBackInStock {
            lease_to_me(notify_job(&event, 0, now)?, &mut ops);
        }
        Ok(FanOut { ops, mine, own })
    }

    async fn deliver(&self, job: &Job, lease: &Lease) -> Result<()> {
        let store = self.webhooks.store();
        let field = |name: &str| job.item.get(name).and_then(Value::as_str).unwrap_or("");
        let (Ok(endpoint_id), Ok(event_id)) = (
            field("endpoint_id").parse::<WebhookId>(),
            field("event_id").parse::<EventId>(),
        ) else {
            return Err(Error::internal("delivery job without its ids"));
        };
        let Some(item) = store.get(&delivery_key(endpoint_id, event_id)).await? else {
            return finish(store, vec![finish_op(job, lease)]).await;
        };
        let record: DeliveryRecord = from_item(item)?;
        // From this instance's copy of the endpoints (at most a second old): one item read by
        // every delivery would be a hot key. A change made elsewhere applies within that second.
        let endpoint = self
            .webhooks
            .load_endpoints()
            .await?
            .into_iter()
            .find(|e| e.webhook.id == endpoint_id);
        let now = Utc::now();
        let (attempt, endpoint) = match endpoint {
            None => (
                Attempt::Refused(None, "the endpoint was deleted".into()),
                None,
            ),
            Some(e) if !e.webhook.enabled => (
                Attempt::Refused(None, "the endpoint is disabled".into()),
                None,
            ),
            Some(e) => (self.attempt(&e, &record, now).await, Some(e)),
        };
        let attempts = record.delivery.attempts + 1;
        let key = delivery_key(endpoint_id, event_id);
        let mut set = vec![(Path::attr("last_attempt_at"), json!(now))];
        let mut ops = Vec::new();
        let mut give_up = false;
        match &attempt {
            Attempt::Accepted(code) => {
                set.push((
                    Path::attr("status"),
                    status_value(DeliveryStatus::Succeeded),
                ));
                set.push((Path::attr("last_status_code"), json!(code)));
                set.push((Path::attr("last_error"), Value::Null));
                set.push((Path::attr("next_attempt_at"), Value::Null));
                // At most once a minute per endpoint (as seen here): it only has to tell an
                // endpoint that accepts from one that has failed for days.
                let stale = endpoint.as_ref().is_some_and(|e| {
                    e.webhook
                        .last_success_at
                        .is_none_or(|t| now - t > chrono::Duration::seconds(60))
                });
                if stale {
                    ops.push(WriteOp::Update {
                        key: endpoint_key(endpoint_id),
                        set: vec![(Path::attr("last_success_at"), json!(now))],
                        add: vec![],
                        cond: Some(Cond::Exists),
                    });
                }
            }
            Attempt::Refused(code, error) => {
                set.push((Path::attr("last_status_code"), json!(code)));
                set.push((Path::attr("last_error"), json!(error)));
                let next = now + self.backoff(attempts);
                let deadline = record.delivery.created_at
                    + chrono::Duration::from_std(self.webhooks.config.retry_period)
                        .unwrap_or(chrono::Duration::days(3));
                if endpoint.is_some() && next <= deadline {
                    set.push((Path::attr("status"), status_value(DeliveryStatus::Pending)));
                    set.push((Path::attr("next_attempt_at"), json!(next)));
                    ops.push(deliver_job(endpoint_id, event_id, next));
                } else {
                    give_up = true;
                    set.push((Path::attr("status"), status_value(DeliveryStatus::Failed)));
                    set.push((Path::attr("next_attempt_at"), Value::Null));
                }
            }
        }
        ops.insert(
            0,
            WriteOp::Update {
                key,
                set,
                add: vec![(Path::attr("attempts"), 1)],
                cond: Some(Cond::Exists),
            },
        );
        ops.push(finish_op(job, lease));
        finish(store, ops).await?;
        if give_up && let Some(e) = endpoint {
            self.disable_if_failing(&e, record.delivery.created_at)
                .await?;
        }
        Ok(())
    }

    /// One POST of the event, signed with every current secret.
    async fn attempt(
        &self,
        endpoint: &EndpointRecord,
        record: &DeliveryRecord,
        now: DateTime<Utc>,
    ) -> Attempt {
        let url = endpoint.webhook.url.as_str();
        if let Err(refused) = net::check_url(url, self.webhooks.config.allow_private).await {
            return Attempt::Refused(None, refused.to_string());
        }
        let id = record.delivery.event_id.to_string();
        let ts = now.timestamp();
        let signatures: Vec<String> = endpoint
            .signing_secrets(now)
            .into_iter()
            .filter_map(|s| sign::sign(s, &id, ts, record.body.as_bytes()))
            .collect();
        let sent = self
            .client
            .post(url)
            .header("content-type", "application/json")
            .header("webhook-id", &id)
            .header("webhook-timestamp", ts.to_string())
            .header("webhook-signature", signatures.join(" "))
            .body(record.body.clone())
            .send()
            .await;
        match sent {
            Ok(r) if r.status().is_success() => Attempt::Accepted(r.status().as_u16()),
            Ok(r) => Attempt::Refused(
                Some(r.status().as_u16()),
                format!("the endpoint answered {}", r.status()),
            ),
            Err(e) => Attempt::Refused(None, crate::webhooks::net::describe(&e)),
        }
    }

    /// The delay before attempt `attempts + 1`: doubling from the first backoff, capped, with
    /// jitter (half to all of it) so that retries of many deliveries spread out.
    pub(super) fn backoff(&self, attempts: u32) -> chrono::Duration {
        let c = &self.webhooks.config;
        let exp = c
            .first_backoff
            .saturating_mul(1u32 << attempts.saturating_sub(1).min(20))
            .min(c.max_backoff);
        let r = f64::from(uuid::Uuid::new_v4().as_u128() as u16) / f64::from(u16::MAX);
        chrono::Duration::from_std(exp.mul_f64(0.5 + r / 2.0)).unwrap_or(chrono::Duration::hours(1))
    }

    /// Disables an endpoint that accepted nothing since `since` (a delivery's whole retry
    /// period): it only collects failures. The owner sees why on the endpoint.
    async fn disable_if_failing(&self, e: &EndpointRecord, since: DateTime<Utc>) -> Result<()> {
        // Read afresh: rare, and the copy's `last_success_at` may be a minute old.
        let e = match self.webhooks.record(e.webhook.id).await {
            Ok(fresh) => fresh,
            Err(Error::NotFound(_)) => return Ok(()),
            Err(err) => return Err(err),
        };
        if e.webhook.last_success_at.is_some_and(|t| t >= since) {
            return Ok(());
        }
        let reason = format!(
            "disabled at {} after deliveries failed for the whole retry period",
            Utc::now().to_rfc3339()
        );
        let op = WriteOp::Update {
            key: endpoint_key(e.webhook.id),
            set: vec![
                (Path::attr("enabled"), false.into()),
                (Path::attr("disabled_reason"), reason.clone().into()),
                (Path::attr("updated_at"), json!(Utc::now())),
            ],
            add: vec![(Path::attr("version"), 1)],
            cond: Some(Cond::And(vec![
                Cond::Exists,
                Cond::Eq(Path::attr("enabled"), true.into()),
            ])),
        };
        match self.webhooks.store().transact(vec![op]).await {
            Ok(()) => {
                self.webhooks.forget_endpoints();
                tracing::warn!(webhook = %e.webhook.id, url = %e.webhook.url, "{reason}");
                Ok(())
            }
            Err(StoreError::ConditionFailed(_)) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

/// Writes a job's outcome: whether it was written (`false`: the lease was lost meanwhile).
async fn commit(store: &dyn Store, ops: Vec<WriteOp>) -> Result<bool> {
    match store.transact(ops).await {
        Ok(()) => Ok(true),
        Err(StoreError::ConditionFailed(failed)) => {
            tracing::info!(
                ?failed,
                "an outbox job's outcome was not recorded: lease lost"
            );
            Ok(false)
        }
        Err(e) => Err(e.into()),
    }
}

/// Writes a job's outcome; a lost lease (another dispatcher has the job now) is no error.
pub(crate) async fn finish(store: &dyn Store, ops: Vec<WriteOp>) -> Result<()> {
    match store.transact(ops).await {
        Ok(()) => Ok(()),
        Err(StoreError::ConditionFailed(failed)) => {
            tracing::info!(
                ?failed,
                "an outbox job's outcome was not recorded: lease lost"
            );
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}
