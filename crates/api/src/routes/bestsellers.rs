use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use actix_web::{get, web};
use bookstore_model::{Bestseller, ProblemCode};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::{scope, service_config::ServiceConfig};

/// Registers this resource's routes (for actix and the OpenAPI document alike).
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(scope("/bestsellers").service(list));
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BestsellerQuery {
    /// How many, 1..=50 (default 10).
    #[param(minimum = 1, maximum = 50)]
    pub limit: Option<u32>,
}

/// Books by units sold, net of returns; books never sold are not listed. Each instance computes
/// the ranking at most once per `bestsellers_max_age_ms` (default 5 s), so a sale can take that
/// long to show here.
#[utoipa::path(
    get,
    operation_id = "listBestsellers",
    tag = "catalogue",
    params(BestsellerQuery),
    responses(
        (status = 200, description = "The best sellers, most sold first", body = Vec<Bestseller>),
        (status = 400, description = "A bad `limit` (`invalid_query`)")
    )
)]
#[get("")]
pub async fn list(
    state: web::Data<AppState>,
    q: web::Query<BestsellerQuery>,
) -> ApiResult<web::Json<Vec<Bestseller>>> {
    let limit = match q.limit.unwrap_or(10) as usize {
        n @ 1..=bookstore_domain::catalogue::MAX_BESTSELLERS => n,
        _ => {
            return Err(ApiError::BadRequest(
                ProblemCode::InvalidQuery,
                "limit must be between 1 and 50".into(),
            ));
        }
    };
    Ok(web::Json(state.catalogue.bestsellers(limit).await?))
}
