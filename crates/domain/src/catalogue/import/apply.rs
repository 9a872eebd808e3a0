//! Applying an import's chunk (the `import.chunk` job). Rows go through `import_row` (the
//! catalogue's own transactions, [`ROWS_IN_FLIGHT`] at once) in batches of [`BATCH_ROWS`];
//! after each batch ONE transaction adds its outcomes to the import record's counters, advances
//! the chunk's `next_row` (conditioned on the value read) and extends the job's lease
//! (conditioned on the lease token). A dispatcher killed mid-chunk thus leaves the chunk at its
//! last committed batch: whoever claims the job next re-applies the rows of the batch in flight
//! (idempotent by ISBN; they count as they turn out now) and the counters stay exact. The
//! chunk's last batch deletes the chunk and the job instead, and the last chunk of the import
//! marks it `completed` in that same transaction (conditioned on the chunks done before it).
//!
//! A row that fails for good (its genre removed meanwhile, a conflict after every retry) is
//! counted as `failed` and the first [`FAILURES_PER_CHUNK`] of each chunk are kept by line; a
//! store that is unavailable fails the job instead, which is retried after the lease.
//!
//! Each instance applies at most [`CHUNKS_AT_ONCE`] chunks; the others wait here (the
//! dispatcher runs them in the background), extending their leases while they wait.
use super::super::csv_check::ImportRow;
use super::stage::{FailureRecord, ImportRecord, chunk_key, failure_key, record_key};
use super::*;
use crate::outbox::{Job, Lease, finish_op};
use bookstore_model::{ImportId, ImportStatus};
use chrono::Utc;
use futures::StreamExt;

/// Rows whose outcomes are committed together.
const BATCH_ROWS: usize = 128;

/// Failed rows kept per chunk (a file whose every row fails keeps a sample, not all).
const FAILURES_PER_CHUNK: u64 = 10;

/// Chunks applied at once by one instance.
pub(in crate::catalogue) const CHUNKS_AT_ONCE: usize = 2;

/// Tries to commit a last batch whose record condition lost a race with another chunk.
const LAST_BATCH_ATTEMPTS: usize = 20;

/// How soon a chunk of an import still staging is looked at again.
const STAGING_RETRY_MS: i64 = 1000;

/// A batch's outcomes.
#[derive(Default)]
struct Tally {
    created: i64,
    updated: i64,
    unchanged: i64,
    failed: Vec<(u64, String)>,
}

/// Whether a row's error is its own for good (counted as failed), not the store's for now.
fn fails_for_good(e: &Error) -> bool {
    !matches!(
        e,
        Error::Unavailable(_) | Error::OutcomeUnknown { .. } | Error::Internal(_)
    )
}

impl Catalogue {
    /// Does an `import.chunk` job this dispatcher holds (`lease`, of `lease_ms`).
    pub(crate) async fn run_import_job(
        &self,
        job: &Job,
        lease: &Lease,
        lease_ms: i64,
    ) -> Result<()> {
        let store = self.store.as_ref();
        let field = |name: &str| job.item.get(name);
        let (Some(id), Some(n)) = (
            field("import_id")
                .and_then(Value::as_str)
                .and_then(|s| s.parse::<ImportId>().ok()),
            field("chunk").and_then(Value::as_u64),
        ) else {
            return Err(Error::internal("import job without its import"));
        };
        let _slot = loop {
            let wait = std::time::Duration::from_millis((lease_ms / 3).max(1) as u64);
            match tokio::time::timeout(wait, self.import_slots.acquire()).await {
                Ok(slot) => break slot.map_err(Error::internal)?,
                Err(_) => {
                    if !extend(store, job, lease, lease_ms).await? {
                        return Ok(());
                    }
                }
            }
        };
        let Some(item) = store.get(&record_key(id)).await? else {
            return drop_chunk(store, job, lease, id, n).await;
        };
        let record: ImportRecord = from_item(item)?;
        match record.status {
            ImportStatus::Running => {}
            ImportStatus::Staging if !record.stale(Utc::now()) => {
                // Not accepted yet: look again shortly.
                return extend(store, job, lease, STAGING_RETRY_MS).await.map(drop);
            }
            ImportStatus::Staging => {
                let abandon = WriteOp::Update {
                    key: record_key(id),
                    set: vec![(Path::attr("status"), json!(ImportStatus::Abandoned))],
                    add: vec![],
                    cond: Some(Cond::Eq(Path::attr("status"), json!(ImportStatus::Staging))),
                };
                match store.transact(vec![abandon]).await {
                    Ok(()) | Err(StoreError::ConditionFailed(_)) => {}
                    Err(e) => return Err(e.into()),
                }
                return drop_chunk(store, job, lease, id, n).await;
            }
            ImportStatus::Abandoned | ImportStatus::Completed => {
                return drop_chunk(store, job, lease, id, n).await;
            }
        }
        let Some(chunk) = store.get(&chunk_key(id, n)).await? else {
            return crate::outbox::dispatch::finish(store, vec![finish_op(job, lease)]).await;
        };
        let rows: Vec<ImportRow> = chunk
            .get("rows")
            .and_then(Value::as_str)
            .map(serde_json::from_str)
            .transpose()
            .map_err(Error::internal)?
            .ok_or_else(|| Error::internal("import chunk without its rows"))?;
        let num = |name: &str| chunk.get(name).and_then(Value::as_u64).unwrap_or(0);
        let mut next = num("next_row") as usize;
        let mut recorded = num("failures_recorded");
        let actor = record.actor();
        let import = id.to_string();
        while next < rows.len() {
            let end = (next + BATCH_ROWS).min(rows.len());
            let outcomes: Vec<(u64, Result<RowOutcome>)> = futures::stream::iter(next..end)
                .map(|i| {
                    // By index: a stream of borrowed rows does not satisfy `tokio::spawn`.
                    let (row, actor, import) = (&rows[i], &actor, &import);
                    async move { (row.line, self.import_row(actor, import, row).await) }
                })
                .buffer_unordered(ROWS_IN_FLIGHT)
                .collect()
                .await;
            let mut tally = Tally::default();
            for (line, outcome) in outcomes {
                match outcome {
                    Ok(RowOutcome::Created) => tally.created += 1,
                    Ok(RowOutcome::Updated) => tally.updated += 1,
                    Ok(RowOutcome::Unchanged) => tally.unchanged += 1,
                    Err(e) if fails_for_good(&e) => tally.failed.push((line, e.to_string())),
                    Err(e) => return Err(e),
                }
            }
            tally.failed.sort();
            let last = end == rows.len();
            let mut committed = false;
            for _ in 0..LAST_BATCH_ATTEMPTS {
                let ops = self
                    .batch_ops(
                        id, n, job, lease, lease_ms, next, end, last, recorded, &tally,
                    )
                    .await?;
                match store.transact(ops).await {
                    Ok(()) => {
                        committed = true;
                        break;
                    }
                    // Only the record's condition: another chunk finished meanwhile.
                    Err(StoreError::ConditionFailed(failed)) if last && failed == [1] => continue,
                    Err(StoreError::ConditionFailed(failed)) => {
                        tracing::info!(?failed, %id, n, "import chunk lost its lease");
                        return Ok(());
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            if !committed {
                return Err(Error::internal(
                    "an import's last batch could not be recorded",
                ));
            }
            recorded +=
                (tally.failed.len() as u64).min(FAILURES_PER_CHUNK.saturating_sub(recorded));
            next = end;
        }
        Ok(())
    }

    /// The transaction of a batch `from..to` of chunk `n`: the chunk's progress (first), the
    /// record's counters (second), the job's lease or removal, the failures to keep.
    #[allow(clippy::too_many_arguments)]
    async fn batch_ops(
        &self,
        id: ImportId,
        n: u64,
        job: &Job,
        lease: &Lease,
        lease_ms: i64,
        from: usize,
        to: usize,
        last: bool,
        recorded: u64,
        tally: &Tally,
    ) -> Result<Vec<WriteOp>> {
        let at = Cond::Eq(Path::attr("next_row"), json!(from));
        let chunk = if last {
            WriteOp::Delete {
                key: chunk_key(id, n),
                cond: Some(at),
            }
        } else {
            WriteOp::Update {
                key: chunk_key(id, n),
                set: vec![(Path::attr("next_row"), json!(to))],
                add: vec![],
                cond: Some(Cond::And(vec![Cond::Exists, at])),
            }
        };
        let mut add = vec![
            (Path::attr("created"), tally.created),
            (Path::attr("updated"), tally.updated),
            (Path::attr("unchanged"), tally.unchanged),
            (Path::attr("failed"), tally.failed.len() as i64),
        ];
        let mut set = vec![];
        let mut cond = Cond::Exists;
        if last {
            // The record as it is now: whether this chunk is the import's last.
            let record: ImportRecord = from_item(
                self.store
                    .get(&record_key(id))
                    .await?
                    .ok_or(Error::NotFound("import"))?,
            )?;
            let before = record.chunks_done as i64;
            add.push((Path::attr("chunks_done"), 1));
            if record.chunks_done + 1 >= record.chunks {
                set.push((Path::attr("status"), json!(ImportStatus::Completed)));
                set.push((Path::attr("finished_at"), json!(Utc::now())));
            }
            cond = Cond::And(vec![
                Cond::Exists,
                Cond::Eq(Path::attr("chunks_done"), json!(before)),
            ]);
        }
        let mut ops = vec![
            chunk,
            WriteOp::Update {
                key: record_key(id),
                set,
                add,
                cond: Some(cond),
            },
        ];
        if last {
            ops.push(finish_op(job, lease));
        } else {
            ops.push(extend_op(job, lease, lease_ms));
        }
        for (line, message) in tally
            .failed
            .iter()
            .take(FAILURES_PER_CHUNK.saturating_sub(recorded) as usize)
        {
            let mut item = crate::store::expr::key_item(&failure_key(id, *line));
            item.extend(to_item(&FailureRecord {
                line: *line,
                message: message.clone(),
            })?);
            ops.push(WriteOp::Put { item, cond: None });
        }
        Ok(ops)
    }
}

/// Keeps the job ours for `lease_ms` more, if it still is.
fn extend_op(job: &Job, lease: &Lease, lease_ms: i64) -> WriteOp {
    WriteOp::Update {
        key: job.key.clone(),
        set: vec![(
            Path::attr("lease_until"),
            (Utc::now().timestamp_millis() + lease_ms).into(),
        )],
        add: vec![],
        cond: Some(lease.cond()),
    }
}

/// [`extend_op`] alone: whether the job is still ours.
async fn extend(store: &dyn Store, job: &Job, lease: &Lease, lease_ms: i64) -> Result<bool> {
    match store.transact(vec![extend_op(job, lease, lease_ms)]).await {
        Ok(()) => Ok(true),
        Err(StoreError::ConditionFailed(_)) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Removes a chunk that will not be applied (its import abandoned) and its job.
async fn drop_chunk(
    store: &dyn Store,
    job: &Job,
    lease: &Lease,
    id: ImportId,
    n: u64,
) -> Result<()> {
    crate::outbox::dispatch::finish(
        store,
        vec![
            WriteOp::Delete {
                key: chunk_key(id, n),
                cond: None,
            },
            finish_op(job, lease),
        ],
    )
    .await
}
