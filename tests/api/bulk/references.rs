//! `bulkId` references (RFC 7644 §3.7.2): in group members (POST, PUT, PATCH values and value
//! filters), in the enterprise manager, in operation paths; forward references; cycles
//! (§3.7.1); and the references that cannot be resolved.

use serde_json::{Value, json};

use super::{assert_failed, located_id, post_user, statuses, users_named};
use crate::events::get_json;
use crate::helpers::{
    ENTERPRISE, GROUP_SCHEMA, TestApp, USER_SCHEMA, assert_scim_error, bulk_body, id, sorted_values,
};

fn post_group(bulk_id: &str, name: &str, members: &[&str]) -> Value {
    let members: Vec<Value> = members.iter().map(|m| json!({"value": m})).collect();
    json!({"method": "POST", "path": "/Groups", "bulkId": bulk_id,
           "data": {"schemas": [GROUP_SCHEMA], "displayName": name, "members": members}})
}

fn patch(path: &str, operations: Value) -> Value {
    json!({"method": "PATCH", "path": path, "data": crate::helpers::patch_body(operations)})
}

#[tokio::test]
async fn a_group_may_name_users_that_operations_after_it_create() {
    // Arrange: the group comes first in the request.
    let app = TestApp::spawn().await;
    let request = bulk_body(json!([
        post_group("team", "Team", &["bulkId:ann", "bulkId:ben"]),
        post_user("ann", "ann"),
        post_user("ben", "ben"),
    ]));

    // Act
    let ops = app.bulk(request).await;

    // Assert: the response keeps request order; the group has both new users.
    assert_eq!(statuses(&ops), ["201", "201", "201"]);
    assert_eq!(ops[0]["bulkId"], "team");
    let group = get_json(&app, &format!("/Groups/{}", located_id(&ops[0]))).await;
    let mut expected = vec![located_id(&ops[1]), located_id(&ops[2])];
    expected.sort();
    assert_eq!(sorted_values(&group, "members"), expected);
}

#[tokio::test]
async fn a_patch_adds_and_removes_members_named_by_bulk_id() {
    // Arrange
    let app = TestApp::spawn().await;
    let group = id(&app.create_group("Existing", &[]).await);
    let path = format!("/Groups/{group}");
    let request = bulk_body(json!([
        post_user("u1", "u1"),
        post_user("u2", "u2"),
        post_user("u3", "u3"),
        patch(
            &path,
            json!([{"op": "add", "path": "members",
            "value": [{"value": "bulkId:u1"}, {"value": "bulkId:u2"}]}])
        ),
        patch(
            &path,
            json!([{"op": "add", "value": {"members": [{"value": "bulkId:u3"}]}}])
        ),
        patch(
            &path,
            json!([{"op": "remove", "path": "members[value eq \"bulkId:u1\"]"}])
        ),
    ]));

    // Act
    let ops = app.bulk(request).await;

    // Assert: a Group PATCH answers 204, as a single one without `attributes` does.
    assert_eq!(statuses(&ops), ["201", "201", "201", "204", "204", "204"]);
    let read = get_json(&app, &path).await;
    let mut expected = vec![located_id(&ops[1]), located_id(&ops[2])];
    expected.sort();
    assert_eq!(sorted_values(&read, "members"), expected);
    assert_eq!(
        ops[5]["version"],
        json!(read["meta"]["version"]),
        "the version after the last PATCH"
    );
}

#[tokio::test]
async fn new_groups_may_nest_by_bulk_id_in_any_order() {
    // Arrange: outer ⊃ middle ⊃ inner ⊃ a user, listed outermost first.
    let app = TestApp::spawn().await;
    let request = bulk_body(json!([
        post_group("outer", "Outer", &["bulkId:middle"]),
        post_group("middle", "Middle", &["bulkId:inner"]),
        post_group("inner", "Inner", &["bulkId:user"]),
        post_user("user", "nested-user"),
    ]));

    // Act
    let ops = app.bulk(request).await;

    // Assert
    assert_eq!(statuses(&ops), ["201", "201", "201", "201"]);
    for (group, member) in [(0, 1), (1, 2), (2, 3)] {
        let read = get_json(&app, &format!("/Groups/{}", located_id(&ops[group]))).await;
        assert_eq!(
            sorted_values(&read, "members"),
            [located_id(&ops[member])],
            "{read}"
        );
    }
    let user = get_json(&app, &format!("/Users/{}", located_id(&ops[3]))).await;
    assert_eq!(sorted_values(&user, "groups"), [located_id(&ops[2])]);
}

#[tokio::test]
async fn put_patch_and_delete_may_name_a_resource_created_in_the_same_request() {
    // Arrange
    let app = TestApp::spawn().await;
    let request = bulk_body(json!([
        {"method": "PATCH", "path": "/Users/bulkId:kim",
         "data": crate::helpers::patch_body(json!([{"op": "replace", "path": "title", "value": "Lead"}]))},
        post_user("kim", "kim"),
        post_user("gone", "gone"),
        {"method": "DELETE", "path": "/Users/bulkId:gone"},
        {"method": "PUT", "path": "/Users/bulkId:kim",
         "data": {"schemas": [USER_SCHEMA], "id": "bulkId:kim", "userName": "kim", "title": "Boss"}},
    ]));

    // Act
    let ops = app.bulk(request).await;

    // Assert: the PATCH waited for the POST; the PUT ran last, as sent.
    assert_eq!(statuses(&ops), ["200", "201", "201", "204", "200"]);
    let kim = located_id(&ops[1]);
    assert_eq!(ops[0]["location"], ops[1]["location"]);
    assert_eq!(ops[3]["location"], ops[2]["location"]);
    let read = get_json(&app, &format!("/Users/{kim}")).await;
    assert_eq!(read["title"], "Boss");
    assert_eq!(users_named(&app, "gone").await, 0);
}

#[tokio::test]
async fn users_that_are_each_others_manager_are_both_created() {
    // Arrange
    let app = TestApp::spawn().await;
    let user = |bulk_id: &str, manager: &str| {
        json!({"method": "POST", "path": "/Users", "bulkId": bulk_id, "data": {
            "schemas": [USER_SCHEMA, ENTERPRISE], "userName": bulk_id,
            ENTERPRISE: {"manager": {"value": format!("bulkId:{manager}")}}}})
    };
    let request = bulk_body(json!([user("a", "b"), user("b", "a")]));

    // Act
    let ops = app.bulk(request).await;

    // Assert
    assert_eq!(statuses(&ops), ["201", "201"]);
    let (a, b) = (located_id(&ops[0]), located_id(&ops[1]));
    let read_a = get_json(&app, &format!("/Users/{a}")).await;
    let read_b = get_json(&app, &format!("/Users/{b}")).await;
    assert_eq!(read_a[ENTERPRISE]["manager"]["value"], json!(b));
    assert_eq!(read_b[ENTERPRISE]["manager"]["value"], json!(a));
}

#[tokio::test]
async fn a_group_that_names_itself_by_bulk_id_is_refused_and_not_created() {
    // Arrange
    let app = TestApp::spawn().await;
    let request = bulk_body(json!([post_group("self", "Self", &["bulkId:self"])]));

    // Act
    let ops = app.bulk(request).await;

    // Assert: the cycle cannot be resolved: a group cannot be its own member.
    let detail = assert_failed(&ops[0], 400, Some("invalidValue"));
    assert!(detail.contains("member of itself"), "{detail}");
    let list = app.list("/Groups", r#"displayName eq "Self""#).await;
    assert_eq!(list["totalResults"], json!(0));
}

#[tokio::test]
async fn when_one_post_of_a_reference_cycle_fails_the_whole_cycle_fails() {
    // Arrange: A names a member that does not exist, which a POST refuses.
    let app = TestApp::spawn().await;
    let missing = uuid::Uuid::new_v4().to_string();
    let request = bulk_body(json!([
        post_group("a", "A", &["bulkId:b", &missing]),
        post_group("b", "B", &["bulkId:a"]),
        post_user("after", "after"),
    ]));

    // Act
    let ops = app.bulk(request).await;

    // Assert: B was created and then rolled back with A; the unrelated POST succeeded.
    assert_failed(&ops[0], 400, Some("invalidValue"));
    let detail = assert_failed(&ops[1], 409, None);
    assert!(detail.contains("cycle"), "{detail}");
    assert_eq!(ops[2]["status"], "201");
    let list = app
        .list("/Groups", r#"displayName eq "A" or displayName eq "B""#)
        .await;
    assert_eq!(list["totalResults"], json!(0), "{list}");
}

#[tokio::test]
async fn an_unknown_bulk_id_fails_only_the_operation_that_names_it() {
    // Arrange
    let app = TestApp::spawn().await;
    let request = bulk_body(json!([
        post_group("g", "Named", &["bulkId:nobody"]),
        post_user("real", "real"),
    ]));

    // Act
    let ops = app.bulk(request).await;

    // Assert
    let detail = assert_failed(&ops[0], 400, Some("invalidValue"));
    assert!(detail.contains("bulkId:nobody"), "{detail}");
    assert_eq!(ops[1]["status"], "201");
}

#[tokio::test]
async fn an_operation_that_names_a_failed_post_fails_with_409() {
    // Arrange: the POST's userName is taken.
    let app = TestApp::spawn().await;
    app.create_user("taken").await;
    let request = bulk_body(json!([
        post_user("dup", "taken"),
        post_group("g", "G", &["bulkId:dup"]),
        {"method": "DELETE", "path": "/Users/bulkId:dup"},
    ]));

    // Act
    let ops = app.bulk(request).await;

    // Assert
    assert_failed(&ops[0], 409, Some("uniqueness"));
    for op in &ops[1..] {
        let detail = assert_failed(op, 409, None);
        assert!(detail.contains("Operations[0]"), "{detail}");
        assert!(
            op.get("location").is_none(),
            "no resource to point to: {op}"
        );
    }
}

#[tokio::test]
async fn a_bulk_id_used_twice_refuses_the_whole_request() {
    // Arrange
    let app = TestApp::spawn().await;
    let request = bulk_body(json!([post_user("same", "one"), post_user("same", "two")]));

    // Act
    let resp = app.post("/Bulk", request).await;

    // Assert: nothing ran.
    let body = assert_scim_error(resp, 400, Some("invalidValue")).await;
    assert!(
        body["detail"].as_str().is_some_and(|d| d.contains("same")),
        "{body}"
    );
    assert_eq!(
        users_named(&app, "one").await + users_named(&app, "two").await,
        0
    );
}
