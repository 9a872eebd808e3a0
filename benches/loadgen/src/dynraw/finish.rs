//! The jobs of the raw paid checkout, finished as the shop's dispatcher finishes its own: an
//! order's two events (nothing subscribed) and its sales job are removed, and the sales job's
//! counters applied (the day's, the book's, its genre's), in transactions of up to 100 items
//! over every order waiting, after one `BatchGetItem` of their books for the genres. Without
//! it the comparator would leave out item writes the shop's DynamoDB does for every order.
use super::{Item, book_key, n, s};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{Delete, KeysAndAttributes, TransactWriteItem, Update};
use bookstore_model::BookId;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::mpsc;

/// DynamoDB's limit on one transaction's items.
const MAX_ITEMS: usize = 100;
/// Items of one order at most: three removals, its book's and its genre's counters (a genre's
/// and the day's are shared within a group, so a group usually has fewer).
const ITEMS_PER_ORDER: usize = 5;

/// A paid order whose jobs are to be finished.
pub struct Done {
    pub jobs: [Item; 3],
    pub book: BookId,
    pub cents: i64,
    pub day: String,
}

/// The finisher's mailbox and its count of finished orders.
#[derive(Clone)]
pub struct Finisher {
    tx: mpsc::UnboundedSender<Done>,
    pub finished: Arc<AtomicU64>,
    pub failed: Arc<AtomicU64>,
}

impl Finisher {
    /// Starts the finishing task on `table`.
    pub fn start(client: Client, table: Arc<str>) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let finisher = Self {
            tx,
            finished: Arc::default(),
            failed: Arc::default(),
        };
        let (finished, failed) = (finisher.finished.clone(), finisher.failed.clone());
        tokio::spawn(run(client, table, rx, finished, failed));
        finisher
    }

    pub fn hand_over(&self, done: Done) {
        // The task ends only when every sender is gone.
        let _ = self.tx.send(done);
    }
}

async fn run(
    client: Client,
    table: Arc<str>,
    mut rx: mpsc::UnboundedReceiver<Done>,
    finished: Arc<AtomicU64>,
    failed: Arc<AtomicU64>,
) {
    while let Some(first) = rx.recv().await {
        let mut group = vec![first];
        // Every order already waiting, as one dispatcher round takes every job handed over.
        // Two days' counters at most (a group that spans midnight).
        while (group.len() + 1) * ITEMS_PER_ORDER + 2 <= MAX_ITEMS {
            match rx.try_recv() {
                Ok(done) => group.push(done),
                Err(_) => break,
            }
        }
        let n_orders = group.len() as u64;
        match finish(&client, &table, group).await {
            Ok(()) => finished.fetch_add(n_orders, Ordering::Relaxed),
            Err(_) => failed.fetch_add(n_orders, Ordering::Relaxed),
        };
    }
}

async fn finish(client: &Client, table: &str, group: Vec<Done>) -> anyhow::Result<()> {
    let mut books: Vec<BookId> = group.iter().map(|d| d.book).collect();
    books.sort_unstable();
    books.dedup();
    let read = client
        .batch_get_item()
        .request_items(
            table,
            KeysAndAttributes::builder()
                .set_keys(Some(books.iter().map(|b| book_key(*b)).collect()))
                .consistent_read(true)
                .build()?,
        )
        .send()
        .await?;
    let genres: HashMap<BookId, String> = read
        .responses
        .and_then(|mut r| r.remove(table))
        .unwrap_or_default()
        .into_iter()
        .filter_map(|item| {
            let id = item.get("id")?.as_s().ok()?.parse().ok()?;
            let genre = item.get("genre").and_then(|g| g.as_s().ok()).cloned();
            Some((id, genre.unwrap_or_else(|| "none".into())))
        })
        .collect();
    let mut items = Vec::with_capacity(MAX_ITEMS);
    let mut days: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    let mut per_book: BTreeMap<(&str, BookId), (i64, i64)> = BTreeMap::new();
    let mut per_genre: BTreeMap<(&str, &str), (i64, i64)> = BTreeMap::new();
    for done in &group {
        for key in &done.jobs {
            // Conditional, as the shop's removal is on its lease.
            let delete = Delete::builder()
                .table_name(table)
                .set_key(Some(key.clone()))
                .condition_expression("#l = :zero")
                .expression_attribute_names("#l", "lease_until")
                .expression_attribute_values(":zero", n(0))
                .build()?;
            items.push(TransactWriteItem::builder().delete(delete).build());
        }
        let add = |e: &mut (i64, i64)| {
            e.0 += 1;
            e.1 += done.cents;
        };
        add(days.entry(&done.day).or_default());
        add(per_book.entry((&done.day, done.book)).or_default());
        let genre = genres.get(&done.book).map_or("none", String::as_str);
        add(per_genre.entry((&done.day, genre)).or_default());
    }
    let counter = |pk: String, sk: String, (units, cents): (i64, i64)| -> anyhow::Result<_> {
        let update = Update::builder()
            .table_name(table)
            .set_key(Some(HashMap::from([
                ("pk".to_owned(), s(pk)),
                ("sk".to_owned(), s(sk)),
            ])))
            .update_expression("ADD #u :u, #c :c")
            .expression_attribute_names("#u", "units")
            .expression_attribute_names("#c", "cents")
            .expression_attribute_values(":u", n(units))
            .expression_attribute_values(":c", n(cents))
            .build()?;
        Ok(TransactWriteItem::builder().update(update).build())
    };
    for (day, sums) in days {
        items.push(counter(format!("RAWSALES#{day}"), "DAY".into(), sums)?);
    }
    for ((day, book), sums) in per_book {
        items.push(counter(format!("RAWTOP#{day}"), format!("B#{book}"), sums)?);
    }
    for ((day, genre), sums) in per_genre {
        items.push(counter(
            format!("RAWTOP#{day}"),
            format!("G#{genre}"),
            sums,
        )?);
    }
    client
        .transact_write_items()
        .set_transact_items(Some(items))
        .send()
        .await?;
    Ok(())
}
