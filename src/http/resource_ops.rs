//! The operations common to `/Users` and `/Groups` (RFC 7644 §3.3–§3.6): validate the body with
//! the schema registry, check preconditions (RFC 7644 §3.14), run the store operation, render
//! the result. The per-resource API modules only declare the endpoints.

use serde_json::{Map, Value, json};

use super::AppState;
use super::error::ScimError;
use super::list_params::{ListInput, list_query, next_cursor, projection};
use crate::scim::etag::{if_match_allows, if_none_match_hits};
use crate::scim::member_patch::{self, GroupPatch};
use crate::scim::patch::{self, Operation};
use crate::scim::render::{Projection, resource_json};
use crate::scim::resource::{Meta, Resource};
use crate::scim::schema::{GROUP_RESOURCE, ResourceTypeDef, USER_RESOURCE};
use crate::scim::validate::{self, Mode};
use crate::store::groups::{self, GroupChange, UpdateOptions};
use crate::store::{ListQuery, Page, Paging, Position, users};

/// The ListResponse message schema (RFC 7644 §3.4.2).
pub const LIST_RESPONSE_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

/// Which resource type an endpoint serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    User,
    Group,
}

impl Kind {
    fn rt(self) -> &'static ResourceTypeDef {
        match self {
            Kind::User => &USER_RESOURCE,
            Kind::Group => &GROUP_RESOURCE,
        }
    }
}

/// A rendered resource with the headers that go with it.
pub struct Rendered {
    pub body: Value,
    pub location: String,
    pub etag: String,
}

/// The answer to a conditional GET.
pub enum Read {
    Found(Rendered),
    /// `If-None-Match` named the current version (RFC 9110 §13.1.2): 304 with this ETag.
    NotModified(String),
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

fn render(state: &AppState, kind: Kind, resource: &Resource, projection: &Projection) -> Rendered {
    let rt = kind.rt();
    let doc = projection.apply(rt, resource_json(rt, resource, &state.base_url));
    Rendered {
        body: Value::Object(doc),
        location: format!("{}{}/{}", state.base_url, rt.endpoint, resource.id),
        etag: resource.meta.etag(),
    }
}

/// Resource ids are UUIDs the server assigned; anything else cannot exist, and is answered
/// without a database round trip.
fn known_id(kind: Kind, id: &str) -> Result<(), ScimError> {
    match uuid::Uuid::try_parse(id) {
        Ok(_) => Ok(()),
        Err(_) => Err(ScimError::not_found(kind.rt().name, id)),
    }
}

/// The conditional headers of a write (RFC 7644 §3.14, RFC 9110 §13.1).
#[derive(Debug, Clone, Copy, Default)]
pub struct Conditions<'a> {
    pub if_match: Option<&'a str>,
    pub if_none_match: Option<&'a str>,
}

/// Refuses the write with 412 unless `If-Match` allows the current version and
/// `If-None-Match` names none (RFC 9110 §13.1.2: on a write, `*` or the current tag fails). Runs
/// inside the store's write transaction, after the row is locked, so the version cannot change
/// before commit.
fn precondition(conditions: Conditions<'_>, meta: &Meta) -> Result<(), ScimError> {
    if if_match_allows(conditions.if_match, meta)
        && !if_none_match_hits(conditions.if_none_match, meta)
    {
        Ok(())
    } else {
        Err(ScimError::precondition_failed(&meta.etag()))
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
    let resource = match kind {
        Kind::User => users::create(&state.db, tenant, attrs).await?,
        Kind::Group => groups::create(&state.db, tenant, attrs).await?,
    };
    Ok(render(state, kind, &resource, &Projection::default()))
}

/// RFC 7644 §3.4.1: reads one resource, or 304 when `If-None-Match` names its version.
pub async fn get(
    state: &AppState,
    tenant: &str,
    kind: Kind,
    id: &str,
    attrs: Attrs<'_>,
    if_none_match: Option<&str>,
) -> Result<Read, ScimError> {
    known_id(kind, id)?;
    let projection = projection(attrs.attributes, attrs.excluded)?;
    let resource = match kind {
        Kind::User => users::get(&state.db, tenant, id).await?,
        Kind::Group => groups::get(&state.db, tenant, id, projection.wants("members")).await?,
    }
    .ok_or_else(|| ScimError::not_found(kind.rt().name, id))?;
    if if_none_match_hits(if_none_match, &resource.meta) {
        return Ok(Read::NotModified(resource.meta.etag()));
    }
    Ok(Read::Found(render(state, kind, &resource, &projection)))
}

/// RFC 7644 §3.5.1: replaces a resource; attributes absent from the body are cleared, the
/// password is kept unless the body sets one.
pub async fn replace(
    state: &AppState,
    tenant: &str,
    kind: Kind,
    id: &str,
    body: &Value,
    conditions: Conditions<'_>,
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
    let rt = kind.rt();
    let attrs = validate::normalize(rt, body, Mode::Full)?;
    let resource = match kind {
        Kind::User => {
            users::update(&state.db, tenant, id, |current| {
                precondition(conditions, &current.meta)?;
                validate::check_immutable(rt, &current.attrs, &attrs)?;
                Ok(attrs)
            })
            .await
        }
        Kind::Group => {
            let options = UpdateOptions {
                load_members: false,
                return_members: true,
            };
            groups::update(&state.db, tenant, id, options, |current| {
                precondition(conditions, &current.meta)?;
                validate::check_immutable(rt, &current.attrs, &attrs)?;
                Ok(GroupChange::replace_all(attrs)?)
            })
            .await
        }
    }
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
    conditions: Conditions<'_>,
) -> Result<Rendered, ScimError> {
    known_id(kind, id)?;
    let projection = projection(attrs.attributes, attrs.excluded)?;
    let ops = patch::parse(body)?;
    let resource = match kind {
        Kind::User => {
            users::update(&state.db, tenant, id, |current| {
                precondition(conditions, &current.meta)?;
                apply_ops(&USER_RESOURCE, current, &ops)
            })
            .await
        }
        Kind::Group => {
            patch_group(
                state,
                tenant,
                id,
                &ops,
                attrs.given() && projection.wants("members"),
                conditions,
            )
            .await
        }
    }
    .map_err(|e| not_found_as(e, kind, id))?;
    Ok(render(state, kind, &resource, &projection))
}

/// Applies operations to a resource and validates the result as a whole.
fn apply_ops(
    rt: &ResourceTypeDef,
    current: Resource,
    ops: &[Operation],
) -> Result<Map<String, Value>, ScimError> {
    let patched = patch::apply(rt, current.attrs.clone(), ops)?;
    let attrs = validate::normalize(rt, &Value::Object(patched), Mode::Full)?;
    validate::check_immutable(rt, &current.attrs, &attrs)?;
    Ok(attrs)
}

/// A group PATCH: member operations become row-level deltas when they can (see
/// `member_patch`); otherwise the member list is loaded and patched as a whole.
async fn patch_group(
    state: &AppState,
    tenant: &str,
    id: &str,
    ops: &[Operation],
    return_members: bool,
    conditions: Conditions<'_>,
) -> Result<Resource, ScimError> {
    let rt = &GROUP_RESOURCE;
    match member_patch::split(ops)? {
        Some(GroupPatch {
            attribute_ops,
            member_changes,
        }) => {
            let options = UpdateOptions {
                load_members: false,
                return_members,
            };
            groups::update(&state.db, tenant, id, options, |current| {
                precondition(conditions, &current.meta)?;
                let attrs = if attribute_ops.is_empty() {
                    current.attrs
                } else {
                    apply_ops(rt, current, &attribute_ops)?
                };
                Ok(GroupChange {
                    attrs,
                    members: member_changes,
                })
            })
            .await
        }
        None => {
            let options = UpdateOptions {
                load_members: true,
                return_members,
            };
            groups::update(&state.db, tenant, id, options, |current| {
                precondition(conditions, &current.meta)?;
                Ok(GroupChange::replace_all(apply_ops(rt, current, ops)?)?)
            })
            .await
        }
    }
}

/// RFC 7644 §3.6: deletes a resource.
pub async fn delete(
    state: &AppState,
    tenant: &str,
    kind: Kind,
    id: &str,
    conditions: Conditions<'_>,
) -> Result<(), ScimError> {
    known_id(kind, id)?;
    let check = |meta: &Meta| precondition(conditions, meta);
    let deleted = match kind {
        Kind::User => users::delete(&state.db, tenant, id, check).await?,
        Kind::Group => groups::delete(&state.db, tenant, id, check).await?,
    };
    if deleted {
        Ok(())
    } else {
        Err(ScimError::not_found(kind.rt().name, id))
    }
}

/// The parameters of a list or search request.
pub struct ListParams<'a> {
    pub input: ListInput<'a>,
    pub attrs: Attrs<'a>,
}

/// RFC 7644 §3.4.2 (and §3.4.3 for `.search`): lists resources as a ListResponse.
pub async fn list(
    state: &AppState,
    tenant: &str,
    kind: Kind,
    params: ListParams<'_>,
) -> Result<Value, ScimError> {
    let name = kind.rt().name;
    let query = list_query(&params.input, name, state.max_page_size, &state.auth)?;
    let projection = projection(params.attrs.attributes, params.attrs.excluded)?;
    let page = fetch(state, tenant, kind, &query, &projection).await?;
    let next = match (&query.paging, page.more, page.resources.last()) {
        (Paging::Cursor { after, .. }, true, Some(last)) => {
            let position = match (&query.sort, after) {
                (None, _) => Position::After {
                    created: last.meta.created,
                    id: last.id.clone(),
                },
                (Some(_), Some(Position::Offset(n))) => {
                    Position::Offset(n + page.resources.len() as i64)
                }
                (Some(_), _) => Position::Offset(page.resources.len() as i64),
            };
            Some(next_cursor(
                name,
                &query,
                position,
                page.total,
                &state.auth,
            )?)
        }
        _ => None,
    };
    let resources: Vec<Value> = page
        .resources
        .iter()
        .map(|r| render(state, kind, r, &projection).body)
        .collect();
    let mut body = json!({
        "schemas": [LIST_RESPONSE_SCHEMA],
        "totalResults": page.total,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    });
    match (&query.paging, next) {
        (Paging::Index { start_index, .. }, _) => body["startIndex"] = json!(start_index),
        (Paging::Cursor { .. }, Some(cursor)) => body["nextCursor"] = json!(cursor),
        (Paging::Cursor { .. }, None) => {}
    }
    Ok(body)
}

async fn fetch(
    state: &AppState,
    tenant: &str,
    kind: Kind,
    query: &ListQuery,
    projection: &Projection,
) -> Result<Page, ScimError> {
    Ok(match kind {
        Kind::User => users::list(&state.db, tenant, query).await?,
        Kind::Group => groups::list(&state.db, tenant, query, projection.wants("members")).await?,
    })
}

/// RFC 7644 §3.4.3: a search at the root, over Users then Groups. The filter is applied to each
/// type, an attribute a type lacks matching nothing there. Paging is by index over the
/// concatenated results.
pub async fn search_all(
    state: &AppState,
    tenant: &str,
    params: ListParams<'_>,
) -> Result<Value, ScimError> {
    if params.input.cursor.is_some() {
        return Err(ScimError::bad_request(
            "invalidValue",
            "cursor paging is offered per resource type: use /Users/.search or /Groups/.search",
        ));
    }
    let projection = projection(params.attrs.attributes, params.attrs.excluded)?;
    let (mut start, mut count) = (params.input.start_index.unwrap_or(1).max(1), None);
    let mut total = 0;
    let mut resources = Vec::new();
    for kind in [Kind::User, Kind::Group] {
        let mut query = list_query(
            &params.input,
            kind.rt().name,
            state.max_page_size,
            &state.auth,
        )?;
        let wanted = *count.get_or_insert(query.count());
        query.paging = Paging::Index {
            start_index: start,
            count: wanted - resources.len() as i64,
        };
        query.across_types = true;
        let page = fetch(state, tenant, kind, &query, &projection).await?;
        total += page.total;
        resources.extend(
            page.resources
                .iter()
                .map(|r| render(state, kind, r, &projection).body),
        );
        // The next type's window starts where this type's results ended.
        start = (start - page.total).max(1);
    }
    Ok(json!({
        "schemas": [LIST_RESPONSE_SCHEMA],
        "totalResults": total,
        "itemsPerPage": resources.len(),
        "startIndex": params.input.start_index.unwrap_or(1).max(1),
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
