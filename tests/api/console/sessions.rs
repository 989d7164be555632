//! Signing in and out: an admin token becomes a session cookie; what a session needs to count
//! (a cookie this server issued, not expired, its admin token still working); what a SCIM token
//! or a forged sign-in form gets.

use reqwest::StatusCode;
use scimd::store::Db;

use super::{Browser, server};
use crate::helpers::TestApp;

#[tokio::test]
async fn an_admin_token_opens_a_session_with_a_strict_http_only_cookie() {
    // Arrange
    let app = server();
    let mut browser = Browser::new(&app);

    // Act
    let page = browser.sign_in(&app.admin_token().await).await;

    // Assert
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(page.location.as_deref(), Some("/admin/directories"));
    let cookie = page.cookie("scimd_session").expect("session cookie");
    for attribute in [
        "HttpOnly",
        "SameSite=Strict",
        "Path=/admin;",
        "Max-Age=43200",
    ] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }
    assert!(!cookie.contains("Secure"), "http base URL: {cookie}");
    let directories = browser.page("/admin/directories").await;
    assert!(
        directories.contains("data-directory=\"default\""),
        "{directories}"
    );
    assert!(directories.contains("id=\"sign-out\""), "{directories}");
}

#[tokio::test]
async fn a_scim_token_is_refused_with_a_message_naming_the_admin_token() {
    let app = server();
    let mut browser = Browser::new(&app);

    let page = browser.sign_in(&app.token).await;

    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    assert!(
        page.cookie("scimd_session").is_none(),
        "{:?}",
        page.set_cookies
    );
    assert!(page.body.contains("role=\"alert\""), "{}", page.body);
    assert!(page.body.contains("This is a SCIM token"), "{}", page.body);
    assert!(
        !page.body.contains(&app.token),
        "the token is not shown back"
    );
}

#[tokio::test]
async fn a_token_that_is_not_one_is_refused() {
    let app = server();
    for (token, reason) in [
        ("", "empty"),
        ("not-a-token", "garbage"),
        (
            "eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl",
            "a JWT this server did not sign",
        ),
    ] {
        let mut browser = Browser::new(&app);
        let page = browser.sign_in(token).await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED, "{reason}");
        assert!(page.body.contains("role=\"alert\""), "{reason}");
        assert!(browser.session.is_none(), "{reason}");
    }
}

#[tokio::test]
async fn pages_without_a_valid_session_send_the_browser_to_the_sign_in_page() {
    let app = server();
    let mut browser = Browser::new(&app);
    let paths = [
        "/admin/directories",
        "/admin/directories/new",
        "/admin/directories/default/connect",
    ];
    for (cookie, reason) in [
        (None, "no cookie"),
        (Some("forged"), "a made-up session id"),
        (Some(&"0".repeat(64)[..]), "an id of the right shape"),
    ] {
        browser.session = cookie.map(str::to_owned);
        for path in paths {
            let page = browser.get(path).await;
            assert!(page.is_sign_in_redirect(), "{reason} {path}: {page:?}");
            assert!(!page.body.contains("data-directory"), "{reason} {path}");
        }
    }
}

#[tokio::test]
async fn a_sign_in_form_not_from_this_console_is_refused() {
    // A page of another site that posts a token (login CSRF) has neither the sign-in cookie nor
    // its value.
    let app = server();
    let browser = Browser::new(&app);
    let token = app.admin_token().await;

    let without_cookie = browser
        .post_raw("/admin/sign-in", &[("token", &token), ("csrf", "guess")])
        .await;

    assert_eq!(without_cookie.status, StatusCode::FORBIDDEN);
    assert!(without_cookie.cookie("scimd_session").is_none());
    assert!(!without_cookie.body.contains(&token));
}

#[tokio::test]
async fn signing_out_ends_the_session_for_good() {
    let app = server();
    let browser = Browser::signed_in(&app).await;

    let page = browser
        .post("/admin/directories", "/admin/sign-out", &[])
        .await;

    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert!(
        page.cookie("scimd_session")
            .expect("cleared")
            .contains("Max-Age=0")
    );
    // The old cookie, sent again, opens nothing.
    assert!(
        browser
            .get("/admin/directories")
            .await
            .is_sign_in_redirect()
    );
}

#[tokio::test]
async fn signing_out_needs_the_sessions_csrf_value() {
    let app = server();
    let browser = Browser::signed_in(&app).await;

    let page = browser
        .post_raw("/admin/sign-out", &[("csrf", "wrong")])
        .await;

    assert_eq!(page.status, StatusCode::FORBIDDEN);
    browser.page("/admin/directories").await;
}

#[tokio::test]
async fn revoking_the_admin_token_ends_its_sessions() {
    let app = TestApp::spawn().await;
    let browser = Browser::signed_in(&app).await;
    browser.page("/admin/directories").await;

    let revoked =
        scimd::store::tokens::revoke(&app.state.db, "default", crate::helpers::ADMIN_TOKEN_NAME)
            .await
            .expect("revoke");

    assert!(revoked);
    assert!(
        browser
            .get("/admin/directories")
            .await
            .is_sign_in_redirect()
    );
}

#[tokio::test]
async fn an_expired_session_opens_nothing() {
    let app = TestApp::spawn().await;
    let browser = Browser::signed_in(&app).await;
    browser.page("/admin/directories").await;

    expire_sessions(&app.state.db).await;

    assert!(
        browser
            .get("/admin/directories")
            .await
            .is_sign_in_redirect()
    );
}

#[tokio::test]
async fn only_a_hash_of_the_session_id_is_stored() {
    let app = TestApp::spawn().await;
    let browser = Browser::signed_in(&app).await;
    let id = browser.session.clone().expect("session");

    let stored = stored_session_ids(&app.state.db).await;

    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0], id);
    assert_eq!(stored[0].len(), 64, "a SHA-256 in hex");
}

/// Moves every session's expiry into the past.
async fn expire_sessions(db: &Db) {
    let past = chrono::Utc::now() - chrono::Duration::minutes(1);
    match db {
        Db::Sqlite(pool, _) => sqlx::query("UPDATE console_sessions SET expires = ?")
            .bind(past)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()),
        Db::Postgres(pool) => sqlx::query("UPDATE console_sessions SET expires = $1")
            .bind(past)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()),
    }
    .expect("expire sessions");
}

/// The stored `id_hash` of every session.
async fn stored_session_ids(db: &Db) -> Vec<String> {
    match db {
        Db::Sqlite(pool, _) => {
            sqlx::query_scalar("SELECT id_hash FROM console_sessions")
                .fetch_all(pool)
                .await
        }
        Db::Postgres(pool) => {
            sqlx::query_scalar("SELECT id_hash FROM console_sessions")
                .fetch_all(pool)
                .await
        }
    }
    .expect("sessions")
}
