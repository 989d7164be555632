//! Groups: create, read, list, update and delete, each in one transaction. Members live in
//! `group_members` (see `memberships`).

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use sqlx::FromRow;
use sqlx::types::Json;

use super::db::{Db, Dialect, Tx, args};
use super::listing::{self, Listing};
use super::{ListQuery, Page, StoreError, filter_sql, memberships};
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

/// Group attributes split into their columns.
struct GroupColumns {
    display_name: String,
    external_id: Option<String>,
    members: Vec<Value>,
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
    let members = match attrs.remove("members") {
        Some(Value::Array(m)) => m,
        _ => Vec::new(),
    };
    Ok(GroupColumns {
        display_name,
        external_id,
        members,
        extra: attrs,
    })
}

/// Inserts a new group with its members.
pub async fn create(
    db: &Db,
    tenant: &str,
    attrs: Map<String, Value>,
) -> Result<Resource, StoreError> {
    let cols = split(attrs)?;
    let id = uuid::Uuid::new_v4().to_string();
    let at = now();
    let mut tx = db.write().await?;
    tx.execute(
        "INSERT INTO groups (tenant_id, id, display_name, display_name_norm, external_id, extra, created, last_modified, version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7, 1)",
        args![tenant, id.as_str(), cols.display_name.as_str(), cols.display_name.to_lowercase(), cols.external_id, Value::Object(cols.extra), at],
    )
    .await?;
    memberships::replace(&mut tx, tenant, &id, &cols.members).await?;
    let group = load(&mut tx, tenant, &id)
        .await?
        .ok_or(StoreError::RowMissing)?;
    tx.commit().await?;
    Ok(group)
}

/// Reads one group with its members.
pub async fn get(db: &Db, tenant: &str, id: &str) -> Result<Option<Resource>, StoreError> {
    let mut tx = db.read().await?;
    let group = load(&mut tx, tenant, id).await?;
    tx.commit().await?;
    Ok(group)
}

/// Reads, changes and writes one group in a single write transaction (see `users::update`).
pub async fn update<E: From<StoreError>>(
    db: &Db,
    tenant: &str,
    id: &str,
    change: impl FnOnce(Resource) -> Result<Map<String, Value>, E>,
) -> Result<Resource, E> {
    let mut tx = db.write().await?;
    if tx.dialect() == Dialect::Postgres {
        tx.execute(
            "SELECT 1 FROM groups WHERE tenant_id = $1 AND id = $2 FOR UPDATE",
            args![tenant, id],
        )
        .await?;
    }
    let current = load(&mut tx, tenant, id)
        .await?
        .ok_or(StoreError::NotFound)?;
    let version = current.meta.version;
    let cols = split(change(current)?)?;
    tx.execute(
        "UPDATE groups SET display_name = $3, display_name_norm = $4, external_id = $5, extra = $6, last_modified = $7, version = $8 \
         WHERE tenant_id = $1 AND id = $2",
        args![tenant, id, cols.display_name.as_str(), cols.display_name.to_lowercase(), cols.external_id, Value::Object(cols.extra), now(), version + 1],
    )
    .await?;
    memberships::replace(&mut tx, tenant, id, &cols.members).await?;
    let group = load(&mut tx, tenant, id)
        .await?
        .ok_or(StoreError::RowMissing)?;
    tx.commit().await?;
    Ok(group)
}

/// Deletes a group and its memberships; `false` if it did not exist.
pub async fn delete(db: &Db, tenant: &str, id: &str) -> Result<bool, StoreError> {
    let mut tx = db.write().await?;
    memberships::touch_groups_of_member(&mut tx, tenant, id).await?;
    let deleted = tx
        .execute(
            "DELETE FROM groups WHERE tenant_id = $1 AND id = $2",
            args![tenant, id],
        )
        .await?;
    tx.commit().await?;
    Ok(deleted > 0)
}

/// Lists groups matching the query, in a stable order (creation time, then id).
pub async fn list(db: &Db, tenant: &str, query: &ListQuery) -> Result<Page, StoreError> {
    let listing = Listing {
        table: "groups",
        alias: "g",
        select: GROUP_SELECT,
        compile: filter_sql::group_filter,
    };
    let mut tx = db.read().await?;
    let (total, rows) = listing::page::<GroupRow>(&mut tx, &listing, tenant, query).await?;
    let resources = assemble_all(&mut tx, tenant, rows).await?;
    tx.commit().await?;
    Ok(Page { total, resources })
}

async fn load(tx: &mut Tx, tenant: &str, id: &str) -> Result<Option<Resource>, StoreError> {
    let sql = format!("SELECT {GROUP_SELECT} FROM groups g WHERE g.tenant_id = $1 AND g.id = $2");
    let Some(row) = tx
        .fetch_optional::<GroupRow>(&sql, args![tenant, id])
        .await?
    else {
        return Ok(None);
    };
    Ok(assemble_all(tx, tenant, vec![row]).await?.pop())
}

async fn assemble_all(
    tx: &mut Tx,
    tenant: &str,
    rows: Vec<GroupRow>,
) -> Result<Vec<Resource>, StoreError> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut members = memberships::members_of_groups(tx, tenant, &ids).await?;
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
                meta: Meta {
                    created: row.created,
                    last_modified: row.last_modified,
                    version: row.version,
                },
                attrs,
            }
        })
        .collect())
}
