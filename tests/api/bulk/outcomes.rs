//! What a bulk request changes: each operation applies fully or not at all, records exactly the
//! events of its single request (with the request's actor and id), `failOnErrors` stops the run
//! after that many failures, `version` is each operation's `If-Match`; and an HR system's
//! typical request.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{assert_failed, located_id, post_user, statuses, users_named};
use crate::events::{assert_envelope, get_json, membership, send};
use crate::helpers::{
    ENTERPRISE, GROUP_SCHEMA, TestApp, USER_SCHEMA, bulk_body, event_types, id, patch_body,
    sorted_values,
};

#[tokio::test]
async fn an_hr_request_creates_employees_with_their_manager_and_their_group_with_every_event() {
    // Arrange: an HR system's request: the manager, two reports naming her by bulkId, and their
    // department's group with all three.
    let app = TestApp::spawn().await;
    let employee = |bulk_id: &str, name: &str, manager: Option<&str>| {
        let mut enterprise = json!({"employeeNumber": bulk_id, "department": "R&D"});
        if let Some(m) = manager {
            enterprise["manager"] = json!({"value": format!("bulkId:{m}")});
        }
        json!({"method": "POST", "path": "/Users", "bulkId": bulk_id, "data": {
            "schemas": [USER_SCHEMA, ENTERPRISE], "userName": format!("{name}@example.com"),
            "name": {"givenName": name, "familyName": "Example"}, "active": true,
            ENTERPRISE: enterprise}})
    };
    let request = bulk_body(json!([
        employee("e2", "dev", Some("e1")),
        employee("e1", "lead", None),
        employee("e3", "ops", Some("e1")),
        {"method": "POST", "path": "/Groups", "bulkId": "rnd", "data": {
            "schemas": [GROUP_SCHEMA], "displayName": "R&D",
            "members": [{"value": "bulkId:e1"}, {"value": "bulkId:e2"}, {"value": "bulkId:e3"}]}},
    ]));
    let before = app.feed_end().await;

    // Act
    let answer = send(
        &app,
        Method::POST,
        "/Bulk",
        Some(request),
        "hr-sync-1",
        StatusCode::OK,
    )
    .await;

    // Assert: the resources.
    let ops = answer["Operations"].as_array().expect("Operations");
    assert_eq!(statuses(ops), ["201", "201", "201", "201"]);
    let (dev, lead, ops_user, group) = (
        located_id(&ops[0]),
        located_id(&ops[1]),
        located_id(&ops[2]),
        located_id(&ops[3]),
    );
    for report in [&dev, &ops_user] {
        let read = get_json(&app, &format!("/Users/{report}")).await;
        assert_eq!(read[ENTERPRISE]["manager"]["value"], json!(lead), "{read}");
    }
    let read = get_json(&app, &format!("/Groups/{group}")).await;
    let mut members = vec![dev.clone(), lead.clone(), ops_user.clone()];
    members.sort();
    assert_eq!(sorted_values(&read, "members"), members);

    // Assert: the events of the four single requests, in the order they ran, each with the
    // request's actor and id.
    let events = app.events_since(&before).await;
    assert_eq!(
        event_types(&events),
        [
            "user.created",
            "user.created",
            "user.created",
            "group.created",
            "group.member_added",
            "group.member_added",
            "group.member_added",
        ]
    );
    let created: Vec<&Value> = events[..3].iter().map(|e| &e["data"]["id"]).collect();
    assert_eq!(created, [&json!(lead), &json!(dev), &json!(ops_user)]);
    for event in &events {
        assert_envelope(&app, event, "hr-sync-1").await;
    }
    let added: Vec<Value> = events[4..].iter().map(|e| e["data"].clone()).collect();
    for (member, name) in [(&lead, "lead"), (&dev, "dev"), (&ops_user, "ops")] {
        let expected = membership(
            &group,
            "R&D",
            member,
            "User",
            &format!("{name}@example.com"),
        );
        assert!(added.contains(&expected), "{expected} in {added:?}");
    }
}

#[tokio::test]
async fn a_failed_operation_leaves_nothing_behind_and_records_no_event() {
    // Arrange: a group whose member does not exist (refused after its row was inserted), a
    // taken userName (refused by the insert), a PATCH whose second operation is refused after
    // the first applied, and one operation that succeeds.
    let app = TestApp::spawn().await;
    let kept = app.create_user("kept").await;
    let kept_path = format!("/Users/{}", id(&kept));
    let missing = uuid::Uuid::new_v4().to_string();
    let request = bulk_body(json!([
        {"method": "POST", "path": "/Groups", "bulkId": "g", "data": {
            "schemas": [GROUP_SCHEMA], "displayName": "Half", "members": [{"value": missing}]}},
        post_user("dup", "kept"),
        {"method": "PATCH", "path": kept_path, "data": patch_body(json!([
            {"op": "replace", "path": "title", "value": "Changed"},
            {"op": "remove", "path": "userName"}]))},
        post_user("ok", "fine"),
    ]));
    let before = app.feed_end().await;

    // Act
    let ops = app.bulk(request).await;

    // Assert
    assert_failed(&ops[0], 400, Some("invalidValue"));
    assert_failed(&ops[1], 409, Some("uniqueness"));
    assert_failed(&ops[2], 400, Some("invalidValue"));
    assert_eq!(ops[3]["status"], "201");
    let list = app.list("/Groups", r#"displayName eq "Half""#).await;
    assert_eq!(
        list["totalResults"],
        json!(0),
        "the group's insert was rolled back"
    );
    assert_eq!(
        get_json(&app, &kept_path).await,
        kept,
        "the PATCH changed nothing"
    );
    let events = app.events_since(&before).await;
    assert_eq!(event_types(&events), ["user.created"]);
    assert_eq!(events[0]["data"]["id"], json!(located_id(&ops[3])));
}

#[tokio::test]
async fn operations_that_shared_a_transaction_with_a_failure_are_applied_once_in_order() {
    // Arrange: the failure comes after two successes and before a third, in one transaction.
    let app = TestApp::spawn().await;
    let missing = uuid::Uuid::new_v4().to_string();
    let request = bulk_body(json!([
        post_user("a", "first"),
        post_user("b", "second"),
        {"method": "POST", "path": "/Groups", "bulkId": "g", "data": {
            "schemas": [GROUP_SCHEMA], "displayName": "Broken", "members": [{"value": missing}]}},
        post_user("c", "third"),
    ]));
    let before = app.feed_end().await;

    // Act
    let ops = app.bulk(request).await;

    // Assert
    assert_eq!(statuses(&ops), ["201", "201", "400", "201"]);
    let events = app.events_since(&before).await;
    assert_eq!(event_types(&events), ["user.created"; 3]);
    let names: Vec<&Value> = events.iter().map(|e| &e["data"]["userName"]).collect();
    assert_eq!(names, ["first", "second", "third"]);
    for (op, event) in [&ops[0], &ops[1], &ops[3]].into_iter().zip(&events) {
        assert_eq!(
            event["data"]["id"],
            json!(located_id(op)),
            "the ids the response gave"
        );
    }
}

#[tokio::test]
async fn fail_on_errors_stops_exactly_after_that_many_failures() {
    // Arrange: failures at positions 1, 3 and 5.
    let app = TestApp::spawn().await;
    app.create_user("taken").await;
    let ops = json!([
        post_user("a", "a"),
        post_user("x1", "taken"),
        post_user("b", "b"),
        post_user("x2", "taken"),
        post_user("c", "c"),
        post_user("x3", "taken"),
        post_user("d", "d"),
    ]);
    let mut request = bulk_body(ops.clone());
    request["failOnErrors"] = json!(2);

    // Act
    let answered = app.bulk(request).await;

    // Assert: the run ended with the second failure.
    assert_eq!(statuses(&answered), ["201", "409", "201", "409"]);
    assert_eq!(users_named(&app, "b").await, 1);
    assert_eq!(
        users_named(&app, "c").await + users_named(&app, "d").await,
        0
    );

    // And without failOnErrors every operation runs.
    let app = TestApp::spawn().await;
    app.create_user("taken").await;
    let answered = app.bulk(bulk_body(ops)).await;
    assert_eq!(
        statuses(&answered),
        ["201", "409", "201", "409", "201", "409", "201"]
    );
}

#[tokio::test]
async fn version_is_each_operations_if_match() {
    // Arrange
    let app = TestApp::spawn().await;
    let resp = app
        .post("/Users", json!({"schemas": [USER_SCHEMA], "userName": "v"}))
        .await;
    let etag = resp.headers()["etag"].to_str().expect("etag").to_owned();
    let path = format!("/Users/{}", id(&resp.json::<Value>().await.expect("json")));
    let title = |t: &str| patch_body(json!([{"op": "replace", "path": "title", "value": t}]));
    let request = bulk_body(json!([
        {"method": "PATCH", "path": path, "version": etag, "data": title("first")},
        {"method": "PATCH", "path": path, "version": etag, "data": title("stale")},
        {"method": "PATCH", "path": path, "data": title("unconditional")},
        {"method": "DELETE", "path": path, "version": "W/\"1\""},
    ]));

    // Act
    let ops = app.bulk(request).await;

    // Assert
    assert_eq!(ops[0]["status"], "200");
    assert_failed(&ops[1], 412, None);
    assert_eq!(ops[2]["status"], "200");
    assert_failed(&ops[3], 412, None);
    let read = get_json(&app, &path).await;
    assert_eq!(read["title"], "unconditional");
    assert_eq!(ops[2]["version"], read["meta"]["version"]);
}

#[tokio::test]
async fn passwords_are_set_by_post_put_and_patch_among_other_operations() {
    // Arrange: a PATCH that sets a password runs in a transaction of its own after hashing.
    let app = TestApp::spawn().await;
    let set_password =
        patch_body(json!([{"op": "replace", "path": "password", "value": "n3w-Secret!"}]));
    let request = bulk_body(json!([
        {"method": "POST", "path": "/Users", "bulkId": "p1",
         "data": {"schemas": [USER_SCHEMA], "userName": "p1", "password": "Fir5t-secret"}},
        post_user("p2", "p2"),
        {"method": "PATCH", "path": "/Users/bulkId:p2", "data": set_password},
        {"method": "PUT", "path": "/Users/bulkId:p1",
         "data": {"schemas": [USER_SCHEMA], "userName": "p1", "password": "Secon9-secret"}},
        post_user("p3", "p3"),
    ]));
    let before = app.feed_end().await;

    // Act
    let ops = app.bulk(request).await;

    // Assert: all applied; passwords are never shown, and setting one records no event.
    assert_eq!(statuses(&ops), ["201", "201", "200", "200", "201"]);
    for op in &ops {
        let read = get_json(
            &app,
            op["location"]
                .as_str()
                .expect("location")
                .trim_start_matches(&app.base),
        )
        .await;
        assert!(read.get("password").is_none(), "{read}");
    }
    let events = app.events_since(&before).await;
    assert_eq!(
        event_types(&events),
        ["user.created", "user.created", "user.created"]
    );
}

#[tokio::test]
async fn a_request_longer_than_one_transaction_applies_every_operation_once() {
    // Arrange: more operations than share a transaction, a failure among them, and a late
    // operation naming an early POST.
    let app = TestApp::spawn().await;
    let n = scimd::service::CHUNK_OPERATIONS * 2 + 7;
    let mut ops: Vec<Value> = (0..n)
        .map(|i| post_user(&format!("u{i}"), &format!("u{i}")))
        .collect();
    ops[60] = post_user("u60", "u0");
    ops.push(json!({"method": "PATCH", "path": "/Users/bulkId:u1",
        "data": patch_body(json!([{"op": "replace", "path": "title", "value": "late"}]))}));
    let before = app.feed_end().await;

    // Act
    let answered = app.bulk(bulk_body(Value::Array(ops))).await;

    // Assert
    assert_eq!(answered.len(), n + 1);
    let failed: Vec<usize> = (0..=n)
        .filter(|&i| answered[i]["status"] != "201")
        .collect();
    assert_eq!(
        failed,
        [60, n],
        "only the duplicate fails; the PATCH answers 200"
    );
    assert_eq!(answered[n]["status"], "200");
    let list = app.get_query_ok("/Users", &[("count", "1")]).await;
    assert_eq!(list["totalResults"], json!(n - 1));
    let events = app.events_since(&before).await;
    assert_eq!(events.len(), n, "{} creates and one update", n - 1);
}
