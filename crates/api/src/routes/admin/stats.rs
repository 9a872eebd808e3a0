//! `/api/v1/admin/stats`: the owner's dashboard figures, read from counters the order
//! transactions keep (never from the orders themselves).
use crate::auth::{OwnerUser, StaffUser};
use crate::error::ApiResult;
use crate::state::AppState;
use actix_web::{get, web};
use bookstore_model::{OperationsQuery, OperationsStats, SalesQuery, SalesStats};
use utoipa_actix_web::{scope, service_config::ServiceConfig};

/// Registers this resource's routes (for actix and the OpenAPI document alike).
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(scope("/stats").service(sales).service(operations));
}

/// The shop's sales per hour or day over a range.
///
/// Paid orders, their revenue and copies, cancellations after payment, returns and refunds,
/// net revenue and the average order, with the top books and genres. Each figure belongs to the hour (day) its order was placed in, UTC; the
/// definitions are in the `SalesFigures` schema. Answers may be up to `stats_max_age_ms` old.
#[utoipa::path(
    get,
    operation_id = "getSalesStats",
    tag = "admin",
    security(("bearer" = [])),
    extensions(("x-required-role" = json!("owner"))),
    params(SalesQuery),
    responses(
        (status = 200, description = "The range's buckets, totals and top lists", body = SalesStats),
        (status = 400, description = "A bad parameter (`invalid_query`); `from` not before `to`, or a range over 168 hours (hourly) or 92 days (daily) (`invalid_range`)")
    )
)]
#[get("/sales")]
pub async fn sales(
    state: web::Data<AppState>,
    _owner: OwnerUser,
    q: web::Query<SalesQuery>,
) -> ApiResult<web::Json<SalesStats>> {
    Ok(web::Json(state.sales.figures(&q).await?))
}

/// Every instance's requests, errors, latency, CPU and network out, per minute or wider step.
///
/// Each instance adds its own figures to the store every `ops_flush_ms` (and at shutdown),
/// kept `ops_retention_days`; the first series is the total of all instances, then one per
/// instance. Percentiles come from fixed latency buckets summed over instances and minutes.
#[utoipa::path(
    get,
    operation_id = "getOperationsStats",
    tag = "admin",
    security(("bearer" = [])),
    extensions(("x-required-role" = json!("staff"))),
    params(OperationsQuery),
    responses(
        (status = 200, description = "The total and each instance's figures", body = OperationsStats),
        (status = 400, description = "A bad parameter (`invalid_query`); `from` not before `to`, or a range over 48 hours (`invalid_range`)")
    )
)]
#[get("/operations")]
pub async fn operations(
    state: web::Data<AppState>,
    _staff: StaffUser,
    q: web::Query<OperationsQuery>,
) -> ApiResult<web::Json<OperationsStats>> {
    Ok(web::Json(state.operations.figures(&q).await?))
}
