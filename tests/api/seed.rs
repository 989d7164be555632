//! `scimd dev seed`: rows inserted straight through the storage layer are served, filtered,
//! patched and deleted over HTTP exactly like provisioned ones, and seeded events are read from
//! the feed like recorded ones.

use std::collections::BTreeSet;
use std::process::{Command, Output};

use reqwest::StatusCode;
use scimd::auth::Scope;
use scimd::store::seed::{user_attributes, user_id};
use scimd::store::seed_events::event_type;
use serde_json::{Value, json};
use tokio::sync::oneshot;

use crate::helpers::{ENTERPRISE, PATCH_OP, fresh_database_url};

fn scimd(database_url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scimd"))
        .args(args)
        .env("SCIMD_DATABASE_URL", database_url)
        .output()
        .expect("run scimd")
}

fn seed(database_url: &str, args: &[&str]) -> String {
    let out = scimd(database_url, &[&["dev", "seed"], args].concat());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A server on an existing database, with a token.
struct Server {
    base: String,
    token: String,
    /// For the host application's API (`/api/v1`).
    admin_token: String,
    client: reqwest::Client,
    _stop: oneshot::Sender<()>,
}

impl Server {
    async fn start(database_url: &str) -> Self {
        let db = scimd::cli::open(database_url, &Default::default())
            .await
            .expect("open database");
        let mut args = crate::helpers::serve_args();
        args.db_max_connections = Some(4);
        let app = scimd::cli::serve::Application::build(db, &args, None)
            .await
            .expect("build application");
        let base = app.state().base_url.clone();
        let token = app.state().auth.issue("seed-test", None).await.unwrap();
        let admin_token = app
            .state()
            .auth
            .issue_scoped("seed-admin", Scope::Admin, None)
            .await
            .unwrap();
        let (stop, rx) = oneshot::channel::<()>();
        tokio::spawn(app.run_until(async {
            let _ = rx.await;
        }));
        Server {
            base,
            token,
            admin_token,
            client: reqwest::Client::new(),
            _stop: stop,
        }
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> (StatusCode, Value) {
        let resp = req.bearer_auth(&self.token).send().await.expect("request");
        let status = resp.status();
        let body = resp.text().await.expect("body");
        (status, serde_json::from_str(&body).unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str) -> Value {
        let (status, body) = self
            .send(self.client.get(format!("{}{path}", self.base)))
            .await;
        assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
        body
    }

    async fn list(&self, endpoint: &str, filter: &str) -> Value {
        let req = self
            .client
            .get(format!("{}{endpoint}", self.base))
            .query(&[("filter", filter)]);
        let (status, body) = self.send(req).await;
        assert_eq!(status, StatusCode::OK, "filter {filter}: {body}");
        body
    }
}

impl Server {
    /// `GET /api/v1{path}` with the admin token, which must answer `200`.
    async fn admin_get(&self, path: &str) -> Value {
        let url = self.base.replace("/scim/v2", &format!("/api/v1{path}"));
        let resp = self.client.get(&url).bearer_auth(&self.admin_token);
        let resp = resp.send().await.expect("request");
        let status = resp.status();
        let body: Value = resp.json().await.expect("JSON body");
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        body
    }

    /// A page of the event feed (`GET /api/v1/events`) with these query parameters.
    async fn events(&self, query: &[(&str, &str)]) -> Value {
        let url = self.base.replace("/scim/v2", "/api/v1/events");
        let resp = self
            .client
            .get(&url)
            .query(query)
            .bearer_auth(&self.admin_token)
            .send()
            .await
            .expect("request");
        let status = resp.status();
        let body: Value = resp.json().await.expect("JSON body");
        assert_eq!(status, StatusCode::OK, "events {query:?}: {body}");
        body
    }
}

fn ids(values: &Value) -> BTreeSet<String> {
    values
        .as_array()
        .into_iter()
        .flatten()
        .map(|v| v["value"].as_str().expect("value").to_owned())
        .collect()
}

#[tokio::test]
async fn seeded_users_and_groups_are_served_like_provisioned_ones() {
    // Arrange
    let url = fresh_database_url().await;
    let summary = seed(
        &url,
        &[
            "--users",
            "300",
            "--groups",
            "5",
            "--group-size",
            "20",
            "--large-group-size",
            "150",
        ],
    );
    let server = Server::start(&url).await;

    // Act
    let all = server.get("/Users?count=0").await;
    let by_name = server
        .list("/Users", r#"userName eq "user7@example.com""#)
        .await;
    let by_email = server
        .list("/Users", r#"emails.value eq "USER7@example.com""#)
        .await;
    let family_m = server.list("/Users", r#"name.familyName sw "m""#).await;
    let inactive = server.list("/Users", "active eq false").await;
    let groups = server.get("/Groups?count=100").await;

    // Assert
    assert_eq!(summary.lines().count(), 1, "one summary line: {summary}");
    assert!(
        summary.starts_with("users=300 first_user=1 groups=6 "),
        "{summary}"
    );
    assert_eq!(all["totalResults"], 300);
    assert_eq!(by_name["totalResults"], 1);
    let user = &by_name["Resources"][0];
    let expected = user_attributes(1, 7);
    assert_eq!(user["id"], json!(user_id(1, 7)));
    assert_eq!(user["externalId"], "ext-7");
    assert_eq!(user["name"], expected["name"]);
    assert_eq!(user["displayName"], expected["displayName"]);
    assert_eq!(user["title"], expected["title"]);
    assert_eq!(
        user[ENTERPRISE]["department"],
        expected[ENTERPRISE]["department"]
    );
    assert_eq!(user["active"], true);
    assert_eq!(
        user["emails"],
        json!([{"value": "user7@example.com", "type": "work", "primary": true}])
    );
    assert_eq!(by_email["Resources"][0]["id"], user["id"]);
    assert_eq!(family_m["totalResults"], 300 / 6, "every sixth user");
    assert_eq!(inactive["totalResults"], 300 / 10, "every tenth user");
    assert_eq!(groups["totalResults"], 6);
    let sizes: Vec<(String, usize)> = groups["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            let name = g["displayName"].as_str().unwrap().to_owned();
            (name, g["members"].as_array().map_or(0, Vec::len))
        })
        .collect();
    let expected_sizes: Vec<(String, usize)> = (1..=5)
        .map(|j| (format!("group-{j}"), 20))
        .chain([("large".to_owned(), 150)])
        .collect();
    assert_eq!(sizes, expected_sizes);
}

#[tokio::test]
async fn a_seeded_user_lists_its_groups_and_can_be_patched_and_deleted() {
    // Arrange
    let url = fresh_database_url().await;
    seed(
        &url,
        &[
            "--users",
            "40",
            "--groups",
            "4",
            "--group-size",
            "15",
            "--seed",
            "9",
        ],
    );
    let server = Server::start(&url).await;
    let groups = server.get("/Groups").await;
    let groups = groups["Resources"].as_array().unwrap();
    let member = groups[0]["members"][0]["value"]
        .as_str()
        .unwrap()
        .to_owned();
    let member_of: BTreeSet<String> = groups
        .iter()
        .filter(|g| ids(&g["members"]).contains(&member))
        .map(|g| g["id"].as_str().unwrap().to_owned())
        .collect();
    let path = format!("{}/Users/{member}", server.base);

    // Act
    let user = server.get(&format!("/Users/{member}")).await;
    let patch = json!({
        "schemas": [PATCH_OP],
        "Operations": [{"op": "replace", "path": "name.familyName", "value": "Zed"}]
    });
    let (patched_status, patched) = server
        .send(
            server
                .client
                .patch(&path)
                .header("Content-Type", "application/scim+json")
                .body(patch.to_string()),
        )
        .await;
    let found = server.list("/Users", r#"name.familyName eq "zed""#).await;
    let (deleted, _) = server.send(server.client.delete(&path)).await;
    let (gone, _) = server.send(server.client.get(&path)).await;
    let group = server
        .get(&format!("/Groups/{}", groups[0]["id"].as_str().unwrap()))
        .await;

    // Assert
    assert_eq!(ids(&user["groups"]), member_of);
    assert!(
        user["groups"]
            .as_array()
            .unwrap()
            .iter()
            .all(|g| g["display"].as_str().unwrap().starts_with("group-")),
        "{user}"
    );
    assert_eq!(patched_status, StatusCode::OK, "{patched}");
    assert_eq!(patched["name"]["familyName"], "Zed");
    assert_ne!(patched["meta"]["version"], user["meta"]["version"]);
    assert_eq!(found["totalResults"], 1);
    assert_eq!(deleted, StatusCode::NO_CONTENT);
    assert_eq!(gone, StatusCode::NOT_FOUND);
    assert_eq!(server.get("/Users?count=0").await["totalResults"], 39);
    assert_eq!(group["members"].as_array().unwrap().len(), 14);
    assert!(!ids(&group["members"]).contains(&member));
}

#[tokio::test]
async fn seeding_refuses_a_database_with_users_unless_appending() {
    // Arrange
    let url = fresh_database_url().await;
    seed(
        &url,
        &["--users", "10", "--groups", "2", "--group-size", "3"],
    );

    // Act
    let refused = scimd(&url, &["dev", "seed", "--users", "5"]);
    let appended = seed(
        &url,
        &[
            "--users",
            "5",
            "--groups",
            "1",
            "--group-size",
            "5",
            "--append",
        ],
    );

    // Assert
    assert!(!refused.status.success());
    assert!(refused.stdout.is_empty());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--append"));
    assert!(
        appended.starts_with("users=5 first_user=11 groups=1 first_group=3 memberships=5 "),
        "{appended}"
    );
    let server = Server::start(&url).await;
    assert_eq!(server.get("/Users?count=0").await["totalResults"], 15);
    let last = server
        .list("/Users", r#"userName eq "user15@example.com""#)
        .await;
    assert_eq!(last["totalResults"], 1);
    let third = server.list("/Groups", r#"displayName eq "group-3""#).await;
    assert_eq!(
        third["Resources"][0]["members"].as_array().unwrap().len(),
        5
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeding_many_directories_gives_each_its_own_users() {
    // Arrange
    let url = fresh_database_url().await;

    // Act
    let summary = seed(&url, &["--directories", "3", "--users", "4"]);

    // Assert: one summary line per directory, and each directory holds its own four users,
    // numbered from 1 and drawn from its own seed (the seed plus its number).
    assert_eq!(summary.lines().count(), 3, "{summary}");
    let server = Server::start(&url).await;
    for n in 1..=3u64 {
        let directory = format!("dir-{n:04}");
        let shown = server.admin_get(&format!("/directories/{directory}")).await;
        let users = &shown["users"];
        let total: u64 = ["active", "inactive", "suspended"]
            .iter()
            .map(|s| users[s].as_u64().unwrap_or(0))
            .sum();
        assert_eq!(total, 4, "{directory}: {shown}");
        let id = user_id(1 + n, 4);
        let user = server
            .admin_get(&format!("/directories/{directory}/users/{id}"))
            .await;
        assert_eq!(
            user["user_name"], "user4@example.com",
            "{directory}: {user}"
        );
    }
}

#[tokio::test]
async fn seeded_events_are_served_by_the_feed_in_order_after_any_cursor() {
    // Arrange
    let url = fresh_database_url().await;
    let summary = seed(&url, &["--users", "40", "--events", "250", "--seed", "3"]);
    let server = Server::start(&url).await;
    let event_id = |position: i64| format!("evt_{position:016x}");

    // Act
    let mut walked = Vec::new();
    let mut after = String::new();
    for _ in 0..4 {
        let page = server.events(&[("after", &after), ("limit", "100")]).await;
        walked.extend(page["data"].as_array().unwrap().iter().cloned());
        after = page["after"].as_str().unwrap().to_owned();
    }
    let deep = server
        .events(&[("after", &event_id(137)), ("limit", "100")])
        .await;
    let deactivated = server
        .events(&[("types", "user.deactivated"), ("limit", "1000")])
        .await;

    // Assert
    assert!(summary.contains(" events=250 first_event=1 "), "{summary}");
    let ids: Vec<&str> = walked.iter().map(|e| e["id"].as_str().unwrap()).collect();
    let expected: Vec<String> = (1..=250).map(event_id).collect();
    assert_eq!(ids, expected);
    assert_eq!(after, event_id(250));
    for (e, position) in walked.iter().zip(1..) {
        assert_eq!(e["type"], event_type(3, position), "{e}");
        assert_eq!(e["directory"], "default");
        // SQL NULL, not a JSON null: the key is absent exactly when there is nothing to list.
        let updates = ["user.updated", "user.deactivated"].contains(&e["type"].as_str().unwrap());
        assert_eq!(e.get("previous_attributes").is_some(), updates, "{e}");
        if e["type"] != "group.member_added" {
            assert_eq!(e["data"]["meta"]["resourceType"], "User", "{e}");
        }
    }
    let deep_ids: Vec<&str> = deep["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert_eq!(deep_ids, expected[137..237].to_vec());
    let deactivated: Vec<&Value> = deactivated["data"].as_array().unwrap().iter().collect();
    assert_eq!(
        deactivated.len(),
        (1..=250)
            .filter(|p| event_type(3, *p) == "user.deactivated")
            .count()
    );
    assert!(deactivated.iter().all(|e| e["data"]["active"] == false));
}
