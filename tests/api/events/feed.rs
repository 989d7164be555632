//! `GET /api/v1/events`, the host application's feed: parameters and their bounds, the `types`
//! and `resource` filters, paging with `after`, long polls (`wait`), who may call it, and `410`
//! once retention has removed what a reader asks to continue from.

use std::time::{Duration, Instant};

use chrono::Utc;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{
    TestApp, assert_api_error, assert_scim_error, event_types, feed_page, get_events, id,
    page_events, patch_body,
};

/// The `id`s of `events`, in order.
fn ids(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["id"].as_str().expect("id").to_owned())
        .collect()
}

/// PATCHes `path` with `operations`, asserting success.
async fn patch_ok(app: &TestApp, path: &str, operations: Value) {
    let resp = app.patch(path, patch_body(operations)).await;
    assert!(
        resp.status().is_success(),
        "PATCH {path}: {}",
        resp.status()
    );
}

/// DELETEs `path`, asserting 204.
async fn delete_ok(app: &TestApp, path: &str) {
    assert_eq!(
        app.delete(path).await.status(),
        StatusCode::NO_CONTENT,
        "DELETE {path}"
    );
}

/// Records `n` events: `n` users created.
async fn record_events(app: &TestApp, n: usize) {
    for i in 0..n {
        app.create_user(&format!("user{i}")).await;
    }
}

#[tokio::test]
async fn invalid_feed_parameters_are_refused_with_400_in_the_api_error_shape() {
    // Arrange
    let app = TestApp::spawn().await;
    let cases = [
        ("limit", "0", "below the smallest page"),
        ("limit", "1001", "above the largest page"),
        ("limit", "ten", "not a number"),
        ("types", "user.exploded", "an unknown type"),
        (
            "types",
            "user.created,bogus",
            "one unknown type among known ones",
        ),
        ("after", "42", "not an event id"),
        ("after", "evt_zz", "not hex"),
        ("after", "evt_00000000000000000001", "too long"),
        ("wait", "31", "longer than 30 seconds"),
        ("wait", "-1", "negative"),
        (
            "after",
            "evt_00000000000f4240",
            "past the newest event: a cursor from another database",
        ),
    ];
    for (name, value, reason) in cases {
        // Act
        let resp = app.events_response(&[(name, value)]).await;

        // Assert
        assert_eq!(
            resp.status(),
            StatusCode::BAD_REQUEST,
            "{name}={value}: {reason}"
        );
        assert_api_error(resp, 400, "invalid_parameter").await;
    }
}

#[tokio::test]
async fn limit_bounds_the_page_between_1_and_1000() {
    // Arrange
    let app = TestApp::spawn().await;
    record_events(&app, 3).await;
    let cases = [
        ("1", 1, "the smallest page"),
        ("2", 2, "a page shorter than the feed"),
        ("1000", 3, "the largest page"),
    ];
    for (limit, expected, reason) in cases {
        // Act
        let page = app.events(&[("limit", limit)]).await;

        // Assert
        assert_eq!(page_events(&page).len(), expected, "{reason}");
    }
}

#[tokio::test]
async fn paging_with_after_walks_every_event_exactly_once_in_order() {
    // Arrange: 25 events of several types.
    let app = TestApp::spawn().await;
    record_events(&app, 20).await;
    let uid = id(&app.create_user("member").await);
    let gid = id(&app.create_group("Team", &[&uid]).await);
    patch_ok(
        &app,
        &format!("/Users/{uid}"),
        json!([{"op": "replace", "path": "title", "value": "x"}]),
    )
    .await;
    delete_ok(&app, &format!("/Groups/{gid}")).await;
    let all = page_events(&app.events(&[("limit", "1000")]).await);
    assert_eq!(all.len(), 25);
    let all_ids = ids(&all);
    let mut sorted = all_ids.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, all_ids, "ids are unique and sort in feed order");
    for limit in ["1", "7", "25", "100"] {
        // Act
        let (walked, end) = app.walk_feed(None, &[("limit", limit)]).await;

        // Assert
        assert_eq!(walked, all, "limit {limit}");
        assert_eq!(
            end.as_deref(),
            all_ids.last().map(String::as_str),
            "limit {limit}"
        );
    }
    let tail = app.events(&[("after", &all_ids[9])]).await;
    assert_eq!(
        page_events(&tail),
        all[10..],
        "after names the last event seen"
    );
}

#[tokio::test]
async fn the_types_filter_returns_only_the_named_types_and_pages_past_the_rest() {
    // Arrange
    let app = TestApp::spawn().await;
    let ann = id(&app.create_user("ann").await);
    let bob = id(&app.create_user("bob").await);
    app.create_group("Team", &[&ann, &bob]).await;
    patch_ok(
        &app,
        &format!("/Users/{ann}"),
        json!([{"op": "replace", "path": "active", "value": false}]),
    )
    .await;
    delete_ok(&app, &format!("/Users/{bob}")).await;
    let cases = [
        ("user.created", &["user.created", "user.created"][..]),
        (
            "user.deactivated,user.deleted",
            &["user.deactivated", "user.deleted"],
        ),
        (
            " group.member_added , group.member_removed ",
            &[
                "group.member_added",
                "group.member_added",
                "group.member_removed",
            ],
        ),
        ("group.deleted", &[]),
    ];
    for (types, expected) in cases {
        // Act
        let (events, _) = app
            .walk_feed(None, &[("types", types), ("limit", "1")])
            .await;

        // Assert
        assert_eq!(event_types(&events), expected, "types={types}");
    }
}

#[tokio::test]
async fn the_resource_filter_returns_a_resources_events_and_its_memberships() {
    // Arrange
    let app = TestApp::spawn().await;
    let ann = id(&app.create_user("ann").await);
    let bob = id(&app.create_user("bob").await);
    let gid = id(&app.create_group("Team", &[&bob]).await);
    patch_ok(
        &app,
        &format!("/Users/{ann}"),
        json!([{"op": "replace", "path": "title", "value": "x"}]),
    )
    .await;
    let members = format!("/Groups/{gid}");
    patch_ok(
        &app,
        &members,
        json!([{"op": "add", "path": "members", "value": [{"value": ann}]}]),
    )
    .await;
    patch_ok(
        &app,
        &members,
        json!([{"op": "remove", "path": format!("members[value eq \"{ann}\"]")}]),
    )
    .await;
    let cases = [
        (
            ann.as_str(),
            &[
                "user.created",
                "user.updated",
                "group.member_added",
                "group.member_removed",
            ][..],
            "a user: its own events and its memberships",
        ),
        (
            gid.as_str(),
            &[
                "group.created",
                "group.member_added",
                "group.member_added",
                "group.member_removed",
            ],
            "a group: its own events and its members' arrivals and departures",
        ),
        ("00000000-0000-4000-8000-000000000000", &[], "an unknown id"),
    ];
    let upper = ann.to_uppercase();
    let cases = cases.into_iter().chain([(
        upper.as_str(),
        &[
            "user.created",
            "user.updated",
            "group.member_added",
            "group.member_removed",
        ][..],
        "an id in upper case: ids match without regard to case",
    )]);
    for (resource, expected, reason) in cases {
        // Act
        let (events, _) = app.walk_feed(None, &[("resource", resource)]).await;

        // Assert
        assert_eq!(event_types(&events), expected, "{reason}");
    }
}

#[tokio::test]
async fn a_long_poll_returns_as_soon_as_an_event_is_committed() {
    // Arrange
    let app = TestApp::spawn().await;
    record_events(&app, 1).await;
    let mark = app.feed_end().await.expect("a cursor");
    let (client, origin, token) = (
        app.client.clone(),
        app.address.clone(),
        app.admin_token().await,
    );
    let started = Instant::now();
    let poll = tokio::spawn(async move {
        let query = [("after", mark.as_str()), ("wait", "10")];
        feed_page(get_events(&client, &origin, &token, &query).await, &query).await
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !poll.is_finished(),
        "the poll waits while there is nothing to read"
    );

    // Act
    let user = app.create_user("bjensen").await;

    // Assert: the poll returns with the event, not at the end of its wait
    let page = tokio::time::timeout(Duration::from_secs(5), poll)
        .await
        .expect("the poll returned well before its 10 s wait")
        .expect("poll task");
    let events = page_events(&page);
    assert_eq!(event_types(&events), ["user.created"]);
    assert_eq!(events[0]["data"]["id"], user["id"]);
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn a_long_poll_that_sees_nothing_returns_an_empty_page_when_its_wait_ends() {
    // Arrange
    let app = TestApp::spawn().await;
    record_events(&app, 1).await;
    let mark = app.feed_end().await.expect("a cursor");

    // Act
    let page = app.events(&[("after", &mark), ("wait", "1")]).await;

    // Assert
    assert_eq!(page, json!({"data": [], "after": mark}));
}

#[tokio::test]
async fn an_empty_feed_is_a_page_without_data_and_without_after() {
    // Arrange
    let app = TestApp::spawn().await;

    // Act
    let page = app.events(&[]).await;

    // Assert: no `"after": null` either, as the OpenAPI document says.
    assert_eq!(page, json!({"data": []}));
}

#[tokio::test]
async fn only_admin_tokens_call_the_api_and_only_scim_tokens_call_scim() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let events = format!("{}/api/v1/events", app.address);
    let users = format!("{}/Users", app.base);
    let get = |url: &str, token: Option<&str>| {
        let mut req = app.client.get(url);
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        req.send()
    };

    // Act
    let scim_on_api = get(&events, Some(&app.token)).await.expect("request");
    let admin_on_scim = get(&users, Some(&admin)).await.expect("request");
    let none_on_api = get(&events, None).await.expect("request");
    let bad_on_api = get(&events, Some("not-a-jwt")).await.expect("request");
    let admin_on_api = get(&events, Some(&admin)).await.expect("request");

    // Assert
    assert_api_error(scim_on_api, 403, "forbidden").await;
    assert_scim_error(admin_on_scim, 403, None).await;
    for (resp, reason) in [(none_on_api, "no token"), (bad_on_api, "a malformed token")] {
        let challenge = resp.headers().get("www-authenticate").cloned();
        assert!(
            challenge.is_some_and(|c| c.to_str().is_ok_and(|c| c.starts_with("Bearer"))),
            "{reason}: WWW-Authenticate: Bearer"
        );
        assert_api_error(resp, 401, "unauthorized").await;
    }
    assert_eq!(admin_on_api.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_api_echoes_x_request_id_and_documents_events_in_its_openapi() {
    // Arrange
    let app = TestApp::spawn().await;

    // Act
    let spec = app
        .client
        .get(format!("{}/api/v1/openapi.json", app.address))
        .send()
        .await
        .expect("request");
    let echoed = app
        .client
        .get(format!("{}/api/v1/events", app.address))
        .bearer_auth(app.admin_token().await)
        .header("X-Request-Id", "req-feed-1")
        .send()
        .await
        .expect("request");

    // Assert
    assert_eq!(spec.status(), StatusCode::OK);
    let spec: Value = spec.json().await.expect("json");
    assert!(
        spec["paths"]["/events"]["get"].is_object(),
        "{}",
        spec["paths"]
    );
    assert_eq!(echoed.status(), StatusCode::OK);
    assert_eq!(echoed.headers()["x-request-id"], "req-feed-1");
}

#[tokio::test]
async fn after_an_event_removed_by_retention_is_gone_but_reading_from_the_start_works() {
    // Arrange
    let app = TestApp::spawn().await;
    record_events(&app, 3).await;
    let before = ids(&page_events(&app.events(&[]).await));
    let cutoff = Utc::now() + chrono::Duration::days(1);

    // Act
    let pruned = scimd::store::events::prune(&app.state.db, cutoff, 2)
        .await
        .expect("prune");

    // Assert
    assert_eq!(pruned, 3, "a cutoff in the future removes everything");
    let gone = app.events_response(&[("after", &before[0])]).await;
    assert_api_error(gone, 410, "gone").await;
    let last = app.events(&[("after", &before[2])]).await;
    assert_eq!(
        last,
        json!({"data": [], "after": before[2]}),
        "the last event read is no gap"
    );
    let fresh = app.events(&[]).await;
    assert_eq!(
        fresh,
        json!({"data": [], "after": before[2]}),
        "without after: the retained feed"
    );
    app.create_user("later").await;
    let next = page_events(&app.events(&[("after", &before[2])]).await);
    assert_eq!(event_types(&next), ["user.created"]);
    assert!(
        ids(&next)[0] > before[2],
        "positions continue after pruning"
    );
}
