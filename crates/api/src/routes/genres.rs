use crate::error::ApiResult;
use crate::state::AppState;
use actix_web::{get, web};
use bookstore_model::GenreCount;
use utoipa_actix_web::{scope, service_config::ServiceConfig};

/// Registers this resource's routes (for actix and the OpenAPI document alike).
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(scope("/genres").service(list));
}

/// Genres with the number of books in each. Each instance counts them at most once per
/// `genres_max_age_ms` (default 5 s), so a catalogue change made through another instance can
/// take that long to show here.
#[utoipa::path(
    get,
    operation_id = "listGenres",
    tag = "catalogue",
    responses((status = 200, description = "Every genre with its number of books", body = Vec<GenreCount>))
)]
#[get("")]
pub async fn list(state: web::Data<AppState>) -> ApiResult<web::Json<Vec<GenreCount>>> {
    Ok(web::Json(state.catalogue.genres().await?))
}
