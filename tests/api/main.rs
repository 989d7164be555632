//! Integration tests: the real server over HTTP on an ephemeral port, against SQLite by default
//! or PostgreSQL when `TEST_DATABASE_URL` is set.

mod auth;
mod cli;
mod concurrency;
mod conformance_fixes;
mod discovery;
mod errors;
mod etag;
mod events;
mod filter;
mod filter_oracle;
mod fuzz;
mod groups;
mod helpers;
mod idp_entra;
mod idp_okta;
mod leniency;
mod limits;
mod migrations;
mod patch;
mod patch_rfc;
mod projection;
mod query;
mod seed;
mod users;
mod webhooks;
