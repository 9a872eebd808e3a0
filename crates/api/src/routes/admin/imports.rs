//! `/api/v1/admin/imports`: books from a CSV file, checked within the request and applied in
//! the background; each import's progress. The body is read up to `MAX_IMPORT_BYTES` (64 MiB)
//! and no further, whatever the server's general body limit.
use crate::auth::{
    Authorized,
    scope::{CatalogueRead, CatalogueWrite},
};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use bookstore_model::{
    BookImport, ImportId, ImportQuery, ImportReport, MAX_IMPORT_BYTES, Page, PageQuery, paths,
};
use futures::StreamExt;
use utoipa_actix_web::{scope, service_config::ServiceConfig};

/// Registers this resource's routes (for actix and the OpenAPI document alike).
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(
        scope("/imports")
            .service(import_books)
            .route("/books", crate::routes::other_methods("POST"))
            .service(list)
            .service(show),
    );
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
/// header) and column. Otherwise the file is checked the same way, and a file with any problem
/// is refused whole (422 `import_invalid`, the same report in `import`) and nothing is
/// written; a clean file is stored and accepted (202, the import at `Location`), then applied
/// in the background, surviving restarts: poll the import for its progress until it is
/// `completed`. A row that can no longer be applied (its genre was removed meanwhile) is
/// counted as `failed` and listed by line on the import.
#[utoipa::path(
    post,
    operation_id = "importBooks",
    tag = "admin",
    security(("bearer" = []), ("api_key" = ["catalogue:write"]), ("api_key_header" = ["catalogue:write"])),
    extensions(("x-required-role" = json!("staff"))),
    params(ImportQuery),
    request_body(content = String, content_type = "text/csv", description = "The CSV file, UTF-8, with a header row"),
    responses(
        (status = 200, description = "Checked (a dry run): `problems` lists what is wrong", body = ImportReport),
        (status = 202, description = "Accepted: the import, `running`; its rows are applied in the background", body = BookImport, headers(("Location" = String, description = "The import's URL"))),
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
    if q.dry_run {
        return Ok(HttpResponse::Ok().json(state.catalogue.check_import(&bytes).await?));
    }
    let import = state.catalogue.start_import(&admin.0, &bytes).await?;
    Ok(HttpResponse::Accepted()
        .insert_header(("Location", paths::admin_import(import.id)))
        .json(import))
}

/// Recent imports (not dry runs), newest first, with their progress.
#[utoipa::path(
    get,
    operation_id = "listImports",
    tag = "admin",
    security(("bearer" = []), ("api_key" = ["catalogue:read"]), ("api_key_header" = ["catalogue:read"])),
    extensions(("x-required-role" = json!("staff"))),
    params(PageQuery),
    responses(
        (status = 200, description = "A page of imports", body = Page<BookImport>),
        (status = 400, description = "A bad query parameter (`invalid_query`) or cursor (`invalid_cursor`)")
    )
)]
#[get("")]
pub async fn list(
    state: web::Data<AppState>,
    _admin: Authorized<CatalogueRead>,
    q: web::Query<PageQuery>,
) -> ApiResult<web::Json<Page<BookImport>>> {
    Ok(web::Json(state.catalogue.imports(&q).await?))
}

/// One import and its progress: `created`, `updated`, `unchanged` and `failed` add up to
/// `rows` once it is `completed`. An import whose server stopped before accepting it reads as
/// `abandoned` (none of its rows was applied).
#[utoipa::path(
    get,
    operation_id = "getImport",
    tag = "admin",
    security(("bearer" = []), ("api_key" = ["catalogue:read"]), ("api_key_header" = ["catalogue:read"])),
    extensions(("x-required-role" = json!("staff"))),
    params(("id" = ImportId, Path, description = "Import id")),
    responses(
        (status = 200, description = "The import", body = BookImport),
        (status = 404, description = "No such import (`not_found`)")
    )
)]
#[get("/{id}")]
pub async fn show(
    state: web::Data<AppState>,
    _admin: Authorized<CatalogueRead>,
    id: web::Path<ImportId>,
) -> ApiResult<web::Json<BookImport>> {
    Ok(web::Json(state.catalogue.import(*id).await?))
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
