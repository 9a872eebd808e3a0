//! `/api/v1/admin/staff`: the shop's owners and staff. Owners only; a key never manages them.
use crate::auth::OwnerUser;
use crate::error::ApiResult;
use crate::state::AppState;
use actix_web::{HttpResponse, delete, get, post, put, web};
use bookstore_model::{NewStaffInvitation, Role, RoleChange, StaffInvitation, StaffMember, UserId};
use utoipa_actix_web::{scope, service_config::ServiceConfig};

/// Registers this resource's routes (for actix and the OpenAPI document alike).
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(
        scope("/staff")
            .service(list)
            .service(invite)
            .route("/invitations", crate::routes::other_methods("POST"))
            .service(change_role)
            .service(remove),
    );
}

/// Every owner and staff member, owners first.
#[utoipa::path(
    get,
    operation_id = "listStaff",
    tag = "staff",
    security(("bearer" = [])),
    extensions(("x-required-role" = json!("owner"))),
    responses((status = 200, description = "The owners and staff", body = Vec<StaffMember>))
)]
#[get("")]
pub async fn list(
    state: web::Data<AppState>,
    _owner: OwnerUser,
) -> ApiResult<web::Json<Vec<StaffMember>>> {
    Ok(web::Json(state.users.staff().await?))
}

/// Invites someone to join as `staff` or `owner`. The answer holds a single-use token and the
/// SPA's link that accepts it (`POST /api/v1/staff-invitations/accept`), shown this once: pass
/// it on yourself. It expires after `staff_invitation_ttl_secs` (7 days by default).
/// Audited as `staff.invite`.
#[utoipa::path(
    post,
    operation_id = "inviteStaff",
    tag = "staff",
    security(("bearer" = [])),
    extensions(("x-required-role" = json!("owner"))),
    request_body = NewStaffInvitation,
    responses(
        (status = 201, description = "The invitation, with its token", body = StaffInvitation),
        (status = 422, description = "Invalid, or a role other than `staff` or `owner` (`validation_failed`)")
    )
)]
#[post("/invitations")]
pub async fn invite(
    state: web::Data<AppState>,
    owner: OwnerUser,
    body: web::Json<NewStaffInvitation>,
) -> ApiResult<HttpResponse> {
    let NewStaffInvitation { email, role } = body.into_inner();
    let invitation = state.users.invite(&owner, email, role).await?;
    Ok(HttpResponse::Created().json(invitation))
}

/// Makes a staff member an owner, or an owner staff (`customer` removes them, as `DELETE`).
/// Takes effect on the member's next request. Audited as `staff.role`.
#[utoipa::path(
    put,
    operation_id = "changeStaffRole",
    tag = "staff",
    security(("bearer" = [])),
    extensions(("x-required-role" = json!("owner"))),
    params(("user_id" = UserId, Path, description = "The member's account id")),
    request_body = RoleChange,
    responses(
        (status = 200, description = "The member with the new role", body = StaffMember),
        (status = 404, description = "No owner or staff member has this id (`not_found`)"),
        (status = 409, description = "It would leave the shop without an owner (`last_owner`), or the account changed meanwhile (`conflict`)")
    )
)]
#[put("/{user_id}/role")]
pub async fn change_role(
    state: web::Data<AppState>,
    owner: OwnerUser,
    user_id: web::Path<UserId>,
    body: web::Json<RoleChange>,
) -> ApiResult<web::Json<StaffMember>> {
    let member = state
        .users
        .change_role(&owner, *user_id, body.into_inner().role)
        .await?;
    Ok(web::Json(member))
}

/// Takes a member off the staff: the account stays, as a customer's. Takes effect on the
/// member's next request. Audited as `staff.remove`.
#[utoipa::path(
    delete,
    operation_id = "removeStaff",
    tag = "staff",
    security(("bearer" = [])),
    extensions(("x-required-role" = json!("owner"))),
    params(("user_id" = UserId, Path, description = "The member's account id")),
    responses(
        (status = 204, description = "Removed: the account is a customer's"),
        (status = 404, description = "No owner or staff member has this id (`not_found`)"),
        (status = 409, description = "It is the last owner (`last_owner`), or the account changed meanwhile (`conflict`)")
    )
)]
#[delete("/{user_id}")]
pub async fn remove(
    state: web::Data<AppState>,
    owner: OwnerUser,
    user_id: web::Path<UserId>,
) -> ApiResult<HttpResponse> {
    state
        .users
        .change_role(&owner, *user_id, Role::Customer)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
