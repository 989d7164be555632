//! `/admin/directories`: the list, creating a directory (its SCIM URL and first token shown
//! once, and the token works), and the Connect page.

use reqwest::StatusCode;

use super::{Browser, server};
use crate::directories::{create_dir, unique_id};

#[tokio::test]
async fn creating_a_directory_shows_its_scim_url_and_a_first_token_that_works() {
    // Arrange
    let app = server();
    let browser = Browser::signed_in(&app).await;
    let id = unique_id("console-new");

    // Act
    let page = browser
        .post(
            "/admin/directories/new",
            "/admin/directories",
            &[("name", "Console Corp"), ("id", &id)],
        )
        .await;

    // Assert
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let url = text_of(&page.body, "scim-url");
    assert_eq!(url, format!("{}/directories/{id}/scim/v2", app.address));
    let token = text_of(&page.body, "new-token");
    assert!(
        page.body.contains("data-copy=\"#new-token\""),
        "{}",
        page.body
    );
    let scim = app.view(&url, &token);
    assert_eq!(scim.get("/Users").await.status(), StatusCode::OK);
    let list = browser.page("/admin/directories").await;
    assert!(list.contains(&format!("data-directory=\"{id}\"")), "{list}");
}

#[tokio::test]
async fn a_directory_id_that_is_refused_shows_why_and_creates_nothing() {
    let app = server();
    let browser = Browser::signed_in(&app).await;

    let page = browser
        .post(
            "/admin/directories/new",
            "/admin/directories",
            &[("name", "Bad"), ("id", "Not A Slug")],
        )
        .await;

    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("role=\"alert\""), "{}", page.body);
    assert!(page.body.contains("lower-case letters"), "{}", page.body);
    let list = browser.page("/admin/directories").await;
    assert!(!list.contains("Not A Slug"));
}

#[tokio::test]
async fn creating_a_directory_without_the_csrf_value_changes_nothing() {
    let app = server();
    let browser = Browser::signed_in(&app).await;
    let id = unique_id("console-csrf");

    for fields in [
        vec![("name", "Forged"), ("id", id.as_str())],
        vec![("name", "Forged"), ("id", id.as_str()), ("csrf", "0000")],
    ] {
        let page = browser.post_raw("/admin/directories", &fields).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{fields:?}");
    }

    let list = browser.page("/admin/directories").await;
    assert!(!list.contains(&id), "{list}");
}

#[tokio::test]
async fn the_connect_page_shows_the_url_the_guides_and_the_last_requests() {
    let app = server();
    let dir = create_dir(&app, "console-connect").await;
    dir.scim.get("/Users").await;
    let browser = Browser::signed_in(&app).await;

    let page = browser
        .page(&format!("/admin/directories/{}/connect", dir.id))
        .await;

    assert!(
        page.contains(&format!("/directories/{}/scim/v2", dir.id)),
        "{page}"
    );
    for hook in [
        "id=\"guide-okta\"",
        "id=\"guide-entra\"",
        "id=\"token-status\"",
    ] {
        assert!(page.contains(hook), "{hook}");
    }
    assert!(page.contains("data-state=\"working\""), "{page}");
    let requests = page.split("id=\"scim-requests\"").nth(1).expect("table");
    assert!(requests.contains("GET /directories/"), "{requests}");
}

#[tokio::test]
async fn an_unknown_directory_or_page_is_a_404_page() {
    let app = server();
    let browser = Browser::signed_in(&app).await;

    for path in [
        "/admin/directories/no-such-dir/connect",
        "/admin/nothing-here",
    ] {
        let page = browser.get(path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        assert!(
            page.body.contains("role=\"alert\""),
            "{path}: {}",
            page.body
        );
    }
}

/// The text of the element with `id` (a `<code>`), unescaped for the test's plain values.
pub fn text_of(html: &str, id: &str) -> String {
    let marker = format!("id=\"{id}\">");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("#{id} in {html}"))
        + marker.len();
    html[start..].split('<').next().expect("text").to_owned()
}
