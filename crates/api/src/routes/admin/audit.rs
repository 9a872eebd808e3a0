use crate::auth::AdminUser;
use crate::error::ApiResult;
use crate::state::AppState;
use actix_web::{Scope, get, web};
use bookstore_model::{AuditEntry, Page, PageQuery};

pub fn scope() -> Scope {
    web::scope("/audit").service(list)
}

/// Every admin change, newest first: who, when, before and after.
#[utoipa::path(
    get,
    path = "/api/v1/admin/audit",
    operation_id = "listAuditEntries",
    tag = "admin",
    security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "A page of the audit log", body = Page<AuditEntry>),
        (status = 400, description = "A bad query parameter (`invalid_query`) or cursor (`invalid_cursor`)", body = bookstore_model::Problem, content_type = "application/problem+json")
    )
)]
#[get("")]
pub async fn list(
    state: web::Data<AppState>,
    _admin: AdminUser,
    q: web::Query<PageQuery>,
) -> ApiResult<web::Json<Page<AuditEntry>>> {
    Ok(web::Json(state.audit.list(&q).await?))
}
