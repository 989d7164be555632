//! Row locks and version-checked deletes shared by Users and Groups. A write transaction locks
//! the resource's row before reading it (PostgreSQL `FOR UPDATE`; SQLite's `BEGIN IMMEDIATE`
//! already holds the database write lock), so concurrent writers to one resource serialize and a
//! precondition checked on the version read stays true until commit.

use super::StoreError;
use super::db::{Db, Dialect, Tx, args};
use super::memberships;
use crate::scim::resource::Meta;

/// Locks one row of `table` (`users` or `groups`) until the transaction ends.
pub async fn lock_row(
    tx: &mut Tx,
    table: &'static str,
    tenant: &str,
    id: &str,
) -> Result<(), StoreError> {
    if tx.dialect() == Dialect::Postgres {
        let sql = format!("SELECT 1 FROM {table} WHERE tenant_id = $1 AND id = $2 FOR UPDATE");
        tx.execute(&sql, args![tenant, id]).await?;
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
struct MetaRow {
    created: chrono::DateTime<chrono::Utc>,
    last_modified: chrono::DateTime<chrono::Utc>,
    version: i64,
}

/// Deletes one resource (and its memberships) if `check` accepts its current version, with the
/// version also checked by the `DELETE` itself; `false` if it did not exist.
pub async fn delete_row<E: From<StoreError>>(
    db: &Db,
    table: &'static str,
    tenant: &str,
    id: &str,
    check: impl FnOnce(&Meta) -> Result<(), E>,
) -> Result<bool, E> {
    let mut tx = db.write().await?;
    lock_row(&mut tx, table, tenant, id).await?;
    let sql = format!(
        "SELECT created, last_modified, version FROM {table} WHERE tenant_id = $1 AND id = $2"
    );
    let Some(row) = tx
        .fetch_optional::<MetaRow>(&sql, args![tenant, id])
        .await?
    else {
        return Ok(false);
    };
    check(&Meta {
        created: row.created,
        last_modified: row.last_modified,
        version: row.version,
    })?;
    memberships::touch_groups_of_member(&mut tx, tenant, id).await?;
    let sql = format!("DELETE FROM {table} WHERE tenant_id = $1 AND id = $2 AND version = $3");
    if tx.execute(&sql, args![tenant, id, row.version]).await? != 1 {
        return Err(StoreError::VersionConflict.into());
    }
    tx.commit().await?;
    Ok(true)
}
