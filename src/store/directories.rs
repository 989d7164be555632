//! Directories: one row of `tenants` per customer connection, and what is counted about one on
//! demand. Every other table carries `tenant_id`, so a directory's data is found, counted and
//! removed by that column alone.

use chrono::{DateTime, Utc};
use sqlx::FromRow;

use super::StoreError;
use super::db::{Db, args};

/// A directory as stored.
#[derive(Debug, Clone, FromRow)]
pub struct DirectoryRow {
    pub id: String,
    pub name: String,
    pub created: DateTime<Utc>,
}

/// What is counted about a directory when it is shown.
#[derive(Debug, Clone, Default, FromRow)]
pub struct Figures {
    /// Users whose `active` is not false and who are not suspended.
    pub active_users: i64,
    /// Users the identity provider set `active: false`.
    pub inactive_users: i64,
    /// Users an admin suspended locally.
    pub suspended_users: i64,
    /// Deleted users kept in the archive.
    pub archived_users: i64,
    pub groups: i64,
    /// SCIM tokens that still work: not expired, not revoked (or revoked only at the end of a
    /// grace period).
    pub tokens: i64,
    /// The last SCIM request the directory received.
    pub last_scim_request: Option<DateTime<Utc>>,
}

/// Records a new directory; `Uniqueness` if the id is taken.
pub async fn insert(db: &Db, row: &DirectoryRow) -> Result<(), StoreError> {
    let mut tx = db.write().await?;
    tx.execute(
        "INSERT INTO tenants (id, name, created) VALUES ($1, $2, $3)",
        args![row.id.as_str(), row.name.as_str(), row.created],
    )
    .await
    .map_err(|e| e.on_unique(|| format!("a directory with id \"{}\" already exists", row.id)))?;
    tx.commit().await
}

/// The directory `id`, if it exists.
pub async fn get(db: &Db, id: &str) -> Result<Option<DirectoryRow>, StoreError> {
    db.autocommit()
        .fetch_optional(
            "SELECT id, name, created FROM tenants WHERE id = $1",
            args![id],
        )
        .await
}

/// Whether the directory `id` exists.
pub async fn exists(db: &Db, id: &str) -> Result<bool, StoreError> {
    Ok(get(db, id).await?.is_some())
}

/// Every directory, oldest first.
pub async fn list(db: &Db) -> Result<Vec<DirectoryRow>, StoreError> {
    db.autocommit()
        .fetch_all(
            "SELECT id, name, created FROM tenants ORDER BY created, id",
            args![],
        )
        .await
}

/// Counts a directory's users by state, its groups and tokens, and finds its last SCIM request.
pub async fn figures(db: &Db, id: &str) -> Result<Figures, StoreError> {
    db.autocommit()
        .fetch_one(
            "SELECT \
               (SELECT COUNT(*) FROM users WHERE tenant_id = $1 AND state = 'active') AS active_users, \
               (SELECT COUNT(*) FROM users WHERE tenant_id = $1 AND state = 'inactive') AS inactive_users, \
               (SELECT COUNT(*) FROM users WHERE tenant_id = $1 AND state = 'suspended') AS suspended_users, \
               (SELECT COUNT(*) FROM archive WHERE tenant_id = $1 AND resource_type = 'User') AS archived_users, \
               (SELECT COUNT(*) FROM groups WHERE tenant_id = $1) AS groups, \
               (SELECT COUNT(*) FROM api_tokens WHERE tenant_id = $1 AND scope = 'scim' \
                  AND (revoked IS NULL OR revoked > $2) AND (expires IS NULL OR expires > $2)) AS tokens, \
               (SELECT MAX(at) FROM scim_requests WHERE tenant_id = $1) AS last_scim_request",
            args![id, crate::scim::resource::now()],
        )
        .await
}

/// Whether the directory holds any user or group.
pub async fn holds_resources(db: &Db, id: &str) -> Result<bool, StoreError> {
    let (n,): (i64,) = db
        .autocommit()
        .fetch_one(
            "SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM users WHERE tenant_id = $1 LIMIT 1) u) \
                  + (SELECT COUNT(*) FROM (SELECT 1 FROM groups WHERE tenant_id = $1 LIMIT 1) g)",
            args![id],
        )
        .await?;
    Ok(n > 0)
}

/// Removes the directory and everything it holds, in one transaction. Its events stay in the
/// feed until retention removes them (the feed only ever loses a prefix).
pub async fn delete(db: &Db, id: &str) -> Result<bool, StoreError> {
    let mut tx = db.write().await?;
    // Children before parents: PostgreSQL checks every foreign key, and not all cascade.
    for table in [
        "role_mappings",
        "archive",
        "group_members",
        "user_values",
        "groups",
        "users",
        "api_tokens",
        "signing_keys",
        "scim_requests",
    ] {
        tx.execute(
            &format!("DELETE FROM {table} WHERE tenant_id = $1"),
            args![id],
        )
        .await?;
    }
    let n = tx
        .execute("DELETE FROM tenants WHERE id = $1", args![id])
        .await?;
    tx.commit().await?;
    Ok(n > 0)
}
