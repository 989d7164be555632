//! Integration tests: the real server over HTTP on an ephemeral port, against SQLite by default
//! or PostgreSQL when `TEST_DATABASE_URL` is set.

mod auth;
mod cli;
mod discovery;
mod errors;
mod filter;
mod groups;
mod helpers;
mod migrations;
mod patch;
mod users;
