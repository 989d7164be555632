//! Fresh databases for one bench run: SQLite files in the bench's temporary directory, or
//! PostgreSQL databases named `scimd_bench_<pid>[_suffix]`, dropped when the bench ends.

use std::path::{Path, PathBuf};

use sqlx::{Connection, PgConnection};

use crate::BenchResult;

/// Where the bench's databases live.
pub enum Backend {
    Sqlite { dir: PathBuf },
    Postgres { server_url: String },
}

/// One fresh database; a PostgreSQL one is dropped with this value.
pub struct Database {
    pub url: String,
    /// `(server URL, database name)` of a PostgreSQL database to drop.
    postgres: Option<(String, String)>,
}

impl Backend {
    /// `sqlite` or `postgres`, as in the report and the default JSON file name.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Sqlite { .. } => "sqlite",
            Self::Postgres { .. } => "postgres",
        }
    }

    /// Creates an empty database; `suffix` tells the bench's databases apart.
    pub fn create(&self, suffix: &str) -> BenchResult<Database> {
        let name = format!("scimd_bench_{}{suffix}", std::process::id());
        match self {
            Self::Sqlite { dir } => Ok(Database {
                url: format!("sqlite://{}", dir.join(format!("{name}.db")).display()),
                postgres: None,
            }),
            Self::Postgres { server_url } => {
                execute(server_url, &format!("CREATE DATABASE {name}"))?;
                Ok(Database {
                    url: database_url(server_url, &name)?,
                    postgres: Some((server_url.clone(), name)),
                })
            }
        }
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Some((server_url, name)) = &self.postgres {
            // FORCE: a server killed a moment ago may still hold connections.
            let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            if let Err(e) = execute(server_url, &sql) {
                eprintln!("scimd-bench: could not drop database {name}: {e}");
            }
        }
    }
}

/// The URL of database `name` on the server of `server_url`.
fn database_url(server_url: &str, name: &str) -> BenchResult<String> {
    let (base, _) = server_url
        .rsplit_once('/')
        .filter(|(base, _)| base.contains("//"))
        .ok_or_else(|| format!("{server_url} does not name a database (…/DB)"))?;
    Ok(format!("{base}/{name}"))
}

/// Runs one statement on the database of `url` (its own runtime, so `Drop` can use it too).
fn execute(url: &str, sql: &str) -> BenchResult<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let mut connection = PgConnection::connect(url)
            .await
            .map_err(|e| format!("cannot connect to {url}: {e}"))?;
        sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
            .execute(&mut connection)
            .await
            .map_err(|e| format!("{sql}: {e}"))?;
        connection.close().await?;
        Ok(())
    })
}

/// The bench's scratch directory, removed when dropped (SQLite files, fixtures, wrk results).
pub struct ScratchDir(PathBuf);

impl ScratchDir {
    pub fn create() -> BenchResult<Self> {
        let dir = std::env::temp_dir().join(format!("scimd-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        Ok(Self(dir))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
