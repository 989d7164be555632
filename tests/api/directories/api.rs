//! `/api/v1/directories` with an admin token: create, list with figures, show, delete (with and
//! without purge), and the errors: unknown directories, bad input, the wrong token, all
//! `{"error": {...}}`; the operations in the API's OpenAPI document.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{Dir, admin, call, create_dir, server, unique_id};
use crate::helpers::{TestApp, assert_api_error, id};

/// `GET /api/v1/directories/{id}`.
async fn shown(app: &TestApp, dir: &str) -> Value {
    admin(app)
        .await
        .expect(200, Method::GET, &format!("/directories/{dir}"), None)
        .await
}

#[tokio::test]
async fn a_created_directory_comes_with_its_url_and_a_token_that_works_there() {
    // Arrange
    let app = server();
    let admin = admin(&app).await;
    let id = unique_id("acme");

    // Act
    let created = admin
        .expect(
            201,
            Method::POST,
            "/directories",
            Some(json!({"name": "Acme", "id": id})),
        )
        .await;

    // Assert
    let directory = &created["directory"];
    let url = format!("{}/directories/{id}/scim/v2", app.address);
    assert_eq!(directory["id"], json!(id));
    assert_eq!(directory["name"], "Acme");
    assert_eq!(directory["scim_base_url"], json!(url));
    assert_eq!(
        directory["users"],
        json!({"active": 0, "inactive": 0, "suspended": 0, "archived": 0})
    );
    assert_eq!(
        (&directory["groups"], &directory["tokens"]),
        (&json!(0), &json!(1))
    );
    assert_eq!(directory["last_scim_request_at"], Value::Null);
    let token = &created["token"];
    assert_eq!(
        (&token["name"], &token["state"]),
        (&json!("initial"), &json!("active"))
    );
    let scim = app.view(&url, token["token"].as_str().unwrap());
    assert_eq!(
        call(&scim, Method::GET, "/Users", None).await.0,
        StatusCode::OK
    );
    let listed = admin.expect(200, Method::GET, "/directories", None).await;
    let ids: Vec<&str> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.first(), Some(&"default"), "oldest first: {ids:?}");
    assert!(ids.contains(&id.as_str()), "{ids:?}");
}

#[tokio::test]
async fn a_directory_without_an_id_gets_one_made_from_its_name() {
    let app = server();
    let admin = admin(&app).await;
    let name = format!("Über Corp. {}", unique_id("x"));

    let first = admin
        .expect(
            201,
            Method::POST,
            "/directories",
            Some(json!({"name": name})),
        )
        .await;
    let second = admin
        .expect(
            201,
            Method::POST,
            "/directories",
            Some(json!({"name": name})),
        )
        .await;

    let slug = first["directory"]["id"].as_str().unwrap().to_owned();
    assert!(slug.starts_with("uber-corp-x-"), "{slug}");
    assert_eq!(second["directory"]["id"], json!(format!("{slug}-2")));
    assert_eq!(first["directory"]["name"], json!(name));
}

#[tokio::test]
async fn the_figures_count_users_by_state_groups_tokens_and_the_last_scim_request() {
    // Arrange
    let app = server();
    let dir = create_dir(&app, "figures").await;
    let uid = id(&dir.scim.create_user("one").await);
    dir.scim.create_user("two").await;
    let off = dir.scim.create_user("three").await;
    dir.scim
        .patch(
            &format!("/Users/{}", id(&off)),
            crate::helpers::patch_body(
                json!([{"op": "replace", "path": "active", "value": false}]),
            ),
        )
        .await;
    dir.scim.create_group("G", &[&uid]).await;
    admin(&app)
        .await
        .expect(
            201,
            Method::POST,
            &format!("/directories/{}/tokens", dir.id),
            Some(json!({"name": "second"})),
        )
        .await;

    // Act
    let figures = shown(&app, &dir.id).await;

    // Assert
    assert_eq!(figures["users"]["active"], 2, "{figures}");
    assert_eq!(figures["users"]["inactive"], 1, "{figures}");
    assert_eq!(figures["groups"], 1, "{figures}");
    assert_eq!(figures["tokens"], 2, "{figures}");
    assert!(figures["last_scim_request_at"].is_string(), "{figures}");
}

#[tokio::test]
async fn ids_names_and_bodies_that_do_not_fit_are_refused_with_400_and_taken_ids_with_409() {
    let app = server();
    let admin = admin(&app).await;
    let taken = create_dir(&app, "taken").await;

    for (body, status, code, reason) in [
        (
            json!({"name": "X", "id": "Acme"}),
            400,
            "invalid_parameter",
            "upper case",
        ),
        (
            json!({"name": "X", "id": "-acme"}),
            400,
            "invalid_parameter",
            "leading hyphen",
        ),
        (
            json!({"name": "X", "id": "ac/me"}),
            400,
            "invalid_parameter",
            "a slash",
        ),
        (
            json!({"name": "X", "id": "a".repeat(64)}),
            400,
            "invalid_parameter",
            "64 characters",
        ),
        (
            json!({"name": "  "}),
            400,
            "invalid_parameter",
            "a blank name",
        ),
        (
            json!({"name": "x".repeat(201)}),
            400,
            "invalid_parameter",
            "a long name",
        ),
        (json!({"id": "acme"}), 400, "invalid_parameter", "no name"),
        (
            json!({"name": ["X"]}),
            400,
            "invalid_parameter",
            "a name that is no string",
        ),
        (
            json!({"name": "X", "id": taken.id}),
            409,
            "conflict",
            "a taken id",
        ),
        (
            json!({"name": "X", "id": "default"}),
            409,
            "conflict",
            "the default id",
        ),
    ] {
        let resp = admin.call(Method::POST, "/directories", Some(body)).await;
        assert_eq!(resp.status().as_u16(), status, "{reason}");
        assert_api_error(resp, status, code).await;
    }
}

#[tokio::test]
async fn an_unknown_directory_is_404_everywhere_in_the_api() {
    let app = server();
    let admin = admin(&app).await;
    let nowhere = unique_id("nowhere");

    for (method, path, body) in [
        (Method::GET, format!("/directories/{nowhere}"), None),
        (Method::DELETE, format!("/directories/{nowhere}"), None),
        (
            Method::DELETE,
            format!("/directories/{nowhere}?purge=true"),
            None,
        ),
        (Method::GET, format!("/directories/{nowhere}/tokens"), None),
        (
            Method::POST,
            format!("/directories/{nowhere}/tokens"),
            Some(json!({"name": "okta"})),
        ),
        (
            Method::POST,
            format!("/directories/{nowhere}/tokens/any/rotate"),
            Some(json!({})),
        ),
        (
            Method::DELETE,
            format!("/directories/{nowhere}/tokens/any"),
            None,
        ),
        (Method::GET, format!("/directories/{nowhere}/setup"), None),
        (Method::GET, format!("/events?directory={nowhere}"), None),
        (
            Method::POST,
            "/webhooks".to_owned(),
            Some(json!({"url": "https://example.com/h", "directory": nowhere})),
        ),
    ] {
        let resp = admin.call(method.clone(), &path, body).await;
        let body = assert_api_error(resp, 404, "not_found").await;
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains(&nowhere),
            "{method} {path}: {body}"
        );
    }
}

#[tokio::test]
async fn a_directory_holding_users_is_deleted_only_with_purge() {
    // Arrange
    let app = server();
    let admin = admin(&app).await;
    let dir = create_dir(&app, "purge").await;
    let uid = id(&dir.scim.create_user("stays").await);
    dir.scim.create_group("G", &[&uid]).await;
    let path = format!("/directories/{}", dir.id);

    // Act
    let refused = admin.call(Method::DELETE, &path, None).await;
    let kept = call(&dir.scim, Method::GET, &format!("/Users/{uid}"), None)
        .await
        .0;
    let purged = admin
        .call(Method::DELETE, &format!("{path}?purge=true"), None)
        .await;

    // Assert
    assert_api_error(refused, 409, "conflict").await;
    assert_eq!(kept, StatusCode::OK, "a refused delete changes nothing");
    assert_eq!(purged.status(), StatusCode::NO_CONTENT);
    assert_api_error(admin.call(Method::GET, &path, None).await, 404, "not_found").await;
    assert_eq!(
        call(&dir.scim, Method::GET, "/Users", None).await.0,
        StatusCode::UNAUTHORIZED,
        "its URL answers 401 once it is gone"
    );
}

#[tokio::test]
async fn an_empty_directory_is_deleted_and_the_default_one_never() {
    let app = server();
    let admin = admin(&app).await;
    let Dir { id, .. } = create_dir(&app, "empty").await;

    let deleted = admin
        .call(Method::DELETE, &format!("/directories/{id}"), None)
        .await;
    let default = admin
        .call(Method::DELETE, "/directories/default?purge=true", None)
        .await;

    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_api_error(default, 409, "conflict").await;
    assert_eq!(
        call(&app, Method::GET, "/Users", None).await.0,
        StatusCode::OK,
        "/scim/v2 still serves the default directory"
    );
}

#[tokio::test]
async fn the_directory_api_takes_admin_tokens_only_and_answers_errors_in_one_shape() {
    // Arrange
    let app = server();
    let dir = create_dir(&app, "shape").await;
    let api = format!("{}/api/v1", app.address);
    let client = reqwest::Client::new();

    // Act + Assert
    let no_token = client
        .get(format!("{api}/directories"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        no_token.headers()["www-authenticate"].to_str().unwrap(),
        "Bearer realm=\"scimd\""
    );
    assert_api_error(no_token, 401, "unauthorized").await;
    // The default directory's SCIM token is recognised as one (admin tokens are signed with
    // its key) and told apart; another directory's is no admin token at all.
    for (token, status, code) in [
        (&app.token, 403, "forbidden"),
        (&dir.scim.token, 401, "unauthorized"),
    ] {
        let scim_token = client
            .get(format!("{api}/directories"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_api_error(scim_token, status, code).await;
    }
    let admin = admin(&app).await;
    let unknown_route = admin
        .call(Method::GET, "/directories/x/nothing", None)
        .await;
    assert_api_error(unknown_route, 404, "not_found").await;
    let not_json = client
        .post(format!("{api}/directories"))
        .bearer_auth(&admin.token)
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_api_error(not_json, 400, "invalid_parameter").await;
    let wrong_method = admin
        .call(Method::PUT, "/directories", Some(json!({})))
        .await;
    assert_eq!(wrong_method.status(), StatusCode::METHOD_NOT_ALLOWED);
    let body: Value = wrong_method.json().await.unwrap();
    assert_eq!(body["error"]["status"], 405, "{body}");
}

/// A body over the limit is refused before any route is chosen; on `/api/v1` it still gets the
/// API's error shape. (A server of its own: its limit is small enough for the whole body to be
/// sent before the answer, which a large body on the shared server's 1 MiB limit is not.)
#[tokio::test]
async fn a_body_over_the_limit_gets_the_api_error_shape() {
    let app = TestApp::spawn_with(|a| a.max_body_bytes = 1000).await;

    let too_large = reqwest::Client::new()
        .post(format!("{}/api/v1/directories", app.address))
        .bearer_auth(app.admin_token().await)
        .header("Content-Type", "application/json")
        .body(format!("{{\"name\": \"{}\"}}", "x".repeat(1000)))
        .send()
        .await
        .unwrap();

    assert_api_error(too_large, 413, "payload_too_large").await;
}

#[tokio::test]
async fn the_api_document_describes_the_directory_operations_with_examples() {
    let app = server();

    let doc: Value = reqwest::get(format!("{}/api/v1/openapi.json", app.address))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    for (path, methods) in [
        ("/directories", &["get", "post"][..]),
        ("/directories/{id}", &["get", "delete"]),
        ("/directories/{directory}/tokens", &["get", "post"]),
        ("/directories/{directory}/tokens/{id}/rotate", &["post"]),
        ("/directories/{directory}/tokens/{id}", &["delete"]),
        ("/directories/{directory}/setup", &["get"]),
    ] {
        for method in methods {
            let op = &doc["paths"][path][method];
            assert!(
                op["summary"].is_string() || op["description"].is_string(),
                "{path} {method}"
            );
        }
    }
    let schemas = &doc["components"]["schemas"];
    for name in [
        "DirectoryBody",
        "NewDirectoryBody",
        "TokenBody",
        "NewTokenBody",
        "SetupBody",
        "ApiError",
    ] {
        assert!(
            schemas[name]["example"].is_object(),
            "{name} has an example"
        );
    }
    assert!(
        doc["paths"]["/events"]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "directory"),
        "/events takes directory"
    );
}
