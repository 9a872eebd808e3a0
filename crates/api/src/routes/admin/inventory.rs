//! `/api/v1/admin/inventory`: the staff's view of the stock, sorted and filtered, with the
//! low-stock view's count.
use crate::auth::{Authorized, scope::CatalogueWrite};
use crate::error::ApiResult;
use crate::state::AppState;
use actix_web::{get, web};
use bookstore_model::{InventoryPage, InventoryQuery};
use utoipa_actix_web::{scope, service_config::ServiceConfig};

/// Registers this resource's routes (for actix and the OpenAPI document alike).
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(scope("/inventory").service(list));
}

/// Every book's stock, units sold and low-stock threshold, sorted by title, genre, stock or
/// sales, filtered by genre, title text, low stock or out of stock. Sales made through another
/// instance may take `inventory.snapshot_max_age_ms` (default 5 s) to show.
#[utoipa::path(
    get,
    operation_id = "listInventory",
    tag = "admin",
    security(("bearer" = []), ("api_key" = ["catalogue:write"]), ("api_key_header" = ["catalogue:write"])),
    extensions(("x-required-role" = json!("staff"))),
    params(InventoryQuery),
    responses(
        (status = 200, description = "A page of the inventory", body = InventoryPage),
        (status = 400, description = "A bad query parameter (`invalid_query`) or cursor (`invalid_cursor`)")
    )
)]
#[get("")]
pub async fn list(
    state: web::Data<AppState>,
    _admin: Authorized<CatalogueWrite>,
    q: web::Query<InventoryQuery>,
) -> ApiResult<web::Json<InventoryPage>> {
    Ok(web::Json(state.catalogue.inventory(&q).await?))
}
