//! What an identity provider sends stays text in a real browser: a user named like a script
//! is shown as those characters and runs nothing.

use serde_json::json;

use super::console::{create_directory, listed_names, provision, sign_in};
use super::{server, session};
use crate::helpers::USER_SCHEMA;

const SCRIPT: &str = "<script>alert(1)</script>";

#[tokio::test]
async fn a_user_named_like_a_script_shows_as_text_and_opens_no_dialog() {
    let app = server();
    let admin = app.admin_token().await;
    session::run("script_name", app.address.clone(), |b| async move {
        // Arrange
        sign_in(&b, &admin).await;
        let created = create_directory(&b, "xss", "XSS").await;
        let user = json!({
            "schemas": [USER_SCHEMA],
            "userName": SCRIPT,
            "displayName": SCRIPT,
            "name": {"familyName": "<img src=x onerror=alert(2)>"},
        });
        let id = provision(&created.scim(&app), user).await;
        let users = format!("/admin/directories/{}/users", created.id);

        // Act
        b.goto(&users).await;

        // Assert: the list shows the characters, and no script ran.
        assert_eq!(listed_names(&b).await, [SCRIPT]);
        assert_eq!(b.open_dialog().await, None, "no alert on the list");

        // Act: search for it, then open the user's page.
        b.fill("#q", "<script").await;
        b.click_and_load("form[role=search] button[type=submit]")
            .await;
        assert_eq!(listed_names(&b).await, [SCRIPT], "found by its markup");
        b.click_and_load(&format!("tr[data-user-id='{id}'] a"))
            .await;

        // Assert
        assert_eq!(b.open_dialog().await, None, "no alert on the user's page");
        assert_eq!(
            b.text("main h1").await,
            SCRIPT,
            "the heading is the name as text"
        );
        assert!(b.page_text().await.contains("<img src=x onerror=alert(2)>"));
        assert!(
            b.find_all("main script, main img").await.is_empty(),
            "no element made"
        );
        b.screenshot("user-script-name").await;
    })
    .await;
}
