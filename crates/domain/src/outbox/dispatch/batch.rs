//! A round's jobs whose whole work is the transaction that removes them (an event that no
//! endpoint, mail or subscriber list is for; a sales job's counters) finish together: their
//! writes in as few transactions as the store takes, additions to one counter merged, the sales
//! jobs' books read once. A paid order makes two events and a sales job, and on DynamoDB a call
//! costs about the same whatever it holds. Should such a transaction fail (one of its jobs done
//! meanwhile by another dispatcher, a conflict), each of its jobs is done alone, as any job is:
//! every removal is conditional, so nothing is applied twice.
use super::{Dispatcher, Job, KIND_EVENT, KIND_SALES, Lease, finish_op};
use crate::sales;
use crate::store::{Key, MAX_TRANSACTION_ITEMS, WriteOp};
use bookstore_model::BookId;
use futures::StreamExt;
use std::collections::{BTreeMap, HashMap};

impl Dispatcher {
    /// Does a round's `jobs`, read (or handed over) at `read_at`.
    pub(super) async fn do_round(&self, jobs: Vec<Job>, read_at: i64) {
        let (together, alone): (Vec<Job>, Vec<Job>) = jobs
            .into_iter()
            .partition(|j| matches!(j.kind.as_str(), KIND_EVENT | KIND_SALES));
        futures::join!(
            self.one_by_one(alone, read_at),
            self.finish_together(together, read_at)
        );
    }

    async fn one_by_one(&self, jobs: Vec<Job>, read_at: i64) {
        futures::stream::iter(jobs)
            .for_each_concurrent(self.config.concurrency.max(1), |job| {
                self.claim_and_do(job, read_at)
            })
            .await;
    }

    /// Finishes events and sales jobs in shared transactions where their work allows.
    async fn finish_together(&self, jobs: Vec<Job>, read_at: i64) {
        if jobs.is_empty() {
            return;
        }
        let store = self.webhooks.store();
        let lease = Lease::unclaimed(read_at);
        let books: Vec<BookId> = jobs
            .iter()
            .filter(|j| j.kind == KIND_SALES)
            .filter_map(|j| sales::job_books(&j.item).ok())
            .flatten()
            .collect();
        let genres = if books.is_empty() {
            Some(BTreeMap::new())
        } else {
            match sales::genres(store, &books).await {
                Ok(genres) => Some(genres),
                // Each sales job reads its own books then (and reports what fails).
                Err(e) => {
                    tracing::debug!(error = %e, "the round's books were not read");
                    None
                }
            }
        };
        let mut alone = Vec::new();
        let mut groups: Vec<Group> = Vec::new();
        for job in jobs {
            let Some(mut ops) = self.own_ops(&job, genres.as_ref()).await else {
                alone.push(job);
                continue;
            };
            ops.push(finish_op(&job, &lease));
            if let Some(group) = groups.last_mut().filter(|g| g.fits(&ops)) {
                group.add(job, ops);
            } else if Group::default().fits(&ops) {
                let mut group = Group::default();
                group.add(job, ops);
                groups.push(group);
            } else {
                alone.push(job);
            }
        }
        // One after another: two of them would write the same counters.
        for group in groups {
            if let Err(e) = store.transact(group.ops).await {
                tracing::debug!(error = %e, jobs = group.jobs.len(), "jobs did not finish together");
                alone.extend(group.jobs);
            }
        }
        self.one_by_one(alone, read_at).await;
    }

    /// The writes of `job` besides its removal, when that transaction is its whole work; `None`
    /// for an event with anything to fan out to, or a job this cannot plan (done alone, which
    /// reports why).
    async fn own_ops(
        &self,
        job: &Job,
        genres: Option<&BTreeMap<BookId, String>>,
    ) -> Option<Vec<WriteOp>> {
        match job.kind.as_str() {
            KIND_EVENT => {
                let plan = self.plan_fan_out(job).await.ok()?;
                plan.ops.is_empty().then(Vec::new)
            }
            KIND_SALES => sales::job_ops(&job.item, genres?).ok(),
            _ => None,
        }
    }
}

/// The writes of jobs that finish in one transaction: one operation per item, as a store
/// takes them.
#[derive(Default)]
struct Group {
    ops: Vec<WriteOp>,
    at: HashMap<Key, usize>,
    jobs: Vec<Job>,
}

impl Group {
    /// Whether `ops` can join: within a transaction's items, and every write to an item already
    /// written here an unconditional update, merged into the other.
    fn fits(&self, ops: &[WriteOp]) -> bool {
        let mut new = 0;
        for op in ops {
            let Some(key) = op.key() else {
                return false;
            };
            match self.at.get(&key) {
                None => new += 1,
                Some(&i) if mergeable(&self.ops[i]) && mergeable(op) => {}
                Some(_) => return false,
            }
        }
        self.ops.len() + new <= MAX_TRANSACTION_ITEMS
    }

    /// Adds a job whose writes [`fits`](Self::fits).
    fn add(&mut self, job: Job, ops: Vec<WriteOp>) {
        for op in ops {
            let Some(key) = op.key() else { continue };
            match self.at.get(&key) {
                Some(&i) => merge(&mut self.ops[i], op),
                None => {
                    self.at.insert(key, self.ops.len());
                    self.ops.push(op);
                }
            }
        }
        self.jobs.push(job);
    }
}

fn mergeable(op: &WriteOp) -> bool {
    matches!(op, WriteOp::Update { cond: None, .. })
}

/// Folds `other` into `into`, both unconditional updates of one item: additions summed, the
/// later value of an attribute set kept.
fn merge(into: &mut WriteOp, other: WriteOp) {
    let (
        WriteOp::Update { set, add, .. },
        WriteOp::Update {
            set: more_set,
            add: more_add,
            ..
        },
    ) = (into, other)
    else {
        return;
    };
    for (path, n) in more_add {
        match add.iter_mut().find(|(p, _)| *p == path) {
            Some((_, sum)) => *sum += n,
            None => add.push((path, n)),
        }
    }
    for (path, value) in more_set {
        match set.iter_mut().find(|(p, _)| *p == path) {
            Some((_, v)) => *v = value,
            None => set.push((path, value)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Path;

    fn add(pk: &str, n: i64) -> WriteOp {
        WriteOp::Update {
            key: Key::new(pk, "S"),
            set: vec![(Path::attr("title"), format!("t{n}").into())],
            add: vec![(Path::attr("units"), n), (Path::attr("cents"), 10 * n)],
            cond: None,
        }
    }

    fn delete(pk: &str) -> WriteOp {
        WriteOp::Delete {
            key: Key::new(pk, "S"),
            cond: None,
        }
    }

    fn job(id: &str) -> Job {
        Job::of(crate::outbox::job_item(
            id,
            chrono::Utc::now(),
            KIND_SALES,
            1,
        ))
        .unwrap()
    }

    #[test]
    fn additions_to_one_item_merge_and_other_writes_stay_apart() {
        let mut g = Group::default();
        let first = vec![add("A", 1), add("B", 2), delete("J1")];
        assert!(g.fits(&first));
        g.add(job("1"), first);
        let second = vec![add("A", 3), delete("J2")];
        assert!(g.fits(&second));
        g.add(job("2"), second);
        assert_eq!(g.ops.len(), 4);
        let WriteOp::Update { set, add: sums, .. } = &g.ops[0] else {
            panic!("an update");
        };
        assert_eq!(sums, &[(Path::attr("units"), 4), (Path::attr("cents"), 40)]);
        assert_eq!(set, &[(Path::attr("title"), "t3".into())]);
        // A second write to an item that is not an unconditional update cannot join.
        assert!(!g.fits(&[delete("J1")]));
        assert!(!g.fits(&[add("J2", 1)]));
    }

    #[test]
    fn a_group_holds_no_more_items_than_a_transaction() {
        let mut g = Group::default();
        let mut ops: Vec<WriteOp> = (0..MAX_TRANSACTION_ITEMS - 2)
            .map(|i| delete(&format!("K{i}")))
            .collect();
        ops.push(add("A", 1));
        assert!(g.fits(&ops));
        g.add(job("1"), ops);
        // A write merged into an item already there takes no room.
        assert!(g.fits(&[add("A", 2), delete("last")]));
        assert!(!g.fits(&[delete("x"), delete("y")]));
    }
}
