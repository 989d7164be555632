//! A directory's token works at its own SCIM URL and nowhere else: at another directory's URL,
//! at a directory that does not exist, or at `/scim/v2` (the `default` directory), every SCIM
//! endpoint answers the same `401`, so a caller learns nothing about other directories, and
//! nothing changes.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{Dir, call, create_dir, group, server, two_dirs, unique_id, user};
use crate::helpers::{ERROR_SCHEMA, PATCH_OP, TestApp, USER_SCHEMA, id};

/// One SCIM request and the status it gets at the token's own URL.
struct Endpoint {
    method: Method,
    path: String,
    body: Option<Value>,
    own: StatusCode,
}

fn endpoint(method: Method, path: &str, body: Option<Value>, own: StatusCode) -> Endpoint {
    Endpoint {
        method,
        path: path.to_owned(),
        body,
        own,
    }
}

/// Every SCIM endpoint, reads first, with the ids of `uid`/`gid` (changed) and
/// `doomed_user`/`doomed_group` (deleted last).
fn every_endpoint(uid: &str, gid: &str, doomed_user: &str, doomed_group: &str) -> Vec<Endpoint> {
    let patch = |op: Value| Some(json!({"schemas": [PATCH_OP], "Operations": [op]}));
    let search = |filter: &str| {
        Some(
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": filter}),
        )
    };
    vec![
        endpoint(Method::GET, "/Users", None, StatusCode::OK),
        endpoint(
            Method::GET,
            "/Users?filter=userName%20eq%20%22bjensen%22",
            None,
            StatusCode::OK,
        ),
        endpoint(Method::GET, "/Users?cursor=&count=1", None, StatusCode::OK),
        endpoint(Method::GET, &format!("/Users/{uid}"), None, StatusCode::OK),
        endpoint(
            Method::POST,
            "/Users/.search",
            search("userName eq \"bjensen\""),
            StatusCode::OK,
        ),
        endpoint(
            Method::POST,
            "/.search",
            search("displayName pr"),
            StatusCode::OK,
        ),
        endpoint(Method::GET, "/Groups", None, StatusCode::OK),
        endpoint(Method::GET, &format!("/Groups/{gid}"), None, StatusCode::OK),
        endpoint(
            Method::POST,
            "/Groups/.search",
            search("displayName eq \"Sales\""),
            StatusCode::OK,
        ),
        endpoint(Method::GET, "/ServiceProviderConfig", None, StatusCode::OK),
        endpoint(Method::GET, "/ResourceTypes", None, StatusCode::OK),
        endpoint(Method::GET, "/ResourceTypes/User", None, StatusCode::OK),
        endpoint(Method::GET, "/Schemas", None, StatusCode::OK),
        endpoint(
            Method::GET,
            &format!("/Schemas/{USER_SCHEMA}"),
            None,
            StatusCode::OK,
        ),
        endpoint(
            Method::POST,
            "/Users",
            Some(user("newcomer")),
            StatusCode::CREATED,
        ),
        endpoint(
            Method::PUT,
            &format!("/Users/{uid}"),
            Some(json!({"schemas": [USER_SCHEMA], "userName": "bjensen", "title": "Put"})),
            StatusCode::OK,
        ),
        endpoint(
            Method::PATCH,
            &format!("/Users/{uid}"),
            patch(json!({"op": "replace", "path": "active", "value": false})),
            StatusCode::OK,
        ),
        endpoint(
            Method::POST,
            "/Groups",
            Some(group("Newcomers", &[])),
            StatusCode::CREATED,
        ),
        endpoint(
            Method::PUT,
            &format!("/Groups/{gid}"),
            Some(group("Sales", &[uid])),
            StatusCode::OK,
        ),
        endpoint(
            Method::PATCH,
            &format!("/Groups/{gid}"),
            patch(json!({"op": "replace", "path": "displayName", "value": "Sales EMEA"})),
            StatusCode::NO_CONTENT,
        ),
        endpoint(
            Method::DELETE,
            &format!("/Users/{doomed_user}"),
            None,
            StatusCode::NO_CONTENT,
        ),
        endpoint(
            Method::DELETE,
            &format!("/Groups/{doomed_group}"),
            None,
            StatusCode::NO_CONTENT,
        ),
    ]
}

/// What a refused request shows: status, `WWW-Authenticate` and body.
async fn refusal(scim: &TestApp, e: &Endpoint) -> (StatusCode, Option<String>, Value) {
    let resp = scim
        .request(e.method.clone(), &e.path, e.body.clone())
        .await;
    let status = resp.status();
    let challenge = resp
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body: Value = resp.json().await.expect("json error");
    (status, challenge, body)
}

/// Everything `dir` holds, as its own token lists it.
async fn holdings(dir: &Dir) -> (Value, Value) {
    let (_, users) = call(&dir.scim, Method::GET, "/Users", None).await;
    let (_, groups) = call(&dir.scim, Method::GET, "/Groups", None).await;
    (users["Resources"].clone(), groups["Resources"].clone())
}

#[tokio::test]
async fn a_directory_token_is_refused_alike_at_every_other_url_and_works_at_its_own() {
    // Arrange: `a` holds a user, a group and two resources to delete; `b` holds the same names.
    let app = server();
    let (a, b) = two_dirs(&app, "iso").await;
    let uid = id(&a.scim.create_user("bjensen").await);
    let doomed_user = id(&a.scim.create_user("leaver").await);
    let gid = id(&a.scim.create_group("Sales", &[&uid]).await);
    let doomed_group = id(&a.scim.create_group("Old", &[]).await);
    b.scim.create_user("bjensen").await;
    b.scim.create_group("Sales", &[]).await;
    let before = (holdings(&a).await, holdings(&b).await);
    let origin = &app.address;
    let a_token = &a.scim.token;
    let elsewhere = [
        (app.view(&b.scim.base, a_token), "b's URL"),
        (
            app.view(
                &format!("{origin}/directories/{}/scim/v2", unique_id("nowhere")),
                a_token,
            ),
            "a directory that does not exist",
        ),
        (
            app.view(&app.base, a_token),
            "/scim/v2, the default directory",
        ),
        (
            app.view(&a.scim.base, &app.token),
            "the default directory's token at a's URL",
        ),
        (
            app.view(&a.scim.base, &b.scim.token),
            "b's token at a's URL",
        ),
    ];
    let endpoints = every_endpoint(&uid, &gid, &doomed_user, &doomed_group);

    // Act + Assert: every endpoint refuses every wrong pairing with one and the same answer.
    let mut first: Option<(StatusCode, Option<String>, Value)> = None;
    for e in &endpoints {
        for (scim, reason) in &elsewhere {
            let got = refusal(scim, e).await;
            assert_eq!(
                got.0,
                StatusCode::UNAUTHORIZED,
                "{} {} at {reason}",
                e.method,
                e.path
            );
            assert_eq!(got.2["schemas"], json!([ERROR_SCHEMA]), "{}", got.2);
            match &first {
                None => first = Some(got),
                Some(expected) => assert_eq!(
                    &got, expected,
                    "{} {} at {reason}: a refusal that differs tells something",
                    e.method, e.path
                ),
            }
        }
    }
    assert_eq!(
        (holdings(&a).await, holdings(&b).await),
        before,
        "refused requests changed nothing"
    );
    for e in &endpoints {
        let (status, body) = call(&a.scim, e.method.clone(), &e.path, e.body.clone()).await;
        assert_eq!(
            status, e.own,
            "{} {} at a's own URL: {body}",
            e.method, e.path
        );
    }
}

#[tokio::test]
async fn a_token_of_a_deleted_directory_is_refused_even_after_its_id_is_taken_again() {
    // Arrange
    let app = server();
    let dir = create_dir(&app, "reborn").await;
    assert_eq!(
        call(&dir.scim, Method::GET, "/Users", None).await.0,
        StatusCode::OK
    );
    let admin = super::admin(&app).await;
    admin
        .expect(
            204,
            Method::DELETE,
            &format!("/directories/{}", dir.id),
            None,
        )
        .await;

    // Act
    let gone = call(&dir.scim, Method::GET, "/Users", None).await.0;
    admin
        .expect(
            201,
            Method::POST,
            "/directories",
            Some(json!({"name": "Again", "id": dir.id})),
        )
        .await;
    let reborn = call(&dir.scim, Method::GET, "/Users", None).await.0;

    // Assert: the new directory has a new signing key.
    assert_eq!(gone, StatusCode::UNAUTHORIZED);
    assert_eq!(reborn, StatusCode::UNAUTHORIZED);
}
