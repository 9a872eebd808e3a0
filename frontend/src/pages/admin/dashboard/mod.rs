//! The owner's dashboard: sales over a chosen range (owners only) and every instance's
//! operations figures (staff too), drawn as SVG charts by [`chart`].
mod chart;

use super::AdminOnly;
use crate::api::ApiError;
use crate::components::{ErrorBox, Loading, money};
use crate::session::use_session;
use crate::use_api;
use bookstore_model::{
    Granularity, MAX_OPERATIONS_SPAN_HOURS, OperationsQuery, OperationsStats, SalesQuery,
    SalesStats,
};
use chart::{Chart, Fmt, Kind, Series};
use chrono::{DateTime, Datelike, Duration, Timelike, Utc};
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::sync::Arc;

#[component]
pub fn Dashboard() -> impl IntoView {
    let title = crate::components::page_title(|| "Dashboard".to_owned());
    view! {
        {title}
        <AdminOnly>
            <DashboardScreen />
        </AdminOnly>
    }
}

/// The range the dashboard shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Range {
    Day,
    Week,
    Month,
    Custom,
}

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(js_sys::Date::now() as i64).unwrap_or_default()
}

/// `2026-12-03` (an `<input type=date>` value) as that day's midnight, UTC.
fn parse_day(s: &str) -> Option<DateTime<Utc>> {
    let mut parts = s.split('-').map(|p| p.parse::<u32>().ok());
    let (y, m, d) = (parts.next()??, parts.next()??, parts.next()??);
    let date = chrono::NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, d)?;
    Some(date.and_hms_opt(0, 0, 0)?.and_utc())
}

fn day_input(t: DateTime<Utc>) -> String {
    format!("{:04}-{:02}-{:02}", t.year(), t.month(), t.day())
}

/// A bucket's label: its hour for hourly buckets, its date for daily ones.
fn label(t: &DateTime<Utc>, hourly: bool) -> String {
    if hourly {
        format!(
            "{:02}-{:02} {:02}:{:02}",
            t.month(),
            t.day(),
            t.hour(),
            t.minute()
        )
    } else {
        format!("{:04}-{:02}-{:02}", t.year(), t.month(), t.day())
    }
}

fn count_fmt() -> Fmt {
    Arc::new(|v| {
        if v.fract() == 0.0 {
            format!("{v:.0}")
        } else {
            format!("{v:.2}")
        }
    })
}

fn money_fmt(currency: String) -> Fmt {
    Arc::new(move |v| money(v.round() as i64, &currency))
}

fn unit_fmt(unit: &'static str, digits: usize) -> Fmt {
    Arc::new(move |v| format!("{v:.digits$} {unit}"))
}

fn bytes_fmt() -> Fmt {
    Arc::new(|v| {
        if v >= 1_048_576.0 {
            format!("{:.1} MB/s", v / 1_048_576.0)
        } else if v >= 1024.0 {
            format!("{:.1} KB/s", v / 1024.0)
        } else {
            format!("{v:.0} B/s")
        }
    })
}

#[component]
fn DashboardScreen() -> impl IntoView {
    let api = use_api();
    let session = use_session();
    let range = RwSignal::new(Range::Day);
    let custom_from = RwSignal::new(day_input(now() - Duration::days(7)));
    let custom_to = RwSignal::new(day_input(now()));
    let sales: RwSignal<Option<SalesStats>> = RwSignal::new(None);
    let ops: RwSignal<Option<OperationsStats>> = RwSignal::new(None);
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let loading = RwSignal::new(false);
    let load = move || {
        let to_now = now();
        let (from, to, granularity) = match range.get_untracked() {
            Range::Day => (to_now - Duration::hours(24), to_now, Granularity::Hour),
            Range::Week => (to_now - Duration::days(7), to_now, Granularity::Day),
            Range::Month => (to_now - Duration::days(30), to_now, Granularity::Day),
            Range::Custom => {
                let from = parse_day(&custom_from.get_untracked());
                let to = parse_day(&custom_to.get_untracked()).map(|t| t + Duration::days(1));
                match (from, to) {
                    (Some(f), Some(t)) if t - f <= Duration::days(2) => (f, t, Granularity::Hour),
                    (Some(f), Some(t)) => (f, t, Granularity::Day),
                    _ => return,
                }
            }
        };
        // Operations figures are kept by the minute for the last hours: at most 48 of them,
        // counted in the whole minutes the server rounds to.
        let ops_to = to.min(now() + Duration::minutes(1)).timestamp();
        let ops_to = (ops_to + 59).div_euclid(60) * 60;
        let ops_from =
            (from.timestamp().div_euclid(60) * 60).max(ops_to - MAX_OPERATIONS_SPAN_HOURS * 3600);
        let ops_range = (
            DateTime::from_timestamp(ops_from, 0),
            DateTime::from_timestamp(ops_to, 0),
        );
        let owner = session.is_owner();
        loading.set(true);
        spawn_local(async move {
            let mut failed = None;
            if owner {
                let q = SalesQuery {
                    from: Some(from),
                    to: Some(to),
                    granularity: Some(granularity),
                };
                match api.sales_stats(&q).await {
                    Ok(s) => sales.set(Some(s)),
                    Err(e) => failed = Some(e),
                }
            }
            let q = OperationsQuery {
                from: ops_range.0,
                to: ops_range.1,
            };
            match api.operations_stats(&q).await {
                Ok(o) => ops.set(Some(o)),
                Err(e) => failed = Some(e),
            }
            error.set(failed);
            loading.set(false);
        });
    };
    load();
    let pick = move |r: Range| {
        range.set(r);
        load();
    };
    let tab = move |r: Range, text: &'static str, id: &'static str| {
        view! {
            <button type="button" id=id class="range"
                aria-pressed=move || (range.get() == r).to_string()
                on:click=move |_| pick(r)>{text}</button>
        }
    };
    view! {
        <section class="page admin dashboard">
            <h1>"Dashboard"</h1>
            <div class="range-picker" role="group" aria-label="Range">
                {tab(Range::Day, "Last 24 h", "range-day")}
                {tab(Range::Week, "7 days", "range-week")}
                {tab(Range::Month, "30 days", "range-month")}
                {tab(Range::Custom, "Custom", "range-custom")}
            </div>
            <Show when=move || range.get() == Range::Custom>
                <form class="custom-range" on:submit=move |ev| { ev.prevent_default(); load(); }>
                    <label>"From " <input type="date" id="range-from" prop:value=custom_from
                        on:input=move |ev| custom_from.set(event_target_value(&ev)) /></label>
                    <label>"To " <input type="date" id="range-to" prop:value=custom_to
                        on:input=move |ev| custom_to.set(event_target_value(&ev)) /></label>
                    <button type="submit">"Show"</button>
                </form>
            </Show>
            <div id="dashboard-error">{move || error.get().map(|e| view! { <ErrorBox error=e /> })}</div>
            <Show when=move || loading.get()><Loading /></Show>
            <Show when=move || session.is_owner()>
                {move || sales.get().map(|s| view! { <SalesPanels stats=s /> })}
            </Show>
            {move || ops.get().map(|o| view! { <OperationsPanels stats=o /> })}
        </section>
    }
}

#[component]
fn SalesPanels(stats: SalesStats) -> impl IntoView {
    let hourly = stats.granularity == Granularity::Hour;
    let labels: Vec<String> = stats
        .buckets
        .iter()
        .map(|b| label(&b.start, hourly))
        .collect();
    let col = |f: fn(&bookstore_model::SalesFigures) -> i64| -> Vec<f64> {
        stats.buckets.iter().map(|b| f(&b.figures) as f64).collect()
    };
    let t = &stats.totals;
    let cur = stats.currency.clone();
    let tiles = [
        ("Net revenue", money(t.net_cents, &cur)),
        ("Gross revenue", money(t.gross_cents, &cur)),
        ("Orders", t.orders.to_string()),
        ("Copies", t.units.to_string()),
        ("Average order", money(t.average_order_cents, &cur)),
        ("Refunds", money(t.refunded_cents, &cur)),
        ("Cancelled", t.cancelled.to_string()),
        ("Copies returned", t.returned_units.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| view! { <div class="tile"><dt>{k}</dt><dd>{v}</dd></div> })
    .collect_view();
    let titles = stats
        .top_titles
        .iter()
        .map(|t| {
            view! {
                <tr><td data-label="Title">{t.title.as_str().to_owned()}</td>
                <td data-label="Copies" class="num">{t.units}</td>
                <td data-label="Revenue" class="num">{money(t.cents, &cur)}</td></tr>
            }
        })
        .collect_view();
    let genres = stats
        .top_genres
        .iter()
        .map(|g| {
            view! {
                <tr><td data-label="Genre">{g.genre.as_str().to_owned()}</td>
                <td data-label="Copies" class="num">{g.units}</td>
                <td data-label="Revenue" class="num">{money(g.cents, &cur)}</td></tr>
            }
        })
        .collect_view();
    view! {
        <section class="panel" id="sales">
            <h2>"Sales"</h2>
            <dl class="tiles">{tiles}</dl>
            <div class="charts">
                <Chart id="chart-revenue" title="Revenue (gross, refunds)" kind=Kind::Bars labels=labels.clone()
                    series=vec![
                        Series { name: "gross".into(), values: col(|f| f.gross_cents) },
                        Series { name: "refunded".into(), values: col(|f| f.refunded_cents + f.cancelled_cents) },
                    ]
                    fmt=money_fmt(cur.clone()) />
                <Chart id="chart-orders" title="Orders and copies" kind=Kind::Line labels=labels.clone()
                    series=vec![
                        Series { name: "orders".into(), values: col(|f| f.orders) },
                        Series { name: "copies".into(), values: col(|f| f.units) },
                    ]
                    fmt=count_fmt() />
                <Chart id="chart-aov" title="Average order" kind=Kind::Line labels=labels
                    series=vec![Series { name: "average order".into(), values: col(|f| f.average_order_cents) }]
                    fmt=money_fmt(cur.clone()) />
            </div>
            <div class="tops">
                <div class="table-wrap">
                    <h3>"Top titles"</h3>
                    <table class="stack" id="top-titles">
                        <thead><tr><th scope="col">"Title"</th><th scope="col">"Copies"</th><th scope="col">"Revenue"</th></tr></thead>
                        <tbody>{titles}</tbody>
                    </table>
                </div>
                <div class="table-wrap">
                    <h3>"Top genres"</h3>
                    <table class="stack" id="top-genres">
                        <thead><tr><th scope="col">"Genre"</th><th scope="col">"Copies"</th><th scope="col">"Revenue"</th></tr></thead>
                        <tbody>{genres}</tbody>
                    </table>
                </div>
            </div>
        </section>
    }
}

#[component]
fn OperationsPanels(stats: OperationsStats) -> impl IntoView {
    let step = stats.step_secs.max(1) as f64;
    let Some(total) = stats.series.first().cloned() else {
        return view! { <p>"No figures."</p> }.into_any();
    };
    let labels: Vec<String> = total.points.iter().map(|p| label(&p.start, true)).collect();
    let per_instance = |f: &dyn Fn(&bookstore_model::OperationsPoint) -> f64| -> Vec<Series> {
        stats
            .series
            .iter()
            .map(|s| Series {
                name: s.instance.clone().unwrap_or_else(|| "all instances".into()),
                values: s.points.iter().map(f).collect(),
            })
            .collect()
    };
    let rate = per_instance(&|p| p.requests as f64 / step);
    let cpu = per_instance(&|p| p.cpu_seconds / step);
    let net = per_instance(&|p| p.bytes_out as f64 / step);
    let errors = per_instance(&|p| {
        if p.requests == 0 {
            0.0
        } else {
            100.0 * (p.errors_4xx + p.errors_5xx) as f64 / p.requests as f64
        }
    });
    let latency = vec![
        Series {
            name: "p50".into(),
            values: total.points.iter().map(|p| p.p50_ms).collect(),
        },
        Series {
            name: "p90".into(),
            values: total.points.iter().map(|p| p.p90_ms).collect(),
        },
        Series {
            name: "p99".into(),
            values: total.points.iter().map(|p| p.p99_ms).collect(),
        },
    ];
    let instances = stats.series.len().saturating_sub(1);
    view! {
        <section class="panel" id="operations">
            <h2>"Operations"</h2>
            <p class="hint">{format!("{instances} instance(s), a point per {} min; latency is the upper bound of its bucket.", stats.step_secs / 60)}</p>
            <div class="charts">
                <Chart id="chart-requests" title="Requests per second" kind=Kind::Line labels=labels.clone() series=rate fmt=unit_fmt("req/s", 2) />
                <Chart id="chart-latency" title="Latency, all instances" kind=Kind::Line labels=labels.clone() series=latency fmt=unit_fmt("ms", 2) />
                <Chart id="chart-errors" title="Errors (4xx and 5xx)" kind=Kind::Line labels=labels.clone() series=errors fmt=unit_fmt("%", 1) />
                <Chart id="chart-cpu" title="CPU (cores busy)" kind=Kind::Line labels=labels.clone() series=cpu fmt=unit_fmt("cores", 3) />
                <Chart id="chart-network" title="Network out" kind=Kind::Line labels=labels series=net fmt=bytes_fmt() />
            </div>
        </section>
    }
    .into_any()
}
