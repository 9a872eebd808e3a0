//! `/api/v1/admin/genres`: the shop's list of genres, the only ones a book may have. Staff
//! read it (the book forms pick from it); the owner adds and removes genres. There is no
//! rename: add the new name, give the books the new genre, remove the old one.
use crate::auth::{OwnerUser, StaffUser};
use crate::error::ApiResult;
use crate::state::AppState;
use actix_web::{HttpResponse, delete, get, post, web};
use bookstore_domain::Error;
use bookstore_model::{Genre, GenreCount, NewGenre};
use utoipa_actix_web::{scope, service_config::ServiceConfig};

/// Registers this resource's routes (for actix and the OpenAPI document alike).
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(scope("/genres").service(list).service(add).service(remove));
}

/// Every genre on the list, by name, with its number of books (0 for a genre no book has
/// yet). A shop whose store predates the list starts with the genres its books have.
#[utoipa::path(
    get,
    operation_id = "listManagedGenres",
    tag = "admin",
    security(("bearer" = [])),
    extensions(("x-required-role" = json!("staff"))),
    responses((status = 200, description = "The list, by name", body = Vec<GenreCount>))
)]
#[get("")]
pub async fn list(
    state: web::Data<AppState>,
    _staff: StaffUser,
) -> ApiResult<web::Json<Vec<GenreCount>>> {
    Ok(web::Json(state.catalogue.managed_genres().await?))
}

/// Adds a genre that books may then have. Renaming a genre: add the new name, give its books
/// the new genre, then remove the old one.
#[utoipa::path(
    post,
    operation_id = "addGenre",
    tag = "admin",
    security(("bearer" = [])),
    extensions(("x-required-role" = json!("owner"))),
    request_body = NewGenre,
    responses(
        (status = 201, description = "Added", body = GenreCount, headers(("Location" = String, description = "The genre's URL (to remove it)"))),
        (status = 409, description = "Already on the list (`genre_exists`)"),
        (status = 422, description = "Not a valid genre name (`validation_failed`)")
    )
)]
#[post("")]
pub async fn add(
    state: web::Data<AppState>,
    owner: OwnerUser,
    body: web::Json<NewGenre>,
) -> ApiResult<HttpResponse> {
    let added = state
        .catalogue
        .add_genre(&owner.0, body.into_inner().genre)
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            "Location",
            bookstore_model::paths::admin_genre(&added.genre),
        ))
        .json(added))
}

/// Removes a genre no book has: books can no longer be given it.
#[utoipa::path(
    delete,
    operation_id = "removeGenre",
    tag = "admin",
    security(("bearer" = [])),
    extensions(("x-required-role" = json!("owner"))),
    params(("name" = String, Path, description = "The genre")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "Not on the list (`not_found`)"),
        (status = 409, description = "Books have this genre (`genre_in_use`): give them another one first")
    )
)]
#[delete("/{name}")]
pub async fn remove(
    state: web::Data<AppState>,
    owner: OwnerUser,
    name: web::Path<String>,
) -> ApiResult<HttpResponse> {
    // A name that is no genre is on no list.
    let genre = Genre::parse(&name).map_err(|_| Error::NotFound("genre"))?;
    state.catalogue.remove_genre(&owner.0, &genre).await?;
    Ok(HttpResponse::NoContent().finish())
}
