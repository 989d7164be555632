//! Command-line and environment configuration: one clap parser, every option also settable
//! through a `SCIMD_*` variable. Validation only; no I/O.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use secrecy::SecretString;

use crate::scim::filter::MAX_TERMS;
use crate::scim::limits::Limits;
use crate::webhooks::RetrySchedule;
use crate::webhooks::schedule::DEFAULT_SCHEDULE;

/// scimd: a SCIM 2.0 provisioning server (RFC 7643/7644) on SQLite or PostgreSQL.
#[derive(Debug, Parser)]
#[command(name = "scimd", version, about)]
pub struct Cli {
    /// Database URL: `sqlite://PATH` (created if missing) or `postgres://USER@HOST/DB`.
    #[arg(
        long,
        env = "SCIMD_DATABASE_URL",
        default_value = "sqlite://scimd.db",
        global = true
    )]
    pub database_url: String,

    /// Secret that signs bearer tokens (HS256). Without it, a random secret is generated once
    /// and kept in the database, shared by every instance on that database.
    #[arg(long, env = "SCIMD_JWT_SECRET", hide_env_values = true, global = true, value_parser = parse_secret)]
    pub jwt_secret: Option<SecretString>,

    /// File holding the token signing secret (at least 32 characters; a trailing newline is
    /// ignored): the same as `--jwt-secret` without the secret in the process list or the
    /// environment. Keep the file readable by scimd's user only.
    #[arg(
        long,
        env = "SCIMD_JWT_SECRET_FILE",
        global = true,
        conflicts_with = "jwt_secret"
    )]
    pub jwt_secret_file: Option<PathBuf>,

    /// Log format on stderr: `text` (coloured only on a terminal) or `json`, one object per
    /// line, for log shippers.
    #[arg(long, env = "SCIMD_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,

    /// Threads that run requests (the async runtime's workers); one per CPU by default. Fewer
    /// spend less CPU per single-user request on SQLite, whose statements run on threads of
    /// their own, and serve fewer list pages and bulk operations per second.
    #[arg(long, env = "SCIMD_WORKER_THREADS", global = true, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub worker_threads: Option<u16>,

    #[command(subcommand)]
    pub command: Command,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Checks a token signing secret given on the command line or read from a file.
pub fn parse_secret(s: &str) -> Result<SecretString, String> {
    if s.len() < 32 {
        return Err("the JWT secret must be at least 32 characters long".into());
    }
    Ok(SecretString::from(s.to_owned()))
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the SCIM server (applies migrations first).
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate,
    /// Manage directories: one per customer connection, each with its own SCIM URL and tokens.
    #[command(subcommand)]
    Directory(DirectoryCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Manage webhook endpoints (as `/api/v1/webhooks` does).
    #[command(subcommand)]
    Webhook(WebhookCommand),
    /// Import users from a CSV or NDJSON file (creates and updates them through the use cases,
    /// with their events).
    #[command(subcommand)]
    Import(ImportCommand),
    /// Export users or groups as CSV or NDJSON, the columns an import reads.
    #[command(subcommand)]
    Export(ExportCommand),
    /// Development tools: test and benchmark data.
    #[command(subcommand)]
    Dev(DevCommand),
}

/// Options of `scimd serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "SCIMD_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,

    /// Do not create the `initial` token on a database without tokens (create tokens with
    /// `scimd token create` instead): the production setting. Without it, the token is printed
    /// when stdout is a terminal, else written to `./scimd-initial-token` (mode 0600); it
    /// expires after 7 days.
    #[arg(long, env = "SCIMD_NO_INITIAL_TOKEN")]
    pub no_initial_token: bool,

    /// Serve Prometheus metrics (`GET /metrics`) on this address only, e.g. `127.0.0.1:9090`,
    /// instead of on `--listen` beside the APIs (where they need no token either).
    #[arg(long, env = "SCIMD_METRICS_LISTEN")]
    pub metrics_listen: Option<String>,

    /// Take the client address in the access log from `X-Forwarded-For` (its last address)
    /// or `X-Real-IP`, as set by the one reverse proxy in front of scimd. Without it those
    /// headers are ignored (anyone can send them) and the log shows the peer address.
    #[arg(long, env = "SCIMD_TRUST_PROXY")]
    pub trust_proxy: bool,

    /// Public base URL of the SCIM API as clients reach it (behind a proxy, say), used for
    /// `Location`, `meta.location` and `$ref`. Default: `http://<listen address>/scim/v2`.
    #[arg(long, env = "SCIMD_BASE_URL")]
    pub base_url: Option<String>,

    /// Largest page a list request returns (`count` is capped to it).
    #[arg(long, env = "SCIMD_MAX_PAGE_SIZE", default_value_t = 1000, value_parser = clap::value_parser!(i64).range(1..))]
    pub max_page_size: i64,

    /// Largest request body accepted, in bytes.
    #[arg(long, env = "SCIMD_MAX_BODY_BYTES", default_value_t = 1_048_576)]
    pub max_body_bytes: usize,

    /// Most operations one `/Bulk` request may hold (`bulk.maxOperations` in
    /// `/ServiceProviderConfig`); a request with more is refused with 413 before any runs.
    #[arg(long, env = "SCIMD_BULK_MAX_OPERATIONS", default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub bulk_max_operations: u32,

    /// Largest `/Bulk` request body, in bytes (`bulk.maxPayloadSize`); a larger one is refused
    /// with 413. Other requests keep `--max-body-bytes`.
    #[arg(long, env = "SCIMD_BULK_MAX_PAYLOAD_BYTES", default_value_t = 1_048_576, value_parser = clap::value_parser!(u64).range(1..=1_073_741_824))]
    pub bulk_max_payload_bytes: u64,

    /// Most JSON values (objects, arrays, keys, strings, numbers, literals) in one request body;
    /// a parsed value takes up to about 200 bytes of memory, whatever its size in the body.
    #[arg(long, env = "SCIMD_MAX_JSON_VALUES", default_value_t = 100_000, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_json_values: u32,

    /// Memory the bodies of the requests in flight may take together, in bytes: each body's
    /// size plus about 200 bytes per JSON value once parsed (`/Bulk`: once its turn to run
    /// comes; it holds only its size while it waits). A request that does not fit within
    /// a second is answered `503` with `Retry-After`.
    #[arg(long, env = "SCIMD_MAX_BODY_MEMORY", default_value_t = 128 * 1_048_576, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_body_memory: u32,

    /// Most values of one multi-valued User attribute (`emails`, `roles`, …) a request may send
    /// or a write may leave stored. Group `members` are not limited by it.
    #[arg(long, env = "SCIMD_MAX_VALUES_PER_ATTRIBUTE", default_value_t = Limits::DEFAULT.max_values as u32, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub max_values_per_attribute: u32,

    /// Most entries of `attributes` and `excludedAttributes` together in one request.
    #[arg(long, env = "SCIMD_MAX_ATTRIBUTES", default_value_t = Limits::DEFAULT.max_attributes as u32, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub max_attributes: u32,

    /// Most attribute expressions (`attr op value`, `attr pr`, `attr[…]`) in the filters of one
    /// request together: `filter`, and the value filters of PATCH paths and of `attributes`.
    #[arg(long, env = "SCIMD_MAX_FILTER_TERMS", default_value_t = Limits::DEFAULT.max_filter_terms as u32, value_parser = clap::value_parser!(u32).range(1..=MAX_TERMS as i64))]
    pub max_filter_terms: u32,

    /// Most operations in one PATCH request.
    #[arg(long, env = "SCIMD_MAX_PATCH_OPERATIONS", default_value_t = Limits::DEFAULT.max_operations as u32, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub max_patch_operations: u32,

    /// Size of the database connection pool [default: 4 on SQLite, whose pool serves reads
    /// only, 8 on PostgreSQL].
    #[arg(long, env = "SCIMD_DB_MAX_CONNECTIONS", value_parser = clap::value_parser!(u32).range(1..))]
    pub db_max_connections: Option<u32>,

    /// Seconds a token found valid is trusted before the database is asked again whether it
    /// was revoked; a revocation takes up to this long to reach a running server. 0 asks on
    /// every request (one more database round trip per request).
    #[arg(long, env = "SCIMD_TOKEN_RECHECK_SECONDS", default_value_t = 5)]
    pub token_recheck_seconds: u64,

    /// Days change events are kept in the feed (`GET /api/v1/events`); older ones are pruned
    /// hourly, and a reader whose `after` points before the kept events gets `410`.
    #[arg(long, env = "SCIMD_EVENT_RETENTION_DAYS", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=36500))]
    pub event_retention_days: u32,

    /// Days a user or group deleted through SCIM stays in the archive, restorable by an admin;
    /// then it is purged (`user.purged`). Checked hourly.
    #[arg(long, env = "SCIMD_ARCHIVE_RETENTION_DAYS", default_value_t = 30, value_parser = clap::value_parser!(u32).range(0..=36500))]
    pub archive_retention_days: u32,

    /// SQLite durability: `full` syncs every commit to disk before it is answered, so an
    /// acknowledged write survives a power loss; `normal` survives a crash of scimd but may
    /// lose the last acknowledged commits on power loss or an OS crash (faster writes).
    #[arg(long, env = "SCIMD_SQLITE_SYNCHRONOUS", value_enum, default_value_t = SqliteSync::Full)]
    pub sqlite_synchronous: SqliteSync,

    /// Waits before each retry of a webhook delivery that failed, comma-separated, with units
    /// ms, s, m, h or d. When they run out, the endpoint is marked `failing` until a replay.
    #[arg(long, env = "SCIMD_WEBHOOK_RETRY_SCHEDULE", default_value = DEFAULT_SCHEDULE, value_parser = str::parse::<RetrySchedule>)]
    pub webhook_retry_schedule: RetrySchedule,

    /// Connections served at a time; further ones wait in the listen backlog until one
    /// closes. Keep it below the open-files limit (`ulimit -n`) less the database connections.
    #[arg(long, env = "SCIMD_MAX_CONNECTIONS", default_value_t = 512, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,

    /// Seconds a client has to send a request's head (request line and headers), from
    /// connecting, or on a kept-alive connection from the request's first byte; then the
    /// connection is closed. Also the time a `/Bulk` body has to arrive once the request's turn
    /// to run has come (`408` after it).
    #[arg(long, env = "SCIMD_HEADER_READ_TIMEOUT_SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub header_read_timeout_seconds: u64,

    /// Seconds a kept-alive connection may stay silent between requests before it is closed.
    #[arg(long, env = "SCIMD_IDLE_TIMEOUT_SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86400))]
    pub idle_timeout_seconds: u64,

    /// Seconds a request may take, body upload included, before it is answered `503`. Keep it
    /// above 30: an event long poll (`wait`) holds its request up to 30 seconds.
    #[arg(long, env = "SCIMD_REQUEST_TIMEOUT_SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub request_timeout_seconds: u64,

    /// Seconds requests in flight may take to finish after SIGTERM or Ctrl-C (new connections
    /// are refused at once); then the remaining connections are closed and scimd exits.
    #[arg(long, env = "SCIMD_SHUTDOWN_TIMEOUT_SECONDS", default_value_t = 20, value_parser = clap::value_parser!(u64).range(0..=3600))]
    pub shutdown_timeout_seconds: u64,
}

impl ServeArgs {
    /// The per-request limits of the SCIM API.
    pub fn limits(&self) -> Limits {
        Limits {
            max_values: self.max_values_per_attribute as usize,
            max_attributes: self.max_attributes as usize,
            max_filter_terms: self.max_filter_terms as usize,
            max_operations: self.max_patch_operations as usize,
        }
    }
}

/// SQLite `synchronous` setting in WAL mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SqliteSync {
    Normal,
    Full,
}

/// `scimd directory …`
#[derive(Debug, Subcommand)]
pub enum DirectoryCommand {
    /// Create a directory; prints its SCIM base URL, then a new SCIM token for it (shown only
    /// now), each on a line of its own, the token last.
    Create {
        /// The customer's name, e.g. `Acme`.
        #[arg(long)]
        name: String,
        /// The id in its URLs (lower-case letters, digits, inner hyphens); made from the name
        /// without it.
        #[arg(long)]
        id: Option<String>,
        #[command(flatten)]
        url: PublicUrl,
    },
    /// List directories with their users, groups, tokens and last SCIM request.
    List {
        #[command(flatten)]
        url: PublicUrl,
    },
    /// Show one directory.
    Show {
        id: String,
        #[command(flatten)]
        url: PublicUrl,
    },
    /// Delete a directory with its tokens; refused while it holds users or groups, unless
    /// `--purge`.
    Delete {
        id: String,
        /// Also erase its users and groups (no per-user events are emitted).
        #[arg(long)]
        purge: bool,
    },
}

/// Where the server is reached, for the SCIM URLs the directory commands print.
#[derive(Debug, Clone, Args)]
pub struct PublicUrl {
    /// Public base URL of the default directory's SCIM API, as `scimd serve --base-url` has it.
    #[arg(
        long,
        env = "SCIMD_BASE_URL",
        default_value = "http://127.0.0.1:8080/scim/v2"
    )]
    pub base_url: String,
}

/// `scimd token …`
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print it (only the token, on stdout).
    Create {
        /// A name for the token, unique among the directory's active tokens (e.g. `okta`).
        #[arg(long)]
        name: String,
        /// The directory whose SCIM API the token calls.
        #[arg(long, default_value = "default")]
        directory: String,
        /// Days until the token expires; without it the token does not expire.
        #[arg(long, value_parser = clap::value_parser!(i64).range(1..=36500))]
        expires_in: Option<i64>,
        /// An admin token, for the host application's API (`/api/v1`) instead of SCIM. Admin
        /// tokens are global (not of one directory). Each kind is refused (403) on the other API.
        #[arg(long, conflicts_with = "directory")]
        admin: bool,
    },
    /// List a directory's tokens: name, scope, created, expiry, last use, revocation.
    List {
        #[arg(long, default_value = "default")]
        directory: String,
    },
    /// Replace the token with this name by a new one (printed, only the token, on stdout); the
    /// old one keeps working for `--grace`.
    Rotate {
        /// The token's name.
        name: String,
        #[arg(long, default_value = "default")]
        directory: String,
        /// How long the old token keeps working, e.g. `10m`, `1h`, `2d` (at most 7 days).
        #[arg(long, default_value = "0s", value_parser = crate::webhooks::schedule::parse_delay)]
        grace: std::time::Duration,
    },
    /// Revoke the token with this name; running servers refuse it within
    /// `--token-recheck-seconds`.
    Revoke {
        /// The token's name.
        name: String,
        #[arg(long, default_value = "default")]
        directory: String,
    },
}

/// `scimd webhook …`
#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// Register an endpoint for future events; prints its id, then its secret (shown only
    /// now), each on its own line.
    Add {
        /// Where events are POSTed: an `http://` or `https://` URL.
        #[arg(long)]
        url: String,
        /// Only these event types, comma-separated (e.g. `user.deactivated,user.deleted`);
        /// all without it.
        #[arg(long, value_delimiter = ',')]
        types: Vec<String>,
        /// Only this directory's events; every directory's without it. The endpoint is
        /// removed with its directory.
        #[arg(long)]
        directory: Option<String>,
    },
    /// List endpoints: id, state, failures, last event delivered, URL, types, last error.
    List,
    /// Remove an endpoint and its delivery log.
    Remove {
        /// The endpoint's id.
        id: String,
    },
}

/// `scimd import …`
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Create and update a directory's users from a file, one row per user; prints a summary.
    /// Exits with 3 when rows were rejected (listed in the error report).
    Users(ImportArgs),
}

/// Options of `scimd import users`.
#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    /// The file: CSV with a header row, or NDJSON (by the extension `.ndjson` or `.jsonl`, or
    /// `--format`). It is read twice when managers name users further down the file.
    pub file: PathBuf,
    /// The directory to import into.
    #[arg(long, default_value = "default")]
    pub directory: String,
    /// `COLUMN=FIELD`: read COLUMN as FIELD (userName, externalId, email, givenName,
    /// familyName, displayName, title, employeeNumber, department, active, manager, groups);
    /// `COLUMN=-` leaves the column out. Repeatable.
    #[arg(long = "map", value_name = "COLUMN=FIELD", value_parser = crate::userfile::parse_map)]
    pub map: Vec<crate::userfile::ColumnMap>,
    /// What matches a row to an existing user.
    #[arg(long, value_enum, default_value_t = ImportKey::UserName)]
    pub key: ImportKey,
    /// Report what the import would do, and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Also deactivate (`active: false`) the directory's active users that no row names by the
    /// key.
    #[arg(long)]
    pub deactivate_missing: bool,
    /// Where rejected rows are listed (line, userName, reason). Default: `<FILE>.errors.csv`.
    #[arg(long, value_name = "FILE")]
    pub errors: Option<PathBuf>,
    /// The file's format (default: by its extension).
    #[arg(long, value_enum)]
    pub format: Option<crate::userfile::Format>,
    #[command(flatten)]
    pub url: PublicUrl,
}

/// What matches an import row to a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImportKey {
    #[value(name = "userName")]
    UserName,
    #[value(name = "externalId")]
    ExternalId,
}

/// `scimd export …`
#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// Every user of a directory (or those in one state), in creation order.
    Users {
        #[command(flatten)]
        common: ExportArgs,
        /// Only users in this state: active, inactive or suspended.
        #[arg(long)]
        state: Option<String>,
    },
    /// Every group of a directory, by name: displayName, externalId, memberCount.
    Groups {
        #[command(flatten)]
        common: ExportArgs,
    },
}

/// Options of every export.
#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// The directory to export.
    #[arg(long, default_value = "default")]
    pub directory: String,
    #[arg(long, value_enum, default_value_t = crate::userfile::Format::Csv)]
    pub format: crate::userfile::Format,
    /// Write to this file (complete or not at all) instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `scimd dev …`
#[derive(Debug, Subcommand)]
pub enum DevCommand {
    /// Insert generated users, groups and change events straight through the storage layer
    /// (far faster than HTTP), for tests and benchmarks. Prints one summary line on stdout,
    /// progress on stderr.
    Seed(SeedArgs),
    /// Print how the database runs each admin listing (SQLite `EXPLAIN QUERY PLAN`,
    /// PostgreSQL `EXPLAIN`): every state and order of `/api/v1/…/users`, with and without a
    /// cursor, the `q=` search, and the groups listing.
    Plans(PlansArgs),
}

/// Options of `scimd dev plans`.
#[derive(Debug, Clone, Args)]
pub struct PlansArgs {
    /// The directory whose listings are explained.
    #[arg(long, default_value = "default")]
    pub directory: String,
    /// The search prefix to explain `q=` with (lower-case, as the API lowers it).
    #[arg(long, default_value = "user1234")]
    pub q: String,
}

/// Options of `scimd dev seed`.
#[derive(Debug, Clone, Args)]
pub struct SeedArgs {
    /// Users to insert, named `user{i}@example.com` with i = 1, 2, … on an empty database.
    #[arg(long)]
    pub users: u64,
    /// Groups to insert, named `group-{j}`.
    #[arg(long, default_value_t = 0)]
    pub groups: u64,
    /// Members of each `group-{j}`, drawn from the users seeded by this run.
    #[arg(long, default_value_t = 10)]
    pub group_size: u64,
    /// Also insert one group named `large` with this many members.
    #[arg(long)]
    pub large_group_size: Option<u64>,
    /// Seed of the generator: the same seed gives the same ids and attributes.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Allow a database that already holds users: numbering continues after the highest
    /// existing `user{i}@example.com` and `group-{j}`.
    #[arg(long)]
    pub append: bool,
    /// Also insert this many synthetic change events, already sequenced: the feed
    /// (`GET /api/v1/events`) serves them after any it held. Written straight through the
    /// storage layer like the users, bypassing the service layer on purpose; works with any
    /// `--users`, including 0.
    #[arg(long, default_value_t = 0)]
    pub events: u64,
    /// The directory to seed (created if missing).
    #[arg(long, default_value = "default")]
    pub directory: String,
    /// Instead, create this many directories `dir-0001`, `dir-0002`, … and seed each with the
    /// users and groups asked for (their own data: the seed differs per directory).
    #[arg(long, default_value_t = 0, conflicts_with = "events")]
    pub directories: u32,
}
