//! Writes that record no event: requests that fail and roll back, and writes that change
//! nothing.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::get_json;
use crate::helpers::{GROUP_SCHEMA, TestApp, USER_SCHEMA, id, patch_body, sorted_values};

#[tokio::test]
async fn requests_that_fail_roll_back_and_record_nothing() {
    // Arrange
    let app = TestApp::spawn().await;
    let ann = id(&app.create_user("ann").await);
    let bob = id(&app.create_user("bob").await);
    let gid = id(&app.create_group("Sales", &[&ann]).await);
    let user_path = format!("/Users/{ann}");
    let group_path = format!("/Groups/{gid}");
    let unknown = uuid::Uuid::new_v4().to_string();
    let stale = [("If-Match", "W/\"999\"")];
    let cases = [
        (
            "a PATCH whose second operation fails",
            Method::PATCH,
            user_path.clone(),
            Some(patch_body(json!([
                {"op": "replace", "path": "title", "value": "Manager"},
                {"op": "remove", "path": "userName"},
            ]))),
            &[][..],
            StatusCode::BAD_REQUEST,
        ),
        (
            "a PATCH with a stale If-Match",
            Method::PATCH,
            user_path.clone(),
            Some(patch_body(
                json!([{"op": "replace", "path": "title", "value": "Manager"}]),
            )),
            &stale,
            StatusCode::PRECONDITION_FAILED,
        ),
        (
            "a DELETE of a group member with a stale If-Match",
            Method::DELETE,
            user_path.clone(),
            None,
            &stale,
            StatusCode::PRECONDITION_FAILED,
        ),
        (
            "a PATCH taking another user's userName",
            Method::PATCH,
            user_path.clone(),
            Some(patch_body(
                json!([{"op": "replace", "path": "userName", "value": "BOB"}]),
            )),
            &[],
            StatusCode::CONFLICT,
        ),
        (
            "a POST of a userName that exists",
            Method::POST,
            "/Users".to_owned(),
            Some(json!({"schemas": [USER_SCHEMA], "userName": "ann"})),
            &[],
            StatusCode::CONFLICT,
        ),
        (
            "a group PATCH replacing the members with a known and an unknown one",
            Method::PATCH,
            group_path.clone(),
            Some(patch_body(
                json!([{"op": "replace", "path": "members", "value": [{"value": bob}, {"value": unknown}]}]),
            )),
            &[],
            StatusCode::BAD_REQUEST,
        ),
        (
            "a group PATCH renaming and adding the group to itself",
            Method::PATCH,
            group_path.clone(),
            Some(patch_body(json!([
                {"op": "replace", "path": "displayName", "value": "Renamed"},
                {"op": "add", "path": "members", "value": [{"value": bob}, {"value": gid}]},
            ]))),
            &[],
            StatusCode::BAD_REQUEST,
        ),
        (
            "a group PUT with an unknown member",
            Method::PUT,
            group_path.clone(),
            Some(
                json!({"schemas": [GROUP_SCHEMA], "displayName": "Renamed", "members": [{"value": bob}, {"value": unknown}]}),
            ),
            &[],
            StatusCode::BAD_REQUEST,
        ),
        (
            "a group POST with an unknown member",
            Method::POST,
            "/Groups".to_owned(),
            Some(
                json!({"schemas": [GROUP_SCHEMA], "displayName": "New", "members": [{"value": bob}, {"value": unknown}]}),
            ),
            &[],
            StatusCode::BAD_REQUEST,
        ),
    ];
    for (reason, method, path, body, headers, status) in cases {
        let mark = app.feed_end().await;

        // Act
        let resp = app.request_with(method, &path, body, headers).await;

        // Assert
        assert_eq!(resp.status(), status, "{reason}");
        let recorded = app.events_since(&mark).await;
        assert!(recorded.is_empty(), "{reason}: {recorded:?}");
        assert_eq!(app.feed_end().await, mark, "{reason}");
    }
}

#[tokio::test]
async fn writes_that_change_nothing_record_nothing() {
    // Arrange
    let app = TestApp::spawn().await;
    let ann = id(&app.create_user("ann").await);
    let bob = id(&app.create_user("bob").await);
    let gid = id(&app.create_group("Sales", &[&ann]).await);
    let user_path = format!("/Users/{ann}");
    let group_path = format!("/Groups/{gid}");
    let user = get_json(&app, &user_path).await;
    let cases = [
        (
            "a PATCH setting the value a user has",
            user_path.clone(),
            Method::PATCH,
            patch_body(json!([{"op": "replace", "path": "userName", "value": "ann"}])),
        ),
        (
            "a PUT of the user as it is",
            user_path.clone(),
            Method::PUT,
            user.clone(),
        ),
        (
            "a PATCH renaming a group to its name",
            group_path.clone(),
            Method::PATCH,
            patch_body(json!([{"op": "replace", "path": "displayName", "value": "Sales"}])),
        ),
        (
            "adding a member the group has",
            group_path.clone(),
            Method::PATCH,
            patch_body(json!([{"op": "add", "path": "members", "value": [{"value": ann}]}])),
        ),
        (
            "adding only a member that does not exist (skipped, see groups.rs)",
            group_path.clone(),
            Method::PATCH,
            patch_body(
                json!([{"op": "add", "path": "members", "value": [{"value": uuid::Uuid::new_v4().to_string()}]}]),
            ),
        ),
        (
            "removing a member the group does not have",
            group_path.clone(),
            Method::PATCH,
            patch_body(json!([{"op": "remove", "path": format!("members[value eq \"{bob}\"]")}])),
        ),
        (
            "adding then removing one member in one PATCH",
            group_path.clone(),
            Method::PATCH,
            patch_body(json!([
                {"op": "add", "path": "members", "value": [{"value": bob}]},
                {"op": "remove", "path": format!("members[value eq \"{bob}\"]")},
            ])),
        ),
        (
            "removing then adding back one member in one PATCH",
            group_path.clone(),
            Method::PATCH,
            patch_body(json!([
                {"op": "remove", "path": format!("members[value eq \"{ann}\"]")},
                {"op": "add", "path": "members", "value": [{"value": ann}]},
            ])),
        ),
        (
            "replacing the members with the same members",
            group_path.clone(),
            Method::PATCH,
            patch_body(json!([{"op": "replace", "path": "members", "value": [{"value": ann}]}])),
        ),
    ];
    for (reason, path, method, body) in cases {
        let mark = app.feed_end().await;

        // Act
        let resp = app.request(method, &path, Some(body)).await;

        // Assert
        assert!(resp.status().is_success(), "{reason}: {}", resp.status());
        let recorded = app.events_since(&mark).await;
        assert!(recorded.is_empty(), "{reason}: {recorded:?}");
    }
    let group = get_json(&app, &group_path).await;
    assert_eq!(sorted_values(&group, "members"), [ann]);
}
