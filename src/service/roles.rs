//! Roles: the host application maps roles to groups (`PUT …/role-mappings`), and a user's
//! effective roles are its SCIM `roles` values plus the roles of every group it is in, nested
//! groups included. Every write that can change someone's effective roles — a member joining or
//! leaving a group that reaches a mapping, a mapping change, a change of a user's SCIM `roles`,
//! a group deleted or restored — records `user.roles_changed` with the old and new roles, in the
//! same unit of work.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde_json::Value;

use super::{Context, Service, ServiceError, changes};
use crate::store::events::NewEvent;
use crate::store::roles::{self, EffectiveRoles};
use crate::store::{Reader, StoreError, Write};

/// The most roles mapped to one group, and the longest role name.
const MAX_ROLES_PER_GROUP: usize = 100;
const MAX_ROLE_LENGTH: usize = 100;
/// The most groups one mapping request names.
const MAX_MAPPED_GROUPS: usize = 10_000;

/// Roles by group id.
type GroupRoles = BTreeMap<String, BTreeSet<String>>;

/// The effective roles of some users before a write, to compare with after it.
pub(super) struct RoleWatch {
    users: HashSet<String>,
    before: EffectiveRoles,
}

impl RoleWatch {
    /// Before a change of `group_id`'s members (or its deletion): `None` when neither it nor
    /// any group it is in has mapped roles, so no one's roles can change.
    pub async fn group(
        w: &mut Write,
        tenant: &str,
        group_id: &str,
    ) -> Result<Option<Self>, StoreError> {
        if !roles::reaches_mapping(w, tenant, group_id).await? {
            return Ok(None);
        }
        let users = roles::users_under(w, tenant, group_id)
            .await?
            .into_iter()
            .collect();
        Ok(Some(Self::users(w, tenant, users).await?))
    }

    /// Before a change that may alter the roles of `users`.
    pub async fn users(
        w: &mut Write,
        tenant: &str,
        users: HashSet<String>,
    ) -> Result<Self, StoreError> {
        let before = roles::effective(w, tenant, &users).await?;
        Ok(Self { users, before })
    }

    /// After the change: one `user.roles_changed` per watched user (and per user now under
    /// `group`, if given) whose effective roles differ.
    pub async fn finish(
        mut self,
        w: &mut Write,
        ctx: &Context,
        group: Option<&str>,
    ) -> Result<Vec<NewEvent>, StoreError> {
        if let Some(g) = group {
            self.users
                .extend(roles::users_under(w, &ctx.directory, g).await?);
        }
        let after = roles::effective(w, &ctx.directory, &self.users).await?;
        let mut users: Vec<&String> = self.users.iter().collect();
        users.sort();
        Ok(users
            .into_iter()
            .filter_map(|u| {
                let (b, a) = (roles::names(&self.before, u), roles::names(&after, u));
                (b != a).then(|| changes::roles_changed(ctx, u, &b, &a))
            })
            .collect())
    }
}

/// A group's mapped roles.
#[derive(Debug, Clone)]
pub struct Mapping {
    pub group_id: String,
    pub display_name: String,
    pub roles: Vec<String>,
}

/// One entry of a mapping request: a group by id or displayName, and its roles.
#[derive(Debug, Clone)]
pub struct MappingRequest {
    pub group: String,
    pub roles: Vec<String>,
}

impl Service {
    /// The directory's group → role mappings.
    pub async fn role_mappings(&self, ctx: &Context) -> Result<Vec<Mapping>, ServiceError> {
        let mut out: Vec<Mapping> = Vec::new();
        for row in roles::mappings(&self.db, &ctx.directory).await? {
            match out.last_mut() {
                Some(m) if m.group_id == row.group_id => m.roles.push(row.role),
                _ => out.push(Mapping {
                    group_id: row.group_id,
                    display_name: row.display_name,
                    roles: vec![row.role],
                }),
            }
        }
        Ok(out)
    }

    /// Replaces all of the directory's mappings with `requested` (groups named by id or by
    /// displayName); a group left out loses its roles. Records `user.roles_changed` for every
    /// user whose effective roles change.
    pub async fn set_role_mappings(
        &self,
        ctx: &Context,
        requested: &[MappingRequest],
    ) -> Result<Vec<Mapping>, ServiceError> {
        if requested.len() > MAX_MAPPED_GROUPS {
            return Err(invalid(format!(
                "at most {MAX_MAPPED_GROUPS} groups can be mapped"
            )));
        }
        let mut wanted: GroupRoles = BTreeMap::new();
        for m in requested {
            let group = self.resolve_group(ctx, &m.group).await?;
            let roles = checked_roles(&m.roles)?;
            if !roles.is_empty() {
                wanted.entry(group).or_default().extend(roles);
            }
        }
        self.write_mappings(ctx, |_| wanted).await
    }

    /// Replaces the roles mapped to one group (by id) with `roles`, keeping the directory's
    /// other mappings as they are at the time of the write (the console edits one group).
    pub async fn set_group_roles(
        &self,
        ctx: &Context,
        group_id: &str,
        roles: &[String],
    ) -> Result<Vec<Mapping>, ServiceError> {
        crate::store::group_listing::get(&self.db, &ctx.directory, group_id)
            .await?
            .ok_or_else(|| super::Kind::Group.not_found(group_id))?;
        let roles = checked_roles(roles)?;
        let group_id = group_id.to_owned();
        self.write_mappings(ctx, move |current| {
            let mut wanted = current.clone();
            if roles.is_empty() {
                wanted.remove(&group_id);
            } else {
                wanted.insert(group_id, roles);
            }
            wanted
        })
        .await
    }

    /// Sets the directory's mappings to what `wanted` makes of the current ones, read under
    /// the directory's lock, recording `user.roles_changed` for each user whose roles change.
    async fn write_mappings(
        &self,
        ctx: &Context,
        wanted: impl FnOnce(&GroupRoles) -> GroupRoles,
    ) -> Result<Vec<Mapping>, ServiceError> {
        let dir = ctx.directory.as_str();
        let mut w = self.db.begin_write().await?;
        roles::lock_directory(&mut w, dir).await?;
        let ctx = &ctx.pinned();
        let current = roles::all_group_roles(&mut w, dir).await?;
        let wanted = wanted(&current);
        let changed: Vec<String> = current
            .keys()
            .chain(wanted.keys())
            .filter(|g| current.get(*g) != wanted.get(*g))
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut users = HashSet::new();
        for g in &changed {
            users.extend(roles::users_under(&mut w, dir, g).await?);
        }
        let watch = RoleWatch::users(&mut w, dir, users).await?;
        let empty = BTreeSet::new();
        for g in &changed {
            let roles = wanted.get(g).unwrap_or(&empty);
            roles::set_group_roles(&mut w, dir, g, roles)
                .await
                .map_err(|e| match e {
                    // The group was deleted since it was resolved.
                    StoreError::Database(_) => ServiceError::invalid(
                        "invalidValue",
                        format!("group \"{g}\" does not exist (any more)"),
                    ),
                    other => other.into(),
                })?;
        }
        let events = watch.finish(&mut w, ctx, None).await?;
        w.record_all(events);
        self.announce(w.commit().await?);
        self.role_mappings(ctx).await
    }

    /// The id of the group `group` names: its id, else its displayName (case-insensitive,
    /// which must name exactly one group).
    async fn resolve_group(&self, ctx: &Context, group: &str) -> Result<String, ServiceError> {
        let found = crate::store::groups::find_by_id_or_name(
            Reader::Committed(&self.db),
            &ctx.directory,
            group,
        )
        .await?;
        match found.as_slice() {
            [one] => Ok(one.clone()),
            [] => Err(invalid(format!(
                "no group has the id or displayName \"{group}\""
            ))),
            _ => Err(invalid(format!(
                "several groups are called \"{group}\": name the group by its id"
            ))),
        }
    }
}

fn checked_roles(roles: &[String]) -> Result<BTreeSet<String>, ServiceError> {
    if roles.len() > MAX_ROLES_PER_GROUP {
        return Err(invalid(format!(
            "at most {MAX_ROLES_PER_GROUP} roles per group"
        )));
    }
    roles
        .iter()
        .map(|r| {
            let r = r.trim();
            if r.is_empty()
                || r.chars().count() > MAX_ROLE_LENGTH
                || r.chars().any(char::is_control)
            {
                Err(invalid(format!(
                    "a role is 1 to {MAX_ROLE_LENGTH} printable characters"
                )))
            } else {
                Ok(r.to_owned())
            }
        })
        .collect()
}

fn invalid(detail: String) -> ServiceError {
    ServiceError::invalid("invalidValue", detail)
}

/// The SCIM `roles` values of a user's attributes (RFC 7643 §4.1.2), to tell whether a write
/// changes them.
pub(super) fn scim_roles(attrs: &serde_json::Map<String, Value>) -> BTreeSet<String> {
    attrs
        .get("roles")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|r| r.get("value").and_then(Value::as_str))
        .map(str::to_owned)
        .collect()
}
