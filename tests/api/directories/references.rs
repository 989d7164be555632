//! What one directory's data looks like from another, with each directory's own token at its own
//! URL: the same userNames and group names live side by side, uniqueness holds per directory,
//! ids, ETags and cursors of one directory mean nothing in another, filters and searches see
//! their own directory only, and a group never takes a member from another directory.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{call, group, server, two_dirs, user};
use crate::helpers::{
    PATCH_OP, assert_scim_error, event_types, feed_page, get_events, id, page_events, patch_body,
    sorted_values,
};

#[tokio::test]
async fn the_same_names_live_side_by_side_and_are_unique_within_each_directory() {
    // Arrange
    let app = server();
    let (a, b) = two_dirs(&app, "names").await;

    // Act
    let in_a = a.scim.create_user("bjensen@example.com").await;
    let in_b = b.scim.create_user("bjensen@example.com").await;
    let sales_a = a.scim.create_group("Sales", &[&id(&in_a)]).await;
    let sales_b = b.scim.create_group("Sales", &[&id(&in_b)]).await;
    let twice = a.scim.post("/Users", user("BJENSEN@example.com")).await;

    // Assert
    assert_ne!(id(&in_a), id(&in_b));
    assert_scim_error(twice, 409, Some("uniqueness")).await;
    for (dir, own_user, own_group) in [(&a, &in_a, &sales_a), (&b, &in_b, &sales_b)] {
        let users = dir
            .scim
            .list("/Users", "userName eq \"bjensen@example.com\"")
            .await;
        assert_eq!(users["totalResults"], 1, "{users}");
        assert_eq!(users["Resources"][0]["id"], own_user["id"], "{users}");
        let groups = dir.scim.list("/Groups", "displayName eq \"Sales\"").await;
        assert_eq!(groups["totalResults"], 1, "{groups}");
        assert_eq!(groups["Resources"][0]["id"], own_group["id"], "{groups}");
        assert_eq!(
            sorted_values(&groups["Resources"][0], "members"),
            vec![id(own_user)]
        );
        let location = format!("{}/Users/{}", dir.scim.base, id(own_user));
        assert_eq!(own_user["meta"]["location"], json!(location));
    }
}

#[tokio::test]
async fn created_resources_are_located_under_their_directory_url() {
    let app = server();
    let (a, _) = two_dirs(&app, "location").await;

    let resp = a.scim.post("/Users", user("located")).await;

    assert_eq!(resp.status(), StatusCode::CREATED);
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(location, format!("{}/Users/{}", a.scim.base, id(&body)));
    assert!(location.contains(&format!("/directories/{}/scim/v2/", a.id)));
    let (_, config) = call(&a.scim, Method::GET, "/ServiceProviderConfig", None).await;
    assert_eq!(
        config["meta"]["location"],
        json!(format!("{}/ServiceProviderConfig", a.scim.base))
    );
}

#[tokio::test]
async fn ids_and_etags_of_one_directory_are_unknown_in_another() {
    // Arrange
    let app = server();
    let (a, b) = two_dirs(&app, "ids").await;
    let uid = id(&a.scim.create_user("someone").await);
    let gid = id(&a.scim.create_group("Theirs", &[&uid]).await);
    let (_, theirs) = call(&a.scim, Method::GET, &format!("/Users/{uid}"), None).await;
    let etag = theirs["meta"]["version"].as_str().unwrap().to_owned();
    let replace = json!({"op": "replace", "path": "displayName", "value": "Mine"});

    // Act + Assert: b's own token at b's own URL, naming a's resources.
    for (method, path, body, reason) in [
        (Method::GET, format!("/Users/{uid}"), None, "read a user"),
        (
            Method::PUT,
            format!("/Users/{uid}"),
            Some(user("taken-over")),
            "replace a user",
        ),
        (
            Method::PATCH,
            format!("/Users/{uid}"),
            Some(patch_body(json!([replace]))),
            "patch a user",
        ),
        (
            Method::DELETE,
            format!("/Users/{uid}"),
            None,
            "delete a user",
        ),
        (Method::GET, format!("/Groups/{gid}"), None, "read a group"),
        (
            Method::PUT,
            format!("/Groups/{gid}"),
            Some(group("Mine", &[])),
            "replace a group",
        ),
        (
            Method::PATCH,
            format!("/Groups/{gid}"),
            Some(patch_body(json!([replace]))),
            "patch a group",
        ),
        (
            Method::DELETE,
            format!("/Groups/{gid}"),
            None,
            "delete a group",
        ),
    ] {
        let resp = b.scim.request(method.clone(), &path, body.clone()).await;
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{reason}");
        let conditional = b
            .scim
            .request_with(method, &path, body, &[("If-Match", &etag)])
            .await;
        assert_eq!(
            conditional.status(),
            StatusCode::NOT_FOUND,
            "{reason} with a's ETag"
        );
    }
    let (status, still) = call(&a.scim, Method::GET, &format!("/Users/{uid}"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(still, theirs, "a's user is unchanged");
    let filtered = b.scim.list("/Users", &format!("id eq \"{uid}\"")).await;
    assert_eq!(filtered["totalResults"], 0, "{filtered}");
}

#[tokio::test]
async fn filters_and_searches_see_only_their_own_directory() {
    // Arrange
    let app = server();
    let (a, b) = two_dirs(&app, "filters").await;
    let mut a_ids = Vec::new();
    for n in ["shared-1", "shared-2"] {
        a_ids.push(id(&a.scim.create_user(n).await));
    }
    let b_user = id(&b.scim.create_user("shared-1").await);
    b.scim.create_user("shared-3").await;
    let a_group = id(&a.scim.create_group("Team", &[&a_ids[0]]).await);
    b.scim.create_group("Team", &[&b_user]).await;
    let search = |filter: &str| json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": filter});

    // Act
    let users = a.scim.list("/Users", "userName sw \"shared\"").await;
    let searched = call(
        &a.scim,
        Method::POST,
        "/Users/.search",
        Some(search("userName sw \"shared\"")),
    )
    .await
    .1;
    let everywhere = call(
        &a.scim,
        Method::POST,
        "/.search",
        Some(search("userName sw \"shared\" or displayName eq \"Team\"")),
    )
    .await
    .1;
    let by_foreign_member = a
        .scim
        .list("/Groups", &format!("members.value eq \"{b_user}\""))
        .await;
    let by_own_member = a
        .scim
        .list("/Groups", &format!("members.value eq \"{}\"", a_ids[0]))
        .await;

    // Assert
    let ids = |page: &Value| {
        let mut ids: Vec<String> = page["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(id)
            .collect();
        ids.sort();
        ids
    };
    let mut expected = a_ids.clone();
    expected.sort();
    assert_eq!(ids(&users), expected, "{users}");
    assert_eq!(ids(&searched), expected, "{searched}");
    let mut with_group = [expected.clone(), vec![a_group.clone()]].concat();
    with_group.sort();
    assert_eq!(ids(&everywhere), with_group, "{everywhere}");
    assert_eq!(by_foreign_member["totalResults"], 0, "{by_foreign_member}");
    assert_eq!(ids(&by_own_member), vec![a_group]);
}

#[tokio::test]
async fn a_cursor_from_one_directory_is_refused_in_another() {
    // Arrange
    let app = server();
    let (a, b) = two_dirs(&app, "cursor").await;
    for dir in [&a, &b] {
        for n in ["c-1", "c-2", "c-3"] {
            dir.scim.create_user(n).await;
        }
    }
    let first = a
        .scim
        .get_query_ok("/Users", &[("cursor", ""), ("count", "1")])
        .await;
    let cursor = first["nextCursor"].as_str().expect("nextCursor").to_owned();

    // Act + Assert
    for (scim, reason) in [
        (&b.scim, "another directory"),
        (&app, "the default directory"),
    ] {
        let replayed = scim
            .get_query("/Users", &[("cursor", &cursor), ("count", "1")])
            .await;
        let error = assert_scim_error(replayed, 400, Some("invalidCursor")).await;
        assert!(
            !error["detail"].as_str().unwrap().contains(&a.id),
            "{reason}: {error}"
        );
    }
    let own = a
        .scim
        .get_query_ok("/Users", &[("cursor", &cursor), ("count", "1")])
        .await;
    assert_eq!(own["Resources"].as_array().map(Vec::len), Some(1), "{own}");
    assert_ne!(own["Resources"][0]["id"], first["Resources"][0]["id"]);
}

/// A group PATCH `add` skips ids that name no User or Group of the directory (logged, no
/// event: the rule of `store::memberships` for ids an identity provider no longer has), and an
/// id of another directory names none: `204` as for any PATCH that skips an unknown id, and the
/// group keeps its members and name (its `meta.version` moves on, as after every group PATCH).
/// Answering `400` instead would tell the caller nothing it may know either: an id of another
/// directory and an id of nothing are treated alike. A create or replace must name existing
/// members and is refused with `400 invalidValue`. Either way the other directory's user joins
/// nothing and no membership event is recorded.
#[tokio::test]
async fn a_group_never_takes_a_member_from_another_directory() {
    // Arrange
    let app = server();
    let (a, b) = two_dirs(&app, "members").await;
    let mine = id(&a.scim.create_user("mine").await);
    let foreign = id(&b.scim.create_user("foreign").await);
    let gid = id(&a.scim.create_group("Crew", &[&mine]).await);
    let path = format!("/Groups/{gid}");
    let (_, before) = call(&a.scim, Method::GET, &path, None).await;
    let add = |ids: &[&str]| {
        let values: Vec<Value> = ids.iter().map(|i| json!({"value": i})).collect();
        json!({"schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "members", "value": values}]})
    };

    // Act
    let patched = a.scim.patch(&path, add(&[&foreign])).await;
    let created = a.scim.post("/Groups", group("Stolen", &[&foreign])).await;
    let replaced = a.scim.put(&path, group("Crew", &[&mine, &foreign])).await;

    // Assert
    assert_eq!(patched.status(), StatusCode::NO_CONTENT);
    assert_scim_error(created, 400, Some("invalidValue")).await;
    assert_scim_error(replaced, 400, Some("invalidValue")).await;
    let (_, after) = call(&a.scim, Method::GET, &path, None).await;
    let without_meta = |g: &Value| {
        let mut g = g.clone();
        g.as_object_mut().unwrap().remove("meta");
        g
    };
    assert_eq!(
        without_meta(&after),
        without_meta(&before),
        "the group is unchanged"
    );
    let token = app.admin_token().await;
    let client = reqwest::Client::new();
    let resp = get_events(&client, &app.address, &token, &[("directory", &a.id)]).await;
    let recorded = event_types(&page_events(&feed_page(resp, &[]).await));
    assert_eq!(
        recorded,
        ["user.created", "group.created", "group.member_added"],
        "only the creation of a's own user and group, with its one member"
    );
    assert_eq!(
        a.scim.list("/Groups", "displayName eq \"Stolen\"").await["totalResults"],
        0
    );
    let (_, foreigner) = call(&b.scim, Method::GET, &format!("/Users/{foreign}"), None).await;
    assert!(
        foreigner.get("groups").is_none_or(|g| g == &json!([])),
        "{foreigner}"
    );
}

#[tokio::test]
async fn the_default_directory_is_the_one_at_scim_v2() {
    // Arrange: the default directory's token, as set-ups from before directories have it.
    let app = server();
    let name = super::unique_id("default-user");
    let created = app.create_user(&name).await;

    // Act
    let at_directory_url = app.view(
        &format!("{}/directories/default/scim/v2", app.address),
        &app.token,
    );
    let (status, found) = call(
        &at_directory_url,
        Method::GET,
        &format!("/Users/{}", id(&created)),
        None,
    )
    .await;
    let listed = super::admin(&app)
        .await
        .expect(200, Method::GET, "/directories/default", None)
        .await;

    // Assert
    assert_eq!(status, StatusCode::OK);
    assert_eq!(found["id"], created["id"]);
    assert_eq!(listed["scim_base_url"], json!(app.base));
    assert!(
        created["meta"]["location"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{}/Users/", app.base))
    );
}
