//! Change events, read back through `GET /api/v1/events` as the host application reads them:
//! every event type with its `data` and `previous_attributes` and the envelope (`actor`,
//! `request_id`, `directory`, `occurred_at`) in `users.rs` and `groups.rs`; the writes that must
//! record nothing in `unrecorded.rs`; the feed API in `feed.rs`; the feed's order under
//! concurrent writers, also across two `scimd` processes, in `order.rs`, and against the stored
//! members when membership changes race deletes in `races.rs`. The fixtures the files
//! share are here.

mod feed;
mod groups;
mod order;
mod races;
mod unrecorded;
mod users;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, scim_json};

/// The SCIM token `TestApp::spawn` issues.
const SCIM_TOKEN_NAME: &str = "test";

/// The one event of `events`.
pub fn only(events: Vec<Value>, reason: &str) -> Value {
    assert_eq!(events.len(), 1, "{reason}: one event: {events:?}");
    events.into_iter().next().expect("one event")
}

/// Sends a SCIM request carrying `X-Request-Id: request_id`; asserts `status` and returns the
/// body (`null` when there is none).
pub async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    body: Option<Value>,
    request_id: &str,
    status: StatusCode,
) -> Value {
    let resp = app
        .request_with(method.clone(), path, body, &[("X-Request-Id", request_id)])
        .await;
    let got = resp.status();
    let text = resp.text().await.expect("body");
    assert_eq!(got, status, "{method} {path}: {text}");
    if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).expect("json body")
    }
}

/// GETs a SCIM resource, asserting 200.
pub async fn get_json(app: &TestApp, path: &str) -> Value {
    let resp = app.get(path).await;
    assert_eq!(resp.status(), StatusCode::OK, "GET {path}");
    scim_json(resp).await
}

/// Asserts what every event of a request made with the SCIM token carries: an `evt_` id, the
/// default directory, the token as actor and the request's id.
pub async fn assert_envelope(app: &TestApp, event: &Value, request_id: &str) {
    let event_id = event["id"].as_str().expect("id");
    let hex = event_id.strip_prefix("evt_").expect("evt_ prefix");
    assert!(
        hex.len() == 16 && hex.bytes().all(|b| b.is_ascii_hexdigit()),
        "{event_id}"
    );
    assert_eq!(event["directory"], "default", "{event}");
    assert_eq!(
        event["actor"],
        json!({"type": "token", "id": app.token_id(SCIM_TOKEN_NAME).await, "name": SCIM_TOKEN_NAME}),
        "{event}"
    );
    assert_eq!(event["request_id"], request_id, "{event}");
    assert!(event["occurred_at"].is_string(), "{event}");
}

/// The `previous_attributes` expected when `changed` attributes of `before` changed.
pub fn previous(before: &Value, changed: &[&str]) -> Value {
    changed
        .iter()
        .map(|k| {
            (
                k.to_string(),
                before.get(*k).cloned().unwrap_or(Value::Null),
            )
        })
        .collect::<serde_json::Map<_, _>>()
        .into()
}

/// A group's SCIM representation without `members`, as group events carry it.
pub async fn group_without_members(app: &TestApp, gid: &str) -> Value {
    get_json(app, &format!("/Groups/{gid}?excludedAttributes=members")).await
}

/// A membership event's `data`.
pub fn membership(gid: &str, group_name: &str, member: &str, kind: &str, display: &str) -> Value {
    json!({
        "group": {"id": gid, "displayName": group_name},
        "member": {"id": member, "type": kind, "display": display},
    })
}
