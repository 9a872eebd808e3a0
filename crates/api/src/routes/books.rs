use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use actix_web::http::header::{self, ContentType};
use actix_web::{HttpRequest, HttpResponse, delete, get, put, web};
use bookstore_model::{Book, BookId, BookQuery, MAX_QUERY_CHARS, Page, ProblemCode};
use utoipa_actix_web::{scope, service_config::ServiceConfig};

/// Registers this resource's routes (for actix and the OpenAPI document alike).
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(
        scope("/books")
            .service(list)
            .service(show)
            .service(notify_me)
            .service(stop_notifying),
    );
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

/// Asks to be mailed, once, when this sold-out book is back in stock.
#[utoipa::path(
    put,
    operation_id = "notifyMeWhenInStock",
    tag = "catalogue",
    security(("bearer" = [])),
    params(("id" = BookId, Path, description = "Book id")),
    responses(
        (status = 204, description = "Subscribed (again: nothing changes)"),
        (status = 401, description = "No token, or an invalid one (`unauthorized`)"),
        (status = 404, description = "No such book (`not_found`)"),
        (status = 409, description = "The book is in stock: order it (`in_stock`)")
    )
)]
#[put("/{id}/notify-me")]
pub async fn notify_me(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<BookId>,
) -> ApiResult<HttpResponse> {
    state.catalogue.notify_me(&user, *id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Withdraws a "notify me" (nothing happens if there was none).
#[utoipa::path(
    delete,
    operation_id = "stopNotifyingWhenInStock",
    tag = "catalogue",
    security(("bearer" = [])),
    params(("id" = BookId, Path, description = "Book id")),
    responses(
        (status = 204, description = "No subscription left"),
        (status = 401, description = "No token, or an invalid one (`unauthorized`)")
    )
)]
#[delete("/{id}/notify-me")]
pub async fn stop_notifying(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<BookId>,
) -> ApiResult<HttpResponse> {
    state.catalogue.stop_notifying(&user, *id).await?;
    Ok(HttpResponse::NoContent().finish())
}
