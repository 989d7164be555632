//! SQLite's one writer. SQLite lets one connection write at a time, so every write transaction
//! of this process runs on one dedicated connection, taking turns first come first served,
//! instead of polling for the lock through `busy_timeout` (whose growing sleeps let some writers
//! lose again and again). Writing through one connection also keeps its page cache: in WAL
//! mode a connection discards its cache whenever another connection has committed since.
//!
//! **Group commit.** A writer whose work is done does not commit while others wait for their
//! turn: it releases its savepoint, leaves the transaction open for the next writer and waits.
//! The last writer of the group (no one waiting, or the group is old or large enough) commits
//! for all: one `COMMIT`, and with `synchronous=FULL` one sync of the WAL, serves the whole
//! group, and every writer hears of success only once its work is durable. Each writer's work
//! runs under its own savepoint, so one that fails (or is cancelled) is undone alone.
//!
//! Other processes on the same file still meet `busy_timeout`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection as _};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

use super::StoreError;

/// A group stays open for more writers at most this long: the first writer of a group waits
/// for the commit at most this plus the last writer's work.
const GROUP_AGE: Duration = Duration::from_millis(4);
/// A group commits once it holds this many writers' work.
const GROUP_SIZE: usize = 64;

/// The writer connection and the queue of writers taking turns on it.
#[derive(Debug)]
pub struct SqliteWriter {
    options: SqliteConnectOptions,
    turn: Arc<Semaphore>,
    state: Mutex<State>,
    counts: Commits,
}

/// Group commits so far (the `/metrics` counters): their number and the writes they carried.
#[derive(Debug, Default)]
struct Commits {
    commits: AtomicU64,
    writes: AtomicU64,
}

#[derive(Debug, Default)]
struct State {
    /// The connection, while no writer has the turn (or `None` until it is reopened after it
    /// was lost).
    idle: Option<Connection>,
    /// Writers waiting for their turn.
    waiting: usize,
}

#[derive(Debug)]
struct Connection {
    conn: SqliteConnection,
    /// The open transaction, while its group takes writers.
    group: Option<Group>,
}

#[derive(Debug)]
struct Group {
    opened: Instant,
    /// One per writer whose work the open transaction holds, told how the commit went.
    members: Vec<oneshot::Sender<Result<(), String>>>,
}

/// Whether a turn's savepoint is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Savepoint {
    Open,
    /// Being opened or released (a cancelled statement may or may not have run).
    Unknown,
}

/// The connection while one writer has the turn.
#[derive(Debug)]
struct Held {
    connection: Connection,
    permit: OwnedSemaphorePermit,
    savepoint: Savepoint,
}

/// One writer's turn: its statements run on the writer connection under its own savepoint.
/// Dropped without [`Turn::commit`] (an error, a cancelled request), its work is undone.
#[derive(Debug)]
pub struct Turn {
    writer: Arc<SqliteWriter>,
    held: Option<Held>,
}

impl SqliteWriter {
    /// Opens the writer connection with the pool's settings.
    pub async fn open(options: SqliteConnectOptions) -> Result<Arc<Self>, StoreError> {
        // Each turn's savepoint keeps the pages it changes first in a sub-journal, a temporary
        // file that SQLite spills to disk past 64 KiB: one write system call per page, most of
        // the writer's time in a profile of `POST /Users`. In memory it is a copy.
        let options = options.pragma("temp_store", "memory");
        let conn = options.connect().await?;
        Ok(Arc::new(Self {
            options,
            turn: Arc::new(Semaphore::new(1)),
            state: Mutex::new(State {
                idle: Some(Connection { conn, group: None }),
                waiting: 0,
            }),
            counts: Commits::default(),
        }))
    }

    /// The commits so far and the writes they carried.
    pub fn commits(&self) -> (u64, u64) {
        (
            self.counts.commits.load(Ordering::Relaxed),
            self.counts.writes.load(Ordering::Relaxed),
        )
    }

    /// Writers waiting for their turn right now (the `/metrics` write queue).
    pub fn waiting(&self) -> usize {
        self.state().waiting
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // The lock guards plain assignments only; a panic cannot leave the state half-changed.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Waits for a turn and opens its savepoint (and the group's transaction, if none is open).
    pub async fn begin(self: &Arc<Self>) -> Result<Turn, StoreError> {
        let permit = self.wait_turn().await?;
        let idle = self.state().idle.take();
        let connection = match idle {
            Some(connection) => connection,
            None => Connection {
                conn: self.options.connect().await?,
                group: None,
            },
        };
        let mut turn = Turn {
            writer: Arc::clone(self),
            held: Some(Held {
                connection,
                permit,
                savepoint: Savepoint::Unknown,
            }),
        };
        let held = turn.held()?;
        if held.connection.group.is_none() {
            // `IMMEDIATE` takes the write lock now: a deferred transaction that reads and then
            // writes fails with `SQLITE_BUSY_SNAPSHOT` when another process wrote meanwhile.
            run(&mut held.connection.conn, "BEGIN IMMEDIATE").await?;
            held.connection.group = Some(Group {
                opened: Instant::now(),
                members: Vec::new(),
            });
        }
        run(&mut held.connection.conn, "SAVEPOINT turn").await?;
        held.savepoint = Savepoint::Open;
        Ok(turn)
    }

    /// Waits for the semaphore, counted in `waiting` meanwhile.
    async fn wait_turn(self: &Arc<Self>) -> Result<OwnedSemaphorePermit, StoreError> {
        /// Uncounts the writer however its wait ends. One that gives up (a cancelled request)
        /// may be the writer a group was left open for: then someone must commit it.
        struct Waiting<'a> {
            writer: &'a Arc<SqliteWriter>,
            served: bool,
        }
        impl Drop for Waiting<'_> {
            fn drop(&mut self) {
                let mut state = self.writer.state();
                state.waiting -= 1;
                let left_open = state.idle.as_ref().is_some_and(|c| c.group.is_some());
                if !self.served && state.waiting == 0 && left_open {
                    spawn(Arc::clone(self.writer).flush());
                }
            }
        }
        self.state().waiting += 1;
        let mut waiting = Waiting {
            writer: self,
            served: false,
        };
        let permit = Arc::clone(&self.turn)
            .acquire_owned()
            .await
            .map_err(|_| StoreError::NotCommitted("the database is closing".into()))?;
        waiting.served = true;
        Ok(permit)
    }

    /// Commits a group that was left open for a writer who stopped waiting.
    async fn flush(self: Arc<Self>) {
        let Ok(permit) = self.wait_turn().await else {
            return;
        };
        let idle = self.state().idle.take();
        if let Some(connection) = idle {
            self.end_turn(connection, permit).await;
        }
    }

    /// Ends a turn: leaves the group open for the next writer if one is waiting and the group
    /// is young and small enough, else commits it.
    async fn end_turn(&self, mut connection: Connection, permit: OwnedSemaphorePermit) {
        if let Some(group) = &connection.group {
            let mut state = self.state();
            let young = group.opened.elapsed() < GROUP_AGE && group.members.len() < GROUP_SIZE;
            if state.waiting > 0 && young {
                state.idle = Some(connection);
                return;
            }
        }
        commit_group(&mut connection, &self.counts).await;
        self.state().idle = Some(connection);
        drop(permit);
    }

    /// Undoes the work of a turn that ended without committing, then ends the turn.
    async fn abandon(self: Arc<Self>, mut held: Held) {
        let conn = &mut held.connection.conn;
        if held.connection.group.is_none() {
            // The turn ended while opening the transaction, which may have begun.
            let _ = run(conn, "ROLLBACK").await;
        } else {
            let undone = match run(conn, "ROLLBACK TO SAVEPOINT turn").await {
                Ok(()) => run(conn, "RELEASE SAVEPOINT turn").await.is_ok(),
                // The savepoint was never opened, or already released with the work kept.
                Err(e) => held.savepoint == Savepoint::Unknown && no_such_savepoint(&e),
            };
            if !undone {
                // The transaction is gone or unusable (SQLite rolls back by itself on some
                // I/O errors): the whole group fails, nothing of it is committed.
                let _ = run(conn, "ROLLBACK").await;
                if let Some(group) = held.connection.group.take() {
                    for member in group.members {
                        let _ = member.send(Err("the transaction was rolled back".into()));
                    }
                }
            }
        }
        self.end_turn(held.connection, held.permit).await;
    }

    /// Waits for the writers ahead, commits an open group and closes the connection; writers
    /// that come later get an error.
    pub async fn close(self: &Arc<Self>) {
        let Ok(permit) = self.wait_turn().await else {
            return;
        };
        let idle = self.state().idle.take();
        if let Some(mut connection) = idle {
            commit_group(&mut connection, &self.counts).await;
            let _ = connection.conn.close().await;
        }
        self.turn.close();
        drop(permit);
    }
}

/// Commits the connection's open group (rolls it back if no member's work is in it) and tells
/// its members how it went.
async fn commit_group(connection: &mut Connection, counts: &Commits) {
    let Some(group) = connection.group.take() else {
        return;
    };
    let end = if group.members.is_empty() {
        "ROLLBACK"
    } else {
        "COMMIT"
    };
    let outcome = run(&mut connection.conn, end).await;
    if outcome.is_err() {
        // A failed COMMIT may leave the transaction open (SQLITE_BUSY) or not (I/O errors).
        let _ = run(&mut connection.conn, "ROLLBACK").await;
    }
    if outcome.is_ok() && !group.members.is_empty() {
        counts.commits.fetch_add(1, Ordering::Relaxed);
        counts
            .writes
            .fetch_add(group.members.len() as u64, Ordering::Relaxed);
    }
    let outcome = outcome.map_err(|e| format!("the commit failed: {e}"));
    for member in group.members {
        let _ = member.send(outcome.clone());
    }
}

/// The error of a turn used after it ended (a bug, never a client's doing).
fn finished() -> StoreError {
    StoreError::Corrupt("a finished SQLite write was used".into())
}

impl Turn {
    fn held(&mut self) -> Result<&mut Held, StoreError> {
        self.held.as_mut().ok_or_else(finished)
    }

    /// The writer connection, for this turn's statements.
    pub fn connection(&mut self) -> Result<&mut SqliteConnection, StoreError> {
        Ok(&mut self.held()?.connection.conn)
    }

    /// Keeps this turn's work and returns once it is committed (with the group it joined).
    pub async fn commit(mut self) -> Result<(), StoreError> {
        let held = self.held()?;
        held.savepoint = Savepoint::Unknown;
        run(&mut held.connection.conn, "RELEASE SAVEPOINT turn").await?;
        let (told, outcome) = oneshot::channel();
        let mut held = self.held.take().ok_or_else(finished)?;
        if let Some(group) = held.connection.group.as_mut() {
            group.members.push(told);
        }
        // Ending the turn may commit: in a task of its own, so that a cancelled request
        // cannot interrupt the commit of the others' work.
        let writer = Arc::clone(&self.writer);
        tokio::spawn(async move { writer.end_turn(held.connection, held.permit).await });
        match outcome.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(detail)) => Err(StoreError::NotCommitted(detail)),
            Err(_) => Err(StoreError::NotCommitted(
                "the SQLite writer stopped before committing".into(),
            )),
        }
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        if let Some(held) = self.held.take() {
            spawn(Arc::clone(&self.writer).abandon(held));
        }
    }
}

/// Runs `future` on the current runtime. Outside one (the process is ending), it is dropped:
/// the writer connection then closes, which rolls back its open transaction, and its group's
/// members hear that their commit did not happen.
fn spawn(future: impl Future<Output = ()> + Send + 'static) {
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        runtime.spawn(future);
    }
}

/// Runs one statement without parameters on the writer connection.
async fn run(conn: &mut SqliteConnection, sql: &'static str) -> Result<(), StoreError> {
    sqlx::query(sql).execute(&mut *conn).await?;
    Ok(())
}

fn no_such_savepoint(e: &StoreError) -> bool {
    matches!(e, StoreError::Database(e)
        if e.as_database_error().is_some_and(|d| d.message().contains("no such savepoint")))
}
