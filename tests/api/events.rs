//! Change events, read back through `GET /api/v1/events`: every event type with its `data` and
//! `previous_attributes`, the envelope (`actor`, `request_id`, `directory`, `occurred_at`), and
//! the writes that must record nothing — those that fail and roll back, and those that change
//! nothing. The feed API itself is in `events_feed.rs`, its ordering in `events_order.rs`.

use reqwest::{Method, StatusCode};
use scimd::store::seed::{SeedOptions, user_attributes, user_id};
use serde_json::{Value, json};

use crate::helpers::{
    ENTERPRISE, GROUP_SCHEMA, TestApp, USER_SCHEMA, event_types, id, patch_body, scim_json,
};

/// The SCIM token `TestApp::spawn` issues.
const SCIM_TOKEN_NAME: &str = "test";

/// The one event of `events`.
fn only(events: Vec<Value>, reason: &str) -> Value {
    assert_eq!(events.len(), 1, "{reason}: one event: {events:?}");
    events.into_iter().next().expect("one event")
}

/// Sends a SCIM request carrying `X-Request-Id: request_id`; asserts `status` and returns the
/// body (`null` when there is none).
async fn send(
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
async fn get_json(app: &TestApp, path: &str) -> Value {
    let resp = app.get(path).await;
    assert_eq!(resp.status(), StatusCode::OK, "GET {path}");
    scim_json(resp).await
}

/// Asserts what every event of a request made with the SCIM token carries: an `evt_` id, the
/// default directory, the token as actor and the request's id.
async fn assert_envelope(app: &TestApp, event: &Value, request_id: &str) {
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
fn previous(before: &Value, changed: &[&str]) -> Value {
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
async fn group_without_members(app: &TestApp, gid: &str) -> Value {
    get_json(app, &format!("/Groups/{gid}?excludedAttributes=members")).await
}

/// A membership event's `data`.
fn membership(gid: &str, group_name: &str, member: &str, kind: &str, display: &str) -> Value {
    json!({
        "group": {"id": gid, "displayName": group_name},
        "member": {"id": member, "type": kind, "display": display},
    })
}

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
async fn creating_a_group_records_group_created_then_one_member_added_per_initial_member() {
    // Arrange
    let app = TestApp::spawn().await;
    let ann = send(
        &app,
        Method::POST,
        "/Users",
        Some(json!({"schemas": [USER_SCHEMA], "userName": "ann", "displayName": "Ann Smith"})),
        "req-arrange",
        StatusCode::CREATED,
    )
    .await;
    let bob = app.create_user("bob").await;
    let nested = app.create_group("Nested", &[]).await;
    let (ann, bob, nested) = (id(&ann), id(&bob), id(&nested));
    let mark = app.feed_end().await;
    let members: Vec<Value> = [&ann, &bob, &nested]
        .iter()
        .map(|m| json!({"value": m}))
        .collect();

    // Act
    let group = send(
        &app,
        Method::POST,
        "/Groups",
        Some(json!({"schemas": [GROUP_SCHEMA], "displayName": "Sales", "members": members})),
        "req-group",
        StatusCode::CREATED,
    )
    .await;

    // Assert
    let gid = id(&group);
    let events = app.events_since(&mark).await;
    assert_eq!(
        event_types(&events),
        [
            "group.created",
            "group.member_added",
            "group.member_added",
            "group.member_added"
        ],
        "{events:?}"
    );
    let mut without_members = group.clone();
    without_members
        .as_object_mut()
        .expect("object")
        .remove("members");
    assert_eq!(events[0]["data"], without_members, "data never has members");
    let mut added: Vec<Value> = events[1..].iter().map(|e| e["data"].clone()).collect();
    added.sort_by_key(|d| d["member"]["display"].to_string());
    assert_eq!(
        added,
        [
            membership(&gid, "Sales", &ann, "User", "Ann Smith"),
            membership(&gid, "Sales", &nested, "Group", "Nested"),
            membership(&gid, "Sales", &bob, "User", "bob"),
        ],
        "a user without displayName is shown by userName"
    );
    for event in &events {
        assert_eq!(event["occurred_at"], group["meta"]["lastModified"]);
        assert_envelope(&app, event, "req-group").await;
    }
}

#[tokio::test]
async fn renaming_a_group_records_group_updated_with_the_old_display_name() {
    let cases = [
        (
            "PATCH replace displayName",
            Method::PATCH,
            patch_body(json!([{"op": "replace", "path": "displayName", "value": "Renamed"}])),
            StatusCode::NO_CONTENT,
        ),
        (
            "PUT with the same members",
            Method::PUT,
            json!({"schemas": [GROUP_SCHEMA], "displayName": "Renamed"}),
            StatusCode::OK,
        ),
    ];
    let app = TestApp::spawn().await;
    let uid = id(&app.create_user("member").await);
    for (n, (reason, method, body, status)) in cases.into_iter().enumerate() {
        // Arrange
        let name = format!("Team {n}");
        let gid = id(&app.create_group(&name, &[&uid]).await);
        let mut body = body;
        if method == Method::PUT {
            body["members"] = json!([{"value": uid}]);
        }
        let mark = app.feed_end().await;

        // Act
        let path = format!("/Groups/{gid}");
        send(&app, method, &path, Some(body), "req-rename", status).await;

        // Assert
        let after = group_without_members(&app, &gid).await;
        let event = only(app.events_since(&mark).await, reason);
        assert_eq!(event["type"], "group.updated", "{reason}");
        assert_eq!(event["data"], after, "{reason}");
        assert_eq!(
            event["previous_attributes"],
            json!({"displayName": name}),
            "{reason}"
        );
        assert_eq!(
            event["occurred_at"], after["meta"]["lastModified"],
            "{reason}"
        );
        assert_envelope(&app, &event, "req-rename").await;
    }
}

#[tokio::test]
async fn putting_a_group_records_group_updated_and_its_member_changes() {
    // Arrange
    let app = TestApp::spawn().await;
    let ann = id(&app.create_user("ann").await);
    let bob = id(&app.create_user("bob").await);
    let cid = id(&app.create_user("cid").await);
    let gid = id(&app.create_group("Team", &[&ann, &bob]).await);
    let mark = app.feed_end().await;
    let body = json!({
        "schemas": [GROUP_SCHEMA], "displayName": "Renamed",
        "members": [{"value": bob}, {"value": cid}],
    });

    // Act
    let path = format!("/Groups/{gid}");
    send(
        &app,
        Method::PUT,
        &path,
        Some(body),
        "req-put",
        StatusCode::OK,
    )
    .await;

    // Assert: bob stays and records nothing.
    let after = group_without_members(&app, &gid).await;
    let events = app.events_since(&mark).await;
    assert_eq!(
        event_types(&events),
        [
            "group.updated",
            "group.member_added",
            "group.member_removed"
        ],
        "{events:?}"
    );
    assert_eq!(events[0]["data"], after);
    assert_eq!(
        events[0]["previous_attributes"],
        json!({"displayName": "Team"})
    );
    assert_eq!(
        events[1]["data"],
        membership(&gid, "Renamed", &cid, "User", "cid")
    );
    assert_eq!(
        events[2]["data"],
        membership(&gid, "Renamed", &ann, "User", "ann")
    );
    for event in &events {
        assert_eq!(event["occurred_at"], after["meta"]["lastModified"]);
        assert_envelope(&app, event, "req-put").await;
    }
}

#[tokio::test]
async fn member_patches_record_one_event_per_member_that_joined_or_left() {
    let app = TestApp::spawn().await;
    let mut users = Vec::new();
    for n in 0..3 {
        users.push(id(&app.create_user(&format!("user{n}")).await));
    }
    let u = &users;
    /// Indexes into `users`.
    type Members = &'static [usize];
    let cases: [(&str, Members, Value, Members, Members); 7] = [
        (
            "add two members",
            &[],
            json!([{"op": "add", "path": "members", "value": [{"value": u[0]}, {"value": u[1]}]}]),
            &[0, 1],
            &[],
        ),
        (
            "add to a group that has members",
            &[0],
            json!([{"op": "add", "path": "members", "value": [{"value": u[1]}]}]),
            &[1],
            &[],
        ),
        (
            "remove with a value filter (Okta, Entra ID)",
            &[0, 1],
            json!([{"op": "remove", "path": format!("members[value eq \"{}\"]", u[0])}]),
            &[],
            &[0],
        ),
        (
            "remove with a value list (Entra ID)",
            &[0, 1, 2],
            json!([{"op": "remove", "path": "members", "value": [{"value": u[0]}, {"value": u[2]}]}]),
            &[],
            &[0, 2],
        ),
        (
            "remove all members",
            &[0, 1],
            json!([{"op": "remove", "path": "members"}]),
            &[],
            &[0, 1],
        ),
        (
            "replace members: a member kept records nothing",
            &[0, 1],
            json!([{"op": "replace", "path": "members", "value": [{"value": u[1]}, {"value": u[2]}]}]),
            &[2],
            &[0],
        ),
        (
            "replace without a path",
            &[0],
            json!([{"op": "replace", "value": {"members": [{"value": u[1]}]}}]),
            &[1],
            &[0],
        ),
    ];
    for (n, (reason, initial, ops, added, removed)) in cases.into_iter().enumerate() {
        // Arrange
        let name = format!("Group {n}");
        let initial: Vec<&str> = initial.iter().map(|&i| users[i].as_str()).collect();
        let gid = id(&app.create_group(&name, &initial).await);
        let mark = app.feed_end().await;

        // Act
        let path = format!("/Groups/{gid}");
        let body = patch_body(ops);
        send(
            &app,
            Method::PATCH,
            &path,
            Some(body),
            "req-members",
            StatusCode::NO_CONTENT,
        )
        .await;

        // Assert
        let events = app.events_since(&mark).await;
        let mut got: Vec<(String, Value)> = events
            .iter()
            .map(|e| {
                (
                    e["type"].as_str().expect("type").to_owned(),
                    e["data"].clone(),
                )
            })
            .collect();
        got.sort_by_key(|(t, d)| (t.clone(), d["member"]["display"].to_string()));
        let expected: Vec<(String, Value)> = added
            .iter()
            .map(|&i| ("group.member_added", i))
            .chain(removed.iter().map(|&i| ("group.member_removed", i)))
            .map(|(t, i)| {
                let display = format!("user{i}");
                (
                    t.to_owned(),
                    membership(&gid, &name, &users[i], "User", &display),
                )
            })
            .collect();
        assert_eq!(got, expected, "{reason}");
        let after = get_json(&app, &path).await;
        for event in &events {
            assert!(event.get("previous_attributes").is_none(), "{reason}");
            assert_eq!(
                event["occurred_at"], after["meta"]["lastModified"],
                "{reason}"
            );
            assert_envelope(&app, event, "req-members").await;
        }
    }
}

#[tokio::test]
async fn adding_500_members_in_one_patch_records_exactly_500_member_added_events() {
    // Arrange: 500 users seeded through the store, which records no events.
    const MEMBERS: u64 = 500;
    let app = TestApp::spawn().await;
    let options = SeedOptions {
        users: MEMBERS,
        groups: 0,
        group_size: 0,
        large_group_size: None,
        seed: 7,
        append: false,
    };
    scimd::store::seed::seed(&app.state.db, &options, &mut |_| {})
        .await
        .expect("seed users");
    let gid = id(&app.create_group("Everyone", &[]).await);
    let mark = app.feed_end().await;
    let members: Vec<Value> = (1..=MEMBERS)
        .map(|n| json!({"value": user_id(7, n)}))
        .collect();

    // Act
    let body = patch_body(json!([{"op": "add", "path": "members", "value": members}]));
    send(
        &app,
        Method::PATCH,
        &format!("/Groups/{gid}"),
        Some(body),
        "req-500",
        StatusCode::NO_CONTENT,
    )
    .await;

    // Assert
    let events = app.events_since(&mark).await;
    assert_eq!(events.len(), MEMBERS as usize);
    let mut got: Vec<Value> = events
        .iter()
        .inspect(|e| assert_eq!(e["type"], "group.member_added", "{e}"))
        .map(|e| e["data"].clone())
        .collect();
    got.sort_by_key(|d| d["member"]["id"].to_string());
    let mut expected: Vec<Value> = (1..=MEMBERS)
        .map(|n| {
            let display = user_attributes(7, n)["displayName"].clone();
            let display = display.as_str().expect("displayName");
            membership(&gid, "Everyone", &user_id(7, n), "User", display)
        })
        .collect();
    expected.sort_by_key(|d| d["member"]["id"].to_string());
    assert_eq!(got, expected);
}

#[tokio::test]
async fn deleting_a_group_records_its_departure_from_parent_groups_then_group_deleted() {
    // Arrange
    let app = TestApp::spawn().await;
    let inner = id(&app.create_user("inner").await);
    let outer = id(&app.create_user("outer").await);
    let child = id(&app.create_group("Child", &[&inner]).await);
    let parent = id(&app.create_group("Parent", &[&child, &outer]).await);
    let before = group_without_members(&app, &child).await;
    let mark = app.feed_end().await;

    // Act
    let path = format!("/Groups/{child}");
    send(
        &app,
        Method::DELETE,
        &path,
        None,
        "req-gdel",
        StatusCode::NO_CONTENT,
    )
    .await;

    // Assert: the group's own members record nothing; group.deleted says they all left.
    let events = app.events_since(&mark).await;
    assert_eq!(
        event_types(&events),
        ["group.member_removed", "group.deleted"],
        "{events:?}"
    );
    assert_eq!(
        events[0]["data"],
        membership(&parent, "Parent", &child, "Group", "Child")
    );
    assert_eq!(
        events[1]["data"], before,
        "the group as it was, without members"
    );
    for event in &events {
        assert_envelope(&app, event, "req-gdel").await;
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
            "a group PATCH adding a known and an unknown member",
            Method::PATCH,
            group_path.clone(),
            Some(patch_body(
                json!([{"op": "add", "path": "members", "value": [{"value": bob}, {"value": unknown}]}]),
            )),
            &[],
            StatusCode::BAD_REQUEST,
        ),
        (
            "a group PATCH renaming and adding an unknown member",
            Method::PATCH,
            group_path.clone(),
            Some(patch_body(json!([
                {"op": "replace", "path": "displayName", "value": "Renamed"},
                {"op": "add", "path": "members", "value": [{"value": unknown}]},
            ]))),
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
    assert_eq!(crate::helpers::sorted_values(&group, "members"), [ann]);
}
