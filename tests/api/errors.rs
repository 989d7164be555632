//! Error handling at the HTTP edge (RFC 7644 §3.12): every failure is a SCIM Error answered as
//! `application/scim+json`, media types and body limits are enforced, uniqueness holds under
//! concurrency and a failed write changes nothing.

use futures::future::join_all;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{GROUP_SCHEMA, TestApp, USER_SCHEMA, assert_scim_error, id, scim_json};

/// `totalResults` of an unfiltered list of `endpoint`.
async fn total(app: &TestApp, endpoint: &str) -> i64 {
    let resp = app.get(endpoint).await;
    assert_eq!(resp.status(), StatusCode::OK, "GET {endpoint}");
    scim_json(resp).await["totalResults"]
        .as_i64()
        .expect("totalResults")
}

fn user(user_name: &str) -> Value {
    json!({"schemas": [USER_SCHEMA], "userName": user_name})
}

#[tokio::test]
async fn a_malformed_body_is_invalid_syntax() {
    // Arrange
    let app = TestApp::spawn().await;
    let cases = [
        (
            r#"{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "#,
            "truncated JSON",
        ),
        ("userName=bjensen", "not JSON at all"),
        (r#"{"userName": "a",}"#, "a trailing comma"),
        ("", "an empty body"),
        ("   \n", "a whitespace-only body"),
    ];

    for (body, reason) in cases {
        // Act
        let resp = app
            .post_raw("/Users", Some("application/scim+json"), body)
            .await;

        // Assert
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{reason}");
        let err = assert_scim_error(resp, 400, Some("invalidSyntax")).await;
        assert!(
            err["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{reason}: {err}"
        );
    }
    assert_eq!(total(&app, "/Users").await, 0, "nothing was created");
}

#[tokio::test]
async fn a_json_body_that_is_not_an_object_is_refused() {
    // Arrange
    let app = TestApp::spawn().await;
    let cases = [
        (
            json!([{"schemas": [USER_SCHEMA], "userName": "alice"}]),
            "an array holding a valid user",
        ),
        (json!("alice"), "a bare string"),
        (json!(42), "a number"),
        (json!(null), "null"),
    ];

    for (body, reason) in cases {
        // Act
        let resp = app.post("/Users", body).await;

        // Assert
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{reason}");
        assert_scim_error(resp, 400, Some("invalidSyntax")).await;
    }
    assert_eq!(total(&app, "/Users").await, 0, "nothing was created");
}

#[tokio::test]
async fn request_media_types_are_checked() {
    // Arrange
    let app = TestApp::spawn().await;
    let cases = [
        (Some("application/scim+json"), 201, "the SCIM media type"),
        (Some("application/json"), 201, "plain JSON"),
        (
            Some("application/json; charset=utf-8"),
            201,
            "plain JSON with a charset",
        ),
        (
            Some("application/scim+json; charset=utf-8"),
            201,
            "SCIM JSON with a charset",
        ),
        (
            Some("Application/SCIM+JSON"),
            201,
            "media types are case-insensitive",
        ),
        (
            None,
            201,
            "no Content-Type: read as SCIM JSON for lenient clients",
        ),
        (Some("text/plain"), 415, "text is not JSON"),
        (Some("application/xml"), 415, "XML is not JSON"),
        (
            Some("application/x-www-form-urlencoded"),
            415,
            "a form is not JSON",
        ),
    ];

    for (i, (content_type, status, reason)) in cases.into_iter().enumerate() {
        // Act
        let resp = app
            .post_raw(
                "/Users",
                content_type,
                user(&format!("media{i}")).to_string(),
            )
            .await;

        // Assert
        assert_eq!(resp.status().as_u16(), status, "{reason}: {content_type:?}");
        if status == 201 {
            let body = scim_json(resp).await;
            assert_eq!(body["userName"], json!(format!("media{i}")), "{reason}");
        } else {
            assert_scim_error(resp, 415, None).await;
        }
    }
    assert_eq!(
        total(&app, "/Users").await,
        6,
        "only the JSON requests created users"
    );
}

#[tokio::test]
async fn unknown_routes_are_scim_404s() {
    // Arrange
    let app = TestApp::spawn().await;
    let cases = [
        (format!("{}/Nope", app.base), "an unknown SCIM endpoint"),
        (
            format!("{}/nope", app.address),
            "an unknown path outside the SCIM base",
        ),
        (
            format!("{}/scim/v1/Users", app.address),
            "another API version",
        ),
        (
            format!("{}/Users/does-not-exist", app.base),
            "an unknown user id",
        ),
        (
            format!("{}/Groups/does-not-exist", app.base),
            "an unknown group id",
        ),
        (format!("{}/Users/a/b", app.base), "a path below a resource"),
    ];

    for (url, reason) in cases {
        // Act
        let resp = app
            .client
            .get(&url)
            .bearer_auth(&app.token)
            .send()
            .await
            .expect("request");

        // Assert
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{reason}: {url}");
        assert_scim_error(resp, 404, None).await;
    }
}

#[tokio::test]
async fn a_method_the_endpoint_does_not_offer_is_a_scim_405() {
    // Arrange
    let app = TestApp::spawn().await;
    let bob = app.create_user("bob").await;
    let bob_path = format!("/Users/{}", id(&bob));
    let cases = [
        (
            Method::PATCH,
            "/Users".to_owned(),
            "PATCH needs a resource id",
        ),
        (Method::PUT, "/Users".to_owned(), "PUT needs a resource id"),
        (
            Method::DELETE,
            "/Users".to_owned(),
            "no bulk delete of the collection",
        ),
        (
            Method::POST,
            bob_path.clone(),
            "POST goes to the collection",
        ),
        (
            Method::PATCH,
            "/Groups".to_owned(),
            "PATCH needs a group id",
        ),
    ];

    for (method, path, reason) in cases {
        // Act
        let body = (method != Method::DELETE).then(|| user("someone"));
        let resp = app.request(method.clone(), &path, body).await;

        // Assert
        assert_eq!(
            resp.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{reason}: {method} {path}"
        );
        assert_scim_error(resp, 405, None).await;
    }
    assert_eq!(
        total(&app, "/Users").await,
        1,
        "nothing was created or deleted"
    );
}

#[tokio::test]
async fn a_body_over_the_configured_limit_is_refused_with_413() {
    // Arrange
    let app = TestApp::spawn_with(|a| a.max_body_bytes = 1000).await;
    let small =
        json!({"schemas": [USER_SCHEMA], "userName": "small", "displayName": "x".repeat(600)});
    let big = json!({"schemas": [USER_SCHEMA], "userName": "big", "displayName": "x".repeat(2000)});
    assert!(small.to_string().len() < 1000 && big.to_string().len() > 1000);

    // Act
    let accepted = app.post("/Users", small).await;
    let refused = app.post("/Users", big).await;

    // Assert
    assert_eq!(
        accepted.status(),
        StatusCode::CREATED,
        "a body under the limit is fine"
    );
    assert_eq!(refused.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_scim_error(refused, 413, None).await;
    let list = app.list("/Users", r#"userName eq "big""#).await;
    assert_eq!(
        list["totalResults"],
        json!(0),
        "the refused user was not created"
    );
    assert_eq!(total(&app, "/Users").await, 1);
}

#[tokio::test]
async fn a_chunked_body_over_the_limit_is_refused_with_413() {
    // Arrange: a body without Content-Length, so only the streaming reader can enforce the limit.
    let app = TestApp::spawn_with(|a| a.max_body_bytes = 1000).await;
    let body =
        json!({"schemas": [USER_SCHEMA], "userName": "chunky", "displayName": "x".repeat(3000)})
            .to_string();
    let host = app.address.trim_start_matches("http://");
    let request = format!(
        "POST /scim/v2/Users HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/scim+json\r\nTransfer-Encoding: chunked\r\n\
         Connection: close\r\n\r\n{:x}\r\n{body}\r\n0\r\n\r\n",
        app.token,
        body.len()
    );

    // Act
    let mut stream = tokio::net::TcpStream::connect(host).await.expect("connect");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw).await;
    let response = String::from_utf8_lossy(&raw);

    // Assert
    let status_line = response.lines().next().unwrap_or_default();
    assert!(
        status_line.starts_with("HTTP/1.1 413"),
        "status line {status_line:?}"
    );
    assert!(
        response
            .to_lowercase()
            .contains("content-type: application/scim+json"),
        "{response}"
    );
    assert!(response.contains(r#""status":"413""#), "{response}");
    assert_eq!(total(&app, "/Users").await, 0, "nothing was created");
}

#[tokio::test]
async fn a_trailing_slash_addresses_the_same_endpoint() {
    // Arrange
    let app = TestApp::spawn().await;

    // Act
    let created = app.post("/Users/", user("slash")).await;
    let created_status = created.status();
    let created = scim_json(created).await;
    let listed = app.get("/Users/").await;
    let listed_status = listed.status();
    let listed = scim_json(listed).await;
    let one = app.get(&format!("/Users/{}/", id(&created))).await;

    // Assert
    assert_eq!(
        created_status,
        StatusCode::CREATED,
        "POST /Users/: {created}"
    );
    assert_eq!(listed_status, StatusCode::OK, "GET /Users/: {listed}");
    assert_eq!(listed["totalResults"], json!(1));
    assert_eq!(listed["Resources"][0]["userName"], json!("slash"));
    assert_eq!(one.status(), StatusCode::OK, "GET /Users/<id>/");
    assert_eq!(scim_json(one).await["id"], created["id"]);
}

#[tokio::test]
async fn attribute_values_of_the_wrong_type_are_invalid_value() {
    // Arrange
    let app = TestApp::spawn().await;
    let cases = [
        (
            json!({"schemas": [USER_SCHEMA], "userName": 42}),
            "userName is a string, not a number",
        ),
        (
            json!({"schemas": [USER_SCHEMA], "userName": true}),
            "userName is a string, not a boolean",
        ),
        (
            json!({"schemas": [USER_SCHEMA], "userName": {"value": "x"}}),
            "userName is not complex",
        ),
        (
            json!({"schemas": [USER_SCHEMA], "userName": "x", "active": "maybe"}),
            "active is a boolean",
        ),
        (
            json!({"schemas": [USER_SCHEMA], "userName": "x", "name": 5}),
            "name is complex",
        ),
        (
            json!({"schemas": [USER_SCHEMA], "userName": "x", "externalId": 7}),
            "externalId is a string",
        ),
        (json!({"schemas": [USER_SCHEMA]}), "userName is required"),
        (
            json!({"schemas": [USER_SCHEMA], "userName": "  "}),
            "userName must not be blank",
        ),
    ];

    for (body, reason) in cases {
        // Act
        let resp = app.post("/Users", body).await;

        // Assert
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{reason}");
        assert_scim_error(resp, 400, Some("invalidValue")).await;
    }
    assert_eq!(total(&app, "/Users").await, 0, "nothing was created");
}

#[tokio::test]
async fn a_user_name_differing_only_in_case_is_a_uniqueness_conflict() {
    // Arrange
    let app = TestApp::spawn().await;
    app.create_user("Bob").await;
    app.create_user("Ärger").await;
    let cases = [
        ("Bob", "the exact same name"),
        ("bob", "lower case"),
        ("BOB", "upper case"),
        ("ärger", "a non-ASCII first letter in lower case"),
        ("ÄRGER", "non-ASCII upper case"),
    ];

    for (user_name, reason) in cases {
        // Act
        let resp = app.post("/Users", user(user_name)).await;

        // Assert
        assert_eq!(resp.status(), StatusCode::CONFLICT, "{reason}: {user_name}");
        assert_scim_error(resp, 409, Some("uniqueness")).await;
    }
    assert_eq!(total(&app, "/Users").await, 2);
}

#[tokio::test]
async fn renaming_a_user_onto_a_taken_name_is_a_conflict_and_changes_nothing() {
    // Arrange
    let app = TestApp::spawn().await;
    app.create_user("alice").await;
    let bob = app.create_user("bob").await;
    let path = format!("/Users/{}", id(&bob));

    // Act
    let resp = app
        .put(
            &path,
            json!({"schemas": [USER_SCHEMA], "userName": "ALICE", "displayName": "Bob"}),
        )
        .await;

    // Assert
    assert_scim_error(resp, 409, Some("uniqueness")).await;
    let after = scim_json(app.get(&path).await).await;
    assert_eq!(after["userName"], json!("bob"));
    assert!(after.get("displayName").is_none(), "{after}");
    assert_eq!(after["meta"]["version"], bob["meta"]["version"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_creates_of_one_user_name_yield_exactly_one_user() {
    // Arrange
    let app = TestApp::spawn().await;
    let body = json!({
        "schemas": [USER_SCHEMA],
        "userName": "race",
        "emails": [{"value": "race@example.com"}],
    });

    // Act
    let statuses: Vec<u16> = join_all((0..20).map(|_| {
        let body = body.clone();
        let app = &app;
        async move { app.post("/Users", body).await.status().as_u16() }
    }))
    .await;

    // Assert
    let created = statuses.iter().filter(|&&s| s == 201).count();
    let conflicts = statuses.iter().filter(|&&s| s == 409).count();
    assert_eq!((created, conflicts), (1, 19), "statuses {statuses:?}");
    let list = app.list("/Users", r#"userName eq "race""#).await;
    assert_eq!(list["totalResults"], json!(1));
    assert_eq!(total(&app, "/Users").await, 1);
    let emails = app
        .list("/Users", r#"emails.value eq "race@example.com""#)
        .await;
    assert_eq!(
        emails["totalResults"],
        json!(1),
        "losers left no email rows behind"
    );
    assert_eq!(
        emails["Resources"][0]["emails"],
        json!([{"value": "race@example.com"}])
    );
}

#[tokio::test]
async fn a_failed_group_create_leaves_the_database_unchanged() {
    // Arrange
    let app = TestApp::spawn().await;
    let alice = app.create_user("alice").await;
    let body = json!({
        "schemas": [GROUP_SCHEMA],
        "displayName": "Admins",
        "members": [{"value": id(&alice)}, {"value": "00000000-0000-0000-0000-000000000000"}],
    });

    // Act
    let resp = app.post("/Groups", body).await;

    // Assert
    assert_scim_error(resp, 400, Some("invalidValue")).await;
    assert_eq!(total(&app, "/Groups").await, 0, "no group row");
    let admins = app.list("/Groups", r#"displayName eq "Admins""#).await;
    assert_eq!(admins["totalResults"], json!(0));
    let alice_now = scim_json(app.get(&format!("/Users/{}", id(&alice))).await).await;
    assert!(
        alice_now.get("groups").is_none(),
        "no membership of alice: {alice_now}"
    );
    assert_eq!(alice_now["meta"]["version"], alice["meta"]["version"]);
}

#[tokio::test]
async fn a_failed_user_create_leaves_no_multi_valued_rows_behind() {
    // Arrange
    let app = TestApp::spawn().await;
    app.create_user("carol").await;
    let body = json!({
        "schemas": [USER_SCHEMA],
        "userName": "CAROL",
        "emails": [{"value": "ghost@example.com", "type": "work"}],
        "phoneNumbers": [{"value": "+1 555 0100"}],
    });

    // Act
    let resp = app.post("/Users", body).await;

    // Assert
    assert_scim_error(resp, 409, Some("uniqueness")).await;
    let ghosts = app
        .list("/Users", r#"emails.value eq "ghost@example.com""#)
        .await;
    assert_eq!(ghosts["totalResults"], json!(0));
    let phones = app.list("/Users", "phoneNumbers pr").await;
    assert_eq!(phones["totalResults"], json!(0));
    assert_eq!(total(&app, "/Users").await, 1);
}

#[tokio::test]
async fn a_failed_group_replace_keeps_the_old_members() {
    // Arrange
    let app = TestApp::spawn().await;
    let alice = app.create_user("alice").await;
    let bob = app.create_user("bob").await;
    let group = app.create_group("Staff", &[&id(&alice)]).await;
    let path = format!("/Groups/{}", id(&group));

    // Act
    let resp = app
        .put(
            &path,
            json!({
                "schemas": [GROUP_SCHEMA],
                "displayName": "Renamed",
                "members": [{"value": id(&bob)}, {"value": "no-such-member"}],
            }),
        )
        .await;

    // Assert
    assert_scim_error(resp, 400, Some("invalidValue")).await;
    let after = scim_json(app.get(&path).await).await;
    assert_eq!(after["displayName"], json!("Staff"));
    let members: Vec<&str> = after["members"]
        .as_array()
        .map(|m| m.iter().filter_map(|v| v["value"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(members, [id(&alice).as_str()]);
    assert_eq!(after["meta"]["version"], group["meta"]["version"]);
}

#[tokio::test]
async fn every_error_is_answered_as_scim_json() {
    // Arrange
    let app = TestApp::spawn().await;
    let cases = [
        (
            Method::GET,
            "/Users?filter=userName%20eq",
            true,
            400,
            Some("invalidFilter"),
            "a filter without a value",
        ),
        (
            Method::GET,
            "/Users?count=abc",
            true,
            400,
            Some("invalidValue"),
            "count is not a number",
        ),
        (
            Method::GET,
            "/Users?startIndex=1.5",
            true,
            400,
            Some("invalidValue"),
            "startIndex is not an integer",
        ),
        (
            Method::GET,
            "/Users?attributes=%21%21",
            true,
            400,
            Some("invalidValue"),
            "attributes is not a path",
        ),
        (
            Method::GET,
            "/Users/missing",
            true,
            404,
            None,
            "an unknown user id",
        ),
        (
            Method::DELETE,
            "/Groups/missing",
            true,
            404,
            None,
            "deleting an unknown group id",
        ),
        (Method::GET, "/Users", false, 401, None, "no bearer token"),
    ];

    for (method, path, with_token, status, scim_type, reason) in cases {
        // Act
        let mut req = app
            .client
            .request(method.clone(), format!("{}{path}", app.base));
        if with_token {
            req = req.bearer_auth(&app.token);
        }
        let resp = req.send().await.expect("request");

        // Assert
        assert_eq!(resp.status().as_u16(), status, "{reason}: {method} {path}");
        assert_scim_error(resp, status, scim_type).await;
    }
}
