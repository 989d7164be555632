//! `/api/v1/directories/{id}/tokens`: a directory's SCIM tokens work at its URL only; the list
//! shows state and last use; rotation keeps the old token for its grace period and no longer;
//! revocation is immediate on this instance.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{Dir, admin, call, create_dir, server, two_dirs};
use crate::helpers::{TestApp, assert_api_error};
use crate::webhooks::Admin;

/// The status `GET /Users` gets at `dir`'s URL with `token`.
async fn status_with(app: &TestApp, dir: &Dir, token: &str) -> StatusCode {
    call(
        &app.view(&dir.scim.base, token),
        Method::GET,
        "/Users",
        None,
    )
    .await
    .0
}

/// The directory's tokens as listed.
async fn listed(admin: &Admin, dir: &Dir) -> Vec<Value> {
    admin
        .expect(
            200,
            Method::GET,
            &format!("/directories/{}/tokens", dir.id),
            None,
        )
        .await["data"]
        .as_array()
        .unwrap()
        .clone()
}

/// The listed token `id`.
async fn token(admin: &Admin, dir: &Dir, id: &str) -> Value {
    listed(admin, dir)
        .await
        .into_iter()
        .find(|t| t["id"] == id)
        .unwrap_or_else(|| panic!("token {id} not listed"))
}

#[tokio::test]
async fn a_new_token_works_at_its_directory_only_and_the_list_shows_its_last_use() {
    // Arrange
    let app = server();
    let admin = admin(&app).await;
    let (a, b) = two_dirs(&app, "tokens").await;

    // Act
    let issued = admin
        .expect(
            201,
            Method::POST,
            &format!("/directories/{}/tokens", a.id),
            Some(json!({"name": "okta", "expires_in_days": 30})),
        )
        .await;
    let secret = issued["token"].as_str().unwrap();
    let before_use = token(&admin, &a, issued["id"].as_str().unwrap()).await;
    let own = status_with(&app, &a, secret).await;
    let other = status_with(&app, &b, secret).await;

    // Assert
    assert_eq!((own, other), (StatusCode::OK, StatusCode::UNAUTHORIZED));
    assert_eq!(issued["name"], "okta");
    assert_eq!(issued["state"], "active");
    assert!(issued["expires_at"].is_string(), "{issued}");
    assert_eq!(before_use["last_used_at"], Value::Null);
    assert!(
        before_use.get("token").is_none(),
        "the list never shows the token"
    );
    let after_use = token(&admin, &a, issued["id"].as_str().unwrap()).await;
    assert!(after_use["last_used_at"].is_string(), "{after_use}");
    let in_b: Vec<Value> = listed(&admin, &b).await;
    assert_eq!(in_b.len(), 1, "b lists only its own token: {in_b:?}");
    assert_eq!(in_b[0]["id"], json!(b.token_id));
}

#[tokio::test]
async fn token_names_lifetimes_and_grace_periods_that_do_not_fit_are_refused() {
    let app = server();
    let admin = admin(&app).await;
    let dir = create_dir(&app, "badtokens").await;
    let tokens = format!("/directories/{}/tokens", dir.id);
    let rotate = format!("{tokens}/{}/rotate", dir.token_id);

    for (path, body, status, code, reason) in [
        (
            &tokens,
            json!({"name": "initial"}),
            409,
            "conflict",
            "a working token has the name",
        ),
        (
            &tokens,
            json!({"name": ""}),
            400,
            "invalid_parameter",
            "an empty name",
        ),
        (
            &tokens,
            json!({"name": "x".repeat(101)}),
            400,
            "invalid_parameter",
            "a long name",
        ),
        (
            &tokens,
            json!({"name": "x", "expires_in_days": 0}),
            400,
            "invalid_parameter",
            "no lifetime",
        ),
        (
            &tokens,
            json!({"name": "x", "expires_in_days": 36501}),
            400,
            "invalid_parameter",
            "a lifetime past 100 years",
        ),
        (
            &rotate,
            json!({"grace_seconds": -1}),
            400,
            "invalid_parameter",
            "a negative grace",
        ),
        (
            &rotate,
            json!({"grace_seconds": 604801}),
            400,
            "invalid_parameter",
            "a grace over a week",
        ),
    ] {
        let resp = admin.call(Method::POST, path, Some(body)).await;
        assert_eq!(resp.status().as_u16(), status, "{reason}");
        assert_api_error(resp, status, code).await;
    }
    assert_eq!(listed(&admin, &dir).await.len(), 1, "nothing was issued");
    assert_eq!(
        status_with(&app, &dir, &dir.scim.token).await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn rotating_without_grace_refuses_the_old_token_at_once() {
    // Arrange
    let app = server();
    let admin = admin(&app).await;
    let dir = create_dir(&app, "rotate0").await;
    let old = dir.scim.token.clone();
    assert_eq!(status_with(&app, &dir, &old).await, StatusCode::OK);

    // Act
    let rotated = admin
        .expect(
            201,
            Method::POST,
            &format!("/directories/{}/tokens/{}/rotate", dir.id, dir.token_id),
            None,
        )
        .await;

    // Assert
    let new = rotated["token"].as_str().unwrap();
    assert_eq!(rotated["name"], "initial");
    assert_ne!(rotated["id"], json!(dir.token_id));
    assert_eq!(
        status_with(&app, &dir, &old).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(status_with(&app, &dir, new).await, StatusCode::OK);
    assert_eq!(token(&admin, &dir, &dir.token_id).await["state"], "revoked");
    let again = admin
        .call(
            Method::POST,
            &format!("/directories/{}/tokens/{}/rotate", dir.id, dir.token_id),
            Some(json!({})),
        )
        .await;
    assert_api_error(again, 404, "not_found").await;
}

#[tokio::test]
async fn a_rotated_token_works_during_its_grace_period_and_not_after() {
    // Arrange
    let app = server();
    let admin = admin(&app).await;
    let dir = create_dir(&app, "grace").await;
    let old = dir.scim.token.clone();

    // Act
    let rotated = admin
        .expect(
            201,
            Method::POST,
            &format!("/directories/{}/tokens/{}/rotate", dir.id, dir.token_id),
            Some(json!({"grace_seconds": 2})),
        )
        .await;
    let during = status_with(&app, &dir, &old).await;
    let listed_during = token(&admin, &dir, &dir.token_id).await;
    let rotated_twice = admin
        .call(
            Method::POST,
            &format!("/directories/{}/tokens/{}/rotate", dir.id, dir.token_id),
            None,
        )
        .await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let after = status_with(&app, &dir, &old).await;

    // Assert
    assert_eq!(during, StatusCode::OK);
    assert_api_error(rotated_twice, 409, "conflict").await;
    assert_eq!(listed_during["state"], "expiring", "{listed_during}");
    assert!(listed_during["revoked_at"].is_string(), "{listed_during}");
    assert_eq!(after, StatusCode::UNAUTHORIZED);
    let new = rotated["token"].as_str().unwrap();
    assert_eq!(status_with(&app, &dir, new).await, StatusCode::OK);
    assert_eq!(token(&admin, &dir, &dir.token_id).await["state"], "revoked");
}

#[tokio::test]
async fn a_revoked_token_is_refused_at_once_and_cannot_be_revoked_twice() {
    // Arrange
    let app = server();
    let admin = admin(&app).await;
    let (a, b) = two_dirs(&app, "revoke").await;
    assert_eq!(status_with(&app, &a, &a.scim.token).await, StatusCode::OK);
    let path = format!("/directories/{}/tokens/{}", a.id, a.token_id);

    // Act
    let in_other_directory = admin
        .call(
            Method::DELETE,
            &format!("/directories/{}/tokens/{}", b.id, a.token_id),
            None,
        )
        .await;
    let still = status_with(&app, &a, &a.scim.token).await;
    let revoked = admin.call(Method::DELETE, &path, None).await;
    let twice = admin.call(Method::DELETE, &path, None).await;

    // Assert
    assert_api_error(in_other_directory, 404, "not_found").await;
    assert_eq!(
        still,
        StatusCode::OK,
        "a token id of another directory revokes nothing"
    );
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        status_with(&app, &a, &a.scim.token).await,
        StatusCode::UNAUTHORIZED
    );
    assert_api_error(twice, 404, "not_found").await;
    let token = token(&admin, &a, &a.token_id).await;
    assert_eq!(token["state"], "revoked", "{token}");
    assert_eq!(status_with(&app, &b, &b.scim.token).await, StatusCode::OK);
}
