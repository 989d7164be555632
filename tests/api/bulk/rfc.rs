//! The examples of RFC 7644 §3.7, sent as the RFC writes them (where the RFC's text is not valid
//! JSON, as its evident meaning), with the answers the RFC shows.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{assert_failed, located_id, statuses, users_named};
use crate::helpers::{
    ENTERPRISE, GROUP_SCHEMA, TestApp, USER_SCHEMA, bulk_body, id, scim_json, sorted_values,
};

/// Reads a resource and its ETag.
async fn read(app: &TestApp, path: &str) -> (Value, String) {
    let resp = app.get(path).await;
    assert_eq!(resp.status(), StatusCode::OK, "GET {path}");
    let etag = resp.headers()["etag"].to_str().expect("etag").to_owned();
    (scim_json(resp).await, etag)
}

#[tokio::test]
async fn rfc_7644_3_7_1_two_new_groups_that_are_members_of_each_other_are_both_created() {
    // Arrange
    let app = TestApp::spawn().await;
    let request = bulk_body(json!([
        {"method": "POST", "path": "/Groups", "bulkId": "qwerty", "data": {
            "schemas": [GROUP_SCHEMA], "displayName": "Group A",
            "members": [{"type": "Group", "value": "bulkId:ytrewq"}]}},
        {"method": "POST", "path": "/Groups", "bulkId": "ytrewq", "data": {
            "schemas": [GROUP_SCHEMA], "displayName": "Group B",
            "members": [{"type": "Group", "value": "bulkId:qwerty"}]}},
    ]));

    // Act
    let ops = app.bulk(request).await;
    let list = app.list("/Groups", r#"displayName sw "Group""#).await;

    // Assert: the GET of §3.7.1 shows each group as the other's member.
    assert_eq!(statuses(&ops), ["201", "201"], "{ops:?}");
    let (a, b) = (located_id(&ops[0]), located_id(&ops[1]));
    assert_eq!(list["totalResults"], json!(2), "{list}");
    let group = |id: &str| {
        list["Resources"]
            .as_array()
            .and_then(|all| all.iter().find(|g| g["id"] == id))
            .cloned()
            .expect("listed")
    };
    let (group_a, group_b) = (group(&a), group(&b));
    assert_eq!(group_a["displayName"], "Group A");
    assert_eq!(group_a["members"][0]["type"], "Group");
    assert_eq!(sorted_values(&group_a, "members"), [b]);
    assert_eq!(sorted_values(&group_b, "members"), std::slice::from_ref(&a));
    let (_, etag_a) = read(&app, &format!("/Groups/{a}")).await;
    assert_eq!(
        ops[0]["version"],
        json!(etag_a),
        "the version after both were created"
    );
}

#[tokio::test]
async fn rfc_7644_3_7_2_a_new_user_joins_a_new_group_by_its_bulk_id() {
    // Arrange
    let app = TestApp::spawn().await;
    let request = bulk_body(json!([
        {"method": "POST", "path": "/Users", "bulkId": "qwerty",
         "data": {"schemas": [USER_SCHEMA], "userName": "Alice"}},
        {"method": "POST", "path": "/Groups", "bulkId": "ytrewq", "data": {
            "schemas": [GROUP_SCHEMA], "displayName": "Tour Guides",
            "members": [{"type": "User", "value": "bulkId:qwerty"}]}},
    ]));

    // Act
    let ops = app.bulk(request).await;

    // Assert: the response of §3.7.2, then the group with Alice's id as its member.
    assert_eq!(ops.len(), 2);
    let alice = located_id(&ops[0]);
    let tour_guides = located_id(&ops[1]);
    let (_, group_etag) = read(&app, &format!("/Groups/{tour_guides}")).await;
    assert_eq!(
        ops[1],
        json!({
            "location": format!("{}/Groups/{tour_guides}", app.base),
            "method": "POST",
            "bulkId": "ytrewq",
            "version": group_etag,
            "status": "201",
        })
    );
    // Alice's ETag changes when she joins the group, after her POST was answered.
    assert_eq!(
        ops[0]["location"],
        json!(format!("{}/Users/{alice}", app.base))
    );
    assert_eq!(
        (&ops[0]["method"], &ops[0]["bulkId"], &ops[0]["status"]),
        (&json!("POST"), &json!("qwerty"), &json!("201"))
    );
    assert!(ops[0]["version"].is_string(), "{}", ops[0]);
    let (group, _) = read(&app, &format!("/Groups/{tour_guides}")).await;
    assert_eq!(
        group["members"],
        json!([{"value": alice, "$ref": format!("{}/Users/{alice}", app.base),
                "type": "User", "display": "Alice"}])
    );
}

#[tokio::test]
async fn rfc_7644_3_7_2_an_enterprise_manager_may_be_a_new_user_named_by_bulk_id() {
    // Arrange
    let app = TestApp::spawn().await;
    let request = bulk_body(json!([
        {"method": "POST", "path": "/Users", "bulkId": "qwerty",
         "data": {"schemas": [USER_SCHEMA], "userName": "Alice"}},
        {"method": "POST", "path": "/Users", "bulkId": "ytrewq", "data": {
            "schemas": [USER_SCHEMA, ENTERPRISE], "userName": "Bob",
            ENTERPRISE: {"employeeNumber": "11250", "manager": {"value": "bulkId:qwerty"}}}},
    ]));

    // Act
    let ops = app.bulk(request).await;

    // Assert
    assert_eq!(statuses(&ops), ["201", "201"]);
    let (bob, _) = read(&app, &format!("/Users/{}", located_id(&ops[1]))).await;
    assert_eq!(bob[ENTERPRISE]["employeeNumber"], "11250");
    assert_eq!(
        bob[ENTERPRISE]["manager"]["value"],
        json!(located_id(&ops[0]))
    );
}

/// Users for §3.7.3: Bob (replaced), a user with a nickName (patched), one to delete; their
/// ids and ETags.
async fn section_3_7_3_users(app: &TestApp) -> [(String, String); 3] {
    let mut out = Vec::new();
    for body in [
        json!({"schemas": [USER_SCHEMA], "userName": "Robert"}),
        json!({"schemas": [USER_SCHEMA], "userName": "Carol", "nickName": "Caz"}),
        json!({"schemas": [USER_SCHEMA], "userName": "Eve"}),
    ] {
        let resp = app.post("/Users", body).await;
        assert_eq!(resp.status(), StatusCode::CREATED);
        let etag = resp.headers()["etag"].to_str().expect("etag").to_owned();
        out.push((id(&resp.json::<Value>().await.expect("json")), etag));
    }
    [out[0].clone(), out[1].clone(), out[2].clone()]
}

/// The request of §3.7.3 on those users, with the POST's data replaced by `post_data`.
fn section_3_7_3_request(users: &[(String, String); 3], post_data: Value) -> Value {
    let [(bob, bob_v), (patched, patched_v), (deleted, deleted_v)] = users;
    json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
        "failOnErrors": 1,
        "Operations": [
            {"method": "POST", "path": "/Users", "bulkId": "qwerty", "data": post_data},
            {"method": "PUT", "path": format!("/Users/{bob}"), "version": bob_v,
             "data": {"schemas": [USER_SCHEMA], "id": bob, "userName": "Bob"}},
            // §3.7.3 prints this data as `{[ … ]}`, which is not JSON: the list is meant.
            {"method": "PATCH", "path": format!("/Users/{patched}"), "version": patched_v,
             "data": [{"op": "remove", "path": "nickName"},
                      {"op": "add", "path": "userName", "value": "Dave"}]},
            {"method": "DELETE", "path": format!("/Users/{deleted}"), "version": deleted_v},
        ],
    })
}

#[tokio::test]
async fn rfc_7644_3_7_3_a_user_is_added_replaced_patched_and_removed_in_one_request() {
    // Arrange
    let app = TestApp::spawn().await;
    let users = section_3_7_3_users(&app).await;
    // The RFC's POST names "urn:ietf:params:scim:api:messages:2.0:User", a schema that does
    // not exist; schemas are implied by the attributes, so it is accepted as written.
    let request = section_3_7_3_request(
        &users,
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:User"], "userName": "Alice"}),
    );

    // Act
    let ops = app.bulk(request).await;

    // Assert: the response of §3.7.3, and each change made.
    assert_eq!(statuses(&ops), ["201", "200", "200", "204"], "{ops:?}");
    let [(bob, _), (patched, _), (deleted, _)] = &users;
    let methods: Vec<&Value> = ops.iter().map(|op| &op["method"]).collect();
    assert_eq!(methods, ["POST", "PUT", "PATCH", "DELETE"]);
    assert_eq!(ops[0]["bulkId"], "qwerty");
    for (op, id) in ops[1..].iter().zip([bob, patched, deleted]) {
        assert_eq!(op["location"], json!(format!("{}/Users/{id}", app.base)));
        assert!(
            op.get("bulkId").is_none() && op.get("response").is_none(),
            "{op}"
        );
    }
    assert!(
        ops[3].get("version").is_none(),
        "a DELETE leaves no version"
    );
    let (bob_now, bob_etag) = read(&app, &format!("/Users/{bob}")).await;
    assert_eq!(bob_now["userName"], "Bob");
    assert_eq!(ops[1]["version"], json!(bob_etag));
    let (dave, dave_etag) = read(&app, &format!("/Users/{patched}")).await;
    assert_eq!(dave["userName"], "Dave");
    assert!(dave.get("nickName").is_none(), "{dave}");
    assert_eq!(ops[2]["version"], json!(dave_etag));
    assert_eq!(app.get(&format!("/Users/{deleted}")).await.status(), 404);
    assert_eq!(users_named(&app, "Alice").await, 1);
}

#[tokio::test]
async fn rfc_7644_3_7_3_with_fail_on_errors_1_the_first_failure_ends_the_request() {
    // Arrange: the same request, whose POST cannot be parsed.
    let app = TestApp::spawn().await;
    let users = section_3_7_3_users(&app).await;
    let request = section_3_7_3_request(&users, json!("Alice"));

    // Act
    let ops = app.bulk(request).await;

    // Assert: the one failure, as §3.7.3 shows it, and nothing after it ran.
    assert_eq!(ops.len(), 1, "{ops:?}");
    assert_failed(&ops[0], 400, Some("invalidSyntax"));
    assert_eq!(ops[0]["method"], "POST");
    assert_eq!(ops[0]["bulkId"], "qwerty");
    assert!(
        ops[0].get("location").is_none(),
        "a failed POST has no location"
    );
    let [(bob, _), (patched, _), (deleted, _)] = &users;
    assert_eq!(
        read(&app, &format!("/Users/{bob}")).await.0["userName"],
        "Robert"
    );
    assert_eq!(
        read(&app, &format!("/Users/{patched}")).await.0["nickName"],
        "Caz"
    );
    assert_eq!(app.get(&format!("/Users/{deleted}")).await.status(), 200);
}

#[tokio::test]
async fn rfc_7644_3_7_3_without_fail_on_errors_every_operation_runs_even_when_all_fail() {
    // Arrange: the versions are stale and the user to delete is gone.
    let app = TestApp::spawn().await;
    let users = section_3_7_3_users(&app).await;
    let [(bob, _), (patched, _), (deleted, _)] = &users;
    app.patch(
        &format!("/Users/{bob}"),
        crate::helpers::patch_body(json!([{"op": "replace", "path": "title", "value": "x"}])),
    )
    .await;
    app.patch(
        &format!("/Users/{patched}"),
        crate::helpers::patch_body(json!([{"op": "replace", "path": "title", "value": "x"}])),
    )
    .await;
    app.delete(&format!("/Users/{deleted}")).await;
    let mut request = section_3_7_3_request(&users, json!("Alice"));
    request.as_object_mut().map(|r| r.remove("failOnErrors"));

    // Act
    let ops = app.bulk(request).await;

    // Assert: the all-failed response of §3.7.3.
    assert_eq!(ops.len(), 4, "{ops:?}");
    assert_failed(&ops[0], 400, Some("invalidSyntax"));
    assert!(ops[0].get("location").is_none());
    assert_failed(&ops[1], 412, None);
    assert_failed(&ops[2], 412, None);
    assert_failed(&ops[3], 404, None);
    for (op, id) in ops[1..].iter().zip([bob, patched, deleted]) {
        assert_eq!(op["location"], json!(format!("{}/Users/{id}", app.base)));
    }
    assert_eq!(
        read(&app, &format!("/Users/{bob}")).await.0["userName"],
        "Robert"
    );
}
