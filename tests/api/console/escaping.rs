//! What identity providers and admins send is shown as text: a user, group or directory named
//! with markup never becomes markup. And the admin token shows up in no URL, page or log line.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{Browser, server};
use crate::directories::{call, create_dir, group, unique_id};
use crate::helpers::{USER_SCHEMA, id};

const SCRIPT: &str = "<script>alert(1)</script>";

#[tokio::test]
async fn a_user_named_with_markup_stays_text_on_every_page() {
    // Arrange
    let app = server();
    let dir = create_dir(&app, "console-xss").await;
    let (status, u) = call(
        &dir.scim,
        Method::POST,
        "/Users",
        Some(json!({
            "schemas": [USER_SCHEMA],
            "userName": format!("{SCRIPT}@example.com"),
            "displayName": SCRIPT,
            "name": {"familyName": "\"><img src=x onerror=alert(2)>"},
            "emails": [{"value": "a&b@example.com", "primary": true}]
        })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{u}");
    let (_, g) = call(
        &dir.scim,
        Method::POST,
        "/Groups",
        Some(group(SCRIPT, &[&id(&u)])),
    )
    .await;
    let browser = Browser::signed_in(&app).await;
    let d = &dir.id;

    // Act
    let pages = [
        format!("/admin/directories/{d}/users"),
        format!("/admin/directories/{d}/users?q=%3Cscript"),
        format!("/admin/directories/{d}/users/{}", id(&u)),
        format!("/admin/directories/{d}/groups"),
        format!("/admin/directories/{d}/groups/{}", id(&g)),
        format!("/admin/events?directory={d}"),
    ];

    // Assert
    for path in &pages {
        let html = browser.page(path).await;
        assert!(!html.contains("<script>alert"), "{path}: {html}");
        assert!(!html.contains("<img src=x"), "{path}");
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{path}: {html}"
        );
    }
}

#[tokio::test]
async fn a_directory_named_with_markup_and_a_search_with_quotes_stay_text() {
    let app = server();
    let browser = Browser::signed_in(&app).await;
    let id = unique_id("console-xss-dir");

    let created = browser
        .post(
            "/admin/directories/new",
            "/admin/directories",
            &[("name", SCRIPT), ("id", &id)],
        )
        .await;
    let list = browser.page("/admin/directories").await;
    let search = browser
        .page(&format!("/admin/directories/{id}/users?q=%22%3E%3Cb%3Ex"))
        .await;

    assert_eq!(created.status, StatusCode::OK);
    for html in [&created.body, &list] {
        assert!(!html.contains(SCRIPT));
        assert!(html.contains("&lt;script&gt;"));
    }
    assert!(!search.contains("\"><b>x"), "{search}");
    let tokens_path = format!("/admin/directories/{id}/tokens");
    let token = browser
        .post(&tokens_path, &tokens_path, &[("name", SCRIPT)])
        .await;
    let tokens = browser.page(&tokens_path).await;
    for html in [&token.body, &tokens] {
        assert!(!html.contains(SCRIPT), "{html}");
        assert!(html.contains("&lt;script&gt;"));
    }
}

#[tokio::test]
async fn the_admin_token_is_never_in_a_url_or_a_page() {
    let app = server();
    let token = app.admin_token().await;
    let mut browser = Browser::new(&app);

    let signed = browser.sign_in(&token).await;
    let mut seen = vec![signed.body.clone(), signed.set_cookies.join("\n")];
    seen.extend(signed.location.clone());
    for path in [
        "/admin/directories",
        "/admin/directories/default/connect",
        "/admin/directories/default/tokens",
        "/admin/webhooks",
        "/admin/events",
    ] {
        let page = browser.get(path).await;
        seen.push(page.body);
        seen.extend(page.location);
    }
    let refused = Browser::new(&app).sign_in(&format!("{token}x")).await;
    seen.push(refused.body);

    for text in &seen {
        assert!(!text.contains(&token), "the admin token leaked: {text}");
    }
    assert!(!browser.session.expect("session").contains(&token));
}

#[tokio::test]
async fn the_admin_token_is_never_in_the_servers_log() {
    // A real `scimd serve` logging everything down to debug, through a sign-in, a refused
    // sign-in, pages, an action and a sign-out.
    let url = crate::helpers::fresh_database_url().await;
    let token = crate::cli::stdout(&crate::cli::scimd(
        &url,
        &["token", "create", "--admin", "--name", "ops"],
    ));
    let token = token.trim();
    let server = crate::process::Serve::new(&url)
        .env("RUST_LOG", "debug")
        .start()
        .await;
    let app_address = server.origin.clone();
    let mut browser = Browser::at(&app_address);

    let page = browser.sign_in(token).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    browser.page("/admin/directories").await;
    browser
        .post(
            "/admin/directories/new",
            "/admin/directories",
            &[("name", "Logged"), ("id", "logged")],
        )
        .await;
    browser
        .post("/admin/directories", "/admin/sign-out", &[])
        .await;
    Browser::at(&app_address)
        .sign_in(&format!("{token}x"))
        .await;
    let mut log = String::new();
    for _ in 0..100 {
        log = server.log();
        if log.contains("/admin/sign-out") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }

    assert!(
        log.contains("/admin/sign-in"),
        "the requests were logged: {log}"
    );
    assert!(!log.contains(token), "the admin token is in the log");
    let signature = token.rsplit('.').next().expect("a JWT");
    assert!(
        !log.contains(signature),
        "part of the admin token is in the log"
    );
}
