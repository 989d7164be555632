//! Who makes a call, for which directory, under which request id, and when. Every use case
//! takes one; change events carry it, so the host application can tell who changed what.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::scim::resource::now;

/// The caller of a use case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A request authenticated by an API token (its `jti` and name).
    Token { id: String, name: String },
    /// The operator, through the command line.
    Cli,
    /// scimd itself, e.g. purging the archive after its retention period.
    System,
}

impl Actor {
    /// The actor as change events show it.
    pub fn to_json(&self) -> Value {
        match self {
            Actor::Token { id, name } => json!({"type": "token", "id": id, "name": name}),
            Actor::Cli => json!({"type": "cli"}),
            Actor::System => json!({"type": "system"}),
        }
    }
}

/// Where a call's time comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// The system clock.
    System,
    /// One fixed instant.
    Fixed(DateTime<Utc>),
}

/// The context of one call.
#[derive(Debug, Clone)]
pub struct Context {
    /// The directory (tenant) every read and write is scoped to.
    pub directory: String,
    pub actor: Actor,
    /// The request's `X-Request-Id`, or one generated for it.
    pub request_id: String,
    pub clock: Clock,
}

impl Context {
    /// A context on the system clock.
    pub fn new(directory: impl Into<String>, actor: Actor, request_id: impl Into<String>) -> Self {
        Self {
            directory: directory.into(),
            actor,
            request_id: request_id.into(),
            clock: Clock::System,
        }
    }

    /// The current time, at millisecond precision (see `scim::resource::now`).
    pub fn now(&self) -> DateTime<Utc> {
        match self.clock {
            Clock::System => now(),
            Clock::Fixed(at) => at,
        }
    }

    /// This context with its clock stopped at the current time. A write pins its context once it
    /// holds its locks, so `meta.lastModified` and the events' `occurred_at` are one instant, and
    /// a resource's `lastModified` never goes back: a writer that waited for a lock stamps the
    /// time it got it, after the writer that held it.
    pub fn pinned(&self) -> Self {
        Self {
            clock: Clock::Fixed(self.now()),
            ..self.clone()
        }
    }

    /// A context for work scimd does by itself in `directory`.
    pub fn system(directory: impl Into<String>) -> Self {
        Self::new(
            directory,
            Actor::System,
            format!("system-{}", uuid::Uuid::new_v4()),
        )
    }

    /// A context for a command run by the operator.
    pub fn cli(directory: impl Into<String>) -> Self {
        Self::new(
            directory,
            Actor::Cli,
            format!("cli-{}", uuid::Uuid::new_v4()),
        )
    }
}
