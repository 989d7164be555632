//! `/api/v1/directories`: the customer directories scimd serves, each with its own SCIM base
//! URL, tokens and data (see `service::directories`). List with figures, create (with a first
//! SCIM token, shown once), show, delete.

use std::sync::Arc;

use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::Example;
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::ApiTags;
use super::error::ApiErrorResponse;
use super::tokens::IssuedTokenBody;
use crate::http::AppState;
use crate::http::auth::AdminAuth;
use crate::scim::resource::format_time;
use crate::service::directories::Directory;

/// A directory and what it holds.
#[derive(Debug, Object)]
#[oai(example)]
pub struct DirectoryBody {
    /// The id in its URLs: lower-case letters, digits and inner hyphens.
    pub id: String,
    pub name: String,
    pub created_at: String,
    /// The URL its identity provider calls: `/directories/{id}/scim/v2` on this server
    /// (`/scim/v2` for `default`).
    pub scim_base_url: String,
    pub users: UserCounts,
    pub groups: i64,
    /// SCIM tokens not revoked (a rotated one counts until its grace period ends); the setup
    /// view tells which of them work.
    pub tokens: i64,
    /// When the directory last received a SCIM request; `null` if never.
    pub last_scim_request_at: Option<String>,
}

/// A directory's users by state.
#[derive(Debug, Object)]
pub struct UserCounts {
    /// Users the identity provider keeps active.
    pub active: i64,
    /// Users the identity provider set `active: false`.
    pub inactive: i64,
    /// Users suspended locally by an admin.
    pub suspended: i64,
    /// Deleted users kept in the archive.
    pub archived: i64,
}

/// The directories, oldest first.
#[derive(Debug, Object)]
pub struct DirectoryList {
    pub data: Vec<DirectoryBody>,
}

/// A new directory.
#[derive(Debug, Object)]
#[oai(example)]
pub struct NewDirectoryBody {
    /// The customer's name, 1 to 200 characters.
    pub name: String,
    /// The id in its URLs (1 to 63 lower-case letters, digits and inner hyphens); made from the
    /// name without it (`Acme Corp.` → `acme-corp`, `acme-corp-2` if taken).
    pub id: Option<String>,
}

/// A directory just created, with its first SCIM token (named `initial`).
#[derive(Debug, Object)]
pub struct CreatedDirectoryBody {
    pub directory: DirectoryBody,
    /// Shown only in this response: give it to the identity provider with `scim_base_url`.
    pub token: IssuedTokenBody,
}

#[derive(ApiResponse)]
enum CreateResponse {
    /// Created, with its first SCIM token.
    #[oai(status = 201)]
    Created(Json<CreatedDirectoryBody>),
}

#[derive(ApiResponse)]
enum DeleteResponse {
    /// Deleted with its tokens (and, with `purge`, its users and groups).
    #[oai(status = 204)]
    Deleted,
}

impl From<Directory> for DirectoryBody {
    fn from(d: Directory) -> Self {
        let f = d.figures;
        DirectoryBody {
            id: d.id,
            name: d.name,
            created_at: format_time(d.created),
            scim_base_url: d.scim_base_url,
            users: UserCounts {
                active: f.active_users,
                inactive: f.inactive_users,
                suspended: f.suspended_users,
                archived: f.archived_users,
            },
            groups: f.groups,
            tokens: f.tokens,
            last_scim_request_at: f.last_scim_request.map(format_time),
        }
    }
}

impl Example for DirectoryBody {
    fn example() -> Self {
        DirectoryBody {
            id: "acme".into(),
            name: "Acme".into(),
            created_at: "2026-12-05T09:12:44.120Z".into(),
            scim_base_url: "https://scim.example.com/directories/acme/scim/v2".into(),
            users: UserCounts {
                active: 1520,
                inactive: 31,
                suspended: 2,
                archived: 14,
            },
            groups: 48,
            tokens: 1,
            last_scim_request_at: Some("2026-12-05T10:02:17.004Z".into()),
        }
    }
}

impl Example for NewDirectoryBody {
    fn example() -> Self {
        NewDirectoryBody {
            name: "Acme".into(),
            id: Some("acme".into()),
        }
    }
}

/// The directories endpoints.
pub struct DirectoriesApi;

#[OpenApi(tag = "ApiTags::Directories")]
impl DirectoriesApi {
    /// Every directory, oldest first, with its SCIM base URL, its users by state, groups,
    /// SCIM tokens and last SCIM request. `default` (served at `/scim/v2`) is always there.
    #[oai(path = "/directories", method = "get")]
    async fn list(
        &self,
        _auth: AdminAuth,
        state: Data<&Arc<AppState>>,
    ) -> Result<Json<DirectoryList>, ApiErrorResponse> {
        let all = state.service.directories().await?;
        Ok(Json(DirectoryList {
            data: all.into_iter().map(DirectoryBody::from).collect(),
        }))
    }

    /// Creates a directory and its first SCIM token, named `initial`. The token is shown only
    /// in this response: hand it and `scim_base_url` to the customer's identity provider (the
    /// directory's `setup` view shows the steps). `409` if the id is taken, `400` for a name or
    /// id that is not valid.
    #[oai(path = "/directories", method = "post")]
    async fn create(
        &self,
        auth: AdminAuth,
        state: Data<&Arc<AppState>>,
        body: Json<NewDirectoryBody>,
    ) -> Result<CreateResponse, ApiErrorResponse> {
        let created = state
            .service
            .create_directory(&auth.0, &body.name, body.id.as_deref())
            .await?;
        Ok(CreateResponse::Created(Json(CreatedDirectoryBody {
            directory: created.directory.into(),
            token: created.token.into(),
        })))
    }

    /// One directory with its figures; `404` if there is none with this id.
    #[oai(path = "/directories/:id", method = "get")]
    async fn get(
        &self,
        _auth: AdminAuth,
        state: Data<&Arc<AppState>>,
        /// The directory's id.
        id: Path<String>,
    ) -> Result<Json<DirectoryBody>, ApiErrorResponse> {
        Ok(Json(state.service.directory(&id).await?.into()))
    }

    /// Deletes a directory with its tokens and signing key: its SCIM URL answers `401` from
    /// then on. `409` while it holds users or groups, unless `purge=true`, which erases them
    /// too (without an event per user or group); `409` for `default`, which serves `/scim/v2`.
    /// Events it recorded stay in the feed until retention removes them.
    #[oai(path = "/directories/:id", method = "delete")]
    async fn delete(
        &self,
        _auth: AdminAuth,
        state: Data<&Arc<AppState>>,
        /// The directory's id.
        id: Path<String>,
        /// Also erase its users and groups.
        purge: Query<Option<bool>>,
    ) -> Result<DeleteResponse, ApiErrorResponse> {
        state
            .service
            .delete_directory(&id, purge.0.unwrap_or(false))
            .await?;
        Ok(DeleteResponse::Deleted)
    }
}
