//! Durability: SQLite syncs every commit by default, and a `kill -9` of scimd while 32 clients
//! write loses no acknowledged write and leaves nothing half-written, on either backend.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use reqwest::{Method, StatusCode};
use scimd::store::{Db, DbOptions};
use serde_json::{Value, json};

use crate::cli::{scimd, stdout};
use crate::helpers::{
    GROUP_SCHEMA, USER_SCHEMA, feed_page, fresh_database_url, get_events, page_events, patch_body,
    serve_args,
};
use crate::process::Serve;

#[tokio::test]
async fn serve_syncs_every_sqlite_commit_to_disk_by_default() {
    // Arrange: the database options `scimd serve` uses with no flags given.
    let options = scimd::cli::serve::db_options(&serve_args());
    let path = std::env::temp_dir().join(format!("scimd-sync-{}.db", uuid::Uuid::new_v4()));

    // Act
    let db = Db::connect(&format!("sqlite://{}", path.display()), &options)
        .await
        .unwrap();
    let (synchronous,): (i64,) = db
        .autocommit()
        .fetch_one("PRAGMA synchronous", Vec::new())
        .await
        .unwrap();

    // Assert: 2 is FULL (1 would be NORMAL, which may lose acknowledged commits on power loss).
    assert_eq!(synchronous, 2);
    db.close().await;
    let _ = std::fs::remove_file(&path);
}

/// Clients writing at once while the server is killed.
const WRITERS: usize = 32;

/// What one writer was told was done.
#[derive(Debug, Default)]
struct Acknowledged {
    /// Created users: id → userName.
    users: BTreeMap<String, String>,
    /// Users whose PATCH (title and active in one request) was answered 200.
    patched: BTreeSet<String>,
    /// `(group id, user id)` whose member add was answered 204.
    members: BTreeSet<(String, String)>,
}

/// A SCIM client of one server process.
#[derive(Clone)]
struct Client {
    http: reqwest::Client,
    origin: String,
    token: String,
}

impl Client {
    /// Sends a SCIM request; `None` if it got no answer (the server was killed).
    async fn send(&self, method: Method, path: &str, body: Option<Value>) -> Option<(u16, Value)> {
        let mut req = self
            .http
            .request(method, format!("{}/scim/v2{path}", self.origin))
            .bearer_auth(&self.token)
            .timeout(Duration::from_secs(20));
        if let Some(body) = body {
            req = req
                .header("Content-Type", "application/scim+json")
                .body(body.to_string());
        }
        let resp = req.send().await.ok()?;
        let status = resp.status().as_u16();
        let text = resp.text().await.ok()?;
        Some((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
    }

    async fn get(&self, path: &str) -> Value {
        let (status, body) = self.send(Method::GET, path, None).await.expect("answer");
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }
}

/// One writer: its own group, then rounds of create user → PATCH it → add it to the group,
/// each write recorded once answered, until a request gets no answer. Any answer other than
/// success fails the test: a crash may cut a write off, never refuse one.
async fn write_until_killed(client: Client, n: usize, done: Arc<AtomicUsize>) -> Acknowledged {
    let mut ack = Acknowledged::default();
    let group = json!({"schemas": [GROUP_SCHEMA], "displayName": format!("team-{n}")});
    let Some((201, group)) = client.send(Method::POST, "/Groups", Some(group)).await else {
        return ack;
    };
    let gid = group["id"].as_str().expect("group id").to_owned();
    for round in 0.. {
        let name = format!("w{n}-{round}@example.com");
        let user = json!({"schemas": [USER_SCHEMA], "userName": name,
            "name": {"givenName": "W", "familyName": format!("{n}")},
            "emails": [{"value": name, "type": "work", "primary": true}]});
        let Some((status, user)) = client.send(Method::POST, "/Users", Some(user)).await else {
            break;
        };
        assert_eq!(status, 201, "{user}");
        let uid = user["id"].as_str().expect("user id").to_owned();
        ack.users.insert(uid.clone(), name);
        done.fetch_add(1, Ordering::Relaxed);

        let patch = patch_body(json!([
            {"op": "replace", "path": "title", "value": format!("round {round}")},
            {"op": "replace", "path": "active", "value": false},
        ]));
        let Some((status, body)) = client
            .send(Method::PATCH, &format!("/Users/{uid}"), Some(patch))
            .await
        else {
            break;
        };
        assert_eq!(status, 200, "{body}");
        ack.patched.insert(uid.clone());
        done.fetch_add(1, Ordering::Relaxed);

        let add = patch_body(json!([{"op": "add", "path": "members", "value": [{"value": uid}]}]));
        let Some((status, body)) = client
            .send(Method::PATCH, &format!("/Groups/{gid}"), Some(add))
            .await
        else {
            break;
        };
        assert_eq!(status, 204, "{body}");
        ack.members.insert((gid.clone(), uid));
        done.fetch_add(1, Ordering::Relaxed);
    }
    ack
}

/// Rows that point at nothing: value rows without their user, memberships without their group
/// or member.
async fn orphan_rows(url: &str) -> i64 {
    let db = Db::connect(url, &DbOptions::default()).await.unwrap();
    let (orphans,): (i64,) = db
        .autocommit()
        .fetch_one(
            "SELECT (SELECT COUNT(*) FROM user_values v WHERE NOT EXISTS \
                 (SELECT 1 FROM users u WHERE u.tenant_id = v.tenant_id AND u.id = v.user_id)) \
             + (SELECT COUNT(*) FROM group_members m WHERE NOT EXISTS \
                 (SELECT 1 FROM groups g WHERE g.tenant_id = m.tenant_id AND g.id = m.group_id) \
                 OR (m.user_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM users u \
                     WHERE u.tenant_id = m.tenant_id AND u.id = m.user_id)))",
            Vec::new(),
        )
        .await
        .unwrap();
    db.close().await;
    orphans
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_kill_9_during_32_writers_every_acknowledged_write_is_there_and_none_half_written() {
    // Arrange: the binary with its defaults, tokens from the CLI.
    let url = fresh_database_url().await;
    let token = |args: &[&str]| stdout(&scimd(&url, args)).trim().to_owned();
    let scim_token = token(&["token", "create", "--name", "idp"]);
    let admin_token = token(&["token", "create", "--name", "app", "--admin"]);
    let mut server = Serve::new(&url).start().await;
    let client = Client {
        http: reqwest::Client::new(),
        origin: server.origin.clone(),
        token: scim_token.clone(),
    };

    // Act: 32 writers; kill -9 once 300 writes were acknowledged (or after 10 s).
    let done = Arc::new(AtomicUsize::new(0));
    let writers: Vec<_> = (0..WRITERS)
        .map(|n| tokio::spawn(write_until_killed(client.clone(), n, done.clone())))
        .collect();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while done.load(Ordering::Relaxed) < 300 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.kill();
    let mut ack = Acknowledged::default();
    for writer in writers {
        let one = tokio::time::timeout(Duration::from_secs(30), writer)
            .await
            .expect("writers stop once the server is gone")
            .expect("writer");
        ack.users.extend(one.users);
        ack.patched.extend(one.patched);
        ack.members.extend(one.members);
    }
    eprintln!(
        "acknowledged before the kill: {} creates, {} patches, {} member adds",
        ack.users.len(),
        ack.patched.len(),
        ack.members.len()
    );
    assert!(
        ack.users.len() >= 10,
        "few writes before the kill: {}",
        ack.users.len()
    );
    let restarted = Serve::new(&url).start().await;
    let client = Client {
        origin: restarted.origin.clone(),
        ..client
    };

    // Assert: every acknowledged write is there…
    for (uid, name) in &ack.users {
        let user = client.get(&format!("/Users/{uid}")).await;
        assert_eq!(user["userName"], json!(name), "{user}");
        assert_eq!(user["emails"][0]["value"], json!(name), "{user}");
        if ack.patched.contains(uid) {
            assert_eq!(user["active"], json!(false), "{user}");
        }
    }
    let mut members: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (gid, uid) in &ack.members {
        if !members.contains_key(gid) {
            let group = client.get(&format!("/Groups/{gid}")).await;
            let values = group["members"].as_array().cloned().unwrap_or_default();
            let ids = values.iter().filter_map(|m| m["value"].as_str());
            members.insert(gid.clone(), ids.map(str::to_owned).collect());
        }
        assert!(members[gid].contains(uid), "member {uid} of {gid} lost");
    }
    // …and nothing is half-written: every user has its email (a value row) and, if patched,
    // both changes of its PATCH; every stored row has what it refers to; every user has its
    // creation event (recorded in the same transaction).
    let page = client.get("/Users?count=1000").await;
    let users = page["Resources"].as_array().cloned().unwrap_or_default();
    assert!(users.len() >= ack.users.len(), "{} users", users.len());
    for user in &users {
        assert_eq!(user["emails"][0]["value"], user["userName"], "{user}");
        let patched = user.get("title").is_some();
        assert_eq!(
            user["active"] == json!(false),
            patched,
            "half a PATCH: {user}"
        );
    }
    assert_eq!(orphan_rows(&url).await, 0, "rows that refer to nothing");
    let mut created = BTreeSet::new();
    let mut after: Option<String> = None;
    loop {
        let mut query = vec![("limit", "1000"), ("types", "user.created")];
        if let Some(a) = &after {
            query.push(("after", a));
        }
        let resp = get_events(&client.http, &client.origin, &admin_token, &query).await;
        let page = feed_page(resp, &query).await;
        let events = page_events(&page);
        if events.is_empty() {
            break;
        }
        created.extend(
            events
                .iter()
                .map(|e| e["data"]["id"].as_str().unwrap().to_owned()),
        );
        after = page["after"].as_str().map(str::to_owned);
    }
    let stored: BTreeSet<String> = users
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        created, stored,
        "each stored user has its user.created event, and only they"
    );
    let ready = client
        .http
        .get(format!("{}/readyz", client.origin))
        .send()
        .await
        .unwrap();
    assert_eq!(
        ready.status(),
        StatusCode::OK,
        "the restarted server is ready"
    );
}
