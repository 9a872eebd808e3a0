//! `/api/v1/me/addresses`: the caller's address book. Another customer's address is 404, as
//! if it did not exist.
use crate::auth::AuthUser;
use crate::error::ApiResult;
use crate::state::AppState;
use actix_web::{HttpResponse, delete, get, post, put, web};
use bookstore_model::{Address, AddressId, AddressInput, paths};
use utoipa_actix_web::{scope, service_config::ServiceConfig};

/// Registers this resource's routes (for actix and the OpenAPI document alike).
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(
        scope("/addresses")
            .service(list)
            .service(create)
            .service(replace)
            .service(remove),
    );
}

/// My addresses, oldest first (at most 20).
#[utoipa::path(
    get,
    operation_id = "listMyAddresses",
    tag = "accounts",
    security(("bearer" = [])),
    responses((status = 200, description = "My addresses", body = Vec<Address>))
)]
#[get("")]
pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
) -> ApiResult<web::Json<Vec<Address>>> {
    Ok(web::Json(state.addresses.list(&user).await?))
}

/// Add an address to my address book.
#[utoipa::path(
    post,
    operation_id = "createMyAddress",
    tag = "accounts",
    security(("bearer" = [])),
    request_body = AddressInput,
    responses(
        (status = 201, description = "Added", body = Address, headers(("Location" = String, description = "The address's URL"))),
        (status = 422, description = "A field breaks its rule (`validation_failed`, naming the field), or the book already holds 20 addresses (`too_many_addresses`)"),
        (status = 504, description = "`outcome_unknown`: the store did not confirm the address and reading it back could not tell whether it was added; list the addresses before retrying")
    )
)]
#[post("")]
pub async fn create(
    state: web::Data<AppState>,
    user: AuthUser,
    body: web::Json<AddressInput>,
) -> ApiResult<HttpResponse> {
    let address = state.addresses.create(&user, body.into_inner()).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", paths::my_address(address.id)))
        .json(address))
}

/// Replace one of my addresses.
#[utoipa::path(
    put,
    operation_id = "replaceMyAddress",
    tag = "accounts",
    security(("bearer" = [])),
    params(("id" = AddressId, Path, description = "Address id")),
    request_body = AddressInput,
    responses(
        (status = 200, description = "Replaced", body = Address),
        (status = 404, description = "No such address of mine (`not_found`)"),
        (status = 422, description = "A field breaks its rule (`validation_failed`, naming the field)")
    )
)]
#[put("/{id}")]
pub async fn replace(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<AddressId>,
    body: web::Json<AddressInput>,
) -> ApiResult<web::Json<Address>> {
    Ok(web::Json(
        state
            .addresses
            .replace(&user, *id, body.into_inner())
            .await?,
    ))
}

/// Delete one of my addresses.
#[utoipa::path(
    delete,
    operation_id = "deleteMyAddress",
    tag = "accounts",
    security(("bearer" = [])),
    params(("id" = AddressId, Path, description = "Address id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such address of mine (`not_found`)")
    )
)]
#[delete("/{id}")]
pub async fn remove(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<AddressId>,
) -> ApiResult<HttpResponse> {
    state.addresses.delete(&user, *id).await?;
    Ok(HttpResponse::NoContent().finish())
}
