//! Groups: create, read, list, update and delete, each in one transaction. Members live in
//! `group_members` (see `memberships`) and are read only when the caller wants them.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use sqlx::FromRow;
use sqlx::types::Json;

use super::db::{Db, Tx, args};
use super::listing::{self, Listing};
use super::locking::{self, Intent};
use super::{ListQuery, Page, StoreError, filter_sql, memberships};
use crate::scim::member_patch::{MemberChange, member_ids};
use crate::scim::resource::{Meta, Resource, now};

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

/// Inserts a new group with its members.
pub async fn create(
    db: &Db,
    tenant: &str,
    attrs: Map<String, Value>,
) -> Result<Resource, StoreError> {
    let change = GroupChange::replace_all(attrs)?;
    let cols = split(change.attrs)?;
    let id = uuid::Uuid::new_v4().to_string();
    let at = now();
    let mut tx = db.write().await?;
    tx.execute(
        "INSERT INTO groups (tenant_id, id, display_name, display_name_norm, external_id, extra, created, last_modified, version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7, 1)",
        args![tenant, id.as_str(), cols.display_name.as_str(), cols.display_name.to_lowercase(), cols.external_id, Value::Object(cols.extra), at],
    )
    .await?;
    memberships::apply(&mut tx, tenant, &id, &change.members).await?;
    let group = load(&mut tx, tenant, &id, true)
        .await?
        .ok_or(StoreError::RowMissing)?;
    tx.commit().await?;
    Ok(group)
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

/// Options of [`update`].
#[derive(Debug, Clone, Copy)]
pub struct UpdateOptions {
    /// Whether `change` needs the current members (a generic PATCH of `members`).
    pub load_members: bool,
    /// Whether the returned resource carries its members.
    pub return_members: bool,
}

/// Reads, changes and writes one group in a single write transaction (see `users::update`).
/// Membership changes are applied as row inserts and deletes, so adding one member to a large
/// group touches one row.
pub async fn update<E: From<StoreError>>(
    db: &Db,
    tenant: &str,
    id: &str,
    options: UpdateOptions,
    change: impl FnOnce(Resource) -> Result<GroupChange, E>,
) -> Result<Resource, E> {
    let mut tx = db.write().await?;
    locking::lock_row(&mut tx, "groups", tenant, id, Intent::Update).await?;
    let current = load(&mut tx, tenant, id, options.load_members)
        .await?
        .ok_or(StoreError::NotFound)?;
    let version = current.meta.version;
    let change = change(current)?;
    let cols = split(change.attrs)?;
    let updated = tx
        .execute(
            "UPDATE groups SET display_name = $3, display_name_norm = $4, external_id = $5, extra = $6, last_modified = $7, \
             version = version + 1 WHERE tenant_id = $1 AND id = $2 AND version = $8",
            args![tenant, id, cols.display_name.as_str(), cols.display_name.to_lowercase(), cols.external_id, Value::Object(cols.extra), now(), version],
        )
        .await?;
    if updated != 1 {
        return Err(StoreError::VersionConflict.into());
    }
    memberships::apply(&mut tx, tenant, id, &change.members).await?;
    let group = load(&mut tx, tenant, id, options.return_members)
        .await?
        .ok_or(StoreError::RowMissing)?;
    tx.commit().await?;
    Ok(group)
}

/// Deletes a group and its memberships after `check` accepted its current version; `false` if
/// it did not exist.
pub async fn delete<E: From<StoreError>>(
    db: &Db,
    tenant: &str,
    id: &str,
    check: impl FnOnce(&Meta) -> Result<(), E>,
) -> Result<bool, E> {
    let mut tx = db.write().await?;
    // Parent groups first, then this row: the order every writer uses, so none deadlock.
    memberships::touch_groups_of_member(&mut tx, tenant, id).await?;
    locking::lock_row(&mut tx, "groups", tenant, id, Intent::Delete).await?;
    let Some(current) = load(&mut tx, tenant, id, false).await? else {
        return Ok(false);
    };
    check(&current.meta)?;
    locking::delete_version(&mut tx, "groups", tenant, id, current.meta.version).await?;
    tx.commit().await?;
    Ok(true)
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
