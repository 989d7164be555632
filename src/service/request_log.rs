//! The SCIM requests each directory receives, as its setup view shows them. Recording one costs
//! a push onto a buffer: a background task (`RequestLog::run`) writes the buffer to the
//! database about once a second, in one transaction, so serving a read never waits for a write.
//! Reading the log first writes this instance's buffer, so it is never behind its own requests.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{Service, ServiceError};
use crate::store::scim_requests::{self, KEEP, SeenRequest};
use crate::store::{Db, StoreError};

/// Requests held between two writes at most; more (a flood faster than a second's write) are
/// dropped, oldest first: only each directory's newest requests are kept anyway.
const MAX_BUFFERED: usize = 10_000;
/// How often the buffer is written.
const FLUSH_EVERY: Duration = Duration::from_secs(1);

/// The buffer of requests not yet written.
#[derive(Clone, Default)]
pub struct RequestLog {
    buffer: Arc<Mutex<VecDeque<SeenRequest>>>,
    /// Writers take turns, so batches land in the order they were taken.
    writing: Arc<tokio::sync::Mutex<()>>,
}

/// One SCIM request just answered.
#[derive(Debug, Clone)]
pub struct ScimRequest<'a> {
    pub directory: &'a str,
    pub at: DateTime<Utc>,
    pub method: &'a str,
    pub path: &'a str,
    pub status: u16,
    pub duration: Duration,
}

impl RequestLog {
    /// Notes a request; never waits.
    pub fn record(&self, r: &ScimRequest<'_>) {
        let mut buffer = self.buffer.lock().unwrap_or_else(|e| e.into_inner());
        if buffer.len() >= MAX_BUFFERED {
            buffer.pop_front();
        }
        buffer.push_back(SeenRequest {
            tenant_id: r.directory.to_owned(),
            at: r.at,
            method: r.method.to_owned(),
            path: r.path.chars().take(1000).collect(),
            status: i64::from(r.status),
            duration_ms: i64::try_from(r.duration.as_millis()).unwrap_or(i64::MAX),
        });
    }

    /// Writes what is buffered.
    pub async fn flush(&self, db: &Db) -> Result<(), StoreError> {
        let _turn = self.writing.lock().await;
        let mut batch = std::mem::take(&mut *self.buffer.lock().unwrap_or_else(|e| e.into_inner()));
        scim_requests::insert_batch(db, batch.make_contiguous()).await
    }

    /// Writes the buffer about once a second, for as long as the server runs.
    pub async fn run(self, db: Db) {
        let mut tick = tokio::time::interval(FLUSH_EVERY);
        loop {
            tick.tick().await;
            if let Err(e) = self.flush(&db).await {
                tracing::warn!(error = %e, "recording recent SCIM requests failed");
            }
        }
    }
}

impl Service {
    /// The newest SCIM requests `directory` received (at most 100), newest first.
    pub async fn scim_requests(&self, directory: &str) -> Result<Vec<SeenRequest>, ServiceError> {
        self.request_log.flush(&self.db).await?;
        Ok(scim_requests::recent(&self.db, directory, KEEP).await?)
    }
}
