//! The use cases, transport-free: every edge (the SCIM API, the host application's API, the
//! CLI) calls these and nothing else writes resources. A call carries a [`Context`] (directory,
//! actor, request id, time); a write opens a unit of work in the store, loads and locks,
//! applies the protocol rules (`scim`), saves, records its change events and commits them
//! together. Depends on `scim`, `store` and `auth`, never on `http` or poem.

pub mod archive;
mod bulk;
mod changes;
mod context;
pub mod directories;
mod error;
pub mod feed;
pub mod group_views;
mod groups;
pub mod idp_guides;
pub mod list_params;
mod listing;
pub mod request_log;
mod resources;
mod roles;
pub mod sessions;
pub mod setup;
mod suspension;
pub mod tokens;
pub mod transfer;
pub mod user_views;
mod users;
mod walks;
pub mod webhooks;

use std::sync::Arc;

use tokio::sync::watch;

pub use bulk::{BulkLimits, BulkRequests, BulkTurn, CHUNK_OPERATIONS, OpOutcome};
pub use context::{Actor, Clock, Context};
pub use error::ServiceError;
pub use listing::{ListParams, list_response};
pub use resources::{Attrs, Conditions, Kind, Read, Rendered};
pub use roles::{Mapping, MappingRequest};

use crate::auth::TokenAuthority;
use crate::scim::limits::Limits;
use crate::store::Db;

/// The use cases and what they need: the database, the signing authority (for cursors), the
/// public base URL (for `Location` and `meta.location`) and the page size limit.
#[derive(Clone)]
pub struct Service {
    pub db: Db,
    pub auth: TokenAuthority,
    pub base_url: String,
    pub max_page_size: i64,
    /// How long deleted users and groups stay restorable.
    pub archive_retention: chrono::Duration,
    /// The SCIM requests seen, on their way to each directory's setup view.
    pub request_log: request_log::RequestLog,
    /// `maxOperations` and `maxPayloadSize` of `/Bulk`.
    bulk: BulkLimits,
    /// Turns to run a bulk request (see `bulk::concurrent_runs`).
    bulk_runs: Arc<bulk::BulkTurns>,
    /// What one request may ask for (README "Limits").
    pub limits: Limits,
    /// Bumped after every commit that recorded events, so long polls and webhook delivery wake
    /// at once instead of at their next poll.
    committed: watch::Sender<u64>,
    /// Where recent `startIndex` pages ended, so the page after each continues from there.
    walks: walks::Walks,
}

impl Service {
    /// The use cases over `db`.
    pub fn new(db: Db, auth: TokenAuthority, base_url: String, max_page_size: i64) -> Self {
        Self {
            bulk_runs: Arc::new(bulk::BulkTurns::new(&db)),
            db,
            auth,
            base_url,
            max_page_size,
            request_log: request_log::RequestLog::default(),
            archive_retention: chrono::Duration::days(i64::from(archive::DEFAULT_RETENTION_DAYS)),
            bulk: BulkLimits::default(),
            limits: Limits::DEFAULT,
            committed: watch::Sender::new(0),
            walks: walks::Walks::default(),
        }
    }

    /// The same use cases, holding requests to `limits`.
    pub fn with_limits(self, limits: Limits) -> Self {
        Self { limits, ..self }
    }

    /// A receiver that sees a change after every commit that recorded events in this process.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.committed.subscribe()
    }

    /// What seals `ctx`'s paging cursors.
    fn cursor_key<'a>(&'a self, ctx: &'a Context) -> list_params::CursorKey<'a> {
        list_params::CursorKey {
            auth: &self.auth,
            directory: &ctx.directory,
        }
    }

    /// Tells subscribers that events were committed.
    fn announce(&self, events: usize) {
        if events > 0 {
            self.committed.send_modify(|n| *n += 1);
        }
    }
}
