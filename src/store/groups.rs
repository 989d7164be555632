//! Groups: insert, read, list, save and delete; writes run inside a unit of work (`Write`). Members live in
//! `group_members` (see `memberships`) and are read only when the caller wants them.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use sqlx::FromRow;
use sqlx::types::Json;

use super::db::{Db, Tx, args};
use super::listing::{self, Listing};
use super::locking::{self, Intent};
use super::memberships::MemberDelta;
use super::write::{Reader, Write};
use super::{ListQuery, Page, StoreError, filter_sql, memberships};
use crate::scim::member_patch::{MemberChange, member_ids};
use crate::scim::resource::{Meta, Resource};

const GROUP_SELECT: &str =
    "g.id, g.display_name, g.external_id, g.extra, g.created, g.last_modified, g.version";

#[derive(FromRow)]
struct GroupRow {
    id: String,
    display_name: String,
    external_id: Option<String>,
    extra: Json<Value>,
    created: DateTime<Utc>,
    last_modified: DateTime<Utc>,
    version: i64,
}

/// A group's new attributes (without `members`) and how its membership changes.
#[derive(Debug)]
pub struct GroupChange {
    pub attrs: Map<String, Value>,
    pub members: Vec<MemberChange>,
}

impl GroupChange {
    /// A whole new group: its `members` attribute becomes a `Replace`.
    pub fn replace_all(mut attrs: Map<String, Value>) -> Result<Self, StoreError> {
        let members = match attrs.remove("members") {
            Some(m) => member_ids(&m).map_err(|e| StoreError::InvalidReference(e.to_string()))?,
            None => Vec::new(),
        };
        Ok(Self {
            attrs,
            members: vec![MemberChange::Replace(members)],
        })
    }
}

/// Group attributes split into their columns.
struct GroupColumns {
    display_name: String,
    external_id: Option<String>,
    extra: Map<String, Value>,
}

impl GroupColumns {
    /// Whether these are the columns of `attrs` (a stored group's attributes; its `members`
    /// are not compared, nor copied).
    fn holds(&self, attrs: &Map<String, Value>) -> bool {
        let columns = ["displayName", "externalId", "members"];
        attrs.get("displayName").and_then(Value::as_str) == Some(self.display_name.as_str())
            && attrs.get("externalId").and_then(Value::as_str) == self.external_id.as_deref()
            && attrs
                .keys()
                .filter(|k| !columns.contains(&k.as_str()))
                .count()
                == self.extra.len()
            && self.extra.iter().all(|(k, v)| attrs.get(k) == Some(v))
    }
}

fn split(mut attrs: Map<String, Value>) -> Result<GroupColumns, StoreError> {
    let display_name = match attrs.remove("displayName") {
        Some(Value::String(s)) => s,
        _ => {
            return Err(StoreError::Corrupt(
                "a group without displayName reached the store".into(),
            ));
        }
    };
    let external_id = match attrs.remove("externalId") {
        Some(Value::String(s)) => Some(s),
        _ => None,
    };
    attrs.remove("members");
    Ok(GroupColumns {
        display_name,
        external_id,
        extra: attrs,
    })
}

/// Inserts a new group with its members at `at`; returns it (with members) and who joined.
pub async fn insert(
    w: &mut Write,
    tenant: &str,
    change: GroupChange,
    at: DateTime<Utc>,
) -> Result<(Resource, MemberDelta), StoreError> {
    let id = super::resource_ids::new_resource_id();
    insert_as(w, tenant, &id, (at, 1), change, at).await
}

/// Inserts a group with a given id, and `(created, version)`, modified at `at` (a restore).
pub async fn insert_as(
    w: &mut Write,
    tenant: &str,
    id: &str,
    (created, version): (DateTime<Utc>, i64),
    change: GroupChange,
    at: DateTime<Utc>,
) -> Result<(Resource, MemberDelta), StoreError> {
    let cols = split(change.attrs)?;
    let tx = w.tx();
    tx.execute(
        "INSERT INTO groups (tenant_id, id, display_name, display_name_norm, external_id, extra, created, last_modified, version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        args![tenant, id, cols.display_name.as_str(), cols.display_name.to_lowercase(), cols.external_id, Value::Object(cols.extra), created, at, version],
    )
    .await?;
    let delta = memberships::apply(tx, tenant, id, &change.members).await?;
    let group = load(tx, tenant, id, true)
        .await?
        .ok_or(StoreError::RowMissing)?;
    Ok((group, delta))
}

/// Reads one group; its members only if `with_members`.
pub async fn get(
    db: &Db,
    tenant: &str,
    id: &str,
    with_members: bool,
) -> Result<Option<Resource>, StoreError> {
    let mut tx = db.read().await?;
    let group = load(&mut tx, tenant, id, with_members).await?;
    tx.commit().await?;
    Ok(group)
}

/// Locks one group's row for the rest of the unit of work and reads it (its members only if
/// `with_members`: a generic PATCH of `members` needs them, a member delta does not).
pub async fn load_locked(
    w: &mut Write,
    tenant: &str,
    id: &str,
    intent: Intent,
    with_members: bool,
) -> Result<Option<Resource>, StoreError> {
    let tx = w.tx();
    locking::lock_row(tx, "groups", tenant, id, intent).await?;
    load(tx, tenant, id, with_members).await
}

/// Locks the groups with the given ids for an update, in id order, until the unit of work ends
/// (see `locking::lock_rows`); ids of no group are skipped. Locks change no user.
pub async fn lock_many(w: &mut Write, tenant: &str, ids: &[String]) -> Result<(), StoreError> {
    locking::lock_rows(w.tx_keeping_read_ahead(), "groups", tenant, ids).await
}

/// Applies the membership changes to a locked group as row inserts and deletes (adding one
/// member to a large group touches one row), then writes its new attributes at `at`, checking
/// that its version is still `current`'s; returns who joined and who left. A write that
/// changes neither attributes nor members writes nothing: the version and `lastModified` stay.
pub async fn save(
    w: &mut Write,
    tenant: &str,
    current: &Resource,
    change: GroupChange,
    at: DateTime<Utc>,
) -> Result<MemberDelta, StoreError> {
    let cols = split(change.attrs)?;
    let tx = w.tx();
    let delta = memberships::apply(tx, tenant, &current.id, &change.members).await?;
    let unchanged =
        delta.added.is_empty() && delta.removed.is_empty() && cols.holds(&current.attrs);
    if unchanged {
        return Ok(delta);
    }
    let updated = tx
        .execute(
            "UPDATE groups SET display_name = $3, display_name_norm = $4, external_id = $5, extra = $6, last_modified = $7, \
             version = version + 1 WHERE tenant_id = $1 AND id = $2 AND version = $8",
            args![tenant, current.id.as_str(), cols.display_name.as_str(), cols.display_name.to_lowercase(), cols.external_id, Value::Object(cols.extra), at, current.meta.version],
        )
        .await?;
    if updated != 1 {
        return Err(StoreError::VersionConflict);
    }
    Ok(delta)
}

/// Reads a group again inside the unit of work (after [`save`]).
pub async fn reload(
    w: &mut Write,
    tenant: &str,
    id: &str,
    with_members: bool,
) -> Result<Resource, StoreError> {
    load(w.tx(), tenant, id, with_members)
        .await?
        .ok_or(StoreError::RowMissing)
}

/// Deletes a locked group and its memberships, if it still has `version`.
pub async fn delete(w: &mut Write, tenant: &str, id: &str, version: i64) -> Result<(), StoreError> {
    locking::delete_version(w.tx(), "groups", tenant, id, version).await
}

/// Lists groups matching the query; their members only if `with_members`.
pub async fn list(
    db: &Db,
    tenant: &str,
    query: &ListQuery,
    with_members: bool,
) -> Result<Page, StoreError> {
    let listing = Listing {
        table: "groups",
        alias: "g",
        select: GROUP_SELECT,
        compile: if query.across_types {
            filter_sql::group_filter_across_types
        } else {
            filter_sql::group_filter
        },
        sort: filter_sql::group_sort,
        sqlite_json: None,
    };
    let mut tx = db.read().await?;
    let (total, rows, more) = listing::page::<GroupRow>(&mut tx, &listing, tenant, query).await?;
    let resources = assemble_all(&mut tx, tenant, rows, with_members).await?;
    tx.commit().await?;
    Ok(Page {
        total,
        resources,
        more,
    })
}

async fn load(
    tx: &mut Tx,
    tenant: &str,
    id: &str,
    with_members: bool,
) -> Result<Option<Resource>, StoreError> {
    let sql = format!("SELECT {GROUP_SELECT} FROM groups g WHERE g.tenant_id = $1 AND g.id = $2");
    let Some(row) = tx
        .fetch_optional::<GroupRow>(&sql, args![tenant, id])
        .await?
    else {
        return Ok(None);
    };
    Ok(assemble_all(tx, tenant, vec![row], with_members)
        .await?
        .pop())
}

async fn assemble_all(
    tx: &mut Tx,
    tenant: &str,
    rows: Vec<GroupRow>,
    with_members: bool,
) -> Result<Vec<Resource>, StoreError> {
    let mut members = if with_members {
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        memberships::members_of_groups(tx, tenant, &ids).await?
    } else {
        Default::default()
    };
    Ok(rows
        .into_iter()
        .map(|row| {
            let mut attrs = match row.extra.0 {
                Value::Object(m) => m,
                _ => Map::new(),
            };
            attrs.insert("displayName".into(), Value::String(row.display_name));
            if let Some(e) = row.external_id {
                attrs.insert("externalId".into(), Value::String(e));
            }
            if let Some(m) = members.remove(&row.id) {
                attrs.insert("members".into(), Value::Array(m));
            }
            Resource {
                id: row.id,
                meta: Meta::new(row.created, row.last_modified, row.version),
                attrs,
            }
        })
        .collect())
}

/// The ids of the groups whose id is `key` or whose displayName is `key` (case-insensitive).
pub async fn find_by_id_or_name(
    mut reader: Reader<'_>,
    tenant: &str,
    key: &str,
) -> Result<Vec<String>, StoreError> {
    let by_id: Vec<(String,)> = reader
        .fetch_all(
            "SELECT id FROM groups WHERE tenant_id = $1 AND id = $2",
            args![tenant, key],
        )
        .await?;
    if !by_id.is_empty() {
        return Ok(by_id.into_iter().map(|(id,)| id).collect());
    }
    let by_name: Vec<(String,)> = reader
        .fetch_all(
            "SELECT id FROM groups WHERE tenant_id = $1 AND display_name_norm = $2 LIMIT 2",
            args![tenant, key.to_lowercase()],
        )
        .await?;
    Ok(by_name.into_iter().map(|(id,)| id).collect())
}
