//! The request sequences Okta's SCIM 2.0 provisioning sends, per Okta's public SCIM
//! documentation: the `userName eq` probe before every create, create, read, profile update by
//! PUT, deactivation (Okta's path-less `replace` PATCH, or PUT with `active: false`),
//! reactivation, the fixed-size `startIndex` page walk of an import, and group push.

use std::collections::HashSet;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{GROUP_SCHEMA, PATCH_OP, TestApp, USER_SCHEMA, id, scim_json, sorted_values};

const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

/// Okta's import/probe: `GET /Users?filter=userName eq "<name>"&startIndex=1&count=100`.
async fn probe_user(app: &TestApp, user_name: &str) -> Value {
    let filter = format!("userName eq \"{user_name}\"");
    app.get_query_ok(
        "/Users",
        &[("filter", &filter), ("startIndex", "1"), ("count", "100")],
    )
    .await
}

/// The user Okta creates: profile, primary work email, `active: true` and a password.
fn okta_user(user_name: &str, given: &str, family: &str, active: bool) -> Value {
    json!({
        "schemas": [USER_SCHEMA],
        "userName": user_name,
        "name": {"givenName": given, "familyName": family},
        "emails": [{"primary": true, "value": user_name, "type": "work"}],
        "displayName": format!("{given} {family}"),
        "locale": "en-US",
        "externalId": "00ujl29u0le5T6Aj10h7",
        "groups": [],
        "password": "1mz050nq",
        "active": active,
    })
}

/// Okta's deactivation or reactivation: `replace` without `path`, `active` in the value.
fn okta_set_active(active: bool) -> Value {
    json!({
        "schemas": [PATCH_OP],
        "Operations": [{"op": "replace", "value": {"active": active}}]
    })
}

async fn get_ok(app: &TestApp, path: &str) -> Value {
    let resp = app.get(path).await;
    assert_eq!(resp.status(), StatusCode::OK, "GET {path}");
    scim_json(resp).await
}

/// Asserts the ListResponse envelope with integer counters.
fn assert_list(body: &Value, total: u64, start: u64, per_page: u64) {
    assert_eq!(body["schemas"], json!([LIST_RESPONSE]), "{body}");
    assert_eq!(body["totalResults"], json!(total), "{body}");
    assert_eq!(body["startIndex"], json!(start), "{body}");
    assert_eq!(body["itemsPerPage"], json!(per_page), "{body}");
    assert!(body["totalResults"].is_u64(), "totalResults is an integer");
    assert!(body["startIndex"].is_u64(), "startIndex is an integer");
    assert!(body["itemsPerPage"].is_u64(), "itemsPerPage is an integer");
    let resources = body["Resources"].as_array().map_or(0, Vec::len) as u64;
    assert_eq!(resources, per_page, "{body}");
}

#[tokio::test]
async fn okta_user_lifecycle_probe_create_update_deactivate_reactivate() {
    let app = TestApp::spawn().await;
    let name = "test.user@okta.local";

    // Probe before create: an empty ListResponse with integer counters.
    let empty = probe_user(&app, name).await;
    assert_list(&empty, 0, 1, 0);

    // Create.
    let resp = app
        .post("/Users", okta_user(name, "Test", "User", true))
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    assert!(resp.headers().get("location").is_some(), "Location header");
    let created = scim_json(resp).await;
    let uid = id(&created);
    assert_eq!(created["userName"], json!(name));
    assert_eq!(created["active"], json!(true));
    assert_eq!(created["name"]["givenName"], json!("Test"));
    assert_eq!(created["name"]["familyName"], json!("User"));
    assert_eq!(
        created["emails"],
        json!([{"primary": true, "value": name, "type": "work"}])
    );
    assert!(created.get("password").is_none(), "password never returned");
    assert_eq!(created["meta"]["resourceType"], json!("User"));

    // The same probe now finds exactly this user.
    let found = probe_user(&app, name).await;
    assert_list(&found, 1, 1, 1);
    assert_eq!(found["Resources"][0]["id"], json!(uid));
    assert_eq!(found["Resources"][0]["active"], json!(true));

    // Read by id.
    let read = get_ok(&app, &format!("/Users/{uid}")).await;
    assert_eq!(read["id"], json!(uid));
    assert_eq!(read["userName"], json!(name));

    // Profile update: PUT with the full user (Okta sends id and the whole profile).
    let mut full = okta_user(name, "Another", "Name", true);
    full["id"] = json!(uid);
    let resp = app.put(&format!("/Users/{uid}"), full).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let updated = scim_json(resp).await;
    assert_eq!(updated["name"]["givenName"], json!("Another"));
    assert_eq!(updated["name"]["familyName"], json!("Name"));
    assert_eq!(updated["active"], json!(true));
    assert!(updated.get("password").is_none());

    // Deactivate with Okta's path-less replace: 200 with the user, still visible.
    let resp = app
        .patch(&format!("/Users/{uid}"), okta_set_active(false))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let patched = scim_json(resp).await;
    assert_eq!(patched["active"], json!(false));
    assert_eq!(patched["name"]["givenName"], json!("Another"), "rest kept");
    let read = get_ok(&app, &format!("/Users/{uid}")).await;
    assert_eq!(read["active"], json!(false));
    let listed = probe_user(&app, name).await;
    assert_list(&listed, 1, 1, 1);
    assert_eq!(listed["Resources"][0]["active"], json!(false));

    // Reactivate.
    let resp = app
        .patch(&format!("/Users/{uid}"), okta_set_active(true))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(scim_json(resp).await["active"], json!(true));

    // Deactivate by PUT with `active: false`.
    let resp = app
        .put(
            &format!("/Users/{uid}"),
            okta_user(name, "Another", "Name", false),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(scim_json(resp).await["active"], json!(false));
    let read = get_ok(&app, &format!("/Users/{uid}")).await;
    assert_eq!(read["active"], json!(false));
    assert_eq!(read["userName"], json!(name));
    assert_list(&probe_user(&app, name).await, 1, 1, 1);

    // Reactivate by PUT.
    let resp = app
        .put(
            &format!("/Users/{uid}"),
            okta_user(name, "Another", "Name", true),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(scim_json(resp).await["active"], json!(true));
    let read = get_ok(&app, &format!("/Users/{uid}")).await;
    assert_eq!(read["active"], json!(true));
}

#[tokio::test]
async fn okta_import_walks_250_users_in_pages_of_100_each_exactly_once() {
    let app = TestApp::spawn().await;
    for i in 0..250 {
        app.create_user(&format!("user{i:03}@okta.local")).await;
    }

    let walk = || async {
        let mut seen = Vec::new();
        for (start, expected) in [(1u64, 100u64), (101, 100), (201, 50)] {
            let start_s = start.to_string();
            let page = app
                .get_query_ok("/Users", &[("startIndex", &start_s), ("count", "100")])
                .await;
            assert_list(&page, 250, start, expected);
            for r in page["Resources"].as_array().expect("Resources") {
                seen.push(r["userName"].as_str().expect("userName").to_owned());
            }
        }
        // Past the end: an empty page, still integer counters.
        let past = app
            .get_query_ok("/Users", &[("startIndex", "251"), ("count", "100")])
            .await;
        assert_eq!(past["totalResults"], json!(250));
        assert_eq!(past["itemsPerPage"], json!(0));
        assert_eq!(past["startIndex"], json!(251));
        seen
    };

    let first = walk().await;
    assert_eq!(first.len(), 250);
    let unique: HashSet<&String> = first.iter().collect();
    assert_eq!(unique.len(), 250, "every user exactly once");
    let expected: HashSet<String> = (0..250).map(|i| format!("user{i:03}@okta.local")).collect();
    assert_eq!(unique, expected.iter().collect(), "all users seen");
    let second = walk().await;
    assert_eq!(first, second, "stable order across walks");
}

#[tokio::test]
async fn okta_group_push_create_add_remove_rename_delete() {
    let app = TestApp::spawn().await;
    let alice = id(&app.create_user("alice@okta.local").await);
    let bob = id(&app.create_user("bob@okta.local").await);
    let carol = id(&app.create_user("carol@okta.local").await);

    // Probe by displayName: nothing yet.
    let probe = app
        .get_query_ok(
            "/Groups",
            &[
                ("filter", "displayName eq \"Test SCIMv2\""),
                ("startIndex", "1"),
                ("count", "100"),
            ],
        )
        .await;
    assert_list(&probe, 0, 1, 0);

    // Create with members.
    let resp = app
        .post(
            "/Groups",
            json!({
                "schemas": [GROUP_SCHEMA],
                "displayName": "Test SCIMv2",
                "members": [
                    {"value": alice, "display": "alice@okta.local"},
                    {"value": bob, "display": "bob@okta.local"}
                ]
            }),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let group = scim_json(resp).await;
    let gid = id(&group);
    assert_eq!(group["displayName"], json!("Test SCIMv2"));
    let mut ab = vec![alice.clone(), bob.clone()];
    ab.sort();
    assert_eq!(sorted_values(&group, "members"), ab);
    assert_eq!(
        sorted_values(&get_ok(&app, &format!("/Users/{alice}")).await, "groups"),
        vec![gid.clone()]
    );

    // The probe now finds it.
    let found = app
        .get_query_ok("/Groups", &[("filter", "displayName eq \"Test SCIMv2\"")])
        .await;
    assert_eq!(found["totalResults"], json!(1));
    assert_eq!(found["Resources"][0]["id"], json!(gid));

    // Add a member and remove one with `members[value eq "…"]`, in one request as Okta does.
    let resp = app
        .patch(
            &format!("/Groups/{gid}"),
            json!({
                "schemas": [PATCH_OP],
                "Operations": [
                    {"op": "add", "path": "members",
                     "value": [{"value": carol, "display": "carol@okta.local"}]},
                    {"op": "remove", "path": format!("members[value eq \"{alice}\"]")}
                ]
            }),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert!(resp.headers().get("etag").is_some(), "204 carries the ETag");
    let group = get_ok(&app, &format!("/Groups/{gid}")).await;
    let mut bc = vec![bob.clone(), carol.clone()];
    bc.sort();
    assert_eq!(sorted_values(&group, "members"), bc);
    assert!(sorted_values(&get_ok(&app, &format!("/Users/{alice}")).await, "groups").is_empty());
    assert_eq!(
        sorted_values(&get_ok(&app, &format!("/Users/{carol}")).await, "groups"),
        vec![gid.clone()]
    );

    // Rename.
    let resp = app
        .patch(
            &format!("/Groups/{gid}"),
            json!({
                "schemas": [PATCH_OP],
                "Operations": [{"op": "replace", "path": "displayName", "value": "Renamed"}]
            }),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let group = get_ok(&app, &format!("/Groups/{gid}")).await;
    assert_eq!(group["displayName"], json!("Renamed"));
    assert_eq!(sorted_values(&group, "members"), bc, "rename keeps members");
    let bob_user = get_ok(&app, &format!("/Users/{bob}")).await;
    assert_eq!(bob_user["groups"][0]["display"], json!("Renamed"));

    // Delete: 204, then 404; users stay and lose the membership.
    let resp = app.delete(&format!("/Groups/{gid}")).await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.get(&format!("/Groups/{gid}")).await.status(),
        StatusCode::NOT_FOUND
    );
    let bob_user = get_ok(&app, &format!("/Users/{bob}")).await;
    assert!(sorted_values(&bob_user, "groups").is_empty(), "{bob_user}");
}
