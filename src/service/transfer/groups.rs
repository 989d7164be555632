//! The `groups` column of an import: group names resolved to ids (a bounded cache in front of the
//! `groups_display_name` index), missing groups created, and a user's direct memberships brought
//! to the listed groups through the Group use cases (POST, PATCH `add` / `remove`) in the
//! import's unit of work, so each join and leave records its `group.member_added` /
//! `group.member_removed`.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::import::Rejection;
use crate::scim::filter::TermBudget;
use crate::scim::patch::{self, PATCH_OP_SCHEMA};
use crate::scim::schema::GROUP_RESOURCE;
use crate::scim::validate::{self, Mode};
use crate::service::resources::Patch;
use crate::service::{Conditions, Context, Service, ServiceError, groups as group_cases};
use crate::store::{Reader, Write, groups};

/// Names kept in the cache before it starts over: a directory with more groups than this costs
/// a lookup per name again, never more memory.
const CACHE_LIMIT: usize = 10_000;

/// What a group name stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Slot {
    /// The group with this id.
    Existing(String),
    /// No group has this name yet: the import creates it.
    Missing,
    /// No group has this name, and this dry run already counted it as one to create.
    Planned,
}

/// Group names resolved so far, by lower-cased name.
#[derive(Debug, Default)]
pub struct GroupNames {
    slots: HashMap<String, Slot>,
}

impl GroupNames {
    /// What `name` stands for; an error when it names more than one group.
    pub async fn resolve(
        &mut self,
        reader: Reader<'_>,
        ctx: &Context,
        name: &str,
    ) -> Result<Slot, Rejection> {
        let key = name.to_lowercase();
        if let Some(slot) = self.slots.get(&key) {
            return Ok(slot.clone());
        }
        let ids = groups::find_by_id_or_name(reader, &ctx.directory, name)
            .await
            .map_err(ServiceError::from)?;
        let slot = match ids.as_slice() {
            [] => Slot::Missing,
            [id] => Slot::Existing(id.clone()),
            _ => {
                return Err(Rejection::Row(format!(
                    "group \"{name}\" names more than one group; rename one of them"
                )));
            }
        };
        self.remember(&key, slot.clone());
        Ok(slot)
    }

    /// Records what `name` stands for now (a group this import created, say).
    pub fn remember(&mut self, name: &str, slot: Slot) {
        if self.slots.len() >= CACHE_LIMIT {
            self.slots.clear();
        }
        self.slots.insert(name.to_lowercase(), slot);
    }

    /// Forgets `name`, e.g. after its group turned out to be gone.
    pub fn forget(&mut self, name: &str) {
        self.slots.remove(&name.to_lowercase());
    }
}

/// The group ids of a user's direct memberships, as its `groups` attribute lists them.
pub fn direct_groups(attrs: &serde_json::Map<String, Value>) -> Vec<String> {
    attrs
        .get("groups")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|g| g.get("value").and_then(Value::as_str))
        .map(str::to_owned)
        .collect()
}

/// Creates the group `name` with `user` as its only member; returns its id.
pub async fn create_with(
    service: &Service,
    w: &mut Write,
    ctx: &Context,
    name: &str,
    user: &str,
) -> Result<String, ServiceError> {
    let body = json!({"displayName": name, "members": [{"value": user}]});
    let attrs = validate::normalize(&GROUP_RESOURCE, &body, Mode::Full)?;
    let created = group_cases::create_in(service, w, ctx, attrs).await?;
    Ok(created.id)
}

/// Adds `user` to the group (PATCH `add members`).
pub async fn join(
    service: &Service,
    w: &mut Write,
    ctx: &Context,
    group: &str,
    user: &str,
) -> Result<(), ServiceError> {
    let op = json!({"op": "add", "path": "members", "value": [{"value": user}]});
    member_patch(service, w, ctx, group, op).await
}

/// Removes `user` from the group (PATCH `remove members[value eq "…"]`).
pub async fn leave(
    service: &Service,
    w: &mut Write,
    ctx: &Context,
    group: &str,
    user: &str,
) -> Result<(), ServiceError> {
    let op = json!({"op": "remove", "path": format!("members[value eq \"{user}\"]")});
    member_patch(service, w, ctx, group, op).await
}

/// A Group PATCH of one operation, parsed and applied as a single PATCH request is.
async fn member_patch(
    service: &Service,
    w: &mut Write,
    ctx: &Context,
    group: &str,
    op: Value,
) -> Result<(), ServiceError> {
    let body = json!({"schemas": [PATCH_OP_SCHEMA], "Operations": [op]});
    let mut terms = TermBudget::new(service.limits.max_filter_terms);
    let ops = patch::parse(&body, &service.limits, &mut terms)?;
    let patch = Patch { ops, terms };
    group_cases::patch_in(service, w, ctx, group, &patch, false, Conditions::default()).await?;
    Ok(())
}
