//! `/api/v1/admin/exports`: CSV files streamed a page at a time, never whole in memory.
use crate::auth::{Authorized, scope::CatalogueRead};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use actix_web::{HttpResponse, get, web};
use futures::StreamExt;
use utoipa_actix_web::{scope, service_config::ServiceConfig};

/// Registers this resource's routes (for actix and the OpenAPI document alike).
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(scope("/exports").service(export_books));
}

/// The whole catalogue as CSV, by title, in the columns `POST /api/v1/admin/imports/books`
/// reads (`stock_mode` empty), UTF-8 with a byte-order mark. Text cells that a spreadsheet
/// would run as a formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage return), and
/// cells starting with `'` followed by such a character or another `'`, are prefixed with `'`;
/// the import removes exactly that prefix, so an export imports back as all `unchanged`.
/// Streamed page by page: a store failure after the first page ends the body early.
#[utoipa::path(
    get,
    operation_id = "exportBooks",
    tag = "admin",
    security(("bearer" = []), ("api_key" = ["catalogue:read"]), ("api_key_header" = ["catalogue:read"])),
    extensions(("x-required-role" = json!("staff"))),
    responses(
        (status = 200, description = "The catalogue as CSV", content_type = "text/csv", body = String,
         headers(("Content-Disposition" = String, description = "`attachment; filename=\"books.csv\"`")))
    )
)]
#[get("/books")]
pub async fn export_books(
    state: web::Data<AppState>,
    _staff: Authorized<CatalogueRead>,
) -> ApiResult<HttpResponse> {
    // The first page before the headers: a store that is down answers with a problem.
    let (first, next) = state.catalogue.export_page(None).await?;
    let rest = futures::stream::unfold(next, move |cursor| {
        let state = state.clone();
        async move {
            let cursor = cursor?;
            Some(match state.catalogue.export_page(Some(&cursor)).await {
                Ok((page, next)) => (Ok(web::Bytes::from(page)), next),
                Err(e) => (Err(ApiError::from(e)), None),
            })
        }
    });
    let body = futures::stream::once(async move { Ok::<_, ApiError>(web::Bytes::from(first)) })
        .chain(rest);
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("Content-Disposition", "attachment; filename=\"books.csv\""))
        .streaming(body))
}
