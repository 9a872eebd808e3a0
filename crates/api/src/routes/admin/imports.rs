//! `/api/v1/admin/imports`: books from a CSV file. The body is read up to
//! `MAX_IMPORT_BYTES` (64 MiB) and no further, whatever the server's general body limit.
use crate::auth::{Authorized, scope::CatalogueWrite};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, post, web};
use bookstore_model::{ImportQuery, ImportReport, MAX_IMPORT_BYTES};
use futures::StreamExt;
use utoipa_actix_web::{scope, service_config::ServiceConfig};

/// Registers this resource's routes (for actix and the OpenAPI document alike).
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(scope("/imports").service(import_books));
}

/// Import books from CSV (UTF-8, a header row). Columns: `isbn`, `title`, `authors` (names
/// separated by `;`), `genre`, `price_cents` (whole minor units), `published_year` (all
/// required); `description` (the only cell that may hold line breaks), `stock`, `stock_mode`
/// (`keep`, the default, or `set`) optional; any other column is refused. Each row is matched
/// by ISBN: a new ISBN adds the book with `stock` copies (none: 0); an existing one gets the
/// row's details, and its stock is left alone unless `stock_mode` is `set` (then it is set to
/// `stock`). Every book added or changed emits `book.created` / `book.updated` and is audited
/// with the import and line. Repeating an import changes nothing (rows count as `unchanged`).
///
/// A text cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is refused (a
/// spreadsheet would run it); `'` before such a cell (as the export writes it) means the text
/// itself, and `'` before a cell starting with `'` is removed too. A row may have at most
/// 65,536 bytes, the body 64 MiB.
///
/// With `dry_run=true` the file is only checked: 200 with every problem by line (1 is the
/// header) and column. Otherwise a file with any problem is refused whole (422
/// `import_invalid`, the same report in `import`) and nothing is written.
#[utoipa::path(
    post,
    operation_id = "importBooks",
    tag = "admin",
    security(("bearer" = []), ("api_key" = ["catalogue:write"]), ("api_key_header" = ["catalogue:write"])),
    extensions(("x-required-role" = json!("staff"))),
    params(ImportQuery),
    request_body(content = String, content_type = "text/csv", description = "The CSV file, UTF-8, with a header row"),
    responses(
        (status = 200, description = "Checked (dry run: `problems` lists what is wrong), or imported", body = ImportReport),
        (status = 413, description = "The body is over 64 MiB (`payload_too_large`)"),
        (status = 415, description = "Not `Content-Type: text/csv` (`unsupported_media_type`)"),
        (status = 422, description = "The file has problems (`import_invalid`; `import` lists them by line and column); nothing was written")
    )
)]
#[post("/books")]
pub async fn import_books(
    state: web::Data<AppState>,
    admin: Authorized<CatalogueWrite>,
    req: HttpRequest,
    q: web::Query<ImportQuery>,
    body: web::Payload,
) -> ApiResult<HttpResponse> {
    let csv = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("text/csv"));
    if !csv {
        return Err(ApiError::UnsupportedMediaType(
            "send the file as Content-Type: text/csv".into(),
        ));
    }
    let bytes = read_capped(body, MAX_IMPORT_BYTES).await?;
    let report = state
        .catalogue
        .import_books(&admin.0, &bytes, q.dry_run)
        .await?;
    Ok(HttpResponse::Ok().json(report))
}

/// The whole body, refused with 413 as soon as it passes `limit` bytes.
async fn read_capped(mut body: web::Payload, limit: usize) -> ApiResult<Vec<u8>> {
    let too_large = || ApiError::PayloadTooLarge(format!("the file is larger than {limit} bytes"));
    let mut out = Vec::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::BadRequest(
                bookstore_model::ProblemCode::BadRequest,
                format!("the body could not be read: {e}"),
            )
        })?;
        if out.len() + chunk.len() > limit {
            return Err(too_large());
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}
