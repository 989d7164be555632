//! PATCH on `/Users` (RFC 7644 §3.5.2): the three operations with and without a path, value
//! filters, sub-attribute and extension paths, the identity-provider forms (Okta, Entra ID), the
//! error cases with their `scimType`, and atomicity.

use argon2::{Argon2, PasswordVerifier};
use reqwest::StatusCode;
use scimd::store::Db;
use serde_json::{Value, json};

use crate::helpers::{
    ENTERPRISE, PATCH_OP, TestApp, USER_SCHEMA, assert_scim_error, id, scim_json,
};

/// A PatchOp request body with `operations`.
fn patch_body(operations: Value) -> Value {
    json!({"schemas": [PATCH_OP], "Operations": operations})
}

/// PATCHes user `uid` with `operations`.
async fn patch_user(app: &TestApp, uid: &str, operations: Value) -> reqwest::Response {
    app.patch(&format!("/Users/{uid}"), patch_body(operations))
        .await
}

/// PATCHes user `uid`, asserts 200 and returns the body.
async fn patch_ok(app: &TestApp, uid: &str, operations: Value) -> Value {
    let resp = patch_user(app, uid, operations.clone()).await;
    let status = resp.status();
    let body: Value = resp.json().await.expect("json");
    assert_eq!(status, StatusCode::OK, "PATCH {operations} answered {body}");
    body
}

/// GETs user `uid`, asserting 200.
async fn get_user(app: &TestApp, uid: &str) -> Value {
    let resp = app.get(&format!("/Users/{uid}")).await;
    assert_eq!(resp.status(), StatusCode::OK);
    scim_json(resp).await
}

/// Creates a user with a name, two emails (work is primary), a phone and enterprise attributes.
async fn create_rich_user(app: &TestApp) -> Value {
    let resp = app
        .post(
            "/Users",
            json!({
                "schemas": [USER_SCHEMA, ENTERPRISE],
                "userName": "bjensen",
                "displayName": "Babs Jensen",
                "name": {"givenName": "Barbara", "familyName": "Jensen"},
                "active": true,
                "emails": [
                    {"value": "bjensen@work.example", "type": "work", "primary": true},
                    {"value": "babs@home.example", "type": "home"},
                ],
                "phoneNumbers": [{"value": "+1-555-0100", "type": "work"}],
                ENTERPRISE: {"employeeNumber": "701984", "department": "Tour Operations"},
            }),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    resp.json().await.expect("json")
}

/// The `value`s of the emails of a user, in order.
fn email_values(user: &Value) -> Vec<&str> {
    user.get("emails")
        .and_then(Value::as_array)
        .map(|e| {
            e.iter()
                .map(|v| v["value"].as_str().expect("email value"))
                .collect()
        })
        .unwrap_or_default()
}

/// The email of `user` with value `value`.
fn email<'a>(user: &'a Value, value: &str) -> &'a Value {
    user["emails"]
        .as_array()
        .and_then(|e| e.iter().find(|v| v["value"] == value))
        .unwrap_or_else(|| panic!("no email {value} in {user}"))
}

/// The values of the emails that are primary.
fn primary_emails(user: &Value) -> Vec<&str> {
    user["emails"]
        .as_array()
        .map(|e| {
            e.iter()
                .filter(|v| v["primary"] == json!(true))
                .map(|v| v["value"].as_str().expect("value"))
                .collect()
        })
        .unwrap_or_default()
}

/// The stored password hash of a user, read from the database directly.
async fn password_hash(app: &TestApp, uid: &str) -> Option<String> {
    match &app.state.db {
        Db::Sqlite(pool, _) => sqlx::query_scalar("SELECT password_hash FROM users WHERE id = ?")
            .bind(uid)
            .fetch_one(pool)
            .await
            .expect("query"),
        Db::Postgres(pool) => sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
            .bind(uid)
            .fetch_one(pool)
            .await
            .expect("query"),
    }
}

#[tokio::test]
async fn patch_answers_200_with_the_full_user_and_an_etag() {
    // Arrange
    let app = TestApp::spawn().await;
    let user = create_rich_user(&app).await;
    let uid = id(&user);

    // Act
    let resp = patch_user(
        &app,
        &uid,
        json!([{"op": "replace", "path": "displayName", "value": "B. J."}]),
    )
    .await;

    // Assert
    assert_eq!(resp.status(), StatusCode::OK);
    let etag = resp.headers()["etag"].to_str().expect("etag").to_owned();
    let location = resp.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let body = scim_json(resp).await;
    assert_eq!(body["displayName"], "B. J.");
    assert_eq!(
        body["meta"]["version"],
        json!(etag),
        "ETag header equals meta.version"
    );
    assert_eq!(etag, "W/\"2\"");
    assert_ne!(body["meta"]["version"], user["meta"]["version"]);
    assert_eq!(body["meta"]["location"], json!(location));
    assert_eq!(body["meta"]["created"], user["meta"]["created"]);
    assert_eq!(
        body,
        get_user(&app, &uid).await,
        "the response is the full stored user"
    );
    assert_eq!(
        body["emails"], user["emails"],
        "untouched attributes are returned"
    );
    assert_eq!(body[ENTERPRISE], user[ENTERPRISE]);
}

#[tokio::test]
async fn patch_applies_each_op_kind_with_and_without_path() {
    let cases = [
        (
            "add with a path sets a singular attribute",
            json!({"op": "add", "path": "nickName", "value": "Babs"}),
            "/nickName",
            Some(json!("Babs")),
        ),
        (
            "add without a path sets the attributes of the value",
            json!({"op": "add", "value": {"nickName": "Babs", "title": "Tour Guide"}}),
            "/title",
            Some(json!("Tour Guide")),
        ),
        (
            "replace with a path overwrites the attribute",
            json!({"op": "replace", "path": "displayName", "value": "Barbara J."}),
            "/displayName",
            Some(json!("Barbara J.")),
        ),
        (
            "replace without a path overwrites the attributes of the value",
            json!({"op": "replace", "value": {"displayName": "Barbara J."}}),
            "/displayName",
            Some(json!("Barbara J.")),
        ),
        (
            "replace with null unassigns the attribute",
            json!({"op": "replace", "path": "displayName", "value": null}),
            "/displayName",
            None,
        ),
        (
            "remove with a path unassigns a singular attribute",
            json!({"op": "remove", "path": "displayName"}),
            "/displayName",
            None,
        ),
        (
            "remove with a path unassigns a multi-valued attribute",
            json!({"op": "remove", "path": "phoneNumbers"}),
            "/phoneNumbers",
            None,
        ),
        (
            "remove with a path unassigns a complex attribute",
            json!({"op": "remove", "path": "name"}),
            "/name",
            None,
        ),
        (
            "add with a path for a multi-valued attribute appends",
            json!({"op": "add", "path": "phoneNumbers", "value": [{"value": "+1-555-0199", "type": "mobile"}]}),
            "/phoneNumbers/1/value",
            Some(json!("+1-555-0199")),
        ),
    ];
    for (reason, op, pointer, expected) in cases {
        // Arrange
        let app = TestApp::spawn().await;
        let uid = id(&create_rich_user(&app).await);

        // Act
        let body = patch_ok(&app, &uid, json!([op])).await;

        // Assert
        assert_eq!(body.pointer(pointer).cloned(), expected, "{reason}: {body}");
        let stored = get_user(&app, &uid).await;
        assert_eq!(
            stored.pointer(pointer).cloned(),
            expected,
            "{reason}: stored"
        );
        assert_eq!(stored["userName"], "bjensen", "{reason}");
    }
}

#[tokio::test]
async fn patch_op_names_are_case_insensitive() {
    let cases = [
        ("Entra's capitalised Add", "Add", Some(json!("Babs"))),
        ("upper case ADD", "ADD", Some(json!("Babs"))),
        (
            "Entra's capitalised Replace",
            "Replace",
            Some(json!("Babs")),
        ),
        ("upper case REPLACE", "REPLACE", Some(json!("Babs"))),
        ("Entra's capitalised Remove", "Remove", None),
        ("mixed case rEmOvE", "rEmOvE", None),
    ];
    for (reason, op, expected) in cases {
        // Arrange
        let app = TestApp::spawn().await;
        let uid = id(&create_rich_user(&app).await);
        patch_ok(
            &app,
            &uid,
            json!([{"op": "add", "path": "nickName", "value": "Old"}]),
        )
        .await;

        // Act
        let operation = if expected.is_some() {
            json!({"op": op, "path": "nickName", "value": "Babs"})
        } else {
            json!({"op": op, "path": "nickName"})
        };
        let body = patch_ok(&app, &uid, json!([operation])).await;

        // Assert
        assert_eq!(body.get("nickName").cloned(), expected, "{reason}");
    }
}

#[tokio::test]
async fn patch_replace_without_path_deactivates_user_as_okta_sends_it() {
    // Arrange
    let app = TestApp::spawn().await;
    let user = create_rich_user(&app).await;
    let uid = id(&user);

    // Act
    let body = patch_ok(
        &app,
        &uid,
        json!([{"op": "replace", "value": {"active": false}}]),
    )
    .await;

    // Assert
    assert_eq!(body["active"], false);
    let stored = get_user(&app, &uid).await;
    assert_eq!(stored["active"], false);
    for attr in [
        "userName",
        "displayName",
        "name",
        "emails",
        "phoneNumbers",
        ENTERPRISE,
    ] {
        assert_eq!(stored[attr], user[attr], "{attr} is untouched");
    }
    let inactive = app.list("/Users", "active eq false").await;
    assert_eq!(inactive["totalResults"], 1, "filters see the change");
}

#[tokio::test]
async fn patch_accepts_booleans_sent_as_strings() {
    let cases = [
        (
            "Entra's \"False\" with a path",
            json!({"op": "Replace", "path": "active", "value": "False"}),
            false,
        ),
        (
            "\"false\" with a path",
            json!({"op": "replace", "path": "active", "value": "false"}),
            false,
        ),
        (
            "\"FALSE\" without a path",
            json!({"op": "replace", "value": {"active": "FALSE"}}),
            false,
        ),
        (
            "\"True\" after deactivation",
            json!({"op": "replace", "path": "active", "value": "True"}),
            true,
        ),
    ];
    for (reason, op, expected) in cases {
        // Arrange
        let app = TestApp::spawn().await;
        let uid = id(&create_rich_user(&app).await);
        if expected {
            patch_ok(
                &app,
                &uid,
                json!([{"op": "replace", "path": "active", "value": false}]),
            )
            .await;
        }

        // Act
        let body = patch_ok(&app, &uid, json!([op])).await;

        // Assert
        assert_eq!(body["active"], json!(expected), "{reason}");
        assert_eq!(
            get_user(&app, &uid).await["active"],
            json!(expected),
            "{reason}: stored"
        );
    }
}

#[tokio::test]
async fn patch_rejects_a_string_that_is_not_a_boolean() {
    // Arrange
    let app = TestApp::spawn().await;
    let uid = id(&create_rich_user(&app).await);

    // Act
    let resp = patch_user(
        &app,
        &uid,
        json!([{"op": "replace", "path": "active", "value": "nope"}]),
    )
    .await;

    // Assert
    assert_scim_error(resp, 400, Some("invalidValue")).await;
    assert_eq!(get_user(&app, &uid).await["active"], true);
}

#[tokio::test]
async fn patch_add_to_multi_valued_appends_without_duplicates() {
    let work = "bjensen@work.example";
    let home = "babs@home.example";
    let cases = [
        (
            "a new value is appended",
            json!([{"value": "other@example.com", "type": "other"}]),
            vec![work, home, "other@example.com"],
        ),
        (
            "an identical value is not added again",
            json!([{"value": home, "type": "home"}]),
            vec![work, home],
        ),
        (
            "an identical value with keys in another order is not added again",
            json!([{"type": "home", "value": home}]),
            vec![work, home],
        ),
        (
            "a bare value equal to an existing one is not added again",
            json!([{"value": home}]),
            vec![work, home],
        ),
        (
            "a value repeated within the request is added once",
            json!([{"value": "new@example.com"}, {"value": "new@example.com"}]),
            vec![work, home, "new@example.com"],
        ),
        (
            "a single object (not an array) is appended",
            json!({"value": "solo@example.com"}),
            vec![work, home, "solo@example.com"],
        ),
    ];
    for (reason, value, expected) in cases {
        // Arrange
        let app = TestApp::spawn().await;
        let uid = id(&create_rich_user(&app).await);

        // Act
        let with_path = patch_ok(
            &app,
            &uid,
            json!([{"op": "add", "path": "emails", "value": value}]),
        )
        .await;

        // Assert
        assert_eq!(email_values(&with_path), expected, "{reason}");
        assert_eq!(
            email_values(&get_user(&app, &uid).await),
            expected,
            "{reason}: stored"
        );
        assert_eq!(
            primary_emails(&with_path),
            vec![work],
            "{reason}: primary kept"
        );
    }
}

#[tokio::test]
async fn patch_add_without_path_appends_to_multi_valued_without_duplicates() {
    // Arrange
    let app = TestApp::spawn().await;
    let uid = id(&create_rich_user(&app).await);

    // Act
    let body = patch_ok(
        &app,
        &uid,
        json!([{"op": "add", "value": {"emails": [
            {"value": "babs@home.example", "type": "home"},
            {"value": "third@example.com", "type": "other"},
        ]}}]),
    )
    .await;

    // Assert
    assert_eq!(
        email_values(&body),
        vec![
            "bjensen@work.example",
            "babs@home.example",
            "third@example.com"
        ]
    );
}

#[tokio::test]
async fn patch_add_existing_value_differing_only_in_primary_is_not_a_duplicate() {
    let cases = [
        (
            "explicit primary: false, the default the server itself omits",
            json!({"value": "babs@home.example", "type": "home", "primary": false}),
            vec!["bjensen@work.example"],
        ),
        (
            "primary: true makes the existing value primary instead of adding a copy",
            json!({"value": "babs@home.example", "type": "home", "primary": true}),
            vec!["babs@home.example"],
        ),
    ];
    for (reason, value, primaries) in cases {
        // Arrange
        let app = TestApp::spawn().await;
        let uid = id(&create_rich_user(&app).await);

        // Act
        let body = patch_ok(
            &app,
            &uid,
            json!([{"op": "add", "path": "emails", "value": [value]}]),
        )
        .await;

        // Assert (RFC 7644 §3.5.2.1: a value already present is not added again)
        assert_eq!(
            email_values(&body),
            vec!["bjensen@work.example", "babs@home.example"],
            "{reason}"
        );
        assert_eq!(primary_emails(&body), primaries, "{reason}");
    }
}

#[tokio::test]
async fn patch_replace_on_multi_valued_attribute_replaces_all_values() {
    let cases = [
        (
            "with a path",
            json!({"op": "replace", "path": "emails", "value": [{"value": "only@example.com", "type": "work"}]}),
        ),
        (
            "without a path",
            json!({"op": "replace", "value": {"emails": [{"value": "only@example.com", "type": "work"}]}}),
        ),
    ];
    for (reason, op) in cases {
        // Arrange
        let app = TestApp::spawn().await;
        let uid = id(&create_rich_user(&app).await);

        // Act
        let body = patch_ok(&app, &uid, json!([op])).await;

        // Assert
        assert_eq!(
            body["emails"],
            json!([{"value": "only@example.com", "type": "work"}]),
            "{reason}"
        );
        assert_eq!(
            get_user(&app, &uid).await["emails"],
            body["emails"],
            "{reason}: stored"
        );
        assert_eq!(
            body["phoneNumbers"].as_array().map(Vec::len),
            Some(1),
            "{reason}: other attributes kept"
        );
    }
}

#[tokio::test]
async fn patch_replace_email_value_selected_by_type_filter() {
    // Arrange
    let app = TestApp::spawn().await;
    let uid = id(&create_rich_user(&app).await);

    // Act
    let body = patch_ok(
        &app,
        &uid,
        json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "barbara@work.example"}]),
    )
    .await;

    // Assert
    assert_eq!(
        email_values(&body),
        vec!["barbara@work.example", "babs@home.example"]
    );
    assert_eq!(
        email(&body, "barbara@work.example"),
        &json!({"value": "barbara@work.example", "type": "work", "primary": true}),
        "type and primary are kept"
    );
    assert_eq!(
        email(&body, "babs@home.example"),
        &json!({"value": "babs@home.example", "type": "home"})
    );
    let found = app
        .list("/Users", r#"emails.value eq "barbara@work.example""#)
        .await;
    assert_eq!(found["totalResults"], 1, "filters see the new value");
}

#[tokio::test]
async fn patch_replace_filtered_sub_attribute_with_no_match_adds_a_value_as_entra_expects() {
    // Arrange
    let app = TestApp::spawn().await;
    let resp = app
        .post(
            "/Users",
            json!({"schemas": [USER_SCHEMA], "userName": "worker",
                   "emails": [{"value": "w@work.example", "type": "work", "primary": true}]}),
        )
        .await;
    let uid = id(&resp.json::<Value>().await.expect("json"));

    // Act
    let body = patch_ok(
        &app,
        &uid,
        json!([{"op": "Replace", "path": "emails[type eq \"home\"].value", "value": "h@home.example"}]),
    )
    .await;

    // Assert
    assert_eq!(
        email_values(&body),
        vec!["w@work.example", "h@home.example"]
    );
    assert_eq!(
        email(&body, "h@home.example"),
        &json!({"value": "h@home.example", "type": "home"})
    );
    assert_eq!(primary_emails(&body), vec!["w@work.example"]);
    assert_eq!(get_user(&app, &uid).await["emails"], body["emails"]);
}

#[tokio::test]
async fn patch_remove_with_a_value_filter_matching_nothing_is_a_noop_success() {
    // Arrange
    let app = TestApp::spawn().await;
    let user = create_rich_user(&app).await;
    let uid = id(&user);

    // Act
    let body = patch_ok(
        &app,
        &uid,
        json!([{"op": "remove", "path": "emails[type eq \"other\"]"}]),
    )
    .await;

    // Assert
    assert_eq!(body["emails"], user["emails"]);
}

#[tokio::test]
async fn patch_remove_with_a_value_filter_removes_only_the_matching_values() {
    let cases = [
        (
            "filter on type",
            r#"emails[type eq "home"]"#,
            vec!["bjensen@work.example"],
        ),
        (
            "value compared case-insensitively (emails.value is not caseExact)",
            r#"emails[value eq "BABS@HOME.EXAMPLE"]"#,
            vec!["bjensen@work.example"],
        ),
        (
            "filter on primary",
            "emails[primary eq true]",
            vec!["babs@home.example"],
        ),
        (
            "filter with and",
            r#"emails[type eq "work" and value ew "@home.example"]"#,
            vec!["bjensen@work.example", "babs@home.example"],
        ),
        (
            "filter with or removes both",
            r#"emails[type eq "work" or type eq "home"]"#,
            vec![],
        ),
        (
            "sub-attribute names case-insensitive",
            r#"EMAILS[TYPE eq "home"]"#,
            vec!["bjensen@work.example"],
        ),
    ];
    for (reason, path, expected) in cases {
        // Arrange
        let app = TestApp::spawn().await;
        let uid = id(&create_rich_user(&app).await);

        // Act
        let body = patch_ok(&app, &uid, json!([{"op": "remove", "path": path}])).await;

        // Assert
        assert_eq!(email_values(&body), expected, "{reason}: {body}");
        assert_eq!(
            email_values(&get_user(&app, &uid).await),
            expected,
            "{reason}: stored"
        );
    }
}

#[tokio::test]
async fn patch_replace_with_a_value_filter_matching_nothing_and_no_sub_attribute_is_no_target() {
    // Arrange
    let app = TestApp::spawn().await;
    let user = create_rich_user(&app).await;
    let uid = id(&user);

    // Act
    let resp = patch_user(
        &app,
        &uid,
        json!([{"op": "replace", "path": "emails[type eq \"other\"]", "value": {"value": "x@example.com", "type": "other"}}]),
    )
    .await;

    // Assert
    assert_scim_error(resp, 400, Some("noTarget")).await;
    assert_eq!(get_user(&app, &uid).await, user, "unchanged");
}

#[tokio::test]
async fn patch_remove_without_path_is_no_target() {
    // Arrange
    let app = TestApp::spawn().await;
    let user = create_rich_user(&app).await;
    let uid = id(&user);

    // Act
    let resp = patch_user(
        &app,
        &uid,
        json!([{"op": "remove", "value": {"displayName": "Babs Jensen"}}]),
    )
    .await;

    // Assert
    assert_scim_error(resp, 400, Some("noTarget")).await;
    assert_eq!(get_user(&app, &uid).await, user, "unchanged");
}

#[tokio::test]
async fn patch_cannot_remove_or_blank_the_required_user_name() {
    let cases = [
        (
            "remove userName",
            json!({"op": "remove", "path": "userName"}),
        ),
        (
            "replace userName with null",
            json!({"op": "replace", "path": "userName", "value": null}),
        ),
        (
            "replace userName with an empty string",
            json!({"op": "replace", "path": "userName", "value": ""}),
        ),
        (
            "replace userName with whitespace",
            json!({"op": "replace", "value": {"userName": "   "}}),
        ),
    ];
    for (reason, op) in cases {
        // Arrange
        let app = TestApp::spawn().await;
        let user = create_rich_user(&app).await;
        let uid = id(&user);

        // Act
        let resp = patch_user(&app, &uid, json!([op])).await;

        // Assert
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{reason}");
        let err = assert_scim_error(resp, 400, Some("invalidValue")).await;
        assert!(
            err["detail"].as_str().unwrap().contains("userName"),
            "{reason}: {err}"
        );
        assert_eq!(get_user(&app, &uid).await, user, "{reason}: unchanged");
    }
}

#[tokio::test]
async fn patch_replace_without_path_unassigns_attributes_set_to_null_or_empty() {
    let cases = [
        (
            "a singular attribute set to null",
            json!({"displayName": null}),
            "/displayName",
        ),
        (
            "a multi-valued attribute set to an empty array",
            json!({"emails": []}),
            "/emails",
        ),
        (
            "a multi-valued attribute set to null",
            json!({"phoneNumbers": null}),
            "/phoneNumbers",
        ),
        (
            "a sub-attribute set to null",
            json!({"name": {"familyName": null}}),
            "/name/familyName",
        ),
        (
            "an extension attribute set to null",
            json!({ENTERPRISE: {"department": null}}),
            "/urn:ietf:params:scim:schemas:extension:enterprise:2.0:User/department",
        ),
        (
            "a URN-qualified extension attribute set to null (Entra)",
            json!({format!("{ENTERPRISE}:department"): null}),
            "/urn:ietf:params:scim:schemas:extension:enterprise:2.0:User/department",
        ),
    ];
    for (reason, value, pointer) in cases {
        // Arrange
        let app = TestApp::spawn().await;
        let uid = id(&create_rich_user(&app).await);

        // Act
        let body = patch_ok(&app, &uid, json!([{"op": "replace", "value": value}])).await;

        // Assert (RFC 7643 §2.5: null or [] makes an attribute unassigned)
        assert_eq!(body.pointer(pointer), None, "{reason}: {body}");
        assert_eq!(
            get_user(&app, &uid).await.pointer(pointer),
            None,
            "{reason}: stored"
        );
    }
}

#[tokio::test]
async fn patch_replace_without_path_cannot_null_the_required_user_name() {
    // Arrange
    let app = TestApp::spawn().await;
    let user = create_rich_user(&app).await;
    let uid = id(&user);

    // Act
    let resp = patch_user(
        &app,
        &uid,
        json!([{"op": "replace", "value": {"userName": null}}]),
    )
    .await;

    // Assert
    assert_scim_error(resp, 400, Some("invalidValue")).await;
    assert_eq!(get_user(&app, &uid).await, user, "unchanged");
}

#[tokio::test]
async fn patch_user_name_to_one_already_taken_is_409_uniqueness() {
    // Arrange
    let app = TestApp::spawn().await;
    app.create_user("alice").await;
    let user = create_rich_user(&app).await;
    let uid = id(&user);

    // Act
    let resp = patch_user(
        &app,
        &uid,
        json!([{"op": "replace", "path": "userName", "value": "ALICE"}]),
    )
    .await;

    // Assert
    assert_scim_error(resp, 409, Some("uniqueness")).await;
    assert_eq!(get_user(&app, &uid).await, user, "unchanged");
}

#[tokio::test]
async fn patch_of_a_read_only_attribute_is_rejected_with_mutability() {
    let cases = [
        (
            "replace id",
            json!({"op": "replace", "path": "id", "value": "another-id"}),
        ),
        ("remove id", json!({"op": "remove", "path": "id"})),
        (
            "add groups",
            json!({"op": "add", "path": "groups", "value": [{"value": "g"}]}),
        ),
        ("remove groups", json!({"op": "remove", "path": "groups"})),
        (
            "replace meta",
            json!({"op": "replace", "path": "meta", "value": {"version": "W/\"9\""}}),
        ),
        (
            "replace meta.version",
            json!({"op": "replace", "path": "meta.version", "value": "W/\"9\""}),
        ),
        (
            "replace meta.created",
            json!({"op": "replace", "path": "meta.created", "value": "2020-01-01T00:00:00Z"}),
        ),
        (
            "replace manager.displayName",
            json!({"op": "replace", "path": format!("{ENTERPRISE}:manager.displayName"), "value": "Boss"}),
        ),
    ];
    for (reason, op) in cases {
        // Arrange
        let app = TestApp::spawn().await;
        let user = create_rich_user(&app).await;
        let uid = id(&user);

        // Act
        let resp = patch_user(&app, &uid, json!([op])).await;

        // Assert
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{reason}");
        assert_scim_error(resp, 400, Some("mutability")).await;
        assert_eq!(get_user(&app, &uid).await, user, "{reason}: unchanged");
    }
}

#[tokio::test]
async fn patch_of_an_unknown_attribute_path_is_ignored() {
    let cases = [
        ("unknown attribute", "favouriteColour"),
        ("unknown sub-attribute", "name.nickname"),
        (
            "unknown sub-attribute after a filter",
            "emails[type eq \"work\"].colour",
        ),
        (
            "unknown schema URN",
            "urn:example:params:scim:schemas:extension:acme:2.0:User:badge",
        ),
        (
            "unknown attribute of the enterprise extension",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:shoeSize",
        ),
    ];
    for op in ["add", "replace", "remove"] {
        for (reason, path) in cases {
            // Arrange
            let app = TestApp::spawn().await;
            let user = create_rich_user(&app).await;
            let uid = id(&user);

            // Act
            let resp = patch_user(
                &app,
                &uid,
                json!([
                    {"op": op, "path": path, "value": "x"},
                    {"op": "replace", "path": "title", "value": "Changed"}
                ]),
            )
            .await;

            // Assert: the unknown name is skipped, the rest of the request applies.
            assert_eq!(resp.status(), StatusCode::OK, "{op} {reason}");
            let mut expected = user.clone();
            expected["title"] = json!("Changed");
            let mut stored = get_user(&app, &uid).await;
            for v in [&mut expected, &mut stored] {
                v.as_object_mut().unwrap().remove("meta");
            }
            assert_eq!(stored, expected, "{op} {reason}");
        }
    }
}

#[tokio::test]
async fn patch_with_a_value_filter_on_a_singular_attribute_is_invalid_path() {
    // Arrange
    let app = TestApp::spawn().await;
    let user = create_rich_user(&app).await;
    let uid = id(&user);

    // Act
    let resp = patch_user(
        &app,
        &uid,
        json!([{"op": "replace", "path": "displayName[value eq \"x\"]", "value": "x"}]),
    )
    .await;

    // Assert
    assert_scim_error(resp, 400, Some("invalidPath")).await;
    assert_eq!(get_user(&app, &uid).await, user, "unchanged");
}

#[tokio::test]
async fn patch_with_a_malformed_path_is_invalid_path() {
    let cases = [
        ("unclosed value filter", "emails[type eq \"work\""),
        ("comparison without a value", "emails[type eq]"),
        ("unknown comparison operator", "emails[type is \"work\"]"),
        (
            "unterminated string in the filter",
            "emails[type eq \"work]",
        ),
        ("empty sub-attribute", "name."),
        (
            "text after the value filter",
            "emails[type eq \"work\"]value",
        ),
        ("not an attribute name", "!!"),
        ("spaces inside the name", "display Name"),
    ];
    for (reason, path) in cases {
        // Arrange
        let app = TestApp::spawn().await;
        let uid = id(&create_rich_user(&app).await);

        // Act
        let resp = patch_user(
            &app,
            &uid,
            json!([{"op": "replace", "path": path, "value": "x"}]),
        )
        .await;

        // Assert
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{reason}");
        assert_scim_error(resp, 400, Some("invalidPath")).await;
    }
}

#[tokio::test]
async fn patch_request_body_errors_have_the_documented_scim_type() {
    let op = json!({"op": "replace", "path": "displayName", "value": "x"});
    let cases = [
        (
            "schemas is missing",
            json!({"Operations": [op]}),
            "invalidSyntax",
        ),
        (
            "schemas lacks the PatchOp URN",
            json!({"schemas": [USER_SCHEMA], "Operations": [op]}),
            "invalidSyntax",
        ),
        (
            "schemas is not an array",
            json!({"schemas": PATCH_OP, "Operations": [op]}),
            "invalidSyntax",
        ),
        (
            "Operations is missing",
            json!({"schemas": [PATCH_OP]}),
            "invalidSyntax",
        ),
        (
            "Operations is not an array",
            json!({"schemas": [PATCH_OP], "Operations": op}),
            "invalidSyntax",
        ),
        (
            "Operations is empty",
            json!({"schemas": [PATCH_OP], "Operations": []}),
            "invalidSyntax",
        ),
        (
            "an operation is not an object",
            json!({"schemas": [PATCH_OP], "Operations": ["replace"]}),
            "invalidSyntax",
        ),
        (
            "op is missing",
            json!({"schemas": [PATCH_OP], "Operations": [{"path": "displayName", "value": "x"}]}),
            "invalidSyntax",
        ),
        (
            "op is unknown",
            json!({"schemas": [PATCH_OP], "Operations": [{"op": "move", "path": "displayName", "value": "x"}]}),
            "invalidSyntax",
        ),
        (
            "op is not a string",
            json!({"schemas": [PATCH_OP], "Operations": [{"op": 1, "path": "displayName", "value": "x"}]}),
            "invalidSyntax",
        ),
        ("the body is an array", json!([op]), "invalidSyntax"),
        (
            "add has no value",
            json!({"schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "displayName"}]}),
            "invalidValue",
        ),
        (
            "replace has no value",
            json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "displayName"}]}),
            "invalidValue",
        ),
        (
            "path is not a string",
            json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": 7, "value": "x"}]}),
            "invalidPath",
        ),
        (
            "no path and a value that is not an object",
            json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": "x"}]}),
            "invalidValue",
        ),
        (
            "a value of the wrong type",
            json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "displayName", "value": 42}]}),
            "invalidValue",
        ),
    ];
    for (reason, body, scim_type) in cases {
        // Arrange
        let app = TestApp::spawn().await;
        let user = create_rich_user(&app).await;
        let uid = id(&user);

        // Act
        let resp = app.patch(&format!("/Users/{uid}"), body).await;

        // Assert
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{reason}");
        let err = scim_json(resp).await;
        assert_eq!(err["scimType"], scim_type, "{reason}: {err}");
        assert_eq!(err["status"], "400", "{reason}");
        assert_eq!(get_user(&app, &uid).await, user, "{reason}: unchanged");
    }
}

#[tokio::test]
async fn patch_sub_attribute_path_changes_only_that_sub_attribute() {
    let cases = [
        (
            "replace name.givenName",
            json!({"op": "replace", "path": "name.givenName", "value": "Babs"}),
            json!({"givenName": "Babs", "familyName": "Jensen"}),
        ),
        (
            "add name.middleName",
            json!({"op": "add", "path": "name.middleName", "value": "Jane"}),
            json!({"givenName": "Barbara", "familyName": "Jensen", "middleName": "Jane"}),
        ),
        (
            "remove name.familyName",
            json!({"op": "remove", "path": "name.familyName"}),
            json!({"givenName": "Barbara"}),
        ),
        (
            "sub-attribute names are case-insensitive",
            json!({"op": "replace", "path": "NAME.GIVENNAME", "value": "Babs"}),
            json!({"givenName": "Babs", "familyName": "Jensen"}),
        ),
        (
            "no-path complex value merges sub-attributes",
            json!({"op": "replace", "value": {"name": {"givenName": "Babs"}}}),
            json!({"givenName": "Babs", "familyName": "Jensen"}),
        ),
        (
            "core URN-qualified sub-attribute path",
            json!({"op": "replace", "path": format!("{USER_SCHEMA}:name.givenName"), "value": "Babs"}),
            json!({"givenName": "Babs", "familyName": "Jensen"}),
        ),
    ];
    for (reason, op, expected) in cases {
        // Arrange
        let app = TestApp::spawn().await;
        let uid = id(&create_rich_user(&app).await);

        // Act
        let body = patch_ok(&app, &uid, json!([op])).await;

        // Assert
        assert_eq!(body["name"], expected, "{reason}");
        assert_eq!(
            get_user(&app, &uid).await["name"],
            expected,
            "{reason}: stored"
        );
    }
}

#[tokio::test]
async fn patch_sub_attribute_path_creates_the_complex_attribute_when_absent() {
    // Arrange
    let app = TestApp::spawn().await;
    let uid = id(&app.create_user("plain").await);

    // Act
    let body = patch_ok(
        &app,
        &uid,
        json!([{"op": "add", "path": "name.givenName", "value": "Plain"}]),
    )
    .await;

    // Assert
    assert_eq!(body["name"], json!({"givenName": "Plain"}));
}

#[tokio::test]
async fn patch_enterprise_attribute_by_urn_qualified_path() {
    let department = format!("{ENTERPRISE}:department");
    let cases = [
        (
            "replace an existing extension attribute",
            json!({"op": "replace", "path": department, "value": "Engineering"}),
            "department",
            Some(json!("Engineering")),
        ),
        (
            "add an extension attribute",
            json!({"op": "add", "path": format!("{ENTERPRISE}:costCenter"), "value": "4130"}),
            "costCenter",
            Some(json!("4130")),
        ),
        (
            "URN matched case-insensitively",
            json!({"op": "replace", "path": department.to_uppercase(), "value": "Engineering"}),
            "department",
            Some(json!("Engineering")),
        ),
        (
            "remove an extension attribute",
            json!({"op": "remove", "path": department}),
            "department",
            None,
        ),
        (
            "a bare extension attribute name",
            json!({"op": "replace", "path": "department", "value": "Engineering"}),
            "department",
            Some(json!("Engineering")),
        ),
    ];
    for (reason, op, attr, expected) in cases {
        // Arrange
        let app = TestApp::spawn().await;
        let uid = id(&create_rich_user(&app).await);

        // Act
        let body = patch_ok(&app, &uid, json!([op])).await;

        // Assert
        assert_eq!(
            body[ENTERPRISE].get(attr).cloned(),
            expected,
            "{reason}: {body}"
        );
        assert_eq!(
            body[ENTERPRISE]["employeeNumber"], "701984",
            "{reason}: other attributes kept"
        );
        assert_eq!(
            body["schemas"],
            json!([USER_SCHEMA, ENTERPRISE]),
            "{reason}"
        );
        assert_eq!(get_user(&app, &uid).await, body, "{reason}: stored");
    }
}

#[tokio::test]
async fn patch_enterprise_attribute_on_a_user_without_the_extension_adds_the_schema() {
    // Arrange
    let app = TestApp::spawn().await;
    let user = app.create_user("plain").await;
    let uid = id(&user);
    assert_eq!(user["schemas"], json!([USER_SCHEMA]));

    // Act
    let body = patch_ok(
        &app,
        &uid,
        json!([{"op": "add", "path": format!("{ENTERPRISE}:department"), "value": "Engineering"}]),
    )
    .await;

    // Assert
    assert_eq!(body["schemas"], json!([USER_SCHEMA, ENTERPRISE]));
    assert_eq!(body[ENTERPRISE], json!({"department": "Engineering"}));
    let found = app
        .list(
            "/Users",
            &format!(r#"{ENTERPRISE}:department eq "Engineering""#),
        )
        .await;
    assert_eq!(found["totalResults"], 1);
}

#[tokio::test]
async fn patch_whole_enterprise_extension_path_with_an_object_value() {
    // Arrange
    let app = TestApp::spawn().await;
    let uid = id(&create_rich_user(&app).await);

    // Act
    let added = patch_ok(
        &app,
        &uid,
        json!([{"op": "add", "path": ENTERPRISE, "value": {"department": "Engineering", "costCenter": "4130"}}]),
    )
    .await;
    let removed = patch_ok(&app, &uid, json!([{"op": "remove", "path": ENTERPRISE}])).await;

    // Assert
    assert_eq!(
        added[ENTERPRISE],
        json!({"employeeNumber": "701984", "costCenter": "4130", "department": "Engineering"}),
        "the object is merged into the extension"
    );
    assert_eq!(removed.get(ENTERPRISE), None, "{removed}");
    assert_eq!(removed["schemas"], json!([USER_SCHEMA]));
    assert_eq!(get_user(&app, &uid).await, removed);
}

#[tokio::test]
async fn patch_enterprise_manager_accepts_a_bare_id_as_entra_sends_it() {
    let manager_path = format!("{ENTERPRISE}:manager");
    let cases = [
        ("add with the manager path", "add", true),
        ("Replace with the manager path", "Replace", true),
        (
            "replace without a path and a URN-qualified key",
            "replace",
            false,
        ),
    ];
    for (reason, op, with_path) in cases {
        // Arrange
        let app = TestApp::spawn().await;
        let boss = app
            .post(
                "/Users",
                json!({"schemas": [USER_SCHEMA], "userName": "boss", "displayName": "The Boss"}),
            )
            .await;
        let boss_id = id(&boss.json::<Value>().await.expect("json"));
        let uid = id(&create_rich_user(&app).await);

        // Act
        let operation = if with_path {
            json!({"op": op, "path": manager_path, "value": boss_id})
        } else {
            json!({"op": op, "value": {manager_path.as_str(): boss_id}})
        };
        let body = patch_ok(&app, &uid, json!([operation])).await;

        // Assert
        assert_eq!(
            body[ENTERPRISE]["manager"],
            json!({"value": boss_id, "displayName": "The Boss", "$ref": format!("{}/Users/{boss_id}", app.base)}),
            "{reason}"
        );
        assert_eq!(
            body[ENTERPRISE]["department"], "Tour Operations",
            "{reason}"
        );
        assert_eq!(get_user(&app, &uid).await, body, "{reason}: stored");
    }
}

#[tokio::test]
async fn patch_removes_the_manager() {
    // Arrange
    let app = TestApp::spawn().await;
    let boss_id = id(&app.create_user("boss").await);
    let uid = id(&create_rich_user(&app).await);
    let manager_path = format!("{ENTERPRISE}:manager");
    patch_ok(
        &app,
        &uid,
        json!([{"op": "add", "path": manager_path, "value": {"value": boss_id}}]),
    )
    .await;

    // Act
    let body = patch_ok(&app, &uid, json!([{"op": "remove", "path": manager_path}])).await;

    // Assert
    assert_eq!(body[ENTERPRISE].get("manager"), None, "{body}");
    assert_eq!(body[ENTERPRISE]["department"], "Tour Operations");
}

#[tokio::test]
async fn patch_without_path_accepts_urn_qualified_keys_as_entra_sends_them() {
    let cases = [
        (
            "enterprise attribute",
            json!({format!("{ENTERPRISE}:department"): "Engineering"}),
            "/urn:ietf:params:scim:schemas:extension:enterprise:2.0:User/department",
            json!("Engineering"),
        ),
        (
            "core attribute",
            json!({format!("{USER_SCHEMA}:displayName"): "B. J."}),
            "/displayName",
            json!("B. J."),
        ),
        (
            "core sub-attribute",
            json!({format!("{USER_SCHEMA}:name.familyName"): "Jensen-Smith"}),
            "/name/familyName",
            json!("Jensen-Smith"),
        ),
        (
            "mixed with plain keys",
            json!({"title": "Guide", format!("{ENTERPRISE}:costCenter"): "4130"}),
            "/urn:ietf:params:scim:schemas:extension:enterprise:2.0:User/costCenter",
            json!("4130"),
        ),
    ];
    for (reason, value, pointer, expected) in cases {
        // Arrange
        let app = TestApp::spawn().await;
        let user = create_rich_user(&app).await;
        let uid = id(&user);

        // Act
        let body = patch_ok(&app, &uid, json!([{"op": "replace", "value": value}])).await;

        // Assert
        assert_eq!(body.pointer(pointer), Some(&expected), "{reason}: {body}");
        assert_eq!(
            body[ENTERPRISE]["employeeNumber"], "701984",
            "{reason}: the rest of the extension is kept"
        );
        assert_eq!(
            body["name"]["givenName"], "Barbara",
            "{reason}: the rest of name is kept"
        );
        assert_eq!(get_user(&app, &uid).await, body, "{reason}: stored");
    }
}

#[tokio::test]
async fn patch_primary_on_a_new_email_clears_the_old_primary() {
    let cases = [
        (
            "add with a path",
            json!({"op": "add", "path": "emails", "value": [{"value": "new@example.com", "type": "other", "primary": true}]}),
            "new@example.com",
        ),
        (
            "add without a path",
            json!({"op": "add", "value": {"emails": [{"value": "new@example.com", "type": "other", "primary": true}]}}),
            "new@example.com",
        ),
        (
            "primary set through a value filter",
            json!({"op": "replace", "path": "emails[value eq \"babs@home.example\"].primary", "value": true}),
            "babs@home.example",
        ),
        (
            "Entra's boolean string through a value filter",
            json!({"op": "replace", "path": "emails[type eq \"home\"].primary", "value": "True"}),
            "babs@home.example",
        ),
        (
            "a whole value replaced through a value filter",
            json!({"op": "replace", "path": "emails[type eq \"home\"]", "value": {"value": "babs@home.example", "type": "home", "primary": true}}),
            "babs@home.example",
        ),
    ];
    for (reason, op, new_primary) in cases {
        // Arrange
        let app = TestApp::spawn().await;
        let uid = id(&create_rich_user(&app).await);

        // Act
        let body = patch_ok(&app, &uid, json!([op])).await;

        // Assert
        assert_eq!(primary_emails(&body), vec![new_primary], "{reason}: {body}");
        assert_eq!(
            email(&body, "bjensen@work.example").get("primary"),
            None,
            "{reason}: old primary cleared"
        );
        assert_eq!(
            primary_emails(&get_user(&app, &uid).await),
            vec![new_primary],
            "{reason}: stored"
        );
    }
}

#[tokio::test]
async fn patch_failing_on_its_second_operation_leaves_the_user_unchanged() {
    let first = json!({"op": "replace", "path": "displayName", "value": "Changed"});
    let cases = [
        (
            "malformed path",
            json!({"op": "replace", "path": "emails[type eq", "value": "x"}),
            "invalidPath",
        ),
        (
            "read-only attribute",
            json!({"op": "replace", "path": "id", "value": "x"}),
            "mutability",
        ),
        (
            "filter matching nothing",
            json!({"op": "replace", "path": "emails[type eq \"other\"]", "value": {"value": "x@example.com"}}),
            "noTarget",
        ),
        (
            "required attribute removed",
            json!({"op": "remove", "path": "userName"}),
            "invalidValue",
        ),
        (
            "value of the wrong type",
            json!({"op": "replace", "path": "active", "value": "maybe"}),
            "invalidValue",
        ),
    ];
    for (reason, second, scim_type) in cases {
        // Arrange
        let app = TestApp::spawn().await;
        let uid = id(&create_rich_user(&app).await);
        let before = get_user(&app, &uid).await;

        // Act
        let resp = patch_user(
            &app,
            &uid,
            json!([first, {"op": "add", "path": "nickName", "value": "Babs"}, second]),
        )
        .await;

        // Assert
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{reason}");
        assert_scim_error(resp, 400, Some(scim_type)).await;
        let after = get_user(&app, &uid).await;
        assert_eq!(
            after, before,
            "{reason}: nothing applied, meta.version included"
        );
        assert_eq!(after["meta"]["version"], "W/\"1\"", "{reason}");
    }
}

#[tokio::test]
async fn patch_of_an_unknown_user_is_404() {
    // Arrange
    let app = TestApp::spawn().await;
    let group = app.create_group("Not a user", &[]).await;

    // Act
    let unknown = patch_user(
        &app,
        "no-such-user",
        json!([{"op": "replace", "path": "displayName", "value": "x"}]),
    )
    .await;
    let group_id = patch_user(
        &app,
        &id(&group),
        json!([{"op": "replace", "path": "displayName", "value": "x"}]),
    )
    .await;

    // Assert
    let err = assert_scim_error(unknown, 404, None).await;
    assert!(
        err["detail"].as_str().unwrap().contains("no-such-user"),
        "{err}"
    );
    assert_scim_error(group_id, 404, None).await;
}

#[tokio::test]
async fn patch_sets_a_password_that_is_stored_hashed_and_never_returned() {
    let cases = [
        (
            "with a path",
            json!({"op": "replace", "path": "password", "value": "t1meMa$heen"}),
        ),
        (
            "without a path",
            json!({"op": "replace", "value": {"password": "t1meMa$heen"}}),
        ),
        (
            "add with a path",
            json!({"op": "add", "path": "password", "value": "t1meMa$heen"}),
        ),
    ];
    for (reason, op) in cases {
        // Arrange
        let app = TestApp::spawn().await;
        let uid = id(&create_rich_user(&app).await);
        assert_eq!(
            password_hash(&app, &uid).await,
            None,
            "{reason}: no password yet"
        );

        // Act
        let resp = patch_user(&app, &uid, json!([op])).await;

        // Assert
        assert_eq!(resp.status(), StatusCode::OK, "{reason}");
        let text = resp.text().await.expect("body");
        assert!(!text.contains("t1meMa$heen"), "{reason}: {text}");
        let body: Value = serde_json::from_str(&text).expect("json");
        assert_eq!(body.get("password"), None, "{reason}");
        let stored = get_user(&app, &uid).await;
        assert_eq!(stored.get("password"), None, "{reason}");
        let hash = password_hash(&app, &uid)
            .await
            .expect("a password hash is stored");
        assert!(hash.starts_with("$argon2"), "{reason}: {hash}");
        assert!(
            Argon2::default()
                .verify_password(b"t1meMa$heen", hash.as_str())
                .is_ok(),
            "{reason}"
        );
        // A later PATCH that does not mention the password keeps it.
        patch_ok(
            &app,
            &uid,
            json!([{"op": "replace", "path": "title", "value": "Guide"}]),
        )
        .await;
        assert_eq!(
            password_hash(&app, &uid).await,
            Some(hash),
            "{reason}: password kept"
        );
    }
}
