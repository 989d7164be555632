//! Sorting, cursor paging (RFC 9865) and POST `.search` (RFC 7644 §3.4.2.3, §3.4.3).

use std::collections::HashSet;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_scim_error, id, scim_json};

const SEARCH: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";

fn names(list: &Value) -> Vec<String> {
    list["Resources"]
        .as_array()
        .expect("Resources")
        .iter()
        .map(|r| r["userName"].as_str().unwrap_or("-").to_owned())
        .collect()
}

async fn users(app: &TestApp, bodies: &[Value]) {
    for body in bodies {
        assert_eq!(
            app.post("/Users", body.clone()).await.status(),
            StatusCode::CREATED
        );
    }
}

#[tokio::test]
async fn sort_by_user_name_is_case_insensitive_in_both_directions() {
    // Arrange
    let app = TestApp::spawn().await;
    for n in ["carol", "Alice", "bob", "Dave"] {
        app.create_user(n).await;
    }

    // Act
    let asc = scim_json(app.get_query("/Users", &[("sortBy", "userName")]).await).await;
    let desc = scim_json(
        app.get_query(
            "/Users",
            &[("sortBy", "USERNAME"), ("sortOrder", "Descending")],
        )
        .await,
    )
    .await;

    // Assert
    assert_eq!(names(&asc), ["Alice", "bob", "carol", "Dave"]);
    assert_eq!(names(&desc), ["Dave", "carol", "bob", "Alice"]);
}

#[tokio::test]
async fn resources_without_the_sort_attribute_come_last_either_way() {
    let app = TestApp::spawn().await;
    users(
        &app,
        &[
            json!({"userName": "a", "title": "Zed"}),
            json!({"userName": "b"}),
            json!({"userName": "c", "title": "Amy"}),
        ],
    )
    .await;

    let asc = scim_json(app.get_query("/Users", &[("sortBy", "title")]).await).await;
    let desc = scim_json(
        app.get_query(
            "/Users",
            &[("sortBy", "title"), ("sortOrder", "descending")],
        )
        .await,
    )
    .await;

    assert_eq!(names(&asc), ["c", "a", "b"]);
    assert_eq!(names(&desc), ["a", "c", "b"]);
}

#[tokio::test]
async fn a_multi_valued_attribute_sorts_by_its_primary_value() {
    let app = TestApp::spawn().await;
    users(
        &app,
        &[
            json!({"userName": "x", "emails": [{"value": "zz@example.com"}, {"value": "aa@example.com", "primary": true}]}),
            json!({"userName": "y", "emails": [{"value": "mm@example.com", "primary": true}]}),
        ],
    )
    .await;

    let list = scim_json(app.get_query("/Users", &[("sortBy", "emails")]).await).await;

    assert_eq!(
        names(&list),
        ["x", "y"],
        "aa@ (x's primary) sorts before mm@"
    );
}

#[tokio::test]
async fn bad_sort_parameters_are_invalid_value() {
    let app = TestApp::spawn().await;
    let cases = [
        (vec![("sortBy", "favouriteColour")], "unknown attribute"),
        (
            vec![("sortBy", "userName"), ("sortOrder", "sideways")],
            "unknown order",
        ),
        (vec![("sortBy", "emails[")], "malformed path"),
    ];
    for (params, reason) in cases {
        let resp = app.get_query("/Users", &params).await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{reason}");
        assert_scim_error(resp, 400, Some("invalidValue")).await;
    }
}

/// Walks `/Users` with cursors of `count`, returning every page.
async fn walk(app: &TestApp, extra: &[(&str, &str)], count: &str) -> Vec<Value> {
    let mut pages = Vec::new();
    let mut cursor = String::new();
    loop {
        let mut params = vec![("cursor", cursor.as_str()), ("count", count)];
        params.extend_from_slice(extra);
        let page = scim_json(app.get_query("/Users", &params).await).await;
        let next = page
            .get("nextCursor")
            .and_then(Value::as_str)
            .map(str::to_owned);
        pages.push(page);
        match next {
            Some(c) => cursor = c,
            None => return pages,
        }
        assert!(pages.len() < 50, "the walk must end");
    }
}

#[tokio::test]
async fn a_cursor_walk_returns_every_user_exactly_once() {
    // Arrange
    let app = TestApp::spawn().await;
    for i in 0..7 {
        app.create_user(&format!("walker{i}")).await;
    }

    // Act
    let pages = walk(&app, &[], "3").await;

    // Assert
    assert_eq!(pages.len(), 3);
    let seen: Vec<String> = pages.iter().flat_map(names).collect();
    assert_eq!(seen.len(), 7);
    assert_eq!(
        seen.iter().collect::<HashSet<_>>().len(),
        7,
        "no duplicates"
    );
    for page in &pages {
        assert_eq!(page["totalResults"], 7);
        assert!(
            page.get("startIndex").is_none(),
            "cursor pages carry no startIndex"
        );
        assert_eq!(
            page["itemsPerPage"],
            page["Resources"].as_array().unwrap().len()
        );
    }
}

#[tokio::test]
async fn a_sorted_cursor_walk_follows_the_sort_order() {
    let app = TestApp::spawn().await;
    for n in ["delta", "alpha", "echo", "charlie", "bravo"] {
        app.create_user(n).await;
    }

    let pages = walk(&app, &[("sortBy", "userName")], "2").await;

    let seen: Vec<String> = pages.iter().flat_map(names).collect();
    assert_eq!(seen, ["alpha", "bravo", "charlie", "delta", "echo"]);
}

#[tokio::test]
async fn users_created_during_a_walk_do_not_shift_pages() {
    let app = TestApp::spawn().await;
    for i in 0..4 {
        app.create_user(&format!("early{i}")).await;
    }
    let first = scim_json(
        app.get_query("/Users", &[("cursor", ""), ("count", "2")])
            .await,
    )
    .await;
    let cursor = first["nextCursor"].as_str().unwrap().to_owned();

    app.create_user("late").await;
    let second = scim_json(
        app.get_query("/Users", &[("cursor", &cursor), ("count", "2")])
            .await,
    )
    .await;

    assert_eq!(names(&second), ["early2", "early3"]);
}

#[tokio::test]
async fn forged_foreign_and_mismatched_cursors_are_refused() {
    // Arrange
    let app = TestApp::spawn().await;
    let other = TestApp::spawn().await;
    for i in 0..3 {
        app.create_user(&format!("u{i}")).await;
        other.create_user(&format!("u{i}")).await;
    }
    let page = scim_json(
        app.get_query("/Users", &[("cursor", ""), ("count", "1")])
            .await,
    )
    .await;
    let cursor = page["nextCursor"].as_str().unwrap().to_owned();
    let foreign_page = scim_json(
        other
            .get_query("/Users", &[("cursor", ""), ("count", "1")])
            .await,
    )
    .await;
    let foreign = foreign_page["nextCursor"].as_str().unwrap().to_owned();
    let mut tampered = cursor.clone();
    tampered.insert(tampered.len() / 2, 'x');

    // Act + Assert
    let cases = [
        (vec![("cursor", "garbage")], "garbage"),
        (vec![("cursor", tampered.as_str())], "altered cursor"),
        (
            vec![("cursor", foreign.as_str())],
            "another server's cursor",
        ),
        (
            vec![("cursor", cursor.as_str()), ("filter", "userName pr")],
            "cursor of another query",
        ),
        (
            vec![("cursor", cursor.as_str()), ("sortBy", "userName")],
            "cursor of another order",
        ),
    ];
    for (params, reason) in cases {
        let resp = app.get_query("/Users", &params).await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{reason}");
        assert_scim_error(resp, 400, Some("invalidCursor")).await;
    }
    let groups = app
        .get_query("/Groups", &[("cursor", cursor.as_str())])
        .await;
    assert_scim_error(groups, 400, Some("invalidCursor")).await;
}

#[tokio::test]
async fn an_expired_cursor_is_refused_as_expired() {
    #[derive(serde::Serialize)]
    struct State {
        query: String,
        position: scimd::store::Position,
        total: i64,
    }
    let app = TestApp::spawn().await;
    let state = State {
        query: "User||".into(),
        position: scimd::store::Position::Offset(1),
        total: 1,
    };
    let expired = app
        .state
        .auth
        .seal("default", state, chrono::Duration::seconds(-60))
        .unwrap();

    let resp = app
        .get_query("/Users", &[("cursor", expired.as_str())])
        .await;

    assert_scim_error(resp, 400, Some("expiredCursor")).await;
}

#[tokio::test]
async fn start_index_and_cursor_together_are_refused() {
    let app = TestApp::spawn().await;

    let resp = app
        .get_query("/Users", &[("cursor", ""), ("startIndex", "2")])
        .await;

    assert_scim_error(resp, 400, Some("invalidValue")).await;
}

#[tokio::test]
async fn search_on_users_takes_a_search_request_body() {
    // Arrange
    let app = TestApp::spawn().await;
    for n in ["sam", "sue", "tom"] {
        app.create_user(n).await;
    }

    // Act
    let resp = app
        .post(
            "/Users/.search",
            json!({"schemas": [SEARCH], "filter": "userName sw \"s\"", "sortBy": "userName", "sortOrder": "descending",
                   "attributes": ["userName"], "startIndex": 1, "count": 10}),
        )
        .await;

    // Assert
    assert_eq!(resp.status(), StatusCode::OK);
    let list = scim_json(resp).await;
    assert_eq!(list["totalResults"], 2);
    assert_eq!(names(&list), ["sue", "sam"]);
    let first = &list["Resources"][0];
    assert_eq!(
        first.as_object().unwrap().len(),
        3,
        "attributes projection: {first}"
    );
}

#[tokio::test]
async fn malformed_search_requests_are_refused() {
    let app = TestApp::spawn().await;
    let cases = [
        (
            json!({"filter": "userName pr"}),
            "invalidSyntax",
            "no schemas",
        ),
        (
            json!({"schemas": [SEARCH], "count": "ten"}),
            "invalidValue",
            "count not an integer",
        ),
        (
            json!({"schemas": [SEARCH], "attributes": [1]}),
            "invalidValue",
            "attributes not strings",
        ),
        (
            json!({"schemas": [SEARCH], "filter": "userName eq"}),
            "invalidFilter",
            "bad filter",
        ),
        (json!([1, 2]), "invalidSyntax", "not an object"),
    ];
    for (body, scim_type, reason) in cases {
        let resp = app.post("/Users/.search", body).await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{reason}");
        assert_scim_error(resp, 400, Some(scim_type)).await;
    }
}

#[tokio::test]
async fn root_search_lists_users_then_groups_with_paging_across_both() {
    // Arrange
    let app = TestApp::spawn().await;
    let u1 = app.create_user("ann").await;
    app.create_user("ben").await;
    app.create_group("Admins", &[&id(&u1)]).await;
    app.create_group("Staff", &[]).await;

    // Act
    let all = scim_json(app.post("/.search", json!({"schemas": [SEARCH]})).await).await;
    let window = scim_json(
        app.post(
            "/.search",
            json!({"schemas": [SEARCH], "startIndex": 2, "count": 2}),
        )
        .await,
    )
    .await;
    let by_name = scim_json(app.post("/.search", json!({"schemas": [SEARCH], "filter": "displayName eq \"staff\" or userName eq \"ann\""})).await).await;

    // Assert
    assert_eq!(all["totalResults"], 4);
    let kinds: Vec<&str> = all["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["meta"]["resourceType"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["User", "User", "Group", "Group"]);
    let window_kinds: Vec<&str> = window["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["meta"]["resourceType"].as_str().unwrap())
        .collect();
    assert_eq!(
        window_kinds,
        ["User", "Group"],
        "startIndex 2, count 2 spans the two types"
    );
    assert_eq!(window["totalResults"], 4);
    assert_eq!(by_name["totalResults"], 2, "{by_name}");
}

#[tokio::test]
async fn service_provider_config_advertises_sorting_and_both_paging_methods() {
    let app = TestApp::spawn_with(|a| a.max_page_size = 250).await;

    let config = scim_json(app.get("/ServiceProviderConfig").await).await;

    assert_eq!(config["sort"]["supported"], true);
    let p = &config["pagination"];
    assert_eq!(p["cursor"], true);
    assert_eq!(p["index"], true);
    assert_eq!(p["maxPageSize"], 250);
    assert_eq!(p["defaultPageSize"], 100);
    assert!(p["cursorTimeout"].as_i64().unwrap() > 0);
    assert_eq!(config["filter"]["maxResults"], 250);
}

#[tokio::test]
async fn a_value_filter_in_attributes_returns_only_the_matching_values() {
    // Microsoft's SCIM test collection sends `attributes=emails[type eq "work"]`.
    let app = TestApp::spawn().await;
    let body = json!({"userName": "mail", "emails": [{"value": "w@example.com", "type": "work"}, {"value": "h@example.com", "type": "home"}]});
    let user = scim_json(app.post("/Users", body).await).await;

    let resp = app
        .get_query(
            &format!("/Users/{}", id(&user)),
            &[("attributes", r#"emails[type eq "WORK"]"#)],
        )
        .await;

    let got = scim_json(resp).await;
    assert_eq!(
        got["emails"],
        json!([{"value": "w@example.com", "type": "work"}])
    );
    assert!(
        got.get("userName").is_none(),
        "only the requested attribute (and id, schemas): {got}"
    );
    let bad = app
        .get_query("/Users", &[("attributes", r#"emails[type eq"#)])
        .await;
    assert_scim_error(bad, 400, Some("invalidValue")).await;
}
