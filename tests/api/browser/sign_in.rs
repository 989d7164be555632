//! Signing in and out as a person does: a wrong token is refused on the form, an admin token
//! opens the console with a session cookie the page's scripts cannot read, and after signing
//! out the console's pages send the browser back to the sign-in form.

use super::console::{create_directory, sign_in};
use super::{server, session};

#[tokio::test]
async fn a_wrong_token_is_refused_an_admin_token_signs_in_and_signing_out_closes_the_console() {
    let app = server();
    let admin = app.admin_token().await;
    session::run("sign_in_and_out", app.address.clone(), |b| async move {
        // Arrange: the sign-in form.
        b.goto("/admin/directories").await;
        b.find("#token").await;
        assert_eq!(b.path().await, "/admin/sign-in", "no session: the form");
        b.screenshot("sign-in").await;

        // Assert: Tab moves from the field to the button, which shows it has the focus.
        b.fill("#token", &app.token).await;
        b.press_tab_in("#token").await;
        let focused = b.focused_outline().await;
        assert_eq!(focused.0, "sign-in", "the button has the focus next");
        assert_ne!(focused.1, "none", "and shows it with an outline");

        // Act: a SCIM token is no admin token (sent from the keyboard).
        b.press_enter_in("#token").await;

        // Assert
        let refusal = b.text("p[role=alert]").await;
        assert!(!refusal.is_empty(), "the form says why");
        assert_eq!(b.path().await, "/admin/sign-in", "still the form");

        // Act: the admin token.
        sign_in(&b, &admin).await;

        // Assert: the session cookie is out of the page's scripts' reach.
        let session = b.client.get_named_cookie("scimd_session").await;
        let session = session.expect("the session cookie");
        assert_eq!(session.http_only(), Some(true), "{session}");
        let same_site = session.same_site().map(|s| s.to_string());
        assert_eq!(same_site.as_deref(), Some("Strict"), "{session}");
        let visible = b.client.execute("return document.cookie;", vec![]).await;
        let visible = visible.expect("document.cookie");
        assert!(!visible.to_string().contains("scimd_session"), "{visible}");
        let created = create_directory(&b, "signout", "Sign-out test").await;
        let users = format!("/admin/directories/{}/users", created.id);

        // Assert: the token is in no URL, nor on any page but the one that shows a new token.
        b.goto("/admin/directories").await;
        let source = b.client.source().await.expect("page source");
        assert!(
            !source.contains(&admin),
            "the admin token stays off the page"
        );
        assert!(!b.path().await.contains(&admin), "and out of the URL");

        // Act: sign out.
        b.click_and_load("#sign-out").await;
        b.find("#token").await;
        assert_eq!(b.path().await, "/admin/sign-in", "signed out: the form");

        // Assert: the console is closed, a directory's users too.
        for path in ["/admin/directories", users.as_str()] {
            b.goto(path).await;
            b.find("#token").await;
            assert_eq!(b.path().await, "/admin/sign-in", "{path} after signing out");
        }
    })
    .await;
}
