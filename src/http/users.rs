//! `/Users` (RFC 7643 §4.1, RFC 7644 §3): the endpoints; the work is in `resource_ops`.

use std::sync::Arc;

use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::{ApiResponse, OpenApi};

use super::auth::BearerAuth;
use super::docs;
use super::error::ErrorResponse;
use super::payload::{Doc, ScimJson};
use super::resource_ops::{self, Attrs, Kind, ListParams};
use super::{ApiTags, AppState};

type UserBody = ScimJson<Doc<docs::User>>;

/// A created User.
#[derive(ApiResponse)]
pub enum Created {
    /// The created User, with its URL in `Location`.
    #[oai(status = 201)]
    Created(
        UserBody,
        #[oai(header = "Location")] String,
        #[oai(header = "ETag")] String,
    ),
}

/// A User.
#[derive(ApiResponse)]
pub enum Found {
    /// The User.
    #[oai(status = 200)]
    Ok(
        UserBody,
        #[oai(header = "Location")] String,
        #[oai(header = "ETag")] String,
    ),
}

/// A User was deleted.
#[derive(ApiResponse)]
pub enum Deleted {
    /// Deleted.
    #[oai(status = 204)]
    NoContent,
}

/// The `/Users` endpoints.
pub struct UsersApi;

#[OpenApi(tag = "ApiTags::Users")]
impl UsersApi {
    /// Create a User (RFC 7644 §3.3).
    #[oai(path = "/Users", method = "post")]
    async fn create(
        &self,
        auth: BearerAuth,
        state: Data<&Arc<AppState>>,
        body: UserBody,
    ) -> Result<Created, ErrorResponse> {
        let r = resource_ops::create(&state, &auth.0.tenant, Kind::User, &body.0.0).await?;
        Ok(Created::Created(
            ScimJson(Doc::new(r.body)),
            r.location,
            r.etag,
        ))
    }

    /// Read a User (RFC 7644 §3.4.1).
    #[oai(path = "/Users/:id", method = "get")]
    async fn get(
        &self,
        auth: BearerAuth,
        state: Data<&Arc<AppState>>,
        id: Path<String>,
        attributes: Query<Option<String>>,
        #[oai(name = "excludedAttributes")] excluded_attributes: Query<Option<String>>,
    ) -> Result<Found, ErrorResponse> {
        let attrs = Attrs {
            attributes: attributes.as_deref(),
            excluded: excluded_attributes.as_deref(),
        };
        let r = resource_ops::get(&state, &auth.0.tenant, Kind::User, &id, attrs).await?;
        Ok(Found::Ok(ScimJson(Doc::new(r.body)), r.location, r.etag))
    }

    /// List Users, with an optional filter and paging (RFC 7644 §3.4.2).
    #[oai(path = "/Users", method = "get")]
    #[allow(clippy::too_many_arguments)]
    async fn list(
        &self,
        auth: BearerAuth,
        state: Data<&Arc<AppState>>,
        filter: Query<Option<String>>,
        #[oai(name = "startIndex")] start_index: Query<Option<i64>>,
        count: Query<Option<i64>>,
        attributes: Query<Option<String>>,
        #[oai(name = "excludedAttributes")] excluded_attributes: Query<Option<String>>,
    ) -> Result<ScimJson<Doc<docs::ListResponse>>, ErrorResponse> {
        let params = ListParams {
            filter: filter.as_deref(),
            start_index: start_index.0,
            count: count.0,
            attrs: Attrs {
                attributes: attributes.as_deref(),
                excluded: excluded_attributes.as_deref(),
            },
        };
        let body = resource_ops::list(&state, &auth.0.tenant, Kind::User, params).await?;
        Ok(ScimJson(Doc::new(body)))
    }

    /// Replace a User (RFC 7644 §3.5.1).
    #[oai(path = "/Users/:id", method = "put")]
    async fn replace(
        &self,
        auth: BearerAuth,
        state: Data<&Arc<AppState>>,
        id: Path<String>,
        body: UserBody,
    ) -> Result<Found, ErrorResponse> {
        let r = resource_ops::replace(&state, &auth.0.tenant, Kind::User, &id, &body.0.0).await?;
        Ok(Found::Ok(ScimJson(Doc::new(r.body)), r.location, r.etag))
    }

    /// Modify a User with a PatchOp (RFC 7644 §3.5.2); answers the updated User.
    #[oai(path = "/Users/:id", method = "patch")]
    async fn patch(
        &self,
        auth: BearerAuth,
        state: Data<&Arc<AppState>>,
        id: Path<String>,
        attributes: Query<Option<String>>,
        #[oai(name = "excludedAttributes")] excluded_attributes: Query<Option<String>>,
        body: ScimJson<Doc<docs::PatchOp>>,
    ) -> Result<Found, ErrorResponse> {
        let attrs = Attrs {
            attributes: attributes.as_deref(),
            excluded: excluded_attributes.as_deref(),
        };
        let r =
            resource_ops::patch(&state, &auth.0.tenant, Kind::User, &id, &body.0.0, attrs).await?;
        Ok(Found::Ok(ScimJson(Doc::new(r.body)), r.location, r.etag))
    }

    /// Delete a User and its group memberships (RFC 7644 §3.6).
    #[oai(path = "/Users/:id", method = "delete")]
    async fn delete(
        &self,
        auth: BearerAuth,
        state: Data<&Arc<AppState>>,
        id: Path<String>,
    ) -> Result<Deleted, ErrorResponse> {
        resource_ops::delete(&state, &auth.0.tenant, Kind::User, &id).await?;
        Ok(Deleted::NoContent)
    }
}
