//! The archive: users and groups deleted through SCIM, kept for a retention period so an admin
//! can restore them (or purge them at once). An archived resource is gone from SCIM — its row,
//! values and memberships are deleted, its `userName` is free — and lives here as JSON: its
//! attributes and meta, the groups it was in, and what else a restore needs.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::FromRow;
use sqlx::types::Json;

use super::StoreError;
use super::db::{Db, Dialect, Tx, args};
use super::write::Write;

/// `resource_type` of archived users and groups.
pub const USER: &str = "User";
pub const GROUP: &str = "Group";

const COLUMNS: &str = "resource_type, id, name, external_id, created, last_modified, deleted_at, \
                       deleted_by, request_id, purge_after, resource, memberships, extra";

/// An archived resource.
#[derive(Debug, Clone, FromRow)]
pub struct ArchivedRow {
    pub resource_type: String,
    pub id: String,
    /// `userName` or `displayName`.
    pub name: String,
    pub external_id: Option<String>,
    pub created: DateTime<Utc>,
    pub last_modified: DateTime<Utc>,
    pub deleted_at: DateTime<Utc>,
    /// The actor of the delete, as events show it.
    pub deleted_by: Json<Value>,
    pub request_id: String,
    pub purge_after: DateTime<Utc>,
    /// `{"attrs": {...}, "version": n}`: canonical attributes (no `groups`, no `members`).
    pub resource: Json<Value>,
    /// Ids of the groups it was in.
    pub memberships: Json<Vec<String>>,
    /// A user's `password_hash`; a group's `members` (ids) and mapped `roles`.
    pub extra: Json<Value>,
}

/// What the delete knows when it archives.
#[derive(Debug, Clone)]
pub struct Archiving<'a> {
    pub id: &'a str,
    pub deleted_at: DateTime<Utc>,
    pub deleted_by: Value,
    pub request_id: &'a str,
    pub purge_after: DateTime<Utc>,
    pub resource: Value,
    pub memberships: Vec<String>,
}

/// Archives the locked user `a.id` from its row, before the row is deleted (its name columns
/// and password hash are copied by the database).
pub async fn archive_user(
    w: &mut Write,
    tenant: &str,
    a: &Archiving<'_>,
) -> Result<(), StoreError> {
    let tx = w.tx();
    let extra = match tx.dialect() {
        Dialect::Sqlite => "json_object('password_hash', password_hash)",
        Dialect::Postgres => "jsonb_build_object('password_hash', password_hash)",
    };
    let sql = format!(
        "INSERT INTO archive (tenant_id, resource_type, id, name, name_norm, sort_name, external_id, \
           created, last_modified, deleted_at, deleted_by, request_id, purge_after, resource, memberships, extra) \
         SELECT tenant_id, '{USER}', id, user_name, user_name_norm, sort_name, external_id, created, \
           last_modified, $3, $4, $5, $6, $7, $8, {extra} FROM users WHERE tenant_id = $1 AND id = $2"
    );
    insert(tx, &sql, tenant, a).await
}

/// Archives the locked group `a.id`, with its members and mapped roles in `extra`.
pub async fn archive_group(
    w: &mut Write,
    tenant: &str,
    a: &Archiving<'_>,
    extra: Value,
) -> Result<(), StoreError> {
    let sql = "INSERT INTO archive (tenant_id, resource_type, id, name, name_norm, sort_name, external_id, \
           created, last_modified, deleted_at, deleted_by, request_id, purge_after, resource, memberships, extra) \
         SELECT tenant_id, 'Group', id, display_name, display_name_norm, display_name_norm, external_id, created, \
           last_modified, $3, $4, $5, $6, $7, $8, $9 FROM groups WHERE tenant_id = $1 AND id = $2";
    let tx = w.tx();
    let mut params = params(tenant, a);
    params.push(extra.into());
    if tx.execute(sql, params).await? != 1 {
        return Err(StoreError::RowMissing);
    }
    Ok(())
}

fn params(tenant: &str, a: &Archiving<'_>) -> Vec<super::db::Arg> {
    args![
        tenant,
        a.id,
        a.deleted_at,
        a.deleted_by.clone(),
        a.request_id,
        a.purge_after,
        a.resource.clone(),
        Value::from(a.memberships.clone())
    ]
}

async fn insert(tx: &mut Tx, sql: &str, tenant: &str, a: &Archiving<'_>) -> Result<(), StoreError> {
    if tx.execute(sql, params(tenant, a)).await? != 1 {
        return Err(StoreError::RowMissing);
    }
    Ok(())
}

/// One archived resource of the directory.
pub async fn get(db: &Db, tenant: &str, id: &str) -> Result<Option<ArchivedRow>, StoreError> {
    db.autocommit()
        .fetch_optional(
            &format!("SELECT {COLUMNS} FROM archive WHERE tenant_id = $1 AND id = $2"),
            args![tenant, id],
        )
        .await
}

/// Takes an archived resource out of the archive (to restore or purge it), locked for the
/// rest of the unit of work; `None` if it is not (or no longer) there.
pub async fn take(
    w: &mut Write,
    tenant: &str,
    id: &str,
) -> Result<Option<ArchivedRow>, StoreError> {
    let tx = w.tx();
    let row: Option<ArchivedRow> = tx
        .fetch_optional(
            &format!("SELECT {COLUMNS} FROM archive WHERE tenant_id = $1 AND id = $2"),
            args![tenant, id],
        )
        .await?;
    if row.is_some() {
        let n = tx
            .execute(
                "DELETE FROM archive WHERE tenant_id = $1 AND id = $2",
                args![tenant, id],
            )
            .await?;
        // Another writer took it between the read and the delete.
        if n != 1 {
            return Ok(None);
        }
    }
    Ok(row)
}

/// Archived resources past their retention, oldest first (any directory): `(tenant, id)`.
pub async fn due(
    db: &Db,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<(String, String)>, StoreError> {
    db.autocommit()
        .fetch_all(
            "SELECT tenant_id, id FROM archive WHERE purge_after <= $1 ORDER BY purge_after LIMIT $2",
            args![now, limit],
        )
        .await
}

/// How many users the directory's archive holds.
pub async fn count(db: &Db, tenant: &str, resource_type: &str) -> Result<i64, StoreError> {
    let (n,): (i64,) = db
        .autocommit()
        .fetch_one(
            "SELECT COUNT(*) FROM archive WHERE tenant_id = $1 AND resource_type = $2",
            args![tenant, resource_type],
        )
        .await?;
    Ok(n)
}
