//! The events of user writes: `user.created`, `user.updated`, `user.deactivated`,
//! `user.reactivated`, `user.deleted` (with a `group.member_removed` per group left), and the
//! request id every event carries.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{assert_envelope, get_json, membership, only, previous, send};
use crate::helpers::{ENTERPRISE, TestApp, USER_SCHEMA, event_types, id, patch_body};

#[tokio::test]
async fn creating_a_user_records_user_created_with_the_user_as_scim_returns_it_but_no_password() {
    // Arrange
    let app = TestApp::spawn().await;
    let mark = app.feed_end().await;
    let body = json!({
        "schemas": [USER_SCHEMA],
        "userName": "bjensen",
        "password": "t1meMa$heen",
        "name": {"givenName": "Barbara", "familyName": "Jensen"},
        "emails": [{"value": "bjensen@example.com", "type": "work", "primary": true}],
        "active": true,
    });

    // Act
    let user = send(
        &app,
        Method::POST,
        "/Users",
        Some(body),
        "req-create",
        StatusCode::CREATED,
    )
    .await;

    // Assert
    let event = only(app.events_since(&mark).await, "create");
    assert_eq!(event["type"], "user.created");
    assert_eq!(event["data"], user, "data is the user as SCIM returns it");
    assert!(event["data"].get("password").is_none(), "{event}");
    assert!(!event.to_string().contains("t1meMa$heen"), "{event}");
    assert!(event.get("previous_attributes").is_none(), "{event}");
    assert_eq!(event["occurred_at"], user["meta"]["lastModified"]);
    assert_envelope(&app, &event, "req-create").await;
}

#[tokio::test]
async fn updating_a_user_records_user_updated_with_the_old_values_of_changed_attributes_only() {
    let replace_all = json!({
        "schemas": [USER_SCHEMA], "userName": "bjensen", "displayName": "Barbara Jensen",
        "name": {"givenName": "Barbara", "familyName": "Jensen"}, "active": true,
    });
    let cases = [
        (
            "PATCH replaces a value",
            Method::PATCH,
            patch_body(json!([{"op": "replace", "path": "title", "value": "Manager"}])),
            &["title"][..],
        ),
        (
            "PATCH adds an attribute that had no value: its old value is null",
            Method::PATCH,
            patch_body(json!([{"op": "add", "path": "nickName", "value": "bj"}])),
            &["nickName"],
        ),
        (
            "PATCH removes an attribute",
            Method::PATCH,
            patch_body(json!([{"op": "remove", "path": "title"}])),
            &["title"],
        ),
        (
            "PATCH of a sub-attribute lists the whole top-level attribute",
            Method::PATCH,
            patch_body(json!([{"op": "replace", "path": "name.givenName", "value": "Babs"}])),
            &["name"],
        ),
        (
            "PATCH without a path, two attributes",
            Method::PATCH,
            patch_body(json!([{"op": "replace", "value": {"title": "CTO", "nickName": "bj"}}])),
            &["title", "nickName"],
        ),
        (
            "PUT: attributes left out are cleared",
            Method::PUT,
            replace_all,
            &["displayName", "title"],
        ),
        (
            "PATCH of an extension attribute lists the extension",
            Method::PATCH,
            patch_body(
                json!([{"op": "add", "path": format!("{ENTERPRISE}:department"), "value": "Sales"}]),
            ),
            &[ENTERPRISE],
        ),
        (
            "PATCH setting a password and a title: the password is never shown",
            Method::PATCH,
            patch_body(json!([
                {"op": "replace", "path": "password", "value": "n3w-Secret!"},
                {"op": "replace", "path": "title", "value": "Manager"},
            ])),
            &["title"],
        ),
    ];
    let app = TestApp::spawn().await;
    for (n, (reason, method, body, changed)) in cases.into_iter().enumerate() {
        // Arrange
        let before = send(
            &app,
            Method::POST,
            "/Users",
            Some(json!({
                "schemas": [USER_SCHEMA], "userName": format!("bjensen{n}"), "displayName": "Babs",
                "title": "Engineer", "name": {"givenName": "Barbara", "familyName": "Jensen"},
                "active": true,
            })),
            "req-arrange",
            StatusCode::CREATED,
        )
        .await;
        let mut body = body;
        if method == Method::PUT {
            body["userName"] = before["userName"].clone();
        }
        let mark = app.feed_end().await;

        // Act
        let path = format!("/Users/{}", id(&before));
        let after = send(
            &app,
            method,
            &path,
            Some(body),
            "req-update",
            StatusCode::OK,
        )
        .await;

        // Assert
        let event = only(app.events_since(&mark).await, reason);
        assert_eq!(event["type"], "user.updated", "{reason}");
        assert_eq!(event["data"], after, "{reason}: data is the user after");
        assert_eq!(
            event["previous_attributes"],
            previous(&before, changed),
            "{reason}"
        );
        assert_eq!(
            event["occurred_at"], after["meta"]["lastModified"],
            "{reason}"
        );
        assert!(!event.to_string().contains("n3w-Secret!"), "{reason}");
        assert_envelope(&app, &event, "req-update").await;
    }
}

#[tokio::test]
async fn disabling_and_enabling_a_user_records_user_deactivated_and_user_reactivated() {
    let replace =
        |value: Value| patch_body(json!([{"op": "replace", "path": "active", "value": value}]));
    let cases = [
        (
            "PATCH active false",
            Some(json!(true)),
            Method::PATCH,
            replace(json!(false)),
            "user.deactivated",
        ),
        (
            "Entra ID's string \"False\"",
            Some(json!(true)),
            Method::PATCH,
            replace(json!("False")),
            "user.deactivated",
        ),
        (
            "Entra ID's PATCH without a path",
            Some(json!(true)),
            Method::PATCH,
            patch_body(json!([{"op": "Replace", "value": {"active": "False"}}])),
            "user.deactivated",
        ),
        (
            "a user created without active counts as enabled",
            None,
            Method::PATCH,
            replace(json!(false)),
            "user.deactivated",
        ),
        (
            "PUT with active false",
            Some(json!(true)),
            Method::PUT,
            json!({"schemas": [USER_SCHEMA], "active": false}),
            "user.deactivated",
        ),
        (
            "PATCH active true",
            Some(json!(false)),
            Method::PATCH,
            replace(json!(true)),
            "user.reactivated",
        ),
        (
            "Entra ID's string \"True\"",
            Some(json!(false)),
            Method::PATCH,
            replace(json!("True")),
            "user.reactivated",
        ),
        (
            "removing active enables",
            Some(json!(false)),
            Method::PATCH,
            patch_body(json!([{"op": "remove", "path": "active"}])),
            "user.reactivated",
        ),
    ];
    let app = TestApp::spawn().await;
    for (n, (reason, active, method, body, expected)) in cases.into_iter().enumerate() {
        // Arrange
        let user_name = format!("user{n}");
        let mut create = json!({"schemas": [USER_SCHEMA], "userName": user_name});
        if let Some(active) = active {
            create["active"] = active;
        }
        let before = send(
            &app,
            Method::POST,
            "/Users",
            Some(create),
            "req-arrange",
            StatusCode::CREATED,
        )
        .await;
        let mut body = body;
        if method == Method::PUT {
            body["userName"] = json!(user_name);
        }
        let mark = app.feed_end().await;

        // Act
        let path = format!("/Users/{}", id(&before));
        let after = send(
            &app,
            method,
            &path,
            Some(body),
            "req-active",
            StatusCode::OK,
        )
        .await;

        // Assert
        let event = only(app.events_since(&mark).await, reason);
        assert_eq!(event["type"], expected, "{reason}");
        assert_eq!(event["data"], after, "{reason}");
        assert_eq!(
            event["previous_attributes"],
            previous(&before, &["active"]),
            "{reason}"
        );
        assert_envelope(&app, &event, "req-active").await;
    }
}

#[tokio::test]
async fn deleting_a_user_records_one_member_removed_per_group_then_user_deleted() {
    // Arrange
    let app = TestApp::spawn().await;
    let user = send(
        &app,
        Method::POST,
        "/Users",
        Some(json!({"schemas": [USER_SCHEMA], "userName": "bjensen", "displayName": "Babs"})),
        "req-arrange",
        StatusCode::CREATED,
    )
    .await;
    let uid = id(&user);
    let other = id(&app.create_user("other").await);
    let sales = id(&app.create_group("Sales", &[&uid, &other]).await);
    let support = id(&app.create_group("Support", &[&uid]).await);
    let path = format!("/Users/{uid}");
    let before = get_json(&app, &path).await;
    let mark = app.feed_end().await;

    // Act
    send(
        &app,
        Method::DELETE,
        &path,
        None,
        "req-delete",
        StatusCode::NO_CONTENT,
    )
    .await;

    // Assert
    let events = app.events_since(&mark).await;
    assert_eq!(
        event_types(&events),
        [
            "group.member_removed",
            "group.member_removed",
            "user.deleted"
        ],
        "{events:?}"
    );
    let mut removed: Vec<Value> = events[..2].iter().map(|e| e["data"].clone()).collect();
    removed.sort_by_key(|d| d["group"]["displayName"].to_string());
    assert_eq!(
        removed,
        [
            membership(&sales, "Sales", &uid, "User", "Babs"),
            membership(&support, "Support", &uid, "User", "Babs"),
        ]
    );
    assert_eq!(events[2]["data"], before, "the user as it was");
    let touched = get_json(&app, &format!("/Groups/{sales}")).await;
    for event in &events {
        assert!(event.get("previous_attributes").is_none(), "{event}");
        assert_eq!(event["occurred_at"], touched["meta"]["lastModified"]);
        assert_envelope(&app, event, "req-delete").await;
    }
}

#[tokio::test]
async fn a_request_without_a_usable_x_request_id_gets_one_generated_echoed_and_recorded() {
    let too_long = "x".repeat(201);
    let cases = [
        (None, "none sent"),
        (Some(too_long.as_str()), "longer than 200 characters"),
        (Some("two words"), "not printable ASCII without spaces"),
        (Some(""), "empty"),
    ];
    let app = TestApp::spawn().await;
    for (n, (sent, reason)) in cases.into_iter().enumerate() {
        // Arrange
        let mark = app.feed_end().await;
        let headers: Vec<(&str, &str)> = sent.map(|v| ("X-Request-Id", v)).into_iter().collect();

        // Act
        let body = json!({"schemas": [USER_SCHEMA], "userName": format!("user{n}")});
        let resp = app
            .request_with(Method::POST, "/Users", Some(body), &headers)
            .await;

        // Assert
        assert_eq!(resp.status(), StatusCode::CREATED, "{reason}");
        let echoed = resp
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .expect("X-Request-Id in the response")
            .to_owned();
        assert!(
            uuid::Uuid::try_parse(&echoed).is_ok(),
            "{reason}: a UUID: {echoed}"
        );
        let event = only(app.events_since(&mark).await, reason);
        assert_eq!(event["request_id"], echoed, "{reason}");
    }
}
