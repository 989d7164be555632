//! Issued API tokens, recorded by their `jti` (never the token itself), so that revocation and
//! expiry are checked on every request by every instance.

use chrono::{DateTime, Duration, Utc};
use sqlx::FromRow;

use super::StoreError;
use super::db::{Db, args};
use crate::scim::resource::now;

/// A token as listed by `scimd token list`.
#[derive(Debug, Clone, FromRow)]
pub struct TokenRecord {
    pub jti: String,
    pub name: String,
    pub created: DateTime<Utc>,
    pub expires: Option<DateTime<Utc>>,
    pub last_used: Option<DateTime<Utc>>,
    pub revoked: Option<DateTime<Utc>>,
    /// `scim` or `admin` (see `auth::Scope`).
    pub scope: String,
}

/// How often `last_used` is written at most, so a busy client does not turn every read into a
/// write.
const LAST_USED_RESOLUTION: Duration = Duration::seconds(60);

/// Records a new token; fails with `Uniqueness` if an active token already has this name.
pub async fn insert(db: &Db, tenant: &str, record: &TokenRecord) -> Result<(), StoreError> {
    insert_replacing(db, tenant, record, None).await
}

/// Records a new token and, in the same transaction, schedules the revocation of the token
/// `replaces` names (its `jti`, revoked from the given time on). `InvalidReference` if that
/// token is not active.
pub async fn insert_replacing(
    db: &Db,
    tenant: &str,
    record: &TokenRecord,
    replaces: Option<(&str, DateTime<Utc>)>,
) -> Result<(), StoreError> {
    let mut tx = db.write().await?;
    if let Some((jti, at)) = replaces {
        let n = tx
            .execute(
                "UPDATE api_tokens SET revoked = $3 WHERE tenant_id = $1 AND jti = $2 AND revoked IS NULL",
                args![tenant, jti, at],
            )
            .await?;
        if n == 0 {
            return Err(StoreError::InvalidReference(format!(
                "no active token \"{jti}\""
            )));
        }
    }
    tx.execute(
        "INSERT INTO api_tokens (tenant_id, jti, name, created, expires, scope) VALUES ($1, $2, $3, $4, $5, $6)",
        args![tenant, record.jti.as_str(), record.name.as_str(), record.created, record.expires, record.scope.as_str()],
    )
    .await
    .map_err(|e| e.on_unique(|| format!("an active token named \"{}\" already exists", record.name)))?;
    tx.commit().await
}

/// The token `jti` of the tenant.
pub async fn get(db: &Db, tenant: &str, jti: &str) -> Result<Option<TokenRecord>, StoreError> {
    db.autocommit()
        .fetch_optional(
            "SELECT jti, name, created, expires, last_used, revoked, scope FROM api_tokens WHERE tenant_id = $1 AND jti = $2",
            args![tenant, jti],
        )
        .await
}

/// Revokes the token `jti` now (also one whose revocation was scheduled later); `false` if it
/// does not exist or is already revoked.
pub async fn revoke_id(db: &Db, tenant: &str, jti: &str) -> Result<bool, StoreError> {
    let at = now();
    let mut tx = db.write().await?;
    let n = tx
        .execute(
            "UPDATE api_tokens SET revoked = $3 WHERE tenant_id = $1 AND jti = $2 AND (revoked IS NULL OR revoked > $3)",
            args![tenant, jti, at],
        )
        .await?;
    tx.commit().await?;
    Ok(n > 0)
}

/// All tokens of the tenant, newest first.
pub async fn list(db: &Db, tenant: &str) -> Result<Vec<TokenRecord>, StoreError> {
    db.autocommit()
        .fetch_all(
            "SELECT jti, name, created, expires, last_used, revoked, scope FROM api_tokens WHERE tenant_id = $1 ORDER BY created DESC, name",
            args![tenant],
        )
        .await
}

/// Whether the tenant holds any token at all (revoked ones included).
pub async fn any(db: &Db, tenant: &str) -> Result<bool, StoreError> {
    let mut tx = db.read().await?;
    let (n,): (i64,) = tx
        .fetch_one(
            "SELECT COUNT(*) FROM api_tokens WHERE tenant_id = $1",
            args![tenant],
        )
        .await?;
    tx.commit().await?;
    Ok(n > 0)
}

/// Revokes the tokens called `name` that are still valid (the active one, and one whose
/// revocation after a rotation is still ahead); `false` if there is none.
pub async fn revoke(db: &Db, tenant: &str, name: &str) -> Result<bool, StoreError> {
    let mut tx = db.write().await?;
    let n = tx
        .execute(
            "UPDATE api_tokens SET revoked = $3 WHERE tenant_id = $1 AND name = $2 AND (revoked IS NULL OR revoked > $3)",
            args![tenant, name, now()],
        )
        .await?;
    tx.commit().await?;
    Ok(n > 0)
}

/// Looks a token up by `jti` and records its use (at most once per minute).
pub async fn find_and_touch(
    db: &Db,
    tenant: &str,
    jti: &str,
) -> Result<Option<TokenRecord>, StoreError> {
    // Runs on every request: one statement, no transaction around it.
    let record: Option<TokenRecord> = db
        .autocommit()
        .fetch_optional(
            "SELECT jti, name, created, expires, last_used, revoked, scope FROM api_tokens WHERE tenant_id = $1 AND jti = $2",
            args![tenant, jti],
        )
        .await?;
    let at = now();
    if let Some(r) = &record
        && r.revoked.is_none_or(|t| t > at)
        && r.last_used.is_none_or(|t| at - t >= LAST_USED_RESOLUTION)
    {
        let mut tx = db.write().await?;
        tx.execute(
            "UPDATE api_tokens SET last_used = $3 WHERE tenant_id = $1 AND jti = $2",
            args![tenant, jti, at],
        )
        .await?;
        tx.commit().await?;
    }
    Ok(record)
}
