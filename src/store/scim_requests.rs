//! The last SCIM requests each directory received (method, path, status, time), for the setup
//! view's "is my connection working?". Written in batches, the newest 100 kept per directory.

use chrono::{DateTime, Utc};
use sqlx::FromRow;

use super::StoreError;
use super::db::{Db, args};

/// Requests kept per directory.
pub const KEEP: i64 = 100;

/// One SCIM request as recorded.
#[derive(Debug, Clone, FromRow)]
pub struct SeenRequest {
    pub tenant_id: String,
    pub at: DateTime<Utc>,
    pub method: String,
    /// The path, without the query string (filters carry personal data).
    pub path: String,
    pub status: i64,
    pub duration_ms: i64,
}

/// Inserts `batch` (oldest first) in one transaction and trims each directory it names to its
/// newest [`KEEP`]. Requests to a directory that does not exist (any more) are dropped: a
/// directory deleted while the batch was written (on PostgreSQL its row can vanish between the
/// `EXISTS` and the foreign key's check) makes the batch run again, which then leaves it out.
pub async fn insert_batch(db: &Db, batch: &[SeenRequest]) -> Result<(), StoreError> {
    match try_insert_batch(db, batch).await {
        Err(StoreError::InvalidReference(_)) => try_insert_batch(db, batch).await,
        other => other,
    }
}

async fn try_insert_batch(db: &Db, batch: &[SeenRequest]) -> Result<(), StoreError> {
    if batch.is_empty() {
        return Ok(());
    }
    let mut tx = db.write().await?;
    let mut directories: Vec<&str> = Vec::new();
    for r in batch {
        tx.execute(
            "INSERT INTO scim_requests (tenant_id, at, method, path, status, duration_ms) \
             SELECT $1, $2, $3, $4, $5, $6 WHERE EXISTS (SELECT 1 FROM tenants WHERE id = $1)",
            args![
                r.tenant_id.as_str(),
                r.at,
                r.method.as_str(),
                r.path.as_str(),
                r.status,
                r.duration_ms
            ],
        )
        .await
        .map_err(|e| e.on_foreign_key(|| format!("directory {} was deleted", r.tenant_id)))?;
        if !directories.contains(&r.tenant_id.as_str()) {
            directories.push(&r.tenant_id);
        }
    }
    for d in directories {
        tx.execute(
            "DELETE FROM scim_requests WHERE tenant_id = $1 AND seq <= \
             (SELECT seq FROM scim_requests WHERE tenant_id = $1 ORDER BY seq DESC LIMIT 1 OFFSET $2)",
            args![d, KEEP],
        )
        .await?;
    }
    tx.commit().await
}

/// The directory's recorded requests, newest first.
pub async fn recent(db: &Db, tenant: &str, limit: i64) -> Result<Vec<SeenRequest>, StoreError> {
    db.autocommit()
        .fetch_all(
            // INTEGER columns are 32-bit on PostgreSQL: widened to the struct's i64 on both.
            "SELECT tenant_id, at, method, path, CAST(status AS BIGINT) AS status, \
             CAST(duration_ms AS BIGINT) AS duration_ms FROM scim_requests \
             WHERE tenant_id = $1 ORDER BY seq DESC LIMIT $2",
            args![tenant, limit],
        )
        .await
}
