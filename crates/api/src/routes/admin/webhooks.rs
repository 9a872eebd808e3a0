//! `/api/v1/admin/webhooks`: endpoints that receive the shop's events, their secrets and
//! delivery logs.
use crate::auth::{Authorized, scope::WebhooksManage};
use crate::error::ApiResult;
use crate::state::AppState;
use actix_web::{HttpResponse, delete, get, post, put, web};
use bookstore_model::{
    Delivery, DeliveryQuery, EventId, Page, Webhook, WebhookCreated, WebhookId, WebhookRequest,
    WebhookSecret,
};
use utoipa_actix_web::{scope, service_config::ServiceConfig};

/// Registers this resource's routes (for actix and the OpenAPI document alike).
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(
        scope("/webhooks")
            .service(list)
            .service(create)
            .service(show)
            .service(update)
            .service(remove)
            .service(rotate_secret)
            .service(deliveries)
            .service(retry),
    );
}

/// Every endpoint, oldest first.
#[utoipa::path(
    get,
    operation_id = "listWebhooks",
    tag = "webhooks",
    security(("bearer" = []), ("api_key" = ["webhooks:manage"]), ("api_key_header" = ["webhooks:manage"])),
    extensions(("x-required-role" = json!("owner"))),
    responses((status = 200, description = "The endpoints (at most 30)", body = Vec<Webhook>))
)]
#[get("")]
pub async fn list(
    state: web::Data<AppState>,
    _admin: Authorized<WebhooksManage>,
) -> ApiResult<web::Json<Vec<Webhook>>> {
    Ok(web::Json(state.webhooks.list().await?))
}

/// Adds an endpoint. Its signing secret is in this answer and never shown again.
#[utoipa::path(
    post,
    operation_id = "createWebhook",
    tag = "webhooks",
    security(("bearer" = []), ("api_key" = ["webhooks:manage"]), ("api_key_header" = ["webhooks:manage"])),
    extensions(("x-required-role" = json!("owner"))),
    request_body = WebhookRequest,
    responses(
        (status = 201, description = "Added; `secret` verifies the `webhook-signature` of every delivery (Standard Webhooks)", body = WebhookCreated, headers(("Location" = String, description = "The endpoint's URL"))),
        (status = 422, description = "Invalid (`validation_failed`), a URL the shop may not call (`webhook_url_refused`), or the shop has 30 endpoints (`too_many_webhooks`)")
    )
)]
#[post("")]
pub async fn create(
    state: web::Data<AppState>,
    admin: Authorized<WebhooksManage>,
    body: web::Json<WebhookRequest>,
) -> ApiResult<HttpResponse> {
    let created = state.webhooks.create(&admin.0, body.into_inner()).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            "Location",
            bookstore_model::paths::admin_webhook(created.webhook.id),
        ))
        .json(created))
}

#[utoipa::path(
    get,
    operation_id = "getWebhook",
    tag = "webhooks",
    security(("bearer" = []), ("api_key" = ["webhooks:manage"]), ("api_key_header" = ["webhooks:manage"])),
    extensions(("x-required-role" = json!("owner"))),
    params(("id" = WebhookId, Path, description = "Endpoint id")),
    responses(
        (status = 200, description = "The endpoint", body = Webhook),
        (status = 404, description = "No such endpoint (`not_found`)")
    )
)]
#[get("/{id}")]
pub async fn show(
    state: web::Data<AppState>,
    _admin: Authorized<WebhooksManage>,
    id: web::Path<WebhookId>,
) -> ApiResult<web::Json<Webhook>> {
    Ok(web::Json(state.webhooks.get(*id).await?))
}

/// Replaces the endpoint's URL, event types and state. Enabling an endpoint the shop disabled
/// for failing clears `disabled_reason`; deliveries that failed meanwhile can be retried.
#[utoipa::path(
    put,
    operation_id = "updateWebhook",
    tag = "webhooks",
    security(("bearer" = []), ("api_key" = ["webhooks:manage"]), ("api_key_header" = ["webhooks:manage"])),
    extensions(("x-required-role" = json!("owner"))),
    params(("id" = WebhookId, Path, description = "Endpoint id")),
    request_body = WebhookRequest,
    responses(
        (status = 200, description = "Updated", body = Webhook),
        (status = 404, description = "No such endpoint (`not_found`)"),
        (status = 409, description = "Changed concurrently (`conflict`)"),
        (status = 422, description = "Invalid (`validation_failed`) or a URL the shop may not call (`webhook_url_refused`)")
    )
)]
#[put("/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    _admin: Authorized<WebhooksManage>,
    id: web::Path<WebhookId>,
    body: web::Json<WebhookRequest>,
) -> ApiResult<web::Json<Webhook>> {
    Ok(web::Json(
        state.webhooks.update(*id, body.into_inner()).await?,
    ))
}

/// Removes the endpoint; deliveries still due to it fail.
#[utoipa::path(
    delete,
    operation_id = "deleteWebhook",
    tag = "webhooks",
    security(("bearer" = []), ("api_key" = ["webhooks:manage"]), ("api_key_header" = ["webhooks:manage"])),
    extensions(("x-required-role" = json!("owner"))),
    params(("id" = WebhookId, Path, description = "Endpoint id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such endpoint (`not_found`)")
    )
)]
#[delete("/{id}")]
pub async fn remove(
    state: web::Data<AppState>,
    _admin: Authorized<WebhooksManage>,
    id: web::Path<WebhookId>,
) -> ApiResult<HttpResponse> {
    state.webhooks.delete(*id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A new signing secret, shown once. The previous one signs too for 24 hours (both signatures
/// in `webhook-signature`), so the receiver can switch without missing a delivery.
#[utoipa::path(
    post,
    operation_id = "rotateWebhookSecret",
    tag = "webhooks",
    security(("bearer" = []), ("api_key" = ["webhooks:manage"]), ("api_key_header" = ["webhooks:manage"])),
    extensions(("x-required-role" = json!("owner"))),
    params(("id" = WebhookId, Path, description = "Endpoint id")),
    responses(
        (status = 200, description = "The new secret", body = WebhookSecret),
        (status = 404, description = "No such endpoint (`not_found`)"),
        (status = 409, description = "Changed concurrently (`conflict`)")
    )
)]
#[post("/{id}/secret")]
pub async fn rotate_secret(
    state: web::Data<AppState>,
    _admin: Authorized<WebhooksManage>,
    id: web::Path<WebhookId>,
) -> ApiResult<web::Json<WebhookSecret>> {
    Ok(web::Json(state.webhooks.rotate_secret(*id).await?))
}

/// The endpoint's deliveries, newest first: status, attempts, last answer.
#[utoipa::path(
    get,
    operation_id = "listWebhookDeliveries",
    tag = "webhooks",
    security(("bearer" = []), ("api_key" = ["webhooks:manage"]), ("api_key_header" = ["webhooks:manage"])),
    extensions(("x-required-role" = json!("owner"))),
    params(("id" = WebhookId, Path, description = "Endpoint id"), DeliveryQuery),
    responses(
        (status = 200, description = "A page of deliveries", body = Page<Delivery>),
        (status = 400, description = "A bad query parameter (`invalid_query`) or cursor (`invalid_cursor`)"),
        (status = 404, description = "No such endpoint (`not_found`)")
    )
)]
#[get("/{id}/deliveries")]
pub async fn deliveries(
    state: web::Data<AppState>,
    _admin: Authorized<WebhooksManage>,
    id: web::Path<WebhookId>,
    q: web::Query<DeliveryQuery>,
) -> ApiResult<web::Json<Page<Delivery>>> {
    Ok(web::Json(state.webhooks.deliveries(*id, &q).await?))
}

/// Delivers the event again now (a replay: same `webhook-id`), with a retry period of its own.
#[utoipa::path(
    post,
    operation_id = "retryWebhookDelivery",
    tag = "webhooks",
    security(("bearer" = []), ("api_key" = ["webhooks:manage"]), ("api_key_header" = ["webhooks:manage"])),
    extensions(("x-required-role" = json!("owner"))),
    params(
        ("id" = WebhookId, Path, description = "Endpoint id"),
        ("delivery" = EventId, Path, description = "The delivery's event id")
    ),
    responses(
        (status = 202, description = "Scheduled now", body = Delivery),
        (status = 404, description = "No such delivery (`not_found`)"),
        (status = 409, description = "Still being attempted (`delivery_pending`)")
    )
)]
#[post("/{id}/deliveries/{delivery}/retry")]
pub async fn retry(
    state: web::Data<AppState>,
    _admin: Authorized<WebhooksManage>,
    path: web::Path<(WebhookId, EventId)>,
) -> ApiResult<HttpResponse> {
    let (id, event) = path.into_inner();
    let delivery = state.webhooks.retry(id, event).await?;
    Ok(HttpResponse::Accepted().json(delivery))
}
