//! The operations common to Users and Groups (RFC 7644 §3.3–§3.6): reads, preconditions
//! (RFC 7644 §3.14), rendering, and the dispatch of writes to `users` and `groups`.

use serde_json::{Map, Value};

use super::archive;
use super::list_params::projection;
use super::roles::RoleWatch;
use super::{Context, Service, ServiceError, changes, groups, users};
use crate::scim::etag::{if_match_allows, if_none_match_hits};
use crate::scim::filter::TermBudget;
use crate::scim::limits;
use crate::scim::patch::{self, Operation};
use crate::scim::projection::Projection;
use crate::scim::render::resource_json;
use crate::scim::resource::{Meta, Resource};
use crate::scim::schema::{GROUP_RESOURCE, ResourceTypeDef, USER_RESOURCE};
use crate::scim::validate::{self, Mode};
use crate::store::memberships::{self, MemberRef};
use crate::store::{self, Intent};

/// Which resource type a call is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    User,
    Group,
}

impl Kind {
    /// The resource type's definition.
    pub fn rt(self) -> &'static ResourceTypeDef {
        match self {
            Kind::User => &USER_RESOURCE,
            Kind::Group => &GROUP_RESOURCE,
        }
    }

    pub(super) fn not_found(self, id: &str) -> ServiceError {
        ServiceError::NotFound {
            resource: self.rt().name,
            id: id.to_owned(),
        }
    }
}

/// A rendered resource with the headers that go with it.
pub struct Rendered {
    pub body: Value,
    pub location: String,
    pub etag: String,
}

/// The answer to a conditional read.
pub enum Read {
    Found(Rendered),
    /// `If-None-Match` named the current version (RFC 9110 §13.1.2): 304 with this ETag.
    NotModified(String),
}

/// Optional `attributes` / `excludedAttributes` parameters.
#[derive(Debug, Clone, Copy, Default)]
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

/// The conditional headers of a write (RFC 7644 §3.14, RFC 9110 §13.1).
#[derive(Debug, Clone, Copy, Default)]
pub struct Conditions<'a> {
    pub if_match: Option<&'a str>,
    pub if_none_match: Option<&'a str>,
}

impl Conditions<'_> {
    /// Refuses the write with 412 unless `If-Match` allows the current version and
    /// `If-None-Match` names none (RFC 9110 §13.1.2: on a write, `*` or the current tag fails).
    /// Called inside the unit of work after the row is locked, so the version cannot change
    /// before commit.
    pub(super) fn check(&self, meta: &Meta) -> Result<(), ServiceError> {
        if if_match_allows(self.if_match, meta) && !if_none_match_hits(self.if_none_match, meta) {
            Ok(())
        } else {
            Err(ServiceError::PreconditionFailed {
                current: meta.etag(),
            })
        }
    }
}

impl Service {
    /// The SCIM representation of a resource, projected.
    pub(super) fn render(
        &self,
        ctx: &Context,
        kind: Kind,
        resource: Resource,
        projection: &Projection,
    ) -> Rendered {
        let scim_base = self.scim_base(&ctx.directory);
        let location = format!("{scim_base}{}/{}", kind.rt().endpoint, resource.id);
        let etag = resource.meta.etag();
        Rendered {
            body: render_body(&scim_base, kind, resource, projection),
            location,
            etag,
        }
    }

    /// The URL of a resource (`Location`, `meta.location`, a bulk operation's `location`).
    pub(super) fn location(&self, ctx: &Context, kind: Kind, id: &str) -> String {
        format!(
            "{}{}/{}",
            self.scim_base(&ctx.directory),
            kind.rt().endpoint,
            id
        )
    }

    /// The whole SCIM representation of a resource, as change events carry it.
    pub(super) fn document(
        &self,
        ctx: &Context,
        kind: Kind,
        resource: &Resource,
    ) -> Map<String, Value> {
        resource_json(kind.rt(), resource.clone(), &self.scim_base(&ctx.directory))
    }

    /// RFC 7644 §3.3: creates a resource.
    pub async fn create(
        &self,
        ctx: &Context,
        kind: Kind,
        body: &Value,
    ) -> Result<Rendered, ServiceError> {
        let resource = match kind {
            Kind::User => users::create(self, ctx, body).await?,
            Kind::Group => groups::create(self, ctx, body).await?,
        };
        Ok(self.render(ctx, kind, resource, &Projection::default()))
    }

    /// RFC 7644 §3.4.1: reads one resource, or 304 when `If-None-Match` names its version.
    pub async fn get(
        &self,
        ctx: &Context,
        kind: Kind,
        id: &str,
        attrs: Attrs<'_>,
        if_none_match: Option<&str>,
    ) -> Result<Read, ServiceError> {
        known_id(kind, id)?;
        let mut terms = TermBudget::new(self.limits.max_filter_terms);
        let projection = projection(attrs.attributes, attrs.excluded, &self.limits, &mut terms)?;
        let dir = ctx.directory.as_str();
        let resource = match kind {
            Kind::User => store::users::get(&self.db, dir, id).await?,
            Kind::Group => {
                store::groups::get(&self.db, dir, id, projection.wants("members")).await?
            }
        }
        .ok_or_else(|| kind.not_found(id))?;
        if if_none_match_hits(if_none_match, &resource.meta) {
            return Ok(Read::NotModified(resource.meta.etag()));
        }
        Ok(Read::Found(self.render(ctx, kind, resource, &projection)))
    }

    /// RFC 7644 §3.5.1: replaces a resource; attributes absent from the body are cleared, the
    /// password is kept unless the body sets one.
    pub async fn replace(
        &self,
        ctx: &Context,
        kind: Kind,
        id: &str,
        body: &Value,
        conditions: Conditions<'_>,
    ) -> Result<Rendered, ServiceError> {
        known_id(kind, id)?;
        same_id(body.get("id").and_then(Value::as_str), id)?;
        let resource = match kind {
            Kind::User => users::replace(self, ctx, id, body, conditions).await?,
            Kind::Group => groups::replace(self, ctx, id, body, conditions).await?,
        };
        Ok(self.render(ctx, kind, resource, &Projection::default()))
    }

    /// RFC 7644 §3.5.2: applies a PatchOp to a resource, atomically.
    pub async fn patch(
        &self,
        ctx: &Context,
        kind: Kind,
        id: &str,
        body: &Value,
        attrs: Attrs<'_>,
        conditions: Conditions<'_>,
    ) -> Result<Rendered, ServiceError> {
        known_id(kind, id)?;
        let mut terms = TermBudget::new(self.limits.max_filter_terms);
        let projection = projection(attrs.attributes, attrs.excluded, &self.limits, &mut terms)?;
        let ops = patch::parse(body, &self.limits, &mut terms)?;
        let patch = Patch { ops, terms };
        let resource = match kind {
            Kind::User => {
                limits::check_operation_values(&patch.ops, self.limits.max_values)?;
                users::patch(self, ctx, id, &patch, conditions).await?
            }
            Kind::Group => {
                let return_members = attrs.given() && projection.wants("members");
                groups::patch(self, ctx, id, &patch, return_members, conditions).await?
            }
        };
        Ok(self.render(ctx, kind, resource, &projection))
    }

    /// RFC 7644 §3.6: deletes a resource. Groups it was a member of each record a
    /// `group.member_removed`; a deleted group's own members record nothing (its
    /// `group.deleted` says they all left).
    pub async fn delete(
        &self,
        ctx: &Context,
        kind: Kind,
        id: &str,
        conditions: Conditions<'_>,
    ) -> Result<(), ServiceError> {
        known_id(kind, id)?;
        for _ in 0..DELETE_ATTEMPTS {
            let mut w = self.db.begin_write().await?;
            if let Attempt::Done = self.delete_in(&mut w, ctx, kind, id, conditions).await? {
                self.announce(w.commit().await?);
                return Ok(());
            }
        }
        Err(store::StoreError::VersionConflict.into())
    }

    /// One attempt of a delete in the caller's unit of work; [`Attempt::Again`] when the
    /// resource joined a group the attempt did not lock, and the caller must roll back and
    /// start again.
    pub(super) async fn delete_in(
        &self,
        w: &mut store::Write,
        ctx: &Context,
        kind: Kind,
        id: &str,
        conditions: Conditions<'_>,
    ) -> Result<Attempt, ServiceError> {
        let dir = ctx.directory.as_str();
        let ctx = &ctx.pinned();
        // The groups it is in first, then its own row: the order every writer uses, so none
        // deadlock.
        let touched = memberships::touch_groups_of_member(w, dir, id, ctx.now()).await?;
        let current = match kind {
            Kind::User => store::users::load_locked(w, dir, id, Intent::Delete).await?,
            Kind::Group => store::groups::load_locked(w, dir, id, Intent::Delete, false).await?,
        }
        .ok_or_else(|| kind.not_found(id))?;
        conditions.check(&current.meta)?;
        // It joined a group the touch missed: start again, touching that one first too.
        let Some(groups) = memberships::settle_departures(w, dir, id, touched).await? else {
            return Ok(Attempt::Again);
        };
        let version = current.meta.version;
        // A deleted group's users may lose roles it gave them.
        let watch = match kind {
            Kind::Group => RoleWatch::group(w, dir, id).await?,
            Kind::User => None,
        };
        archive::archive(w, ctx, self.archive_retention, kind, &current, &groups).await?;
        match kind {
            Kind::User => store::users::delete(w, dir, id, version).await?,
            Kind::Group => store::groups::delete(w, dir, id, version).await?,
        }
        let doc = self.document(ctx, kind, &current);
        let member = MemberRef {
            id: current.id.clone(),
            is_group: kind == Kind::Group,
            display: ["displayName", "userName"]
                .iter()
                .find_map(|k| doc.get(*k).and_then(Value::as_str))
                .map(str::to_owned),
        };
        w.record_all(changes::departures(ctx, &groups, &member));
        w.record(changes::deleted(ctx, kind, id, doc));
        if let Some(watch) = watch {
            let events = watch.finish(w, ctx, None).await?;
            w.record_all(events);
        }
        Ok(Attempt::Done)
    }
}

/// How an attempt of a write that may have to start again ended.
pub(super) enum Attempt {
    Done,
    Again,
}

/// The SCIM representation of a resource, projected, with its URLs under `scim_base` (the SCIM
/// base of its directory, `Service::scim_base`). A free function, so pages can be rendered on
/// the blocking pool; a page needs no `Location` or `ETag` header per resource.
pub(super) fn render_body(
    scim_base: &str,
    kind: Kind,
    resource: Resource,
    projection: &Projection,
) -> Value {
    let rt = kind.rt();
    Value::Object(projection.apply(rt, resource_json(rt, resource, scim_base)))
}

/// How many times a delete starts its unit of work again because the resource joined a group
/// while it was being locked (`store::memberships::settle_departures`) before it gives up with
/// `412`: each retry needs another such join within the same few milliseconds.
pub(super) const DELETE_ATTEMPTS: usize = 5;

/// Resource ids are UUIDs the server assigned; anything else cannot exist, and is answered
/// without a database round trip.
pub(super) fn known_id(kind: Kind, id: &str) -> Result<(), ServiceError> {
    match uuid::Uuid::try_parse(id) {
        Ok(_) => Ok(()),
        Err(_) => Err(kind.not_found(id)),
    }
}

/// Refuses a PUT whose body names another resource than its URL (`id` is read-only, RFC 7643
/// §3.1).
pub(super) fn same_id(body_id: Option<&str>, id: &str) -> Result<(), ServiceError> {
    match body_id {
        Some(body_id) if body_id != id => Err(ServiceError::invalid(
            "mutability",
            format!("the body's id \"{body_id}\" does not match the URL"),
        )),
        _ => Ok(()),
    }
}

/// A parsed PATCH request: its operations, and the filter terms the paths inside their values
/// may still take.
pub(super) struct Patch {
    pub ops: Vec<Operation>,
    pub terms: TermBudget,
}

/// Applies PATCH operations to a resource and validates the result as a whole.
pub(super) fn apply_ops(
    rt: &ResourceTypeDef,
    current: &Resource,
    ops: &[Operation],
    terms: TermBudget,
) -> Result<Map<String, Value>, ServiceError> {
    let patched = patch::apply(rt, current.attrs.clone(), ops, terms)?;
    let attrs = validate::normalize(rt, &Value::Object(patched), Mode::Full)?;
    validate::check_immutable(rt, &current.attrs, &attrs)?;
    Ok(attrs)
}
