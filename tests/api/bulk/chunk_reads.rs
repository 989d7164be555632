//! A chunk of a bulk request reads the users that its PUTs and PATCHes change ahead, with one
//! statement. What each operation shows (its events, its version) must still be the user as
//! the operations before it in the same request left it.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::events::{get_json, send};
use crate::helpers::{ENTERPRISE, TestApp, USER_SCHEMA, bulk_body, id, patch_body};

fn replace(path: &str, attr: &str, value: Value) -> Value {
    json!({"method": "PATCH", "path": path,
           "data": patch_body(json!([{"op": "replace", "path": attr, "value": value}]))})
}

#[tokio::test]
async fn each_update_shows_the_user_as_the_earlier_operations_of_its_request_left_it() {
    // Arrange: a manager and her report, a second user and an empty group.
    let app = TestApp::spawn().await;
    let create = |body: Value| {
        send(
            &app,
            Method::POST,
            "/Users",
            Some(body),
            "arrange",
            StatusCode::CREATED,
        )
    };
    let m = id(&create(
        json!({"schemas": [USER_SCHEMA], "userName": "m", "displayName": "Old Name"}),
    )
    .await);
    let x = id(&create(
        json!({"schemas": [USER_SCHEMA, ENTERPRISE], "userName": "x",
        ENTERPRISE: {"manager": {"value": m}}}),
    )
    .await);
    let y = id(&create(json!({"schemas": [USER_SCHEMA], "userName": "y"})).await);
    let g = id(&app.create_group("staff", &[]).await);
    let mark = app.feed_end().await;

    // Act: the manager is renamed before her report changes; the second user joins the group
    // before it changes; the report changes twice.
    let ops = app
        .bulk(bulk_body(json!([
            replace(&format!("/Users/{m}"), "displayName", json!("New Name")),
            replace(&format!("/Users/{x}"), "title", json!("first")),
            {"method": "PATCH", "path": format!("/Groups/{g}"), "data": patch_body(json!([
                {"op": "add", "path": "members", "value": [{"value": y}]}]))},
            replace(&format!("/Users/{y}"), "title", json!("first")),
            replace(&format!("/Users/{x}"), "title", json!("second")),
        ])))
        .await;

    // Assert: every operation succeeded, and each user's update event shows it as a read did
    // right after that operation.
    for op in &ops {
        assert!(
            op["status"].as_str().is_some_and(|s| s.starts_with('2')),
            "{op}"
        );
    }
    let updates: Vec<Value> = app
        .events_since(&mark)
        .await
        .into_iter()
        .filter(|e| e["type"] == "user.updated")
        .collect();
    let ids: Vec<&Value> = updates.iter().map(|e| &e["data"]["id"]).collect();
    assert_eq!(ids, [&json!(m), &json!(x), &json!(y), &json!(x)]);
    assert_eq!(
        updates[1]["data"][ENTERPRISE]["manager"]["displayName"], "New Name",
        "the report's update shows its manager's new name: {}",
        updates[1]
    );
    let groups = updates[2]["data"]["groups"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        groups.iter().any(|v| v["value"] == json!(g)),
        "the update of a user who just joined a group shows the group: {}",
        updates[2]
    );
    assert_eq!(updates[3]["previous_attributes"], json!({"title": "first"}));
    for (event, user, op) in [
        (&updates[0], &m, &ops[0]),
        (&updates[2], &y, &ops[3]),
        (&updates[3], &x, &ops[4]),
    ] {
        let read = get_json(&app, &format!("/Users/{user}")).await;
        assert_eq!(
            event["data"], read,
            "the last update of {user} is the user as read"
        );
        assert_eq!(
            op["version"], read["meta"]["version"],
            "the operation's version is the read's: {op}"
        );
    }
}
