//! Integration tests: the real server over HTTP on an ephemeral port, against SQLite by default
//! or PostgreSQL when `TEST_DATABASE_URL` is set.

mod auth;
mod bulk;
mod cli;
mod concurrency;
mod conformance_fixes;
mod connections;
mod directories;
mod discovery;
mod durability;
mod errors;
mod etag;
mod events;
mod filter;
mod filter_oracle;
mod groups;
mod helpers;
mod idp_entra;
mod idp_okta;
mod import_export;
mod leniency;
mod lifecycle;
mod limits;
mod logs;
mod migrations;
mod operations;
mod patch;
mod patch_rfc;
mod process;
mod projection;
mod query;
mod secrets;
mod seed;
mod shutdown;
mod users;
mod webhooks;
