//! Archive instead of erase. A SCIM `DELETE` removes a user or group from SCIM at once (`404`,
//! memberships ended, its `userName` free, `user.deleted`) but keeps it in the archive for the
//! retention period (`--archive-retention-days`), so an admin can restore it — the answer to an
//! identity provider's scoping mistake that deletes thousands of users at once — or purge it at
//! once (privacy erasure). Past retention, it is purged (`user.purged`).

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value, json};

use super::resources::Kind;
use super::roles::RoleWatch;
use super::{Context, Service, ServiceError, changes};
use crate::scim::member_patch::MemberChange;
use crate::scim::resource::Resource;
use crate::store::archive::{self, ArchivedRow, Archiving};
use crate::store::groups::GroupChange;
use crate::store::memberships::{self, GroupRef, MemberRef};
use crate::store::users::Restored;
use crate::store::{StoreError, Write, roles};

/// How long deleted users and groups are kept when nothing else is configured.
pub const DEFAULT_RETENTION_DAYS: u32 = 30;
/// Expired entries purged per unit of work.
const PURGE_BATCH: i64 = 200;

/// Archives `current` (locked, about to be deleted) with the groups it leaves.
pub(super) async fn archive(
    w: &mut Write,
    ctx: &Context,
    retention: Duration,
    kind: Kind,
    current: &Resource,
    left: &[GroupRef],
) -> Result<(), StoreError> {
    let dir = ctx.directory.as_str();
    let mut attrs = current.attrs.clone();
    attrs.remove("groups");
    attrs.remove("members");
    let a = Archiving {
        id: &current.id,
        deleted_at: ctx.now(),
        deleted_by: ctx.actor.to_json(),
        request_id: &ctx.request_id,
        purge_after: ctx.now() + retention,
        resource: json!({"attrs": attrs, "version": current.meta.version}),
        memberships: left.iter().map(|g| g.id.clone()).collect(),
    };
    match kind {
        Kind::User => archive::archive_user(w, dir, &a).await,
        Kind::Group => {
            let members = memberships::member_ids(w, dir, &current.id).await?;
            let roles = roles::group_roles(w, dir, &current.id).await?;
            archive::archive_group(w, dir, &a, json!({"members": members, "roles": roles})).await
        }
    }
}

/// An archived user or group as the admin API lists it.
#[derive(Debug, Clone)]
pub struct Archived {
    pub kind: Kind,
    pub id: String,
    pub name: String,
    pub external_id: Option<String>,
    pub created: DateTime<Utc>,
    pub last_modified: DateTime<Utc>,
    pub deleted_at: DateTime<Utc>,
    pub deleted_by: Value,
    pub purge_after: DateTime<Utc>,
    /// Its attributes when it was deleted.
    pub attrs: Map<String, Value>,
    /// The ids of the groups it was in.
    pub memberships: Vec<String>,
}

impl Archived {
    pub(super) fn from_row(row: ArchivedRow) -> Option<Self> {
        let kind = match row.resource_type.as_str() {
            archive::USER => Kind::User,
            archive::GROUP => Kind::Group,
            _ => return None,
        };
        let attrs = match row.resource.0.get("attrs") {
            Some(Value::Object(a)) => a.clone(),
            _ => Map::new(),
        };
        Some(Self {
            kind,
            id: row.id,
            name: row.name,
            external_id: row.external_id,
            created: row.created,
            last_modified: row.last_modified,
            deleted_at: row.deleted_at,
            deleted_by: row.deleted_by.0,
            purge_after: row.purge_after,
            attrs,
            memberships: row.memberships.0,
        })
    }
}

impl Service {
    /// One archived user or group of `ctx`'s directory.
    pub async fn archived(
        &self,
        ctx: &Context,
        kind: Kind,
        id: &str,
    ) -> Result<Archived, ServiceError> {
        archive::get(&self.db, &ctx.directory, id)
            .await?
            .and_then(Archived::from_row)
            .filter(|a| a.kind == kind)
            .ok_or_else(|| archived_not_found(kind, id))
    }

    /// Brings an archived user or group back, with the same id, into the groups it was in
    /// that still exist (a group also gets back its members that still exist and its role
    /// mappings). `409` if its `userName` was taken meanwhile.
    pub async fn restore(
        &self,
        ctx: &Context,
        kind: Kind,
        id: &str,
    ) -> Result<Value, ServiceError> {
        let dir = ctx.directory.as_str();
        let mut w = self.db.begin_write().await?;
        let ctx = &ctx.pinned();
        let row = archive::take(&mut w, dir, id)
            .await?
            .filter(|r| r.resource_type == kind.rt().name)
            .ok_or_else(|| archived_not_found(kind, id))?;
        let version = row
            .resource
            .0
            .get("version")
            .and_then(Value::as_i64)
            .unwrap_or(0)
            + 1;
        let attrs = match row.resource.0.get("attrs") {
            Some(Value::Object(a)) => a.clone(),
            _ => {
                return Err(StoreError::Corrupt(format!("archived {id} has no attributes")).into());
            }
        };
        let extra = row.extra.0.clone();
        let listed = |key: &str| -> Vec<String> {
            extra
                .get(key)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        };
        let members = listed("members");
        // Whoever can gain roles: the resource itself, or everyone under a restored group.
        let mut candidates: HashSet<String> = HashSet::from([id.to_owned()]);
        for m in &members {
            candidates.insert(m.clone());
            candidates.extend(roles::users_under(&mut w, dir, m).await?);
        }
        let watch = RoleWatch::users(&mut w, dir, candidates).await?;
        let taken = |e: StoreError| match e {
            StoreError::Uniqueness(d) => ServiceError::Conflict(format!(
                "{d}: rename or delete that user first, then restore this one"
            )),
            other => other.into(),
        };
        let (resource, member_events) = match kind {
            Kind::User => {
                let hash = extra
                    .get("password_hash")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                let restored = Restored {
                    id,
                    created: row.created,
                    version,
                };
                let user =
                    crate::store::users::insert_as(&mut w, dir, &restored, attrs, hash, ctx.now())
                        .await
                        .map_err(taken)?;
                (user, Vec::new())
            }
            Kind::Group => {
                let change = GroupChange {
                    attrs,
                    members: vec![MemberChange::Add(members.clone())],
                };
                let (group, delta) = crate::store::groups::insert_as(
                    &mut w,
                    dir,
                    id,
                    (row.created, version),
                    change,
                    ctx.now(),
                )
                .await
                .map_err(taken)?;
                let roles = listed("roles").into_iter().collect();
                roles::set_group_roles(&mut w, dir, id, &roles).await?;
                let group_ref = GroupRef {
                    id: id.to_owned(),
                    display_name: row.name.clone(),
                };
                let events = changes::membership(ctx, &group_ref, &delta.added, &[]);
                (group, events)
            }
        };
        let member = MemberRef {
            id: id.to_owned(),
            is_group: kind == Kind::Group,
            display: Some(row.name.clone()),
        };
        let joined =
            memberships::rejoin(&mut w, dir, &member, &row.memberships.0, ctx.now()).await?;
        let doc = self.document(ctx, kind, &resource);
        w.record(changes::restored(ctx, kind, id, doc));
        w.record_all(member_events);
        for g in &joined {
            w.record_all(changes::membership(
                ctx,
                g,
                std::slice::from_ref(&member),
                &[],
            ));
        }
        let role_events = watch
            .finish(&mut w, ctx, (kind == Kind::Group).then_some(id))
            .await?;
        w.record_all(role_events);
        self.announce(w.commit().await?);
        Ok(match kind {
            Kind::User => self.get_rendered(ctx, kind, id).await?,
            Kind::Group => Value::Object(self.document(ctx, kind, &resource)),
        })
    }

    /// Erases an archived user or group now (`user.purged` / `group.purged`).
    pub async fn purge(&self, ctx: &Context, kind: Kind, id: &str) -> Result<(), ServiceError> {
        let mut w = self.db.begin_write().await?;
        let ctx = &ctx.pinned();
        archive::take(&mut w, &ctx.directory, id)
            .await?
            .filter(|r| r.resource_type == kind.rt().name)
            .ok_or_else(|| archived_not_found(kind, id))?;
        w.record(changes::purged(ctx, kind, id));
        self.announce(w.commit().await?);
        Ok(())
    }

    /// Purges every archived resource past its retention, in every directory; returns how many.
    pub async fn purge_expired(&self) -> Result<usize, ServiceError> {
        let mut purged = 0;
        loop {
            let due = archive::due(&self.db, crate::scim::resource::now(), PURGE_BATCH).await?;
            if due.is_empty() {
                return Ok(purged);
            }
            for (directory, id) in &due {
                let ctx = Context::system(directory.as_str());
                let mut w = self.db.begin_write().await?;
                if let Some(row) = archive::take(&mut w, directory, id).await? {
                    let kind = if row.resource_type == archive::GROUP {
                        Kind::Group
                    } else {
                        Kind::User
                    };
                    w.record(changes::purged(&ctx, kind, id));
                    purged += 1;
                }
                self.announce(w.commit().await?);
            }
        }
    }

    /// A resource's whole SCIM representation as it is now.
    async fn get_rendered(
        &self,
        ctx: &Context,
        kind: Kind,
        id: &str,
    ) -> Result<Value, ServiceError> {
        let resource = match kind {
            Kind::User => crate::store::users::get(&self.db, &ctx.directory, id).await?,
            Kind::Group => crate::store::groups::get(&self.db, &ctx.directory, id, false).await?,
        }
        .ok_or_else(|| kind.not_found(id))?;
        Ok(Value::Object(self.document(ctx, kind, &resource)))
    }
}

fn archived_not_found(kind: Kind, id: &str) -> ServiceError {
    ServiceError::NotFound {
        resource: match kind {
            Kind::User => "Archived user",
            Kind::Group => "Archived group",
        },
        id: id.to_owned(),
    }
}
