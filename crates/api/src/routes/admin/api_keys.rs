//! `/api/v1/admin/api-keys`: keys for integrators. An owner's login only: a key never manages
//! keys (`OwnerUser` refuses every key with 403 `insufficient_scope`).
use crate::auth::OwnerUser;
use crate::error::ApiResult;
use crate::state::AppState;
use actix_web::{HttpResponse, delete, get, post, web};
use bookstore_model::{ApiKey, ApiKeyCreated, ApiKeyId, NewApiKey, Page, PageQuery};
use utoipa_actix_web::{scope, service_config::ServiceConfig};

/// Registers this resource's routes (for actix and the OpenAPI document alike).
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(
        scope("/api-keys")
            .service(list)
            .service(create)
            .service(show)
            .service(revoke),
    );
}

/// Every key, revoked ones too: name, prefix, scopes, expiry, last use. Never a key itself.
#[utoipa::path(
    get,
    operation_id = "listApiKeys",
    tag = "api-keys",
    security(("bearer" = [])),
    extensions(("x-required-role" = json!("owner"))),
    params(PageQuery),
    responses(
        (status = 200, description = "A page of keys", body = Page<ApiKey>),
        (status = 400, description = "A bad query parameter (`invalid_query`) or cursor (`invalid_cursor`)")
    )
)]
#[get("")]
pub async fn list(
    state: web::Data<AppState>,
    _owner: OwnerUser,
    q: web::Query<PageQuery>,
) -> ApiResult<web::Json<Page<ApiKey>>> {
    Ok(web::Json(state.api_keys.list(&q).await?))
}

/// Makes a key. The key is in this answer and never shown again: the shop keeps its hash.
#[utoipa::path(
    post,
    operation_id = "createApiKey",
    tag = "api-keys",
    security(("bearer" = [])),
    extensions(("x-required-role" = json!("owner"))),
    request_body = NewApiKey,
    responses(
        (status = 201, description = "Made; `key` goes in `Authorization: Bearer` or `X-Api-Key`", body = ApiKeyCreated, headers(("Location" = String, description = "The key's URL"))),
        (status = 422, description = "Invalid (`validation_failed`) or an expiry not in the future (`expiry_in_past`)")
    )
)]
#[post("")]
pub async fn create(
    state: web::Data<AppState>,
    owner: OwnerUser,
    body: web::Json<NewApiKey>,
) -> ApiResult<HttpResponse> {
    let created = state.api_keys.create(&owner.0, body.into_inner()).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            "Location",
            bookstore_model::paths::admin_api_key(created.api_key.id),
        ))
        .json(created))
}

#[utoipa::path(
    get,
    operation_id = "getApiKey",
    tag = "api-keys",
    security(("bearer" = [])),
    extensions(("x-required-role" = json!("owner"))),
    params(("id" = ApiKeyId, Path, description = "Key id")),
    responses(
        (status = 200, description = "The key (never the key itself)", body = ApiKey),
        (status = 404, description = "No such key (`not_found`)")
    )
)]
#[get("/{id}")]
pub async fn show(
    state: web::Data<AppState>,
    _owner: OwnerUser,
    id: web::Path<ApiKeyId>,
) -> ApiResult<web::Json<ApiKey>> {
    Ok(web::Json(state.api_keys.get(*id).await?))
}

/// Revokes the key: every instance refuses it from the next request on. It stays listed,
/// with `revoked_at`, so the audit log's `api-key:<prefix>` can still be told apart.
#[utoipa::path(
    delete,
    operation_id = "revokeApiKey",
    tag = "api-keys",
    security(("bearer" = [])),
    extensions(("x-required-role" = json!("owner"))),
    params(("id" = ApiKeyId, Path, description = "Key id")),
    responses(
        (status = 204, description = "Revoked (or it already was)"),
        (status = 404, description = "No such key (`not_found`)")
    )
)]
#[delete("/{id}")]
pub async fn revoke(
    state: web::Data<AppState>,
    _owner: OwnerUser,
    id: web::Path<ApiKeyId>,
) -> ApiResult<HttpResponse> {
    state.api_keys.revoke(*id).await?;
    Ok(HttpResponse::NoContent().finish())
}
