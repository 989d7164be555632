//! Command-line and environment configuration: one clap parser, every option also settable
//! through a `SCIMD_*` variable. Validation only; no I/O.

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

    #[command(subcommand)]
    pub command: Command,
}

fn parse_secret(s: &str) -> Result<SecretString, String> {
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
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Manage webhook endpoints (as `/api/v1/webhooks` does).
    #[command(subcommand)]
    Webhook(WebhookCommand),
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

    /// Most JSON values (objects, arrays, keys, strings, numbers, literals) in one request body;
    /// a parsed value takes up to about 200 bytes of memory, whatever its size in the body.
    #[arg(long, env = "SCIMD_MAX_JSON_VALUES", default_value_t = 100_000, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_json_values: u32,

    /// Memory the bodies of the requests in flight may take together, in bytes: each body's
    /// size plus about 200 bytes per JSON value once parsed. A request that does not fit within
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

    /// Size of the database connection pool.
    #[arg(long, env = "SCIMD_DB_MAX_CONNECTIONS", default_value_t = 8)]
    pub db_max_connections: u32,

    /// Seconds a token found valid is trusted before the database is asked again whether it
    /// was revoked; a revocation takes up to this long to reach a running server. 0 asks on
    /// every request (one more database round trip per request).
    #[arg(long, env = "SCIMD_TOKEN_RECHECK_SECONDS", default_value_t = 5)]
    pub token_recheck_seconds: u64,

    /// Days change events are kept in the feed (`GET /api/v1/events`); older ones are pruned
    /// hourly, and a reader whose `after` points before the kept events gets `410`.
    #[arg(long, env = "SCIMD_EVENT_RETENTION_DAYS", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=36500))]
    pub event_retention_days: u32,

    /// SQLite durability: `normal` survives a crash of scimd but may lose the last
    /// transactions on power loss; `full` syncs every commit.
    #[arg(long, env = "SCIMD_SQLITE_SYNCHRONOUS", value_enum, default_value_t = SqliteSync::Normal)]
    pub sqlite_synchronous: SqliteSync,

    /// Waits before each retry of a webhook delivery that failed, comma-separated, with units
    /// ms, s, m, h or d. When they run out, the endpoint is marked `failing` until a replay.
    #[arg(long, env = "SCIMD_WEBHOOK_RETRY_SCHEDULE", default_value = DEFAULT_SCHEDULE, value_parser = str::parse::<RetrySchedule>)]
    pub webhook_retry_schedule: RetrySchedule,
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

/// `scimd token …`
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print it (only the token, on stdout).
    Create {
        /// A name for the token, unique among active tokens (e.g. `okta`).
        #[arg(long)]
        name: String,
        /// Days until the token expires; without it the token does not expire.
        #[arg(long, value_parser = clap::value_parser!(i64).range(1..=36500))]
        expires_in: Option<i64>,
        /// An admin token, for the host application's API (`/api/v1`: events, webhooks)
        /// instead of SCIM (`/scim/v2`). Each kind is refused (403) on the other API.
        #[arg(long)]
        admin: bool,
    },
    /// List tokens: name, scope, created, expiry, last use, revocation.
    List,
    /// Revoke the active token with this name; running servers refuse it within
    /// `--token-recheck-seconds`.
    Revoke {
        /// The token's name.
        name: String,
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
    },
    /// List endpoints: id, state, failures, last event delivered, URL, types, last error.
    List,
    /// Remove an endpoint and its delivery log.
    Remove {
        /// The endpoint's id.
        id: String,
    },
}

/// `scimd dev …`
#[derive(Debug, Subcommand)]
pub enum DevCommand {
    /// Insert generated users, groups and change events straight through the storage layer
    /// (far faster than HTTP), for tests and benchmarks. Prints one summary line on stdout,
    /// progress on stderr.
    Seed(SeedArgs),
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
}
