//! The raw-SDK comparator for the DynamoDB figures: what `aws-sdk-dynamodb` alone achieves
//! against the same DynamoDB Local table the API serves, at the same concurrency, so that the
//! API's book reads and checkouts can be quoted as a ratio to it.
//!
//! - `get`: `GetItem` (strongly consistent) of a uniformly random book item;
//! - `checkout`: one `TransactWriteItems` shaped like the API's checkout of one line: the
//!   book's conditional stock decrement (`stock >= q AND version = v`), the order item and the
//!   idempotency item (both `attribute_not_exists`);
//! - `checkout-seq`: the API's whole checkout sequence done raw: `BatchGetItem` of the book,
//!   then the same `TransactWriteItems` (the API reads the idempotency record only when the
//!   transaction or a refusal says it may exist);
//! - `checkout-paid`: the API's paid checkout done raw, call for call (see `paid`): the book
//!   read, the provider's intent, the reserving transaction, the provider's confirmation and
//!   the settling transaction.
pub mod finish;
pub mod paid;

use crate::rng::Rng;
use crate::stats::{Percentiles, histogram};
use anyhow::Context;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes, Put, TransactWriteItem, Update};
use bookstore_client::Client as Api;
use bookstore_model::{BookId, BookQuery, BookSort};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum RawOp {
    Get,
    Checkout,
    CheckoutSeq,
    CheckoutPaid,
}

#[derive(Debug, Clone, Serialize)]
pub struct RawReport {
    pub op: RawOp,
    pub concurrency: usize,
    pub ops_per_sec: f64,
    #[serde(flatten)]
    pub latency: Percentiles,
    pub errors: u64,
}

pub async fn client(endpoint: &str) -> Client {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .test_credentials()
        .load()
        .await;
    Client::new(&config)
}

/// Ids and versions of every book, through the API.
pub async fn books(base: &str) -> anyhow::Result<Vec<(BookId, i64)>> {
    let api = Api::new(base);
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let page = api
            .list_books(&BookQuery {
                sort: Some(BookSort::Title),
                limit: Some(100),
                cursor,
                ..Default::default()
            })
            .await
            .context("reading the catalogue")?;
        out.extend(page.items.iter().map(|b| (b.id, b.version)));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return Ok(out),
        }
    }
}

pub(crate) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub(crate) fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

/// The customer every raw order is placed for.
pub(crate) const USER: &str = "00000000-0000-4000-8000-000000000001";

/// The checkout's stock decrement: one copy, only if in stock and the book unchanged.
pub(crate) fn stock_update(table: &str, book: BookId, version: i64) -> anyhow::Result<Update> {
    Ok(Update::builder()
        .table_name(table)
        .set_key(Some(book_key(book)))
        .update_expression(
            "SET #s = if_not_exists(#s, :z) + :neg, #sold = if_not_exists(#sold, :z) + :one",
        )
        .condition_expression("(#s >= :one) AND (#v = :ver)")
        .expression_attribute_names("#s", "stock")
        .expression_attribute_names("#sold", "sold")
        .expression_attribute_names("#v", "version")
        .expression_attribute_values(":z", n(0))
        .expression_attribute_values(":neg", n(-1))
        .expression_attribute_values(":one", n(1))
        .expression_attribute_values(":ver", n(version))
        .build()?)
}

/// A DynamoDB item, or the key of one.
pub(crate) type Item = HashMap<String, AttributeValue>;

pub(crate) fn book_key(id: BookId) -> Item {
    HashMap::from([
        ("pk".to_owned(), s(format!("BOOK#{id}"))),
        ("sk".to_owned(), s("BOOK")),
    ])
}

fn checkout_items(
    table: &str,
    book: BookId,
    version: i64,
) -> anyhow::Result<Vec<TransactWriteItem>> {
    let order = uuid::Uuid::new_v4();
    let user = USER;
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let update = stock_update(table, book, version)?;
    let line = AttributeValue::M(HashMap::from([
        ("book_id".to_owned(), s(book.to_string())),
        ("title".to_owned(), s("A Benchmark Title Of Typical Length")),
        ("unit_price_cents".to_owned(), n(1999)),
        ("quantity".to_owned(), n(1)),
    ]));
    let order_item = HashMap::from([
        ("pk".to_owned(), s(format!("ORDER#{order}"))),
        ("sk".to_owned(), s("ORDER")),
        ("id".to_owned(), s(order.to_string())),
        ("user_id".to_owned(), s(user)),
        ("status".to_owned(), s("placed")),
        ("lines".to_owned(), AttributeValue::L(vec![line])),
        (
            "returned".to_owned(),
            AttributeValue::M(HashMap::from([(book.to_string(), n(0))])),
        ),
        ("total_cents".to_owned(), n(1999)),
        ("refunded_cents".to_owned(), n(0)),
        ("currency".to_owned(), s("USD")),
        ("created_at".to_owned(), s(now.clone())),
        ("updated_at".to_owned(), s(now.clone())),
        ("version".to_owned(), n(1)),
        ("order_user".to_owned(), s(user)),
        ("order_feed".to_owned(), s("ORDERS")),
        ("order_status".to_owned(), s("placed")),
        ("created_key".to_owned(), s(format!("{now}#{order}"))),
    ]);
    let idem_item = HashMap::from([
        ("pk".to_owned(), s(format!("IDEM#{user}#{order}"))),
        ("sk".to_owned(), s("IDEM")),
        ("fingerprint".to_owned(), s(format!("[[\"{book}\",1]]"))),
        ("order_id".to_owned(), s(order.to_string())),
        ("ttl".to_owned(), n(chrono::Utc::now().timestamp() + 86_400)),
    ]);
    let put = |item| {
        Put::builder()
            .table_name(table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", "pk")
            .build()
    };
    Ok(vec![
        TransactWriteItem::builder().update(update).build(),
        TransactWriteItem::builder().put(put(order_item)?).build(),
        TransactWriteItem::builder().put(put(idem_item)?).build(),
    ])
}

async fn one(
    client: &Client,
    table: &str,
    op: RawOp,
    book: BookId,
    version: i64,
    paid: Option<&(Arc<paid::Provider>, finish::Finisher)>,
) -> anyhow::Result<()> {
    match op {
        RawOp::CheckoutPaid => {
            let (provider, finisher) = paid.context("checkout-paid needs --provider")?;
            paid::checkout(client, provider, finisher, table, book, version).await?;
        }
        RawOp::Get => {
            let out = client
                .get_item()
                .table_name(table)
                .set_key(Some(book_key(book)))
                .consistent_read(true)
                .send()
                .await?;
            anyhow::ensure!(out.item.is_some(), "book {book} not found");
        }
        RawOp::Checkout | RawOp::CheckoutSeq => {
            if op == RawOp::CheckoutSeq {
                client
                    .batch_get_item()
                    .request_items(
                        table,
                        KeysAndAttributes::builder()
                            .keys(book_key(book))
                            .consistent_read(true)
                            .build()?,
                    )
                    .send()
                    .await?;
            }
            client
                .transact_write_items()
                .set_transact_items(Some(checkout_items(table, book, version)?))
                .send()
                .await?;
        }
    }
    Ok(())
}

/// What the comparator calls: DynamoDB's endpoint and the shop's table, and the shop's payment
/// provider (for `checkout-paid`).
pub struct Target {
    pub endpoint: String,
    pub table: String,
    pub provider: Option<paid::Provider>,
}

pub async fn run(
    target: Target,
    books: Vec<(BookId, i64)>,
    op: RawOp,
    concurrency: usize,
    duration: Duration,
    seed: u64,
) -> anyhow::Result<RawReport> {
    anyhow::ensure!(!books.is_empty(), "no books");
    let client = client(&target.endpoint).await;
    let table: Arc<str> = target.table.into();
    let paid = target.provider.map(|p| {
        let finisher = finish::Finisher::start(client.clone(), table.clone());
        Arc::new((Arc::new(p), finisher))
    });
    let books = Arc::new(books);
    let start = Instant::now();
    let deadline = start + duration;
    let tasks: Vec<_> = (0..concurrency.max(1))
        .map(|t| {
            let (client, books, table) = (client.clone(), books.clone(), table.clone());
            let paid = paid.clone();
            let mut rng = Rng::new(seed.wrapping_add(t as u64));
            tokio::spawn(async move {
                let mut h = histogram();
                let mut errors = 0u64;
                while Instant::now() < deadline {
                    let (book, version) = rng.pick(&books[..]);
                    let t0 = Instant::now();
                    match one(&client, &table, op, book, version, paid.as_deref()).await {
                        Ok(()) => {
                            h.saturating_record((t0.elapsed().as_micros() as u64).max(1));
                        }
                        Err(_) => errors += 1,
                    }
                }
                (h, errors)
            })
        })
        .collect();
    let mut all = histogram();
    let mut errors = 0;
    for t in tasks {
        let (h, e) = t.await?;
        all.add(&h).map_err(|e| anyhow::anyhow!("{e}"))?;
        errors += e;
    }
    let secs = start.elapsed().as_secs_f64();
    if let (RawOp::CheckoutPaid, Some(paid)) = (op, &paid) {
        let f = &paid.1;
        eprintln!(
            "raw jobs finished for {} orders by the run's end ({} failed; the rest still waiting, as the shop's may)",
            f.finished.load(std::sync::atomic::Ordering::Relaxed),
            f.failed.load(std::sync::atomic::Ordering::Relaxed)
        );
    }
    Ok(RawReport {
        op,
        concurrency,
        ops_per_sec: all.len() as f64 / secs,
        latency: Percentiles::of(&all),
        errors,
    })
}
