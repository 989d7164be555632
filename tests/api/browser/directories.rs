//! Directories in the browser: creating one shows its SCIM URL and token once, with copy
//! buttons; the token works for SCIM; the Connect page then shows the connection working.

use serde_json::json;

use super::console::{create_directory, sign_in};
use super::{server, session};
use crate::helpers::USER_SCHEMA;

#[tokio::test]
async fn a_new_directorys_token_is_copied_and_provisions_and_connect_shows_it_working() {
    let app = server();
    let admin = app.admin_token().await;
    session::run("create_directory", app.address.clone(), |b| async move {
        // Arrange
        sign_in(&b, &admin).await;
        b.screenshot("directories-empty").await;
        b.allow_clipboard().await;

        // Act
        let created = create_directory(&b, "copy", "Copy & Co <IT>").await;
        b.click("button.copy[data-copy='#new-token']").await;

        // Assert: the button copied the token the page shows (once the clipboard's promise
        // resolved: the click returns before).
        b.wait_for_text("button.copy[data-copy='#new-token']", "Copied")
            .await;
        assert_eq!(
            b.clipboard().await,
            created.token,
            "the clipboard holds the token"
        );
        assert!(
            created
                .scim_url
                .ends_with(&format!("/directories/{}/scim/v2", created.id)),
            "{}",
            created.scim_url
        );
        b.screenshot("directory-created").await;

        // Act: the identity provider provisions a user with what the page showed.
        let scim = created.scim(&app);
        let resp = scim
            .post(
                "/Users",
                json!({"schemas": [USER_SCHEMA], "userName": "first"}),
            )
            .await;
        assert_eq!(resp.status(), 201, "the copied token provisions");

        // Assert: the list counts the user; Connect shows the request and the connection.
        b.goto("/admin/directories").await;
        let row = b
            .text(&format!("tr[data-directory='{}']", created.id))
            .await;
        assert!(row.contains("Copy & Co <IT>"), "the name as text: {row}");
        b.screenshot("directories").await;
        b.goto(&format!("/admin/directories/{}/connect", created.id))
            .await;
        let state = b.find("#connection").await.attr("data-state").await;
        assert_eq!(state.expect("data-state").as_deref(), Some("working"));
        let requests = b.text("table#scim-requests").await;
        let path = format!("POST /directories/{}/scim/v2/Users 201", created.id);
        assert!(requests.contains(&path), "{requests}");
        assert!(b.text("#scim-url").await == created.scim_url);
        b.find("section#guide-okta").await;
        b.find("section#guide-entra").await;
        b.screenshot("connect").await;
    })
    .await;
}
