//! `/Groups` (RFC 7643 §4.2, RFC 7644 §3): the endpoints; the work is in `resource_ops`.

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

type GroupBody = ScimJson<Doc<docs::Group>>;

/// A created Group.
#[derive(ApiResponse)]
pub enum Created {
    /// The created Group, with its URL in `Location`.
    #[oai(status = 201)]
    Created(
        GroupBody,
        #[oai(header = "Location")] String,
        #[oai(header = "ETag")] String,
    ),
}

/// A Group.
#[derive(ApiResponse)]
pub enum Found {
    /// The Group.
    #[oai(status = 200)]
    Ok(
        GroupBody,
        #[oai(header = "Location")] String,
        #[oai(header = "ETag")] String,
    ),
}

/// A patched Group.
#[derive(ApiResponse)]
pub enum Patched {
    /// The Group.
    #[oai(status = 200)]
    Ok(
        GroupBody,
        #[oai(header = "Location")] String,
        #[oai(header = "ETag")] String,
    ),
    /// Applied; no body unless `attributes` or `excludedAttributes` were given.
    #[oai(status = 204)]
    NoContent(#[oai(header = "ETag")] String),
}

/// A Group was deleted.
#[derive(ApiResponse)]
pub enum Deleted {
    /// Deleted.
    #[oai(status = 204)]
    NoContent,
}

/// The `/Groups` endpoints.
pub struct GroupsApi;

#[OpenApi(tag = "ApiTags::Groups")]
impl GroupsApi {
    /// Create a Group (RFC 7644 §3.3).
    #[oai(path = "/Groups", method = "post")]
    async fn create(
        &self,
        auth: BearerAuth,
        state: Data<&Arc<AppState>>,
        body: GroupBody,
    ) -> Result<Created, ErrorResponse> {
        let r = resource_ops::create(&state, &auth.0.tenant, Kind::Group, &body.0.0).await?;
        Ok(Created::Created(
            ScimJson(Doc::new(r.body)),
            r.location,
            r.etag,
        ))
    }

    /// Read a Group (RFC 7644 §3.4.1).
    #[oai(path = "/Groups/:id", method = "get")]
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
        let r = resource_ops::get(&state, &auth.0.tenant, Kind::Group, &id, attrs).await?;
        Ok(Found::Ok(ScimJson(Doc::new(r.body)), r.location, r.etag))
    }

    /// List Groups, with an optional filter and paging (RFC 7644 §3.4.2).
    #[oai(path = "/Groups", method = "get")]
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
        let body = resource_ops::list(&state, &auth.0.tenant, Kind::Group, params).await?;
        Ok(ScimJson(Doc::new(body)))
    }

    /// Replace a Group (RFC 7644 §3.5.1).
    #[oai(path = "/Groups/:id", method = "put")]
    async fn replace(
        &self,
        auth: BearerAuth,
        state: Data<&Arc<AppState>>,
        id: Path<String>,
        body: GroupBody,
    ) -> Result<Found, ErrorResponse> {
        let r = resource_ops::replace(&state, &auth.0.tenant, Kind::Group, &id, &body.0.0).await?;
        Ok(Found::Ok(ScimJson(Doc::new(r.body)), r.location, r.etag))
    }

    /// Modify a Group with a PatchOp (RFC 7644 §3.5.2). Answers 204 without a body, so a
    /// membership change never ships the member list back, unless `attributes` or
    /// `excludedAttributes` ask for the resource (then 200).
    #[oai(path = "/Groups/:id", method = "patch")]
    async fn patch(
        &self,
        auth: BearerAuth,
        state: Data<&Arc<AppState>>,
        id: Path<String>,
        attributes: Query<Option<String>>,
        #[oai(name = "excludedAttributes")] excluded_attributes: Query<Option<String>>,
        body: ScimJson<Doc<docs::PatchOp>>,
    ) -> Result<Patched, ErrorResponse> {
        let attrs = Attrs {
            attributes: attributes.as_deref(),
            excluded: excluded_attributes.as_deref(),
        };
        let wants_body = attrs.given();
        let r =
            resource_ops::patch(&state, &auth.0.tenant, Kind::Group, &id, &body.0.0, attrs).await?;
        Ok(if wants_body {
            Patched::Ok(ScimJson(Doc::new(r.body)), r.location, r.etag)
        } else {
            Patched::NoContent(r.etag)
        })
    }

    /// Delete a Group and its memberships (RFC 7644 §3.6).
    #[oai(path = "/Groups/:id", method = "delete")]
    async fn delete(
        &self,
        auth: BearerAuth,
        state: Data<&Arc<AppState>>,
        id: Path<String>,
    ) -> Result<Deleted, ErrorResponse> {
        resource_ops::delete(&state, &auth.0.tenant, Kind::Group, &id).await?;
        Ok(Deleted::NoContent)
    }
}
