//! The feed's guarantee under concurrent writers: a reader walking `after` sees every committed
//! change exactly once, and the events of one resource in commit order (`meta.version` rising).
//! Checked in one process on both backends, and with two `scimd` processes sharing one
//! PostgreSQL database, where transactions commit out of order and the sequencer must still
//! never let a reader pass an event that commits late.

use std::collections::{BTreeMap, HashMap};
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{
    TestApp, USER_SCHEMA, feed_page, fresh_database_url, get_events, id, page_events, patch_body,
    postgres_url,
};
use crate::process::Serve;

/// Where requests go: one server's origin (`http://host:port`) and the tokens to use there.
#[derive(Clone)]
struct Target {
    client: reqwest::Client,
    origin: String,
    scim_token: String,
    admin_token: String,
}

impl Target {
    async fn of(app: &TestApp) -> Self {
        Self {
            client: app.client.clone(),
            origin: app.address.clone(),
            scim_token: app.token.clone(),
            admin_token: app.admin_token().await,
        }
    }

    /// Sends a SCIM request; asserts `status` and returns the body.
    async fn scim(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Value,
        status: StatusCode,
    ) -> Value {
        let resp = self
            .client
            .request(method.clone(), format!("{}/scim/v2{path}", self.origin))
            .bearer_auth(&self.scim_token)
            .header("Content-Type", "application/scim+json")
            .body(body.to_string())
            .send()
            .await
            .expect("request");
        let got = resp.status();
        let text = resp.text().await.expect("body");
        assert_eq!(got, status, "{method} {path} on {}: {text}", self.origin);
        serde_json::from_str(&text).expect("json")
    }
}

/// What the writers were told was committed.
#[derive(Debug, Default)]
struct Committed {
    /// Ids of created users.
    created: Vec<String>,
    /// `(id, meta.version)` answered by each successful PATCH.
    patched: Vec<(String, String)>,
}

/// Runs `writers` concurrent writers spread over `targets`, `rounds` rounds each. A round
/// creates a user and then patches it, while it also patches one of the `shared` users (which
/// every writer patches, so their row locks are contended). Every PATCH sets a new value, so
/// every one of them is a change. Returns what succeeded; any other answer fails the test.
async fn write_concurrently(
    targets: &[Target],
    shared: &[String],
    writers: usize,
    rounds: usize,
) -> Committed {
    let results = join_all((0..writers).map(|w| {
        let target = targets[w % targets.len()].clone();
        let shared = shared.to_vec();
        async move {
            let mut committed = Committed::default();
            for r in 0..rounds {
                let tag = format!("w{w}-r{r}");
                let own = async {
                    let body = json!({"schemas": [USER_SCHEMA], "userName": tag});
                    let user = target
                        .scim(reqwest::Method::POST, "/Users", body, StatusCode::CREATED)
                        .await;
                    let ops = patch_body(json!([{"op": "add", "path": "nickName", "value": tag}]));
                    let path = format!("/Users/{}", id(&user));
                    let patched = target
                        .scim(reqwest::Method::PATCH, &path, ops, StatusCode::OK)
                        .await;
                    (id(&user), patched)
                };
                let other = async {
                    let path = format!("/Users/{}", shared[(w + r) % shared.len()]);
                    let ops = patch_body(json!([{"op": "replace", "path": "title", "value": tag}]));
                    target
                        .scim(reqwest::Method::PATCH, &path, ops, StatusCode::OK)
                        .await
                };
                let ((uid, own_patch), shared_patch) = tokio::join!(own, other);
                committed.created.push(uid);
                for p in [own_patch, shared_patch] {
                    committed.patched.push((id(&p), version(&p).to_owned()));
                }
            }
            committed
        }
    }))
    .await;
    results
        .into_iter()
        .fold(Committed::default(), |mut all, c| {
            all.created.extend(c.created);
            all.patched.extend(c.patched);
            all
        })
}

/// A resource body's `meta.version`.
fn version(resource: &Value) -> &str {
    resource["meta"]["version"].as_str().expect("meta.version")
}

/// The number in a `W/"n"` (or `W/"n-…"`) version.
fn version_number(tag: &str) -> u64 {
    let inner = tag.trim_start_matches("W/").trim_matches('"');
    let n = inner.split('-').next().unwrap_or(inner);
    n.parse()
        .unwrap_or_else(|_| panic!("version {tag} is not W/\"n\""))
}

/// Walks the feed from `after` while `done` is false, page after page, taking turns over
/// `targets` and long-polling when it has caught up; once `done` is set, it reads until a page
/// that started after `done` comes back empty. Returns every event read, in order.
async fn read_until_done(
    targets: Vec<Target>,
    after: Option<String>,
    done: Arc<AtomicBool>,
) -> Vec<Value> {
    let mut cursor = after;
    let mut events = Vec::new();
    for turn in 0.. {
        let finished = done.load(Ordering::SeqCst);
        let target = &targets[turn % targets.len()];
        let wait = if finished { "0" } else { "1" };
        let mut query = vec![("limit", "50"), ("wait", wait)];
        if let Some(c) = &cursor {
            query.push(("after", c.as_str()));
        }
        let page = feed_page(
            get_events(&target.client, &target.origin, &target.admin_token, &query).await,
            &query,
        )
        .await;
        if let Some(next) = page["after"].as_str() {
            cursor = Some(next.to_owned());
        }
        let data = page_events(&page);
        if data.is_empty() && finished {
            break;
        }
        events.extend(data);
    }
    events
}

/// Asserts that `events` (a walk of the feed from before the writers started) hold each change
/// in `committed` exactly once and nothing else, in feed order, with each resource's versions
/// strictly rising.
fn assert_feed_matches(events: &[Value], committed: &Committed) {
    let ids: Vec<&str> = events
        .iter()
        .map(|e| e["id"].as_str().expect("id"))
        .collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "event ids rise strictly along the walk (no event twice)"
    );
    let mut seen: HashMap<(&str, &str, &str), usize> = HashMap::new();
    let mut versions: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    for e in events {
        let kind = e["type"].as_str().expect("type");
        let data = &e["data"];
        let resource = data["id"].as_str().expect("data.id");
        let v = version(data);
        *seen.entry((kind, resource, v)).or_default() += 1;
        versions
            .entry(resource)
            .or_default()
            .push(version_number(v));
    }
    for uid in &committed.created {
        let n = seen
            .iter()
            .filter(|((k, r, _), _)| *k == "user.created" && r == uid)
            .map(|(_, n)| n)
            .sum::<usize>();
        assert_eq!(n, 1, "user {uid} created once");
    }
    for (uid, v) in &committed.patched {
        assert_eq!(
            seen.get(&("user.updated", uid.as_str(), v.as_str())),
            Some(&1),
            "the PATCH of {uid} that answered version {v} has one event"
        );
    }
    assert_eq!(
        events.len(),
        committed.created.len() + committed.patched.len(),
        "nothing but the committed changes"
    );
    for (resource, vs) in versions {
        assert!(
            vs.windows(2).all(|w| w[0] < w[1]),
            "{resource}: versions rise in feed order: {vs:?}"
        );
    }
}

/// Creates the users every writer patches; returns their ids.
async fn shared_users(target: &Target, n: usize) -> Vec<String> {
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let body = json!({"schemas": [USER_SCHEMA], "userName": format!("shared{i}")});
        ids.push(id(&target
            .scim(reqwest::Method::POST, "/Users", body, StatusCode::CREATED)
            .await));
    }
    ids
}

/// The cursor at the end of the feed, read through `target`.
async fn feed_end(target: &Target) -> Option<String> {
    let mut cursor: Option<String> = None;
    loop {
        let mut query = vec![("limit", "1000")];
        if let Some(c) = &cursor {
            query.push(("after", c.as_str()));
        }
        let page = feed_page(
            get_events(&target.client, &target.origin, &target.admin_token, &query).await,
            &query,
        )
        .await;
        let empty = page_events(&page).is_empty();
        cursor = page["after"].as_str().map(str::to_owned).or(cursor);
        if empty {
            return cursor;
        }
    }
}

/// Writes concurrently through `writers_at` while one reader walks the feed through
/// `readers_at`, then checks the walk against what the writers were told.
async fn check_ordering(
    writers_at: &[Target],
    readers_at: Vec<Target>,
    writers: usize,
    rounds: usize,
) {
    // Arrange
    let shared = shared_users(&writers_at[0], 4).await;
    let start = feed_end(&readers_at[0]).await;
    let done = Arc::new(AtomicBool::new(false));
    let reader = tokio::spawn(read_until_done(readers_at, start, done.clone()));

    // Act
    let committed = write_concurrently(writers_at, &shared, writers, rounds).await;
    done.store(true, Ordering::SeqCst);

    // Assert
    let events = tokio::time::timeout(Duration::from_secs(60), reader)
        .await
        .expect("the reader reaches the end")
        .expect("reader task");
    assert_eq!(committed.created.len(), writers * rounds);
    assert_feed_matches(&events, &committed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_in_one_process_feed_every_change_once_in_version_order() {
    let app = TestApp::spawn().await;
    let target = Target::of(&app).await;

    check_ordering(std::slice::from_ref(&target), vec![target.clone()], 8, 8).await;
}

/// Runs a `scimd` command on `database_url`.
fn scimd(database_url: &str, args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_scimd"))
        .args(args)
        .env("SCIMD_DATABASE_URL", database_url)
        .env_remove("SCIMD_JWT_SECRET")
        .output()
        .expect("run scimd");
    assert!(
        out.status.success(),
        "scimd {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_servers_on_one_postgres_database_feed_every_change_once_in_version_order() {
    if postgres_url("two servers can share only a PostgreSQL database").is_none() {
        return;
    }
    // Arrange: tokens made by the CLI, then two servers on the same database.
    let url = fresh_database_url().await;
    let token = |args: &[&str]| {
        String::from_utf8_lossy(&scimd(&url, args).stdout)
            .trim()
            .to_owned()
    };
    let scim_token = token(&["token", "create", "--name", "t"]);
    let admin_token = token(&["token", "create", "--name", "app", "--admin"]);
    let servers = [
        Serve::new(&url).start().await,
        Serve::new(&url).start().await,
    ];
    let client = reqwest::Client::new();
    let targets: Vec<Target> = servers
        .iter()
        .map(|server| Target {
            client: client.clone(),
            origin: server.origin.clone(),
            scim_token: scim_token.clone(),
            admin_token: admin_token.clone(),
        })
        .collect();

    check_ordering(&targets, targets.clone(), 12, 10).await;
}
