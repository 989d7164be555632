//! `/admin/directories/{d}/users` and a user's page: tabs with counts, search, sort and pages
//! by URL; bulk actions behind a confirmation naming the count; the CSV export of a view (the
//! same bytes as `/api/v1`'s); suspend, unsuspend, archive and restore, with events naming the
//! admin token.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{Browser, server};
use crate::directories::{Dir, admin, call, create_dir, user};
use crate::helpers::{ADMIN_TOKEN_NAME, USER_SCHEMA, id};

/// Provisions users named `names` (userName `{name}@example.com`, family name `name`) in
/// `dir`; returns their ids in order.
async fn provision(dir: &Dir, names: &[&str]) -> Vec<String> {
    let mut ids = Vec::new();
    for name in names {
        let (status, body) = call(
            &dir.scim,
            Method::POST,
            "/Users",
            Some(json!({
                "schemas": [USER_SCHEMA],
                "userName": format!("{name}@example.com"),
                "name": {"familyName": name, "givenName": "Pat"},
                "emails": [{"value": format!("{name}@example.com"), "primary": true}]
            })),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        ids.push(id(&body));
    }
    ids
}

/// The user ids of the rows of a list page, in order.
fn row_ids(html: &str) -> Vec<String> {
    html.split("data-user-id=\"")
        .skip(1)
        .map(|rest| rest.split('"').next().expect("id").to_owned())
        .collect()
}

/// The count shown in the tab of `state`.
fn tab_count(html: &str, state: &str) -> i64 {
    let tab = html
        .split(&format!("data-state=\"{state}\""))
        .nth(1)
        .expect("tab");
    let count = tab.split("class=\"count\">").nth(1).expect("count");
    count
        .split('<')
        .next()
        .expect("number")
        .parse()
        .expect("a number")
}

#[tokio::test]
async fn the_list_is_alphabetical_by_default_and_every_view_has_its_own_url() {
    // Arrange
    let app = server();
    let dir = create_dir(&app, "console-list").await;
    let ids = provision(&dir, &["Young", "Adams", "Miller"]).await;
    let browser = Browser::signed_in(&app).await;
    let base = format!("/admin/directories/{}/users", dir.id);

    // Act
    let by_name = browser.page(&base).await;
    let by_created_desc = browser
        .page(&format!("{base}?sort=created&order=desc"))
        .await;
    let searched = browser.page(&format!("{base}?q=mil")).await;

    // Assert
    assert_eq!(
        row_ids(&by_name),
        [ids[1].clone(), ids[2].clone(), ids[0].clone()]
    );
    assert_eq!(
        row_ids(&by_created_desc),
        [ids[2].clone(), ids[1].clone(), ids[0].clone()]
    );
    assert_eq!(row_ids(&searched), [ids[2].clone()]);
    assert!(searched.contains("value=\"mil\""), "the search box keeps q");
    assert_eq!(tab_count(&by_name, "active"), 3);
    assert_eq!(tab_count(&by_name, "suspended"), 0);
    assert!(by_name.contains("id=\"export\""));
}

#[tokio::test]
async fn pages_follow_each_other_through_the_next_page_link() {
    let app = server();
    let dir = create_dir(&app, "console-pages").await;
    let names: Vec<String> = (0..55).map(|n| format!("user{n:02}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    provision(&dir, &refs).await;
    let browser = Browser::signed_in(&app).await;

    let first = browser
        .page(&format!(
            "/admin/directories/{}/users?sort=userName",
            dir.id
        ))
        .await;
    let next = first
        .split("id=\"next-page\" href=\"")
        .nth(1)
        .expect("a next page link")
        .split('"')
        .next()
        .expect("href")
        .replace("&amp;", "&");
    let second = browser.page(&next).await;

    assert_eq!(row_ids(&first).len(), 50);
    assert_eq!(row_ids(&second).len(), 5);
    assert!(!second.contains("id=\"next-page\""));
    assert!(second.contains("user54@example.com"));
}

#[tokio::test]
async fn a_bulk_suspend_asks_for_confirmation_naming_the_count_then_suspends_them() {
    // Arrange
    let app = server();
    let dir = create_dir(&app, "console-bulk").await;
    let ids = provision(&dir, &["Able", "Baker", "Cole"]).await;
    let browser = Browser::signed_in(&app).await;
    let base = format!("/admin/directories/{}/users", dir.id);

    // Act
    let confirmation = browser
        .post(
            &base,
            &format!("{base}/bulk"),
            &[("action", "suspend"), ("ids", &ids[0]), ("ids", &ids[1])],
        )
        .await;
    let list_before = browser.page(&base).await;
    let done = browser
        .post(
            &base,
            &format!("{base}/bulk/confirm"),
            &[
                ("action", "suspend"),
                ("ids", &ids[0]),
                ("ids", &ids[1]),
                ("reason", "left the company"),
            ],
        )
        .await;

    // Assert
    assert_eq!(confirmation.status, StatusCode::OK);
    assert!(
        confirmation.body.contains("2 users"),
        "{}",
        confirmation.body
    );
    assert!(confirmation.body.contains("id=\"confirm\""));
    assert_eq!(
        tab_count(&list_before, "suspended"),
        0,
        "nothing before confirming"
    );
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("2 of 2 done"), "{}", done.body);
    let suspended = browser.page(&format!("{base}?state=suspended")).await;
    let mut listed = row_ids(&suspended);
    listed.sort();
    let mut expected = vec![ids[0].clone(), ids[1].clone()];
    expected.sort();
    assert_eq!(listed, expected);
    let user_page = browser.page(&format!("{base}/{}", ids[0])).await;
    assert!(user_page.contains("left the company"), "{user_page}");
    assert!(
        user_page.contains(&format!("token {ADMIN_TOKEN_NAME}")),
        "the event names the admin token: {user_page}"
    );
}

#[tokio::test]
async fn a_bulk_action_without_the_csrf_value_or_a_selection_changes_nothing() {
    let app = server();
    let dir = create_dir(&app, "console-bulk-csrf").await;
    let ids = provision(&dir, &["Doe"]).await;
    let browser = Browser::signed_in(&app).await;
    let base = format!("/admin/directories/{}/users", dir.id);

    let forged = browser
        .post_raw(
            &format!("{base}/bulk/confirm"),
            &[("action", "suspend"), ("ids", &ids[0]), ("csrf", "x")],
        )
        .await;
    let empty = browser
        .post(
            &base,
            &format!("{base}/bulk/confirm"),
            &[("action", "suspend")],
        )
        .await;
    let unknown = browser
        .post(
            &base,
            &format!("{base}/bulk/confirm"),
            &[("action", "delete-everything"), ("ids", &ids[0])],
        )
        .await;

    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert!(unknown.body.contains("role=\"alert\""));
    let list = browser.page(&base).await;
    assert_eq!(tab_count(&list, "active"), 1);
    assert_eq!(tab_count(&list, "suspended"), 0);
}

#[tokio::test]
async fn the_export_of_a_view_is_the_apis_csv_of_the_same_users() {
    let app = server();
    let dir = create_dir(&app, "console-csv").await;
    let ids = provision(&dir, &["Ford", "Grant", "Fisher"]).await;
    let browser = Browser::signed_in(&app).await;
    let token = app.admin_token().await;
    let api = |query: &'static str| {
        let client = reqwest::Client::new();
        let url = format!(
            "{}/api/v1/directories/{}/users.csv{query}",
            app.address, dir.id
        );
        let token = token.clone();
        async move {
            let resp = client
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .expect("csv");
            assert_eq!(resp.status(), StatusCode::OK);
            resp.text().await.expect("body")
        }
    };

    let all = browser
        .get(&format!(
            "/admin/directories/{}/users.csv?state=active",
            dir.id
        ))
        .await;
    let searched = browser
        .get(&format!(
            "/admin/directories/{}/users.csv?state=active&q=f",
            dir.id
        ))
        .await;

    assert_eq!(all.status, StatusCode::OK);
    assert_eq!(all.body, api("?state=active").await);
    assert_eq!(searched.body, api("?state=active&q=f").await);
    assert_eq!(
        searched.body.lines().count(),
        3,
        "header, Ford, Fisher: {}",
        searched.body
    );
    assert!(!searched.body.contains("grant@"), "{}", searched.body);
    assert_eq!(all.body.lines().count(), 1 + ids.len());
}

#[tokio::test]
async fn suspending_archiving_and_restoring_one_user_shows_on_its_page() {
    // Arrange
    let app = server();
    let dir = create_dir(&app, "console-user").await;
    let ids = provision(&dir, &["Hale"]).await;
    let id = &ids[0];
    let browser = Browser::signed_in(&app).await;
    let page_path = format!("/admin/directories/{}/users/{id}", dir.id);

    // Act + Assert: suspend with a reason.
    let suspended = browser
        .post(
            &page_path,
            &format!("{page_path}/suspend"),
            &[("reason", "audit")],
        )
        .await;
    assert_eq!(
        suspended.status,
        StatusCode::SEE_OTHER,
        "{}",
        suspended.body
    );
    let page = browser.page(&page_path).await;
    assert!(state_of(&page).contains("suspended"), "{page}");
    assert!(page.contains("id=\"unsuspend\""));
    assert!(page.contains("user.suspended"));

    // Unsuspend.
    browser
        .post(&page_path, &format!("{page_path}/unsuspend"), &[])
        .await;
    assert!(state_of(&browser.page(&page_path).await).contains("active"));

    // The identity provider deletes it: archived, restorable.
    let (status, _) = call(&dir.scim, Method::DELETE, &format!("/Users/{id}"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let archived = browser.page(&page_path).await;
    assert!(state_of(&archived).contains("archived"), "{archived}");
    assert!(archived.contains("id=\"restore\"") && archived.contains("id=\"purge\""));
    let restored = browser
        .post(&page_path, &format!("{page_path}/restore"), &[])
        .await;
    assert_eq!(restored.status, StatusCode::SEE_OTHER, "{}", restored.body);
    let page = browser.page(&page_path).await;
    assert!(state_of(&page).contains("active"));
    assert!(page.contains("user.restored"));
    let (status, _) = call(&dir.scim, Method::GET, &format!("/Users/{id}"), None).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "restored through the same use case as the API"
    );
}

#[tokio::test]
async fn an_action_without_the_csrf_value_changes_nothing() {
    let app = server();
    let dir = create_dir(&app, "console-user-csrf").await;
    let ids = provision(&dir, &["Irwin"]).await;
    let browser = Browser::signed_in(&app).await;
    let page_path = format!("/admin/directories/{}/users/{}", dir.id, ids[0]);
    let mut outsider = Browser::new(&app);
    outsider.session = Some("forged".into());

    let without = browser
        .post_raw(&format!("{page_path}/suspend"), &[("reason", "x")])
        .await;
    let other_session = outsider
        .post_raw(&format!("{page_path}/suspend"), &[("reason", "x")])
        .await;

    assert_eq!(without.status, StatusCode::FORBIDDEN);
    assert!(other_session.is_sign_in_redirect());
    assert!(state_of(&browser.page(&page_path).await).contains("active"));
}

#[tokio::test]
async fn a_purge_erases_an_archived_user() {
    let app = server();
    let dir = create_dir(&app, "console-purge").await;
    let (_, body) = call(
        &dir.scim,
        Method::POST,
        "/Users",
        Some(user("gone@example.com")),
    )
    .await;
    let id = id(&body);
    call(&dir.scim, Method::DELETE, &format!("/Users/{id}"), None).await;
    let browser = Browser::signed_in(&app).await;
    let page_path = format!("/admin/directories/{}/users/{id}", dir.id);

    let purged = browser
        .post(&page_path, &format!("{page_path}/purge"), &[])
        .await;

    assert_eq!(purged.status, StatusCode::SEE_OTHER);
    assert_eq!(browser.get(&page_path).await.status, StatusCode::NOT_FOUND);
    let resp = admin(&app)
        .await
        .call(
            Method::GET,
            &format!("/directories/{}/users/{id}", dir.id),
            None,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

/// The text of `#state`.
fn state_of(html: &str) -> String {
    html.split("id=\"state\"")
        .nth(1)
        .expect("#state")
        .split("</dd>")
        .next()
        .expect("dd")
        .to_owned()
}
