//! `/api/v1/directories/{directory}/groups` and `…/role-mappings`: the host application reads
//! a directory's groups with their members and mapped roles, restores or purges archived
//! groups, and sets which roles each group gives its members.

use std::sync::Arc;

use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::Example;
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::ApiTags;
use super::error::ApiErrorResponse;
use crate::http::AppState;
use crate::http::auth::AdminAuth;
use crate::scim::resource::format_time;
use crate::service::group_views::{GroupDetail, GroupSummary};
use crate::service::{Kind, Mapping, MappingRequest};

/// A group as listings show it.
#[derive(Debug, Object)]
pub struct GroupItem {
    pub id: String,
    pub display_name: String,
    pub external_id: Option<String>,
    /// Direct members (users and groups).
    pub member_count: i64,
    /// Roles mapped to it (its members, nested ones included, have them).
    pub roles: Vec<String>,
    pub created_at: String,
    pub last_modified_at: String,
}

impl From<GroupSummary> for GroupItem {
    fn from(g: GroupSummary) -> Self {
        GroupItem {
            id: g.id,
            display_name: g.display_name,
            external_id: g.external_id,
            member_count: g.members,
            roles: g.roles,
            created_at: format_time(g.created),
            last_modified_at: format_time(g.last_modified),
        }
    }
}

/// A page of groups.
#[derive(Debug, Object)]
pub struct GroupPageBody {
    pub data: Vec<GroupItem>,
    /// Pass as `after` for the next page; absent on the last page.
    #[oai(skip_serializing_if_is_none)]
    pub after: Option<String>,
}

/// A member of a group.
#[derive(Debug, Object)]
pub struct MemberBody {
    pub id: String,
    /// `User` or `Group`.
    #[oai(rename = "type")]
    pub kind: String,
    /// The user's displayName (else userName) or the group's displayName.
    pub display: Option<String>,
}

/// One group with a page of its members.
#[derive(Debug, Object)]
pub struct GroupDetailBody {
    #[oai(flatten)]
    pub group: GroupItem,
    /// Members in id order.
    pub members: Vec<MemberBody>,
    /// Pass as `members_after` for the next page of members.
    #[oai(skip_serializing_if_is_none)]
    pub members_after: Option<String>,
}

impl From<GroupDetail> for GroupDetailBody {
    fn from(d: GroupDetail) -> Self {
        GroupDetailBody {
            group: d.summary.into(),
            members: d
                .members
                .into_iter()
                .map(|m| MemberBody {
                    id: m.id,
                    kind: m.kind,
                    display: m.display,
                })
                .collect(),
            members_after: d.members_after,
        }
    }
}

/// Roles mapped to one group.
#[derive(Debug, Object)]
#[oai(example)]
pub struct RoleMappingBody {
    /// The group's id, or its displayName (case-insensitive; it must name one group).
    pub group: String,
    /// Its displayName (in responses).
    #[oai(read_only)]
    pub display_name: Option<String>,
    pub roles: Vec<String>,
}

impl Example for RoleMappingBody {
    fn example() -> Self {
        RoleMappingBody {
            group: "Admins".into(),
            display_name: None,
            roles: vec!["admin".into()],
        }
    }
}

impl From<Mapping> for RoleMappingBody {
    fn from(m: Mapping) -> Self {
        RoleMappingBody {
            group: m.group_id,
            display_name: Some(m.display_name),
            roles: m.roles,
        }
    }
}

/// All of a directory's mappings.
#[derive(Debug, Object)]
pub struct RoleMappingList {
    pub data: Vec<RoleMappingBody>,
}

#[derive(ApiResponse)]
enum PurgeResponse {
    /// Erased; `group.purged` recorded.
    #[oai(status = 204)]
    Purged,
}

/// The groups and role mapping endpoints.
pub struct GroupsApi;

#[OpenApi(tag = "ApiTags::Groups")]
impl GroupsApi {
    /// A page of the directory's groups, alphabetical; `q` matches a displayName prefix.
    #[oai(path = "/directories/:directory/groups", method = "get")]
    async fn list(
        &self,
        auth: AdminAuth,
        state: Data<&Arc<AppState>>,
        directory: Path<String>,
        q: Query<Option<String>>,
        /// Page size, 1 to 500 (default 50).
        limit: Query<Option<i64>>,
        /// The `after` of the previous page.
        after: Query<Option<String>>,
    ) -> Result<Json<GroupPageBody>, ApiErrorResponse> {
        let ctx = state.service.enter(&auth.0, &directory).await?;
        let page = state
            .service
            .list_groups(&ctx, q.0.as_deref(), limit.0, after.0.as_deref())
            .await?;
        Ok(Json(GroupPageBody {
            data: page.data.into_iter().map(GroupItem::from).collect(),
            after: page.after,
        }))
    }

    /// One group with its mapped roles and a page of its members.
    #[oai(path = "/directories/:directory/groups/:id", method = "get")]
    async fn get(
        &self,
        auth: AdminAuth,
        state: Data<&Arc<AppState>>,
        directory: Path<String>,
        id: Path<String>,
        /// The `members_after` of the previous page of members.
        members_after: Query<Option<String>>,
        /// Members per page, 1 to 500 (default 50).
        members_limit: Query<Option<i64>>,
    ) -> Result<Json<GroupDetailBody>, ApiErrorResponse> {
        let ctx = state.service.enter(&auth.0, &directory).await?;
        let detail = state
            .service
            .group_detail(&ctx, &id, members_after.0.as_deref(), members_limit.0)
            .await?;
        Ok(Json(detail.into()))
    }

    /// Restores an archived group with its id, the members that still exist, its role
    /// mappings and the groups it was in (`group.restored`).
    #[oai(path = "/directories/:directory/groups/:id/restore", method = "post")]
    async fn restore(
        &self,
        auth: AdminAuth,
        state: Data<&Arc<AppState>>,
        directory: Path<String>,
        id: Path<String>,
    ) -> Result<Json<GroupDetailBody>, ApiErrorResponse> {
        let ctx = state.service.enter(&auth.0, &directory).await?;
        state.service.restore(&ctx, Kind::Group, &id).await?;
        Ok(Json(
            state
                .service
                .group_detail(&ctx, &id, None, None)
                .await?
                .into(),
        ))
    }

    /// Erases an archived group now (`group.purged`).
    #[oai(path = "/directories/:directory/groups/:id/purge", method = "post")]
    async fn purge(
        &self,
        auth: AdminAuth,
        state: Data<&Arc<AppState>>,
        directory: Path<String>,
        id: Path<String>,
    ) -> Result<PurgeResponse, ApiErrorResponse> {
        let ctx = state.service.enter(&auth.0, &directory).await?;
        state.service.purge(&ctx, Kind::Group, &id).await?;
        Ok(PurgeResponse::Purged)
    }

    /// Every group → role mapping of the directory.
    #[oai(path = "/directories/:directory/role-mappings", method = "get")]
    async fn mappings(
        &self,
        auth: AdminAuth,
        state: Data<&Arc<AppState>>,
        directory: Path<String>,
    ) -> Result<Json<RoleMappingList>, ApiErrorResponse> {
        let ctx = state.service.enter(&auth.0, &directory).await?;
        let all = state.service.role_mappings(&ctx).await?;
        Ok(Json(RoleMappingList {
            data: all.into_iter().map(RoleMappingBody::from).collect(),
        }))
    }

    /// Replaces every mapping of the directory: each listed group gives its members (nested
    /// groups included) these roles; groups left out give none. Every user whose effective
    /// roles change gets a `user.roles_changed` event with the old and new roles.
    #[oai(path = "/directories/:directory/role-mappings", method = "put")]
    async fn set_mappings(
        &self,
        auth: AdminAuth,
        state: Data<&Arc<AppState>>,
        directory: Path<String>,
        body: Json<Vec<RoleMappingBody>>,
    ) -> Result<Json<RoleMappingList>, ApiErrorResponse> {
        let ctx = state.service.enter(&auth.0, &directory).await?;
        let requested: Vec<MappingRequest> = body
            .0
            .into_iter()
            .map(|m| MappingRequest {
                group: m.group,
                roles: m.roles,
            })
            .collect();
        let all = state.service.set_role_mappings(&ctx, &requested).await?;
        Ok(Json(RoleMappingList {
            data: all.into_iter().map(RoleMappingBody::from).collect(),
        }))
    }
}
