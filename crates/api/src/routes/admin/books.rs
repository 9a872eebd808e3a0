use crate::auth::{Authorized, scope::CatalogueWrite};
use crate::error::{ApiError, ApiResult};
use crate::routes::{IfMatch, book_response, parse_if_match};
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, delete, get, post, put, web};
use bookstore_model::{
    Book, BookDetails, BookId, InventoryItem, LowStockThreshold, NewBook, StockAdjustment,
};
use utoipa_actix_web::{scope, service_config::ServiceConfig};

/// Registers this resource's routes (for actix and the OpenAPI document alike).
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(
        scope("/books")
            .service(create)
            .service(update)
            .service(remove)
            .service(adjust_stock)
            .service(get_inventory)
            .service(set_threshold),
    );
}

/// Add a book.
#[utoipa::path(
    post,
    operation_id = "createBook",
    tag = "admin",
    security(("bearer" = []), ("api_key" = ["catalogue:write"]), ("api_key_header" = ["catalogue:write"])),
    extensions(("x-required-role" = json!("staff"))),
    request_body = NewBook,
    responses(
        (status = 201, description = "Added", body = Book, headers(("ETag" = String, description = "The book's `ETag`: `\"<version>-<hash>\"`"), ("Location" = String, description = "The book's URL"))),
        (status = 409, description = "Another book has this ISBN (`isbn_taken`)"),
        (status = 422, description = "The body is not valid (`validation_failed`), or its genre is not on the shop's list (`unknown_genre`; the detail names the closest listed genre, `GET /api/v1/admin/genres` lists them)")
    )
)]
#[post("")]
pub async fn create(
    state: web::Data<AppState>,
    admin: Authorized<CatalogueWrite>,
    body: web::Json<NewBook>,
) -> ApiResult<HttpResponse> {
    let book = state.catalogue.create(&admin.0, body.into_inner()).await?;
    let mut created = HttpResponse::Created();
    created.insert_header(("Location", format!("/api/v1/books/{}", book.id)));
    book_response(created, &book)
}

/// Replace a book's details (not its stock). Requires `If-Match`: the book's `ETag` or its
/// version as read (`"3"`), refused with 412 if the details changed since; or `*`.
#[utoipa::path(
    put,
    operation_id = "updateBook",
    tag = "admin",
    security(("bearer" = []), ("api_key" = ["catalogue:write"]), ("api_key_header" = ["catalogue:write"])),
    extensions(("x-required-role" = json!("staff"))),
    params(("id" = BookId, Path, description = "Book id"), ("If-Match" = String, Header, description = "`*` (the book exists), the book's `ETag` as read (`\"3-…\"`, also weak) or its version (`\"3\"`); only the version is compared", pattern = "^(?:\\*|(?:W/)?\"*\\+?0*[0-9]{1,18}(?:-[\t -~]*)?\"*)$")),
    request_body = BookDetails,
    responses(
        (status = 200, description = "Updated", body = Book, headers(("ETag" = String, description = "The book's new `ETag`: `\"<version>-<hash>\"`"))),
        (status = 404, description = "No such book (`not_found`)"),
        (status = 409, description = "Another book has this ISBN (`isbn_taken`)"),
        (status = 412, description = "Stale version (`precondition_failed`); `current_version` says the current one"),
        (status = 422, description = "The body is not valid (`validation_failed`), or its genre is not on the shop's list (`unknown_genre`; the detail names the closest listed genre, `GET /api/v1/admin/genres` lists them)"),
        (status = 428, description = "If-Match missing (`precondition_required`)")
    )
)]
#[put("/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    admin: Authorized<CatalogueWrite>,
    req: HttpRequest,
    id: web::Path<BookId>,
    body: web::Json<BookDetails>,
) -> ApiResult<HttpResponse> {
    let version = match parse_if_match(&req)? {
        IfMatch::Absent => return Err(ApiError::PreconditionRequired),
        precondition => precondition.version(),
    };
    let book = state
        .catalogue
        .update(&admin.0, *id, version, body.into_inner())
        .await?;
    book_response(HttpResponse::Ok(), &book)
}

/// Remove a book from the catalogue; orders keep their snapshots. `If-Match` is optional.
#[utoipa::path(
    delete,
    operation_id = "deleteBook",
    tag = "admin",
    security(("bearer" = []), ("api_key" = ["catalogue:write"]), ("api_key_header" = ["catalogue:write"])),
    extensions(("x-required-role" = json!("staff"))),
    params(("id" = BookId, Path, description = "Book id"), ("If-Match" = Option<String>, Header, nullable = false, description = "`*` (the book exists), the book's `ETag` as read (`\"3-…\"`, also weak) or its version (`\"3\"`); only the version is compared", pattern = "^(?:\\*|(?:W/)?\"*\\+?0*[0-9]{1,18}(?:-[\t -~]*)?\"*)$")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such book (`not_found`)"),
        (status = 412, description = "Stale version (`precondition_failed`); `current_version` says the current one")
    )
)]
#[delete("/{id}")]
pub async fn remove(
    state: web::Data<AppState>,
    admin: Authorized<CatalogueWrite>,
    req: HttpRequest,
    id: web::Path<BookId>,
) -> ApiResult<HttpResponse> {
    let version = parse_if_match(&req)?.version();
    state.catalogue.delete(&admin.0, *id, version).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Restock (positive delta) or write off (negative); stock never goes below zero.
#[utoipa::path(
    post,
    operation_id = "adjustStock",
    tag = "admin",
    security(("bearer" = []), ("api_key" = ["catalogue:write"]), ("api_key_header" = ["catalogue:write"])),
    extensions(("x-required-role" = json!("staff"))),
    params(("id" = BookId, Path, description = "Book id")),
    request_body = StockAdjustment,
    responses(
        (status = 200, description = "The book with its new stock", body = Book, headers(("ETag" = String, description = "The book's `ETag`: `\"<version>-<hash>\"`"))),
        (status = 404, description = "No such book (`not_found`)"),
        (status = 409, description = "The stock would go below zero (`stock_would_go_negative`)")
    )
)]
#[post("/{id}/stock")]
pub async fn adjust_stock(
    state: web::Data<AppState>,
    admin: Authorized<CatalogueWrite>,
    id: web::Path<BookId>,
    body: web::Json<StockAdjustment>,
) -> ApiResult<HttpResponse> {
    let book = state
        .catalogue
        .adjust_stock(&admin.0, *id, body.into_inner())
        .await?;
    book_response(HttpResponse::Ok(), &book)
}

/// A book as the inventory shows it: stock, units sold and its low-stock threshold.
#[utoipa::path(
    get,
    operation_id = "getBookInventory",
    tag = "admin",
    security(("bearer" = []), ("api_key" = ["catalogue:write"]), ("api_key_header" = ["catalogue:write"])),
    extensions(("x-required-role" = json!("staff"))),
    params(("id" = BookId, Path, description = "Book id")),
    responses(
        (status = 200, description = "The book's stock and threshold", body = InventoryItem),
        (status = 404, description = "No such book (`not_found`)")
    )
)]
#[get("/{id}/low-stock-threshold")]
pub async fn get_inventory(
    state: web::Data<AppState>,
    _admin: Authorized<CatalogueWrite>,
    id: web::Path<BookId>,
) -> ApiResult<web::Json<InventoryItem>> {
    Ok(web::Json(state.catalogue.inventory_item(*id).await?))
}

/// Set a book's low-stock threshold (`null`: the shop's default, setting
/// `inventory.low_stock_threshold`). The book is low on stock at or below it; a stock that
/// crosses it from above raises `stock.low`, and so does a raised threshold that puts the
/// stock at or below it. Bumps the book's version.
#[utoipa::path(
    put,
    operation_id = "setLowStockThreshold",
    tag = "admin",
    security(("bearer" = []), ("api_key" = ["catalogue:write"]), ("api_key_header" = ["catalogue:write"])),
    extensions(("x-required-role" = json!("staff"))),
    params(("id" = BookId, Path, description = "Book id")),
    request_body = LowStockThreshold,
    responses(
        (status = 200, description = "The book's stock and new threshold", body = InventoryItem),
        (status = 404, description = "No such book (`not_found`)"),
        (status = 409, description = "The stock kept changing; retry (`conflict`)")
    )
)]
#[put("/{id}/low-stock-threshold")]
pub async fn set_threshold(
    state: web::Data<AppState>,
    admin: Authorized<CatalogueWrite>,
    id: web::Path<BookId>,
    body: web::Json<LowStockThreshold>,
) -> ApiResult<web::Json<InventoryItem>> {
    let item = state
        .catalogue
        .set_low_stock_threshold(&admin.0, *id, body.into_inner())
        .await?;
    Ok(web::Json(item))
}
