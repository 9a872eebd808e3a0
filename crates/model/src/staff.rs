//! The shop's people: owners and staff, their invitations and role changes.
use crate::{Email, Password, PersonName, Role, UserId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An owner or a staff member, as listed by `GET /api/v1/admin/staff`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct StaffMember {
    pub id: UserId,
    pub email: Email,
    pub name: PersonName,
    /// `owner` or `staff`.
    pub role: Role,
}

/// The body of `POST /api/v1/admin/staff/invitations`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewStaffInvitation {
    pub email: Email,
    #[schema(schema_with = crate::schema::staff_role)]
    pub role: Role,
}

/// An invitation just made. The token is in this answer only: the shop keeps its hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct StaffInvitation {
    pub email: Email,
    pub role: Role,
    /// Single use; send it to the invitee (as `link`) by a channel of your choice.
    pub token: String,
    /// The SPA's page that accepts it, on the shop's origin: `/staff-invitation?token=…`.
    pub link: String,
    pub expires_at: DateTime<Utc>,
}

/// The body of `POST /api/v1/staff-invitations/accept`. Without an account under the
/// invitation's e-mail, `name` and `password` make one; with one, the request must carry that
/// account's bearer token (log in first) and the fields are left out.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptStaffInvitation {
    pub token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<PersonName>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<Password>,
}

impl std::fmt::Debug for AcceptStaffInvitation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AcceptStaffInvitation")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// The body of `PUT /api/v1/admin/staff/{user_id}/role`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleChange {
    /// `owner` or `staff` (`customer` is `DELETE /api/v1/admin/staff/{user_id}`).
    pub role: Role,
}
