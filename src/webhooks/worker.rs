//! Delivery to one endpoint, while this instance holds its lease: the events after its cursor,
//! in feed order, one at a time, each until it is delivered or the retry schedule runs out.
//! Every step starts from the endpoint as the database has it, so a replay, a rotated secret or
//! a deletion made anywhere takes effect at the next step. The worker returns when the endpoint
//! has nothing left to deliver, is `failing`, was deleted, or the instance stops; the dispatcher
//! then gives up the lease.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::watch;

use super::delivery::Sender;
use super::schedule::RetrySchedule;
use super::signature;
use crate::scim::resource::now;
use crate::service::feed::{event_id, event_json};
use crate::store::events::{self, EventRow, FeedQuery};
use crate::store::webhooks::{self, ACTIVE, Attempt, Expected, FAILING, Progress, WebhookRow};
use crate::store::{Db, StoreError};

/// How long a lease lasts without renewal: longer than one attempt (10 s) plus the database
/// work around it, so a live worker never loses it, and short enough that the endpoints of an
/// instance that died are taken over soon.
pub const LEASE: Duration = Duration::from_secs(30);
/// While waiting for a retry, the lease is renewed this often (and the endpoint re-read, so a
/// replay ends the wait).
const RENEW_EVERY: Duration = Duration::from_secs(10);
/// Events read per query.
const BATCH: i64 = 100;

/// What every worker of one instance shares.
pub struct Shared {
    pub db: Db,
    /// This instance's name in `lease_owner`.
    pub owner: String,
    pub schedule: RetrySchedule,
    pub sender: Sender,
    /// `true` once the instance stops.
    pub stopping: watch::Receiver<bool>,
}

/// Delivers to endpoint `id` until there is nothing to do; errors are logged.
pub async fn run(shared: Arc<Shared>, id: String) {
    if let Err(e) = deliver(&shared, &id).await {
        tracing::warn!(webhook = %id, error = %e, "webhook delivery interrupted; it resumes at the next claim");
    }
}

fn lease_until() -> DateTime<Utc> {
    now() + chrono::Duration::from_std(LEASE).unwrap_or_default()
}

async fn deliver(shared: &Shared, id: &str) -> Result<(), StoreError> {
    let db = &shared.db;
    let mut stopping = shared.stopping.clone();
    let mut current = None;
    loop {
        if *stopping.borrow() {
            return Ok(());
        }
        let hook = match current.take() {
            Some(hook) => hook,
            None => match webhooks::renew(db, id, &shared.owner, lease_until()).await? {
                Some(hook) => hook,
                None => return Ok(()), // deleted, or the lease went to another instance
            },
        };
        if hook.state != ACTIVE {
            return Ok(());
        }
        let at = now();
        if let Some(due) = hook.next_attempt
            && due > at
        {
            let wait = (due - at).to_std().unwrap_or_default().min(RENEW_EVERY);
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = stopping.changed() => {}
            }
            continue;
        }
        events::sequence(db).await?;
        let query = FeedQuery {
            after: hook.delivered_through,
            limit: BATCH,
            types: hook.types.clone().map(|t| t.0).unwrap_or_default(),
            resource: None,
            directory: hook.tenant_id.clone(),
        };
        let page = events::read(db, &query).await?;
        if hook.delivered_through < page.horizon.pruned_through {
            let error = format!(
                "events after {} were removed by retention before they were delivered; replay after {} or later",
                event_id(hook.delivered_through),
                event_id(page.horizon.pruned_through)
            );
            let progress = Progress {
                state: FAILING,
                last_error: Some(error),
                ..unchanged(&hook)
            };
            webhooks::save(db, id, expected(shared, &hook), &progress, None).await?;
            return Ok(());
        }
        if page.events.is_empty() {
            // Only events of other types (if any): move past them.
            if page.horizon.last_position > hook.delivered_through {
                let progress = Progress {
                    delivered_through: page.horizon.last_position,
                    ..unchanged(&hook)
                };
                webhooks::save(db, id, expected(shared, &hook), &progress, None).await?;
            }
            return Ok(());
        }
        let mut saved = Some(hook);
        for event in &page.events {
            let Some(hook) = saved else { break };
            saved = attempt(shared, &hook, event).await?;
            let delivered = saved
                .as_ref()
                .is_some_and(|h| h.delivered_through == event.position);
            if !delivered || *stopping.borrow() {
                break;
            }
        }
        // After a failure the loop waits for the retry; after a change made elsewhere
        // (`None`) it starts over from the database.
        current = saved;
    }
}

/// The endpoint's progress as it is, with a renewed lease.
fn unchanged(hook: &WebhookRow) -> Progress {
    Progress {
        delivered_through: hook.delivered_through,
        state: ACTIVE,
        failures: hook.failures,
        next_attempt: hook.next_attempt,
        last_error: hook.last_error.clone(),
        lease_until: lease_until(),
    }
}

fn expected<'a>(shared: &'a Shared, hook: &WebhookRow) -> Expected<'a> {
    Expected {
        owner: &shared.owner,
        delivered_through: hook.delivered_through,
        failures: hook.failures,
    }
}

/// One attempt at `event`; saves the outcome and returns the endpoint as saved (`None` if it
/// changed meanwhile).
async fn attempt(
    shared: &Shared,
    hook: &WebhookRow,
    event: &EventRow,
) -> Result<Option<WebhookRow>, StoreError> {
    let number = hook.failures + 1;
    let id = event_id(event.position);
    let body = event_json(event).to_string().into_bytes();
    let attempted_at = now();
    let mut secrets = vec![hook.secret.as_str()];
    if let (Some(previous), Some(expires)) = (&hook.previous_secret, hook.previous_secret_expires)
        && expires > attempted_at
    {
        secrets.push(previous);
    }
    let header = signature::header(attempted_at.timestamp(), &body, &secrets);
    let outcome = shared.sender.send(&hook.url, &id, &header, body).await;
    let progress = if outcome.delivered {
        Progress {
            delivered_through: event.position,
            state: ACTIVE,
            failures: 0,
            next_attempt: None,
            last_error: None,
            lease_until: lease_until(),
        }
    } else {
        let error = outcome.error.clone().unwrap_or_default();
        let retry = u32::try_from(number)
            .ok()
            .and_then(|n| shared.schedule.delay_after(n));
        match retry {
            Some(delay) => Progress {
                failures: number,
                next_attempt: Some(now() + chrono::Duration::from_std(delay).unwrap_or_default()),
                last_error: Some(format!("{id}: {error}")),
                ..unchanged(hook)
            },
            None => {
                tracing::warn!(webhook = %hook.id, event = %id, attempts = number, %error, "webhook is failing: retries exhausted");
                Progress {
                    state: FAILING,
                    failures: number,
                    next_attempt: None,
                    last_error: Some(format!("{id}: {error} (gave up after {number} attempts)")),
                    ..unchanged(hook)
                }
            }
        }
    };
    let log = Attempt {
        event_position: event.position,
        attempt: number,
        attempted_at,
        duration_ms: i64::try_from(outcome.duration.as_millis()).unwrap_or(i64::MAX),
        outcome: if outcome.delivered {
            "delivered"
        } else {
            "failed"
        },
        response_code: outcome.status.map(i64::from),
        response_body: outcome.body,
        error: outcome.error,
    };
    webhooks::save(
        &shared.db,
        &hook.id,
        expected(shared, hook),
        &progress,
        Some(&log),
    )
    .await
}
