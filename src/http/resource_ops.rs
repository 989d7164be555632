//! The operations common to `/Users` and `/Groups` (RFC 7644 §3.3–§3.6): validate the body with
//! the schema registry, run the store operation, render the result. The per-resource API modules
//! only declare the endpoints.

use serde_json::{Map, Value, json};

use super::AppState;
use super::error::ScimError;
use super::list_params::{list_query, projection};
use crate::scim::patch;
use crate::scim::render::{Projection, resource_json};
use crate::scim::resource::Resource;
use crate::scim::schema::{GROUP_RESOURCE, ResourceTypeDef, USER_RESOURCE};
use crate::scim::validate::{self, Mode};
use crate::store::{ListQuery, Page, StoreError, groups, users};

/// The ListResponse message schema (RFC 7644 §3.4.2).
pub const LIST_RESPONSE_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

/// Which resource type an endpoint serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    User,
    Group,
}

/// A rendered resource with the headers that go with it.
pub struct Rendered {
    pub body: Value,
    pub location: String,
    pub etag: String,
}

/// Optional `attributes` / `excludedAttributes` parameters.
pub struct Attrs<'a> {
    pub attributes: Option<&'a str>,
    pub excluded: Option<&'a str>,
}

impl Attrs<'_> {
    /// Whether the client asked for a projection at all.
    pub fn given(&self) -> bool {
        self.attributes.is_some() || self.excluded.is_some()
    }
}

impl Kind {
    fn rt(self) -> &'static ResourceTypeDef {
        match self {
            Kind::User => &USER_RESOURCE,
            Kind::Group => &GROUP_RESOURCE,
        }
    }

    async fn create(
        self,
        state: &AppState,
        tenant: &str,
        attrs: Map<String, Value>,
    ) -> Result<Resource, StoreError> {
        match self {
            Kind::User => users::create(&state.db, tenant, attrs).await,
            Kind::Group => groups::create(&state.db, tenant, attrs).await,
        }
    }

    async fn get(
        self,
        state: &AppState,
        tenant: &str,
        id: &str,
    ) -> Result<Option<Resource>, StoreError> {
        match self {
            Kind::User => users::get(&state.db, tenant, id).await,
            Kind::Group => groups::get(&state.db, tenant, id).await,
        }
    }

    async fn update(
        self,
        state: &AppState,
        tenant: &str,
        id: &str,
        change: impl FnOnce(Resource) -> Result<Map<String, Value>, ScimError>,
    ) -> Result<Resource, ScimError> {
        match self {
            Kind::User => users::update(&state.db, tenant, id, change).await,
            Kind::Group => groups::update(&state.db, tenant, id, change).await,
        }
    }

    async fn delete(self, state: &AppState, tenant: &str, id: &str) -> Result<bool, StoreError> {
        match self {
            Kind::User => users::delete(&state.db, tenant, id).await,
            Kind::Group => groups::delete(&state.db, tenant, id).await,
        }
    }

    async fn list(
        self,
        state: &AppState,
        tenant: &str,
        query: &ListQuery,
    ) -> Result<Page, StoreError> {
        match self {
            Kind::User => users::list(&state.db, tenant, query).await,
            Kind::Group => groups::list(&state.db, tenant, query).await,
        }
    }
}

fn render(state: &AppState, kind: Kind, resource: &Resource, projection: &Projection) -> Rendered {
    let rt = kind.rt();
    let doc = projection.apply(rt, resource_json(rt, resource, &state.base_url));
    Rendered {
        body: Value::Object(doc),
        location: format!("{}{}/{}", state.base_url, rt.endpoint, resource.id),
        etag: resource.meta.etag(),
    }
}

/// RFC 7644 §3.3: creates a resource.
pub async fn create(
    state: &AppState,
    tenant: &str,
    kind: Kind,
    body: &Value,
) -> Result<Rendered, ScimError> {
    let attrs = validate::normalize(kind.rt(), body, Mode::Full)?;
    let resource = kind.create(state, tenant, attrs).await?;
    Ok(render(state, kind, &resource, &Projection::default()))
}

/// Resource ids are UUIDs the server assigned; anything else cannot exist, and is answered
/// without a database round trip.
fn known_id(kind: Kind, id: &str) -> Result<(), ScimError> {
    match uuid::Uuid::try_parse(id) {
        Ok(_) => Ok(()),
        Err(_) => Err(ScimError::not_found(kind.rt().name, id)),
    }
}

/// RFC 7644 §3.4.1: reads one resource.
pub async fn get(
    state: &AppState,
    tenant: &str,
    kind: Kind,
    id: &str,
    attrs: Attrs<'_>,
) -> Result<Rendered, ScimError> {
    known_id(kind, id)?;
    let projection = projection(attrs.attributes, attrs.excluded)?;
    let resource = kind
        .get(state, tenant, id)
        .await?
        .ok_or_else(|| ScimError::not_found(kind.rt().name, id))?;
    Ok(render(state, kind, &resource, &projection))
}

/// RFC 7644 §3.5.1: replaces a resource; attributes absent from the body are cleared, the
/// password is kept unless the body sets one.
pub async fn replace(
    state: &AppState,
    tenant: &str,
    kind: Kind,
    id: &str,
    body: &Value,
) -> Result<Rendered, ScimError> {
    known_id(kind, id)?;
    if let Some(body_id) = body.get("id").and_then(Value::as_str)
        && body_id != id
    {
        return Err(ScimError::bad_request(
            "mutability",
            format!("the body's id \"{body_id}\" does not match the URL"),
        ));
    }
    let attrs = validate::normalize(kind.rt(), body, Mode::Full)?;
    let resource = kind
        .update(state, tenant, id, |current| {
            validate::check_immutable(kind.rt(), &current.attrs, &attrs)?;
            Ok(attrs)
        })
        .await
        .map_err(|e| not_found_as(e, kind, id))?;
    Ok(render(state, kind, &resource, &Projection::default()))
}

/// RFC 7644 §3.5.2: applies a PatchOp to a resource, atomically.
pub async fn patch(
    state: &AppState,
    tenant: &str,
    kind: Kind,
    id: &str,
    body: &Value,
    attrs: Attrs<'_>,
) -> Result<Rendered, ScimError> {
    known_id(kind, id)?;
    let projection = projection(attrs.attributes, attrs.excluded)?;
    let ops = patch::parse(body)?;
    let rt = kind.rt();
    let resource = kind
        .update(state, tenant, id, |current| {
            let patched = patch::apply(rt, current.attrs.clone(), &ops)?;
            let attrs = validate::normalize(rt, &Value::Object(patched), Mode::Full)?;
            validate::check_immutable(rt, &current.attrs, &attrs)?;
            Ok(attrs)
        })
        .await
        .map_err(|e| not_found_as(e, kind, id))?;
    Ok(render(state, kind, &resource, &projection))
}

/// RFC 7644 §3.6: deletes a resource.
pub async fn delete(state: &AppState, tenant: &str, kind: Kind, id: &str) -> Result<(), ScimError> {
    known_id(kind, id)?;
    if kind.delete(state, tenant, id).await? {
        Ok(())
    } else {
        Err(ScimError::not_found(kind.rt().name, id))
    }
}

/// The parameters of a list request.
pub struct ListParams<'a> {
    pub filter: Option<&'a str>,
    pub start_index: Option<i64>,
    pub count: Option<i64>,
    pub attrs: Attrs<'a>,
}

/// RFC 7644 §3.4.2: lists resources as a ListResponse.
pub async fn list(
    state: &AppState,
    tenant: &str,
    kind: Kind,
    params: ListParams<'_>,
) -> Result<Value, ScimError> {
    let query = list_query(
        params.filter,
        params.start_index,
        params.count,
        state.max_page_size,
    )?;
    let projection = projection(params.attrs.attributes, params.attrs.excluded)?;
    let page = kind.list(state, tenant, &query).await?;
    let resources: Vec<Value> = page
        .resources
        .iter()
        .map(|r| render(state, kind, r, &projection).body)
        .collect();
    Ok(json!({
        "schemas": [LIST_RESPONSE_SCHEMA],
        "totalResults": page.total,
        "itemsPerPage": resources.len(),
        "startIndex": query.start_index,
        "Resources": resources,
    }))
}

fn not_found_as(e: ScimError, kind: Kind, id: &str) -> ScimError {
    if e.status == poem::http::StatusCode::NOT_FOUND {
        ScimError::not_found(kind.rt().name, id)
    } else {
        e
    }
}
