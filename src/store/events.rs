//! Change events and the feed order. Writers insert events inside their own transaction (see
//! `write`); every event gets a `position`, the order readers walk, contiguous from 1.
//!
//! On SQLite one writer commits at a time, so a writer numbers its events as it inserts them,
//! after the highest position (one statement: every statement is a thread hand-off there).
//!
//! On PostgreSQL transactions commit out of order, so a row inserted earlier (lower `seq`) can
//! become visible after a later one was already read, and a reader asking for "after the last one
//! I saw" would skip it. So writers insert without a position, and the sequencer numbers only rows
//! that are already committed, under the row lock of `event_feed`, continuing after the highest
//! position: positions are never assigned to a row a reader could have passed. Two writes of one
//! resource serialize on its row lock, so the second one's events commit (and are numbered) after
//! the first one's: per resource, feed order is commit order.
//!
//! Retention removes only a prefix of the feed and records the last position it removed in
//! `event_feed.pruned_through`, which is also where numbering continues when no event is left.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::FromRow;
use sqlx::types::Json;

use super::StoreError;
use super::db::{Arg, Db, Dialect, Tx, args};
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

/// The position after which the next events are numbered: the highest position, or where
/// retention stopped when no event is left.
const NEXT_BASE: &str = "COALESCE((SELECT MAX(position) FROM events), (SELECT pruned_through FROM event_feed WHERE id = 1))";

/// Inserts events in the caller's transaction: numbered on SQLite (whose writers commit one at a
/// time), unnumbered on PostgreSQL (the sequencer numbers them once committed).
pub(super) async fn insert(tx: &mut Tx, events: &[NewEvent]) -> Result<(), StoreError> {
    let numbered = tx.dialect() == Dialect::Sqlite;
    for chunk in events.chunks(INSERT_CHUNK) {
        let mut sql = SqlBuilder::default();
        sql.push("INSERT INTO events (position, tenant_id, type, resource_type, resource_id, member_id, occurred_at, actor, request_id, data, previous_attributes) ");
        if numbered {
            // SQLite reads a SELECT from the table it inserts into before inserting, so the base
            // is the highest position before this statement.
            sql.push(&format!("SELECT ({NEXT_BASE}) + v.column1, v.column2, v.column3, v.column4, v.column5, v.column6, v.column7, v.column8, v.column9, v.column10, v.column11 FROM (VALUES "));
        } else {
            sql.push("VALUES ");
        }
        for (n, e) in chunk.iter().enumerate() {
            let position = numbered.then(|| Arg::from(n as i64 + 1));
            let columns = args![
                e.tenant.as_str(),
                e.kind,
                e.resource_type,
                e.resource_id.as_str(),
                e.member_id.clone(),
                e.occurred_at,
                e.actor.clone(),
                e.request_id.as_str(),
                e.data.clone(),
            ];
            let previous = e.previous_attributes.clone().map(Arg::from);
            let row = std::iter::once(position)
                .chain(columns.into_iter().map(Some))
                .chain([previous]);
            sql.row(n == 0, row);
        }
        if numbered {
            sql.push(") AS v");
        }
        // Runs with the commit that follows (`Write::commit`).
        tx.queue(&sql.sql, sql.args).await?;
    }
    Ok(())
}

/// Numbers the committed, unnumbered events (PostgreSQL), continuing after the highest
/// position; returns how many were numbered.
async fn sequence_in(tx: &mut Tx) -> Result<u64, StoreError> {
    // The row lock makes sequencers take turns, and in READ COMMITTED the UPDATE below, a new
    // statement, then sees every event committed before the lock was taken, numbered ones
    // included.
    lock_feed(tx).await?;
    let sql = format!(
        "UPDATE events SET position = n.base + n.rn \
         FROM (SELECT seq, ({NEXT_BASE}) AS base, ROW_NUMBER() OVER (ORDER BY seq) AS rn \
               FROM events WHERE position IS NULL) AS n \
         WHERE events.seq = n.seq"
    );
    tx.execute(&sql, Vec::new()).await
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

/// Takes the feed's row lock, as sequencers and pruners do, until the transaction ends (SQLite's
/// write lock already serializes them).
pub(super) async fn lock_feed(tx: &mut Tx) -> Result<(), StoreError> {
    if tx.dialect() == Dialect::Postgres {
        tx.execute(
            "SELECT 1 FROM event_feed WHERE id = 1 FOR UPDATE",
            Vec::new(),
        )
        .await?;
    }
    Ok(())
}

/// The highest position handed out (where retention stopped when no event is left).
pub(super) async fn last_position(tx: &mut Tx) -> Result<i64, StoreError> {
    let (last,): (i64,) = tx
        .fetch_one(&format!("SELECT {NEXT_BASE}"), Vec::new())
        .await?;
    Ok(last)
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
    /// Only events of this directory (read through the index `events_by_directory`).
    pub directory: Option<String>,
}

/// The feed's bounds: the highest position handed out and the last one removed by retention.
#[derive(Debug, Clone, Copy, FromRow)]
pub struct Horizon {
    pub last_position: i64,
    pub pruned_through: i64,
}

const HORIZON: &str = "SELECT COALESCE((SELECT MAX(position) FROM events), f.pruned_through) AS last_position, \
     f.pruned_through AS pruned_through FROM event_feed f WHERE f.id = 1";

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
    push_filters(&mut sql, query);
    sql.push(" ORDER BY position")
        .limit(db.dialect(), query.limit);
    let mut tx = db.read().await?;
    let events = tx.fetch_all(&sql.sql, sql.args).await?;
    let horizon = tx.fetch_one(HORIZON, Vec::new()).await?;
    tx.commit().await?;
    Ok(FeedPage { events, horizon })
}

/// `AND` terms for the query's types, directory and resource.
fn push_filters(sql: &mut SqlBuilder, query: &FeedQuery) {
    if !query.types.is_empty() {
        sql.push(" AND type IN (");
        for (n, t) in query.types.iter().enumerate() {
            sql.push(if n == 0 { "" } else { ", " }).bind(t.as_str());
        }
        sql.push(")");
    }
    if let Some(directory) = &query.directory {
        sql.push(" AND tenant_id = ").bind(directory.as_str());
    }
    if let Some(resource) = &query.resource {
        sql.push(" AND (resource_id = ")
            .bind(resource.as_str())
            .push(" OR member_id = ")
            .bind(resource.as_str())
            .push(")");
    }
}

/// The newest events before position `before` (from the newest without it), newest first,
/// filtered as [`read`] filters (its `after` and `limit` aside): the console's feed.
pub async fn newest(
    db: &Db,
    query: &FeedQuery,
    before: Option<i64>,
) -> Result<Vec<EventRow>, StoreError> {
    let mut sql = SqlBuilder::default();
    sql.push(&format!(
        "SELECT {EVENT_COLUMNS} FROM events WHERE position IS NOT NULL"
    ));
    if let Some(before) = before {
        sql.push(" AND position < ").bind(before);
    }
    push_filters(&mut sql, query);
    sql.push(" ORDER BY position DESC")
        .limit(db.dialect(), query.limit);
    db.autocommit().fetch_all(&sql.sql, sql.args).await
}

/// The feed's horizon.
pub async fn horizon(db: &Db) -> Result<Horizon, StoreError> {
    db.autocommit().fetch_one(HORIZON, Vec::new()).await
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

/// The newest `limit` events about `resource_id` (as the resource or as a group's member) in
/// the directory, newest first.
pub async fn recent_of(
    db: &Db,
    tenant: &str,
    resource_id: &str,
    limit: i64,
) -> Result<Vec<EventRow>, StoreError> {
    // Two index walks (`events_by_resource`, `events_by_member`), each stopping at `limit`.
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM (\
           SELECT * FROM (SELECT {EVENT_COLUMNS} FROM events WHERE resource_id = $2 AND position IS NOT NULL \
             ORDER BY position DESC LIMIT $3) r \
           UNION SELECT * FROM (SELECT {EVENT_COLUMNS} FROM events WHERE member_id = $2 AND position IS NOT NULL \
             ORDER BY position DESC LIMIT $3) m) e \
         WHERE tenant_id = $1 ORDER BY position DESC LIMIT $3"
    );
    db.autocommit()
        .fetch_all(&sql, args![tenant, resource_id, limit])
        .await
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::scim::resource::now;

    async fn temp_db() -> Db {
        let path =
            std::env::temp_dir().join(format!("scimd-events-{}.db", uuid::Uuid::new_v4().simple()));
        crate::cli::open(&format!("sqlite://{}", path.display()), &Default::default())
            .await
            .unwrap()
    }

    fn event(n: usize, at: DateTime<Utc>) -> NewEvent {
        NewEvent {
            tenant: "default".into(),
            kind: "user.updated",
            resource_type: "User",
            resource_id: format!("u{n}"),
            member_id: None,
            occurred_at: at,
            actor: json!({"type": "cli"}),
            request_id: "r".into(),
            data: json!({"n": n}),
            previous_attributes: Some(json!({"title": null})),
        }
    }

    async fn commit(db: &Db, events: impl Iterator<Item = NewEvent>) {
        let mut w = db.begin_write().await.unwrap();
        w.record_all(events);
        w.commit().await.unwrap();
    }

    async fn positions(db: &Db) -> Vec<i64> {
        let query = FeedQuery {
            after: 0,
            limit: 1000,
            ..FeedQuery::default()
        };
        let page = read(db, &query).await.unwrap();
        page.events.iter().map(|e| e.position).collect()
    }

    #[tokio::test]
    async fn positions_are_contiguous_across_commits_and_continue_after_pruning_everything() {
        let db = temp_db().await;
        let old = now() - chrono::Duration::days(2);

        commit(&db, (0..450).map(|n| event(n, old))).await;
        commit(&db, (0..2).map(|n| event(n, old))).await;
        assert_eq!(positions(&db).await, (1..=452).collect::<Vec<_>>());

        let pruned = prune(&db, now() - chrono::Duration::days(1), 100)
            .await
            .unwrap();
        assert_eq!(pruned, 452);
        assert_eq!(horizon(&db).await.unwrap().pruned_through, 452);
        commit(&db, std::iter::once(event(0, now()))).await;
        assert_eq!(positions(&db).await, vec![453]);
    }

    #[tokio::test]
    async fn pruning_stops_at_the_first_event_inside_retention() {
        let db = temp_db().await;
        let (old, recent) = (now() - chrono::Duration::days(2), now());
        commit(
            &db,
            [event(1, old), event(2, recent), event(3, old)].into_iter(),
        )
        .await;

        prune(&db, now() - chrono::Duration::days(1), 10)
            .await
            .unwrap();

        assert_eq!(positions(&db).await, vec![2, 3]);
        assert_eq!(horizon(&db).await.unwrap().pruned_through, 1);
    }
}
