use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use actix_web::http::header::{self, ContentType};
use actix_web::{HttpRequest, HttpResponse, get, web};
use bookstore_model::{Book, BookId, BookQuery, MAX_QUERY_CHARS, Page, ProblemCode};
use utoipa_actix_web::{scope, service_config::ServiceConfig};

/// Registers this resource's routes (for actix and the OpenAPI document alike).
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(scope("/books").service(list).service(show));
}

/// Browse and search the catalogue.
#[utoipa::path(
    get,
    operation_id = "listBooks",
    tag = "catalogue",
    params(BookQuery),
    responses(
        (status = 200, description = "A page of books", body = Page<Book>),
        (status = 400, description = "A bad query parameter (`invalid_query`: e.g. `q` over 200 characters) or cursor (`invalid_cursor`)")
    )
)]
#[get("")]
pub async fn list(
    state: web::Data<AppState>,
    q: web::Query<BookQuery>,
) -> ApiResult<web::Json<bookstore_domain::catalogue::BookPage>> {
    if q.q
        .as_ref()
        .is_some_and(|t| t.chars().count() > MAX_QUERY_CHARS)
    {
        return Err(ApiError::BadRequest(
            ProblemCode::InvalidQuery,
            format!("q must be at most {MAX_QUERY_CHARS} characters"),
        ));
    }
    Ok(web::Json(state.catalogue.list(&q).await?))
}

/// One book. Its `ETag` changes whenever the book does (stock included); it serves as
/// `If-None-Match` to revalidate and as `If-Match` for an admin edit.
#[utoipa::path(
    get,
    operation_id = "getBook",
    tag = "catalogue",
    params(("id" = BookId, Path, description = "Book id")),
    responses(
        (status = 200, description = "The book", body = Book, headers(("ETag" = String, description = "Changes whenever the book does, stock included: `\"<version>-<hash>\"`"))),
        (status = 304, description = "`If-None-Match` names the current `ETag`"),
        (status = 404, description = "No such book (`not_found`)")
    )
)]
#[get("/{id}")]
pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<BookId>,
) -> ApiResult<HttpResponse> {
    let book = state
        .catalogue
        .get_json(*id)
        .await?
        .ok_or(ApiError::NotFound("book"))?;
    let etag = (header::ETAG, &*book.etag);
    // A cache revalidating what it holds: unchanged, it gets no body.
    if super::not_modified(&req, &book.etag) {
        return Ok(HttpResponse::NotModified().insert_header(etag).finish());
    }
    Ok(HttpResponse::Ok()
        .insert_header(etag)
        .content_type(ContentType::json())
        .body(book.json.get().to_owned()))
}
