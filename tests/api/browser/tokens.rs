//! A directory's tokens in the browser: rotating one shows the new token once, and the
//! identity provider's old token is refused from then on.

use super::console::{create_directory, sign_in};
use super::{server, session};

#[tokio::test]
async fn a_token_rotated_in_the_console_is_refused_and_its_replacement_works() {
    let app = server();
    let admin = app.admin_token().await;
    session::run("rotate_token", app.address.clone(), |b| async move {
        // Arrange: the identity provider works with the directory's first token.
        sign_in(&b, &admin).await;
        let created = create_directory(&b, "rotate", "Rotate").await;
        let old = created.scim(&app);
        assert_eq!(
            old.get("/Users").await.status(),
            200,
            "the first token works"
        );
        b.goto(&format!("/admin/directories/{}/tokens", created.id))
            .await;
        let rows = b.find_all("tr[data-token-id]").await;
        assert_eq!(rows.len(), 1, "one token, the first");
        b.screenshot("tokens").await;

        // Act: rotate it, leaving the old one no grace period (the form's default).
        b.click_and_load("tr[data-token-id] button[value=rotate]")
            .await;

        // Assert: the new token is shown once and works; the old one is refused.
        let new_token = b.text("#new-token").await;
        assert_ne!(new_token, created.token);
        assert_eq!(
            old.get("/Users").await.status(),
            401,
            "the old token is refused"
        );
        let new = app.view(&created.scim_url, &new_token);
        assert_eq!(new.get("/Users").await.status(), 200, "the new one works");
        b.screenshot("token-rotated").await;
    })
    .await;
}
