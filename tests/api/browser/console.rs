//! The steps of the console that many browser tests take: signing in, creating a directory
//! through its form (which shows the SCIM URL and the first token once), provisioning users
//! as its identity provider, and reading the users list.

use serde_json::{Value, json};

use super::session::Browser;
use crate::helpers::{TestApp, USER_SCHEMA, id};

/// Signs in with `token` through the sign-in form; the console then shows the directories.
pub async fn sign_in(b: &Browser, token: &str) {
    b.goto("/admin/sign-in").await;
    b.fill("#token", token).await;
    b.click_and_load("#sign-in").await;
    b.find("table#directories").await;
    assert_eq!(b.path().await, "/admin/directories", "signed in");
}

/// A directory created in the console: its id, and what the page showed once.
pub struct Created {
    pub id: String,
    pub scim_url: String,
    pub token: String,
}

impl Created {
    /// The server as this directory's identity provider sees it (its SCIM URL and token).
    pub fn scim(&self, app: &TestApp) -> TestApp {
        app.view(&self.scim_url, &self.token)
    }
}

/// Creates a directory named `name` with a fresh id `{prefix}-…` through the "New directory"
/// form, signed in already; the browser stays on the page that shows the token.
pub async fn create_directory(b: &Browser, prefix: &str, name: &str) -> Created {
    let id = format!(
        "{prefix}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    b.goto("/admin/directories").await;
    b.click_and_load("a#new-directory").await;
    b.fill("#name", name).await;
    b.fill("#id", &id).await;
    b.click_and_load("#create").await;
    let token = b.text("#new-token").await;
    let scim_url = b.text("#scim-url").await;
    Created {
        id,
        scim_url,
        token,
    }
}

/// A user as an identity provider sends it: `userName`, given and family name, displayName
/// and a primary work email.
pub fn person(user_name: &str, given: &str, family: &str) -> Value {
    json!({
        "schemas": [USER_SCHEMA],
        "userName": user_name,
        "name": {"givenName": given, "familyName": family},
        "displayName": format!("{given} {family}"),
        "emails": [{"value": format!("{user_name}@example.com"), "type": "work", "primary": true}],
    })
}

/// Provisions `user` through SCIM as `idp`; returns its id.
pub async fn provision(idp: &TestApp, user: Value) -> String {
    let resp = idp.post("/Users", user).await;
    let status = resp.status();
    let body: Value = resp.json().await.expect("json");
    assert_eq!(status, 201, "provisioned: {body}");
    id(&body)
}

/// The display names of the user rows the page shows, in order.
pub async fn listed_names(b: &Browser) -> Vec<String> {
    b.texts("tr[data-user-id] td:nth-child(2)").await
}

/// The count in the tab of `state` on a users page.
pub async fn tab_count(b: &Browser, state: &str) -> u64 {
    let count = b.text(&format!("a[data-state='{state}'] span.count")).await;
    count
        .parse()
        .unwrap_or_else(|_| panic!("count of {state}: {count:?}"))
}
