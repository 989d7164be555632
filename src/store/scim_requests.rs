//! The last SCIM requests each directory received (method, path, status, time), for the setup
//! view's "is my connection working?". Written in batches, the newest 100 kept per directory.

use chrono::{DateTime, Utc};
use sqlx::FromRow;

use super::StoreError;
use super::db::{Db, args};
use super::sql::SqlBuilder;

/// Requests kept per directory.
pub const KEEP: i64 = 100;

/// Requests inserted by one statement (7 parameters each, within SQLite's 32,766). A batch is
/// about a second of requests: one statement per request held SQLite's one writer connection
/// for 35–50 ms each second at 1,500 requests/s (a hand-off to its thread per statement), and
/// every write waited behind it.
const ROWS_PER_STATEMENT: usize = 500;

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
    for rows in batch.chunks(ROWS_PER_STATEMENT) {
        // `VALUES` names its columns column1, column2, … on both databases. The first is the
        // row's place: PostgreSQL may reorder the rows to check the directories (a hash join),
        // and `seq` must follow the order the requests were answered in.
        let mut sql = SqlBuilder::default();
        sql.push(
            "INSERT INTO scim_requests (tenant_id, at, method, path, status, duration_ms) \
             SELECT column2, column3, column4, column5, column6, column7 FROM (VALUES ",
        );
        for (n, r) in rows.iter().enumerate() {
            let row = args![
                n as i64,
                r.tenant_id.as_str(),
                r.at,
                r.method.as_str(),
                r.path.as_str(),
                r.status,
                r.duration_ms,
            ];
            sql.row(n == 0, row.into_iter().map(Some));
        }
        sql.push(
            ") AS v WHERE EXISTS (SELECT 1 FROM tenants t WHERE t.id = v.column2) ORDER BY column1",
        );
        tx.execute(&sql.sql, sql.args)
            .await
            .map_err(|e| e.on_foreign_key(|| "a directory was deleted".to_owned()))?;
    }
    let mut directories: Vec<&str> = Vec::new();
    for r in batch {
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
