//! The shards' read marks: a read from the mark finds every job a read from the start would,
//! except one whose transaction outlasted the margin, which the rescan finds.
use super::*;
use crate::store::embedded::EmbeddedStore;
use chrono::Duration;
use std::sync::Arc;

/// An embedded store in a directory of its own, kept as long as the returned guard.
fn store() -> (tempfile::TempDir, EmbeddedStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = EmbeddedStore::open(dir.path()).unwrap();
    (dir, store)
}

fn job_at(shard: u32, due: DateTime<Utc>, id: &str, lease_until: i64) -> WriteOp {
    let mut item = job_item(id, due, KIND_EVENT, shard);
    item.insert("lease_until".into(), lease_until.into());
    WriteOp::Put { item, cond: None }
}

fn ids(due: &Due) -> Vec<String> {
    due.jobs
        .iter()
        .map(|j| j.item["job_id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_read_from_the_mark_finds_what_a_read_from_the_start_does() {
    let (_dir, store) = store();
    let s: &dyn Store = &store;
    let now = Utc::now();
    let ms = |t: DateTime<Utc>| t.timestamp_millis();
    // Done jobs (deleted), a held job whose holder died, one due, one not yet due.
    let done: Vec<WriteOp> = (0..100)
        .map(|i| job_at(3, now - Duration::minutes(30), &format!("done{i:03}"), 0))
        .collect();
    s.transact(done.clone()).await.unwrap();
    let deletes = done
        .iter()
        .map(|op| match op {
            WriteOp::Put { item, .. } => WriteOp::Delete {
                key: Key::of(item).unwrap(),
                cond: None,
            },
            _ => unreachable!(),
        })
        .collect();
    s.transact(deletes).await.unwrap();
    let held_until = ms(now + Duration::seconds(30));
    s.transact(vec![
        job_at(3, now - Duration::minutes(5), "held", held_until),
        job_at(3, now - Duration::seconds(1), "due", 0),
        job_at(3, now + Duration::minutes(15), "later", 0),
    ])
    .await
    .unwrap();

    let marks = Marks::default();
    assert_eq!(marks.from(3), 0, "a shard is first read from its start");
    let first = due_jobs(s, 3, now, 10, 0).await.unwrap();
    assert_eq!(ids(&first), ["due"]);
    marks.read(3, now, first.first_due);
    assert_eq!(
        marks.from(3),
        ms(now - Duration::minutes(5)),
        "the held job keeps the mark"
    );

    // Its lease runs out: the read from the mark finds it.
    let after_lease = now + Duration::seconds(31);
    let again = due_jobs(s, 3, after_lease, 10, marks.from(3))
        .await
        .unwrap();
    assert_eq!(ids(&again), ["held", "due"]);

    // Both done: the mark moves up to the margin before now, past the done jobs.
    s.transact(vec![
        WriteOp::Delete {
            key: job_key(3, now - Duration::minutes(5), "held"),
            cond: None,
        },
        WriteOp::Delete {
            key: job_key(3, now - Duration::seconds(1), "due"),
            cond: None,
        },
    ])
    .await
    .unwrap();
    let later = now + Duration::minutes(1);
    let read = due_jobs(s, 3, later, 10, marks.from(3)).await.unwrap();
    assert!(read.jobs.is_empty());
    assert_eq!(read.first_due, Some(ms(now + Duration::minutes(15))));
    marks.read(3, later, read.first_due);
    assert_eq!(marks.from(3), ms(later) - MARK_MARGIN_MS);

    // A job made within the margin is found from the mark; one whose transaction took longer
    // only from the start, which each shard is read from once in RESCAN_EVERY polls.
    s.transact(vec![
        job_at(3, later - Duration::seconds(5), "recent", 0),
        job_at(3, later - Duration::seconds(20), "slow", 0),
    ])
    .await
    .unwrap();
    let from_mark = due_jobs(s, 3, later, 10, marks.from(3)).await.unwrap();
    assert_eq!(ids(&from_mark), ["recent"]);
    let from_start = due_jobs(s, 3, later, 10, 0).await.unwrap();
    assert_eq!(ids(&from_start), ["slow", "recent"]);
    // Other shards keep their own marks.
    assert_eq!(marks.from(4), 0);
}

fn job_ids(jobs: &[Job]) -> Vec<&str> {
    jobs.iter()
        .map(|j| j.item["job_id"].as_str().unwrap())
        .collect()
}

/// A commit hands the jobs it made doable over to the dispatcher, as written, once, and only
/// after it committed.
#[tokio::test]
async fn a_committed_job_is_handed_to_the_dispatcher_once() {
    let dir = tempfile::tempdir().unwrap();
    let wakeup = Wakeup::new();
    let store = wakeup.watch(Arc::new(EmbeddedStore::open(dir.path()).unwrap()));
    let now = Utc::now();
    let later = now.timestamp_millis() + 60_000;
    store
        .transact(vec![
            job_at(5, now, "due", 0),
            job_at(5, now - Duration::seconds(1), "earlier", 0),
            job_at(6, now, "leased", later),
            job_at(7, now + Duration::minutes(1), "later", 0),
        ])
        .await
        .unwrap();
    // Woken at once, with the due and unleased jobs only, in the order written, and only once;
    // no shard needs reading for them.
    tokio::time::timeout(std::time::Duration::from_secs(1), wakeup.woken())
        .await
        .expect("the commit wakes the dispatcher");
    let noted = wakeup.take();
    assert_eq!(job_ids(&noted.jobs), ["due", "earlier"]);
    assert!(noted.shards().is_empty());
    let stored = store.get(&noted.jobs[1].key).await.unwrap().unwrap();
    assert_eq!(stored, noted.jobs[1].item, "handed over as stored");
    let again = wakeup.take();
    assert!(again.jobs.is_empty() && again.shards().is_empty());

    // A transaction that fails hands over nothing.
    let refused = store
        .transact(vec![WriteOp::Put {
            item: job_item("due", now, KIND_EVENT, 5),
            cond: Some(Cond::NotExists),
        }])
        .await;
    assert!(matches!(refused, Err(StoreError::ConditionFailed(_))));
    assert!(wakeup.take().jobs.is_empty());

    // An import's chunk is noted when its import is accepted, not when written.
    let mut chunk = job_item("chunk", now, crate::catalogue::KIND_IMPORT, 9);
    chunk.insert("lease_until".into(), 0.into());
    store
        .transact(vec![WriteOp::Put {
            item: chunk,
            cond: None,
        }])
        .await
        .unwrap();
    assert!(wakeup.take().jobs.is_empty());
    wakeup.note_shards(&[(9, 20), (127, 5), (9, 10)]);
    assert_eq!(wakeup.take().shards(), [(9, 10), (127, 5)]);
}

/// Past the jobs a dispatcher may have waiting, a commit's jobs are left to a read of their
/// shards, from the earliest: memory stays bounded and nothing is lost.
#[tokio::test]
async fn jobs_past_the_bound_are_left_to_a_read_of_their_shards() {
    let wakeup = Wakeup::new();
    let now = Utc::now();
    let jobs = |n: usize, shard: u32, due: DateTime<Utc>| -> Vec<Job> {
        (0..n)
            .map(|i| Job::of(job_item(&format!("j{shard}-{i}"), due, KIND_EVENT, shard)).unwrap())
            .collect()
    };
    wakeup.hand_over(jobs(wakeup::MAX_HANDED - 1, 1, now));
    wakeup.hand_over(jobs(3, 2, now - Duration::seconds(2)));
    wakeup.hand_over(jobs(1, 3, now));
    let noted = wakeup.take();
    assert_eq!(noted.jobs.len(), wakeup::MAX_HANDED);
    assert_eq!(job_ids(&noted.jobs[wakeup::MAX_HANDED - 1..]), ["j2-0"]);
    let earlier = (now - Duration::seconds(2)).timestamp_millis();
    assert_eq!(noted.shards(), [(2, earlier), (3, now.timestamp_millis())]);
    // Taken: the next commit's jobs are handed over again.
    wakeup.hand_over(jobs(1, 4, now));
    assert_eq!(job_ids(&wakeup.take().jobs), ["j4-0"]);
}

/// An unclaimed job's outcome commits only while no one holds the job, and only once.
#[tokio::test]
async fn an_unclaimed_outcome_loses_to_a_claim_and_to_another_outcome() {
    let (_dir, store) = store();
    let s: &dyn Store = &store;
    let now = Utc::now();
    let read_at = now.timestamp_millis();
    s.transact(vec![
        job_at(1, now, "free", 0),
        job_at(1, now, "claimed", 0),
    ])
    .await
    .unwrap();
    let read = due_jobs(s, 1, now, 10, 0).await.unwrap();
    let job = |id: &str| {
        read.jobs
            .iter()
            .find(|j| j.item["job_id"] == id)
            .unwrap()
            .clone()
    };

    // Another dispatcher claims one after the read: the unclaimed outcome is refused.
    let claimed = job("claimed");
    assert!(claim(s, &claimed, 60_000).await.unwrap().is_some());
    let lost = s
        .transact(vec![finish_op(&claimed, &Lease::unclaimed(read_at))])
        .await;
    assert!(matches!(lost, Err(StoreError::ConditionFailed(_))));

    // A free one: the first outcome commits, a second (another dispatcher's) is refused.
    let free = job("free");
    s.transact(vec![finish_op(&free, &Lease::unclaimed(read_at))])
        .await
        .unwrap();
    let twice = s
        .transact(vec![finish_op(&free, &Lease::unclaimed(read_at))])
        .await;
    assert!(matches!(twice, Err(StoreError::ConditionFailed(_))));
}

/// An unclaimed job that failed is not due again until its wait is over, a wait that doubles
/// with each failure up to the most allowed; and it is not held off while someone holds it.
#[tokio::test]
async fn a_failed_unclaimed_job_is_held_off_longer_each_time() {
    let (_dir, store) = store();
    let s: &dyn Store = &store;
    let now = Utc::now();
    s.transact(vec![job_at(2, now, "failing", 0)])
        .await
        .unwrap();
    let mut at = now;
    for (n, wait) in [
        (1, 5_000),
        (2, 10_000),
        (3, 20_000),
        (4, 30_000),
        (5, 30_000),
    ] {
        let read = due_jobs(s, 2, at, 10, 0).await.unwrap();
        assert_eq!(ids(&read), ["failing"], "failure {n}: due again");
        let job = read.jobs[0].clone();
        let lease = Lease::unclaimed(at.timestamp_millis());
        s.transact(vec![hold_off(&job, &lease, 5_000, 30_000, at)])
            .await
            .unwrap();
        let held = at + Duration::milliseconds(wait - 1);
        assert!(
            due_jobs(s, 2, held, 10, 0).await.unwrap().jobs.is_empty(),
            "failure {n}: held off {wait} ms"
        );
        at += Duration::milliseconds(wait);
    }
    // Held (here: still held off) when the failure is recorded: refused, the holder decides.
    let read_at = at - Duration::milliseconds(1);
    let job = due_jobs(s, 2, at, 10, 0).await.unwrap().jobs[0].clone();
    let refused = s
        .transact(vec![hold_off(
            &job,
            &Lease::unclaimed(read_at.timestamp_millis()),
            5_000,
            30_000,
            read_at,
        )])
        .await;
    assert!(matches!(refused, Err(StoreError::ConditionFailed(_))));
}
