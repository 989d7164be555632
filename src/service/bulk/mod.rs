//! `/Bulk` (RFC 7644 §3.7): runs the operations of a bulk request, each through the same use
//! case as the single request it stands for (the same validation, the same change events, the
//! request's actor and request id), in the order `scim::bulk::plan` gives: an operation runs
//! after the POSTs it refers to by `bulkId`, otherwise in request order.
//!
//! **Transactions.** Operations share a write transaction, [`CHUNK_OPERATIONS`] at a time. A
//! chunk first runs without savepoints; when an operation fails in it, the chunk is rolled back
//! and run again with a savepoint before each operation, so that the failure undoes only its
//! own statements and events (`run.rs`). Each operation is thereby atomic on its own, as RFC 7644
//! §3.7 wants ("continue performing as many changes as possible"). Sharing the transaction
//! saves each operation its own `BEGIN`, `COMMIT` (a disk flush) and, on SQLite, its turn at
//! the single writer's gate. The request as a whole is not one transaction: RFC 7644 asks for
//! partial success, and a transaction over 1,000 operations would hold the write lock (SQLite)
//! or up to 1,000 row locks (PostgreSQL) for the whole request. A chunk that cannot be
//! committed fails every operation that had succeeded in it.
//!
//! **Cycles** (§3.7.1): POSTs that refer to each other (two new groups, each a member of the
//! other) are created first without the references that point forward in the cycle, which are
//! then added by the PATCH use case; the cycle runs under one savepoint, so its operations
//! succeed or fail together.
//!
//! **Passwords** are hashed before the transaction of their chunk opens (20–40 ms of CPU each,
//! which must not hold the write lock); a PATCH that sets one commits the chunk so far, hashes,
//! and runs again in a new transaction, as a single PATCH does.

mod run;
mod step;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::{Context, Service, ServiceError};
use crate::scim::bulk;
use crate::store::{Db, StoreError};

/// How many operations share one transaction; measured with the S8 benchmark (see README,
/// "Performance"): larger chunks gained little and hold the write lock (SQLite) or their row
/// locks (PostgreSQL) longer.
pub const CHUNK_OPERATIONS: usize = 50;

/// How many bulk requests run at once; the others wait for their turn, first come first
/// served, before they read their body. Within a request, operations run one after
/// another, each waiting for its statements; requests in parallel overlap those waits where the
/// database can write in parallel. SQLite has one writer, and one run: a chunk that reads the
/// users it changes ahead holds the writer from that read to its commit, so a second run's
/// PATCHes only waited; its creates overlapped a little (5–9% more operations per second), but
/// its parsed operations took peak RSS under 32 bulk clients past 100 MiB (README,
/// "Performance"). PostgreSQL: half the connection pool, leaving the other half to single
/// requests.
pub fn concurrent_runs(db: &Db) -> usize {
    (db.concurrent_writers() / 2).max(1)
}

/// The limits of a bulk request (RFC 7644 §3.7.4), advertised in `/ServiceProviderConfig`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BulkLimits {
    /// The most operations one request may have (`maxOperations`).
    pub max_operations: usize,
    /// The largest request body, in bytes (`maxPayloadSize`; the HTTP edge enforces it).
    pub max_payload_bytes: usize,
}

impl Default for BulkLimits {
    fn default() -> Self {
        Self {
            max_operations: 1_000,
            max_payload_bytes: 1_048_576,
        }
    }
}

/// The turns to run bulk requests: [`concurrent_runs`] at once, the others waiting first come
/// first served.
#[derive(Debug)]
pub(super) struct BulkTurns {
    runs: usize,
    permits: Arc<Semaphore>,
    waiting: AtomicUsize,
}

impl BulkTurns {
    pub(super) fn new(db: &Db) -> Self {
        let runs = concurrent_runs(db);
        Self {
            runs,
            permits: Arc::new(Semaphore::new(runs)),
            waiting: AtomicUsize::new(0),
        }
    }

    /// Bulk requests running and waiting for their turn now (the `/metrics` gauges).
    pub(super) fn counts(&self) -> BulkRequests {
        BulkRequests {
            running: self.runs - self.permits.available_permits(),
            waiting: self.waiting.load(Ordering::Relaxed),
        }
    }
}

/// How many bulk requests run, and how many wait for their turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BulkRequests {
    pub running: usize,
    pub waiting: usize,
}

/// Counts a request as waiting while it lives (a waiting request may be cancelled).
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A bulk request's turn to run, held until it is dropped.
pub struct BulkTurn {
    _permit: OwnedSemaphorePermit,
}

/// The result of one operation of a bulk request.
#[derive(Debug)]
pub struct OpOutcome {
    /// The method as the response shows it (as sent, if it is none of the four).
    pub method: Option<String>,
    pub bulk_id: Option<String>,
    /// The resource's URL: for every operation but a failed POST (RFC 7644 §3.7.3).
    pub location: Option<String>,
    /// The resource's ETag after a successful POST, PUT or PATCH.
    pub version: Option<String>,
    /// The status a single request would have had, or why the operation failed.
    pub result: Result<u16, ServiceError>,
}

impl Service {
    /// These use cases with other bulk limits.
    pub fn with_bulk_limits(mut self, limits: BulkLimits) -> Self {
        self.bulk = limits;
        self
    }

    /// The bulk limits in force.
    pub fn bulk_limits(&self) -> BulkLimits {
        self.bulk
    }

    /// Waits for a turn to run a bulk request (see [`concurrent_runs`]), first come first
    /// served. Callers wait before they read the request's body, so that waiting requests
    /// hold none of it.
    pub async fn bulk_turn(&self) -> Result<BulkTurn, ServiceError> {
        let turns = &self.bulk_runs;
        turns.waiting.fetch_add(1, Ordering::Relaxed);
        let waiting = Waiting(&turns.waiting);
        let permit = turns
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| StoreError::Corrupt("the bulk turns were closed".into()))?;
        drop(waiting);
        Ok(BulkTurn { _permit: permit })
    }

    /// Bulk requests running and waiting for their turn now.
    pub fn bulk_requests(&self) -> BulkRequests {
        self.bulk_runs.counts()
    }

    /// RFC 7644 §3.7: runs a BulkRequest, given as the body's JSON text, in its `turn`. A
    /// request refused as a whole (not JSON, no BulkRequest, more than `maxOperations`
    /// operations, a `bulkId` used twice) is an error and changes nothing; otherwise every
    /// operation that ran has an outcome, in request order. With `failOnErrors` = N, nothing
    /// runs after the operation that brought the failures to N.
    pub async fn bulk(
        &self,
        turn: BulkTurn,
        ctx: &Context,
        body: Vec<u8>,
    ) -> Result<Vec<OpOutcome>, ServiceError> {
        let _turn = turn;
        // Reading and validating up to 1,000 operations takes milliseconds of CPU: on the
        // blocking pool, so the async worker threads keep serving other requests meanwhile.
        let (max, limits) = (self.bulk.max_operations, self.limits);
        let mut request = tokio::task::spawn_blocking(move || bulk::parse(&body, max, &limits))
            .await
            .map_err(|e| StoreError::Corrupt(format!("reading the bulk request failed: {e}")))??;
        let plan = bulk::plan(&mut request.operations);
        let mut run = run::Run::new(self, ctx, request, plan.problems);
        run.all(&plan.units).await;
        Ok(run.outcomes())
    }
}
