//! scimd: a SCIM 2.0 provisioning server (RFC 7643, RFC 7644).
//!
//! Layers, each in its own directory, depending only downwards:
//! - `cli` / `config`: the command line (serve, migrate, tokens);
//! - `http`: poem handlers, authentication, media types, SCIM error responses;
//! - `scim`: the pure protocol model — schemas, validation, filters, PATCH, rendering
//!   (no poem, sqlx or tokio);
//! - `store`: the only place SQL lives, on SQLite or PostgreSQL.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod auth;
pub mod cli;
pub mod config;
pub mod http;
pub mod password;
pub mod scim;
pub mod server;
pub mod store;
pub mod telemetry;
