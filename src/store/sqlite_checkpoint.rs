//! Checkpoints of SQLite's write-ahead log, off the writer's path. A commit appends the pages it
//! changed to the WAL; a checkpoint copies them into the database file and, with
//! `synchronous=FULL`, syncs it. Left to SQLite, the connection whose commit takes the WAL past
//! `wal_autocheckpoint` pages runs the checkpoint right after its commit: on the one writer
//! connection (`sqlite_writer`), so every write waits for it (9.8% of the process's time in a
//! profile of bulk PATCHes, where each chunk's commit crosses the threshold). Here a
//! connection of its own runs a `PASSIVE` checkpoint after commits, while the writer goes on
//! with the next turn: a passive checkpoint takes no lock that writers or readers wait for.
//!
//! The writer keeps a threshold of its own, [`WRITER_AUTOCHECKPOINT`], for when this one falls
//! behind (a checkpoint cannot finish while a reader still uses older frames).

use std::time::Duration;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection as _, SqliteConnection};
use tokio::sync::mpsc;

use super::StoreError;

/// The writer's own `wal_autocheckpoint`, in pages (SQLite's default is 1,000): reached only when
/// the checkpoints here do not keep up; about 40 MiB of WAL.
pub const WRITER_AUTOCHECKPOINT: u32 = 10_000;

/// At most this often: each checkpoint syncs the database file, and pages that change again
/// soon are copied once for several commits.
const INTERVAL: Duration = Duration::from_millis(20);

/// Asks the checkpoint connection to run after a commit.
#[derive(Debug, Clone)]
pub struct Checkpoints {
    wake: mpsc::Sender<()>,
}

impl Checkpoints {
    /// Opens the checkpoint connection and starts its task, which ends when the last
    /// `Checkpoints` is dropped.
    pub async fn start(options: &SqliteConnectOptions) -> Result<Self, StoreError> {
        let conn = options.connect().await?;
        // One pending request stands for any number of commits since the last checkpoint.
        let (wake, woken) = mpsc::channel(1);
        tokio::spawn(run(conn, woken));
        Ok(Self { wake })
    }

    /// Called after a commit: a checkpoint follows soon.
    pub fn committed(&self) {
        let _ = self.wake.try_send(());
    }
}

async fn run(mut conn: SqliteConnection, mut woken: mpsc::Receiver<()>) {
    while woken.recv().await.is_some() {
        match sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&mut conn)
            .await
        {
            Ok(_) => {}
            // Another process on the same file (a CLI import beside `serve`) is checkpointing.
            Err(e) if is_busy(&e) => {}
            // The writer's own threshold still bounds the WAL.
            Err(e) => tracing::warn!(error = %e, "SQLite WAL checkpoint failed"),
        }
        tokio::time::sleep(INTERVAL).await;
    }
    let _ = conn.close().await;
}

/// `SQLITE_BUSY` (or an extended code of it), which a passive checkpoint answers at once
/// instead of waiting.
fn is_busy(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .and_then(|d| d.code())
        .and_then(|code| code.parse::<i32>().ok())
        .is_some_and(|code| code & 0xff == 5)
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use crate::store::Db;

    #[tokio::test]
    async fn a_commit_reaches_the_database_file_well_below_the_wal_threshold() {
        let path =
            std::env::temp_dir().join(format!("scimd-ckpt-{}.db", uuid::Uuid::new_v4().simple()));
        let url = format!("sqlite://{}", path.display());
        let db: Db = crate::cli::open(&url, &Default::default()).await.unwrap();
        let before = std::fs::metadata(&path).unwrap().len();
        // About 500 pages: far below any `wal_autocheckpoint`, so without a checkpoint of its
        // own they would stay in the WAL until the last connection closes.
        let mut tx = db.write().await.unwrap();
        tx.execute("CREATE TABLE blobs (b BLOB)", Vec::new())
            .await
            .unwrap();
        tx.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) \
             INSERT INTO blobs SELECT zeroblob(4000) FROM n",
            Vec::new(),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        let grown = loop {
            let grown = std::fs::metadata(&path).unwrap().len() - before;
            if grown >= 500 * 4000 || Instant::now() > deadline {
                break grown;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        assert!(
            grown >= 500 * 4000,
            "the database file grew by {grown} bytes only"
        );
    }
}
