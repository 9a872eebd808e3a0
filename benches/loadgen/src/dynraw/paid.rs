//! The API's paid checkout, done raw: the same calls to DynamoDB and to the payment provider,
//! in the same order, each item of the size and shape the shop writes, and none of the shop's
//! own work (validation, pricing, JSON, HTTP). The API's figure over this one is what the shop
//! adds to the calls it cannot avoid.
//!
//! 1. `BatchGetItem` of the book (strongly consistent);
//! 2. the provider's `POST /v1/payment_intents` (manual capture, with an idempotency key);
//! 3. `TransactWriteItems` of five: the stock decrement (conditioned on stock and version), the
//!    order (`pending_payment`), the idempotency record, the reservation's expiry job and the
//!    `order.placed` event;
//! 4. the provider's `POST /v1/payment_intents/{id}/confirm`;
//! 5. `TransactWriteItems` of five: the order `paid` (conditioned on its version), the hour's
//!    sales counters, the sales job, the `order.paid` event and the removal of the expiry job;
//! 6. later, with other orders' (`finish`): the removal of the two events and the sales job,
//!    and the sales job's counters.
//!
//! Jobs and counters go to partitions of their own (`RAWJOBS#<n>`, `RAWSALES#<hour>`): the same
//! writes to the same table, which the shop's dispatcher and sales figures never meet.
use super::finish::{Done, Finisher};
use super::{Item, USER, book_key, n, s, stock_update};
use anyhow::Context;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeValue, Delete, KeysAndAttributes, Put, TransactWriteItem, Update,
};
use bookstore_model::BookId;
use std::collections::HashMap;

/// A Stripe-compatible provider, called as the shop calls it.
pub struct Provider {
    http: reqwest::Client,
    base: String,
    secret: String,
}

impl Provider {
    pub fn new(base: &str, secret: &str) -> anyhow::Result<Self> {
        Ok(Self {
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(10))
                .build()?,
            base: base.trim_end_matches('/').to_owned(),
            secret: secret.to_owned(),
        })
    }

    /// A form POST (every value here is URL-safe as it is); the answer's `id` and `status`.
    async fn post(&self, path: &str, form: &str, key: &str) -> anyhow::Result<(String, String)> {
        let res = self
            .http
            .post(format!("{}{path}", self.base))
            .basic_auth(&self.secret, Some(""))
            .header("Idempotency-Key", key)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form.to_owned())
            .send()
            .await?;
        let status = res.status();
        let body: serde_json::Value = res.json().await?;
        anyhow::ensure!(status.is_success(), "provider answered {status}: {body}");
        let field = |name: &str| body[name].as_str().unwrap_or_default().to_owned();
        Ok((field("id"), field("status")))
    }
}

/// One paid checkout of one copy of `book` (see the module's documentation).
pub async fn checkout(
    client: &Client,
    provider: &Provider,
    finisher: &Finisher,
    table: &str,
    book: BookId,
    version: i64,
) -> anyhow::Result<()> {
    let order = uuid::Uuid::now_v7();
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
    let total = 1999 + 499 + 160;
    let form = format!(
        "amount={total}&currency=usd&capture_method=manual&payment_method=pm_card_visa\
         &metadata%5Border_id%5D={order}"
    );
    let (intent, _) = provider
        .post(
            "/v1/payment_intents",
            &form,
            &format!("order-{order}-intent"),
        )
        .await
        .context("creating the intent")?;

    let now = chrono::Utc::now();
    let stamp = now.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let placed = order_item(order, book, &intent, "pending_payment", 1, &stamp);
    let user = USER;
    let idem = HashMap::from([
        ("pk".to_owned(), s(format!("IDEM#{user}#{order}"))),
        ("sk".to_owned(), s("IDEM")),
        (
            "fingerprint".to_owned(),
            s(format!("{:064x}", order.as_u128())),
        ),
        ("order_id".to_owned(), s(order.to_string())),
        ("ttl".to_owned(), n(now.timestamp() + 86_400)),
    ]);
    let expires = now.timestamp_millis() + 15 * 60 * 1000;
    let expiry = job(order, "order.expire", "expire", expires, None);
    let placed_event = job(
        order,
        "event",
        "placed",
        now.timestamp_millis(),
        Some(&placed),
    );
    let reserve = vec![
        TransactWriteItem::builder()
            .update(stock_update(table, book, version)?)
            .build(),
        put_new(table, placed.clone())?,
        put_new(table, idem)?,
        put_new(table, expiry.clone())?,
        put_new(table, placed_event.clone())?,
    ];
    client
        .transact_write_items()
        .set_transact_items(Some(reserve))
        .send()
        .await
        .context("reserving")?;

    let (_, status) = provider
        .post(
            &format!("/v1/payment_intents/{intent}/confirm"),
            "",
            &format!("{intent}-confirm"),
        )
        .await
        .context("confirming")?;
    anyhow::ensure!(status == "requires_capture", "the intent is {status}");

    let paid = order_item(order, book, &intent, "paid", 2, &stamp);
    let at = chrono::Utc::now().timestamp_millis();
    let counters = Update::builder()
        .table_name(table)
        .set_key(Some(HashMap::from([
            (
                "pk".to_owned(),
                s(format!("RAWSALES#{}", now.format("%Y-%m-%dT%H"))),
            ),
            ("sk".to_owned(), s(format!("{}", order.as_u128() % 128))),
        ])))
        .update_expression("ADD #o :one, #u :one, #g :g")
        .expression_attribute_names("#o", "orders")
        .expression_attribute_names("#u", "units")
        .expression_attribute_names("#g", "gross_cents")
        .expression_attribute_values(":one", n(1))
        .expression_attribute_values(":g", n(total))
        .build()?;
    let sales_job = job(order, "sales.lines", "sales-paid-0", at, None);
    let paid_event = job(order, "event", "paid", at, Some(&paid));
    let settle = vec![
        TransactWriteItem::builder()
            .put(
                Put::builder()
                    .table_name(table)
                    .set_item(Some(paid.clone()))
                    .condition_expression("#v = :v")
                    .expression_attribute_names("#v", "version")
                    .expression_attribute_values(":v", n(1))
                    .build()?,
            )
            .build(),
        TransactWriteItem::builder().update(counters).build(),
        put_new(table, sales_job.clone())?,
        put_new(table, paid_event.clone())?,
        TransactWriteItem::builder()
            .delete(
                Delete::builder()
                    .table_name(table)
                    .set_key(Some(key_of(&expiry)))
                    .build()?,
            )
            .build(),
    ];
    client
        .transact_write_items()
        .set_transact_items(Some(settle))
        .send()
        .await
        .context("settling")?;
    finisher.hand_over(Done {
        jobs: [
            key_of(&placed_event),
            key_of(&paid_event),
            key_of(&sales_job),
        ],
        book,
        cents: total,
        day: now.format("%Y-%m-%d").to_string(),
    });
    Ok(())
}

/// An item's key.
fn key_of(item: &Item) -> Item {
    ["pk", "sk"]
        .into_iter()
        .filter_map(|k| Some((k.to_owned(), item.get(k)?.clone())))
        .collect()
}

fn put_new(table: &str, item: Item) -> anyhow::Result<TransactWriteItem> {
    Ok(TransactWriteItem::builder()
        .put(
            Put::builder()
                .table_name(table)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(#pk)")
                .expression_attribute_names("#pk", "pk")
                .build()?,
        )
        .build())
}

/// An order of one line as the shop stores it: lines, shipping address and option, payment,
/// timeline and the index keys.
fn order_item(
    order: uuid::Uuid,
    book: BookId,
    intent: &str,
    status: &str,
    version: i64,
    stamp: &str,
) -> Item {
    let map = |pairs: Vec<(&str, AttributeValue)>| {
        AttributeValue::M(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    };
    let line = map(vec![
        ("book_id", s(book.to_string())),
        ("title", s("A Benchmark Title Of Typical Length")),
        ("unit_price_cents", n(1999)),
        ("quantity", n(1)),
    ]);
    let address = map(vec![
        ("name", s("Ada Lovelace")),
        ("line1", s("12 St James's Square")),
        ("city", s("London")),
        ("postal_code", s("SW1Y 4JH")),
        ("country", s("GB")),
    ]);
    let step = |status: &str| {
        map(vec![
            ("status", s(status)),
            ("at", s(stamp)),
            ("actor", s("customer")),
        ])
    };
    let mut timeline = vec![step("pending_payment")];
    if status == "paid" {
        timeline.push(step("paid"));
    }
    HashMap::from([
        ("pk".to_owned(), s(format!("ORDER#{order}"))),
        ("sk".to_owned(), s("ORDER")),
        ("id".to_owned(), s(order.to_string())),
        ("user_id".to_owned(), s(USER)),
        ("customer_email".to_owned(), s("shopper@loadgen.example")),
        ("status".to_owned(), s(status)),
        ("lines".to_owned(), AttributeValue::L(vec![line])),
        (
            "returned".to_owned(),
            map(vec![(book.to_string().as_str(), n(0))]),
        ),
        (
            "requested".to_owned(),
            map(vec![(book.to_string().as_str(), n(0))]),
        ),
        ("shipping_cents".to_owned(), n(499)),
        ("tax_cents".to_owned(), n(160)),
        ("total_cents".to_owned(), n(2658)),
        ("refunded_cents".to_owned(), n(0)),
        ("currency".to_owned(), s("USD")),
        (
            "shipping".to_owned(),
            map(vec![
                ("address", address),
                ("option_id", s("standard")),
                ("option_name", s("Standard")),
                ("delivery_days_min", n(3)),
                ("delivery_days_max", n(5)),
            ]),
        ),
        (
            "payment".to_owned(),
            map(vec![
                (
                    "status",
                    s(if status == "paid" {
                        "authorized"
                    } else {
                        "pending"
                    }),
                ),
                ("provider_id", s(intent)),
                ("amount_cents", n(2658)),
                ("refunded_cents", n(0)),
            ]),
        ),
        ("timeline".to_owned(), AttributeValue::L(timeline)),
        ("created_at".to_owned(), s(stamp)),
        ("updated_at".to_owned(), s(stamp)),
        ("version".to_owned(), n(version)),
        ("order_user".to_owned(), s(USER)),
        ("order_feed".to_owned(), s("ORDERS")),
        ("order_status".to_owned(), s(status)),
        ("created_key".to_owned(), s(format!("{stamp}#{order}"))),
    ])
}

/// A job as the outbox writes it, in the comparator's own partitions; an event job carries
/// the order as its data.
fn job(order: uuid::Uuid, kind: &str, name: &str, due_ms: i64, data: Option<&Item>) -> Item {
    let id = format!("{order}-{name}");
    let mut item = HashMap::from([
        (
            "pk".to_owned(),
            s(format!("RAWJOBS#{}", order.as_u128() % 128)),
        ),
        ("sk".to_owned(), s(format!("{due_ms:015}#{id}"))),
        ("kind".to_owned(), s(kind)),
        ("job_id".to_owned(), s(id)),
        ("lease_until".to_owned(), n(0)),
        ("order_id".to_owned(), s(order.to_string())),
    ]);
    if let Some(data) = data {
        item.insert(
            "event".to_owned(),
            AttributeValue::M(HashMap::from([
                ("id".to_owned(), s(uuid::Uuid::now_v7().to_string())),
                ("type".to_owned(), s(format!("order.{name}"))),
                ("timestamp".to_owned(), s(chrono::Utc::now().to_rfc3339())),
                ("data".to_owned(), AttributeValue::M(data.clone())),
            ])),
        );
    }
    item
}
