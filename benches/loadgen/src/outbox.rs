//! Events through the outbox: places orders against a running shop as fast as `concurrency`
//! clients can, with one webhook endpoint subscribed to `order.placed` served by a receiver
//! in this process, and measures how many events a second reach it and how long each takes
//! from its change (the event's `timestamp`, set in the order's transaction) to its arrival.
use crate::dataset::DatasetSpec;
use crate::stats::{Percentiles, histogram};
use actix_web::{HttpResponse, web};
use bookstore_client::Client;
use bookstore_model::{EventType, LineRequest, Quantity, WebhookRequest, WebhookUrl};
use serde::Serialize;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Serialize)]
pub struct OutboxReport {
    pub orders: usize,
    pub concurrency: usize,
    /// Orders acknowledged per second by the API.
    pub orders_per_sec: f64,
    /// Events received per second, from the first order sent to the last event received.
    pub events_per_sec: f64,
    /// Distinct events received (every order's, when nothing is lost).
    pub events: usize,
    /// Deliveries received more than once (at least once: expected 0 without failures).
    pub duplicates: usize,
    /// From the event's timestamp (its transaction) to its arrival at the receiver.
    pub latency: Percentiles,
}

#[derive(Default)]
struct Received {
    ids: HashSet<String>,
    duplicates: usize,
    latency: Option<hdrhistogram::Histogram<u64>>,
    last: Option<Instant>,
}

async fn receive(body: web::Bytes, seen: web::Data<Mutex<Received>>) -> HttpResponse {
    let now = chrono::Utc::now();
    let parsed: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let id = parsed["id"].as_str().unwrap_or_default().to_owned();
    let at = parsed["timestamp"]
        .as_str()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok());
    if let Ok(mut s) = seen.lock() {
        if s.ids.insert(id) {
            if let (Some(at), Some(h)) = (at, s.latency.as_mut()) {
                let us = (now - at.with_timezone(&chrono::Utc))
                    .num_microseconds()
                    .unwrap_or(0)
                    .max(1);
                h.saturating_record(us as u64);
            }
        } else {
            s.duplicates += 1;
        }
        s.last = Some(Instant::now());
    }
    HttpResponse::Ok().finish()
}

pub async fn run(
    admin: &Client,
    orders: usize,
    concurrency: usize,
) -> anyhow::Result<OutboxReport> {
    let seen = web::Data::new(Mutex::new(Received {
        latency: Some(histogram()),
        ..Received::default()
    }));
    let data = seen.clone();
    let server = actix_web::HttpServer::new(move || {
        actix_web::App::new()
            .app_data(data.clone())
            .default_service(web::to(receive))
    })
    .workers(1)
    .bind("127.0.0.1:0")?;
    let port = server.addrs()[0].port();
    let server = server.run();
    let handle = server.handle();
    tokio::spawn(server);

    let hook = admin
        .create_webhook(&WebhookRequest {
            url: WebhookUrl::parse(&format!("http://127.0.0.1:{port}/events"))?,
            event_types: vec![EventType::OrderPlaced],
            enabled: true,
        })
        .await?;
    // Books of their own (ISBNs no dataset uses), with stock for every order, so that orders
    // spread over items as a shop's do (one book would be one hot item).
    const BOOKS: usize = 32;
    crate::dataset::add_genres(admin).await?;
    let mut orders_of = Vec::with_capacity(BOOKS);
    for b in 0..BOOKS {
        let i = 7_000_000 + usize::from(port) * BOOKS + b;
        let mut new = crate::dataset::book(i, &DatasetSpec::default())?;
        new.stock = i64::try_from(orders)? * 2;
        let book = admin.admin_create_book(&new).await?;
        orders_of.push(crate::checkout(
            vec![LineRequest {
                book_id: book.id,
                quantity: Quantity::parse(1)?,
            }],
            b,
        ));
    }
    let orders_of = Arc::new(orders_of);
    let started = Instant::now();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let workers = (0..concurrency.max(1)).map(|_| {
        let (admin, orders_of, next) = (admin.clone(), orders_of.clone(), next.clone());
        tokio::spawn(async move {
            loop {
                let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if n >= orders {
                    return anyhow::Ok(());
                }
                // A store that is busy answers 503 (nothing done): retry with the same key.
                let key = uuid::Uuid::new_v4().to_string();
                let order = &orders_of[n % orders_of.len()];
                let mut tries = 0;
                loop {
                    match admin.place_order(order, Some(&key)).await {
                        Ok(_) => break,
                        Err(e) if tries < 20 && matches!(e.status(), Some(503 | 504)) => {
                            tries += 1;
                            tokio::time::sleep(Duration::from_millis(50 * tries)).await;
                        }
                        Err(e) => return Err(e.into()),
                    }
                }
            }
        })
    });
    for w in futures::future::join_all(workers).await {
        w??;
    }
    let placed = started.elapsed();
    // Wait for every event (or give up after a minute without progress).
    let mut last_count = 0;
    let mut last_progress = Instant::now();
    loop {
        let count = seen.lock().map(|s| s.ids.len()).unwrap_or(0);
        if count >= orders {
            break;
        }
        if count != last_count {
            (last_count, last_progress) = (count, Instant::now());
        } else if last_progress.elapsed() > Duration::from_secs(60) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    admin.delete_webhook(hook.webhook.id).await?;
    handle.stop(false).await;
    let s = seen
        .lock()
        .map_err(|_| anyhow::anyhow!("receiver state poisoned"))?;
    let until = s.last.unwrap_or_else(Instant::now);
    Ok(OutboxReport {
        orders,
        concurrency,
        orders_per_sec: orders as f64 / placed.as_secs_f64(),
        events_per_sec: s.ids.len() as f64 / (until - started).as_secs_f64(),
        events: s.ids.len(),
        duplicates: s.duplicates,
        latency: s
            .latency
            .as_ref()
            .map(Percentiles::of)
            .unwrap_or_else(|| Percentiles::of(&histogram())),
    })
}
