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
//! runs under its own savepoint, so one that fails (or is cancelled) is undone alone; the writer
//! that opens the transaction needs none (undoing it is rolling back a transaction that holds
//! only its work), which spares SQLite a sub-journal copy of every page it changes.
//!
//! **Queued statements.** sqlx runs each statement on the connection's own thread: a hand-off
//! there and back, two thread wake-ups that cost more CPU than a small statement itself (and,
//! since the writer's statements run one after another, they also bound how many writes a
//! second it serves). A statement whose result its caller does not need ([`Turn::queue`]: the
//! group's `BEGIN` or the turn's own `SAVEPOINT`, inserts) waits and goes with the turn's next
//! statement, as one multi-statement command to that thread; its error, if any, is then that
//! statement's. The last statements of a writer alone in its transaction go with the `COMMIT`.
//! A turn takes the connection only when a statement of it must run (or it commits), so the
//! work that builds the statements it queues first overlaps the turns ahead of it.
//!
//! Other processes on the same file still meet `busy_timeout`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use futures_util::TryStreamExt as _;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqliteRow};
use sqlx::{AssertSqlSafe, ConnectOptions, Connection as _, Either, Executor as _};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

use super::StoreError;
use super::db::{Arg, bind_all};
use super::sqlite_checkpoint::{Checkpoints, WRITER_AUTOCHECKPOINT};

/// A group stays open for more writers at most this long: the first writer of a group waits
/// for the commit at most this plus the last writer's work.
const GROUP_AGE: Duration = Duration::from_millis(4);
/// A group commits once it holds this many writers' work.
const GROUP_SIZE: usize = 64;
/// Prepared statements the writer connection keeps (sqlx's default is 100). A batch of queued
/// statements is one entry (see [`Turn::queue`]), and a bulk chunk's batch of 50 writes can
/// hold a megabyte of compiled statements; batches differ with the chunk's mix of writes.
const WRITER_STATEMENT_CACHE: usize = 24;

/// The writer connection and the queue of writers taking turns on it.
#[derive(Debug)]
pub struct SqliteWriter {
    options: SqliteConnectOptions,
    turn: Arc<Semaphore>,
    state: Mutex<State>,
    counts: Commits,
    checkpoints: Checkpoints,
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
    members: Vec<oneshot::Sender<Result<(), StoreError>>>,
}

/// Whether a turn's savepoint is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Savepoint {
    /// The turn opened the group's transaction, which holds nothing else yet: undoing the turn
    /// is rolling the transaction back, so it sets no savepoint (whose sub-journal would copy
    /// every page the turn changes).
    Whole,
    /// Its `SAVEPOINT` waits in the turn's queue: nothing of the turn has run.
    Queued,
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
    /// Whether the group's `BEGIN IMMEDIATE` waits in the queue, or ran in a batch that failed
    /// before it: then no transaction is open, and nothing more of the turn may run.
    begin: Begin,
    queued: Queued,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Begin {
    /// The turn joined an open transaction, or its `BEGIN` ran.
    Done,
    Queued,
    Failed,
}

/// Statements waiting for the turn's next one (see the module's documentation): their text,
/// each followed by `;`, with only anonymous `?` placeholders, and their arguments in order.
#[derive(Debug, Default)]
struct Queued {
    sql: String,
    args: Vec<Arg>,
    statements: usize,
    /// What a unique violation of a queued statement means to the client, by the statement's
    /// place in the queue ([`Turn::queue_unique`]): its error surfaces with a later statement.
    on_unique: Vec<(usize, String)>,
}

/// What a statement run after the queued ones returned.
pub struct Ran {
    pub rows: Vec<SqliteRow>,
    pub rows_affected: u64,
}

/// One writer's turn: its statements run on the writer connection under its own savepoint.
/// Dropped without [`Turn::commit`] (an error, a cancelled request), its work is undone.
#[derive(Debug)]
pub struct Turn {
    writer: Arc<SqliteWriter>,
    /// Statements queued before the turn has the connection (`None` once it has it).
    early: Option<Queued>,
    held: Option<Held>,
}

impl SqliteWriter {
    /// Opens the writer connection with the pool's settings.
    pub async fn open(options: SqliteConnectOptions) -> Result<Arc<Self>, StoreError> {
        let checkpoints = Checkpoints::start(&options).await?;
        // Each turn's savepoint keeps the pages it changes first in a sub-journal, a temporary
        // file that SQLite spills to disk past 64 KiB: one write system call per page, most of
        // the writer's time in a profile of `POST /Users`. In memory it is a copy.
        let options = options
            .statement_cache_capacity(WRITER_STATEMENT_CACHE)
            .pragma("temp_store", "memory")
            .pragma("wal_autocheckpoint", WRITER_AUTOCHECKPOINT.to_string());
        let conn = options.connect().await?;
        Ok(Arc::new(Self {
            options,
            turn: Arc::new(Semaphore::new(1)),
            state: Mutex::new(State {
                idle: Some(Connection { conn, group: None }),
                waiting: 0,
            }),
            counts: Commits::default(),
            checkpoints,
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

    /// A turn that waits for the connection only once it has a statement to run (or commits):
    /// until then, statements it queues (a create's inserts) wait with it, so the work that
    /// builds them does not hold up the writers ahead of it.
    pub fn begin(self: &Arc<Self>) -> Turn {
        Turn {
            writer: Arc::clone(self),
            early: Some(Queued::default()),
            held: None,
        }
    }

    /// Waits for the connection and opens the turn's savepoint (and the group's transaction, if
    /// none is open), both queued to run with its first statement.
    async fn take_turn(self: &Arc<Self>) -> Result<Held, StoreError> {
        let permit = self.wait_turn().await?;
        let idle = self.state().idle.take();
        let connection = match idle {
            Some(connection) => connection,
            None => Connection {
                conn: self.options.connect().await?,
                group: None,
            },
        };
        let opens = connection.group.is_none();
        let mut held = Held {
            connection,
            permit,
            savepoint: if opens {
                Savepoint::Whole
            } else {
                Savepoint::Queued
            },
            begin: if opens { Begin::Queued } else { Begin::Done },
            queued: Queued::default(),
        };
        if opens {
            // `IMMEDIATE` takes the write lock at once: a deferred transaction that reads and
            // then writes fails with `SQLITE_BUSY_SNAPSHOT` when another process wrote
            // meanwhile. It runs with the turn's first statement.
            held.queued.push("BEGIN IMMEDIATE", Vec::new());
            held.connection.group = Some(Group {
                opened: Instant::now(),
                members: Vec::new(),
            });
        } else {
            held.queued.push("SAVEPOINT turn", Vec::new());
        }
        Ok(held)
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
            self.end_turn(connection, permit, Queued::default()).await;
        }
    }

    /// Ends a turn: leaves the group open for the next writer if one is waiting and the group
    /// is young and small enough, else commits it. `last` are statements of a turn that kept
    /// its work and is the group's only member: they run with the `COMMIT` (one hand-off to the
    /// connection's thread instead of two), or alone before the group is left open; if they
    /// fail, the group is rolled back.
    async fn end_turn(
        &self,
        mut connection: Connection,
        permit: OwnedSemaphorePermit,
        last: Queued,
    ) {
        let mut last = Some(last).filter(|q| q.statements > 0);
        let leaving_open = connection
            .group
            .as_ref()
            .is_some_and(|group| self.stays_open(group));
        if leaving_open
            && let Some(q) = last.take()
            && let Err(e) = q.run_then(&mut connection.conn, "SELECT 1").await
        {
            // The statements are the last member's: its error is that member's.
            let _ = run(&mut connection.conn, "ROLLBACK").await;
            fail_group(&mut connection, Some(e));
        }
        // Left open only once `last` ran: a writer may have come since `leaving_open` was
        // decided, and statements left behind (the group's `BEGIN` among them) would be lost.
        if let Some(group) = &connection.group
            && last.is_none()
        {
            let mut state = self.state();
            if stays_open(group, &state) {
                state.idle = Some(connection);
                return;
            }
        }
        commit_group(self, &mut connection, last).await;
        self.state().idle = Some(connection);
        drop(permit);
    }

    fn stays_open(&self, group: &Group) -> bool {
        stays_open(group, &self.state())
    }

    /// Undoes the work of a turn that ended without committing, then ends the turn.
    async fn abandon(self: Arc<Self>, mut held: Held) {
        let conn = &mut held.connection.conn;
        if held.connection.group.is_none() || held.savepoint == Savepoint::Whole {
            // The turn ended while opening the transaction, which may have begun, or the
            // transaction holds its work alone. (`ROLLBACK` fails harmlessly when the
            // transaction never began.)
            let _ = run(conn, "ROLLBACK").await;
            held.connection.group = None;
        } else if held.savepoint == Savepoint::Queued {
            // Nothing of the turn ran.
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
                fail_group(&mut held.connection, None);
            }
        }
        self.end_turn(held.connection, held.permit, Queued::default())
            .await;
    }

    /// Waits for the writers ahead, commits an open group and closes the connection; writers
    /// that come later get an error.
    pub async fn close(self: &Arc<Self>) {
        let Ok(permit) = self.wait_turn().await else {
            return;
        };
        let idle = self.state().idle.take();
        if let Some(mut connection) = idle {
            commit_group(self, &mut connection, None).await;
            let _ = connection.conn.close().await;
        }
        self.turn.close();
        drop(permit);
    }
}

/// Commits the connection's open group (rolls it back if no member's work is in it), after
/// `last` (see [`SqliteWriter::end_turn`]), and tells its members how it went.
async fn commit_group(writer: &SqliteWriter, connection: &mut Connection, last: Option<Queued>) {
    let Some(group) = connection.group.take() else {
        return;
    };
    let end = if group.members.is_empty() {
        "ROLLBACK"
    } else {
        "COMMIT"
    };
    let outcome = match last {
        Some(q) => q.run_then(&mut connection.conn, end).await,
        None => run(&mut connection.conn, end)
            .await
            .map_err(Failure::Commit),
    };
    let mut members = group.members;
    match outcome {
        Ok(()) => {
            if !members.is_empty() {
                let counts = &writer.counts;
                counts.commits.fetch_add(1, Ordering::Relaxed);
                counts
                    .writes
                    .fetch_add(members.len() as u64, Ordering::Relaxed);
                writer.checkpoints.committed();
            }
            for member in members {
                let _ = member.send(Ok(()));
            }
        }
        Err(failure) => {
            // A failed COMMIT may leave the transaction open (SQLITE_BUSY) or not (I/O errors).
            let _ = run(&mut connection.conn, "ROLLBACK").await;
            let detail = format!("the commit failed: {}", failure.error());
            if let Failure::Queued(e) = failure
                && let Some(last) = members.pop()
            {
                let _ = last.send(Err(e));
            }
            for member in members {
                let _ = member.send(Err(StoreError::NotCommitted(detail.clone())));
            }
        }
    }
}

/// Tells the members of the connection's group that their work is undone, and forgets it.
/// `last` is the error of the last member's own statements, if they are why.
fn fail_group(connection: &mut Connection, last: Option<Failure>) {
    let Some(group) = connection.group.take() else {
        return;
    };
    let mut members = group.members;
    let detail = match &last {
        Some(failure) => format!("the transaction was rolled back: {}", failure.error()),
        None => "the transaction was rolled back".to_owned(),
    };
    if let Some(Failure::Queued(e)) = last
        && let Some(member) = members.pop()
    {
        let _ = member.send(Err(e));
    }
    for member in members {
        let _ = member.send(Err(StoreError::NotCommitted(detail.clone())));
    }
}

/// Why a batch of a turn's last statements and the group's `COMMIT` failed.
#[derive(Debug)]
enum Failure {
    /// One of the turn's own statements.
    Queued(StoreError),
    /// The statement after them (`COMMIT`).
    Commit(StoreError),
}

impl Failure {
    fn error(&self) -> &StoreError {
        match self {
            Failure::Queued(e) | Failure::Commit(e) => e,
        }
    }
}

/// Whether a group stays open for the next writer: one is waiting, and the group is young and
/// small enough.
fn stays_open(group: &Group, state: &State) -> bool {
    state.waiting > 0 && group.opened.elapsed() < GROUP_AGE && group.members.len() < GROUP_SIZE
}

/// The error of a turn used after it ended (a bug, never a client's doing).
fn finished() -> StoreError {
    StoreError::Corrupt("a finished SQLite write was used".into())
}

impl Turn {
    fn held(&mut self) -> Result<&mut Held, StoreError> {
        let held = self.held.as_mut().ok_or_else(finished)?;
        if held.begin == Begin::Failed {
            // Without a transaction, each statement would commit on its own.
            return Err(StoreError::NotCommitted(
                "the write transaction could not begin".into(),
            ));
        }
        Ok(held)
    }

    /// Waits for the connection, if the turn does not have it yet.
    async fn acquire(&mut self) -> Result<&mut Held, StoreError> {
        if let Some(early) = self.early.take() {
            let mut held = self.writer.take_turn().await?;
            held.queued.append(early);
            self.held = Some(held);
        }
        self.held()
    }

    /// Where a statement waits: with the turn, or before it has the connection.
    fn queue_mut(&mut self) -> Result<&mut Queued, StoreError> {
        if self.early.is_some() {
            return self.early.as_mut().ok_or_else(finished);
        }
        Ok(&mut self.held()?.queued)
    }

    /// Whether statements wait for the next one.
    fn has_queued(&self) -> bool {
        let queued = self
            .early
            .as_ref()
            .or(self.held.as_ref().map(|h| &h.queued));
        queued.is_some_and(|q| q.statements > 0)
    }

    /// Queues a statement whose result is not needed, to run with the turn's next statement.
    /// `sql` has SQLite's placeholders; one with numbered ones (`$2`), which would refer to
    /// the queued arguments, runs at once instead.
    pub async fn queue(&mut self, sql: &str, args: Vec<Arg>) -> Result<(), StoreError> {
        if has_numbered_placeholders(sql) {
            self.run(sql, args).await?;
        } else {
            self.queue_mut()?.push(sql, args);
        }
        Ok(())
    }

    /// [`Turn::queue`] for a statement that may break a unique index for the client's reason
    /// (an insert of a `userName` that is taken): whichever later statement it runs with
    /// reports its unique violation as `StoreError::Uniqueness(taken)`.
    pub async fn queue_unique(
        &mut self,
        sql: &str,
        args: Vec<Arg>,
        taken: String,
    ) -> Result<(), StoreError> {
        if has_numbered_placeholders(sql) {
            self.run(sql, args)
                .await
                .map_err(|e| e.on_unique(|| taken))?;
        } else {
            let queued = self.queue_mut()?;
            queued.on_unique.push((queued.statements, taken));
            queued.push(sql, args);
        }
        Ok(())
    }

    /// Runs the queued statements and then `sql`, in one command to the connection's thread,
    /// and returns what `sql` returned. The first error stops the batch and is returned.
    pub async fn run(&mut self, sql: &str, args: Vec<Arg>) -> Result<Ran, StoreError> {
        if has_numbered_placeholders(sql) && self.has_queued() {
            // `$1` would be the first queued argument: the queue goes first, alone.
            self.run_after_queued("SELECT 1", Vec::new()).await?;
        }
        self.run_after_queued(sql, args).await
    }

    async fn run_after_queued(&mut self, sql: &str, args: Vec<Arg>) -> Result<Ran, StoreError> {
        let held = self.acquire().await?;
        let queued = std::mem::take(&mut held.queued);
        let skip = queued.statements;
        let on_unique = queued.on_unique;
        let mut text = queued.sql;
        text.push_str(sql);
        let mut all = queued.args;
        all.extend(args);
        // Unknown while the batch runs: a request cancelled meanwhile may have sent it.
        let opening = held.savepoint == Savepoint::Queued;
        if opening {
            held.savepoint = Savepoint::Unknown;
        }
        let mut done = 0;
        let outcome = run_batch_counted(&mut held.connection.conn, text, all, skip, &mut done)
            .await
            .map_err(|e| attribute(e, &on_unique, done));
        if opening && outcome.is_ok() {
            held.savepoint = Savepoint::Open;
        }
        if held.begin == Begin::Queued {
            // The batch's first statement was the `BEGIN`.
            held.begin = if done == 0 && outcome.is_err() {
                Begin::Failed
            } else {
                Begin::Done
            };
        }
        outcome
    }

    /// Keeps this turn's work and returns once it is committed (with the group it joined).
    pub async fn commit(mut self) -> Result<(), StoreError> {
        if self.early.as_ref().is_some_and(|q| q.statements == 0) {
            // Nothing was written: nothing to commit.
            self.early = None;
            return Ok(());
        }
        let held = self.acquire().await?;
        // A turn alone in its transaction leaves its queued statements to the commit; another
        // releases its savepoint first, so that its statements' errors stay its own.
        let last = match held.savepoint {
            Savepoint::Whole => std::mem::take(&mut held.queued),
            savepoint => {
                if savepoint == Savepoint::Open {
                    held.savepoint = Savepoint::Unknown;
                }
                self.run("RELEASE SAVEPOINT turn", Vec::new()).await?;
                Queued::default()
            }
        };
        let (told, outcome) = oneshot::channel();
        let mut held = self.held.take().ok_or_else(finished)?;
        if let Some(group) = held.connection.group.as_mut() {
            group.members.push(told);
        }
        // Ending the turn may commit: in a task of its own, so that a cancelled request
        // cannot interrupt the commit of the others' work.
        let writer = Arc::clone(&self.writer);
        tokio::spawn(async move { writer.end_turn(held.connection, held.permit, last).await });
        match outcome.await {
            Ok(result) => result,
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

impl Queued {
    /// Moves `later`'s statements after these.
    fn append(&mut self, later: Queued) {
        let offset = self.statements;
        self.sql.push_str(&later.sql);
        self.args.extend(later.args);
        self.statements += later.statements;
        let shifted = later.on_unique.into_iter().map(|(at, t)| (at + offset, t));
        self.on_unique.extend(shifted);
    }

    /// Queues a statement (its error is the next one's, see [`Turn::queue`]).
    fn push(&mut self, sql: &str, args: Vec<Arg>) {
        self.sql.push_str(sql);
        self.sql.push_str(";\n");
        self.args.extend(args);
        self.statements += 1;
    }

    /// Runs these statements and then `last` (one without parameters), as one batch.
    async fn run_then(self, conn: &mut SqliteConnection, last: &str) -> Result<(), Failure> {
        let mut sql = self.sql;
        sql.push_str(last);
        let mut done = 0;
        match run_batch_counted(conn, sql, self.args, self.statements, &mut done).await {
            Ok(_) => Ok(()),
            Err(e) if done < self.statements => {
                Err(Failure::Queued(attribute(e, &self.on_unique, done)))
            }
            Err(e) => Err(Failure::Commit(e)),
        }
    }
}

/// The error of the batch statement at `failed` (counting from 0), as [`Turn::queue_unique`]
/// asked for it.
fn attribute(e: StoreError, on_unique: &[(usize, String)], failed: usize) -> StoreError {
    match on_unique.iter().find(|(at, _)| *at == failed) {
        Some((_, taken)) => e.on_unique(|| taken.clone()),
        None => e,
    }
}

/// Runs several statements as one (sqlx's SQLite driver steps through a text of several
/// statements, binding each one's anonymous placeholders from where the previous one's ended),
/// keeps what the statement after the first `skip` returned, and counts in `done` the
/// statements that ran to completion.
async fn run_batch_counted(
    conn: &mut SqliteConnection,
    sql: String,
    args: Vec<Arg>,
    skip: usize,
    done: &mut usize,
) -> Result<Ran, StoreError> {
    let query = bind_all!(sqlx::query(AssertSqlSafe(sql)), args);
    let mut results = conn.fetch_many(query);
    let mut ran = Ran {
        rows: Vec::new(),
        rows_affected: 0,
    };
    while let Some(result) = results.try_next().await? {
        match result {
            Either::Left(_) if *done < skip => *done += 1,
            Either::Left(result) => {
                *done += 1;
                ran.rows_affected = result.rows_affected();
            }
            Either::Right(row) if *done == skip => ran.rows.push(row),
            Either::Right(_) => {}
        }
    }
    Ok(ran)
}

/// Whether SQLite text has numbered (`$1`) placeholders, which bind by position in the whole
/// argument list rather than after the previous statement's.
fn has_numbered_placeholders(sql: &str) -> bool {
    let bytes = sql.as_bytes();
    bytes
        .windows(2)
        .any(|w| w[0] == b'$' && w[1].is_ascii_digit())
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
