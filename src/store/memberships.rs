//! Group membership (`group_members`): the single source of both `Group.members` and the
//! read-only `User.groups` (RFC 7643 §4.1.2), so the two can never disagree.

use std::collections::HashMap;

use serde_json::{Map, Value};
use sqlx::FromRow;

use super::StoreError;
use super::db::{Tx, args};
use super::sql::{SqlBuilder, placeholders};
use crate::scim::member_patch::MemberChange;
use crate::scim::resource::now;

/// How many ids go into one statement: well below both backends' parameter limits.
const CHUNK: usize = 500;

/// Applies membership changes, in order, to one group. Added members must be existing users or
/// groups of the tenant (`invalidValue` otherwise); adding a present member or removing an absent
/// one changes nothing.
pub async fn apply(
    tx: &mut Tx,
    tenant: &str,
    group_id: &str,
    changes: &[MemberChange],
) -> Result<(), StoreError> {
    for change in changes {
        match change {
            MemberChange::Add(ids) => insert(tx, tenant, group_id, ids).await?,
            MemberChange::Remove(ids) => {
                let ids: Vec<String> = ids.iter().map(|id| id.to_lowercase()).collect();
                for chunk in ids.chunks(CHUNK) {
                    let sql = format!(
                        "DELETE FROM group_members WHERE tenant_id = $1 AND group_id = $2 AND member_id IN ({})",
                        placeholders(3, chunk.len())
                    );
                    let mut params = args![tenant, group_id];
                    params.extend(chunk.iter().map(|id| id.clone().into()));
                    tx.execute(&sql, params).await?;
                }
            }
            MemberChange::RemoveAll | MemberChange::Replace(_) => {
                tx.execute(
                    "DELETE FROM group_members WHERE tenant_id = $1 AND group_id = $2",
                    args![tenant, group_id],
                )
                .await?;
                if let MemberChange::Replace(ids) = change {
                    insert(tx, tenant, group_id, ids).await?;
                }
            }
        }
    }
    Ok(())
}

/// Inserts members, skipping ones already present.
async fn insert(
    tx: &mut Tx,
    tenant: &str,
    group_id: &str,
    ids: &[String],
) -> Result<(), StoreError> {
    let members = resolve(tx, tenant, group_id, ids).await?;
    for chunk in members.chunks(CHUNK) {
        let mut sql = SqlBuilder::default();
        sql.push("INSERT INTO group_members (tenant_id, group_id, member_id, user_id, member_group_id) VALUES ");
        for (n, (member_id, is_group)) in chunk.iter().enumerate() {
            let (user_id, member_group_id) = if *is_group {
                (None, Some(member_id.clone()))
            } else {
                (Some(member_id.clone()), None)
            };
            sql.push(if n == 0 { "(" } else { ", (" });
            sql.bind(tenant)
                .push(", ")
                .bind(group_id)
                .push(", ")
                .bind(member_id.clone());
            sql.push(", ")
                .bind(user_id)
                .push(", ")
                .bind(member_group_id)
                .push(")");
        }
        sql.push(" ON CONFLICT DO NOTHING");
        tx.execute(&sql.sql, sql.args)
            .await
            .map_err(|e| e.on_foreign_key(|| "a member was deleted while being added".into()))?;
    }
    Ok(())
}

/// Resolves member ids to `(id, is_group)`, refusing unknown ids (`invalidValue`).
async fn resolve(
    tx: &mut Tx,
    tenant: &str,
    group_id: &str,
    ids: &[String],
) -> Result<Vec<(String, bool)>, StoreError> {
    // Ids are lower-case UUIDs; member values are caseExact false (RFC 7643 §4.2).
    let mut ids: Vec<String> = ids.iter().map(|id| id.to_lowercase()).collect();
    ids.sort();
    ids.dedup();
    if ids.iter().any(|id| id == group_id) {
        return Err(StoreError::InvalidReference(
            "a group cannot be a member of itself".into(),
        ));
    }
    let user_ids = existing(tx, "users", tenant, &ids).await?;
    let group_ids = existing(tx, "groups", tenant, &ids).await?;
    ids.into_iter()
        .map(|id| {
            if user_ids.binary_search(&id).is_ok() {
                Ok((id, false))
            } else if group_ids.binary_search(&id).is_ok() {
                Ok((id, true))
            } else {
                Err(StoreError::InvalidReference(format!(
                    "member \"{id}\" is not an existing User or Group"
                )))
            }
        })
        .collect()
}

/// Which of `ids` exist in `table` (`users` or `groups`), sorted.
async fn existing(
    tx: &mut Tx,
    table: &'static str,
    tenant: &str,
    ids: &[String],
) -> Result<Vec<String>, StoreError> {
    let mut found = Vec::new();
    for chunk in ids.chunks(CHUNK) {
        let sql = format!(
            "SELECT id FROM {table} WHERE tenant_id = $1 AND id IN ({})",
            placeholders(2, chunk.len())
        );
        let mut params = args![tenant];
        params.extend(chunk.iter().map(|id| id.clone().into()));
        let rows: Vec<(String,)> = tx.fetch_all(&sql, params).await?;
        found.extend(rows.into_iter().map(|(id,)| id));
    }
    found.sort();
    Ok(found)
}

/// Marks every group that has `member_id` as a member as modified, before that member is removed.
pub async fn touch_groups_of_member(
    tx: &mut Tx,
    tenant: &str,
    member_id: &str,
) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE groups SET version = version + 1, last_modified = $3 \
         WHERE tenant_id = $1 AND id IN (SELECT group_id FROM group_members WHERE tenant_id = $1 AND member_id = $2)",
        args![tenant, member_id, now()],
    )
    .await?;
    Ok(())
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
