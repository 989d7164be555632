//! The storage layer, and the only place SQL lives. One module per table family; `db` hides
//! which backend (SQLite or PostgreSQL) runs a statement. Every write runs in one transaction,
//! so a request either fully applies or changes nothing: resource writes take a unit of work
//! (`Write`) that commits the change together with its change events.

pub mod archive;
pub mod console_sessions;
pub mod db;
pub mod directories;
mod error;
pub mod events;
pub mod filter_sql;
pub mod group_listing;
pub mod groups;
mod listing;
mod locking;
pub mod memberships;
pub mod plans;
mod readiness;
mod resource_ids;
pub mod roles;
pub mod scim_requests;
pub mod seed;
pub mod seed_events;
pub mod signing_keys;
pub mod sql;
mod sqlite_checkpoint;
mod sqlite_files;
mod sqlite_writer;
pub mod tokens;
pub mod user_export;
pub mod user_listing;
mod user_row;
pub mod user_search;
mod user_values;
pub mod users;
pub mod webhooks;
mod write;

pub use db::{Db, DbOptions, Dialect};
pub use error::StoreError;
pub use locking::Intent;
pub use readiness::PoolState;
pub use write::{Reader, Released, Savepoint, Write};

use chrono::{DateTime, Utc};

use crate::scim::filter::{AttrPath, Filter};
use crate::scim::resource::Resource;

/// The directory `/scim/v2` serves, which exists from the start: set-ups made before there were
/// many directories keep working unchanged.
pub const DEFAULT_TENANT: &str = "default";

/// A list request already validated by the HTTP edge.
#[derive(Debug, Clone)]
pub struct ListQuery {
    pub filter: Option<Filter>,
    /// `sortBy`/`sortOrder` (RFC 7644 §3.4.2.3); without it, creation order.
    pub sort: Option<Sort>,
    pub paging: Paging,
    /// A search across resource types: attributes the listed type lacks match nothing rather
    /// than making the filter invalid.
    pub across_types: bool,
    /// On a cursor walk's later pages, the total counted on its first page (carried by the
    /// cursor), so a page costs the same at any depth instead of re-counting every match.
    pub known_total: Option<i64>,
}

impl ListQuery {
    /// The page size asked for.
    pub fn count(&self) -> i64 {
        match self.paging {
            Paging::Index { count, .. } | Paging::Cursor { count, .. } => count,
        }
    }
}

/// Sorting by one attribute.
#[derive(Debug, Clone)]
pub struct Sort {
    pub path: AttrPath,
    pub descending: bool,
}

/// Which page to return.
#[derive(Debug, Clone)]
pub enum Paging {
    /// RFC 7644 §3.4.2.4: 1-based `startIndex` and `count` (0 asks for the total only).
    /// With `after` (and no `sort`), the page starts after that row instead of skipping
    /// `start_index - 1` rows: the continuation of a sequential walk (see `service::walks`).
    Index {
        start_index: i64,
        count: i64,
        after: Option<RowKey>,
    },
    /// RFC 9865: the page after `after` (the first page without it).
    Cursor { after: Option<Position>, count: i64 },
}

/// A row's place in creation order, the order of lists without `sortBy`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RowKey {
    pub created: DateTime<Utc>,
    pub id: String,
}

/// Where a cursor page starts.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Position {
    /// After this row in creation order: a keyset seek on the `(tenant_id, created, id)` index,
    /// so every page costs the same however deep the walk.
    After { created: DateTime<Utc>, id: String },
    /// After this many rows, for walks with `sortBy` (cost grows with the offset).
    Offset(i64),
}

/// One page of a list.
#[derive(Debug)]
pub struct Page {
    pub total: i64,
    pub resources: Vec<Resource>,
    /// Whether rows follow this page (cursor paging).
    pub more: bool,
}
