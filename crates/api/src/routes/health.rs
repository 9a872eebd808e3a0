use crate::error::ApiResult;
use crate::state::AppState;
use actix_web::{HttpResponse, get, web};
use serde_json::json;

/// The process is up.
#[utoipa::path(
    get,
    path = "/healthz",tag = "health", responses((status = 200, description = "The process is up")))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// The store answers.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "health",
    responses(
        (status = 200, description = "The store answers"),
        (status = 503, description = "The store is unreachable", body = bookstore_model::Problem, content_type = "application/problem+json")
    )
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    state.store.ping().await?;
    Ok(HttpResponse::Ok().json(json!({ "status": "ready" })))
}
