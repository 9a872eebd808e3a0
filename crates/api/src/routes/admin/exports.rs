//! `/api/v1/admin/exports`: CSV files streamed a page at a time, never whole in memory.
use crate::auth::{
    Authorized,
    scope::{CatalogueRead, OrdersRead},
};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use actix_web::{HttpResponse, get, web};
use bookstore_model::OrderExportQuery;
use futures::StreamExt;
use utoipa_actix_web::{scope, service_config::ServiceConfig};

/// Registers this resource's routes (for actix and the OpenAPI document alike).
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(
        scope("/exports")
            .service(export_books)
            .service(export_orders),
    );
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
    Ok(csv_response(first, next, "books.csv", move |cursor| {
        let state = state.clone();
        async move { state.catalogue.export_page(Some(&cursor)).await }
    }))
}

/// Orders as CSV, newest first, one row per order: `id`, `created_at` (RFC 3339), `status`,
/// `customer_email`, `lines` (`2 x Title; 1 x Other`), the amounts in minor units
/// (`items_cents`, `shipping_cents`, `tax_cents`, `total_cents`, `refunded_cents`) and
/// `currency`. `from` (inclusive) and `to` (exclusive) bound the order time; `status` keeps one
/// status. Text cells a spreadsheet would run as a formula are prefixed with `'`. Streamed
/// page by page.
#[utoipa::path(
    get,
    operation_id = "exportOrders",
    tag = "admin",
    security(("bearer" = []), ("api_key" = ["orders:read"]), ("api_key_header" = ["orders:read"])),
    extensions(("x-required-role" = json!("staff"))),
    params(OrderExportQuery),
    responses(
        (status = 200, description = "The orders as CSV", content_type = "text/csv", body = String,
         headers(("Content-Disposition" = String, description = "`attachment; filename=\"orders.csv\"`")))
    )
)]
#[get("/orders")]
pub async fn export_orders(
    state: web::Data<AppState>,
    _staff: Authorized<OrdersRead>,
    q: web::Query<OrderExportQuery>,
) -> ApiResult<HttpResponse> {
    let q = q.into_inner();
    if let (Some(from), Some(to)) = (q.from, q.to)
        && from > to
    {
        return Err(ApiError::BadRequest(
            bookstore_model::ProblemCode::InvalidQuery,
            "`from` must not be after `to`".into(),
        ));
    }
    let (first, next) = state.orders.export_page(&q, None).await?;
    Ok(csv_response(first, next, "orders.csv", move |cursor| {
        let (state, q) = (state.clone(), q.clone());
        async move { state.orders.export_page(&q, Some(&cursor)).await }
    }))
}

/// A CSV download: `first` page, then each page `fetch` gives for the cursor the previous
/// one left, until none is left. A failure mid-way ends the body early (the headers are sent).
fn csv_response<F, Fut>(
    first: Vec<u8>,
    next: Option<String>,
    filename: &str,
    fetch: F,
) -> HttpResponse
where
    F: Fn(String) -> Fut + 'static,
    Fut: std::future::Future<Output = bookstore_domain::Result<(Vec<u8>, Option<String>)>>,
{
    let fetch = std::rc::Rc::new(fetch);
    let rest = futures::stream::unfold(next, move |cursor| {
        let fetch = fetch.clone();
        async move {
            let cursor = cursor?;
            Some(match fetch(cursor).await {
                Ok((page, next)) => (Ok(web::Bytes::from(page)), next),
                Err(e) => (Err(ApiError::from(e)), None),
            })
        }
    });
    let body = futures::stream::once(async move { Ok::<_, ApiError>(web::Bytes::from(first)) })
        .chain(rest);
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{filename}\""),
        ))
        .streaming(body)
}
