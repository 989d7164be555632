//! Group writes (RFC 7644 §3.3, §3.5; deletes are in `resources`). Member operations become row
//! inserts and deletes (`scim::member_patch`), and each member that joins or leaves records one
//! event, so a change to a large group costs what the change costs, not what the group costs.

use serde_json::{Map, Value};

use super::resources::{Conditions, Kind, Patch, apply_ops};
use super::roles::RoleWatch;
use super::{Context, Service, ServiceError, changes};
use crate::scim::member_patch::{self, GroupPatch};
use crate::scim::resource::Resource;
use crate::scim::schema::GROUP_RESOURCE;
use crate::scim::validate::{self, Mode};
use crate::store::groups::{self, GroupChange};
use crate::store::memberships::GroupRef;
use crate::store::{Intent, Write};

/// Creates a group with its members.
pub(super) async fn create(
    service: &Service,
    ctx: &Context,
    body: &Value,
) -> Result<Resource, ServiceError> {
    let attrs = validate::normalize(&GROUP_RESOURCE, body, Mode::Full)?;
    let mut w = service.db.begin_write().await?;
    let group = create_in(service, &mut w, ctx, attrs).await?;
    service.announce(w.commit().await?);
    Ok(group)
}

/// Inserts a group from canonical attributes and records its events, in the caller's unit of
/// work.
pub(super) async fn create_in(
    service: &Service,
    w: &mut Write,
    ctx: &Context,
    attrs: Map<String, Value>,
) -> Result<Resource, ServiceError> {
    let change = GroupChange::replace_all(attrs)?;
    let ctx = &ctx.pinned();
    let (group, delta) = groups::insert(w, &ctx.directory, change, ctx.now()).await?;
    let doc = service.document(ctx, Kind::Group, &group);
    let group_ref = group_ref(&group);
    w.record(changes::created(ctx, Kind::Group, &group.id, doc));
    w.record_all(changes::membership(
        ctx,
        &group_ref,
        &delta.added,
        &delta.removed,
    ));
    Ok(group)
}

/// Replaces a group (PUT), its members included.
pub(super) async fn replace(
    service: &Service,
    ctx: &Context,
    id: &str,
    body: &Value,
    conditions: Conditions<'_>,
) -> Result<Resource, ServiceError> {
    let attrs = validate::normalize(&GROUP_RESOURCE, body, Mode::Full)?;
    let mut w = service.db.begin_write().await?;
    let group = replace_in(service, &mut w, ctx, id, attrs, conditions).await?;
    service.announce(w.commit().await?);
    Ok(group)
}

/// Replaces a group with canonical attributes, in the caller's unit of work.
pub(super) async fn replace_in(
    service: &Service,
    w: &mut Write,
    ctx: &Context,
    id: &str,
    attrs: Map<String, Value>,
    conditions: Conditions<'_>,
) -> Result<Resource, ServiceError> {
    let load = Loading {
        members: false,
        return_members: true,
    };
    save(service, w, ctx, id, conditions, load, move |current| {
        validate::check_immutable(&GROUP_RESOURCE, &current.attrs, &attrs)?;
        Ok(GroupChange::replace_all(attrs)?)
    })
    .await
}

/// Applies PATCH operations: member operations as row-level deltas when they can be (see
/// `member_patch`); otherwise the member list is loaded and patched as a whole.
pub(super) async fn patch(
    service: &Service,
    ctx: &Context,
    id: &str,
    patch: &Patch,
    return_members: bool,
    conditions: Conditions<'_>,
) -> Result<Resource, ServiceError> {
    let mut w = service.db.begin_write().await?;
    let group = patch_in(service, &mut w, ctx, id, patch, return_members, conditions).await?;
    service.announce(w.commit().await?);
    Ok(group)
}

/// Applies PATCH operations in the caller's unit of work.
pub(super) async fn patch_in(
    service: &Service,
    w: &mut Write,
    ctx: &Context,
    id: &str,
    patch: &Patch,
    return_members: bool,
    conditions: Conditions<'_>,
) -> Result<Resource, ServiceError> {
    match member_patch::split(&patch.ops)? {
        Some(GroupPatch {
            attribute_ops,
            member_changes,
        }) => {
            let load = Loading {
                members: false,
                return_members,
            };
            save(service, w, ctx, id, conditions, load, move |current| {
                let attrs = if attribute_ops.is_empty() {
                    current.attrs.clone()
                } else {
                    apply_ops(&GROUP_RESOURCE, current, &attribute_ops, patch.terms)?
                };
                Ok(GroupChange {
                    attrs,
                    members: member_changes,
                })
            })
            .await
        }
        None => {
            let load = Loading {
                members: true,
                return_members,
            };
            save(service, w, ctx, id, conditions, load, |current| {
                Ok(GroupChange::replace_all(apply_ops(
                    &GROUP_RESOURCE,
                    current,
                    &patch.ops,
                    patch.terms,
                )?)?)
            })
            .await
        }
    }
}

/// Which members a group write reads.
#[derive(Clone, Copy)]
struct Loading {
    /// Whether `change` needs the current members (a generic PATCH of `members`).
    members: bool,
    /// Whether the returned group carries its members.
    return_members: bool,
}

/// Locks and loads the group, checks the preconditions, lets `change` compute the new
/// attributes and membership changes, saves and records the events, in the caller's unit of
/// work.
async fn save(
    service: &Service,
    w: &mut Write,
    ctx: &Context,
    id: &str,
    conditions: Conditions<'_>,
    load: Loading,
    change: impl FnOnce(&Resource) -> Result<GroupChange, ServiceError>,
) -> Result<Resource, ServiceError> {
    let dir = ctx.directory.as_str();
    let current = groups::load_locked(w, dir, id, Intent::Update, load.members)
        .await?
        .ok_or_else(|| Kind::Group.not_found(id))?;
    conditions.check(&current.meta)?;
    let ctx = &ctx.pinned();
    let change = change(&current)?;
    // Members joining or leaving may gain or lose roles mapped to it or a group it is in.
    let watch = if change.members.is_empty() {
        None
    } else {
        RoleWatch::group(w, dir, id).await?
    };
    let delta = groups::save(w, dir, &current, change, ctx.now()).await?;
    if !delta.unknown.is_empty() {
        // Skipped rather than refused (see `MemberChange::Add`); the log is where an operator
        // sees that an identity provider referred to resources scimd does not have.
        tracing::warn!(
            group = id,
            unknown = ?delta.unknown,
            "a group PATCH added ids that are no existing User or Group; they were skipped"
        );
    }
    let saved = groups::reload(w, dir, id, load.return_members).await?;
    let before = service.document(ctx, Kind::Group, &current);
    let after = service.document(ctx, Kind::Group, &saved);
    if let Some(e) = changes::updated(ctx, Kind::Group, id, before, after) {
        w.record(e);
    }
    let group = group_ref(&saved);
    w.record_all(changes::membership(
        ctx,
        &group,
        &delta.added,
        &delta.removed,
    ));
    if let Some(watch) = watch {
        let events = watch.finish(w, ctx, Some(id)).await?;
        w.record_all(events);
    }
    Ok(saved)
}

fn group_ref(group: &Resource) -> GroupRef {
    GroupRef {
        id: group.id.clone(),
        display_name: group
            .attrs
            .get("displayName")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
    }
}
