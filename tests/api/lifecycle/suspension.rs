//! Local suspension: the application's own state, independent of the identity provider's
//! `active`, which the provider's updates do not lift.

use serde_json::json;

use super::{DIR, detail, person, types_since};
use crate::helpers::{TestApp, assert_api_error, patch_body};

#[tokio::test]
async fn a_suspended_user_stays_suspended_through_the_providers_updates() {
    // Arrange
    let app = TestApp::spawn().await;
    let id = person(&app, "sam", "Sam", "Vo", &[]).await;
    let cursor = app.feed_end().await;

    // Act
    let shown = app
        .admin_post(
            &format!("{DIR}/users/{id}/suspend"),
            json!({"reason": "laptop stolen"}),
            200,
        )
        .await;
    let deactivate = patch_body(json!([{"op": "replace", "path": "active", "value": false}]));
    let reactivate = patch_body(json!([{"op": "replace", "path": "active", "value": true}]));
    assert_eq!(
        app.patch(&format!("/Users/{id}"), deactivate)
            .await
            .status(),
        200
    );
    assert_eq!(
        app.patch(&format!("/Users/{id}"), reactivate)
            .await
            .status(),
        200
    );

    // Assert
    assert_eq!(shown["state"], json!("suspended"), "{shown}");
    assert_eq!(shown["suspension"]["reason"], json!("laptop stolen"));
    let now = detail(&app, &id).await;
    assert_eq!(now["state"], json!("suspended"), "{now}");
    assert_eq!(
        now["scim"]["active"],
        json!(true),
        "SCIM shows what the provider sent"
    );
    let events = app.events_since(&cursor).await;
    assert_eq!(events[0]["type"], json!("user.suspended"));
    assert_eq!(events[0]["data"]["reason"], json!("laptop stolen"));
    let listed = app
        .admin_get(&format!("{DIR}/users"), &[("state", "suspended")])
        .await;
    assert_eq!(listed["data"][0]["id"], json!(id));
}

#[tokio::test]
async fn unsuspending_returns_the_user_to_the_providers_state() {
    // Arrange
    let app = TestApp::spawn().await;
    let id = person(&app, "ida", "Ida", "Ek", &[]).await;
    app.admin_post(
        &format!("{DIR}/users/{id}/suspend"),
        json!({"reason": "audit"}),
        200,
    )
    .await;
    let off = patch_body(json!([{"op": "replace", "path": "active", "value": false}]));
    app.patch(&format!("/Users/{id}"), off).await;
    let cursor = app.feed_end().await;

    // Act
    let shown = app
        .admin_post(&format!("{DIR}/users/{id}/unsuspend"), json!({}), 200)
        .await;
    // Unsuspending again changes nothing.
    app.admin_post(&format!("{DIR}/users/{id}/unsuspend"), json!({}), 200)
        .await;

    // Assert
    assert_eq!(shown["state"], json!("inactive"), "{shown}");
    assert!(shown.get("suspension").is_none());
    assert_eq!(types_since(&app, &cursor).await, ["user.unsuspended"]);
}

#[tokio::test]
async fn suspending_an_unknown_user_is_not_found_and_a_bad_body_is_refused() {
    let app = TestApp::spawn().await;
    let unknown = uuid::Uuid::new_v4();
    let resp = app
        .admin_request(
            reqwest::Method::POST,
            &format!("{DIR}/users/{unknown}/suspend"),
            Some(json!({})),
        )
        .await;
    assert_api_error(resp, 404, "not_found").await;
    let id = person(&app, "eve", "Eve", "Ox", &[]).await;
    let long = "x".repeat(1001);
    let resp = app
        .admin_request(
            reqwest::Method::POST,
            &format!("{DIR}/users/{id}/suspend"),
            Some(json!({"reason": long})),
        )
        .await;
    assert_api_error(resp, 400, "invalid_parameter").await;
    assert_eq!(detail(&app, &id).await["state"], json!("active"));
}
