//! Every form that changes something is refused without the session's CSRF value: posted
//! without it, with a made-up one, or with another session's, each action answers `403` and
//! nothing changes (no event, no token, no webhook, no directory, no sign-out). Pages carry
//! the headers that keep other sites from framing them.

use reqwest::{Method, StatusCode};

use super::{Browser, csrf_field};
use crate::directories::{call, create_dir, group, user};
use crate::helpers::{TestApp, id};

#[tokio::test]
async fn every_action_without_the_sessions_csrf_value_is_refused_and_changes_nothing() {
    // Arrange: a server of its own, so that nothing else writes while the state is compared.
    let app = TestApp::spawn().await;
    let dir = create_dir(&app, "csrf").await;
    let (_, u) = call(
        &dir.scim,
        Method::POST,
        "/Users",
        Some(user("lee@example.com")),
    )
    .await;
    let (_, gone) = call(
        &dir.scim,
        Method::POST,
        "/Users",
        Some(user("gone@example.com")),
    )
    .await;
    call(
        &dir.scim,
        Method::DELETE,
        &format!("/Users/{}", id(&gone)),
        None,
    )
    .await;
    let (_, g) = call(
        &dir.scim,
        Method::POST,
        "/Groups",
        Some(group("Ops", &[&id(&u)])),
    )
    .await;
    let browser = Browser::signed_in(&app).await;
    let other = Browser::signed_in(&app).await;
    let hook = browser
        .post(
            "/admin/webhooks",
            "/admin/webhooks",
            &[("url", "http://127.0.0.1:9/h")],
        )
        .await;
    assert_eq!(hook.status, StatusCode::OK, "{}", hook.body);
    let hook_id = hook
        .body
        .split("data-webhook-id=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("webhook id")
        .to_owned();
    let (d, u, gone, g) = (&dir.id, id(&u), id(&gone), id(&g));
    let users = format!("/admin/directories/{d}/users");
    let forms: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            "/admin/directories".into(),
            vec![("name", "Forged"), ("id", "forged")],
        ),
        (
            format!("{users}/bulk/confirm"),
            vec![("action", "suspend"), ("ids", &u)],
        ),
        (
            format!("{users}/bulk/confirm"),
            vec![("action", "purge"), ("ids", &gone)],
        ),
        (format!("{users}/{u}/suspend"), vec![("reason", "forged")]),
        (format!("{users}/{gone}/restore"), vec![]),
        (format!("{users}/{gone}/purge"), vec![]),
        (
            format!("/admin/directories/{d}/groups/{g}/roles"),
            vec![("roles", "root")],
        ),
        (
            format!("/admin/directories/{d}/tokens"),
            vec![("name", "forged")],
        ),
        (
            format!("/admin/directories/{d}/tokens/{}", dir.token_id),
            vec![("action", "revoke")],
        ),
        (
            format!("/admin/directories/{d}/tokens/{}", dir.token_id),
            vec![("action", "rotate"), ("grace", "0")],
        ),
        (
            "/admin/webhooks".into(),
            vec![("url", "http://127.0.0.1:9/forged")],
        ),
        (format!("/admin/webhooks/{hook_id}/remove"), vec![]),
        (
            format!("/admin/webhooks/{hook_id}/replay"),
            vec![("after", "evt_0000000000000000")],
        ),
        ("/admin/sign-out".into(), vec![]),
    ];
    let before = snapshot(&app, &browser, d).await;
    let other_csrf = csrf_field(&other.page("/admin/directories").await);

    // Act
    for (path, fields) in &forms {
        for (csrf, reason) in [
            (None, "no csrf"),
            (Some("0123abcd"), "a made-up one"),
            (Some(other_csrf.as_str()), "another session's"),
        ] {
            let mut all = fields.clone();
            if let Some(c) = csrf {
                all.push(("csrf", c));
            }
            let page = browser.post_raw(path, &all).await;
            // Assert
            assert_eq!(
                page.status,
                StatusCode::FORBIDDEN,
                "{path} with {reason}: {}",
                page.body
            );
            assert!(page.body.contains("role=\"alert\""), "{path}");
        }
    }

    // Assert
    assert_eq!(snapshot(&app, &browser, d).await, before);
    assert_eq!(
        dir.scim.get("/Users").await.status(),
        StatusCode::OK,
        "the token works"
    );
}

/// What the forged forms could have changed: the directory's events and tokens, the webhooks,
/// the directories, and whether the session still works.
async fn snapshot(app: &TestApp, browser: &Browser, d: &str) -> Vec<String> {
    let events = app.events(&[("directory", d), ("limit", "1000")]).await;
    let rows = |html: &str, marker: &str| html.matches(marker).count().to_string();
    let tokens = browser
        .page(&format!("/admin/directories/{d}/tokens"))
        .await;
    let hooks = browser.page("/admin/webhooks").await;
    let directories = browser.page("/admin/directories").await;
    vec![
        events["data"].as_array().map_or(0, Vec::len).to_string(),
        rows(&tokens, "data-token-id="),
        rows(&tokens, "state-active"),
        rows(&hooks, "data-webhook-id="),
        rows(&directories, "data-directory="),
    ]
}

#[tokio::test]
async fn pages_forbid_framing_and_caching_and_cookies_are_secure_behind_https() {
    let app = TestApp::spawn_with(|args| {
        args.base_url = Some("https://scim.example.com/scim/v2".into());
    })
    .await;
    let mut browser = Browser::new(&app);

    let form = browser.get("/admin/sign-in").await;
    let signed = browser.sign_in(&app.admin_token().await).await;

    for cookie in [
        form.cookie("scimd_sign_in").expect("sign-in cookie"),
        signed.cookie("scimd_session").expect("session cookie"),
    ] {
        assert!(cookie.contains("; Secure"), "{cookie}");
    }
    let resp = reqwest::Client::new()
        .get(format!("{}/admin/sign-in", app.address))
        .send()
        .await
        .expect("page");
    let headers = resp.headers();
    assert_eq!(headers["x-frame-options"], "DENY");
    assert!(
        headers["content-security-policy"]
            .to_str()
            .expect("csp")
            .contains("frame-ancestors 'none'")
    );
    assert_eq!(headers["cache-control"], "no-store");
    assert!(
        headers["content-type"]
            .to_str()
            .expect("type")
            .starts_with("text/html")
    );
}
