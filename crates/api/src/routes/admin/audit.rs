use crate::auth::OwnerUser;
use crate::error::ApiResult;
use crate::state::AppState;
use actix_web::{get, web};
use bookstore_model::{AuditEntry, Page, PageQuery};
use utoipa_actix_web::{scope, service_config::ServiceConfig};

/// Registers this resource's routes (for actix and the OpenAPI document alike).
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(scope("/audit").service(list));
}

/// Every admin change, newest first: who, when, before and after.
#[utoipa::path(
    get,
    operation_id = "listAuditEntries",
    tag = "admin",
    security(("bearer" = [])),
    extensions(("x-required-role" = json!("owner"))),
    params(PageQuery),
    responses(
        (status = 200, description = "A page of the audit log", body = Page<AuditEntry>),
        (status = 400, description = "A bad query parameter (`invalid_query`) or cursor (`invalid_cursor`)")
    )
)]
#[get("")]
pub async fn list(
    state: web::Data<AppState>,
    _owner: OwnerUser,
    q: web::Query<PageQuery>,
) -> ApiResult<web::Json<Page<AuditEntry>>> {
    Ok(web::Json(state.audit.list(&q).await?))
}
