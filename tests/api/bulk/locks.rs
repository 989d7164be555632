//! How bulk requests take PostgreSQL row locks: a chunk locks the users and groups its PUTs and
//! PATCHes write as its transaction opens, in one order of ids shared by every chunk, so two
//! bulk requests that write the same users in different orders never deadlock (PostgreSQL
//! would stop one only after `deadlock_timeout`, a second by default).

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sqlx::{Connection, PgConnection};

use super::statuses;
use crate::helpers::{PATCH_OP, TestApp, bulk_body, id, postgres_url};

fn deactivate(user: &str) -> Value {
    json!({"method": "PATCH", "path": format!("/Users/{user}"),
           "data": {"schemas": [PATCH_OP],
                    "Operations": [{"op": "replace", "path": "active", "value": false}]}})
}

/// Waits until a connection of the test database waits for a row lock.
async fn until_someone_waits_for_a_lock(db: &mut PgConnection) {
    let started = Instant::now();
    loop {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity \
             WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .fetch_one(&mut *db)
        .await
        .expect("pg_stat_activity");
        if waiting > 0 {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the bulk request never waited for the held lock"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_bulk_chunk_locks_the_rows_it_writes_in_id_order_before_writing_any() {
    if postgres_url("row locks are PostgreSQL's").is_none() {
        return;
    }
    // Arrange: two users; another transaction holds the lock of the one first in id order.
    let app = TestApp::spawn().await;
    let mut ids = vec![
        id(&app.create_user("one").await),
        id(&app.create_user("two").await),
    ];
    let mut holder = PgConnection::connect(&app.database_url)
        .await
        .expect("connect");
    let mut observer = PgConnection::connect(&app.database_url)
        .await
        .expect("connect");
    ids = sqlx::query_scalar("SELECT id FROM users WHERE id = $1 OR id = $2 ORDER BY id")
        .bind(&ids[0])
        .bind(&ids[1])
        .fetch_all(&mut observer)
        .await
        .expect("ids in the database's order");
    let (first, last) = (ids[0].clone(), ids[1].clone());
    let mut held = holder.begin().await.expect("begin");
    sqlx::query("SELECT 1 FROM users WHERE id = $1 FOR UPDATE")
        .bind(&first)
        .execute(&mut *held)
        .await
        .expect("lock the first user");

    // Act: a bulk request that writes the last user before the first, in request order.
    let bulk = {
        let app = app.view(&app.base, &app.token);
        let body = bulk_body(json!([deactivate(&last), deactivate(&first)]));
        tokio::spawn(async move { app.bulk(body).await })
    };
    until_someone_waits_for_a_lock(&mut observer).await;

    // Assert: the chunk waits for the first user before it has touched the last one.
    let last_is_free = sqlx::query("SELECT 1 FROM users WHERE id = $1 FOR UPDATE NOWAIT")
        .bind(&last)
        .execute(&mut observer)
        .await;
    assert!(
        last_is_free.is_ok(),
        "the last user was locked while the first was awaited: {last_is_free:?}"
    );
    held.rollback().await.expect("release the first user");
    let ops = bulk.await.expect("the bulk request finished");
    assert_eq!(statuses(&ops), ["200", "200"]);
}
