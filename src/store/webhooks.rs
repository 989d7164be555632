//! Webhook endpoints, their delivery cursor and lease, and the log of delivery attempts.
//!
//! Each endpoint is delivered by one instance at a time: the one named in `lease_owner` until
//! `lease_until`. Claims take only endpoints whose lease is free or expired (on PostgreSQL with
//! `FOR UPDATE SKIP LOCKED`, so instances never wait for each other; SQLite has one writer).
//! Every change a deliverer makes is conditional on still holding the lease and on the cursor
//! and failure count it started from, so a replay or a lost lease in the meantime wins.

use chrono::{DateTime, Utc};
use sqlx::FromRow;
use sqlx::types::Json;

use super::StoreError;
use super::db::{Db, Dialect, args};
use super::sql::SqlBuilder;

/// The state of an endpoint that receives events.
pub const ACTIVE: &str = "active";
/// The state of an endpoint whose retry schedule ran out; it waits for a replay.
pub const FAILING: &str = "failing";

/// Delivery attempts kept per endpoint; older ones are deleted as new ones are recorded.
pub const KEEP_DELIVERIES: i64 = 1000;

const COLUMNS: &str = "id, url, types, tenant_id, secret, previous_secret, previous_secret_expires, \
                       created, delivered_through, state, failures, next_attempt, last_error";

/// An endpoint as stored.
#[derive(Debug, Clone, FromRow)]
pub struct WebhookRow {
    pub id: String,
    pub url: String,
    /// The event types it receives; all when `None`.
    pub types: Option<Json<Vec<String>>>,
    /// The one directory whose events it receives; every directory's when `None`.
    pub tenant_id: Option<String>,
    pub secret: String,
    /// The secret before the last rotation, still used to sign until it expires.
    pub previous_secret: Option<String>,
    pub previous_secret_expires: Option<DateTime<Utc>>,
    pub created: DateTime<Utc>,
    /// The feed position of the last event delivered or skipped (not of its types).
    pub delivered_through: i64,
    pub state: String,
    /// Failed attempts at the event after `delivered_through`.
    pub failures: i64,
    /// When the next attempt is due after a failure.
    pub next_attempt: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

/// A new endpoint.
#[derive(Debug, Clone)]
pub struct NewWebhook<'a> {
    pub id: &'a str,
    pub url: &'a str,
    pub types: Option<&'a [String]>,
    /// Only this directory's events (every directory's when `None`).
    pub directory: Option<&'a str>,
    pub secret: &'a str,
    pub created: DateTime<Utc>,
    /// Where delivery starts: after the feed's last position, for future events only.
    pub delivered_through: i64,
}

/// One delivery attempt as the log keeps it.
#[derive(Debug, Clone, FromRow)]
pub struct DeliveryRow {
    pub event_position: i64,
    pub attempt: i64,
    pub attempted_at: DateTime<Utc>,
    pub duration_ms: i64,
    pub outcome: String,
    pub response_code: Option<i64>,
    pub response_body: Option<String>,
    pub error: Option<String>,
}

/// What a deliverer expects the endpoint to look like: it holds the lease, and nobody moved the
/// cursor or reset the failures since it read them.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    pub owner: &'a str,
    pub delivered_through: i64,
    pub failures: i64,
}

/// The endpoint's delivery state after an attempt or a skip.
#[derive(Debug, Clone)]
pub struct Progress {
    pub delivered_through: i64,
    pub state: &'static str,
    pub failures: i64,
    pub next_attempt: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    /// The renewed lease.
    pub lease_until: DateTime<Utc>,
}

/// Records a new endpoint.
pub async fn insert(db: &Db, new: &NewWebhook<'_>) -> Result<WebhookRow, StoreError> {
    let mut sql = SqlBuilder::default();
    sql.push("INSERT INTO webhooks (id, url, types, tenant_id, secret, created, delivered_through, state, failures) VALUES (")
        .bind(new.id)
        .push(", ")
        .bind(new.url)
        .push(", ");
    match new.types {
        Some(types) => sql.bind(serde_json::json!(types)),
        None => sql.push("NULL"),
    };
    sql.push(", ")
        .bind(new.directory.map(str::to_owned))
        .push(", ")
        .bind(new.secret)
        .push(", ")
        .bind(new.created)
        .push(", ")
        .bind(new.delivered_through)
        .push(", ")
        .bind(ACTIVE)
        .push(&format!(", 0) RETURNING {COLUMNS}"));
    let mut tx = db.write().await?;
    let row = tx.fetch_one(&sql.sql, sql.args).await?;
    tx.commit().await?;
    Ok(row)
}

/// Every endpoint, oldest first.
pub async fn list(db: &Db) -> Result<Vec<WebhookRow>, StoreError> {
    db.autocommit()
        .fetch_all(
            &format!("SELECT {COLUMNS} FROM webhooks ORDER BY created, id"),
            Vec::new(),
        )
        .await
}

/// One endpoint.
pub async fn get(db: &Db, id: &str) -> Result<Option<WebhookRow>, StoreError> {
    db.autocommit()
        .fetch_optional(
            &format!("SELECT {COLUMNS} FROM webhooks WHERE id = $1"),
            args![id],
        )
        .await
}

/// Deletes an endpoint (its delivery log goes with it: `ON DELETE CASCADE`); `false` if there
/// was none.
pub async fn delete(db: &Db, id: &str) -> Result<bool, StoreError> {
    let mut tx = db.write().await?;
    let n = tx
        .execute("DELETE FROM webhooks WHERE id = $1", args![id])
        .await?;
    tx.commit().await?;
    Ok(n > 0)
}

/// Restarts delivery after `after`, active again with no failures.
pub async fn replay(db: &Db, id: &str, after: i64) -> Result<Option<WebhookRow>, StoreError> {
    let sql = format!(
        "UPDATE webhooks SET delivered_through = $2, state = $3, failures = 0, next_attempt = NULL, \
         last_error = NULL WHERE id = $1 RETURNING {COLUMNS}"
    );
    write_one(db, &sql, args![id, after, ACTIVE]).await
}

/// Replaces the secret; the old one keeps signing until `previous_expires` (not at all without
/// it). Returns `false` if there is no such endpoint.
pub async fn rotate_secret(
    db: &Db,
    id: &str,
    secret: &str,
    previous_expires: Option<DateTime<Utc>>,
) -> Result<bool, StoreError> {
    // Inside SET, `secret` is the value before the UPDATE on both backends.
    let mut tx = db.write().await?;
    let n = tx
        .execute(
            "UPDATE webhooks SET previous_secret = CASE WHEN $3 IS NULL THEN NULL ELSE secret END, \
             previous_secret_expires = $3, secret = $2 WHERE id = $1",
            args![id, secret, previous_expires],
        )
        .await?;
    tx.commit().await?;
    Ok(n > 0)
}

/// The endpoint's most recent delivery attempts, newest first.
pub async fn deliveries(db: &Db, id: &str, limit: i64) -> Result<Vec<DeliveryRow>, StoreError> {
    db.autocommit()
        .fetch_all(
            "SELECT event_position, attempt, attempted_at, duration_ms, outcome, response_code, \
             response_body, error FROM webhook_deliveries WHERE webhook_id = $1 \
             ORDER BY seq DESC LIMIT $2",
            args![id, limit],
        )
        .await
}

/// How many active endpoints have events to deliver (their cursor is before `last_position`)
/// and no live lease: a read, so an idle dispatcher never takes SQLite's write lock.
pub async fn claimable(db: &Db, now: DateTime<Utc>, last_position: i64) -> Result<i64, StoreError> {
    let (n,): (i64,) = db
        .autocommit()
        .fetch_one(
            "SELECT COUNT(*) FROM webhooks WHERE state = $1 AND delivered_through < $2 \
             AND (lease_owner IS NULL OR lease_until < $3)",
            args![ACTIVE, last_position, now],
        )
        .await?;
    Ok(n)
}

/// Leases to `owner` until `until` every active endpoint with events to deliver whose lease is
/// free or expired and not being claimed by another instance; returns their ids.
pub async fn claim(
    db: &Db,
    owner: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
    last_position: i64,
) -> Result<Vec<String>, StoreError> {
    let skip_locked = match db.dialect() {
        Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
        Dialect::Sqlite => "",
    };
    let sql = format!(
        "UPDATE webhooks SET lease_owner = $1, lease_until = $2 WHERE id IN (\
         SELECT id FROM webhooks WHERE state = $3 AND delivered_through < $4 \
         AND (lease_owner IS NULL OR lease_until < $5){skip_locked}) RETURNING id"
    );
    let mut tx = db.write().await?;
    let ids: Vec<(String,)> = tx
        .fetch_all(&sql, args![owner, until, ACTIVE, last_position, now])
        .await?;
    tx.commit().await?;
    Ok(ids.into_iter().map(|(id,)| id).collect())
}

/// Extends `owner`'s lease and returns the endpoint as it is now; `None` if it was deleted or
/// the lease was lost.
pub async fn renew(
    db: &Db,
    id: &str,
    owner: &str,
    until: DateTime<Utc>,
) -> Result<Option<WebhookRow>, StoreError> {
    let sql = format!(
        "UPDATE webhooks SET lease_until = $3 WHERE id = $1 AND lease_owner = $2 RETURNING {COLUMNS}"
    );
    write_one(db, &sql, args![id, owner, until]).await
}

/// Saves the endpoint's progress, renewing the lease, and, if given, logs the attempt (also
/// when the endpoint changed meanwhile: the attempt happened). Returns the endpoint as saved,
/// or `None` if it was not as `expected` (then nothing but the log entry is written).
pub async fn save(
    db: &Db,
    id: &str,
    expected: Expected<'_>,
    progress: &Progress,
    attempt: Option<&Attempt>,
) -> Result<Option<WebhookRow>, StoreError> {
    let mut tx = db.write().await?;
    let saved = tx
        .fetch_optional(
            &format!(
                "UPDATE webhooks SET delivered_through = $5, state = $6, failures = $7, \
                 next_attempt = $8, last_error = $9, lease_until = $10 \
                 WHERE id = $1 AND lease_owner = $2 AND delivered_through = $3 AND failures = $4 \
                 RETURNING {COLUMNS}"
            ),
            args![
                id,
                expected.owner,
                expected.delivered_through,
                expected.failures,
                progress.delivered_through,
                progress.state,
                progress.failures,
                progress.next_attempt,
                progress.last_error.clone(),
                progress.lease_until
            ],
        )
        .await?;
    if let Some(attempt) = attempt {
        let mut sql = SqlBuilder::default();
        sql.push("INSERT INTO webhook_deliveries (webhook_id, event_position, attempt, attempted_at, duration_ms, outcome, response_code, response_body, error) SELECT id, ")
            .bind(attempt.event_position)
            .push(", ")
            .bind(attempt.attempt)
            .push(", ")
            .bind(attempt.attempted_at)
            .push(", ")
            .bind(attempt.duration_ms)
            .push(", ")
            .bind(attempt.outcome)
            .push(", ");
        match attempt.response_code {
            Some(code) => sql.bind(code),
            None => sql.push("CAST(NULL AS BIGINT)"),
        };
        sql.push(", ")
            .bind(attempt.response_body.clone())
            .push(", ")
            .bind(attempt.error.clone())
            .push(" FROM webhooks WHERE id = ")
            .bind(id);
        tx.execute(&sql.sql, sql.args).await?;
        tx.execute(
            "DELETE FROM webhook_deliveries WHERE webhook_id = $1 AND seq <= (\
             SELECT seq FROM webhook_deliveries WHERE webhook_id = $1 ORDER BY seq DESC LIMIT 1 OFFSET $2)",
            args![id, KEEP_DELIVERIES],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(saved)
}

/// A delivery attempt to log.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub event_position: i64,
    /// 1 for the first attempt at this event.
    pub attempt: i64,
    pub attempted_at: DateTime<Utc>,
    pub duration_ms: i64,
    pub outcome: &'static str,
    pub response_code: Option<i64>,
    pub response_body: Option<String>,
    pub error: Option<String>,
}

/// Gives up `owner`'s leases of these endpoints (their deliverers have stopped).
pub async fn release(db: &Db, ids: &[String], owner: &str) -> Result<(), StoreError> {
    let mut tx = db.write().await?;
    for id in ids {
        tx.execute(
            "UPDATE webhooks SET lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2",
            args![id.as_str(), owner],
        )
        .await?;
    }
    tx.commit().await
}

/// Gives up every lease `owner` holds (at shutdown, so another instance or a restart continues
/// at once instead of after the lease expires).
pub async fn release_all(db: &Db, owner: &str) -> Result<(), StoreError> {
    let mut tx = db.write().await?;
    tx.execute(
        "UPDATE webhooks SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = $1",
        args![owner],
    )
    .await?;
    tx.commit().await
}

/// Runs one `UPDATE … RETURNING` in a write transaction.
async fn write_one(
    db: &Db,
    sql: &str,
    args: Vec<super::db::Arg>,
) -> Result<Option<WebhookRow>, StoreError> {
    let mut tx = db.write().await?;
    let row = tx.fetch_optional(sql, args).await?;
    tx.commit().await?;
    Ok(row)
}

/// Per endpoint, how many events of the feed lie after its cursor: the events it has yet to
/// receive or skip (positions are contiguous, so this is the highest position less the cursor;
/// events not yet sequenced are not counted until they are).
pub async fn backlog(db: &Db) -> Result<Vec<(String, i64)>, StoreError> {
    db.autocommit()
        .fetch_all(
            "SELECT id, CAST(COALESCE((SELECT MAX(position) FROM events), 0) - delivered_through \
                 AS BIGINT) FROM webhooks ORDER BY id",
            Vec::new(),
        )
        .await
}
