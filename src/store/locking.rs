//! Row locks and version-checked deletes shared by Users and Groups. A write transaction locks
//! the resource's row before reading it (PostgreSQL row locks; SQLite's `BEGIN IMMEDIATE`
//! already holds the database write lock), so concurrent writers to one resource serialize and a
//! precondition checked on the version read stays true until commit.

use serde_json::Value;

use super::StoreError;
use super::db::{Dialect, Tx, args};

/// What a write is about to do to a locked row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intent {
    /// Change the row. `FOR NO KEY UPDATE` still lets other transactions insert memberships
    /// that reference it (their foreign-key checks take `FOR KEY SHARE`).
    Update,
    /// Delete the row.
    Delete,
}

/// Locks one row of `table` (`users` or `groups`) until the transaction ends.
pub async fn lock_row(
    tx: &mut Tx,
    table: &'static str,
    tenant: &str,
    id: &str,
    intent: Intent,
) -> Result<(), StoreError> {
    if tx.dialect() == Dialect::Postgres {
        let mode = match intent {
            Intent::Update => "FOR NO KEY UPDATE",
            Intent::Delete => "FOR UPDATE",
        };
        let sql = format!("SELECT 1 FROM {table} WHERE tenant_id = $1 AND id = $2 {mode}");
        tx.execute(&sql, args![tenant, id]).await?;
    }
    Ok(())
}

/// Locks the rows of `table` with the given ids (those that exist) for an update, in id order,
/// until the transaction ends. A transaction about to write several rows (a bulk request's
/// chunk) takes their locks up front and in one order, so two such transactions never wait for
/// each other in a cycle: PostgreSQL breaks a deadlock only after `deadlock_timeout` (a second
/// by default), by failing one of them.
pub async fn lock_rows(
    tx: &mut Tx,
    table: &'static str,
    tenant: &str,
    ids: &[String],
) -> Result<(), StoreError> {
    if tx.dialect() == Dialect::Postgres && !ids.is_empty() {
        let sql = format!(
            "SELECT 1 FROM {table} WHERE tenant_id = $1 \
             AND id IN (SELECT jsonb_array_elements_text($2)) ORDER BY id FOR NO KEY UPDATE"
        );
        let ids = Value::Array(ids.iter().cloned().map(Value::String).collect());
        tx.execute(&sql, args![tenant, ids]).await?;
    }
    Ok(())
}

/// Deletes one row of `table` if it still has `version` (the caller locked it and checked its
/// preconditions); memberships go with it through `ON DELETE CASCADE`.
pub async fn delete_version(
    tx: &mut Tx,
    table: &'static str,
    tenant: &str,
    id: &str,
    version: i64,
) -> Result<(), StoreError> {
    let sql = format!("DELETE FROM {table} WHERE tenant_id = $1 AND id = $2 AND version = $3");
    if tx.execute(&sql, args![tenant, id, version]).await? != 1 {
        return Err(StoreError::VersionConflict);
    }
    Ok(())
}
