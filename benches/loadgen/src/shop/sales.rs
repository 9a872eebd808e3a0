//! The sales counters (`GET /admin/stats/sales`) against a recount of every order the shop
//! holds: per day of placement, to the cent, and each listed top title's copies. The day and
//! title counters are applied by outbox jobs a moment after each fact, so a difference is read
//! again for up to 40 s before it counts.
use super::*;
use bookstore_model::{Granularity, OrderStatus, SalesFigures, SalesQuery};
use chrono::{DateTime, Duration as Span, DurationRound, Utc};

/// What the counters should say: per day, and net copies per book.
fn recount(orders: &[Order]) -> (BTreeMap<DateTime<Utc>, SalesFigures>, HashMap<BookId, i64>) {
    let mut days: BTreeMap<DateTime<Utc>, SalesFigures> = BTreeMap::new();
    let mut titles: HashMap<BookId, i64> = HashMap::new();
    for o in orders {
        if !o.timeline.iter().any(|t| t.status == OrderStatus::Paid) {
            continue;
        }
        let Ok(day) = o.created_at.duration_trunc(Span::days(1)) else {
            continue;
        };
        let f = days.entry(day).or_default();
        let units: i64 = o.lines.iter().map(|l| i64::from(l.quantity)).sum();
        let cancelled = o.status == OrderStatus::Cancelled;
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
            for l in &o.lines {
                *titles.entry(l.book_id).or_default() +=
                    i64::from(l.quantity - l.returned_quantity);
            }
        }
    }
    for f in days.values_mut() {
        *f = std::mem::take(f).derive();
    }
    (days, titles)
}

/// The differences between the counters and the recount of `orders` (empty: they agree).
pub(super) async fn sales_problems(
    admin: &Client,
    orders: &[Order],
) -> anyhow::Result<Vec<String>> {
    let (want, titles) = recount(orders);
    let (Some(first), Some(last)) = (want.keys().next(), want.keys().next_back()) else {
        return Ok(vec![]);
    };
    let q = SalesQuery {
        from: Some(*first),
        to: Some(*last + Span::days(1)),
        granularity: Some(Granularity::Day),
    };
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let stats = admin
            .admin_sales_stats(&q)
            .await
            .context("reading the sales counters")?;
        let mut problems = Vec::new();
        for b in &stats.buckets {
            let expected = want.get(&b.start).cloned().unwrap_or_default();
            if b.figures != expected {
                problems.push(format!(
                    "sales of {}: counters {:?}, recount {:?}",
                    b.start, b.figures, expected
                ));
            }
        }
        for t in &stats.top_titles {
            let expected = titles.get(&t.book_id).copied().unwrap_or(0);
            if t.units != expected {
                problems.push(format!(
                    "top title {}: counters {} copies, recount {expected}",
                    t.book_id, t.units
                ));
            }
        }
        if problems.is_empty() || Instant::now() >= deadline {
            return Ok(problems);
        }
        // Past the server's answer cache (`stats_max_age_ms`, 10 s by default).
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
}
