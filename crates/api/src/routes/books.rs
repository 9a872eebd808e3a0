use super::etag;
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use actix_web::http::header::ContentType;
use actix_web::{HttpResponse, Scope, get, web};
use bookstore_model::{Book, BookId, BookQuery, MAX_QUERY_CHARS, Page, ProblemCode};

pub fn scope() -> Scope {
    web::scope("/books").service(list).service(show)
}

/// Browse and search the catalogue.
#[utoipa::path(
    get,
    path = "/api/v1/books",
    tag = "catalogue",
    params(BookQuery),
    responses(
        (status = 200, body = Page<Book>),
        (status = 400, description = "Bad query parameter (`invalid_query`: e.g. `q` over 200 characters) or cursor (`invalid_cursor`)", body = bookstore_model::Problem, content_type = "application/problem+json")
    )
)]
#[get("")]
pub async fn list(
    state: web::Data<AppState>,
    q: web::Query<BookQuery>,
) -> ApiResult<web::Json<db::books::BookPage>> {
    if q.q
        .as_ref()
        .is_some_and(|t| t.chars().count() > MAX_QUERY_CHARS)
    {
        return Err(ApiError::BadRequest(
            ProblemCode::InvalidQuery,
            format!("q must be at most {MAX_QUERY_CHARS} characters"),
        ));
    }
    Ok(web::Json(db::books::list(&state, &q).await?))
}

/// One book. The `ETag` header carries its version for `If-Match`.
#[utoipa::path(
    get,
    path = "/api/v1/books/{id}",
    tag = "catalogue",
    params(("id" = BookId, Path, description = "Book id")),
    responses(
        (status = 200, body = Book, headers(("ETag" = String, description = "The book's version, quoted"))),
        (status = 404, body = bookstore_model::Problem, content_type = "application/problem+json")
    )
)]
#[get("/{id}")]
pub async fn show(state: web::Data<AppState>, id: web::Path<BookId>) -> ApiResult<HttpResponse> {
    let book = db::books::get_json(&state, *id)
        .await?
        .ok_or(ApiError::NotFound("book"))?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(book.version))
        .content_type(ContentType::json())
        .body(book.json.get().to_owned()))
}
