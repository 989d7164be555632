//! `/Groups` (RFC 7643 §4.2, RFC 7644 §3.3–§3.6): create, read, list, replace, patch and
//! delete, and how group membership shows up on both sides (`Group.members`, `User.groups`).

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{
    GROUP_SCHEMA, PATCH_OP, TestApp, assert_scim_error, id, scim_json, sorted_values,
};

/// A PatchOp request body with `operations`.
fn patch_body(operations: Value) -> Value {
    json!({"schemas": [PATCH_OP], "Operations": operations})
}

/// GETs `path` and returns the body, asserting 200.
async fn get_json(app: &TestApp, path: &str) -> Value {
    let resp = app.get(path).await;
    assert_eq!(resp.status(), StatusCode::OK, "GET {path}");
    scim_json(resp).await
}

/// A response header as a string.
fn header(resp: &reqwest::Response, name: &str) -> String {
    resp.headers()
        .get(name)
        .unwrap_or_else(|| panic!("missing {name} header"))
        .to_str()
        .expect("header is ASCII")
        .to_owned()
}

/// Sorted copies of `ids`.
fn sorted(ids: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = ids.iter().map(|s| (*s).to_owned()).collect();
    v.sort();
    v
}

/// Creates a user with a `displayName` and returns its JSON.
async fn create_user_with_display(app: &TestApp, user_name: &str, display: &str) -> Value {
    let resp = app
        .post(
            "/Users",
            json!({"schemas": [crate::helpers::USER_SCHEMA], "userName": user_name, "displayName": display}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    resp.json().await.expect("json")
}

#[tokio::test]
async fn create_group_returns_201_with_location_etag_and_resolved_members() {
    // Arrange
    let app = TestApp::spawn().await;
    let alice = create_user_with_display(&app, "alice", "Alice Liddell").await;
    let bob = app.create_user("bob").await;
    let (alice_id, bob_id) = (id(&alice), id(&bob));

    // Act
    let resp = app
        .post(
            "/Groups",
            json!({
                "schemas": [GROUP_SCHEMA],
                "displayName": "Engineering",
                "externalId": "ext-eng",
                "members": [{"value": alice_id}, {"value": bob_id}],
            }),
        )
        .await;

    // Assert
    assert_eq!(resp.status(), StatusCode::CREATED);
    let location = header(&resp, "location");
    let etag = header(&resp, "etag");
    let body = scim_json(resp).await;
    let gid = id(&body);
    assert_eq!(body["schemas"], json!([GROUP_SCHEMA]));
    assert_eq!(body["displayName"], "Engineering");
    assert_eq!(body["externalId"], "ext-eng");
    assert_eq!(location, format!("{}/Groups/{gid}", app.base));
    assert_eq!(
        body["meta"]["location"],
        json!(location),
        "Location header equals meta.location"
    );
    assert_eq!(
        body["meta"]["version"],
        json!(etag),
        "ETag header equals meta.version"
    );
    assert!(etag.starts_with("W/\""), "weak ETag: {etag}");
    assert_eq!(body["meta"]["resourceType"], "Group");
    assert_eq!(body["meta"]["created"], body["meta"]["lastModified"]);
    let mut members = body["members"].as_array().expect("members").clone();
    members.sort_by_key(|m| m["value"].as_str().map(str::to_owned));
    let mut expected = vec![
        json!({"value": alice_id, "display": "Alice Liddell", "type": "User",
               "$ref": format!("{}/Users/{alice_id}", app.base)}),
        json!({"value": bob_id, "display": "bob", "type": "User",
               "$ref": format!("{}/Users/{bob_id}", app.base)}),
    ];
    expected.sort_by_key(|m| m["value"].as_str().map(str::to_owned));
    assert_eq!(
        members, expected,
        "display falls back to userName without a displayName"
    );
}

#[tokio::test]
async fn create_group_with_unknown_member_is_rejected_and_creates_nothing() {
    // Arrange
    let app = TestApp::spawn().await;
    let alice = app.create_user("alice").await;

    // Act
    let resp = app
        .post(
            "/Groups",
            json!({
                "schemas": [GROUP_SCHEMA],
                "displayName": "Ghosts",
                "members": [{"value": id(&alice)}, {"value": "00000000-0000-0000-0000-000000000000"}],
            }),
        )
        .await;

    // Assert
    let err = assert_scim_error(resp, 400, Some("invalidValue")).await;
    assert!(
        err["detail"]
            .as_str()
            .unwrap()
            .contains("00000000-0000-0000-0000-000000000000"),
        "{err}"
    );
    let list = get_json(&app, "/Groups").await;
    assert_eq!(list["totalResults"], 0, "no group was created: {list}");
    assert_eq!(list["Resources"], json!([]));
    let alice = get_json(&app, &format!("/Users/{}", id(&alice))).await;
    assert_eq!(
        alice.get("groups"),
        None,
        "no membership was created: {alice}"
    );
}

#[tokio::test]
async fn create_group_without_display_name_is_rejected() {
    let cases = [
        ("displayName is absent", json!({"schemas": [GROUP_SCHEMA]})),
        (
            "displayName is null",
            json!({"schemas": [GROUP_SCHEMA], "displayName": null}),
        ),
        (
            "displayName is empty",
            json!({"schemas": [GROUP_SCHEMA], "displayName": ""}),
        ),
        (
            "displayName is blank",
            json!({"schemas": [GROUP_SCHEMA], "displayName": "   "}),
        ),
    ];
    for (reason, body) in cases {
        // Arrange
        let app = TestApp::spawn().await;

        // Act
        let resp = app.post("/Groups", body).await;

        // Assert
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{reason}");
        assert_scim_error(resp, 400, Some("invalidValue")).await;
        let list = get_json(&app, "/Groups").await;
        assert_eq!(list["totalResults"], 0, "{reason}: nothing created");
    }
}

#[tokio::test]
async fn get_group_returns_the_created_representation_with_headers() {
    // Arrange
    let app = TestApp::spawn().await;
    let alice = app.create_user("alice").await;
    let created = app.create_group("Engineering", &[&id(&alice)]).await;
    let gid = id(&created);

    // Act
    let resp = app.get(&format!("/Groups/{gid}")).await;

    // Assert
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        header(&resp, "location"),
        format!("{}/Groups/{gid}", app.base)
    );
    assert_eq!(header(&resp, "etag"), "W/\"1\"");
    let body = scim_json(resp).await;
    assert_eq!(body, created, "GET returns what POST returned");
}

#[tokio::test]
async fn get_unknown_group_returns_404_scim_error() {
    // Arrange
    let app = TestApp::spawn().await;
    let user = app.create_user("alice").await;

    // Act
    let unknown = app.get("/Groups/does-not-exist").await;
    let a_user_id = app.get(&format!("/Groups/{}", id(&user))).await;

    // Assert
    let err = assert_scim_error(unknown, 404, None).await;
    assert!(
        err["detail"].as_str().unwrap().contains("does-not-exist"),
        "{err}"
    );
    assert_scim_error(a_user_id, 404, None).await;
}

#[tokio::test]
async fn list_groups_filter_display_name_eq_matches_case_insensitively() {
    // Arrange
    let app = TestApp::spawn().await;
    let eng = app.create_group("Engineering", &[]).await;
    app.create_group("Sales", &[]).await;
    app.create_group("Engineering Managers", &[]).await;
    let cases = [
        ("exact spelling", r#"displayName eq "Engineering""#),
        ("lower case value", r#"displayName eq "engineering""#),
        ("upper case value", r#"displayName eq "ENGINEERING""#),
        (
            "attribute name in another case",
            r#"DISPLAYNAME eq "Engineering""#,
        ),
    ];
    for (reason, filter) in cases {
        // Act
        let list = app.list("/Groups", filter).await;

        // Assert
        assert_eq!(list["totalResults"], 1, "{reason}: {list}");
        assert_eq!(list["Resources"][0]["id"], eng["id"], "{reason}");
        assert_eq!(
            list["Resources"][0]["displayName"], "Engineering",
            "{reason}"
        );
    }
    let none = app.list("/Groups", r#"displayName eq "Marketing""#).await;
    assert_eq!(none["totalResults"], 0);
    assert_eq!(none["Resources"], json!([]));
}

#[tokio::test]
async fn excluded_attributes_members_omits_members_from_list_and_get() {
    // Arrange
    let app = TestApp::spawn().await;
    let alice = app.create_user("alice").await;
    let group = app.create_group("Engineering", &[&id(&alice)]).await;
    let gid = id(&group);

    // Act
    let list = get_json(&app, "/Groups?excludedAttributes=members").await;
    let one = get_json(&app, &format!("/Groups/{gid}?excludedAttributes=members")).await;

    // Assert
    assert_eq!(list["totalResults"], 1);
    let listed = &list["Resources"][0];
    assert_eq!(listed.get("members"), None, "{listed}");
    assert_eq!(listed["displayName"], "Engineering");
    assert_eq!(listed["id"], json!(gid));
    assert_eq!(one.get("members"), None, "{one}");
    assert_eq!(one["displayName"], "Engineering");
    assert_eq!(one["meta"]["location"], group["meta"]["location"]);
    let full = get_json(&app, &format!("/Groups/{gid}")).await;
    assert_eq!(
        sorted_values(&full, "members"),
        vec![id(&alice)],
        "members are still there"
    );
}

#[tokio::test]
async fn put_group_replaces_members_and_clears_absent_ones() {
    // Arrange
    let app = TestApp::spawn().await;
    let (a, b, c) = (
        id(&app.create_user("a").await),
        id(&app.create_user("b").await),
        id(&app.create_user("c").await),
    );
    let group = app.create_group("Team", &[&a, &b]).await;
    let gid = id(&group);

    // Act
    let replaced = app
        .put(
            &format!("/Groups/{gid}"),
            json!({"schemas": [GROUP_SCHEMA], "displayName": "Team 2", "members": [{"value": c}]}),
        )
        .await;
    assert_eq!(replaced.status(), StatusCode::OK);
    let etag = header(&replaced, "etag");
    let replaced = scim_json(replaced).await;
    let emptied = app
        .put(
            &format!("/Groups/{gid}"),
            json!({"schemas": [GROUP_SCHEMA], "displayName": "Team 3"}),
        )
        .await;

    // Assert
    assert_eq!(replaced["displayName"], "Team 2");
    assert_eq!(sorted_values(&replaced, "members"), vec![c.clone()]);
    assert_eq!(replaced["meta"]["version"], json!(etag));
    assert_ne!(replaced["meta"]["version"], group["meta"]["version"]);
    assert_eq!(replaced["meta"]["created"], group["meta"]["created"]);
    let a_user = get_json(&app, &format!("/Users/{a}")).await;
    assert_eq!(
        a_user.get("groups"),
        None,
        "a was replaced out of the group: {a_user}"
    );
    assert_eq!(emptied.status(), StatusCode::OK);
    let emptied = scim_json(emptied).await;
    assert_eq!(emptied["displayName"], "Team 3");
    assert_eq!(
        emptied.get("members"),
        None,
        "absent members are cleared: {emptied}"
    );
    let c_user = get_json(&app, &format!("/Users/{c}")).await;
    assert_eq!(c_user.get("groups"), None, "{c_user}");
}

#[tokio::test]
async fn patch_add_member_answers_204_with_etag_and_the_member_appears_on_both_sides() {
    // Arrange
    let app = TestApp::spawn().await;
    let alice = create_user_with_display(&app, "alice", "Alice").await;
    let uid = id(&alice);
    let group = app.create_group("Engineering", &[]).await;
    let gid = id(&group);

    // Act
    let resp = app
        .patch(
            &format!("/Groups/{gid}"),
            patch_body(json!([{"op": "add", "path": "members", "value": [{"value": uid}]}])),
        )
        .await;

    // Assert
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let etag = header(&resp, "etag");
    assert_eq!(
        resp.bytes().await.expect("body").len(),
        0,
        "204 has no body"
    );
    let after = get_json(&app, &format!("/Groups/{gid}")).await;
    assert_eq!(
        after["meta"]["version"],
        json!(etag),
        "the 204's ETag is the new version"
    );
    assert_eq!(
        after["members"],
        json!([{"value": uid, "display": "Alice", "type": "User",
                "$ref": format!("{}/Users/{uid}", app.base)}])
    );
    let user = get_json(&app, &format!("/Users/{uid}")).await;
    assert_eq!(
        user["groups"],
        json!([{"value": gid, "display": "Engineering", "type": "direct",
                "$ref": format!("{}/Groups/{gid}", app.base)}])
    );
}

#[tokio::test]
async fn patch_add_existing_member_does_not_duplicate_it() {
    // Arrange
    let app = TestApp::spawn().await;
    let uid = id(&app.create_user("alice").await);
    let gid = id(&app.create_group("Engineering", &[&uid]).await);

    // Act
    let resp = app
        .patch(
            &format!("/Groups/{gid}"),
            patch_body(json!([{"op": "add", "path": "members", "value": [{"value": uid}]}])),
        )
        .await;

    // Assert
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let after = get_json(&app, &format!("/Groups/{gid}")).await;
    assert_eq!(
        after["members"].as_array().map(Vec::len),
        Some(1),
        "{after}"
    );
}

#[tokio::test]
async fn patch_add_skips_members_that_do_not_exist_and_adds_the_others() {
    // Arrange: Okta does not retry a 400, so one missing member must not keep the rest out.
    let app = TestApp::spawn().await;
    let alice = id(&app.create_user("alice").await);
    let bob = id(&app.create_user("bob").await);
    let carol = id(&app.create_user("carol").await);
    let gid = id(&app.create_group("Engineering", &[&alice]).await);
    let path = format!("/Groups/{gid}");
    let cases = [
        (
            "with a path",
            json!([{"op": "add", "path": "members", "value": [{"value": bob}, {"value": "no-such-user"}]}]),
            vec![alice.clone(), bob.clone()],
        ),
        (
            "without a path, with an attribute change",
            json!([{"op": "Add", "value": {"displayName": "Eng", "members": [{"value": "00000000-0000-0000-0000-000000000000"}, {"value": carol}]}}]),
            vec![alice.clone(), bob.clone(), carol.clone()],
        ),
        (
            "only unknown members",
            json!([{"op": "add", "path": "members", "value": [{"value": "gone"}]}]),
            vec![alice.clone(), bob.clone(), carol.clone()],
        ),
    ];

    for (reason, ops, expected) in cases {
        // Act
        let resp = app.patch(&path, patch_body(ops)).await;

        // Assert
        assert_eq!(resp.status(), StatusCode::NO_CONTENT, "{reason}");
        let after = get_json(&app, &path).await;
        let mut expected = expected;
        expected.sort();
        assert_eq!(sorted_values(&after, "members"), expected, "{reason}");
    }
    let after = get_json(&app, &path).await;
    assert_eq!(after["displayName"], "Eng");
    let bob_user = get_json(&app, &format!("/Users/{bob}")).await;
    assert_eq!(sorted_values(&bob_user, "groups"), [gid]);
}

#[tokio::test]
async fn unknown_members_are_still_refused_where_the_whole_list_is_stated() {
    // Arrange: POST and PUT (and a PATCH `replace` of `members`) state the complete member list;
    // an id of nothing there is a mistake its sender can fix, and nothing changes.
    let app = TestApp::spawn().await;
    let alice = id(&app.create_user("alice").await);
    let gid = id(&app.create_group("Engineering", &[&alice]).await);
    let path = format!("/Groups/{gid}");
    let before = get_json(&app, &path).await;
    let members = json!([{"value": alice}, {"value": "no-such-user"}]);

    // Act
    let put = app
        .put(
            &path,
            json!({"schemas": [GROUP_SCHEMA], "displayName": "Engineering", "members": members}),
        )
        .await;
    let replace = app
        .patch(
            &path,
            patch_body(json!([{"op": "replace", "path": "members", "value": members}])),
        )
        .await;

    // Assert
    for resp in [put, replace] {
        let err = assert_scim_error(resp, 400, Some("invalidValue")).await;
        assert!(
            err["detail"].as_str().unwrap().contains("no-such-user"),
            "{err}"
        );
    }
    assert_eq!(get_json(&app, &path).await, before);
}

#[tokio::test]
async fn patch_with_a_projection_parameter_returns_200_with_the_projected_group() {
    let cases = [
        ("attributes=displayName", "?attributes=displayName", false),
        (
            "excludedAttributes=members",
            "?excludedAttributes=members",
            false,
        ),
        ("attributes=members", "?attributes=members", true),
    ];
    for (reason, query, has_members) in cases {
        // Arrange
        let app = TestApp::spawn().await;
        let uid = id(&app.create_user("alice").await);
        let gid = id(&app.create_group("Engineering", &[]).await);

        // Act
        let resp = app
            .patch(
                &format!("/Groups/{gid}{query}"),
                patch_body(json!([{"op": "add", "path": "members", "value": [{"value": uid}]}])),
            )
            .await;

        // Assert
        assert_eq!(resp.status(), StatusCode::OK, "{reason}");
        let etag = header(&resp, "etag");
        assert_eq!(
            header(&resp, "location"),
            format!("{}/Groups/{gid}", app.base),
            "{reason}"
        );
        let body = scim_json(resp).await;
        assert_eq!(body["id"], json!(gid), "{reason}");
        assert_eq!(etag, "W/\"2\"", "{reason}");
        if has_members {
            assert_eq!(
                sorted_values(&body, "members"),
                vec![uid.clone()],
                "{reason}: {body}"
            );
            assert_eq!(
                body.get("displayName"),
                None,
                "{reason}: not requested: {body}"
            );
        } else {
            assert_eq!(body["displayName"], "Engineering", "{reason}");
            assert_eq!(body.get("members"), None, "{reason}: not requested: {body}");
        }
        let after = get_json(&app, &format!("/Groups/{gid}")).await;
        assert_eq!(
            sorted_values(&after, "members"),
            vec![uid],
            "{reason}: the change was applied"
        );
    }
}

#[tokio::test]
async fn patch_remove_member_by_value_list_as_entra_sends_it() {
    // Arrange
    let app = TestApp::spawn().await;
    let (a, b) = (
        id(&app.create_user("a").await),
        id(&app.create_user("b").await),
    );
    let gid = id(&app.create_group("Team", &[&a, &b]).await);

    // Act
    let resp = app
        .patch(
            &format!("/Groups/{gid}"),
            patch_body(json!([{"op": "Remove", "path": "members", "value": [{"value": a}]}])),
        )
        .await;

    // Assert
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let after = get_json(&app, &format!("/Groups/{gid}")).await;
    assert_eq!(sorted_values(&after, "members"), vec![b.clone()]);
    let a_user = get_json(&app, &format!("/Users/{a}")).await;
    assert_eq!(a_user.get("groups"), None, "{a_user}");
    let b_user = get_json(&app, &format!("/Users/{b}")).await;
    assert_eq!(sorted_values(&b_user, "groups"), vec![gid]);
}

#[tokio::test]
async fn patch_remove_member_by_value_filter() {
    // Arrange
    let app = TestApp::spawn().await;
    let (a, b, c) = (
        id(&app.create_user("a").await),
        id(&app.create_user("b").await),
        id(&app.create_user("c").await),
    );
    let gid = id(&app.create_group("Team", &[&a, &b, &c]).await);
    let cases = [
        (
            "Okta/Entra value filter",
            format!(r#"members[value eq "{a}"]"#),
            vec![b.as_str(), c.as_str()],
        ),
        (
            "filter that matches nothing is a no-op",
            r#"members[value eq "nobody"]"#.to_owned(),
            vec![b.as_str(), c.as_str()],
        ),
        (
            "filter with or removes both",
            format!(r#"members[value eq "{b}" or value eq "{c}"]"#),
            vec![],
        ),
    ];
    for (reason, path, remaining) in cases {
        // Act
        let resp = app
            .patch(
                &format!("/Groups/{gid}"),
                patch_body(json!([{"op": "remove", "path": path}])),
            )
            .await;

        // Assert
        assert_eq!(resp.status(), StatusCode::NO_CONTENT, "{reason}");
        let after = get_json(&app, &format!("/Groups/{gid}")).await;
        assert_eq!(
            sorted_values(&after, "members"),
            sorted(&remaining),
            "{reason}"
        );
    }
}

#[tokio::test]
async fn patch_remove_members_without_value_clears_all_members() {
    // Arrange
    let app = TestApp::spawn().await;
    let (a, b) = (
        id(&app.create_user("a").await),
        id(&app.create_user("b").await),
    );
    let gid = id(&app.create_group("Team", &[&a, &b]).await);

    // Act
    let resp = app
        .patch(
            &format!("/Groups/{gid}"),
            patch_body(json!([{"op": "remove", "path": "members"}])),
        )
        .await;

    // Assert
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let after = get_json(&app, &format!("/Groups/{gid}")).await;
    assert_eq!(after.get("members"), None, "{after}");
    assert_eq!(after["displayName"], "Team");
}

#[tokio::test]
async fn patch_replace_display_name_without_path() {
    // Arrange
    let app = TestApp::spawn().await;
    let uid = id(&app.create_user("alice").await);
    let gid = id(&app.create_group("Old name", &[&uid]).await);

    // Act
    let resp = app
        .patch(
            &format!("/Groups/{gid}"),
            patch_body(json!([{"op": "replace", "value": {"displayName": "New name"}}])),
        )
        .await;

    // Assert
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let after = get_json(&app, &format!("/Groups/{gid}")).await;
    assert_eq!(after["displayName"], "New name");
    assert_eq!(
        sorted_values(&after, "members"),
        vec![uid.clone()],
        "members untouched"
    );
    let found = app.list("/Groups", r#"displayName eq "new name""#).await;
    assert_eq!(found["totalResults"], 1, "the filter sees the new name");
    let user = get_json(&app, &format!("/Users/{uid}")).await;
    assert_eq!(
        user["groups"][0]["display"], "New name",
        "User.groups shows the new name"
    );
}

#[tokio::test]
async fn patch_unknown_group_returns_404() {
    // Arrange
    let app = TestApp::spawn().await;

    // Act
    let resp = app
        .patch(
            "/Groups/no-such-group",
            patch_body(json!([{"op": "replace", "value": {"displayName": "x"}}])),
        )
        .await;

    // Assert
    assert_scim_error(resp, 404, None).await;
}

#[tokio::test]
async fn delete_group_answers_204_then_404_and_users_no_longer_list_it() {
    // Arrange
    let app = TestApp::spawn().await;
    let uid = id(&app.create_user("alice").await);
    let doomed = id(&app.create_group("Doomed", &[&uid]).await);
    let kept = id(&app.create_group("Kept", &[&uid]).await);

    // Act
    let resp = app.delete(&format!("/Groups/{doomed}")).await;

    // Assert
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_eq!(resp.bytes().await.expect("body").len(), 0);
    assert_scim_error(app.get(&format!("/Groups/{doomed}")).await, 404, None).await;
    assert_scim_error(app.delete(&format!("/Groups/{doomed}")).await, 404, None).await;
    let user = get_json(&app, &format!("/Users/{uid}")).await;
    assert_eq!(
        sorted_values(&user, "groups"),
        vec![kept],
        "only the remaining group: {user}"
    );
    let list = get_json(&app, "/Groups").await;
    assert_eq!(list["totalResults"], 1);
}

#[tokio::test]
async fn deleting_a_user_removes_it_from_group_members_and_bumps_the_group_version() {
    // Arrange
    let app = TestApp::spawn().await;
    let (a, b) = (
        id(&app.create_user("a").await),
        id(&app.create_user("b").await),
    );
    let group = app.create_group("Team", &[&a, &b]).await;
    let gid = id(&group);

    // Act
    let resp = app.delete(&format!("/Users/{a}")).await;

    // Assert
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let after = get_json(&app, &format!("/Groups/{gid}")).await;
    assert_eq!(sorted_values(&after, "members"), vec![b]);
    assert_ne!(
        after["meta"]["version"], group["meta"]["version"],
        "the group changed"
    );
}

#[tokio::test]
async fn group_can_contain_another_group() {
    // Arrange
    let app = TestApp::spawn().await;
    let uid = id(&app.create_user("alice").await);
    let child = id(&app.create_group("Child", &[&uid]).await);

    // Act
    let parent = app.create_group("Parent", &[&child]).await;
    let pid = id(&parent);
    let other = id(&app.create_group("Other", &[]).await);
    let patched = app
        .patch(
            &format!("/Groups/{other}"),
            patch_body(json!([{"op": "add", "path": "members", "value": [{"value": child}]}])),
        )
        .await;

    // Assert
    assert_eq!(
        parent["members"],
        json!([{"value": child, "display": "Child", "type": "Group",
                "$ref": format!("{}/Groups/{child}", app.base)}])
    );
    assert_eq!(patched.status(), StatusCode::NO_CONTENT);
    let other = get_json(&app, &format!("/Groups/{other}")).await;
    assert_eq!(other["members"][0]["type"], "Group");
    let user = get_json(&app, &format!("/Users/{uid}")).await;
    assert_eq!(
        sorted_values(&user, "groups"),
        vec![child.clone()],
        "User.groups lists direct memberships"
    );
    // Deleting the child group removes it from its parents.
    assert_eq!(
        app.delete(&format!("/Groups/{child}")).await.status(),
        StatusCode::NO_CONTENT
    );
    let parent_after = get_json(&app, &format!("/Groups/{pid}")).await;
    assert_eq!(parent_after.get("members"), None, "{parent_after}");
    assert_ne!(parent_after["meta"]["version"], parent["meta"]["version"]);
}

#[tokio::test]
async fn group_cannot_contain_itself() {
    // Arrange
    let app = TestApp::spawn().await;
    let uid = id(&app.create_user("alice").await);
    let gid = id(&app.create_group("Loop", &[&uid]).await);
    let before = get_json(&app, &format!("/Groups/{gid}")).await;
    let path = format!("/Groups/{gid}");

    // Act
    let via_patch = app
        .patch(
            &path,
            patch_body(json!([{"op": "add", "path": "members", "value": [{"value": gid}]}])),
        )
        .await;
    let via_put = app
        .put(
            &path,
            json!({"schemas": [GROUP_SCHEMA], "displayName": "Loop", "members": [{"value": gid}]}),
        )
        .await;

    // Assert
    assert_scim_error(via_patch, 400, Some("invalidValue")).await;
    assert_scim_error(via_put, 400, Some("invalidValue")).await;
    let after = get_json(&app, &format!("/Groups/{gid}")).await;
    assert_eq!(after, before, "the group is unchanged");
}

#[tokio::test]
async fn membership_change_changes_the_group_version() {
    // Arrange
    let app = TestApp::spawn().await;
    let uid = id(&app.create_user("alice").await);
    let group = app.create_group("Team", &[]).await;
    let gid = id(&group);
    let path = format!("/Groups/{gid}");

    // Act
    let added = app
        .patch(
            &path,
            patch_body(json!([{"op": "add", "path": "members", "value": [{"value": uid}]}])),
        )
        .await;
    let after_add = get_json(&app, &path).await;
    let removed = app
        .patch(
            &path,
            patch_body(json!([{"op": "remove", "path": format!(r#"members[value eq "{uid}"]"#)}])),
        )
        .await;
    let after_remove = get_json(&app, &path).await;

    // Assert
    assert_eq!(added.status(), StatusCode::NO_CONTENT);
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    let versions = [
        group["meta"]["version"].clone(),
        after_add["meta"]["version"].clone(),
        after_remove["meta"]["version"].clone(),
    ];
    assert_ne!(
        versions[0], versions[1],
        "adding a member changes meta.version"
    );
    assert_ne!(
        versions[1], versions[2],
        "removing a member changes meta.version"
    );
    assert_ne!(versions[0], versions[2]);
    let modified = |g: &Value| {
        g["meta"]["lastModified"]
            .as_str()
            .expect("lastModified")
            .to_owned()
    };
    assert!(modified(&after_add) >= modified(&group));
    assert!(modified(&after_remove) >= modified(&after_add));
    assert_eq!(after_remove["meta"]["created"], group["meta"]["created"]);
}
