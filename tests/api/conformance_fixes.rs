//! Fixes found by the third-party conformance runners (`conformance/run`), each tested here on
//! its own so that it holds without them.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, USER_SCHEMA, assert_scim_error, id, scim_json};

/// Microsoft's SCIM test collection asks for `/users`; endpoint names are routed regardless of
/// case, with ids, sub-paths and the query kept as sent.
#[tokio::test]
async fn endpoint_names_are_routed_regardless_of_case() {
    // Arrange
    let app = TestApp::spawn().await;
    let user = app.create_user("Case.Sensitive@example.com").await;

    // Act
    let list = app
        .get("/users?filter=userName%20eq%20%22Case.Sensitive@example.com%22")
        .await;
    let one = app.get(&format!("/USERS/{}", id(&user))).await;
    let search = app
        .post(
            "/users/.search",
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]}),
        )
        .await;
    let spc = app.get("/serviceproviderconfig").await;
    let created = app
        .post("/groups", json!({"displayName": "lower", "members": []}))
        .await;

    // Assert
    assert_eq!(list.status(), StatusCode::OK);
    assert_eq!(scim_json(list).await["totalResults"], json!(1));
    assert_eq!(one.status(), StatusCode::OK);
    assert_eq!(scim_json(one).await["id"], user["id"]);
    assert_eq!(search.status(), StatusCode::OK);
    assert_eq!(scim_json(search).await["totalResults"], json!(1));
    assert_eq!(spc.status(), StatusCode::OK);
    assert_eq!(created.status(), StatusCode::CREATED);
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.contains("/scim/v2/Groups/"), "{location}");
}

/// Only whole endpoint names are matched: other paths still answer 404.
#[tokio::test]
async fn unknown_paths_are_still_unknown() {
    // Arrange
    let app = TestApp::spawn().await;

    // Act
    let unknown = app.get("/userz").await;
    let prefixed = app.get("/usersx").await;
    let created = app
        .post(
            "/Users",
            json!({"schemas": [USER_SCHEMA], "userName": "x@example.com"}),
        )
        .await;

    // Assert
    assert_scim_error(unknown, 404, None).await;
    assert_scim_error(prefixed, 404, None).await;
    assert_eq!(created.status(), StatusCode::CREATED);
}
