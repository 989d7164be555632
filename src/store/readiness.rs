//! What the operations endpoints report about the database: whether it answers with every
//! migration of this build applied (`/readyz`), and the pool's and SQLite writers' state
//! (`/metrics`).

use super::StoreError;
use super::db::{Db, POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS};

/// Connections of the pool right now.
#[derive(Debug, Clone, Copy)]
pub struct PoolState {
    /// Checked out by a request or task.
    pub in_use: u32,
    /// Open and waiting in the pool.
    pub idle: u32,
}

impl Db {
    /// The versions of this build's migrations the database has not applied (successfully):
    /// empty when the schema is what this build expects. Fails when the database does not
    /// answer. Versions applied by a newer build are not this build's concern.
    pub async fn missing_migrations(&self) -> Result<Vec<i64>, StoreError> {
        let migrator = match self {
            Db::Sqlite(..) => &SQLITE_MIGRATIONS,
            Db::Postgres(_) => &POSTGRES_MIGRATIONS,
        };
        let mut tx = self.autocommit();
        let applied: Vec<(i64,)> = tx
            .fetch_all(
                "SELECT version FROM _sqlx_migrations WHERE success = TRUE",
                Vec::new(),
            )
            .await?;
        let applied: Vec<i64> = applied.into_iter().map(|(v,)| v).collect();
        Ok(migrator
            .iter()
            .filter(|m| !m.migration_type.is_down_migration())
            .map(|m| m.version)
            .filter(|v| !applied.contains(v))
            .collect())
    }

    /// The pool's connections in use and idle.
    pub fn pool_state(&self) -> PoolState {
        let (size, idle) = match self {
            Db::Sqlite(pool, _) => (pool.size(), pool.num_idle()),
            Db::Postgres(pool) => (pool.size(), pool.num_idle()),
        };
        let idle = u32::try_from(idle).unwrap_or(u32::MAX).min(size);
        PoolState {
            in_use: size - idle,
            idle,
        }
    }

    /// SQLite's group commits so far and the writes they carried; `None` on PostgreSQL.
    pub fn sqlite_commits(&self) -> Option<(u64, u64)> {
        match self {
            Db::Sqlite(_, writer) => Some(writer.commits()),
            Db::Postgres(_) => None,
        }
    }

    /// SQLite writers of this process waiting for their turn; `None` on PostgreSQL, where
    /// writers do not queue in scimd.
    pub fn sqlite_write_queue(&self) -> Option<usize> {
        match self {
            Db::Sqlite(_, writer) => Some(writer.waiting()),
            Db::Postgres(_) => None,
        }
    }
}
