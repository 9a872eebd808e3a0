//! `GET /api/v1/admin/stats/sales`: the counters equal a recount of the orders, to the cent.
use crate::helpers::*;
use crate::payment_server::CARD_DECLINED;
use bookstore_model::*;
use chrono::{DateTime, Duration, DurationRound, Utc};
use std::collections::BTreeMap;
use std::time::Instant;

/// What the counters should say, recounted from every order the shop lists: per bucket start
/// (hour or day of placement), the figures; per book and per genre, net copies and revenue.
struct Recount {
    buckets: BTreeMap<DateTime<Utc>, SalesFigures>,
    titles: BTreeMap<BookId, (i64, i64)>,
    genres: BTreeMap<String, (i64, i64)>,
}

fn recount(orders: &[Order], step: Duration, genre_of: &BTreeMap<BookId, String>) -> Recount {
    let mut r = Recount {
        buckets: BTreeMap::new(),
        titles: BTreeMap::new(),
        genres: BTreeMap::new(),
    };
    for o in orders {
        let paid = o.timeline.iter().any(|t| t.status == OrderStatus::Paid);
        if !paid {
            continue;
        }
        let cancelled = o.status == OrderStatus::Cancelled;
        let f = r
            .buckets
            .entry(o.created_at.duration_trunc(step).unwrap())
            .or_default();
        let units: i64 = o.lines.iter().map(|l| i64::from(l.quantity)).sum();
        f.orders += 1;
        f.gross_cents += o.total_cents;
        f.units += units;
        if cancelled {
            f.cancelled += 1;
            f.cancelled_cents += o.total_cents;
            f.cancelled_units += units;
        } else {
            f.returned_units += o
                .lines
                .iter()
                .map(|l| i64::from(l.returned_quantity))
                .sum::<i64>();
            f.refunded_cents += o.refunded_cents;
        }
        for l in &o.lines {
            let net = if cancelled {
                0
            } else {
                i64::from(l.quantity - l.returned_quantity)
            };
            let t = r.titles.entry(l.book_id).or_default();
            t.0 += net;
            t.1 += net * l.unit_price_cents;
            let g = r.genres.entry(genre_of[&l.book_id].clone()).or_default();
            g.0 += net;
            g.1 += net * l.unit_price_cents;
        }
    }
    for f in r.buckets.values_mut() {
        *f = std::mem::take(f).derive();
    }
    r
}

/// The entries with copies left (the top lists leave out the others).
fn net<K: Ord + Clone>(m: &BTreeMap<K, (i64, i64)>) -> BTreeMap<K, (i64, i64)> {
    m.iter()
        .filter(|(_, v)| v.0 > 0)
        .map(|(k, v)| (k.clone(), *v))
        .collect()
}

async fn every_order(app: &TestApp) -> Vec<Order> {
    let admin = &app.admin;
    all_pages(100, |cursor| async move {
        let q = OrderQuery {
            limit: Some(100),
            cursor,
            ..Default::default()
        };
        admin.admin_list_orders(&q).await.unwrap()
    })
    .await
}

/// Asks for the figures of the hours (or days) around now until the top lists, which the
/// outbox applies shortly after each fact, agree with the recount; then checks every figure.
async fn assert_counters_match(app: &TestApp, genre_of: &BTreeMap<BookId, String>) {
    let orders = every_order(app).await;
    for (granularity, step) in [
        (Granularity::Hour, Duration::hours(1)),
        (Granularity::Day, Duration::days(1)),
    ] {
        let want = recount(&orders, step, genre_of);
        let q = SalesQuery {
            from: Some(Utc::now() - Duration::hours(3)),
            to: Some(Utc::now() + Duration::hours(1)),
            granularity: Some(granularity),
        };
        let started = Instant::now();
        let stats = loop {
            let stats = app.admin.admin_sales_stats(&q).await.unwrap();
            let titles: BTreeMap<BookId, (i64, i64)> = stats
                .top_titles
                .iter()
                .map(|t| (t.book_id, (t.units, t.cents)))
                .collect();
            let genres: BTreeMap<String, (i64, i64)> = stats
                .top_genres
                .iter()
                .map(|g| (g.genre.as_str().to_owned(), (g.units, g.cents)))
                .collect();
            if titles == net(&want.titles) && genres == net(&want.genres) {
                break stats;
            }
            assert!(
                started.elapsed().as_secs() < 30,
                "top lists {titles:?} {genres:?}, recount {:?} {:?}",
                want.titles,
                want.genres
            );
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        };
        assert_eq!(stats.granularity, granularity);
        assert_eq!(stats.currency, "EUR");
        let mut total = SalesFigures::default();
        for b in &stats.buckets {
            let expected = want.buckets.get(&b.start).cloned().unwrap_or_default();
            assert_eq!(b.figures, expected, "{granularity:?} bucket {}", b.start);
            total.add(&expected);
        }
        assert_eq!(
            want.buckets.keys().filter(|k| **k >= stats.from).count(),
            want.buckets.len(),
            "every order lies in the range asked for"
        );
        assert_eq!(stats.totals, total.derive());
        // Top titles come sorted by net copies.
        assert!(
            stats
                .top_titles
                .windows(2)
                .all(|w| w[0].units >= w[1].units)
        );
    }
}

#[tokio::test]
async fn sales_counters_equal_a_recount_of_the_orders() {
    let app = TestApp::spawn().await;
    let novel = app
        .admin
        .admin_create_book(&new_book("Counted Novel", "A. Writer", "fiction", 1250, 50))
        .await
        .unwrap();
    let verse = app
        .admin
        .admin_create_book(&new_book("Counted Verse", "B. Poet", "poetry", 990, 50))
        .await
        .unwrap();
    let genre_of = BTreeMap::from([
        (novel.id, "fiction".to_owned()),
        (verse.id, "poetry".to_owned()),
    ]);
    let (a, b) = (app.customer().await, app.customer().await);
    buy(&a, novel.id, 2).await;
    let two_lines = a
        .place_order(&order_of(vec![line(novel.id, 1), line(verse.id, 3)]), None)
        .await
        .unwrap()
        .value;
    assert_eq!(two_lines.status, OrderStatus::Paid);
    // Cancelled after payment: counted paid, then cancelled.
    let cancelled = buy(&b, verse.id, 4).await;
    b.cancel_order(cancelled.id).await.unwrap();
    // Shipped, delivered, one of three copies returned and refunded.
    let returned = buy(&b, novel.id, 3).await;
    app.deliver(returned.id).await;
    app.return_received(&b, returned.id, &return_of(vec![line(novel.id, 1)]))
        .await;
    // Declined: never paid, counted nowhere.
    let declined = b
        .place_order(&paid_with(vec![line(verse.id, 1)], CARD_DECLINED), None)
        .await;
    assert_eq!(code_of(declined).0, 402);

    assert_counters_match(&app, &genre_of).await;
    let stats = app
        .admin
        .admin_sales_stats(&SalesQuery::default())
        .await
        .unwrap();
    assert_eq!(stats.buckets.len(), 24, "the last 24 hours by default");
    assert_eq!(stats.totals.orders, 4);
    assert_eq!(stats.totals.cancelled, 1);
    assert_eq!(stats.totals.returned_units, 1);
    assert_eq!(stats.totals.net_units, 2 + 4 + 3 - 1);
    assert!(stats.totals.refunded_cents > 0);
    assert_eq!(
        stats.totals.average_order_cents,
        stats.totals.gross_cents / 4
    );
    assert_eq!(stats.top_titles[0].book_id, novel.id);
    assert_eq!(stats.top_titles[0].units, 2 + 1 + 3 - 1);
    assert_eq!(stats.top_titles[0].cents, 5 * 1250);
}

#[tokio::test]
async fn racing_buyers_are_each_counted_once() {
    let app = TestApp::spawn().await;
    let book = app
        .admin
        .admin_create_book(&new_book("Raced", "C. Writer", "crime", 700, 20))
        .await
        .unwrap();
    let mut shoppers = Vec::new();
    for _ in 0..32 {
        shoppers.push(app.customer().await);
    }
    let attempts = shoppers
        .iter()
        .map(|s| async move { s.place_order(&order_of(vec![line(book.id, 1)]), None).await });
    let results = futures::future::join_all(attempts).await;
    let sold = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(sold, 20, "stock 20, 32 buyers");
    let genre_of = BTreeMap::from([(book.id, "crime".to_owned())]);
    assert_counters_match(&app, &genre_of).await;
}

#[tokio::test]
async fn a_bad_range_is_refused_and_customers_cannot_read_sales() {
    let app = TestApp::spawn().await;
    let token = app.admin.token().unwrap().to_owned();
    for (query, code) in [
        (
            "from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z",
            "invalid_range",
        ),
        (
            "from=2026-01-01T00:00:00Z&to=2026-01-09T00:00:00Z&granularity=hour",
            "invalid_range",
        ),
        (
            "from=2026-01-01T00:00:00Z&to=2026-06-01T00:00:00Z&granularity=day",
            "invalid_range",
        ),
        ("granularity=minute", "invalid_query"),
        ("from=yesterday", "invalid_query"),
    ] {
        let res = app
            .http
            .get(app.url(&format!("/api/v1/admin/stats/sales?{query}")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_problem(res, 400, code).await;
    }
    let week = app
        .admin
        .admin_sales_stats(&SalesQuery {
            from: Some("2026-01-01T00:30:00Z".parse().unwrap()),
            to: Some("2026-01-08T00:00:00Z".parse().unwrap()),
            granularity: Some(Granularity::Hour),
        })
        .await
        .unwrap();
    assert_eq!(
        week.from,
        "2026-01-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap()
    );
    assert_eq!(week.buckets.len(), 7 * 24);
    assert_eq!(week.totals, SalesFigures::default());
    let customer = app.customer().await;
    let (status, _) = code_of(customer.admin_sales_stats(&SalesQuery::default()).await);
    assert_eq!(status, 403);
}

#[tokio::test]
async fn each_instance_records_its_operations_figures() {
    let app = TestApp::spawn_with(|s| {
        s.ops_flush_ms = 200;
        s.instance_id = Some("instance-under-test".into());
    })
    .await;
    for _ in 0..20 {
        let res = app.http.get(app.url("/api/v1/books")).send().await.unwrap();
        assert_eq!(res.status(), 200);
    }
    for _ in 0..3 {
        let missing = format!("/api/v1/books/{}", uuid::Uuid::new_v4());
        let res = app.http.get(app.url(&missing)).send().await.unwrap();
        assert_eq!(res.status(), 404);
    }
    let started = Instant::now();
    let stats = loop {
        let stats = app
            .admin
            .admin_operations_stats(&OperationsQuery::default())
            .await
            .unwrap();
        let ours = stats
            .series
            .iter()
            .find(|s| s.instance.as_deref() == Some("instance-under-test"));
        let (requests, errors) = ours
            .map(|s| {
                s.points
                    .iter()
                    .fold((0, 0), |(r, e), p| (r + p.requests, e + p.errors_4xx))
            })
            .unwrap_or_default();
        if requests >= 23 && errors >= 3 {
            break stats;
        }
        assert!(started.elapsed().as_secs() < 20, "figures {stats:?}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert_eq!(stats.step_secs, 60, "3 hours by the minute");
    assert_eq!(stats.points_len(), 180);
    assert_eq!(stats.series.len(), 2, "the total, then the one instance");
    let (total, ours) = (&stats.series[0], &stats.series[1]);
    assert_eq!(total.instance, None);
    assert_eq!(
        total.points, ours.points,
        "one instance: its figures are the total"
    );
    let busy: Vec<&OperationsPoint> = ours.points.iter().filter(|p| p.requests > 0).collect();
    assert!(!busy.is_empty());
    for p in &busy {
        assert_eq!(p.latency_buckets.iter().sum::<i64>(), p.requests);
        assert!(p.p50_ms > 0.0 && p.p50_ms <= p.p90_ms && p.p90_ms <= p.p99_ms);
        assert!(p.bytes_out > 0);
    }
    assert!(ours.points.iter().map(|p| p.cpu_seconds).sum::<f64>() > 0.0);
    let customer = app.customer().await;
    let refused = customer
        .admin_operations_stats(&OperationsQuery::default())
        .await;
    assert_eq!(code_of(refused).0, 403);
    let res = app
        .http
        .get(app.url(
            "/api/v1/admin/stats/operations?from=2026-01-01T00:00:00Z&to=2026-01-04T00:00:00Z",
        ))
        .bearer_auth(app.admin.token().unwrap())
        .send()
        .await
        .unwrap();
    assert_problem(res, 400, "invalid_range").await;
}

trait PointsLen {
    fn points_len(&self) -> usize;
}

impl PointsLen for OperationsStats {
    /// Every series has a point per step of the range.
    fn points_len(&self) -> usize {
        let n = self.series[0].points.len();
        assert!(self.series.iter().all(|s| s.points.len() == n));
        n
    }
}
