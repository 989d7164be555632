//! The event feed the host application reads (`GET /api/v1/events`): a page of events after a
//! cursor, oldest first, optionally held open until one exists (long poll), and the retention
//! that prunes old events.

use std::time::Duration;

use chrono::Utc;
use serde_json::{Map, Value, json};

use super::changes::EVENT_TYPES;
use super::{Context, Service, ServiceError};
use crate::scim::resource::format_time;
use crate::store::events::{self, EventRow, FeedQuery};

/// Page size when the request names none, and the largest one allowed.
pub const DEFAULT_LIMIT: i64 = 100;
pub const MAX_LIMIT: i64 = 1000;
/// The longest a request may wait for an event, in seconds.
pub const MAX_WAIT_SECONDS: u64 = 30;
/// While waiting, how often the database is asked again: a local commit wakes the request at
/// once; another instance's commit is seen at the next poll.
const POLL: Duration = Duration::from_millis(250);

/// The parameters of a feed request, as sent.
#[derive(Debug, Clone, Default)]
pub struct FeedRequest {
    pub after: Option<String>,
    pub limit: Option<i64>,
    /// Comma-separated event types.
    pub types: Option<String>,
    pub resource: Option<String>,
    /// Only this directory's events.
    pub directory: Option<String>,
    pub wait: Option<u64>,
}

/// A page of the feed: events oldest first, and the cursor to pass next.
#[derive(Debug, Clone)]
pub struct FeedPage {
    pub data: Vec<Value>,
    pub after: Option<String>,
}

/// The public id of the event at `position`: opaque to readers, ordered as the feed, fixed width
/// so that ids also sort as text.
pub fn event_id(position: i64) -> String {
    format!("evt_{position:016x}")
}

/// The position an event id names.
pub fn parse_event_id(id: &str) -> Option<i64> {
    let hex = id.strip_prefix("evt_")?;
    if hex.len() != 16 {
        return None;
    }
    i64::from_str_radix(hex, 16).ok().filter(|p| *p >= 0)
}

/// An event as the feed and webhooks show it.
pub fn event_json(row: &EventRow) -> Value {
    let mut event = Map::new();
    event.insert("id".into(), json!(event_id(row.position)));
    event.insert("type".into(), json!(row.kind));
    event.insert("occurred_at".into(), json!(format_time(row.occurred_at)));
    event.insert("directory".into(), json!(row.tenant_id));
    event.insert("actor".into(), row.actor.0.clone());
    event.insert("request_id".into(), json!(row.request_id));
    event.insert("data".into(), row.data.0.clone());
    if let Some(previous) = &row.previous_attributes {
        event.insert("previous_attributes".into(), previous.0.clone());
    }
    Value::Object(event)
}

/// Every event type, as the feed names them.
pub fn event_types() -> &'static [&'static str] {
    &EVENT_TYPES
}

/// Checks a comma-separated list of event types.
pub fn parse_types(types: Option<&str>) -> Result<Vec<String>, ServiceError> {
    types
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| {
            if EVENT_TYPES.contains(&t) {
                Ok(t.to_owned())
            } else {
                Err(ServiceError::invalid(
                    "invalidValue",
                    format!(
                        "unknown event type \"{t}\"; known: {}",
                        EVENT_TYPES.join(", ")
                    ),
                ))
            }
        })
        .collect()
}

impl Service {
    /// Reads the events after `request.after`. With `wait`, an empty page is held open until an
    /// event arrives or the wait ends. `after` older than the retained events is `Gone`: the
    /// reader has missed events and must resynchronise. With `directory`, only that directory's
    /// events (`NotFound` for a directory that does not exist); event ids and cursors stay those
    /// of the one feed, so a reader may switch between the whole feed and one directory's.
    pub async fn events(
        &self,
        ctx: &Context,
        request: &FeedRequest,
    ) -> Result<FeedPage, ServiceError> {
        let (query, after) = self.feed_query(ctx, request, "after ").await?;
        let wait = request.wait.unwrap_or(0);
        if wait > MAX_WAIT_SECONDS {
            return Err(ServiceError::invalid(
                "invalidValue",
                format!("wait is at most {MAX_WAIT_SECONDS} seconds"),
            ));
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(wait);
        let mut committed = self.subscribe();
        loop {
            committed.borrow_and_update();
            events::sequence(&self.db).await?;
            let page = events::read(&self.db, &query).await?;
            if let Some(after) = after
                && after < page.horizon.pruned_through
            {
                return Err(ServiceError::Gone(format!(
                    "events up to {} were removed by retention; read the current state and \
                     continue from a recent event",
                    event_id(page.horizon.pruned_through)
                )));
            }
            if let Some(after) = after
                && after > page.horizon.last_position
            {
                // A cursor from another database, or from before a restore: following it would
                // silently skip every event until the feed caught up with it.
                return Err(ServiceError::invalid(
                    "invalidValue",
                    format!(
                        "after \"{}\" is past the newest event ({}); this feed never issued it",
                        event_id(after),
                        event_id(page.horizon.last_position)
                    ),
                ));
            }
            let now = tokio::time::Instant::now();
            if !page.events.is_empty() || now >= deadline {
                // Every event up to the horizon was visible to this read, so when the page is
                // not full the next read may start there: filtered walks skip what they do
                // not want.
                let next = if (page.events.len() as i64) < query.limit {
                    Some(page.horizon.last_position)
                } else {
                    page.events.last().map(|e| e.position)
                };
                let next = next.max(after).filter(|n| *n > 0);
                return Ok(FeedPage {
                    data: page.events.iter().map(event_json).collect(),
                    after: next.map(event_id),
                });
            }
            let _ = tokio::time::timeout((deadline - now).min(POLL), committed.changed()).await;
        }
    }

    /// The newest events first, for people reading the feed: `request` filters as for
    /// [`Service::events`] (`after` names the page's end: events before it; `wait` is not
    /// taken). The page's `after` is the cursor of the next, older page.
    pub async fn recent_events(
        &self,
        ctx: &Context,
        request: &FeedRequest,
    ) -> Result<FeedPage, ServiceError> {
        let (mut query, before) = self.feed_query(ctx, request, "").await?;
        query.after = 0;
        let limit = query.limit;
        events::sequence(&self.db).await?;
        let rows = events::newest(&self.db, &query, before).await?;
        let older = if rows.len() as i64 == limit {
            rows.last().map(|e| event_id(e.position))
        } else {
            None
        };
        Ok(FeedPage {
            data: rows.iter().map(event_json).collect(),
            after: older,
        })
    }

    /// The filters of a feed request, checked, with its cursor (`after`, or `None`) as the
    /// query's `after` and apart; `cursor_name` starts the message of an unknown cursor.
    async fn feed_query(
        &self,
        ctx: &Context,
        request: &FeedRequest,
        cursor_name: &str,
    ) -> Result<(FeedQuery, Option<i64>), ServiceError> {
        let directory = match request.directory.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(d) => Some(self.enter(ctx, d).await?.directory),
        };
        let cursor = match request.after.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(id) => Some(parse_event_id(id).ok_or_else(|| {
                ServiceError::invalid(
                    "invalidValue",
                    format!("{cursor_name}\"{id}\" is not an event id this server issued"),
                )
            })?),
        };
        let limit = request.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ServiceError::invalid(
                "invalidValue",
                format!("limit must be between 1 and {MAX_LIMIT}"),
            ));
        }
        let query = FeedQuery {
            after: cursor.unwrap_or(0),
            limit,
            types: parse_types(request.types.as_deref())?,
            // Ids are lower-case UUIDs, matched without regard to case (RFC 7643 §3.1 `id`
            // values are compared as the server issued them; member values are caseExact false).
            resource: request
                .resource
                .as_deref()
                .map(|r| r.trim().to_lowercase())
                .filter(|r| !r.is_empty()),
            directory,
        };
        Ok((query, cursor))
    }

    /// Removes events older than `retention`; returns how many.
    pub async fn prune_events(&self, retention: chrono::Duration) -> Result<u64, ServiceError> {
        Ok(events::prune(&self.db, Utc::now() - retention, 10_000).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_ids_round_trip_and_sort_as_text() {
        assert_eq!(parse_event_id(&event_id(42)), Some(42));
        assert!(event_id(9) < event_id(10));
        assert!(event_id(255) < event_id(4096));
        for bad in [
            "42",
            "evt_",
            "evt_zz",
            "evt_00000000000000000001",
            "evt_-000000000000001",
        ] {
            assert_eq!(parse_event_id(bad), None, "{bad}");
        }
    }

    #[test]
    fn unknown_event_types_are_refused() {
        assert_eq!(
            parse_types(Some("user.created, group.deleted")).unwrap(),
            vec!["user.created", "group.deleted"]
        );
        assert!(parse_types(Some("user.created,user.exploded")).is_err());
    }
}
