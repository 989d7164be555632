//! Sequential `startIndex` walks (README "Sequential startIndex walks"): a page that follows the
//! one a client just got continues after that page's last resource instead of skipping rows.
//! On a quiet directory the pages are those of plain `OFFSET` paging; when users are created or
//! deleted mid-walk, every user that exists throughout the walk is served exactly once.
//!
//! The tests share one server, each in a directory of its own; the one whose plan depends on the
//! table's size has a server of its own.

use std::collections::HashSet;
use std::sync::OnceLock;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::directories::create_dir;
use crate::helpers::{TestApp, USER_SCHEMA, bulk_body, id};

static SERVER: OnceLock<TestApp> = OnceLock::new();

/// Okta's import page size.
const PAGE: i64 = 100;

/// Creates `users` users named `{prefix}{n}@walk.test` in one bulk request; one in four
/// inactive.
async fn seed(app: &TestApp, prefix: &str, users: usize) {
    let operations: Vec<Value> = (0..users)
        .map(|n| {
            json!({
                "method": "POST", "path": "/Users", "bulkId": format!("u{n}"),
                "data": {"schemas": [USER_SCHEMA], "userName": format!("{prefix}{n:04}@walk.test"),
                         "active": n % 4 != 0}
            })
        })
        .collect();
    for outcome in app.bulk(bulk_body(json!(operations))).await {
        assert_eq!(outcome["status"], json!("201"), "{outcome}");
    }
}

/// One page at `start`, as Okta asks for it.
async fn page(app: &TestApp, endpoint: &str, filter: Option<&str>, start: i64) -> Value {
    let (start, count) = (start.to_string(), PAGE.to_string());
    let mut query = vec![("startIndex", start.as_str()), ("count", count.as_str())];
    if let Some(f) = filter {
        query.push(("filter", f));
    }
    app.get_query_ok(endpoint, &query).await
}

/// Walks from `startIndex` 1 in pages of 100, each starting at the previous one's start plus
/// its `itemsPerPage`, until a page comes back short.
async fn walk(app: &TestApp, endpoint: &str, filter: Option<&str>) -> Vec<Value> {
    let (mut pages, mut start) = (Vec::new(), 1);
    loop {
        let body = page(app, endpoint, filter, start).await;
        let items = body["itemsPerPage"].as_i64().expect("itemsPerPage");
        pages.push(body);
        if items < PAGE {
            return pages;
        }
        start += items;
    }
}

fn ids(pages: &[Value]) -> Vec<String> {
    pages
        .iter()
        .flat_map(|p| p["Resources"].as_array().expect("Resources").iter().map(id))
        .collect()
}

#[tokio::test]
async fn an_okta_walk_of_a_quiet_directory_gets_exactly_the_pages_offset_paging_gives() {
    // Arrange: 250 users (a quarter inactive) and 5 groups in a directory of their own.
    let server = TestApp::shared(&SERVER);
    let dir = create_dir(&server, "walk-quiet").await;
    let app = &dir.scim;
    seed(app, "q", 250).await;
    for n in 0..5 {
        app.create_group(&format!("walk group {n}"), &[]).await;
    }

    for (endpoint, filter, pages) in [
        ("/Users", None, 3),
        ("/Users", Some("active eq true"), 2),
        ("/Users", Some("userName sw \"q00\""), 2),
        ("/Groups", None, 1),
    ] {
        // Act: the walk, in order (each page after the first continues its predecessor).
        let walked = walk(app, endpoint, filter).await;
        // The oracle: the same pages asked for from the last to the first, so that none
        // follows a page just served and each is an OFFSET.
        let mut oracle = Vec::new();
        for body in walked.iter().rev() {
            let start = body["startIndex"].as_i64().expect("startIndex");
            oracle.push(page(app, endpoint, filter, start).await);
        }
        oracle.reverse();

        // Assert
        assert_eq!(walked.len(), pages, "{endpoint} {filter:?}");
        assert_eq!(walked, oracle, "{endpoint} {filter:?}");
        let seen = ids(&walked);
        let distinct: HashSet<&String> = seen.iter().collect();
        assert_eq!(
            distinct.len(),
            seen.len(),
            "{endpoint} {filter:?}: no repeats"
        );
        let total = walked[0]["totalResults"].as_u64().expect("totalResults");
        assert_eq!(
            seen.len() as u64,
            total,
            "{endpoint} {filter:?}: every match once"
        );
    }
}

#[tokio::test]
async fn users_created_and_deleted_mid_walk_do_not_make_the_walk_skip_or_repeat_anyone() {
    // Arrange: 250 users; the first two pages walked.
    let server = TestApp::shared(&SERVER);
    let dir = create_dir(&server, "walk-busy").await;
    let app = &dir.scim;
    seed(app, "b", 250).await;
    let first = page(app, "/Users", None, 1).await;
    let second = page(app, "/Users", None, 101).await;
    let before: Vec<String> = ids(&[first.clone(), second.clone()]);

    // Act: ten users of the first page deleted, the second page's last user too (the one the
    // walk continues after), and five users created; then the rest of the walk.
    let mut deleted: Vec<String> = before[..10].to_vec();
    deleted.push(before[199].clone());
    for user in &deleted {
        let resp = app.delete(&format!("/Users/{user}")).await;
        assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    }
    let mut created = Vec::new();
    for n in 0..5 {
        created.push(id(&app.create_user(&format!("late{n}@walk.test")).await));
    }
    let third = page(app, "/Users", None, 201).await;

    // Assert: the third page holds users 201–250 and the five new ones. An OFFSET at this
    // instant would have skipped ten users (those now moved up into positions 191–200).
    let rest = ids(std::slice::from_ref(&third));
    let everyone = ids(&walk(app, "/Users", None).await);
    let expected: Vec<String> = everyone
        .iter()
        .skip_while(|u| **u != before[198])
        .skip(1)
        .cloned()
        .collect();
    assert_eq!(third["startIndex"], json!(201));
    assert_eq!(rest, expected, "the users after the second page, in order");
    assert_eq!(rest.len(), 55, "{third}");
    assert!(rest.ends_with(&created), "users created mid-walk come last");
    let walked: Vec<&String> = before.iter().chain(&rest).collect();
    let distinct: HashSet<&&String> = walked.iter().collect();
    assert_eq!(distinct.len(), walked.len(), "nobody served twice");
    let remaining: HashSet<&String> = everyone.iter().collect();
    let served: HashSet<&String> = walked.iter().copied().collect();
    assert!(
        remaining.is_subset(&served),
        "everyone present at the end was served"
    );
}

#[tokio::test]
async fn a_page_that_continues_no_walk_is_an_offset() {
    // Arrange: 30 users; a walk of pages of 10 served up to the second page; then a user of
    // the first page leaves, so a continuation and an OFFSET now differ by one.
    let server = TestApp::shared(&SERVER);
    let dir = create_dir(&server, "walk-jump").await;
    let app = &dir.scim;
    seed(app, "j", 30).await;
    let all = ids(&[app.get_query_ok("/Users", &[("count", "30")]).await]);
    for start in ["1", "11"] {
        app.get_query_ok("/Users", &[("startIndex", start), ("count", "10")])
            .await;
    }
    let resp = app.delete(&format!("/Users/{}", all[5])).await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let first_of = |body: Value| ids(&[body])[0].clone();

    // Act: a page that does not follow the last one, the next page with a sortBy, then the
    // next page itself.
    let jump = app
        .get_query_ok("/Users", &[("startIndex", "22"), ("count", "5")])
        .await;
    let sorted = app
        .get_query_ok(
            "/Users",
            &[
                ("startIndex", "21"),
                ("count", "10"),
                ("sortBy", "meta.created"),
            ],
        )
        .await;
    let next = app
        .get_query_ok("/Users", &[("startIndex", "21"), ("count", "10")])
        .await;

    // Assert: OFFSETs count the users present now (all[5] is gone, so the 1-based 21st is
    // all[21]); the continuation starts after the second page's last user, all[19].
    assert_eq!(first_of(jump), all[22]);
    assert_eq!(first_of(sorted), all[21]);
    assert_eq!(first_of(next), all[20]);
}

#[tokio::test]
async fn a_filtered_page_is_the_same_whether_sqlite_walks_the_creation_order_or_the_filters_index()
{
    // Arrange: a server of its own (the choice between the two depends on the table's size):
    // 40 users, 30 of them active. With pages of 3, SQLite walks the creation order for the
    // first pages (a few rows read per match) and takes the filter's index, sorting all 30
    // matches, deeper in (see `store::listing`); PostgreSQL plans for itself.
    let app = TestApp::spawn().await;
    seed(&app, "p", 40).await;
    let all = app
        .get_query_ok("/Users", &[("count", "40"), ("sortBy", "meta.created")])
        .await;
    let active: Vec<String> = all["Resources"]
        .as_array()
        .expect("Resources")
        .iter()
        .filter(|u| u["active"] == json!(true))
        .map(id)
        .collect();
    assert_eq!(active.len(), 30);

    for start in 1..=31 {
        // Act
        let start_text = start.to_string();
        let page = app
            .get_query_ok(
                "/Users",
                &[
                    ("filter", "active eq true"),
                    ("startIndex", &start_text),
                    ("count", "3"),
                ],
            )
            .await;

        // Assert
        let from = (start - 1).min(30);
        let want = &active[from..(from + 3).min(30)];
        assert_eq!(ids(std::slice::from_ref(&page)), want, "startIndex {start}");
        assert_eq!(page["totalResults"], json!(30), "startIndex {start}");
    }
}
