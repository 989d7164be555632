//! Many directories on one server, over HTTP: what one directory's SCIM URL and token can reach
//! and what they cannot (`isolation.rs` for every SCIM endpoint, `references.rs` for ids, ETags,
//! cursors and members that belong to another directory), the admin API for directories
//! (`api.rs`), their setup view (`setup.rs`) and tokens (`tokens.rs`), events per directory and
//! webhooks limited to one (`events.rs`), and the CLI (`cli.rs`).
//!
//! The tests share one server (`TestApp::shared`; `cli.rs` and one limit test excepted): each
//! creates directories of its own, with ids no other test uses, so they cannot meet.

mod api;
mod cli;
mod events;
mod isolation;
mod references;
mod setup;
mod tokens;

use std::sync::OnceLock;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{GROUP_SCHEMA, TestApp, USER_SCHEMA};
use crate::webhooks::Admin;

static SERVER: OnceLock<TestApp> = OnceLock::new();

/// The server the tests of this module share, seen with the `default` directory's token.
pub fn server() -> TestApp {
    TestApp::shared(&SERVER)
}

/// A directory created for one test: its id, and the server as its identity provider sees it
/// (its SCIM base URL and its first token).
pub struct Dir {
    pub id: String,
    pub scim: TestApp,
    /// The id of its first token (`initial`).
    pub token_id: String,
}

/// A fresh id for a test's directory: `prefix` and a random suffix.
pub fn unique_id(prefix: &str) -> String {
    format!(
        "{prefix}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    )
}

/// The admin client of `app`.
pub async fn admin(app: &TestApp) -> Admin {
    Admin::new(&app.address, app.admin_token().await)
}

/// Creates a directory named `name` with id `{prefix}-…` through `POST /api/v1/directories`.
pub async fn create_dir(app: &TestApp, prefix: &str) -> Dir {
    let id = unique_id(prefix);
    let created = admin(app)
        .await
        .expect(
            201,
            Method::POST,
            "/directories",
            Some(json!({"name": format!("Customer {id}"), "id": id})),
        )
        .await;
    Dir {
        scim: app.view(
            created["directory"]["scim_base_url"]
                .as_str()
                .expect("scim_base_url"),
            created["token"]["token"].as_str().expect("token"),
        ),
        token_id: created["token"]["id"]
            .as_str()
            .expect("token id")
            .to_owned(),
        id,
    }
}

/// Two fresh directories.
pub async fn two_dirs(app: &TestApp, prefix: &str) -> (Dir, Dir) {
    (
        create_dir(app, &format!("{prefix}-a")).await,
        create_dir(app, &format!("{prefix}-b")).await,
    )
}

/// Sends `method path` (relative to the client's SCIM base) with `body`; returns the status
/// and the JSON body (`null` when there is none).
pub async fn call(
    scim: &TestApp,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let resp = scim.request(method, path, body).await;
    let status = resp.status();
    let text = resp.text().await.expect("body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("{path}: not JSON: {text}"))
    };
    (status, body)
}

/// A user body with `user_name`.
pub fn user(user_name: &str) -> Value {
    json!({"schemas": [USER_SCHEMA], "userName": user_name})
}

/// A group body named `name` with `members`.
pub fn group(name: &str, members: &[&str]) -> Value {
    let members: Vec<Value> = members.iter().map(|m| json!({"value": m})).collect();
    json!({"schemas": [GROUP_SCHEMA], "displayName": name, "members": members})
}
