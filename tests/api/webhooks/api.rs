//! The `/api/v1/webhooks` API itself: tokens, validation, listing, removal, unknown ids, and
//! the OpenAPI document.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{Admin, assert_api_error};
use crate::helpers::TestApp;

const UNKNOWN: &str = "wh_00000000000000000000000000000000";

/// Every operation, with a body where it needs one.
fn operations() -> Vec<(Method, String, Option<Value>)> {
    vec![
        (
            Method::POST,
            "/webhooks".into(),
            Some(json!({"url": "http://127.0.0.1:9/h"})),
        ),
        (Method::GET, "/webhooks".into(), None),
        (Method::DELETE, format!("/webhooks/{UNKNOWN}"), None),
        (Method::GET, format!("/webhooks/{UNKNOWN}/deliveries"), None),
        (
            Method::POST,
            format!("/webhooks/{UNKNOWN}/replay"),
            Some(json!({"after": "evt_0000000000000000"})),
        ),
        (
            Method::POST,
            format!("/webhooks/{UNKNOWN}/rotate-secret"),
            Some(json!({})),
        ),
    ]
}

#[tokio::test]
async fn webhook_operations_need_an_admin_token() {
    // Arrange
    let app = TestApp::spawn().await;
    let client = reqwest::Client::new();

    for (method, path, body) in operations() {
        let url = format!("{}/api/v1{path}", app.address);
        let request = |token: Option<&str>| {
            let mut req = client.request(method.clone(), &url);
            if let Some(token) = token {
                req = req.bearer_auth(token);
            }
            if let Some(body) = &body {
                req = req.json(body);
            }
            req.send()
        };

        // Act
        let without = request(None).await.unwrap();
        let with_scim_token = request(Some(&app.token)).await.unwrap();

        // Assert
        assert_eq!(
            without.status(),
            StatusCode::UNAUTHORIZED,
            "{method} {path}"
        );
        assert!(without.headers().contains_key("www-authenticate"));
        assert_api_error(with_scim_token, StatusCode::FORBIDDEN, "forbidden").await;
    }
}

#[tokio::test]
async fn a_new_webhook_shows_its_secret_once_and_is_listed_without_it() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = Admin::of(&app).await;
    app.create_user("before@example.com").await;
    let feed = admin.feed().await;

    // Act
    let created = admin
        .create(
            "https://app.example.com/scim-events",
            Some(&["user.deleted", "user.deactivated"]),
        )
        .await;
    let listed = admin.webhook(created["id"].as_str().unwrap()).await;

    // Assert
    assert!(created["id"].as_str().unwrap().starts_with("wh_"));
    assert_eq!(created["url"], "https://app.example.com/scim-events");
    assert_eq!(
        created["types"],
        json!(["user.deleted", "user.deactivated"])
    );
    assert!(
        created["secret"]
            .as_str()
            .is_some_and(|s| s.starts_with("whsec_"))
    );
    assert_eq!(listed.get("secret"), None, "{listed}");
    assert_eq!(listed["state"], "active");
    assert_eq!(listed["failures"], 0);
    assert_eq!(listed["last_error"], Value::Null);
    assert_eq!(
        listed["delivered_through"],
        feed.last().unwrap()["id"],
        "starts after the last event"
    );
}

#[tokio::test]
async fn urls_other_than_http_and_unknown_types_are_refused() {
    let app = TestApp::spawn().await;
    let admin = Admin::of(&app).await;

    for (body, reason) in [
        (json!({"url": "ftp://example.com/h"}), "ftp"),
        (json!({"url": "file:///etc/passwd"}), "file"),
        (json!({"url": "/relative"}), "a relative URL"),
        (json!({"url": "not a url"}), "not a URL"),
        (
            json!({"url": "https://example.com/h", "types": ["user.exploded"]}),
            "an unknown type",
        ),
        (json!({"types": ["user.created"]}), "no url"),
        (json!({"url": 42}), "a url that is not a string"),
    ] {
        let resp = admin.call(Method::POST, "/webhooks", Some(body)).await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{reason}");
        let error: Value = resp.json().await.unwrap();
        assert_eq!(
            error["error"]["code"], "invalid_parameter",
            "{reason}: {error}"
        );
    }
    let list = admin.expect(200, Method::GET, "/webhooks", None).await;
    assert_eq!(list["data"], json!([]));
}

#[tokio::test]
async fn unknown_webhook_ids_are_404() {
    let app = TestApp::spawn().await;
    let admin = Admin::of(&app).await;

    for (method, path, body) in operations().into_iter().skip(2) {
        let resp = admin.call(method.clone(), &path, body).await;
        assert_api_error(resp, StatusCode::NOT_FOUND, "not_found").await;
    }
}

#[tokio::test]
async fn replay_after_something_that_is_not_an_event_is_400() {
    let app = TestApp::spawn().await;
    let admin = Admin::of(&app).await;
    let id = admin.create("http://127.0.0.1:9/h", None).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let replay = format!("/webhooks/{id}/replay");

    for (after, reason) in [
        ("42", "not an event id"),
        ("evt_zz", "garbage"),
        ("evt_00000000000000ff", "an event that does not exist yet"),
    ] {
        let resp = admin
            .call(Method::POST, &replay, Some(json!({"after": after})))
            .await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{reason}");
    }
    let rotate = format!("/webhooks/{id}/rotate-secret");
    for grace in [-1, 604_801] {
        let resp = admin
            .call(
                Method::POST,
                &rotate,
                Some(json!({"grace_period_seconds": grace})),
            )
            .await;
        assert_api_error(resp, StatusCode::BAD_REQUEST, "invalid_parameter").await;
    }
}

#[tokio::test]
async fn a_removed_webhook_is_gone_from_the_list() {
    let app = TestApp::spawn().await;
    let admin = Admin::of(&app).await;
    let id = admin.create("http://127.0.0.1:9/h", None).await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    admin
        .expect(204, Method::DELETE, &format!("/webhooks/{id}"), None)
        .await;

    let list = admin.expect(200, Method::GET, "/webhooks", None).await;
    assert_eq!(list["data"], json!([]));
    let again = admin
        .call(Method::DELETE, &format!("/webhooks/{id}"), None)
        .await;
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_api_document_describes_every_webhook_operation() {
    let app = TestApp::spawn().await;

    let doc: Value = reqwest::get(format!("{}/api/v1/openapi.json", app.address))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    let paths = &doc["paths"];
    for (path, method) in [
        ("/webhooks", "post"),
        ("/webhooks", "get"),
        ("/webhooks/{id}", "delete"),
        ("/webhooks/{id}/deliveries", "get"),
        ("/webhooks/{id}/replay", "post"),
        ("/webhooks/{id}/rotate-secret", "post"),
    ] {
        assert!(paths[path][method].is_object(), "{method} {path}");
        assert!(
            paths[path][method]["security"].is_array(),
            "{method} {path} needs a token"
        );
    }
    assert!(paths["/webhooks"]["post"]["responses"]["201"].is_object());
}
