//! The storage layer, and the only place SQL lives. One module per table family; `db` hides
//! which backend (SQLite or PostgreSQL) runs a statement. Every write runs in one transaction,
//! so a request either fully applies or changes nothing, and later additions (change events,
//! audit rows) can join the same transaction.

pub mod db;
mod error;
mod filter_sql;
pub mod groups;
mod listing;
mod locking;
mod memberships;
pub mod signing_keys;
mod sql;
pub mod tokens;
mod user_row;
mod user_values;
pub mod users;

pub use db::{Db, DbOptions, Dialect};
pub use error::StoreError;

use crate::scim::filter::Filter;
use crate::scim::resource::Resource;

/// The tenant every resource belongs to until multi-tenancy lands.
pub const DEFAULT_TENANT: &str = "default";

/// A list request already validated by the HTTP edge.
#[derive(Debug, Clone)]
pub struct ListQuery {
    pub filter: Option<Filter>,
    /// 1-based index of the first result (RFC 7644 §3.4.2.4).
    pub start_index: i64,
    /// Maximum number of resources to return; 0 asks for the total only.
    pub count: i64,
}

/// One page of a list.
#[derive(Debug)]
pub struct Page {
    pub total: i64,
    pub resources: Vec<Resource>,
}
