//! The events of group writes: `group.created`, `group.updated`, `group.deleted`, and one
//! `group.member_added` / `group.member_removed` per member that joins or leaves.

use reqwest::{Method, StatusCode};
use scimd::store::seed::{SeedOptions, user_attributes, user_id};
use serde_json::{Value, json};

use super::{assert_envelope, get_json, group_without_members, membership, only, send};
use crate::helpers::{GROUP_SCHEMA, TestApp, USER_SCHEMA, event_types, id, patch_body};

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
    let unknown = uuid::Uuid::new_v4().to_string();
    /// Indexes into `users`.
    type Members = &'static [usize];
    let cases: [(&str, Members, Value, Members, Members); 9] = [
        (
            "add two members",
            &[],
            json!([{"op": "add", "path": "members", "value": [{"value": u[0]}, {"value": u[1]}]}]),
            &[0, 1],
            &[],
        ),
        (
            "add members one of which does not exist: only the others join",
            &[],
            json!([{"op": "add", "path": "members", "value": [{"value": u[0]}, {"value": unknown}, {"value": u[1]}]}]),
            &[0, 1],
            &[],
        ),
        (
            "add without a path, with a member that does not exist (Entra ID's form)",
            &[2],
            json!([{"op": "Add", "value": {"members": [{"value": unknown}, {"value": u[1]}]}}]),
            &[1],
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
        statistics: true,
        tenant: "default".into(),
        users: MEMBERS,
        groups: 0,
        group_size: 0,
        large_group_size: None,
        seed: 7,
        append: false,
        events: 0,
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
