//! Effective roles: a user's SCIM `roles` plus the roles mapped to its groups (nested groups
//! included), and `user.roles_changed` whenever they change.

use serde_json::{Value, json};

use super::{DIR, detail, person};
use crate::helpers::{TestApp, assert_api_error, patch_body};

async fn map(app: &TestApp, mappings: Value) -> reqwest::Response {
    app.admin_request(
        reqwest::Method::PUT,
        &format!("{DIR}/role-mappings"),
        Some(mappings),
    )
    .await
}

fn roles_changes(events: &[Value]) -> Vec<(String, Value, Value)> {
    events
        .iter()
        .filter(|e| e["type"] == json!("user.roles_changed"))
        .map(|e| {
            (
                e["data"]["id"].as_str().unwrap().to_owned(),
                e["previous_attributes"]["roles"].clone(),
                e["data"]["roles"].clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn roles_come_from_scim_and_from_groups_nested_ones_included() {
    // Arrange: kim is in Team, which is in Engineering.
    let app = TestApp::spawn().await;
    let kim = person(&app, "kim", "Kim", "Ro", &["viewer"]).await;
    let team = app.create_group("Team", &[kim.as_str()]).await;
    let team_id = team["id"].as_str().unwrap().to_owned();
    let eng = app.create_group("Engineering", &[team_id.as_str()]).await;
    let cursor = app.feed_end().await;

    // Act
    let resp = map(
        &app,
        json!([{"group": "engineering", "roles": ["deploy", "admin"]}]),
    )
    .await;

    // Assert
    assert_eq!(resp.status(), 200);
    let shown = detail(&app, &kim).await;
    assert_eq!(
        shown["roles"],
        json!(["admin", "deploy", "viewer"]),
        "{shown}"
    );
    let sources = shown["role_sources"].as_array().unwrap();
    let deploy = sources
        .iter()
        .find(|s| s["role"] == json!("deploy"))
        .unwrap();
    assert_eq!(deploy["from_groups"], json!(["Engineering"]));
    let viewer = sources
        .iter()
        .find(|s| s["role"] == json!("viewer"))
        .unwrap();
    assert_eq!(viewer["from_scim"], json!(true));
    let groups = shown["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2, "{shown}");
    assert_eq!(
        (
            groups[0]["display_name"].clone(),
            groups[0]["direct"].clone()
        ),
        (json!("Team"), json!(true))
    );
    assert_eq!(
        (groups[1]["id"].clone(), groups[1]["direct"].clone()),
        (eng["id"].clone(), json!(false))
    );
    assert_eq!(
        roles_changes(&app.events_since(&cursor).await),
        [(
            kim.clone(),
            json!(["viewer"]),
            json!(["admin", "deploy", "viewer"])
        )]
    );
    let listed = app.admin_get(&format!("{DIR}/users"), &[]).await;
    assert_eq!(
        listed["data"][0]["roles"],
        json!(["admin", "deploy", "viewer"])
    );
}

#[tokio::test]
async fn joining_leaving_and_scim_role_changes_each_record_roles_changed() {
    // Arrange
    let app = TestApp::spawn().await;
    let ann = person(&app, "ann", "Ann", "Lu", &[]).await;
    let admins = app.create_group("Admins", &[]).await;
    let gid = admins["id"].as_str().unwrap().to_owned();
    assert_eq!(
        map(&app, json!([{"group": gid, "roles": ["admin"]}]))
            .await
            .status(),
        200
    );
    let cursor = app.feed_end().await;
    let add = patch_body(json!([{"op": "add", "path": "members", "value": [{"value": ann}]}]));
    let remove =
        patch_body(json!([{"op": "remove", "path": format!("members[value eq \"{ann}\"]")}]));
    let scim_role =
        patch_body(json!([{"op": "add", "path": "roles", "value": [{"value": "auditor"}]}]));

    // Act
    app.patch(&format!("/Groups/{gid}"), add).await;
    app.patch(&format!("/Users/{ann}"), scim_role).await;
    app.patch(&format!("/Groups/{gid}"), remove).await;
    app.delete(&format!("/Groups/{gid}")).await;

    // Assert
    assert_eq!(
        roles_changes(&app.events_since(&cursor).await),
        [
            (ann.clone(), json!([]), json!(["admin"])),
            (ann.clone(), json!(["admin"]), json!(["admin", "auditor"])),
            (ann.clone(), json!(["admin", "auditor"]), json!(["auditor"])),
        ]
    );
}

#[tokio::test]
async fn membership_changes_without_mappings_record_no_role_events() {
    let app = TestApp::spawn().await;
    let bo = person(&app, "bo", "Bo", "Ng", &["x"]).await;
    let cursor = app.feed_end().await;
    app.create_group("Plain", &[bo.as_str()]).await;
    assert!(roles_changes(&app.events_since(&cursor).await).is_empty());
}

#[tokio::test]
async fn a_mapping_naming_no_group_or_an_empty_role_is_refused_whole() {
    let app = TestApp::spawn().await;
    app.create_group("Real", &[]).await;
    assert_api_error(
        map(
            &app,
            json!([{"group": "real", "roles": ["a"]}, {"group": "nope", "roles": ["b"]}]),
        )
        .await,
        400,
        "invalid_parameter",
    )
    .await;
    assert_api_error(
        map(&app, json!([{"group": "real", "roles": [" "]}])).await,
        400,
        "invalid_parameter",
    )
    .await;
    let mappings = app.admin_get(&format!("{DIR}/role-mappings"), &[]).await;
    assert_eq!(mappings["data"], json!([]));
}
