//! `GET /api/v1/events`: the ordered feed of changes (see `service::feed`).

use std::sync::Arc;

use poem::web::Data;
use poem_openapi::param::Query;
use poem_openapi::{Object, OpenApi};
use serde::Serialize;
use serde_json::Value;

use super::ApiTags;
use super::error::ApiErrorResponse;
use super::written::Written;
use crate::http::AppState;
use crate::http::auth::AdminAuth;
use crate::service::feed::FeedRequest;

/// A page of the feed (written by serde: see [`Written`]).
#[derive(Debug, Object, Serialize)]
pub struct EventPage {
    /// Events, oldest first: `id`, `type`, `occurred_at`, `directory`, `actor`, `request_id`,
    /// `data` and, for updates, `previous_attributes`.
    pub data: Vec<Value>,
    /// The `after` to pass for the next page; absent while the feed is empty.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
}

/// The events endpoint.
pub struct EventsApi;

#[OpenApi(tag = "ApiTags::Events")]
impl EventsApi {
    /// Events after `after`, oldest first. Store the returned `after` once you have handled
    /// the page and pass it next time: no committed change is ever skipped, and per resource
    /// events come in commit order. `410` when `after` is older than the retained events.
    /// `directory` keeps one directory's events; its pages' `after` are positions in the same
    /// feed.
    #[oai(path = "/events", method = "get")]
    #[allow(clippy::too_many_arguments)]
    async fn events(
        &self,
        auth: AdminAuth,
        state: Data<&Arc<AppState>>,
        /// Return events after this event id (from the start of the retained feed without it).
        after: Query<Option<String>>,
        /// Page size, 1 to 1000 (default 100).
        limit: Query<Option<i64>>,
        /// Only these event types, comma-separated (e.g. `user.deactivated,user.deleted`).
        types: Query<Option<String>>,
        /// Only events about this resource id (a user or group, also as a group's member).
        resource: Query<Option<String>>,
        /// Only the events of this directory (its id, e.g. `acme`; `default` for `/scim/v2`).
        /// `404` if there is no such directory.
        directory: Query<Option<String>>,
        /// Seconds to hold the request open until an event exists (at most 30).
        wait: Query<Option<u64>>,
    ) -> Result<Written<EventPage>, ApiErrorResponse> {
        let request = FeedRequest {
            after: after.0,
            limit: limit.0,
            types: types.0,
            resource: resource.0,
            directory: directory.0,
            wait: wait.0,
        };
        let page = state.service.events(&auth.0, &request).await?;
        Ok(Written(EventPage {
            data: page.data,
            after: page.after,
        }))
    }
}
