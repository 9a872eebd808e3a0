//! Staging an import: the checked rows go into chunk items, each written with its outbox job
//! (`import.chunk`) in one transaction. The import record says `staging` until every chunk is
//! stored; then one transaction marks it `running` and writes the audit entry, and only then
//! is the import answered (202). A server that stops while staging leaves a record that reads
//! as `abandoned` once [`STAGING_TIMEOUT`] has passed, and its chunks' jobs drop them without
//! applying a row (`apply`): an import is applied whole or not at all, never half without the
//! owner having been told it was accepted.
//!
//! Items (`docs/dynamodb.md`): the record `IMPORT` / `<id>` (UUIDv7: newest last), the chunks
//! `IMPORT#<id>` / `CHUNK#<n>` (deleted as they are applied) and failed rows
//! `IMPORT#<id>` / `FAIL#<line>`.
use super::super::csv_check::ImportRow;
use super::*;
use crate::outbox::{job_item, shard_of_id};
use bookstore_model::{
    BookImport, ImportFailure, ImportId, ImportStatus, MAX_LISTED_IMPORT_FAILURES, PageQuery, Role,
    UserId,
};
use chrono::{DateTime, Utc};
use futures::{StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};

/// The outbox job that applies one chunk of an import.
pub(crate) const KIND_IMPORT: &str = "import.chunk";

const IMPORTS_PK: &str = "IMPORT";

/// Rows per chunk, and the most bytes of a chunk's rows (as JSON): well under DynamoDB's 400 KB
/// item, and a chunk with its job is far inside a transaction's 4 MB.
const CHUNK_ROWS: usize = 1000;
const CHUNK_BYTES: usize = 256 * 1024;

/// Chunks written at once while staging.
const CHUNKS_IN_FLIGHT: usize = 4;

/// Staging takes seconds even for a large file; a record still staging after this was left by
/// a server that stopped, and is abandoned.
pub(super) const STAGING_TIMEOUT: chrono::Duration = chrono::Duration::minutes(10);

pub(super) fn record_key(id: ImportId) -> Key {
    Key::new(IMPORTS_PK, id.to_string())
}

pub(super) fn chunk_key(id: ImportId, n: u64) -> Key {
    Key::new(format!("IMPORT#{id}"), format!("CHUNK#{n:06}"))
}

pub(super) fn failure_key(id: ImportId, line: u64) -> Key {
    Key::new(format!("IMPORT#{id}"), format!("FAIL#{line:012}"))
}

/// The import record as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct ImportRecord {
    pub id: ImportId,
    pub status: ImportStatus,
    pub rows: u64,
    pub chunks: u64,
    #[serde(default)]
    pub chunks_done: u64,
    #[serde(default)]
    pub created: u64,
    #[serde(default)]
    pub updated: u64,
    #[serde(default)]
    pub unchanged: u64,
    #[serde(default)]
    pub failed: u64,
    pub actor_id: UserId,
    pub actor_email: String,
    pub actor_role: Role,
    pub started_at: DateTime<Utc>,
    #[serde(default)]
    pub finished_at: Option<DateTime<Utc>>,
}

impl ImportRecord {
    /// Who started it, acting again for each row.
    pub fn actor(&self) -> Actor {
        Actor {
            id: self.actor_id,
            email: self.actor_email.clone(),
            role: self.actor_role,
        }
    }

    /// Still staging long after it started: its server stopped before accepting it.
    pub fn stale(&self, now: DateTime<Utc>) -> bool {
        self.status == ImportStatus::Staging && now - self.started_at > STAGING_TIMEOUT
    }

    fn public(self, failures: Vec<ImportFailure>) -> BookImport {
        let status = if self.stale(Utc::now()) {
            ImportStatus::Abandoned
        } else {
            self.status
        };
        BookImport {
            id: self.id,
            status,
            rows: self.rows,
            created: self.created,
            updated: self.updated,
            unchanged: self.unchanged,
            failed: self.failed,
            failures,
            started_by: self.actor_email,
            started_at: self.started_at,
            finished_at: self.finished_at,
        }
    }
}

/// A failed row as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct FailureRecord {
    pub line: u64,
    pub message: String,
}

/// The rows split into chunks, each as the JSON text of its rows.
fn chunks(rows: &[ImportRow]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut current: Vec<String> = Vec::new();
    let mut bytes = 0;
    for row in rows {
        let json = serde_json::to_string(row).map_err(Error::internal)?;
        if !current.is_empty() && (current.len() >= CHUNK_ROWS || bytes + json.len() > CHUNK_BYTES)
        {
            out.push(format!("[{}]", current.join(",")));
            current.clear();
            bytes = 0;
        }
        bytes += json.len() + 1;
        current.push(json);
    }
    if !current.is_empty() {
        out.push(format!("[{}]", current.join(",")));
    }
    Ok(out)
}

impl Catalogue {
    /// Checks a books CSV and, if it has no problem, stages it to be applied in the background
    /// (see the module doc); the import as accepted, `running`. A file with problems is
    /// refused whole ([`Error::ImportInvalid`], with the report) and nothing is written.
    pub async fn start_import(&self, actor: &Actor, csv: &[u8]) -> Result<BookImport> {
        let (report, rows) = self.checked(csv, false).await?;
        if report.problem_count > 0 {
            return Err(Error::ImportInvalid(Box::new(report)));
        }
        let store = self.store.as_ref();
        let id = ImportId(uuid::Uuid::now_v7());
        let chunks = chunks(&rows)?;
        drop(rows);
        let now = Utc::now();
        let mut record = ImportRecord {
            id,
            status: ImportStatus::Staging,
            rows: report.rows,
            chunks: chunks.len() as u64,
            chunks_done: 0,
            created: 0,
            updated: 0,
            unchanged: 0,
            failed: 0,
            actor_id: actor.id,
            actor_email: actor.email.clone(),
            actor_role: actor.role,
            started_at: now,
            finished_at: None,
        };
        let mut item = crate::store::expr::key_item(&record_key(id));
        item.extend(to_item(&record)?);
        store
            .transact(vec![WriteOp::Put {
                item,
                cond: Some(Cond::NotExists),
            }])
            .await?;
        let shards: Vec<u32> = futures::stream::iter(chunks.into_iter().enumerate())
            .map(|(n, rows)| async move {
                let job_id = format!("import-{id}-{n}");
                let shard = shard_of_id(&job_id);
                let mut chunk = crate::store::expr::key_item(&chunk_key(id, n as u64));
                chunk.insert("rows".into(), rows.into());
                chunk.insert("next_row".into(), 0.into());
                chunk.insert("failures_recorded".into(), 0.into());
                let mut job = job_item(&job_id, now, KIND_IMPORT, shard);
                job.insert("import_id".into(), id.to_string().into());
                job.insert("chunk".into(), n.into());
                store
                    .transact(vec![
                        WriteOp::Put {
                            item: chunk,
                            cond: Some(Cond::NotExists),
                        },
                        WriteOp::Put {
                            item: job,
                            cond: Some(Cond::NotExists),
                        },
                    ])
                    .await
                    .map(|()| shard)
            })
            .buffer_unordered(CHUNKS_IN_FLIGHT)
            .try_collect()
            .await?;
        let accept = WriteOp::Update {
            key: record_key(id),
            set: vec![(Path::attr("status"), json!(ImportStatus::Running))],
            add: vec![],
            cond: Some(Cond::Eq(Path::attr("status"), json!(ImportStatus::Staging))),
        };
        let audit = audit::import_entry(actor, json!({ "import": id, "rows": report.rows }))?;
        transact_audited(store, vec![accept, audit]).await?;
        // Its chunks became doable only now (a chunk read while staging waits its turn again).
        let due = now.timestamp_millis();
        let shards: Vec<(u32, i64)> = shards.into_iter().map(|s| (s, due)).collect();
        self.wakeup.note_shards(&shards);
        record.status = ImportStatus::Running;
        Ok(record.public(Vec::new()))
    }

    /// An import with its progress.
    pub async fn import(&self, id: ImportId) -> Result<BookImport> {
        let item = self
            .store
            .get(&record_key(id))
            .await?
            .ok_or(Error::NotFound("import"))?;
        self.with_failures(from_item(item)?).await
    }

    /// A page of imports, newest first.
    pub async fn imports(&self, q: &PageQuery) -> Result<Page<BookImport>> {
        let limit = page_limit(q.limit)?;
        let query = Query {
            index: None,
            pk: IMPORTS_PK.into(),
            sk_prefix: None,
            forward: false,
            limit,
            start: None,
        };
        let (items, next_cursor) = self
            .pager
            .paged("imports", query, q.cursor.as_deref())
            .await?;
        let items = futures::future::try_join_all(
            items
                .into_iter()
                .map(|i| async { self.with_failures(from_item(i)?).await }),
        )
        .await?;
        Ok(Page { items, next_cursor })
    }

    async fn with_failures(&self, record: ImportRecord) -> Result<BookImport> {
        let mut failures = Vec::new();
        if record.failed > 0 {
            let page = self
                .store
                .query(&Query {
                    index: None,
                    pk: format!("IMPORT#{}", record.id),
                    sk_prefix: Some("FAIL#".into()),
                    forward: true,
                    limit: MAX_LISTED_IMPORT_FAILURES,
                    start: None,
                })
                .await?;
            for item in page.items {
                let f: FailureRecord = from_item(item)?;
                failures.push(ImportFailure {
                    line: f.line,
                    message: f.message,
                });
            }
        }
        Ok(record.public(failures))
    }
}
