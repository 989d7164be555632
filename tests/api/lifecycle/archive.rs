//! A SCIM DELETE archives: gone from SCIM at once, restorable by an admin, purged on demand or
//! after the retention period.

use serde_json::{Value, json};

use super::{DIR, detail, person, types_since};
use crate::helpers::{TestApp, assert_api_error, assert_scim_error, patch_body};

#[tokio::test]
async fn a_deleted_user_leaves_scim_at_once_and_waits_in_the_archive() {
    // Arrange
    let app = TestApp::spawn().await;
    let id = person(&app, "kim", "Kim", "Ro", &[]).await;
    let group = app.create_group("Staff", &[id.as_str()]).await;
    let gid = group["id"].as_str().unwrap().to_owned();
    let listed = app.admin_get(&format!("{DIR}/users"), &[]).await["data"][0].clone();

    // Act
    assert_eq!(app.delete(&format!("/Users/{id}")).await.status(), 204);

    // Assert: SCIM no longer knows it, its userName is free, its membership ended.
    assert_scim_error(app.get(&format!("/Users/{id}")).await, 404, None).await;
    let group: Value = app
        .get(&format!("/Groups/{gid}"))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        group
            .get("members")
            .is_none_or(|m| m.as_array().unwrap().is_empty()),
        "{group}"
    );
    let archived = app
        .admin_get(&format!("{DIR}/users"), &[("state", "archived")])
        .await;
    let items = archived["data"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{archived}");
    assert_eq!(items[0]["id"], json!(id));
    assert_eq!(items[0]["state"], json!("archived"));
    for shown_as_before in ["user_name", "display_name", "email"] {
        assert_eq!(
            items[0][shown_as_before], listed[shown_as_before],
            "{shown_as_before}"
        );
    }
    assert_eq!(
        items[0]["display_name"],
        json!("Kim Ro"),
        "not the userName"
    );
    let shown = detail(&app, &id).await;
    assert_eq!(
        shown["archived"]["deleted_by"]["type"],
        json!("token"),
        "{shown}"
    );
    assert_eq!(shown["scim"]["userName"], json!("kim"));
    let active = app.admin_get(&format!("{DIR}/users"), &[]).await;
    assert!(active["data"].as_array().unwrap().is_empty(), "{active}");
    person(&app, "kim", "Kim", "Other", &[]).await;
}

#[tokio::test]
async fn restoring_a_user_brings_back_its_id_attributes_and_groups() {
    // Arrange
    let app = TestApp::spawn().await;
    let id = person(&app, "lee", "Lee", "Park", &[]).await;
    let group = app.create_group("Staff", &[id.as_str()]).await;
    let gid = group["id"].as_str().unwrap().to_owned();
    app.delete(&format!("/Users/{id}")).await;
    let cursor = app.feed_end().await;

    // Act
    let restored = app
        .admin_post(&format!("{DIR}/users/{id}/restore"), json!({}), 200)
        .await;

    // Assert
    assert_eq!(restored["state"], json!("active"), "{restored}");
    assert_eq!(restored["groups"][0]["id"], json!(gid), "{restored}");
    let user: Value = app.get(&format!("/Users/{id}")).await.json().await.unwrap();
    assert_eq!(user["userName"], json!("lee"));
    assert_eq!(user["name"]["familyName"], json!("Park"));
    assert_eq!(user["groups"][0]["value"], json!(gid), "{user}");
    assert_eq!(
        types_since(&app, &cursor).await,
        ["user.restored", "group.member_added"]
    );
    let archived = app
        .admin_get(&format!("{DIR}/users"), &[("state", "archived")])
        .await;
    assert!(archived["data"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn restore_is_refused_while_the_user_name_is_taken_and_changes_nothing() {
    // Arrange
    let app = TestApp::spawn().await;
    let id = person(&app, "max", "Max", "Moe", &[]).await;
    app.delete(&format!("/Users/{id}")).await;
    let newcomer = person(&app, "MAX", "Max", "New", &[]).await;

    // Act
    let resp = app
        .admin_request(
            reqwest::Method::POST,
            &format!("{DIR}/users/{id}/restore"),
            Some(json!({})),
        )
        .await;

    // Assert
    assert_api_error(resp, 409, "conflict").await;
    assert_eq!(detail(&app, &id).await["state"], json!("archived"));
    assert_eq!(app.get(&format!("/Users/{newcomer}")).await.status(), 200);
}

#[tokio::test]
async fn purging_erases_an_archived_user_and_says_only_its_id() {
    // Arrange
    let app = TestApp::spawn().await;
    let id = person(&app, "ann", "Ann", "Lu", &[]).await;
    app.delete(&format!("/Users/{id}")).await;
    let cursor = app.feed_end().await;

    // Act
    app.admin_post(&format!("{DIR}/users/{id}/purge"), json!({}), 204)
        .await;

    // Assert
    let events = app.events_since(&cursor).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["type"], json!("user.purged"));
    assert_eq!(events[0]["data"], json!({"id": id, "resourceType": "User"}));
    let resp = app
        .admin_request(reqwest::Method::GET, &format!("{DIR}/users/{id}"), None)
        .await;
    assert_api_error(resp, 404, "not_found").await;
    let again = app
        .admin_request(
            reqwest::Method::POST,
            &format!("{DIR}/users/{id}/purge"),
            Some(json!({})),
        )
        .await;
    assert_api_error(again, 404, "not_found").await;
}

#[tokio::test]
async fn the_archive_is_purged_by_scimd_itself_after_its_retention() {
    // Arrange: nothing is kept.
    let app = TestApp::spawn_with(|a| a.archive_retention_days = 0).await;
    let id = person(&app, "gus", "Gus", "Ng", &[]).await;
    // Before the delete: the maintenance that also runs at start may purge it at any moment.
    let cursor = app.feed_end().await;
    app.delete(&format!("/Users/{id}")).await;

    // Act (the hourly maintenance may have been first)
    app.state.service.purge_expired().await.unwrap();

    // Assert: purged exactly once, by scimd itself.
    let events = app.events_since(&cursor).await;
    let purged: Vec<&serde_json::Value> = events
        .iter()
        .filter(|e| e["type"] == json!("user.purged"))
        .collect();
    assert_eq!(purged.len(), 1, "{events:?}");
    assert_eq!(purged[0]["data"]["id"], json!(id));
    assert_eq!(purged[0]["actor"], json!({"type": "system"}));
}

#[tokio::test]
async fn a_restored_group_gets_back_its_members_and_roles() {
    // Arrange
    let app = TestApp::spawn().await;
    let a = person(&app, "ava", "Ava", "Ito", &[]).await;
    let b = person(&app, "bo", "Bo", "Ito", &[]).await;
    let group = app.create_group("Ops", &[a.as_str(), b.as_str()]).await;
    let gid = group["id"].as_str().unwrap().to_owned();
    app.request_with(reqwest::Method::GET, "/Users", None, &[])
        .await;
    let mapped = app
        .admin_request(
            reqwest::Method::PUT,
            &format!("{DIR}/role-mappings"),
            Some(json!([{"group": "ops", "roles": ["operator"]}])),
        )
        .await;
    assert_eq!(mapped.status(), 200);
    assert_eq!(app.delete(&format!("/Groups/{gid}")).await.status(), 204);
    // One member left meanwhile: only the other comes back.
    app.delete(&format!("/Users/{b}")).await;
    assert_eq!(detail(&app, &a).await["roles"], json!([]));
    let cursor = app.feed_end().await;

    // Act
    let restored = app
        .admin_post(&format!("{DIR}/groups/{gid}/restore"), json!({}), 200)
        .await;

    // Assert
    assert_eq!(restored["member_count"], json!(1), "{restored}");
    assert_eq!(restored["roles"], json!(["operator"]));
    assert_eq!(detail(&app, &a).await["roles"], json!(["operator"]));
    assert_eq!(
        types_since(&app, &cursor).await,
        ["group.restored", "group.member_added", "user.roles_changed"]
    );
    let resp = app
        .patch(
            &format!("/Groups/{gid}"),
            patch_body(json!([{"op": "remove", "path": "members"}])),
        )
        .await;
    assert!(resp.status().is_success());
}
