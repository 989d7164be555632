//! scimd: a SCIM 2.0 provisioning server (RFC 7643, RFC 7644).
//!
//! Layers, each in its own directory, depending only downwards:
//! - `cli` / `config`: the command line (serve, migrate, tokens);
//! - `console`: the admin console at `/admin`, HTML pages over `service` for people;
//! - `http`: poem handlers for `/scim/v2` and `/api/v1`, authentication, request ids, media
//!   types, each API's error responses;
//! - `service`: the use cases, transport-free; every write goes through it, in one unit of work
//!   with its change events;
//! - `scim`: the pure protocol model — schemas, validation, filters, PATCH, rendering
//!   (no poem, sqlx or tokio);
//! - `store`: the only place SQL lives, on SQLite or PostgreSQL;
//! - `userfile`: the CSV and NDJSON files of user imports and exports, for the edges;
//! - `webhooks`: delivery of the event feed to registered endpoints (uses `service` and
//!   `store`, runs beside the HTTP server).
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod auth;
pub mod cli;
pub mod config;
pub mod console;
pub mod http;
pub mod password;
pub mod scim;
pub mod server;
pub mod service;
pub mod store;
pub mod telemetry;
pub mod userfile;
pub mod webhooks;
