use crate::error::ApiResult;
use crate::state::AppState;
use actix_web::{HttpResponse, get, web};
use serde_json::json;

/// The process is up.
#[utoipa::path(
    get,
    operation_id = "checkHealth",
    tag = "health",
    responses((status = 200, description = "The process is up"))
)]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// Prometheus metrics: traffic by route and status, latency histograms, store calls, orders,
/// units sold and returned, stock-outs, process CPU and memory.
#[utoipa::path(
    get,
    operation_id = "getMetrics",
    tag = "health",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain"))
)]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render())
}

/// The store answers.
#[utoipa::path(
    get,
    operation_id = "checkReadiness",
    tag = "health",
    responses(
        (status = 200, description = "The store answers"),
        (status = 503, description = "The store is unreachable")
    )
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    state.store.ping().await?;
    Ok(HttpResponse::Ok().json(json!({ "status": "ready" })))
}
