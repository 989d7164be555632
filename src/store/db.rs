//! The database handle: one pool of either backend, and a transaction type whose methods take
//! SQL text plus a list of [`Arg`]s. Store modules write each query once; this file is the only
//! place that knows which backend runs it.
//!
//! SQL text uses `$1..$n` placeholders, which both SQLite and PostgreSQL accept. Values are always
//! bound, never spliced into the text.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::postgres::{PgPoolOptions, PgRow};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{AssertSqlSafe, FromRow, PgPool, Postgres, Sqlite, SqlitePool, Transaction};

use super::StoreError;
use super::sqlite_writer::{SqliteWriter, Turn};

pub(super) static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
pub(super) static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator =
    sqlx::migrate!("migrations/postgres");

/// Which SQL dialect a statement is written for, where the two differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// A connection pool to SQLite or PostgreSQL, chosen by the URL scheme.
#[derive(Debug, Clone)]
pub enum Db {
    Sqlite(SqlitePool, Arc<SqliteWriter>),
    Postgres(PgPool),
}

/// A bound parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Text(Option<String>),
    Int(i64),
    Bool(Option<bool>),
    Time(Option<DateTime<Utc>>),
    Json(Value),
}

impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(Some(v.to_owned()))
    }
}
impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Text(Some(v))
    }
}
impl From<Option<String>> for Arg {
    fn from(v: Option<String>) -> Self {
        Arg::Text(v)
    }
}
impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::Int(v)
    }
}
impl From<bool> for Arg {
    fn from(v: bool) -> Self {
        Arg::Bool(Some(v))
    }
}
impl From<Option<bool>> for Arg {
    fn from(v: Option<bool>) -> Self {
        Arg::Bool(v)
    }
}
impl From<DateTime<Utc>> for Arg {
    fn from(v: DateTime<Utc>) -> Self {
        Arg::Time(Some(v))
    }
}
impl From<Option<DateTime<Utc>>> for Arg {
    fn from(v: Option<DateTime<Utc>>) -> Self {
        Arg::Time(v)
    }
}
impl From<Value> for Arg {
    fn from(v: Value) -> Self {
        Arg::Json(v)
    }
}

/// Builds an argument list: `args![tenant, id, 3_i64]`.
macro_rules! args {
    ($($v:expr),* $(,)?) => { vec![$($crate::store::db::Arg::from($v)),*] };
}
pub(crate) use args;

/// Binds every argument of `$args` to the sqlx query `$q`.
macro_rules! bind_all {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for arg in $args {
            q = match arg {
                $crate::store::db::Arg::Text(v) => q.bind(v),
                $crate::store::db::Arg::Int(v) => q.bind(v),
                $crate::store::db::Arg::Bool(v) => q.bind(v),
                $crate::store::db::Arg::Time(v) => q.bind(v),
                $crate::store::db::Arg::Json(v) => q.bind(sqlx::types::Json(v)),
            };
        }
        q
    }};
}
pub(super) use bind_all;

/// SQLite's default pool size. The pool serves reads only (writes have a connection of their
/// own, see `sqlite_writer`), and a read keeps its connection for one statement's CPU work:
/// on this project's 2-core benchmark machine four readers served as many requests as eight,
/// with p99 15–20% shorter, and each connection fewer is about 7 MiB less resident memory (its
/// page cache, and the heap of the thread sqlx runs it on).
pub const SQLITE_POOL: u32 = 4;
/// PostgreSQL's default pool size: its connections wait on the network and the server.
pub const POSTGRES_POOL: u32 = 8;

/// Connection settings that are not part of the URL (by default: the backend's pool size,
/// SQLite commits synced with `FULL`).
#[derive(Debug, Clone, Default)]
pub struct DbOptions {
    /// The pool's size; `None` for the backend's default ([`SQLITE_POOL`], [`POSTGRES_POOL`]).
    pub max_connections: Option<u32>,
    /// SQLite `synchronous=NORMAL` (durable on application crash, may lose the last
    /// transactions on power loss) instead of `FULL` (every commit synced before it returns).
    pub sqlite_synchronous_normal: bool,
}

impl Db {
    /// Connects to `sqlite://path` (created if missing, WAL mode) or `postgres://…`.
    pub async fn connect(url: &str, options: &DbOptions) -> Result<Self, StoreError> {
        if url.starts_with("sqlite:") {
            let synchronous = if options.sqlite_synchronous_normal {
                SqliteSynchronous::Normal
            } else {
                SqliteSynchronous::Full
            };
            let connect = SqliteConnectOptions::from_str(url)?;
            let in_memory = url.contains(":memory:") || url.contains("mode=memory");
            if !in_memory {
                super::sqlite_files::protect(connect.get_filename())?;
            }
            let connect = connect
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(synchronous)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            let pool = SqlitePoolOptions::new()
                .max_connections(options.max_connections.unwrap_or(SQLITE_POOL))
                // A ping before every checkout is one more round trip to the connection's
                // worker thread per statement batch; a broken connection shows as an error on
                // first use instead, and sqlx then drops it.
                .test_before_acquire(false)
                .connect_with(connect.clone())
                .await?;
            let writer = SqliteWriter::open(connect).await?;
            Ok(Db::Sqlite(pool, writer))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let pool = PgPoolOptions::new()
                .max_connections(options.max_connections.unwrap_or(POSTGRES_POOL))
                // As for SQLite: no ping (a network round trip) before every checkout.
                .test_before_acquire(false)
                .acquire_timeout(Duration::from_secs(10))
                .connect(url)
                .await?;
            Ok(Db::Postgres(pool))
        } else {
            Err(StoreError::UnsupportedUrl)
        }
    }

    /// Applies the embedded migrations of this backend.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self {
            Db::Sqlite(pool, _) => SQLITE_MIGRATIONS.run(pool).await?,
            Db::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await?,
        }
        Ok(())
    }

    /// The dialect of this backend.
    pub fn dialect(&self) -> Dialect {
        match self {
            Db::Sqlite(..) => Dialect::Sqlite,
            Db::Postgres(_) => Dialect::Postgres,
        }
    }

    /// How many write transactions can make progress at once: one on SQLite (one writer at a
    /// time), as many as the pool has connections on PostgreSQL.
    pub fn concurrent_writers(&self) -> usize {
        match self {
            Db::Sqlite(..) => 1,
            Db::Postgres(pool) => pool.options().get_max_connections() as usize,
        }
    }

    /// Starts a write transaction. On SQLite it is a turn on the one writer connection, which
    /// may share its transaction and commit with other writers' (see `sqlite_writer`).
    pub async fn write(&self) -> Result<Tx, StoreError> {
        Ok(match self {
            Db::Sqlite(_, writer) => Tx::SqliteWrite(writer.begin()),
            Db::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    /// Starts a read-only transaction, so that a resource read with several statements
    /// (row, multi-valued attributes, memberships) sees one snapshot.
    pub async fn read(&self) -> Result<Tx, StoreError> {
        Ok(match self {
            Db::Sqlite(pool, _) => Tx::Sqlite(pool.begin().await?),
            Db::Postgres(pool) => Tx::Postgres(
                pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .await?,
            ),
        })
    }

    /// Refreshes the statistics the query planner uses to pick indexes. Without them SQLite may
    /// scan the creation-order index instead of a selective one, and PostgreSQL (where
    /// autovacuum is off, or has not run yet on a freshly loaded database) may check foreign
    /// keys by scanning. SQLite: `ANALYZE` on a database never analyzed, else `PRAGMA optimize`,
    /// sampling so it stays fast at millions of rows. PostgreSQL: `ANALYZE` of scimd's tables,
    /// which samples a fixed number of rows per table.
    pub async fn optimize(&self) -> Result<(), StoreError> {
        match self {
            Db::Sqlite(..) => {
                // On the writer connection, in a turn: ANALYZE writes `sqlite_stat1`.
                let mut tx = self.write().await?;
                tx.execute("PRAGMA analysis_limit = 1000", Vec::new())
                    .await?;
                let analyzed: Option<(String,)> = tx
                    .fetch_optional(
                        "SELECT tbl FROM sqlite_schema s JOIN sqlite_stat1 t ON t.tbl = s.name LIMIT 1",
                        Vec::new(),
                    )
                    .await
                    .unwrap_or(None);
                let sql = if analyzed.is_some() {
                    "PRAGMA optimize = 0x10002"
                } else {
                    "ANALYZE"
                };
                tx.execute(sql, Vec::new()).await?;
                tx.commit().await?;
            }
            Db::Postgres(pool) => {
                sqlx::query("ANALYZE users, user_values, groups, group_members")
                    .execute(pool)
                    .await?;
            }
        }
        Ok(())
    }

    /// Statements without an explicit transaction, each committed on its own: for a read that
    /// is a single statement (which sees one snapshot by itself), this saves the `BEGIN` and
    /// `COMMIT` round trips of [`Db::read`].
    pub fn autocommit(&self) -> Tx {
        match self {
            Db::Sqlite(pool, _) => Tx::SqliteAutocommit(pool.clone()),
            Db::Postgres(pool) => Tx::PostgresAutocommit(pool.clone()),
        }
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        let mut tx = self.read().await?;
        let _: (i64,) = tx.fetch_one("SELECT CAST(1 AS BIGINT)", Vec::new()).await?;
        tx.commit().await
    }

    /// Closes the pool, waiting for connections to be returned.
    pub async fn close(&self) {
        match self {
            Db::Sqlite(pool, writer) => {
                writer.close().await;
                pool.close().await;
            }
            Db::Postgres(pool) => pool.close().await,
        }
    }
}

/// An open transaction on either backend, or (from [`Db::autocommit`]) a pool whose
/// statements each commit on their own.
pub enum Tx {
    /// A read transaction.
    Sqlite(Transaction<'static, Sqlite>),
    /// A write transaction: a turn on SQLite's writer connection.
    SqliteWrite(Turn),
    Postgres(Transaction<'static, Postgres>),
    SqliteAutocommit(SqlitePool),
    PostgresAutocommit(PgPool),
}

/// Runs `$run` (a method call on a bound sqlx query) with `$q` on whichever executor `$tx` holds.
/// `$then`, a method without arguments, maps each backend's result to a common type.
macro_rules! on_executor {
    ($tx:expr, $q:expr, $args:expr, $run:ident $(, $then:ident)?) => {
        match $tx {
            Tx::Sqlite(tx) => bind_all!($q, $args).$run(&mut **tx).await?$(.$then())?,
            // Its statements go through `Turn::run` (see `Tx::writer_turn`).
            Tx::SqliteWrite(_) => return Err(StoreError::Corrupt("a write statement missed the SQLite writer".into())),
            Tx::Postgres(tx) => bind_all!($q, $args).$run(&mut **tx).await?$(.$then())?,
            Tx::SqliteAutocommit(pool) => bind_all!($q, $args).$run(&*pool).await?$(.$then())?,
            Tx::PostgresAutocommit(pool) => bind_all!($q, $args).$run(&*pool).await?$(.$then())?,
        }
    };
}

/// A row type that decodes from both backends (derive `sqlx::FromRow` gives this).
pub trait AnyRow:
    for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}
impl<T> AnyRow for T where
    T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}

impl Tx {
    /// The dialect of this transaction's backend.
    pub fn dialect(&self) -> Dialect {
        match self {
            Tx::Sqlite(_) | Tx::SqliteWrite(_) | Tx::SqliteAutocommit(_) => Dialect::Sqlite,
            Tx::Postgres(_) | Tx::PostgresAutocommit(_) => Dialect::Postgres,
        }
    }

    /// The text sqlx runs for `sql`. The text is one of the store's own statements or built by a
    /// store module from fixed fragments; every value travels as a bound parameter. On SQLite,
    /// placeholders are renamed (see [`sqlite_placeholders`]).
    fn statement(&self, sql: &str) -> AssertSqlSafe<String> {
        AssertSqlSafe(match self.dialect() {
            Dialect::Sqlite => sqlite_placeholders(sql),
            Dialect::Postgres => sql.to_owned(),
        })
    }

    /// Runs a statement whose result the caller does not need. On SQLite's writer it waits
    /// and runs with the next statement of the transaction (see `sqlite_writer`): its error,
    /// if any, is then that statement's, so call this only where the next statement follows
    /// in the same function. Elsewhere it runs at once.
    pub async fn queue(&mut self, sql: &str, args: Vec<Arg>) -> Result<(), StoreError> {
        if let Tx::SqliteWrite(turn) = self {
            return turn.queue(&sqlite_placeholders(sql), args).await;
        }
        self.execute(sql, args).await.map(drop)
    }

    /// [`Tx::queue`] for a statement that may break a unique index for the client's reason:
    /// its unique violation becomes `StoreError::Uniqueness(taken())`, whichever statement
    /// it runs with on SQLite's writer.
    pub async fn queue_unique(
        &mut self,
        sql: &str,
        args: Vec<Arg>,
        taken: impl FnOnce() -> String,
    ) -> Result<(), StoreError> {
        if let Tx::SqliteWrite(turn) = self {
            return turn
                .queue_unique(&sqlite_placeholders(sql), args, taken())
                .await;
        }
        self.execute(sql, args)
            .await
            .map(drop)
            .map_err(|e| e.on_unique(taken))
    }

    /// SQLite's writer turn, which runs every statement of a write: with the statements queued
    /// before it, and once the turn has the connection.
    fn writer_turn(&mut self) -> Option<&mut Turn> {
        match self {
            Tx::SqliteWrite(turn) => Some(turn),
            _ => None,
        }
    }

    /// Runs a statement and returns the number of rows it affected.
    pub async fn execute(&mut self, sql: &str, args: Vec<Arg>) -> Result<u64, StoreError> {
        if let Some(turn) = self.writer_turn() {
            return Ok(turn
                .run(&sqlite_placeholders(sql), args)
                .await?
                .rows_affected);
        }
        let sql = self.statement(sql);
        Ok(on_executor!(
            self,
            sqlx::query(sql),
            args,
            execute,
            rows_affected
        ))
    }

    /// Runs a query and decodes every row.
    pub async fn fetch_all<T: AnyRow>(
        &mut self,
        sql: &str,
        args: Vec<Arg>,
    ) -> Result<Vec<T>, StoreError> {
        if let Some(turn) = self.writer_turn() {
            let ran = turn.run(&sqlite_placeholders(sql), args).await?;
            return Ok(ran.rows.iter().map(T::from_row).collect::<Result<_, _>>()?);
        }
        let sql = self.statement(sql);
        Ok(on_executor!(
            self,
            sqlx::query_as::<_, T>(sql),
            args,
            fetch_all
        ))
    }

    /// Runs a query of one text column and returns its values, in the query's order.
    pub async fn fetch_strings(
        &mut self,
        sql: &str,
        args: Vec<Arg>,
    ) -> Result<Vec<String>, StoreError> {
        let rows: Vec<(String,)> = self.fetch_all(sql, args).await?;
        Ok(rows.into_iter().map(|(v,)| v).collect())
    }

    /// Runs a query and decodes the first row, if any.
    pub async fn fetch_optional<T: AnyRow>(
        &mut self,
        sql: &str,
        args: Vec<Arg>,
    ) -> Result<Option<T>, StoreError> {
        if let Some(turn) = self.writer_turn() {
            let ran = turn.run(&sqlite_placeholders(sql), args).await?;
            return Ok(ran.rows.first().map(T::from_row).transpose()?);
        }
        let sql = self.statement(sql);
        Ok(on_executor!(
            self,
            sqlx::query_as::<_, T>(sql),
            args,
            fetch_optional
        ))
    }

    /// Runs a query that returns one row.
    pub async fn fetch_one<T: AnyRow>(
        &mut self,
        sql: &str,
        args: Vec<Arg>,
    ) -> Result<T, StoreError> {
        self.fetch_optional(sql, args)
            .await?
            .ok_or(StoreError::RowMissing)
    }

    /// Commits the transaction (autocommit statements are committed already).
    pub async fn commit(self) -> Result<(), StoreError> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await?,
            Tx::SqliteWrite(turn) => turn.commit().await?,
            Tx::Postgres(tx) => tx.commit().await?,
            Tx::SqliteAutocommit(_) | Tx::PostgresAutocommit(_) => {}
        }
        Ok(())
    }
}

/// The store writes `$1..$n` placeholders. SQLite reads `$1` as a *named* parameter: it finds
/// each name by a linear scan of the names before it, when preparing and again when sqlx binds
/// by name, so a statement of n parameters costs time quadratic in n (a user with 2,000
/// multi-valued attribute values, 24,000 parameters, took 1.7 s to prepare). When the
/// placeholders appear exactly in the order `$1, $2, …, $n`, each once (every statement built
/// with `SqlBuilder`), they become anonymous `?`s, which SQLite numbers as it reads them and
/// sqlx binds in order. Other statements (small, fixed ones that reuse a parameter) keep theirs.
/// Text inside quotes is left alone.
fn sqlite_placeholders(sql: &str) -> String {
    let bytes = sql.as_bytes();
    let mut out = String::with_capacity(sql.len());
    let mut copied = 0;
    let mut expected = 1_usize;
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            // A doubled quote inside a quoted text closes and reopens it: the same state.
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'\'' || b == b'"' => quote = Some(b),
            None if b == b'$' => {
                let digits = bytes[i + 1..]
                    .iter()
                    .take_while(|c| c.is_ascii_digit())
                    .count();
                if digits > 0 {
                    if sql[i + 1..i + 1 + digits].parse() != Ok(expected) {
                        return sql.to_owned();
                    }
                    expected += 1;
                    out.push_str(&sql[copied..i]);
                    out.push('?');
                    i += 1 + digits;
                    copied = i;
                    continue;
                }
            }
            None => {}
        }
        i += 1;
    }
    out.push_str(&sql[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::{Db, sqlite_placeholders};

    #[test]
    fn sequential_placeholders_become_anonymous_on_sqlite() {
        let cases = [
            (
                "SELECT $1, $2 FROM t WHERE a = $3",
                "SELECT ?, ? FROM t WHERE a = ?",
                "in order",
            ),
            (
                "SELECT $1 WHERE x = $1",
                "SELECT $1 WHERE x = $1",
                "a reused parameter",
            ),
            ("SELECT $2, $1", "SELECT $2, $1", "out of order"),
            ("SELECT '$1', $1", "SELECT '$1', ?", "text inside quotes"),
            (
                r#"SELECT "a$1", 'it''s $2', $1"#,
                r#"SELECT "a$1", 'it''s $2', ?"#,
                "quoted names and doubled quotes",
            ),
            (
                "SELECT json_extract(x, '$.a'), $1, $2",
                "SELECT json_extract(x, '$.a'), ?, ?",
                "JSON paths",
            ),
            ("SELECT 1", "SELECT 1", "no parameters"),
            (
                "VALUES ($9), ($10)",
                "VALUES ($9), ($10)",
                "not starting at 1",
            ),
        ];
        for (sql, expected, reason) in cases {
            assert_eq!(sqlite_placeholders(sql), expected, "{reason}");
        }
        let many: Vec<String> = (1..=30_000).map(|n| format!("${n}")).collect();
        let rewritten = sqlite_placeholders(&many.join(","));
        assert_eq!(rewritten, vec!["?"; 30_000].join(","), "thousands of them");
    }

    async fn temp_sqlite() -> Db {
        let path =
            std::env::temp_dir().join(format!("scimd-db-{}.db", uuid::Uuid::new_v4().simple()));
        let db = crate::cli::open(&format!("sqlite://{}", path.display()), &Default::default())
            .await
            .unwrap();
        let mut tx = db.write().await.unwrap();
        tx.execute("CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT)", Vec::new())
            .await
            .unwrap();
        tx.commit().await.unwrap();
        db
    }

    async fn queue_insert(tx: &mut super::Tx, a: i64, b: &str) {
        tx.queue("INSERT INTO t (a, b) VALUES ($1, $2)", args![a, b])
            .await
            .unwrap();
    }

    async fn rows(db: &Db) -> Vec<(i64, String)> {
        db.autocommit()
            .fetch_all("SELECT a, b FROM t ORDER BY a", Vec::new())
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn queued_statements_run_in_order_before_the_next_with_their_own_arguments() {
        let db = temp_sqlite().await;
        let mut tx = db.write().await.unwrap();
        queue_insert(&mut tx, 1, "x").await;
        queue_insert(&mut tx, 2, "y").await;
        let seen: Vec<(i64, String)> = tx
            .fetch_all("SELECT a, b FROM t WHERE a >= $1 ORDER BY a", args![2_i64])
            .await
            .unwrap();
        assert_eq!(seen, [(2, "y".to_owned())], "anonymous placeholders");
        queue_insert(&mut tx, 3, "z").await;
        let updated = tx
            .execute(
                "UPDATE t SET b = $2 || b WHERE a = $1 OR a = $1 - 2",
                args![3_i64, "!"],
            )
            .await
            .unwrap();
        assert_eq!(
            updated, 2,
            "numbered placeholders, after the queue ran alone"
        );
        tx.commit().await.unwrap();
        let expected = [(1, "!x"), (2, "y"), (3, "!z")].map(|(a, b)| (a, b.to_owned()));
        assert_eq!(rows(&db).await, expected);
    }

    #[tokio::test]
    async fn a_queued_statements_error_is_the_next_statements_and_the_turn_is_undone() {
        let db = temp_sqlite().await;
        let mut tx = db.write().await.unwrap();
        queue_insert(&mut tx, 1, "x").await;
        queue_insert(&mut tx, 1, "again").await;
        let next = tx
            .fetch_optional::<(i64,)>("SELECT a FROM t", Vec::new())
            .await;
        let reported = next.map_err(|e| e.on_unique(|| "taken".into()));
        assert!(
            matches!(reported, Err(super::StoreError::Uniqueness(_))),
            "the duplicate key is reported by the read after it"
        );
        drop(tx);
        let mut tx = db.write().await.unwrap();
        queue_insert(&mut tx, 2, "kept").await;
        queue_insert(&mut tx, 2, "again").await;
        assert!(tx.commit().await.is_err(), "reported by the commit");
        assert!(rows(&db).await.is_empty(), "neither turn left anything");
    }

    /// Runs the queued statements, so the write has the writer connection until it ends.
    async fn take_turn(tx: &mut super::Tx) {
        tx.execute("SELECT 1", Vec::new()).await.unwrap();
    }

    async fn queue_taken(tx: &mut super::Tx, a: i64) {
        let sql = "INSERT INTO t (a, b) VALUES ($1, $2)";
        tx.queue_unique(sql, args![a, "dup"], || format!("{a} is taken"))
            .await
            .unwrap();
    }

    fn is_taken(outcome: &Result<impl std::fmt::Debug, super::StoreError>, a: i64) -> bool {
        matches!(outcome, Err(super::StoreError::Uniqueness(d)) if *d == format!("{a} is taken"))
    }

    #[tokio::test]
    async fn a_queued_unique_violation_keeps_its_meaning_whichever_statement_reports_it() {
        let db = temp_sqlite().await;
        let mut tx = db.write().await.unwrap();
        queue_insert(&mut tx, 1, "x").await;
        queue_taken(&mut tx, 1).await;
        queue_insert(&mut tx, 3, "z").await;
        let read = tx
            .fetch_all::<(i64, String)>("SELECT a, b FROM t", Vec::new())
            .await;
        assert!(is_taken(&read, 1), "reported by a later read: {read:?}");
        drop(tx);

        let mut tx = db.write().await.unwrap();
        queue_insert(&mut tx, 1, "x").await;
        queue_taken(&mut tx, 1).await;
        let committed = tx.commit().await;
        assert!(
            is_taken(&committed, 1),
            "reported by the commit of a writer alone in its transaction: {committed:?}"
        );
        assert!(rows(&db).await.is_empty(), "neither turn left anything");

        let second = after_a_held_turn(&db, |db| async move {
            let mut tx = db.write().await.unwrap();
            queue_insert(&mut tx, 2, "undone").await;
            queue_taken(&mut tx, 1).await;
            tx.commit().await
        })
        .await;
        assert!(
            is_taken(&second, 1),
            "reported by the release of a writer that joined a group: {second:?}"
        );
        assert_eq!(rows(&db).await, [(1, "kept".to_owned())]);
    }

    #[tokio::test]
    async fn a_write_waits_for_the_connection_only_once_it_runs_a_statement() {
        let db = temp_sqlite().await;
        let mut first = db.write().await.unwrap();
        queue_insert(&mut first, 1, "first").await;
        // The second write commits while the first still builds its statements.
        let second = async {
            let mut second = db.write().await.unwrap();
            queue_insert(&mut second, 2, "second").await;
            second.commit().await
        };
        let limit = std::time::Duration::from_secs(10);
        let second = tokio::time::timeout(limit, second).await;
        assert!(matches!(second, Ok(Ok(()))), "not held up: {second:?}");
        assert_eq!(rows(&db).await, [(2, "second".to_owned())]);
        first.commit().await.unwrap();
        let expected = [(1, "first"), (2, "second")].map(|(a, b)| (a, b.to_owned()));
        assert_eq!(rows(&db).await, expected);
    }

    #[tokio::test]
    async fn a_batch_whose_request_was_cut_off_after_sending_it_is_undone_alone() {
        let db = temp_sqlite().await;
        after_a_held_turn(&db, |db| async move {
            let mut tx = db.write().await.unwrap();
            queue_insert(&mut tx, 2, "cut off").await;
            let read = tx.fetch_all::<(i64, String)>("SELECT a, b FROM t", Vec::new());
            let mut read = std::pin::pin!(read);
            // One poll sends the batch to the connection's thread, which runs it while its
            // answer waits; then the answer is dropped, as a request timeout drops it.
            let _ = futures::poll!(read.as_mut());
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        })
        .await;
        assert_eq!(rows(&db).await, [(1, "kept".to_owned())]);
    }

    /// Runs `second` as a writer that waits for a first one, which holds the writer connection
    /// with the row (1, "kept") queued and commits once `second` waits: the first one's group
    /// then stays open for `second`.
    async fn after_a_held_turn<F>(db: &Db, second: impl FnOnce(Db) -> F) -> F::Output
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let Db::Sqlite(_, writer) = db else {
            unreachable!()
        };
        let mut first = db.write().await.unwrap();
        queue_insert(&mut first, 1, "kept").await;
        take_turn(&mut first).await;
        let second = tokio::spawn(second(db.clone()));
        while writer.waiting() == 0 {
            tokio::task::yield_now().await;
        }
        first.commit().await.unwrap();
        second.await.unwrap()
    }
}
