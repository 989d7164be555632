//! The read API over the local user model: listings by state, search, order and cursor pages,
//! groups with members, and clear errors.

use serde_json::{Value, json};

use super::{DIR, person};
use crate::helpers::{TestApp, assert_api_error};

/// Walks every page of a listing and returns the userNames in order.
async fn walk(app: &TestApp, query: &[(&str, &str)]) -> Vec<String> {
    let mut names = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut q = query.to_vec();
        if let Some(a) = &after {
            q.push(("after", a));
        }
        let page = app.admin_get(&format!("{DIR}/users"), &q).await;
        names.extend(
            page["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u["user_name"].as_str().unwrap().to_owned()),
        );
        match page["after"].as_str() {
            Some(a) => after = Some(a.to_owned()),
            None => return names,
        }
    }
}

async fn people(app: &TestApp) {
    for (user, given, family) in [
        ("zed", "Zed", "Adams"),
        ("amy", "Amy", "Young"),
        ("bob", "Bob", "Adams"),
        ("cy", "Cy", "Mills"),
        ("dee", "Dee", "Millar"),
    ] {
        person(app, user, given, family, &[]).await;
    }
}

#[tokio::test]
async fn users_are_listed_alphabetically_by_family_then_given_name_in_pages() {
    let app = TestApp::spawn().await;
    people(&app).await;

    assert_eq!(
        walk(&app, &[("limit", "2")]).await,
        ["bob", "zed", "dee", "cy", "amy"]
    );
    assert_eq!(
        walk(&app, &[("limit", "2"), ("order", "desc")]).await,
        ["amy", "cy", "dee", "zed", "bob"]
    );
    assert_eq!(
        walk(&app, &[("limit", "3"), ("sort", "userName")]).await,
        ["amy", "bob", "cy", "dee", "zed"]
    );
    assert_eq!(
        walk(&app, &[("limit", "1"), ("sort", "created")]).await,
        ["zed", "amy", "bob", "cy", "dee"]
    );
    assert_eq!(
        walk(
            &app,
            &[("limit", "4"), ("sort", "lastModified"), ("order", "desc")]
        )
        .await,
        ["dee", "cy", "bob", "amy", "zed"]
    );
}

#[tokio::test]
async fn search_matches_prefixes_of_names_emails_and_user_names_case_insensitively() {
    let app = TestApp::spawn().await;
    people(&app).await;

    assert_eq!(
        walk(&app, &[("q", "MILL")]).await,
        ["dee", "cy"],
        "family names"
    );
    assert_eq!(
        walk(&app, &[("q", "am")]).await,
        ["amy"],
        "given name and userName once"
    );
    assert_eq!(walk(&app, &[("q", "zed@mail")]).await, ["zed"], "email");
    assert!(walk(&app, &[("q", "nobody")]).await.is_empty());
    assert_eq!(
        walk(&app, &[("q", "adams"), ("state", "inactive")]).await,
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn a_listing_item_has_what_the_admin_products_show() {
    let app = TestApp::spawn().await;
    let id = person(&app, "kim", "Kim", "Ro", &["viewer"]).await;
    let page = app.admin_get(&format!("{DIR}/users"), &[]).await;
    let item = &page["data"][0];
    assert_eq!(item["id"], json!(id));
    assert_eq!(item["display_name"], json!("Kim Ro"));
    assert_eq!(item["email"], json!("kim@mail.example"));
    assert_eq!(item["state"], json!("active"));
    assert_eq!(item["source"], json!("scim"));
    assert_eq!(item["roles"], json!(["viewer"]));
    assert!(item["created_at"].is_string() && item["last_modified_at"].is_string());
    assert!(page.get("after").is_none());
}

#[tokio::test]
async fn bad_listing_parameters_and_cursors_are_refused() {
    let app = TestApp::spawn().await;
    people(&app).await;
    let cursor = app
        .admin_get(&format!("{DIR}/users"), &[("limit", "1")])
        .await["after"]
        .as_str()
        .unwrap()
        .to_owned();
    for (query, why) in [
        (vec![("state", "gone")], "unknown state"),
        (vec![("sort", "email")], "unknown sort"),
        (vec![("order", "up")], "unknown order"),
        (vec![("limit", "0")], "limit too small"),
        (vec![("limit", "501")], "limit too large"),
        (vec![("after", "garbage")], "not a cursor"),
        (
            vec![("after", cursor.as_str()), ("sort", "userName")],
            "cursor of another listing",
        ),
    ] {
        let resp = app.client_get(&format!("/api/v1{DIR}/users"), &query).await;
        assert_eq!(resp.status().as_u16(), 400, "{why}");
        assert_api_error(resp, 400, "invalid_parameter").await;
    }
    let resp = app.client_get("/api/v1/directories/nope/users", &[]).await;
    assert_api_error(resp, 404, "not_found").await;
}

#[tokio::test]
async fn groups_are_listed_with_member_counts_and_members_come_in_pages() {
    let app = TestApp::spawn().await;
    let mut ids = Vec::new();
    for name in ["u1", "u2", "u3"] {
        ids.push(person(&app, name, "U", name, &[]).await);
    }
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let big = app.create_group("Big", &refs).await;
    app.create_group("alpha", &[]).await;

    let page = app.admin_get(&format!("{DIR}/groups"), &[]).await;
    let names: Vec<&Value> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| &g["display_name"])
        .collect();
    assert_eq!(names, [&json!("alpha"), &json!("Big")]);
    assert_eq!(page["data"][1]["member_count"], json!(3));
    let bid = big["id"].as_str().unwrap();
    let first = app
        .admin_get(&format!("{DIR}/groups/{bid}"), &[("members_limit", "2")])
        .await;
    assert_eq!(first["members"].as_array().unwrap().len(), 2);
    let after = first["members_after"].as_str().unwrap();
    let rest = app
        .admin_get(
            &format!("{DIR}/groups/{bid}"),
            &[("members_limit", "2"), ("members_after", after)],
        )
        .await;
    assert_eq!(rest["members"].as_array().unwrap().len(), 1);
    assert!(rest.get("members_after").is_none());
    let q = app
        .admin_get(&format!("{DIR}/groups"), &[("q", "BI")])
        .await;
    assert_eq!(q["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_users_page_shows_its_last_events_newest_first() {
    let app = TestApp::spawn().await;
    let id = person(&app, "ev", "Ev", "Ent", &[]).await;
    app.create_group("G", &[id.as_str()]).await;
    let shown = app.admin_get(&format!("{DIR}/users/{id}"), &[]).await;
    let types: Vec<&Value> = shown["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["type"])
        .collect();
    assert_eq!(
        types,
        [&json!("group.member_added"), &json!("user.created")]
    );
}
