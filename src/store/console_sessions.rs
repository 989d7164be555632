//! The admin console's sign-in sessions (`console_sessions`), found by the SHA-256 of their id.
//! A session counts only while it has not expired and the admin token it was opened with still
//! works: the lookup joins `api_tokens`, so revoking that token ends its sessions on every
//! instance at once.

use chrono::{DateTime, Utc};
use sqlx::FromRow;

use super::db::{Db, args};
use super::{DEFAULT_TENANT, StoreError};

/// A stored session.
#[derive(Debug, Clone, FromRow)]
pub struct SessionRow {
    /// SHA-256 (hex) of the session id the cookie carries.
    pub id_hash: String,
    /// The `jti` of the admin token it was opened with.
    pub token_id: String,
    pub token_name: String,
    pub csrf: String,
    pub created: DateTime<Utc>,
    pub expires: DateTime<Utc>,
}

/// Records a new session, and drops the ones that have expired meanwhile.
pub async fn insert(db: &Db, row: &SessionRow) -> Result<(), StoreError> {
    let mut tx = db.write().await?;
    tx.execute(
        "DELETE FROM console_sessions WHERE expires <= $1",
        args![row.created],
    )
    .await?;
    tx.execute(
        "INSERT INTO console_sessions (id_hash, token_id, token_name, csrf, created, expires) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        args![
            row.id_hash.as_str(),
            row.token_id.as_str(),
            row.token_name.as_str(),
            row.csrf.as_str(),
            row.created,
            row.expires
        ],
    )
    .await?;
    tx.commit().await
}

/// The session `id_hash` if it is valid at `at`: not expired, and its admin token neither
/// revoked nor expired.
pub async fn find_valid(
    db: &Db,
    id_hash: &str,
    at: DateTime<Utc>,
) -> Result<Option<SessionRow>, StoreError> {
    db.autocommit()
        .fetch_optional(
            "SELECT s.id_hash, s.token_id, s.token_name, s.csrf, s.created, s.expires \
             FROM console_sessions s JOIN api_tokens t ON t.tenant_id = $3 AND t.jti = s.token_id \
             WHERE s.id_hash = $1 AND s.expires > $2 AND t.scope = 'admin' \
               AND (t.revoked IS NULL OR t.revoked > $2) AND (t.expires IS NULL OR t.expires > $2)",
            args![id_hash, at, DEFAULT_TENANT],
        )
        .await
}

/// Ends the session `id_hash` (signing out); `false` if there was none.
pub async fn delete(db: &Db, id_hash: &str) -> Result<bool, StoreError> {
    let mut tx = db.write().await?;
    let n = tx
        .execute(
            "DELETE FROM console_sessions WHERE id_hash = $1",
            args![id_hash],
        )
        .await?;
    tx.commit().await?;
    Ok(n > 0)
}
