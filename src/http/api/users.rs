//! `/api/v1/directories/{directory}/users`: the host application reads a directory's users —
//! by state, searched, sorted, in cursor pages — and one user with its groups, effective roles,
//! suspension and recent events; and acts on them: suspend, unsuspend, restore or purge an
//! archived user. Nothing here edits what the identity provider owns (see `service`).

use std::sync::Arc;

use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::Example;
use poem_openapi::{ApiResponse, Object, OpenApi};
use serde_json::{Value, json};

use super::ApiTags;
use super::error::ApiErrorResponse;
use crate::http::AppState;
use crate::http::auth::AdminAuth;
use crate::scim::resource::format_time;
use crate::service::Kind;
use crate::service::user_views::{RoleGrant, UserDetail, UserListRequest, UserSummary};

/// A user as listings show it.
#[derive(Debug, Object)]
#[oai(example)]
pub struct UserItem {
    pub id: String,
    pub user_name: String,
    /// `displayName`, else given and family name, else `userName`.
    pub display_name: String,
    /// The primary email (else the first one).
    pub email: Option<String>,
    /// `active`, `inactive` (the identity provider set `active: false`), `suspended` (locally,
    /// by an admin) or `archived` (deleted through SCIM, restorable).
    pub state: String,
    /// `scim` (provisioned by an identity provider) or `local` (imported by the operator).
    pub source: String,
    /// Effective roles: its SCIM `roles` plus those mapped to its groups.
    pub roles: Vec<String>,
    pub created_at: String,
    /// The last change of its SCIM representation (for an archived user: its deletion).
    pub last_modified_at: String,
}

impl Example for UserItem {
    fn example() -> Self {
        UserItem {
            id: "2819c223-7f76-453a-919d-413861904646".into(),
            user_name: "bjensen@example.com".into(),
            display_name: "Barbara Jensen".into(),
            email: Some("bjensen@example.com".into()),
            state: "active".into(),
            source: "scim".into(),
            roles: vec!["admin".into()],
            created_at: "2026-12-01T09:30:00.000Z".into(),
            last_modified_at: "2026-12-05T10:00:00.000Z".into(),
        }
    }
}

impl From<UserSummary> for UserItem {
    fn from(u: UserSummary) -> Self {
        UserItem {
            id: u.id,
            user_name: u.user_name,
            display_name: u.display_name,
            email: u.email,
            state: u.state,
            source: u.source,
            roles: u.roles,
            created_at: format_time(u.created),
            last_modified_at: format_time(u.last_modified),
        }
    }
}

/// A page of users.
#[derive(Debug, Object)]
pub struct UserPageBody {
    pub data: Vec<UserItem>,
    /// Pass as `after` for the next page; absent on the last page.
    #[oai(skip_serializing_if_is_none)]
    pub after: Option<String>,
}

/// A group a user is in.
#[derive(Debug, Object)]
pub struct UserGroupBody {
    pub id: String,
    pub display_name: String,
    /// `false` when the user is in it only through a nested group.
    pub direct: bool,
}

/// A role and where it comes from.
#[derive(Debug, Object)]
pub struct RoleGrantBody {
    pub role: String,
    /// Whether the user's own SCIM `roles` carry it.
    pub from_scim: bool,
    /// The groups (display names) whose mapping gives it.
    pub from_groups: Vec<String>,
}

/// A local suspension.
#[derive(Debug, Object)]
pub struct SuspensionBody {
    pub reason: String,
    pub suspended_at: String,
    /// Who suspended the user (as events show actors).
    pub suspended_by: Value,
}

/// An archived user's deletion.
#[derive(Debug, Object)]
pub struct ArchivalBody {
    pub deleted_at: String,
    pub deleted_by: Value,
    /// When it is purged unless restored first.
    pub purge_after: String,
}

/// One user with everything known about it.
#[derive(Debug, Object)]
#[oai(example)]
pub struct UserDetailBody {
    #[oai(flatten)]
    pub user: UserItem,
    /// The SCIM representation (RFC 7643 §4.1), as the identity provider sent it.
    pub scim: Value,
    /// Groups, direct ones first.
    pub groups: Vec<UserGroupBody>,
    /// Effective roles with their sources.
    pub role_sources: Vec<RoleGrantBody>,
    #[oai(skip_serializing_if_is_none)]
    pub suspension: Option<SuspensionBody>,
    #[oai(skip_serializing_if_is_none)]
    pub archived: Option<ArchivalBody>,
    /// Its last 20 events, newest first (the same objects as `/events`).
    pub events: Vec<Value>,
}

impl Example for UserDetailBody {
    fn example() -> Self {
        UserDetailBody {
            user: UserItem::example(),
            scim: json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "id": "2819c223-7f76-453a-919d-413861904646",
                "userName": "bjensen@example.com",
                "active": true
            }),
            groups: vec![UserGroupBody {
                id: "e9e30dba-f08f-4109-8486-d5c6a331660a".into(),
                display_name: "Admins".into(),
                direct: true,
            }],
            role_sources: vec![RoleGrantBody {
                role: "admin".into(),
                from_scim: false,
                from_groups: vec!["Admins".into()],
            }],
            suspension: None,
            archived: None,
            events: Vec::new(),
        }
    }
}

impl From<UserDetail> for UserDetailBody {
    fn from(d: UserDetail) -> Self {
        UserDetailBody {
            user: d.summary.into(),
            scim: d.scim,
            groups: d
                .groups
                .into_iter()
                .map(|g| UserGroupBody {
                    id: g.id,
                    display_name: g.display_name,
                    direct: g.direct,
                })
                .collect(),
            role_sources: d.roles.into_iter().map(RoleGrantBody::from).collect(),
            suspension: d.suspension.map(|s| SuspensionBody {
                reason: s.reason,
                suspended_at: format_time(s.at),
                suspended_by: s.by,
            }),
            archived: d.archived.map(|(at, by, purge)| ArchivalBody {
                deleted_at: format_time(at),
                deleted_by: by,
                purge_after: format_time(purge),
            }),
            events: d.events,
        }
    }
}

impl From<RoleGrant> for RoleGrantBody {
    fn from(g: RoleGrant) -> Self {
        RoleGrantBody {
            role: g.role,
            from_scim: g.from_scim,
            from_groups: g.groups,
        }
    }
}

/// Why a user is suspended.
#[derive(Debug, Object)]
pub struct SuspendBody {
    /// Shown to admins and carried by the `user.suspended` event.
    pub reason: Option<String>,
}

#[derive(ApiResponse)]
enum PurgeResponse {
    /// Erased; `user.purged` recorded.
    #[oai(status = 204)]
    Purged,
}

/// The users endpoints.
pub struct UsersApi;

#[OpenApi(tag = "ApiTags::Users")]
impl UsersApi {
    /// A page of the directory's users. Every `state` with every `sort` walks an index, so any
    /// page of a walk costs the same. `q` matches a prefix of userName, given or family name,
    /// displayName or an email (case-insensitive), or of externalId (as typed).
    #[oai(path = "/directories/:directory/users", method = "get")]
    #[allow(clippy::too_many_arguments)]
    async fn list(
        &self,
        auth: AdminAuth,
        state: Data<&Arc<AppState>>,
        directory: Path<String>,
        /// `active`, `inactive`, `suspended` or `archived`; all but archived without it.
        #[oai(name = "state")]
        user_state: Query<Option<String>>,
        /// A search prefix.
        q: Query<Option<String>>,
        /// `name` (family then given name; the default), `userName`, `created`, `lastModified`.
        sort: Query<Option<String>>,
        /// `asc` (default) or `desc`.
        order: Query<Option<String>>,
        /// Page size, 1 to 500 (default 50).
        limit: Query<Option<i64>>,
        /// The `after` of the previous page.
        after: Query<Option<String>>,
    ) -> Result<Json<UserPageBody>, ApiErrorResponse> {
        let ctx = state.service.enter(&auth.0, &directory).await?;
        let req = UserListRequest {
            state: user_state.0,
            q: q.0,
            sort: sort.0,
            order: order.0,
            limit: limit.0,
            after: after.0,
        };
        let page = state.service.list_users(&ctx, &req).await?;
        Ok(Json(UserPageBody {
            data: page.data.into_iter().map(UserItem::from).collect(),
            after: page.after,
        }))
    }

    /// One user, present or archived: its SCIM representation, groups (direct and inherited),
    /// effective roles with their sources, suspension, and last 20 events.
    #[oai(path = "/directories/:directory/users/:id", method = "get")]
    async fn get(
        &self,
        auth: AdminAuth,
        state: Data<&Arc<AppState>>,
        directory: Path<String>,
        id: Path<String>,
    ) -> Result<Json<UserDetailBody>, ApiErrorResponse> {
        let ctx = state.service.enter(&auth.0, &directory).await?;
        Ok(Json(state.service.user_detail(&ctx, &id).await?.into()))
    }

    /// Suspends the user locally (state `suspended`, `user.suspended`), whatever its identity
    /// provider says; the provider's updates do not lift it. SCIM keeps showing `active` as the
    /// provider sent it. Suspending a suspended user changes nothing.
    #[oai(path = "/directories/:directory/users/:id/suspend", method = "post")]
    async fn suspend(
        &self,
        auth: AdminAuth,
        state: Data<&Arc<AppState>>,
        directory: Path<String>,
        id: Path<String>,
        body: Json<SuspendBody>,
    ) -> Result<Json<UserDetailBody>, ApiErrorResponse> {
        let ctx = state.service.enter(&auth.0, &directory).await?;
        let reason = body.0.reason.unwrap_or_default();
        state.service.suspend(&ctx, &id, &reason).await?;
        Ok(Json(state.service.user_detail(&ctx, &id).await?.into()))
    }

    /// Lifts a local suspension (`user.unsuspended`).
    #[oai(path = "/directories/:directory/users/:id/unsuspend", method = "post")]
    async fn unsuspend(
        &self,
        auth: AdminAuth,
        state: Data<&Arc<AppState>>,
        directory: Path<String>,
        id: Path<String>,
    ) -> Result<Json<UserDetailBody>, ApiErrorResponse> {
        let ctx = state.service.enter(&auth.0, &directory).await?;
        state.service.unsuspend(&ctx, &id).await?;
        Ok(Json(state.service.user_detail(&ctx, &id).await?.into()))
    }

    /// Restores an archived user with its id, attributes and the groups it was in that still
    /// exist (`user.restored`). `409` if its userName was taken meanwhile.
    #[oai(path = "/directories/:directory/users/:id/restore", method = "post")]
    async fn restore(
        &self,
        auth: AdminAuth,
        state: Data<&Arc<AppState>>,
        directory: Path<String>,
        id: Path<String>,
    ) -> Result<Json<UserDetailBody>, ApiErrorResponse> {
        let ctx = state.service.enter(&auth.0, &directory).await?;
        state.service.restore(&ctx, Kind::User, &id).await?;
        Ok(Json(state.service.user_detail(&ctx, &id).await?.into()))
    }

    /// Erases an archived user now (privacy erasure; `user.purged`).
    #[oai(path = "/directories/:directory/users/:id/purge", method = "post")]
    async fn purge(
        &self,
        auth: AdminAuth,
        state: Data<&Arc<AppState>>,
        directory: Path<String>,
        id: Path<String>,
    ) -> Result<PurgeResponse, ApiErrorResponse> {
        let ctx = state.service.enter(&auth.0, &directory).await?;
        state.service.purge(&ctx, Kind::User, &id).await?;
        Ok(PurgeResponse::Purged)
    }
}
