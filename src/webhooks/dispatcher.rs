//! The dispatcher: one per instance. It wakes after every local commit that recorded events
//! and every [`POLL`] (for other instances' commits and due retries), numbers committed events
//! (`store::events::sequence`), leases the endpoints that have events to deliver, and runs one
//! worker per leased endpoint, so a slow or failing endpoint only ever delays itself. SCIM
//! requests never wait for it: it runs on its own tasks, and an idle tick only reads.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::delivery::Sender;
use super::schedule::RetrySchedule;
use super::worker::{self, LEASE, Shared};
use crate::scim::resource::now;
use crate::service::Service;
use crate::store::{StoreError, events, webhooks};

/// How often the database is asked for work that no local commit announced.
pub const POLL: Duration = Duration::from_millis(500);

/// The shortest time between two looks at the database. Under load commits arrive by the
/// hundred per second; one look per gap serves all of them (each look is a few statements, which
/// once per commit added a fifth to the CPU cost of a SQLite write), and a worker that has
/// started delivers everything there is without waiting for the dispatcher again.
const MIN_GAP: Duration = Duration::from_millis(50);

/// A dispatcher ready to start.
pub struct Dispatcher {
    shared: Arc<Shared>,
    committed: watch::Receiver<u64>,
    stop: watch::Sender<bool>,
}

/// A started dispatcher.
pub struct Running {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Dispatcher {
    /// A dispatcher for the service's database, retrying as `schedule` says; fails only if the
    /// HTTP client cannot set up TLS.
    pub fn new(service: &Service, schedule: RetrySchedule) -> Result<Self, reqwest::Error> {
        let (stop, stopping) = watch::channel(false);
        let shared = Shared {
            db: service.db.clone(),
            owner: format!(
                "scimd-{}-{}",
                std::process::id(),
                uuid::Uuid::new_v4().simple()
            ),
            schedule,
            sender: Sender::new()?,
            stopping,
        };
        Ok(Self {
            shared: Arc::new(shared),
            committed: service.subscribe(),
            stop,
        })
    }

    /// Starts delivering in the background.
    pub fn start(self) -> Running {
        let stopping = self.shared.stopping.clone();
        let task = tokio::spawn(run(self.shared, self.committed, stopping));
        Running {
            stop: self.stop,
            task,
        }
    }
}

impl Running {
    /// Stops: workers finish the attempt in flight (at most the 10 s timeout), then every lease
    /// is given up so that another instance, or this one restarted, continues at once.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        if let Err(e) = self.task.await {
            tracing::warn!(error = %e, "the webhook dispatcher ended abnormally");
        }
    }
}

async fn run(
    shared: Arc<Shared>,
    mut committed: watch::Receiver<u64>,
    mut stopping: watch::Receiver<bool>,
) {
    let mut workers = HashMap::new();
    while !*stopping.borrow() {
        let looked = tokio::time::Instant::now();
        if let Err(e) = tick(&shared, &mut workers).await {
            tracing::warn!(error = %e, "webhook dispatch failed; retrying at the next poll");
        }
        tokio::select! {
            changed = stopping.changed() => if changed.is_err() { break },
            changed = committed.changed() => if changed.is_err() {
                // No more local commits to hear of (the service is gone): poll only.
                tokio::time::sleep(POLL).await;
            } else {
                tokio::time::sleep_until(looked + MIN_GAP).await;
            },
            _ = tokio::time::sleep(POLL) => {}
        }
    }
    for (_, worker) in workers.drain() {
        let _ = worker.await;
    }
    if let Err(e) = webhooks::release_all(&shared.db, &shared.owner).await {
        tracing::warn!(error = %e, "could not give up webhook leases; they expire by themselves");
    }
}

/// Gives up the leases of workers that finished, then leases and starts what has work.
async fn tick(
    shared: &Arc<Shared>,
    workers: &mut HashMap<String, JoinHandle<()>>,
) -> Result<(), StoreError> {
    let finished: Vec<String> = workers
        .extract_if(|_, worker| worker.is_finished())
        .map(|(id, _)| id)
        .collect();
    if !finished.is_empty() {
        webhooks::release(&shared.db, &finished, &shared.owner).await?;
    }
    events::sequence(&shared.db).await?;
    let last = events::horizon(&shared.db).await?.last_position;
    let at = now();
    if webhooks::claimable(&shared.db, at, last).await? == 0 {
        return Ok(());
    }
    let until = at + chrono::Duration::from_std(LEASE).unwrap_or_default();
    for id in webhooks::claim(&shared.db, &shared.owner, at, until, last).await? {
        // A worker whose lease expired while it was still running keeps going: it renews
        // under the same owner.
        workers
            .entry(id.clone())
            .or_insert_with(|| tokio::spawn(worker::run(shared.clone(), id)));
    }
    Ok(())
}
