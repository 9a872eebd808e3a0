//! The owner's dashboard: sales figures kept as counters by the order transactions.
//!
//! Definitions (every figure belongs to the hour, or day, in which its order was placed, UTC):
//! an order counts in `orders`, `gross_cents` and `units` once it is paid; a paid order
//! cancelled later counts in `cancelled`, `cancelled_cents` and `cancelled_units`; a return
//! received counts its copies in `returned_units` and its refund in `refunded_cents`. So
//! `net_cents = gross_cents - cancelled_cents - refunded_cents` and
//! `net_units = units - cancelled_units - returned_units`.
use crate::{BookId, Genre, Title};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// How finely a range is cut into buckets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Granularity {
    #[default]
    Hour,
    Day,
}

/// At most this many hours in a range of hourly buckets.
pub const MAX_HOURLY_SPAN_HOURS: i64 = 7 * 24;
/// At most this many days in a range of daily buckets.
pub const MAX_DAILY_SPAN_DAYS: i64 = 92;

/// Query parameters of `GET /api/v1/admin/stats/sales`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SalesQuery {
    /// Start of the range (RFC 3339), rounded down to its hour or day; default: `to` minus
    /// 24 hours (hourly) or 30 days (daily).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<DateTime<Utc>>,
    /// End of the range (RFC 3339, exclusive), rounded up to its hour or day; default: now.
    /// After `from`; at most 168 hours of hourly or 92 days of daily buckets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<DateTime<Utc>>,
    /// `hour` (default) or `day`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[param(inline)]
    pub granularity: Option<Granularity>,
}

/// The sales counters of a bucket or a range (definitions in the module's documentation).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SalesFigures {
    /// Orders paid.
    pub orders: i64,
    /// Their totals (items, shipping, tax), minor units.
    pub gross_cents: i64,
    /// Their copies.
    pub units: i64,
    /// Paid orders cancelled later.
    pub cancelled: i64,
    pub cancelled_cents: i64,
    pub cancelled_units: i64,
    /// Copies received back in returns.
    pub returned_units: i64,
    /// Refunds of received returns.
    pub refunded_cents: i64,
    /// `gross_cents - cancelled_cents - refunded_cents`.
    pub net_cents: i64,
    /// `units - cancelled_units - returned_units`.
    pub net_units: i64,
    /// `gross_cents / orders`, rounded down (0 without orders).
    pub average_order_cents: i64,
}

impl SalesFigures {
    /// Fills in the derived figures from the counters.
    pub fn derive(mut self) -> Self {
        self.net_cents = self.gross_cents - self.cancelled_cents - self.refunded_cents;
        self.net_units = self.units - self.cancelled_units - self.returned_units;
        self.average_order_cents = if self.orders > 0 {
            self.gross_cents / self.orders
        } else {
            0
        };
        self
    }

    /// Adds another bucket's counters (derived figures are derived again after).
    pub fn add(&mut self, o: &Self) {
        self.orders += o.orders;
        self.gross_cents += o.gross_cents;
        self.units += o.units;
        self.cancelled += o.cancelled;
        self.cancelled_cents += o.cancelled_cents;
        self.cancelled_units += o.cancelled_units;
        self.returned_units += o.returned_units;
        self.refunded_cents += o.refunded_cents;
    }
}

/// One hour or day of sales.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SalesBucket {
    /// The bucket's first instant.
    pub start: DateTime<Utc>,
    #[serde(flatten)]
    pub figures: SalesFigures,
}

/// A book's sales over a range: copies and line revenue (unit price times copies) of paid
/// orders, net of cancellations and returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TitleSales {
    pub book_id: BookId,
    pub title: Title,
    pub units: i64,
    pub cents: i64,
}

/// A genre's sales over a range, as [`TitleSales`] (the genre a book had when it was counted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct GenreSales {
    pub genre: Genre,
    pub units: i64,
    pub cents: i64,
}

/// The answer of `GET /api/v1/admin/stats/sales`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SalesStats {
    /// The range after rounding: `[from, to)`.
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub granularity: Granularity,
    /// The shop's currency (ISO 4217).
    pub currency: String,
    /// Every bucket of the range, oldest first, empty ones included.
    pub buckets: Vec<SalesBucket>,
    pub totals: SalesFigures,
    /// Up to 10 books by net copies, over the whole days the range touches (`top_from` to
    /// `top_to`): title counters are kept per day.
    pub top_titles: Vec<TitleSales>,
    /// Up to 10 genres by net copies, over the same days.
    pub top_genres: Vec<GenreSales>,
    pub top_from: DateTime<Utc>,
    pub top_to: DateTime<Utc>,
}

/// The latency histogram's bucket upper bounds, in microseconds; one more bucket holds the
/// slower requests. Fixed, so every instance's minutes add up exactly.
pub const LATENCY_BOUNDS_US: [u64; 15] = [
    250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000,
    2_500_000, 5_000_000, 10_000_000,
];

/// At most this many hours in `GET /api/v1/admin/stats/operations`.
pub const MAX_OPERATIONS_SPAN_HOURS: i64 = 48;

/// Query parameters of `GET /api/v1/admin/stats/operations`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OperationsQuery {
    /// Start of the range (RFC 3339), rounded down to its minute; default: `to` minus 3 hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<DateTime<Utc>>,
    /// End of the range (RFC 3339, exclusive), rounded up to its minute; default: now. After
    /// `from`, at most 48 hours later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<DateTime<Utc>>,
}

/// One step of one instance (or of all): what it served and spent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OperationsPoint {
    /// The step's first instant.
    pub start: DateTime<Utc>,
    pub requests: i64,
    /// Responses with a 4xx or a 5xx status.
    pub errors_4xx: i64,
    pub errors_5xx: i64,
    /// Response-time percentiles in milliseconds: the upper bound of the histogram bucket the
    /// percentile falls in (0 without requests).
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    /// CPU time the process used (user and system), in seconds.
    pub cpu_seconds: f64,
    /// Bytes of response bodies of known size (network out).
    pub bytes_out: i64,
    /// Requests per `LATENCY_BOUNDS_US` bucket (and the slower ones last).
    pub latency_buckets: Vec<i64>,
}

/// One instance's points, or the sum of all (`instance` absent).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OperationsSeries {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// Every step of the range, oldest first, empty ones included.
    pub points: Vec<OperationsPoint>,
}

/// The answer of `GET /api/v1/admin/stats/operations`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OperationsStats {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// The width of a point: one minute, or more so a range has at most 180 points.
    pub step_secs: i64,
    /// The histogram's bucket upper bounds, microseconds (`LATENCY_BOUNDS_US`).
    pub latency_bounds_us: Vec<u64>,
    /// The total first, then one per instance that recorded anything in the range.
    pub series: Vec<OperationsSeries>,
}
