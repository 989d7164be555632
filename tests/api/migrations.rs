//! The two migration folders must build the same tables and columns.

use std::collections::BTreeSet;

use scimd::store::{Db, DbOptions};

use crate::helpers::{fresh_database_url, postgres_url};

async fn columns(url: &str) -> BTreeSet<(String, String)> {
    let db = scimd::cli::open(url, &DbOptions::default())
        .await
        .expect("open");
    let rows: Vec<(String, String)> = match &db {
        Db::Sqlite(pool, _) => sqlx::query_as(
            "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_xinfo(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE '\\_sqlx%' ESCAPE '\\' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
        )
        .fetch_all(pool)
        .await
        .expect("sqlite columns"),
        Db::Postgres(pool) => sqlx::query_as(
            "SELECT table_name::text, column_name::text FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name NOT LIKE '\\_sqlx%'",
        )
        .fetch_all(pool)
        .await
        .expect("postgres columns"),
    };
    db.close().await;
    rows.into_iter().collect()
}

#[tokio::test]
async fn sqlite_and_postgres_migrations_define_the_same_columns() {
    if postgres_url("only the PostgreSQL run compares the two schemas").is_none() {
        return;
    }
    let sqlite_path =
        std::env::temp_dir().join(format!("scimd-mig-{}.db", uuid::Uuid::new_v4().simple()));
    let sqlite = columns(&format!("sqlite://{}", sqlite_path.display())).await;
    let postgres = columns(&fresh_database_url().await).await;

    assert!(sqlite.len() > 40, "{sqlite:?}");
    assert_eq!(sqlite, postgres);
}
