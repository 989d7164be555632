//! The steps of the console that many browser tests take: signing in, and creating a
//! directory through its form (which shows the SCIM URL and the first token once).

use super::session::Browser;
use crate::helpers::TestApp;

/// Signs in with `token` through the sign-in form; the console then shows the directories.
pub async fn sign_in(b: &Browser, token: &str) {
    b.goto("/admin/sign-in").await;
    b.fill("#token", token).await;
    b.click("#sign-in").await;
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
    b.click("a#new-directory").await;
    b.fill("#name", name).await;
    b.fill("#id", &id).await;
    b.click("#create").await;
    let token = b.text("#new-token").await;
    let scim_url = b.text("#scim-url").await;
    Created {
        id,
        scim_url,
        token,
    }
}
