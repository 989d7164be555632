//! Every example of RFC 7644 §3.5.2 and every identity-provider PATCH form scimd accepts
//! (`scim::idp_forms`), as table rows: the resource a row starts from, its operations, and the
//! status and attributes expected afterwards (read back with GET).
//!
//! In operations and expectations, `<u0>`, `<u1>` and `<u2>` stand for the ids of the users
//! Babs Jensen, James Smith and Kim Lee, which every row has; `<id>` for the patched resource's
//! own id; `<base>` for the server's SCIM base URL.

use reqwest::StatusCode;
use serde_json::{Map, Value, json};

use crate::helpers::{
    ENTERPRISE, PATCH_OP, TestApp, USER_SCHEMA, assert_scim_error, id, scim_json,
};

/// The users every row can refer to, as `(userName, displayName)`.
const PEOPLE: [(&str, &str); 3] = [
    ("babs", "Babs Jensen"),
    ("james", "James Smith"),
    ("kim", "Kim Lee"),
];

/// The work address of RFC 7644 §3.5.2.3.
fn rfc_work_address() -> Value {
    json!({
        "type": "work",
        "streetAddress": "911 Universal City Plaza",
        "locality": "Hollywood",
        "region": "CA",
        "postalCode": "91608",
        "country": "US",
        "formatted": "911 Universal City Plaza\nHollywood, CA 91608 US",
        "primary": true
    })
}

fn old_work_address() -> Value {
    json!({"type": "work", "streetAddress": "100 Universal City Plaza", "locality": "Hollywood",
           "region": "CA", "postalCode": "91608", "country": "US"})
}

fn home_address() -> Value {
    json!({"type": "home", "streetAddress": "456 Hollywood Blvd", "locality": "Hollywood",
           "region": "CA", "postalCode": "91608", "country": "US", "primary": true})
}

/// The user most rows start from: Barbara Jensen with a work email, a work and a (primary) home
/// address and enterprise attributes.
fn bjensen() -> Value {
    json!({
        "schemas": [USER_SCHEMA, ENTERPRISE],
        "userName": "bjensen",
        "displayName": "Babs Jensen",
        "name": {"givenName": "Barbara", "familyName": "Jensen"},
        "title": "Tour Guide",
        "active": true,
        "emails": [{"value": "bjensen@example.com", "type": "work", "primary": true}],
        "addresses": [old_work_address(), home_address()],
        ENTERPRISE: {"employeeNumber": "701984", "department": "Tour Operations"},
    })
}

/// [`bjensen`] with some attributes changed; `null` leaves an attribute out.
fn bjensen_with(changes: Value) -> Start {
    let Value::Object(mut user) = bjensen() else {
        unreachable!("bjensen is an object")
    };
    let Value::Object(changes) = changes else {
        panic!("changes must be an object")
    };
    for (key, value) in changes {
        if value.is_null() {
            user.remove(&key);
        } else {
            user.insert(key, value);
        }
    }
    Start::User(Value::Object(user))
}

/// What a row patches.
enum Start {
    /// A user created from this body.
    User(Value),
    /// A group "Tour Guides" whose members are these of [`PEOPLE`], by index.
    Group(&'static [usize]),
}

/// One PATCH request and what it must do.
struct Row {
    reason: &'static str,
    start: Start,
    operations: Value,
    /// The expected status; for errors also the `scimType`.
    outcome: Outcome,
}

enum Outcome {
    /// Success; each key of the object is a JSON pointer into the resource read back afterwards,
    /// with its expected value (`null`: absent). `/members` compares the member ids as a set.
    Applied(Value),
    /// A SCIM error; the resource is unchanged.
    Refused(u16, Option<&'static str>),
}

fn applied(reason: &'static str, start: Start, operations: Value, expect: Value) -> Row {
    Row {
        reason,
        start,
        operations,
        outcome: Outcome::Applied(expect),
    }
}

fn refused(
    reason: &'static str,
    start: Start,
    operations: Value,
    status: u16,
    scim_type: Option<&'static str>,
) -> Row {
    Row {
        reason,
        start,
        operations,
        outcome: Outcome::Refused(status, scim_type),
    }
}

/// The JSON pointer of an enterprise extension attribute.
fn enterprise(attribute: &str) -> String {
    format!("/{ENTERPRISE}/{attribute}")
}

/// The manager value scimd returns for Babs Jensen (`<u0>`).
fn babs_as_manager() -> Value {
    json!({"value": "<u0>", "displayName": "Babs Jensen", "$ref": "<base>/Users/<u0>"})
}

/// GETs `path`, asserting 200, and returns the body.
async fn get_json(app: &TestApp, path: &str) -> Value {
    let resp = app.get(path).await;
    assert_eq!(resp.status(), StatusCode::OK, "GET {path}");
    scim_json(resp).await
}

/// The member ids of a group, sorted, as a JSON array (`[]` without members).
fn member_ids(group: &Value) -> Value {
    let mut ids: Vec<String> = group
        .get("members")
        .and_then(Value::as_array)
        .map(|m| {
            m.iter()
                .map(|v| v["value"].as_str().expect("member value").to_owned())
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    json!(ids)
}

/// Replaces the placeholders `<u0>`…, `<id>` and `<base>` in every string of `v`.
fn substitute(v: &Value, people: &[String], own_id: &str, base: &str) -> Value {
    let mut text = v.to_string();
    for (i, uid) in people.iter().enumerate() {
        text = text.replace(&format!("<u{i}>"), uid);
    }
    text = text.replace("<id>", own_id).replace("<base>", base);
    serde_json::from_str(&text).expect("substituted JSON")
}

/// Runs one row on a fresh server.
async fn run(row: Row) {
    // Arrange
    let reason = row.reason;
    let app = TestApp::spawn().await;
    let mut people = Vec::new();
    for (user_name, display) in PEOPLE {
        let resp = app
            .post(
                "/Users",
                json!({"schemas": [USER_SCHEMA], "userName": user_name, "displayName": display}),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::CREATED, "{reason}: {user_name}");
        people.push(id(&resp.json::<Value>().await.expect("json")));
    }
    let (path, own_id) = match &row.start {
        Start::User(body) => {
            let resp = app.post("/Users", body.clone()).await;
            assert_eq!(
                resp.status(),
                StatusCode::CREATED,
                "{reason}: creating the user"
            );
            let uid = id(&resp.json::<Value>().await.expect("json"));
            (format!("/Users/{uid}"), uid)
        }
        Start::Group(members) => {
            let members: Vec<&str> = members.iter().map(|&i| people[i].as_str()).collect();
            let gid = id(&app.create_group("Tour Guides", &members).await);
            (format!("/Groups/{gid}"), gid)
        }
    };
    let before = get_json(&app, &path).await;
    let operations = substitute(&row.operations, &people, &own_id, &app.base);

    // Act
    let resp = app
        .patch(
            &path,
            json!({"schemas": [PATCH_OP], "Operations": operations}),
        )
        .await;

    // Assert
    match row.outcome {
        Outcome::Refused(status, scim_type) => {
            assert_eq!(resp.status().as_u16(), status, "{reason}");
            let err = assert_scim_error(resp, status, scim_type).await;
            let after = get_json(&app, &path).await;
            assert_eq!(after, before, "{reason}: unchanged after {err}");
        }
        Outcome::Applied(expect) => {
            let status = resp.status();
            let text = resp.text().await.expect("body");
            let after = get_json(&app, &path).await;
            match row.start {
                Start::User(_) => {
                    assert_eq!(status, StatusCode::OK, "{reason}: {text}");
                    let body: Value = serde_json::from_str(&text).expect("json");
                    assert_eq!(body, after, "{reason}: the response is the stored user");
                }
                Start::Group(_) => {
                    assert_eq!(status, StatusCode::NO_CONTENT, "{reason}: {text}");
                    assert!(text.is_empty(), "{reason}: 204 has no body");
                }
            }
            let expect = substitute(&expect, &people, &own_id, &app.base);
            let expect: &Map<String, Value> = expect.as_object().expect("expectations");
            for (pointer, expected) in expect {
                let actual = if pointer == "/members" {
                    member_ids(&after)
                } else {
                    after.pointer(pointer).cloned().unwrap_or(Value::Null)
                };
                let expected = if pointer == "/members" {
                    let mut ids: Vec<String> =
                        serde_json::from_value(expected.clone()).expect("expected member ids");
                    ids.sort();
                    json!(ids)
                } else {
                    expected.clone()
                };
                assert_eq!(actual, expected, "{reason}: {pointer} in {after}");
            }
        }
    }
}

async fn run_all(rows: Vec<Row>) {
    for row in rows {
        run(row).await;
    }
}

#[tokio::test]
async fn rfc_7644_add_examples_have_the_documented_effect() {
    run_all(vec![
        applied(
            "§3.5.2.1: add a member to a group, with display and $ref as in the RFC",
            Start::Group(&[1]),
            json!([{"op": "add", "path": "members", "value": [
                {"display": "Babs Jensen", "$ref": "https://example.com/v2/Users/<u0>", "value": "<u0>"}
            ]}]),
            json!({"/members": ["<u0>", "<u1>"], "/displayName": "Tour Guides"}),
        ),
        applied(
            "§3.5.2.1: add emails and a nickname without a path (the value is a partial User)",
            Start::User(bjensen()),
            json!([{"op": "add", "value": {
                "emails": [{"value": "babs@jensen.org", "type": "home"}],
                "nickname": "Babs"
            }}]),
            json!({
                "/emails": [
                    {"value": "bjensen@example.com", "type": "work", "primary": true},
                    {"value": "babs@jensen.org", "type": "home"}
                ],
                "/nickName": "Babs",
                "/userName": "bjensen",
                "/title": "Tour Guide",
            }),
        ),
    ])
    .await;
}

#[tokio::test]
async fn rfc_7644_remove_examples_have_the_documented_effect() {
    run_all(vec![
        applied(
            "§3.5.2.2: remove a single member",
            Start::Group(&[0, 1]),
            json!([{"op": "remove", "path": "members[value eq \"<u0>\"]"}]),
            json!({"/members": ["<u1>"]}),
        ),
        applied(
            "§3.5.2.2: removing a user who is not a member takes no action",
            Start::Group(&[1]),
            json!([{"op": "remove", "path": "members[value eq \"<u0>\"]"}]),
            json!({"/members": ["<u1>"]}),
        ),
        applied(
            "§3.5.2.2: remove all members",
            Start::Group(&[0, 1, 2]),
            json!([{"op": "remove", "path": "members"}]),
            json!({"/members": [], "/displayName": "Tour Guides"}),
        ),
        applied(
            "§3.5.2.2: remove a member and add another in one request",
            Start::Group(&[0]),
            json!([
                {"op": "remove", "path": "members[value eq \"<u0>\"]"},
                {"op": "add", "path": "members", "value": [
                    {"display": "James Smith", "$ref": "https://example.com/v2/Users/<u1>", "value": "<u1>"}
                ]}
            ]),
            json!({"/members": ["<u1>"]}),
        ),
        applied(
            "§3.5.2.2: replace the members by removing all and adding two",
            Start::Group(&[2]),
            json!([
                {"op": "remove", "path": "members"},
                {"op": "add", "path": "members", "value": [
                    {"display": "Babs Jensen", "$ref": "https://example.com/v2/Users/<u0>", "value": "<u0>"},
                    {"display": "James Smith", "$ref": "https://example.com/v2/Users/<u1>", "value": "<u1>"}
                ]}
            ]),
            json!({"/members": ["<u0>", "<u1>"]}),
        ),
        applied(
            "§3.5.2.2: remove all work emails ending in example.com",
            bjensen_with(json!({"emails": [
                {"value": "bjensen@example.com", "type": "work", "primary": true},
                {"value": "barbara@jensen.org", "type": "work"},
                {"value": "babs@example.com", "type": "home"}
            ]})),
            json!([{"op": "remove", "path": "emails[type eq \"work\" and value ew \"example.com\"]"}]),
            json!({"/emails": [
                {"value": "barbara@jensen.org", "type": "work"},
                {"value": "babs@example.com", "type": "home"}
            ]}),
        ),
        applied(
            "§3.5.2.2: remove several members with a filter joining values with or",
            Start::Group(&[0, 1, 2]),
            json!([{"op": "remove", "path": "members[value eq \"<u0>\" or value eq \"<u2>\"]"}]),
            json!({"/members": ["<u1>"]}),
        ),
        applied(
            "§3.5.2.2: remove several members with a complex filter on display and value",
            Start::Group(&[0, 1, 2]),
            json!([{"op": "remove", "path": "members[display eq \"Babs Jensen\" or value eq \"<u2>\"]"}]),
            json!({"/members": ["<u1>"]}),
        ),
        applied(
            "§3.5.2.2: remove every member of a type",
            Start::Group(&[0, 1, 2]),
            json!([{"op": "remove", "path": "members[type eq \"User\"]"}]),
            json!({"/members": []}),
        ),
    ])
    .await;
}

#[tokio::test]
async fn rfc_7644_replace_examples_have_the_documented_effect() {
    run_all(vec![
        applied(
            "§3.5.2.3: replace all members",
            Start::Group(&[2]),
            json!([{"op": "replace", "path": "members", "value": [
                {"display": "Babs Jensen", "$ref": "https://example.com/v2/Users/<u0>", "value": "<u0>"},
                {"display": "James Smith", "$ref": "https://example.com/v2/Users/<u1>", "value": "<u1>"}
            ]}]),
            json!({"/members": ["<u0>", "<u1>"]}),
        ),
        applied(
            "§3.5.2.3: replace the whole work address; its primary resets the others'",
            Start::User(bjensen()),
            json!([{"op": "replace", "path": "addresses[type eq \"work\"]", "value": rfc_work_address()}]),
            json!({
                "/addresses/0": rfc_work_address(),
                "/addresses/1/streetAddress": "456 Hollywood Blvd",
                "/addresses/1/primary": null,
                "/addresses/2": null,
            }),
        ),
        applied(
            "§3.5.2.3: replace the streetAddress of the work address",
            Start::User(bjensen()),
            json!([{"op": "replace", "path": "addresses[type eq \"work\"].streetAddress", "value": "1010 Broadway Ave"}]),
            json!({
                "/addresses": [
                    {"type": "work", "streetAddress": "1010 Broadway Ave", "locality": "Hollywood",
                     "region": "CA", "postalCode": "91608", "country": "US"},
                    home_address()
                ],
            }),
        ),
        applied(
            "§3.5.2.3: replace several attributes without a path; the others are unaffected",
            bjensen_with(json!({
                "emails": [{"value": "old@example.com", "type": "work", "primary": true}],
                "nickName": "Barbara"
            })),
            json!([{"op": "replace", "value": {
                "emails": [
                    {"value": "bjensen@example.com", "type": "work", "primary": true},
                    {"value": "babs@jensen.org", "type": "home"}
                ],
                "nickname": "Babs"
            }}]),
            json!({
                "/emails": [
                    {"value": "bjensen@example.com", "type": "work", "primary": true},
                    {"value": "babs@jensen.org", "type": "home"}
                ],
                "/nickName": "Babs",
                "/displayName": "Babs Jensen",
                "/title": "Tour Guide",
                "/name": {"givenName": "Barbara", "familyName": "Jensen"},
            }),
        ),
    ])
    .await;
}

#[tokio::test]
async fn identity_provider_patch_forms_have_their_intended_effect() {
    let manager_path = format!("{ENTERPRISE}:manager");
    run_all(vec![
        applied(
            "Entra: capitalised op names on a user",
            Start::User(bjensen()),
            json!([
                {"op": "Replace", "path": "title", "value": "Boss"},
                {"op": "Add", "path": "nickName", "value": "Babs"},
                {"op": "Remove", "path": "displayName"}
            ]),
            json!({"/title": "Boss", "/nickName": "Babs", "/displayName": null}),
        ),
        applied(
            "op names in upper and mixed case on a group",
            Start::Group(&[0]),
            json!([
                {"op": "ADD", "path": "members", "value": [{"value": "<u1>"}]},
                {"op": "rEmOvE", "path": "members[value eq \"<u0>\"]"},
                {"op": "RePlAcE", "path": "displayName", "value": "Guides"}
            ]),
            json!({"/members": ["<u1>"], "/displayName": "Guides"}),
        ),
        applied(
            "Entra: active as the string \"False\" with a path",
            Start::User(bjensen()),
            json!([{"op": "Replace", "path": "active", "value": "False"}]),
            json!({"/active": false}),
        ),
        applied(
            "Entra: active as the string \"False\" without a path",
            Start::User(bjensen()),
            json!([{"op": "Replace", "value": {"active": "False"}}]),
            json!({"/active": false, "/userName": "bjensen"}),
        ),
        applied(
            "Okta: deactivation as a replace without a path",
            Start::User(bjensen()),
            json!([{"op": "replace", "value": {"active": false}}]),
            json!({
                "/active": false,
                "/userName": "bjensen",
                "/emails": [{"value": "bjensen@example.com", "type": "work", "primary": true}],
            }),
        ),
        applied(
            "Entra: add members with a capitalised op",
            Start::Group(&[]),
            json!([{"op": "Add", "path": "members", "value": [{"value": "<u0>"}, {"value": "<u1>"}]}]),
            json!({"/members": ["<u0>", "<u1>"]}),
        ),
        applied(
            "Entra: remove the members listed in value",
            Start::Group(&[0, 1, 2]),
            json!([{"op": "Remove", "path": "members", "value": [{"value": "<u0>"}, {"value": "<u2>"}]}]),
            json!({"/members": ["<u1>"]}),
        ),
        applied(
            "Entra: remove one member by members[value eq \"…\"]",
            Start::Group(&[0, 1]),
            json!([{"op": "Remove", "path": "members[value eq \"<u1>\"]"}]),
            json!({"/members": ["<u0>"]}),
        ),
        applied(
            "Okta: rename a group with its id inside a no-path value",
            Start::Group(&[0]),
            json!([{"op": "replace", "value": {"id": "<id>", "displayName": "Guides"}}]),
            json!({"/displayName": "Guides", "/members": ["<u0>"], "/id": "<id>"}),
        ),
        applied(
            "Entra: a one-element array for a singular attribute",
            Start::User(bjensen()),
            json!([{"op": "replace", "path": "title", "value": ["Boss"]}]),
            json!({"/title": "Boss"}),
        ),
        applied(
            "a one-element array for a singular complex attribute merges its sub-attributes",
            Start::User(bjensen()),
            json!([{"op": "replace", "path": "name", "value": [{"givenName": "Babs"}]}]),
            json!({"/name": {"givenName": "Babs", "familyName": "Jensen"}}),
        ),
        applied(
            "a one-element array for a singular attribute inside a no-path value",
            Start::User(bjensen()),
            json!([{"op": "replace", "value": {"title": ["Boss"]}}]),
            json!({"/title": "Boss"}),
        ),
        applied(
            "Entra: replace emails[type eq \"work\"].value on a user without emails adds it",
            bjensen_with(json!({"emails": null})),
            json!([{"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "babs@work.example"}]),
            json!({"/emails": [{"type": "work", "value": "babs@work.example"}]}),
        ),
        applied(
            "Entra: replace addresses[type eq \"work\"].streetAddress without a work address adds it",
            bjensen_with(json!({"addresses": [home_address()]})),
            json!([{"op": "Replace", "path": "addresses[type eq \"work\"].streetAddress", "value": "1 Main St"}]),
            json!({"/addresses": [home_address(), {"type": "work", "streetAddress": "1 Main St"}]}),
        ),
        applied(
            "Entra: the manager as a bare id with the manager path",
            Start::User(bjensen()),
            json!([{"op": "Add", "path": manager_path, "value": "<u0>"}]),
            json!({
                enterprise("manager"): babs_as_manager(),
                enterprise("department"): "Tour Operations",
            }),
        ),
        applied(
            "Entra: the manager as a bare id under a URN-qualified key without a path",
            Start::User(bjensen()),
            json!([{"op": "Replace", "value": {manager_path.as_str(): "<u0>"}}]),
            json!({
                enterprise("manager"): babs_as_manager(),
                enterprise("employeeNumber"): "701984",
            }),
        ),
        applied(
            "the manager as a bare id inside the extension object without a path",
            Start::User(bjensen()),
            json!([{"op": "replace", "value": {ENTERPRISE: {"manager": "<u0>"}}}]),
            json!({
                enterprise("manager"): babs_as_manager(),
                enterprise("employeeNumber"): "701984",
            }),
        ),
        applied(
            "Entra: URN-qualified keys of the core schema and the extension in a no-path value",
            Start::User(bjensen()),
            json!([{"op": "Replace", "value": {
                format!("{ENTERPRISE}:department"): "Sales",
                format!("{USER_SCHEMA}:name.givenName"): "Babs",
                format!("{USER_SCHEMA}:title"): "Boss",
            }}]),
            json!({
                enterprise("department"): "Sales",
                enterprise("employeeNumber"): "701984",
                "/name": {"givenName": "Babs", "familyName": "Jensen"},
                "/title": "Boss",
            }),
        ),
        applied(
            "the extension URN as a key with an object value replaces only the attributes given",
            Start::User(bjensen()),
            json!([{"op": "replace", "value": {ENTERPRISE: {"department": "X"}}}]),
            json!({
                enterprise("department"): "X",
                enterprise("employeeNumber"): "701984",
                "/schemas": [USER_SCHEMA, ENTERPRISE],
            }),
        ),
    ])
    .await;
}

#[tokio::test]
async fn patch_errors_have_the_rfc_status_and_scim_type() {
    run_all(vec![
        refused(
            "replace through a value filter matching nothing, without a sub-attribute (not the upsert form)",
            Start::User(bjensen()),
            json!([{"op": "replace", "path": "emails[type eq \"home\"]", "value": {"value": "h@x.com", "type": "home"}}]),
            400,
            Some("noTarget"),
        ),
        refused(
            "replace through a filter other than eq matching nothing (not the upsert form)",
            Start::User(bjensen()),
            json!([{"op": "replace", "path": "emails[type co \"hom\"].value", "value": "h@x.com"}]),
            400,
            Some("noTarget"),
        ),
        refused(
            "replace of a member through a value filter matching no member",
            Start::Group(&[0]),
            json!([{"op": "replace", "path": "members[value eq \"<u2>\"]", "value": {"value": "<u1>"}}]),
            400,
            Some("noTarget"),
        ),
        refused(
            "remove without a path on a user",
            Start::User(bjensen()),
            json!([{"op": "remove"}]),
            400,
            Some("noTarget"),
        ),
        refused(
            "remove without a path on a group",
            Start::Group(&[0]),
            json!([{"op": "remove"}]),
            400,
            Some("noTarget"),
        ),
        refused(
            "remove the required userName",
            Start::User(bjensen()),
            json!([{"op": "remove", "path": "userName"}]),
            400,
            Some("invalidValue"),
        ),
        refused(
            "replace a user's id",
            Start::User(bjensen()),
            json!([{"op": "replace", "path": "id", "value": "<u0>"}]),
            400,
            Some("mutability"),
        ),
        refused(
            "replace a user's meta.created",
            Start::User(bjensen()),
            json!([{"op": "replace", "path": "meta.created", "value": "2011-08-01T18:29:49.793Z"}]),
            400,
            Some("mutability"),
        ),
        refused(
            "add to a user's read-only groups",
            Start::User(bjensen()),
            json!([{"op": "add", "path": "groups", "value": [{"value": "<u0>"}]}]),
            400,
            Some("mutability"),
        ),
        refused(
            "replace a group's id",
            Start::Group(&[0]),
            json!([{"op": "replace", "path": "id", "value": "<u1>"}]),
            400,
            Some("mutability"),
        ),
        refused(
            "replace a group's meta.created",
            Start::Group(&[0]),
            json!([{"op": "replace", "path": "meta.created", "value": "2011-08-01T18:29:49.793Z"}]),
            400,
            Some("mutability"),
        ),
        refused(
            "a member operation failing after a successful one leaves the group unchanged",
            Start::Group(&[0]),
            json!([
                {"op": "add", "path": "members", "value": [{"value": "<u1>"}]},
                {"op": "replace", "path": "id", "value": "<u2>"}
            ]),
            400,
            Some("mutability"),
        ),
    ])
    .await;
}

#[tokio::test]
async fn remove_without_a_path_on_a_group_is_no_target_even_with_members_in_the_value() {
    run(refused(
        "RFC 7644 §3.5.2.2: remove without a path fails with noTarget, whatever the value",
        Start::Group(&[0, 1]),
        json!([{"op": "remove", "value": {"members": [{"value": "<u0>"}]}}]),
        400,
        Some("noTarget"),
    ))
    .await;
}

#[tokio::test]
async fn urn_qualified_members_in_a_no_path_value_change_the_membership() {
    run_all(vec![
        applied(
            "add with the core-URN-qualified members key",
            Start::Group(&[0]),
            json!([{"op": "add", "value": {"urn:ietf:params:scim:schemas:core:2.0:Group:members": [{"value": "<u1>"}]}}]),
            json!({"/members": ["<u0>", "<u1>"]}),
        ),
        applied(
            "replace with the core-URN-qualified members key",
            Start::Group(&[0]),
            json!([{"op": "replace", "value": {"urn:ietf:params:scim:schemas:core:2.0:Group:members": [{"value": "<u1>"}]}}]),
            json!({"/members": ["<u1>"]}),
        ),
    ])
    .await;
}

#[tokio::test]
async fn the_rfc_remove_example_without_a_space_after_eq_is_accepted() {
    run(applied(
        "§3.5.2.2 prints members[value eq\"…\"] without the space the filter grammar requires",
        Start::Group(&[0, 1]),
        json!([{"op": "remove", "path": "members[value eq\"<u0>\"]"}]),
        json!({"/members": ["<u1>"]}),
    ))
    .await;
}

#[tokio::test]
async fn a_patch_without_content_type_is_read_as_scim_json_as_okta_sends_it() {
    // Arrange
    let app = TestApp::spawn().await;
    let uid = id(&app.create_user("bjensen").await);
    let member = id(&app.create_user("babs").await);
    let gid = id(&app.create_group("Tour Guides", &[]).await);
    let cases = [
        (
            "deactivate a user",
            format!("/Users/{uid}"),
            json!([{"op": "replace", "value": {"active": false}}]),
            StatusCode::OK,
        ),
        (
            "add a group member",
            format!("/Groups/{gid}"),
            json!([{"op": "add", "path": "members", "value": [{"value": member}]}]),
            StatusCode::NO_CONTENT,
        ),
    ];

    for (reason, path, operations, status) in cases {
        // Act
        let resp = app
            .client
            .patch(format!("{}{path}", app.base))
            .bearer_auth(&app.token)
            .body(json!({"schemas": [PATCH_OP], "Operations": operations}).to_string())
            .send()
            .await
            .expect("request");

        // Assert
        assert_eq!(resp.status(), status, "{reason}");
    }
    assert_eq!(
        get_json(&app, &format!("/Users/{uid}")).await["active"],
        false
    );
    assert_eq!(
        member_ids(&get_json(&app, &format!("/Groups/{gid}")).await),
        json!([member])
    );
}
