//! The user lifecycle of issue "many directories": archive instead of erase (restore, purge,
//! retention), local suspension, roles from groups, and the `/api/v1` read API over them.

mod archive;
mod listing;
mod read_api;
mod roles;
mod suspension;

use serde_json::{Value, json};

use crate::helpers::{TestApp, USER_SCHEMA};

/// `/directories/default` of the host application's API.
pub const DIR: &str = "/directories/default";

/// Creates a user with a name, an email and optional SCIM roles; returns its id.
pub async fn person(
    app: &TestApp,
    user_name: &str,
    given: &str,
    family: &str,
    roles: &[&str],
) -> String {
    let roles: Vec<Value> = roles.iter().map(|r| json!({"value": r})).collect();
    let mut body = json!({
        "schemas": [USER_SCHEMA],
        "userName": user_name,
        "name": {"givenName": given, "familyName": family},
        "emails": [{"value": format!("{}@mail.example", user_name.to_lowercase()), "primary": true}],
    });
    if !roles.is_empty() {
        body["roles"] = Value::Array(roles);
    }
    let resp = app.post("/Users", body).await;
    assert_eq!(resp.status().as_u16(), 201, "creating {user_name}");
    let user: Value = resp.json().await.expect("json");
    user["id"].as_str().expect("id").to_owned()
}

/// The admin API's view of one user.
pub async fn detail(app: &TestApp, id: &str) -> Value {
    app.admin_get(&format!("{DIR}/users/{id}"), &[]).await
}

/// The types of the events recorded since `cursor`.
pub async fn types_since(app: &TestApp, cursor: &Option<String>) -> Vec<String> {
    crate::helpers::event_types(&app.events_since(cursor).await)
}
