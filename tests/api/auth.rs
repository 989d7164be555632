//! Bearer-token authentication: every SCIM endpoint requires a valid, unexpired, unrevoked token.

use chrono::Duration;
use reqwest::StatusCode;

use crate::helpers::{TestApp, assert_scim_error};

async fn get_users_with(app: &TestApp, authorization: Option<&str>) -> reqwest::Response {
    let mut req = app.client.get(format!("{}/Users", app.base));
    if let Some(value) = authorization {
        req = req.header("Authorization", value);
    }
    req.send().await.expect("request")
}

async fn assert_unauthorized(resp: reqwest::Response) {
    let challenge = resp
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned());
    assert!(
        challenge.is_some_and(|c| c.starts_with("Bearer")),
        "WWW-Authenticate: Bearer"
    );
    assert_scim_error(resp, 401, None).await;
}

#[tokio::test]
async fn requests_without_a_valid_token_get_401_with_a_bearer_challenge() {
    let app = TestApp::spawn().await;
    let other = TestApp::spawn().await; // a different database, so a different signing secret
    let cases = [
        (None, "no Authorization header"),
        (Some("Basic dXNlcjpwYXNz".to_owned()), "wrong scheme"),
        (Some("Bearer".to_owned()), "no token"),
        (Some("Bearer not-a-jwt".to_owned()), "malformed token"),
        (Some(format!("Bearer {}x", app.token)), "bad signature"),
        (
            Some(format!("Bearer {}", other.token)),
            "token of another server",
        ),
    ];
    for (header, reason) in cases {
        let resp = get_users_with(&app, header.as_deref()).await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{reason}");
        assert_unauthorized(resp).await;
    }
}

#[tokio::test]
async fn every_scim_endpoint_requires_a_token() {
    let app = TestApp::spawn().await;
    for path in [
        "/Users",
        "/Users/x",
        "/Groups",
        "/Groups/x",
        "/ServiceProviderConfig",
        "/ResourceTypes",
        "/Schemas",
    ] {
        let resp = app
            .client
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{path}");
    }
    let resp = app
        .client
        .post(format!("{}/Users", app.base))
        .header("Content-Type", "application/scim+json")
        .body(r#"{"userName":"sneaky"}"#)
        .send()
        .await
        .unwrap();
    assert_unauthorized(resp).await;
    assert_eq!(app.list("/Users", "userName pr").await["totalResults"], 0);
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    let app = TestApp::spawn().await;
    let expired = app
        .state
        .auth
        .issue("old", Some(Duration::seconds(-5)))
        .await
        .unwrap();

    let resp = get_users_with(&app, Some(&format!("Bearer {expired}"))).await;

    let body = resp.headers().clone();
    assert!(body.contains_key("www-authenticate"));
    let err = assert_scim_error(resp, 401, None).await;
    assert!(err["detail"].as_str().unwrap().contains("expired"), "{err}");
}

/// Issues a token named "okta", checks that it works, revokes it; returns its header value.
async fn use_then_revoke(app: &TestApp) -> String {
    let token = app.state.auth.issue("okta", None).await.unwrap();
    let bearer = format!("Bearer {token}");
    assert_eq!(
        get_users_with(app, Some(&bearer)).await.status(),
        StatusCode::OK
    );
    assert!(
        scimd::store::tokens::revoke(&app.state.db, "default", "okta")
            .await
            .unwrap()
    );
    bearer
}

#[tokio::test]
async fn a_revoked_token_stops_working_at_once_when_rechecked_on_every_request() {
    let app = TestApp::spawn_with(|a| a.token_recheck_seconds = 0).await;
    let bearer = use_then_revoke(&app).await;

    let resp = get_users_with(&app, Some(&bearer)).await;
    let err = assert_scim_error(resp, 401, None).await;
    assert!(err["detail"].as_str().unwrap().contains("revoked"), "{err}");
    assert_eq!(
        get_users_with(&app, Some(&format!("Bearer {}", app.token)))
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_revoked_token_stops_working_once_the_recheck_interval_has_passed() {
    // Arrange
    let app = TestApp::spawn_with(|a| a.token_recheck_seconds = 1).await;

    // Act
    let bearer = use_then_revoke(&app).await;
    let within_interval = get_users_with(&app, Some(&bearer)).await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let after_interval = get_users_with(&app, Some(&bearer)).await;

    // Assert: trusted until the interval ends, then refused.
    assert_eq!(within_interval.status(), StatusCode::OK);
    let err = assert_scim_error(after_interval, 401, None).await;
    assert!(err["detail"].as_str().unwrap().contains("revoked"), "{err}");
}

#[tokio::test]
async fn token_use_is_recorded() {
    let app = TestApp::spawn().await;

    get_users_with(&app, Some(&format!("Bearer {}", app.token))).await;

    let tokens = scimd::store::tokens::list(&app.state.db, "default")
        .await
        .unwrap();
    let test = tokens.iter().find(|t| t.name == "test").unwrap();
    assert!(test.last_used.is_some());
}

#[tokio::test]
async fn health_needs_no_token() {
    let app = TestApp::spawn().await;

    let resp = app
        .client
        .get(format!("{}/healthz", app.address))
        .send()
        .await
        .unwrap();

    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.text().await.unwrap(), "ok");
}
