//! Webhook endpoints and their delivery logs. Endpoints live in one partition (`WEBHOOKS`, at
//! most [`MAX_WEBHOOKS`]); each endpoint's deliveries in its own (`WEBHOOK#<id>`), newest first
//! since event ids are time-ordered. Deliveries are made by the outbox's dispatcher.
pub mod net;
pub mod sign;

use crate::Actor;
use crate::cursor::CursorCodec;
use crate::error::{Error, Result};
use crate::items::{Pager, from_item, page_limit, to_item};
use crate::outbox::{self, KIND_DELIVER};
use crate::store::{Cond, Item, Key, Path, Query, Store, StoreError, WriteOp};
use bookstore_model::{
    Delivery, DeliveryQuery, DeliveryStatus, EventId, EventType, MAX_WEBHOOKS, Page, ProblemCode,
    Webhook, WebhookCreated, WebhookId, WebhookRequest, WebhookSecret, WebhookUrl,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How deliveries are made and retried.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    /// Whether endpoints may be loopback or private addresses (development and tests only).
    pub allow_private: bool,
    /// How long a delivery is retried before it fails (and the endpoint, if nothing got
    /// through meanwhile, is disabled).
    pub retry_period: Duration,
    /// The first retry's delay; each next one doubles, up to `max_backoff`, with jitter.
    pub first_backoff: Duration,
    pub max_backoff: Duration,
    /// How long one attempt may take.
    pub timeout: Duration,
    /// How long a rotated-out secret keeps signing.
    pub previous_secret_ttl: Duration,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            allow_private: false,
            retry_period: Duration::from_secs(3 * 24 * 3600),
            first_backoff: Duration::from_secs(5),
            max_backoff: Duration::from_secs(6 * 3600),
            timeout: Duration::from_secs(10),
            previous_secret_ttl: Duration::from_secs(24 * 3600),
        }
    }
}

/// An endpoint as stored: the public view and its secrets.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct EndpointRecord {
    #[serde(flatten)]
    pub webhook: Webhook,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_valid_until: Option<DateTime<Utc>>,
    pub version: i64,
}

impl EndpointRecord {
    /// The secrets that sign a delivery now.
    pub fn signing_secrets(&self, now: DateTime<Utc>) -> Vec<&str> {
        let mut out = vec![self.secret.as_str()];
        if let (Some(old), Some(until)) = (&self.previous_secret, self.previous_valid_until)
            && until > now
        {
            out.push(old);
        }
        out
    }
}

/// A delivery as stored: the public view, the body to send and the job that sends it next.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct DeliveryRecord {
    #[serde(flatten)]
    pub delivery: Delivery,
    pub endpoint_id: WebhookId,
    /// The event as JSON text: every attempt sends the same bytes.
    pub body: String,
}

const ENDPOINTS_PK: &str = "WEBHOOKS";
/// How long this instance trusts its list of endpoints for fan-out. Its own changes clear it;
/// another instance's are seen within this time.
const ENDPOINTS_TTL: Duration = Duration::from_secs(1);

pub(crate) fn endpoint_key(id: WebhookId) -> Key {
    Key::new(ENDPOINTS_PK, format!("WEBHOOK#{id}"))
}

pub(crate) fn delivery_key(endpoint: WebhookId, event: EventId) -> Key {
    Key::new(format!("WEBHOOK#{endpoint}"), format!("DELIVERY#{event}"))
}

type EndpointList = Arc<Vec<EndpointRecord>>;

/// The webhooks repository: endpoints, their secrets and delivery logs.
pub struct Webhooks {
    store: Arc<dyn Store>,
    pager: Pager,
    pub(crate) config: WebhookConfig,
    endpoints: Mutex<Option<(Instant, EndpointList)>>,
}

impl Webhooks {
    pub fn new(store: Arc<dyn Store>, cursors: Arc<CursorCodec>, config: WebhookConfig) -> Self {
        Self {
            pager: Pager::new(store.clone(), cursors),
            store,
            config,
            endpoints: Mutex::new(None),
        }
    }

    pub async fn list(&self) -> Result<Vec<Webhook>> {
        Ok(self
            .load_endpoints()
            .await?
            .into_iter()
            .map(|r| r.webhook)
            .collect())
    }

    pub async fn get(&self, id: WebhookId) -> Result<Webhook> {
        Ok(self.record(id).await?.webhook)
    }

    pub async fn create(&self, _actor: &Actor, req: WebhookRequest) -> Result<WebhookCreated> {
        req.validate()?;
        self.check_url(&req.url).await?;
        if self.load_endpoints().await?.len() >= MAX_WEBHOOKS {
            return Err(too_many());
        }
        let now = Utc::now();
        let secret = sign::new_secret();
        let record = EndpointRecord {
            webhook: Webhook {
                id: WebhookId::new(),
                url: req.url,
                event_types: req.event_types,
                enabled: req.enabled,
                disabled_reason: None,
                last_success_at: None,
                created_at: now,
                updated_at: now,
            },
            secret: secret.clone(),
            previous_secret: None,
            previous_valid_until: None,
            version: 1,
        };
        // The count item bounds the endpoints under concurrent creations too.
        let ops = vec![
            WriteOp::Update {
                key: count_key(),
                set: vec![],
                add: vec![(Path::attr("n"), 1)],
                cond: Some(Cond::Or(vec![
                    Cond::NotExists,
                    Cond::Le(Path::attr("n"), MAX_WEBHOOKS as i64 - 1),
                ])),
            },
            put_endpoint(&record, Some(Cond::NotExists))?,
        ];
        let result = self.store.transact(ops).await;
        self.forget_endpoints();
        match result {
            Ok(()) => Ok(WebhookCreated {
                webhook: record.webhook,
                secret,
            }),
            Err(StoreError::ConditionFailed(_)) => Err(too_many()),
            Err(e) => Err(e.into()),
        }
    }

    /// Replaces an endpoint's URL, types and state; enabling clears why it was disabled.
    pub async fn update(&self, id: WebhookId, req: WebhookRequest) -> Result<Webhook> {
        req.validate()?;
        self.check_url(&req.url).await?;
        let mut record = self.record(id).await?;
        let old_version = record.version;
        let w = &mut record.webhook;
        w.url = req.url;
        w.event_types = req.event_types;
        if req.enabled {
            w.disabled_reason = None;
        }
        w.enabled = req.enabled;
        w.updated_at = Utc::now();
        record.version += 1;
        self.replace(&record, old_version).await?;
        Ok(record.webhook)
    }

    pub async fn delete(&self, id: WebhookId) -> Result<()> {
        let ops = vec![
            WriteOp::Delete {
                key: endpoint_key(id),
                cond: Some(Cond::Exists),
            },
            WriteOp::Update {
                key: count_key(),
                set: vec![],
                add: vec![(Path::attr("n"), -1)],
                cond: None,
            },
        ];
        let result = self.store.transact(ops).await;
        self.forget_endpoints();
        match result {
            Ok(()) => Ok(()),
            Err(StoreError::ConditionFailed(_)) => Err(Error::NotFound("webhook")),
            Err(e) => Err(e.into()),
        }
    }

    /// A new signing secret; the previous one keeps signing for a while, so receivers can
    /// switch without missing a delivery.
    pub async fn rotate_secret(&self, id: WebhookId) -> Result<WebhookSecret> {
        let mut record = self.record(id).await?;
        let old_version = record.version;
        let until = Utc::now()
            + chrono::Duration::from_std(self.config.previous_secret_ttl)
                .unwrap_or(chrono::Duration::hours(24));
        let secret = sign::new_secret();
        record.previous_secret = Some(std::mem::replace(&mut record.secret, secret.clone()));
        record.previous_valid_until = Some(until);
        record.webhook.updated_at = Utc::now();
        record.version += 1;
        self.replace(&record, old_version).await?;
        Ok(WebhookSecret {
            secret,
            previous_valid_until: Some(until),
        })
    }

    /// An endpoint's deliveries, newest first.
    pub async fn deliveries(&self, id: WebhookId, q: &DeliveryQuery) -> Result<Page<Delivery>> {
        self.record(id).await?;
        let limit = page_limit(q.limit)?;
        let query = Query {
            index: None,
            pk: format!("WEBHOOK#{id}"),
            sk_prefix: Some("DELIVERY#".into()),
            forward: false,
            limit,
            start: None,
        };
        let scope = format!("deliveries:{id}");
        let (items, next_cursor) = self.pager.paged(&scope, query, q.cursor.as_deref()).await?;
        let items = items
            .into_iter()
            .map(|i| from_item::<DeliveryRecord>(i).map(|r| r.delivery))
            .collect::<Result<_>>()?;
        Ok(Page { items, next_cursor })
    }

    /// Sends a delivery again now, whatever became of it (unless it is still pending).
    pub async fn retry(&self, id: WebhookId, event: EventId) -> Result<Delivery> {
        let key = delivery_key(id, event);
        let item = self
            .store
            .get(&key)
            .await?
            .ok_or(Error::NotFound("delivery"))?;
        let mut record: DeliveryRecord = from_item(item)?;
        let was = record.delivery.status;
        if was == DeliveryStatus::Pending {
            return Err(Error::Conflict(
                ProblemCode::DeliveryPending,
                "this delivery is still being attempted".into(),
            ));
        }
        let now = Utc::now();
        let ops = vec![
            WriteOp::Update {
                key,
                set: vec![
                    (Path::attr("status"), json!(DeliveryStatus::Pending)),
                    (Path::attr("next_attempt_at"), json!(now)),
                    // A replay gets a retry period of its own.
                    (Path::attr("created_at"), json!(now)),
                ],
                add: vec![],
                cond: Some(Cond::Eq(Path::attr("status"), json!(was))),
            },
            deliver_job(id, event, now),
        ];
        match self.store.transact(ops).await {
            Ok(()) => {}
            Err(StoreError::ConditionFailed(_)) => {
                return Err(Error::Conflict(
                    ProblemCode::DeliveryPending,
                    "this delivery was retried meanwhile".into(),
                ));
            }
            Err(e) => return Err(e.into()),
        }
        record.delivery.status = DeliveryStatus::Pending;
        record.delivery.next_attempt_at = Some(now);
        record.delivery.created_at = now;
        Ok(record.delivery)
    }

    async fn check_url(&self, url: &WebhookUrl) -> Result<()> {
        net::check_url(url.as_str(), self.config.allow_private)
            .await
            .map_err(|e| Error::Unprocessable(ProblemCode::WebhookUrlRefused, e.to_string()))
    }

    pub(crate) async fn record(&self, id: WebhookId) -> Result<EndpointRecord> {
        match self.store.get(&endpoint_key(id)).await? {
            Some(item) => from_item(item),
            None => Err(Error::NotFound("webhook")),
        }
    }

    async fn replace(&self, record: &EndpointRecord, old_version: i64) -> Result<()> {
        let op = put_endpoint(
            record,
            Some(Cond::Eq(Path::attr("version"), old_version.into())),
        )?;
        let result = self.store.transact(vec![op]).await;
        self.forget_endpoints();
        match result {
            Ok(()) => Ok(()),
            Err(StoreError::ConditionFailed(_)) => Err(Error::Conflict(
                ProblemCode::Conflict,
                "the webhook changed meanwhile (or was deleted); read it again".into(),
            )),
            Err(e) => Err(e.into()),
        }
    }

    /// Every endpoint, from this instance's short-lived copy.
    pub(crate) async fn load_endpoints(&self) -> Result<Vec<EndpointRecord>> {
        if let Some((at, list)) = self.endpoints.lock().ok().and_then(|g| g.clone())
            && at.elapsed() < ENDPOINTS_TTL
        {
            return Ok(list.as_ref().clone());
        }
        let mut out = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .store
                .query(&Query {
                    index: None,
                    pk: ENDPOINTS_PK.into(),
                    sk_prefix: Some("WEBHOOK#".into()),
                    forward: true,
                    limit: 100,
                    start,
                })
                .await?;
            for item in page.items {
                out.push(from_item::<EndpointRecord>(item)?);
            }
            match page.last_key {
                Some(k) => start = Some(k),
                None => break,
            }
        }
        out.sort_by_key(|r| r.webhook.created_at);
        if let Ok(mut g) = self.endpoints.lock() {
            *g = Some((Instant::now(), Arc::new(out.clone())));
        }
        Ok(out)
    }

    pub(crate) fn forget_endpoints(&self) {
        if let Ok(mut g) = self.endpoints.lock() {
            *g = None;
        }
    }

    pub(crate) fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }
}

fn too_many() -> Error {
    Error::Unprocessable(
        ProblemCode::TooManyWebhooks,
        format!("a shop has at most {MAX_WEBHOOKS} webhook endpoints"),
    )
}

fn count_key() -> Key {
    Key::new(ENDPOINTS_PK, "COUNT")
}

fn put_endpoint(record: &EndpointRecord, cond: Option<Cond>) -> Result<WriteOp> {
    let mut item = to_item(record)?;
    let key = endpoint_key(record.webhook.id);
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    Ok(WriteOp::Put { item, cond })
}

/// The job that attempts a delivery at `due`.
pub(crate) fn deliver_job(endpoint: WebhookId, event: EventId, due: DateTime<Utc>) -> WriteOp {
    let id = format!("{event}:{endpoint}");
    let shard = outbox::shard_of_id(&id);
    let mut item = outbox::job_item(&id, due, KIND_DELIVER, shard);
    item.insert("endpoint_id".into(), endpoint.to_string().into());
    item.insert("event_id".into(), event.to_string().into());
    WriteOp::Put {
        item,
        cond: Some(Cond::NotExists),
    }
}

/// A new delivery's log item.
pub(crate) fn delivery_item(
    endpoint: WebhookId,
    event: &bookstore_model::Event,
    now: DateTime<Utc>,
) -> Result<Item> {
    let body = serde_json::to_string(event).map_err(Error::internal)?;
    let record = DeliveryRecord {
        delivery: Delivery {
            event_id: event.id,
            event_type: event.type_,
            status: DeliveryStatus::Pending,
            attempts: 0,
            last_status_code: None,
            last_error: None,
            last_attempt_at: None,
            next_attempt_at: Some(now),
            created_at: now,
        },
        endpoint_id: endpoint,
        body,
    };
    let mut item = to_item(&record)?;
    let key = delivery_key(endpoint, event.id);
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    Ok(item)
}

/// Whether an endpoint takes events of this type now. Never the account events, whose data
/// holds a secret (`EventType::WEBHOOK`), whatever an endpoint's stored subscription says.
pub(crate) fn subscribed(e: &EndpointRecord, t: EventType) -> bool {
    t.to_webhooks() && e.webhook.enabled && e.webhook.event_types.contains(&t)
}

/// The value a delivery's status has in the store.
pub(crate) fn status_value(s: DeliveryStatus) -> Value {
    json!(s)
}
