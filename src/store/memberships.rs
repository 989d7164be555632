//! Group membership (`group_members`): the single source of both `Group.members` and the
//! read-only `User.groups` (RFC 7643 §4.1.2), so the two can never disagree.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use serde_json::{Map, Value};
use sqlx::FromRow;

use super::StoreError;
use super::db::{Dialect, Tx, args};
use super::sql::{SqlBuilder, placeholders};
use super::write::Write;
use crate::scim::member_patch::MemberChange;

/// How many ids go into one statement: well below both backends' parameter limits.
const CHUNK: usize = 500;

/// A member of a group, as change events name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRef {
    pub id: String,
    pub is_group: bool,
    /// The user's `displayName` (else `userName`) or the group's `displayName`.
    pub display: Option<String>,
}

/// The net effect of membership changes on one group: who joined and who left, each once.
#[derive(Debug, Default)]
pub struct MemberDelta {
    pub added: Vec<MemberRef>,
    pub removed: Vec<MemberRef>,
    /// Ids a [`MemberChange::Add`] named that are no User or Group of the tenant: skipped, so
    /// nobody joined for them.
    pub unknown: Vec<String>,
}

/// What adding members does with an id that names no User or Group of the tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unknown {
    /// `400 invalidValue`, and the whole request rolls back: a POST or PUT states the complete
    /// member list, so its sender learns at once which id is wrong.
    Refuse,
    /// Left out (the caller logs it): a PATCH `add` of several members, where refusing the whole
    /// request would also keep out the members that exist (see `MemberChange::Add`).
    Skip,
}

/// Collects additions and removals in order, cancelling a removal by a later addition of the
/// same member and vice versa, so a request that adds and removes one member reports nothing.
#[derive(Default)]
struct Net {
    order: Vec<String>,
    seen: HashSet<String>,
    state: HashMap<String, (bool, MemberRef)>,
}

impl Net {
    fn joined(&mut self, m: MemberRef) {
        self.change(m, true);
    }
    fn left(&mut self, m: MemberRef) {
        self.change(m, false);
    }
    fn change(&mut self, m: MemberRef, joined: bool) {
        match self.state.remove(&m.id) {
            Some((was_joined, _)) if was_joined != joined => {}
            _ => {
                if self.seen.insert(m.id.clone()) {
                    self.order.push(m.id.clone());
                }
                self.state.insert(m.id.clone(), (joined, m));
            }
        }
    }
    fn into_delta(mut self) -> MemberDelta {
        let mut delta = MemberDelta::default();
        for id in self.order {
            match self.state.remove(&id) {
                Some((true, m)) => delta.added.push(m),
                Some((false, m)) => delta.removed.push(m),
                None => {}
            }
        }
        delta
    }
}

/// Applies membership changes, in order, to one group and returns their net effect. A `Replace`
/// must name existing users or groups of the tenant (`invalidValue` otherwise); an `Add` skips
/// ids that name none and reports them in `unknown`. Adding a present member or removing an
/// absent one changes nothing and reports nothing.
pub async fn apply(
    tx: &mut Tx,
    tenant: &str,
    group_id: &str,
    changes: &[MemberChange],
) -> Result<MemberDelta, StoreError> {
    let mut net = Net::default();
    let mut unknown = Vec::new();
    for change in changes {
        match change {
            MemberChange::Add(ids) => {
                let (added, skipped) = insert(tx, tenant, group_id, ids, Unknown::Skip).await?;
                added.into_iter().for_each(|m| net.joined(m));
                unknown.extend(skipped);
            }
            MemberChange::Remove(ids) => {
                let ids: Vec<String> = ids.iter().map(|id| id.to_lowercase()).collect();
                for chunk in ids.chunks(CHUNK) {
                    let sql = format!(
                        "DELETE FROM group_members WHERE tenant_id = $1 AND group_id = $2 AND member_id IN ({}) \
                         RETURNING member_id, member_group_id IS NOT NULL",
                        placeholders(3, chunk.len())
                    );
                    let mut params = args![tenant, group_id];
                    params.extend(chunk.iter().map(|id| id.clone().into()));
                    for m in removed_rows(tx.fetch_all(&sql, params).await?) {
                        net.left(m);
                    }
                }
            }
            MemberChange::RemoveAll | MemberChange::Replace(_) => {
                let rows = tx
                    .fetch_all(
                        "DELETE FROM group_members WHERE tenant_id = $1 AND group_id = $2 \
                         RETURNING member_id, member_group_id IS NOT NULL",
                        args![tenant, group_id],
                    )
                    .await?;
                for m in removed_rows(rows) {
                    net.left(m);
                }
                if let MemberChange::Replace(ids) = change {
                    let (added, _) = insert(tx, tenant, group_id, ids, Unknown::Refuse).await?;
                    added.into_iter().for_each(|m| net.joined(m));
                }
            }
        }
    }
    let mut delta = net.into_delta();
    name_members(tx, tenant, &mut delta.removed).await?;
    delta.unknown = unknown;
    Ok(delta)
}

fn removed_rows(rows: Vec<(String, bool)>) -> impl Iterator<Item = MemberRef> {
    rows.into_iter().map(|(id, is_group)| MemberRef {
        id,
        is_group,
        display: None,
    })
}

/// Inserts members, skipping ones already present; returns those that were not, and the ids
/// `unknown` let through that name no User or Group.
async fn insert(
    tx: &mut Tx,
    tenant: &str,
    group_id: &str,
    ids: &[String],
    unknown: Unknown,
) -> Result<(Vec<MemberRef>, Vec<String>), StoreError> {
    let (members, skipped) = resolve(tx, tenant, group_id, ids, unknown).await?;
    let mut added = Vec::new();
    for chunk in members.chunks(CHUNK) {
        let mut sql = SqlBuilder::default();
        sql.push("INSERT INTO group_members (tenant_id, group_id, member_id, user_id, member_group_id) VALUES ");
        for (n, m) in chunk.iter().enumerate() {
            let (user_id, member_group_id) = if m.is_group {
                (None, Some(m.id.clone()))
            } else {
                (Some(m.id.clone()), None)
            };
            sql.push(if n == 0 { "(" } else { ", (" });
            sql.bind(tenant)
                .push(", ")
                .bind(group_id)
                .push(", ")
                .bind(m.id.clone());
            sql.push(", ")
                .bind(user_id)
                .push(", ")
                .bind(member_group_id)
                .push(")");
        }
        sql.push(" ON CONFLICT DO NOTHING RETURNING member_id");
        let inserted: Vec<(String,)> = tx
            .fetch_all(&sql.sql, sql.args)
            .await
            .map_err(|e| e.on_foreign_key(|| "a member was deleted while being added".into()))?;
        let inserted: HashSet<String> = inserted.into_iter().map(|(id,)| id).collect();
        added.extend(chunk.iter().filter(|m| inserted.contains(&m.id)).cloned());
    }
    Ok((added, skipped))
}

/// Resolves member ids to members with their type and display; ids that name no User or Group
/// are refused (`invalidValue`) or returned apart, as `unknown` says.
async fn resolve(
    tx: &mut Tx,
    tenant: &str,
    group_id: &str,
    ids: &[String],
    unknown: Unknown,
) -> Result<(Vec<MemberRef>, Vec<String>), StoreError> {
    // Ids are lower-case UUIDs; member values are caseExact false (RFC 7643 §4.2).
    let mut ids: Vec<String> = ids.iter().map(|id| id.to_lowercase()).collect();
    ids.sort();
    ids.dedup();
    if ids.iter().any(|id| id == group_id) {
        return Err(StoreError::InvalidReference(
            "a group cannot be a member of itself".into(),
        ));
    }
    let mut found = existing(tx, tenant, &ids).await?;
    let mut members = Vec::with_capacity(ids.len());
    let mut skipped = Vec::new();
    for id in ids {
        match found.remove(&id) {
            Some(m) => members.push(m),
            None if unknown == Unknown::Skip => skipped.push(id),
            None => {
                return Err(StoreError::InvalidReference(format!(
                    "member \"{id}\" is not an existing User or Group"
                )));
            }
        }
    }
    Ok((members, skipped))
}

/// Fills in the display of members that have none yet.
async fn name_members(
    tx: &mut Tx,
    tenant: &str,
    members: &mut [MemberRef],
) -> Result<(), StoreError> {
    if members.is_empty() {
        return Ok(());
    }
    let ids: Vec<String> = members.iter().map(|m| m.id.clone()).collect();
    let mut found = existing(tx, tenant, &ids).await?;
    for m in members.iter_mut() {
        if let Some(f) = found.remove(&m.id) {
            m.display = f.display;
        }
    }
    Ok(())
}

/// Which of `ids` exist as users or groups, with their type and display.
async fn existing(
    tx: &mut Tx,
    tenant: &str,
    ids: &[String],
) -> Result<HashMap<String, MemberRef>, StoreError> {
    let mut found = HashMap::new();
    for (table, display, is_group) in [
        ("users", "COALESCE(display_name, user_name)", false),
        ("groups", "display_name", true),
    ] {
        for chunk in ids.chunks(CHUNK) {
            let sql = format!(
                "SELECT id, {display} FROM {table} WHERE tenant_id = $1 AND id IN ({})",
                placeholders(2, chunk.len())
            );
            let mut params = args![tenant];
            params.extend(chunk.iter().map(|id| id.clone().into()));
            let rows: Vec<(String, Option<String>)> = tx.fetch_all(&sql, params).await?;
            for (id, display) in rows {
                found.insert(
                    id.clone(),
                    MemberRef {
                        id,
                        is_group,
                        display,
                    },
                );
            }
        }
    }
    Ok(found)
}

/// A group a removed member belonged to.
#[derive(Debug, Clone, FromRow)]
pub struct GroupRef {
    pub id: String,
    pub display_name: String,
}

/// Marks every group that has `member_id` as a member as modified at `at`, before that member is
/// removed, and returns them. Called first by a delete, so every writer locks groups before the
/// member's own row and none deadlock.
pub async fn touch_groups_of_member(
    w: &mut Write,
    tenant: &str,
    member_id: &str,
    at: DateTime<Utc>,
) -> Result<Vec<GroupRef>, StoreError> {
    w.tx().fetch_all(
        "UPDATE groups SET version = version + 1, last_modified = $3 \
         WHERE tenant_id = $1 AND id IN (SELECT group_id FROM group_members WHERE tenant_id = $1 AND member_id = $2) \
         RETURNING id, display_name",
        args![tenant, member_id, at],
    )
    .await
}

/// Of the groups [`touch_groups_of_member`] touched, those `member_id` still belongs to, read once
/// its own row is locked; `None` if it also belongs to a group that was not touched (the caller
/// then starts its unit of work again).
///
/// On PostgreSQL, memberships can change between the touch and the member's row lock: a
/// transaction adding the member to another group holds `FOR KEY SHARE` on the member's row (its
/// foreign-key check), so the delete's `FOR UPDATE` waits for it and the membership commits in a
/// group the touch neither saw nor locked; and a removal that committed while the touch waited for
/// a group's row still has that group touched. Once the member's row is locked, its memberships
/// cannot change (adding one needs the key-share lock, removing one the group's row, which the
/// touch holds), so this read is what the delete removes. SQLite runs writers one at a time, so
/// there the touch is already exact.
pub async fn settle_departures(
    w: &mut Write,
    tenant: &str,
    member_id: &str,
    touched: Vec<GroupRef>,
) -> Result<Option<Vec<GroupRef>>, StoreError> {
    if w.tx().dialect() == Dialect::Sqlite {
        return Ok(Some(touched));
    }
    let member_of: Vec<(String,)> = w
        .tx()
        .fetch_all(
            "SELECT group_id FROM group_members WHERE tenant_id = $1 AND member_id = $2",
            args![tenant, member_id],
        )
        .await?;
    let member_of: HashSet<String> = member_of.into_iter().map(|(g,)| g).collect();
    if member_of
        .iter()
        .any(|g| !touched.iter().any(|t| &t.id == g))
    {
        return Ok(None);
    }
    Ok(Some(
        touched
            .into_iter()
            .filter(|t| member_of.contains(&t.id))
            .collect(),
    ))
}

#[derive(FromRow)]
struct MemberRow {
    group_id: String,
    member_id: String,
    is_user: bool,
    display: Option<String>,
}

/// `Group.members` for each of `group_ids`, ordered by member id.
pub async fn members_of_groups(
    tx: &mut Tx,
    tenant: &str,
    group_ids: &[String],
) -> Result<HashMap<String, Vec<Value>>, StoreError> {
    let mut out: HashMap<String, Vec<Value>> = HashMap::new();
    if group_ids.is_empty() {
        return Ok(out);
    }
    let sql = format!(
        "SELECT gm.group_id AS group_id, gm.member_id AS member_id, gm.user_id IS NOT NULL AS is_user, \
                COALESCE(u.display_name, u.user_name, mg.display_name) AS display \
         FROM group_members gm \
         LEFT JOIN users u ON u.tenant_id = gm.tenant_id AND u.id = gm.user_id \
         LEFT JOIN groups mg ON mg.tenant_id = gm.tenant_id AND mg.id = gm.member_group_id \
         WHERE gm.tenant_id = $1 AND gm.group_id IN ({}) ORDER BY gm.group_id, gm.member_id",
        placeholders(2, group_ids.len())
    );
    let mut params = args![tenant];
    params.extend(group_ids.iter().map(|id| id.clone().into()));
    for row in tx.fetch_all::<MemberRow>(&sql, params).await? {
        let mut member = Map::new();
        member.insert("value".into(), Value::String(row.member_id));
        if let Some(display) = row.display {
            member.insert("display".into(), Value::String(display));
        }
        member.insert(
            "type".into(),
            Value::String(if row.is_user { "User" } else { "Group" }.into()),
        );
        out.entry(row.group_id)
            .or_default()
            .push(Value::Object(member));
    }
    Ok(out)
}

/// The ids of a group's members.
pub async fn member_ids(
    w: &mut Write,
    tenant: &str,
    group_id: &str,
) -> Result<Vec<String>, StoreError> {
    w.tx()
        .fetch_strings(
            "SELECT member_id FROM group_members WHERE tenant_id = $1 AND group_id = $2 ORDER BY member_id",
            args![tenant, group_id],
        )
        .await
}

/// Puts a restored member back into those of `group_ids` that still exist, marking each as
/// modified at `at`; returns the groups it joined.
pub async fn rejoin(
    w: &mut Write,
    tenant: &str,
    member: &MemberRef,
    group_ids: &[String],
    at: DateTime<Utc>,
) -> Result<Vec<GroupRef>, StoreError> {
    let mut joined = Vec::new();
    for chunk in group_ids.chunks(CHUNK) {
        let (user, group) = if member.is_group {
            (None, Some(member.id.clone()))
        } else {
            (Some(member.id.clone()), None)
        };
        let sql = format!(
            "INSERT INTO group_members (tenant_id, group_id, member_id, user_id, member_group_id) \
             SELECT tenant_id, id, $2, $3, $4 FROM groups WHERE tenant_id = $1 AND id IN ({}) \
             ON CONFLICT DO NOTHING",
            placeholders(5, chunk.len())
        );
        let mut params = args![tenant, member.id.as_str(), user, group];
        params.extend(chunk.iter().map(|id| id.clone().into()));
        w.tx().execute(&sql, params).await?;
        let sql = format!(
            "UPDATE groups SET version = version + 1, last_modified = $2 \
             WHERE tenant_id = $1 AND id IN ({}) RETURNING id, display_name",
            placeholders(3, chunk.len())
        );
        let mut params = args![tenant, at];
        params.extend(chunk.iter().map(|id| id.clone().into()));
        joined.extend(w.tx().fetch_all::<GroupRef>(&sql, params).await?);
    }
    Ok(joined)
}
