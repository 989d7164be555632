//! Change events and the feed order. Writers insert events inside their own transaction (see
//! `write`); the sequencer gives committed events their `position`, the order readers walk.
//!
//! Why not the insertion order: on PostgreSQL, transactions commit out of order, so a row with a
//! lower `seq` can become visible after a higher one was already read, and a reader asking for
//! "after the last one I saw" would skip it. The sequencer numbers only rows that are already
//! committed, under the row lock of `event_feed`, continuing from the last position handed out:
//! positions are contiguous and never assigned to a row a reader could have passed. Two writes of
//! one resource serialize on its row lock, so the second one's events commit (and are numbered)
//! after the first one's: per resource, feed order is commit order.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::FromRow;
use sqlx::types::Json;

use super::StoreError;
use super::db::{Db, Dialect, Tx, args};
use super::sql::SqlBuilder;

/// Rows per multi-row INSERT: 10 parameters each, far below both backends' limits.
const INSERT_CHUNK: usize = 200;

/// An event as a write records it.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub tenant: String,
    pub kind: &'static str,
    pub resource_type: &'static str,
    pub resource_id: String,
    /// The member a membership event is about.
    pub member_id: Option<String>,
    pub occurred_at: DateTime<Utc>,
    pub actor: Value,
    pub request_id: String,
    pub data: Value,
    pub previous_attributes: Option<Value>,
}

/// A committed, sequenced event.
#[derive(Debug, Clone, FromRow)]
pub struct EventRow {
    pub position: i64,
    pub tenant_id: String,
    #[sqlx(rename = "type")]
    pub kind: String,
    pub resource_type: String,
    pub resource_id: String,
    pub member_id: Option<String>,
    pub occurred_at: DateTime<Utc>,
    pub actor: Json<Value>,
    pub request_id: String,
    pub data: Json<Value>,
    pub previous_attributes: Option<Json<Value>>,
}

const EVENT_COLUMNS: &str = "position, tenant_id, type, resource_type, resource_id, member_id, occurred_at, actor, request_id, data, previous_attributes";

/// Inserts events, unsequenced, in the caller's transaction.
pub(super) async fn insert(tx: &mut Tx, events: &[NewEvent]) -> Result<(), StoreError> {
    for chunk in events.chunks(INSERT_CHUNK) {
        let mut sql = SqlBuilder::default();
        sql.push("INSERT INTO events (tenant_id, type, resource_type, resource_id, member_id, occurred_at, actor, request_id, data, previous_attributes) VALUES ");
        for (n, e) in chunk.iter().enumerate() {
            sql.push(if n == 0 { "(" } else { ", (" });
            sql.bind(e.tenant.as_str())
                .push(", ")
                .bind(e.kind)
                .push(", ")
                .bind(e.resource_type)
                .push(", ")
                .bind(e.resource_id.as_str())
                .push(", ")
                .bind(e.member_id.clone())
                .push(", ")
                .bind(e.occurred_at)
                .push(", ")
                .bind(e.actor.clone())
                .push(", ")
                .bind(e.request_id.as_str())
                .push(", ")
                .bind(e.data.clone())
                .push(", ");
            match &e.previous_attributes {
                Some(p) => sql.bind(p.clone()),
                None => sql.push("NULL"),
            };
            sql.push(")");
        }
        tx.execute(&sql.sql, sql.args).await?;
    }
    Ok(())
}

/// Numbers the committed, unsequenced events in the caller's transaction, continuing after the
/// last position handed out; returns how many were numbered.
pub(super) async fn sequence_in(tx: &mut Tx) -> Result<u64, StoreError> {
    // The row lock serializes sequencers (SQLite's write lock already does), and in PostgreSQL's
    // READ COMMITTED the UPDATE below then sees every event committed before the lock was taken.
    let lock = match tx.dialect() {
        Dialect::Postgres => "SELECT last_position FROM event_feed WHERE id = 1 FOR UPDATE",
        Dialect::Sqlite => "SELECT last_position FROM event_feed WHERE id = 1",
    };
    let (last,): (i64,) = tx.fetch_one(lock, Vec::new()).await?;
    let numbered = tx
        .execute(
            "UPDATE events SET position = $1 + n.rn \
             FROM (SELECT seq, ROW_NUMBER() OVER (ORDER BY seq) AS rn FROM events WHERE position IS NULL) AS n \
             WHERE events.seq = n.seq",
            args![last],
        )
        .await?;
    if numbered > 0 {
        tx.execute(
            "UPDATE event_feed SET last_position = $1 WHERE id = 1",
            args![last + numbered as i64],
        )
        .await?;
    }
    Ok(numbered)
}

/// Numbers every committed event that has no position yet (a no-op on SQLite, whose writers
/// number their own); returns how many were numbered.
pub async fn sequence(db: &Db) -> Result<u64, StoreError> {
    if db.dialect() == Dialect::Sqlite {
        return Ok(0);
    }
    let (pending,): (bool,) = db
        .autocommit()
        .fetch_one(
            "SELECT EXISTS (SELECT 1 FROM events WHERE position IS NULL)",
            Vec::new(),
        )
        .await?;
    if !pending {
        return Ok(0);
    }
    let mut tx = db.write().await?;
    let n = sequence_in(&mut tx).await?;
    tx.commit().await?;
    Ok(n)
}

/// Which events to read.
#[derive(Debug, Clone, Default)]
pub struct FeedQuery {
    /// Events after this position.
    pub after: i64,
    pub limit: i64,
    /// Only these types (all when empty).
    pub types: Vec<String>,
    /// Only events about this resource (as the changed resource or as a group's member).
    pub resource: Option<String>,
}

/// The feed's bounds: the last position handed out and the last one removed by retention.
#[derive(Debug, Clone, Copy, FromRow)]
pub struct Horizon {
    pub last_position: i64,
    pub pruned_through: i64,
}

/// A page of the feed with the horizon seen by the same snapshot.
#[derive(Debug)]
pub struct FeedPage {
    pub events: Vec<EventRow>,
    pub horizon: Horizon,
}

/// Reads sequenced events after `query.after`, oldest first, together with the horizon (one
/// snapshot, so a page never misses events pruned between the two reads unseen).
pub async fn read(db: &Db, query: &FeedQuery) -> Result<FeedPage, StoreError> {
    let mut sql = SqlBuilder::default();
    sql.push(&format!(
        "SELECT {EVENT_COLUMNS} FROM events WHERE position > "
    ))
    .bind(query.after);
    if !query.types.is_empty() {
        sql.push(" AND type IN (");
        for (n, t) in query.types.iter().enumerate() {
            sql.push(if n == 0 { "" } else { ", " }).bind(t.as_str());
        }
        sql.push(")");
    }
    if let Some(resource) = &query.resource {
        sql.push(" AND (resource_id = ")
            .bind(resource.as_str())
            .push(" OR member_id = ")
            .bind(resource.as_str())
            .push(")");
    }
    sql.push(" ORDER BY position LIMIT ").bind(query.limit);
    let mut tx = db.read().await?;
    let events = tx.fetch_all(&sql.sql, sql.args).await?;
    let horizon = tx
        .fetch_one(
            "SELECT last_position, pruned_through FROM event_feed WHERE id = 1",
            Vec::new(),
        )
        .await?;
    tx.commit().await?;
    Ok(FeedPage { events, horizon })
}

/// The feed's horizon.
pub async fn horizon(db: &Db) -> Result<Horizon, StoreError> {
    db.autocommit()
        .fetch_one(
            "SELECT last_position, pruned_through FROM event_feed WHERE id = 1",
            Vec::new(),
        )
        .await
}

/// Deletes the oldest events that occurred before `cutoff`, `batch` per transaction, and moves
/// the feed's `pruned_through` past them; returns how many were deleted. Only a prefix of the
/// feed is ever deleted, so "after a pruned position" is exactly "before `pruned_through`".
pub async fn prune(db: &Db, cutoff: DateTime<Utc>, batch: i64) -> Result<u64, StoreError> {
    let mut deleted = 0;
    loop {
        let mut tx = db.write().await?;
        let lock = match tx.dialect() {
            Dialect::Postgres => "SELECT pruned_through FROM event_feed WHERE id = 1 FOR UPDATE",
            Dialect::Sqlite => "SELECT pruned_through FROM event_feed WHERE id = 1",
        };
        let (pruned,): (i64,) = tx.fetch_one(lock, Vec::new()).await?;
        let oldest: Vec<(i64, DateTime<Utc>)> = tx
            .fetch_all(
                "SELECT position, occurred_at FROM events WHERE position > $1 ORDER BY position LIMIT $2",
                args![pruned, batch],
            )
            .await?;
        let through = oldest
            .iter()
            .take_while(|(_, at)| *at < cutoff)
            .last()
            .map(|(p, _)| *p);
        let Some(through) = through else {
            tx.commit().await?;
            return Ok(deleted);
        };
        deleted += tx
            .execute(
                "DELETE FROM events WHERE position IS NOT NULL AND position <= $1",
                args![through],
            )
            .await?;
        tx.execute(
            "UPDATE event_feed SET pruned_through = $1 WHERE id = 1",
            args![through],
        )
        .await?;
        tx.commit().await?;
        let more =
            oldest.len() as i64 == batch && oldest.last().is_some_and(|(p, _)| *p == through);
        if !more {
            return Ok(deleted);
        }
    }
}
