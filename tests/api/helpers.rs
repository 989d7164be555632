//! `TestApp`: the real server on an ephemeral port against a fresh database — a new SQLite file
//! by default, or a new PostgreSQL database when `TEST_DATABASE_URL` is set (then an unreachable
//! server fails the test; it never skips).

use std::sync::{Arc, OnceLock};

use clap::Parser;
use reqwest::{Method, Response, StatusCode};
use scimd::cli::serve::Application;
use scimd::config::{Cli, Command, ServeArgs};
use scimd::http::AppState;
use scimd::store::{Db, DbOptions};
use serde_json::{Value, json};
use tokio::sync::{OnceCell, oneshot};

pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
pub const BULK_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
pub const BULK_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";

/// A running scimd with a valid token.
pub struct TestApp {
    pub address: String,
    /// The server's database, for commands (`scimd …`) run against it.
    pub database_url: String,
    pub base: String,
    pub token: String,
    pub client: reqwest::Client,
    pub state: Arc<AppState>,
    /// The admin token, once [`TestApp::admin_token`] issued it.
    admin: OnceCell<String>,
    /// Stops the server when the last view of it is dropped.
    _shutdown: Arc<oneshot::Sender<()>>,
}

/// The options `scimd serve` runs with by default, on an ephemeral port.
pub fn serve_args() -> ServeArgs {
    match Cli::try_parse_from(["scimd", "serve", "--listen", "127.0.0.1:0"]) {
        Ok(Cli {
            command: Command::Serve(args),
            ..
        }) => args,
        other => panic!("serve arguments: {other:?}"),
    }
}

/// The `TEST_DATABASE_URL` of a test that needs PostgreSQL, or `None` when it is not set: the
/// caller then returns early, as on a laptop without PostgreSQL (the SQLite run). Under `CI`
/// (set and not `false` or `0`, as CI services set it) a missing URL fails the test instead, so
/// a CI that never gave the suite a PostgreSQL server cannot pass these tests as "ok".
pub fn postgres_url(why: &str) -> Option<String> {
    let env = |name| std::env::var(name).ok();
    match postgres_requirement(env("CI").as_deref(), env("TEST_DATABASE_URL")) {
        Ok(Some(url)) => Some(url),
        Ok(None) => {
            eprintln!("TEST_DATABASE_URL is not set, so this test does not run: {why}");
            None
        }
        Err(e) => panic!("{e}: {why}"),
    }
}

/// Whether a value of `CI` means CI: set, and neither empty, `false` nor `0`. Under CI a test
/// that lacks what it needs (PostgreSQL, a browser) fails instead of skipping.
pub fn is_ci(ci: Option<&str>) -> bool {
    ci.is_some_and(|v| {
        let v = v.trim();
        !v.is_empty() && !v.eq_ignore_ascii_case("false") && v != "0"
    })
}

/// The decision of [`postgres_url`] from the values of `CI` and `TEST_DATABASE_URL`.
fn postgres_requirement(ci: Option<&str>, url: Option<String>) -> Result<Option<String>, String> {
    match url.filter(|u| !u.trim().is_empty()) {
        Some(url) => Ok(Some(url)),
        None if is_ci(ci) => {
            Err("CI is set but TEST_DATABASE_URL is not, and this test needs PostgreSQL".into())
        }
        None => Ok(None),
    }
}

#[test]
fn a_test_that_needs_postgres_fails_in_ci_without_a_database_url() {
    let url = || Some("postgres://db/test".to_owned());
    let cases = [
        (None, None, Ok(None), "a laptop without PostgreSQL skips"),
        (Some("false"), None, Ok(None), "CI=false is not CI"),
        (Some("0"), None, Ok(None), "nor is CI=0"),
        (Some(""), None, Ok(None), "nor an empty CI"),
        (Some("true"), None, Err(()), "CI without a database fails"),
        (
            Some("1"),
            Some(String::new()),
            Err(()),
            "an empty URL is no URL",
        ),
        (Some("true"), url(), Ok(url()), "CI with a database runs"),
        (None, url(), Ok(url()), "so does a laptop with one"),
    ];
    for (ci, given, expected, reason) in cases {
        let got = postgres_requirement(ci, given).map_err(|_| ());
        assert_eq!(got, expected, "{reason}");
    }
}

/// A fresh, empty database URL for one test.
pub async fn fresh_database_url() -> String {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(admin_url) => {
            let name = format!("scimd_test_{}", uuid::Uuid::new_v4().simple());
            let admin = Db::connect(
                &admin_url,
                &DbOptions {
                    max_connections: Some(1),
                    ..DbOptions::default()
                },
            )
            .await
            .unwrap_or_else(|e| {
                panic!("TEST_DATABASE_URL is set but PostgreSQL is unreachable: {e}")
            });
            let Db::Postgres(pool) = &admin else {
                panic!("TEST_DATABASE_URL must be a postgres:// URL")
            };
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(pool)
                .await
                .expect("create test database");
            admin.close().await;
            let (base, _) = admin_url.rsplit_once('/').expect("database URL has a path");
            format!("{base}/{name}")
        }
        Err(_) => {
            let path = std::env::temp_dir()
                .join(format!("scimd-test-{}.db", uuid::Uuid::new_v4().simple()));
            format!("sqlite://{}", path.display())
        }
    }
}

impl TestApp {
    /// Starts the server on a fresh database.
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// Starts the server with adjusted options.
    pub async fn spawn_with(adjust: impl FnOnce(&mut ServeArgs)) -> Self {
        if std::env::var("TEST_LOG").is_ok() {
            scimd::telemetry::init(scimd::config::LogFormat::Text);
        }
        let database_url = fresh_database_url().await;
        let mut args = serve_args();
        adjust(&mut args);
        // Tests skip the per-commit fsync of the default `--sqlite-synchronous full`: a crash
        // of the test machine loses nothing that matters, and the suite runs faster.
        let options = DbOptions {
            sqlite_synchronous_normal: true,
            ..scimd::cli::serve::db_options(&args)
        };
        let db = scimd::cli::open(&database_url, &options)
            .await
            .expect("open database");
        let app = Application::build(db, &args, None)
            .await
            .expect("build application");
        let address = format!("http://{}", app.addr());
        let state = app.state().clone();
        let token = state.auth.issue("test", None).await.expect("issue token");
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(app.run_until(async {
            let _ = rx.await;
        }));
        TestApp {
            base: state.base_url.clone(),
            address,
            database_url,
            token,
            client: reqwest::Client::new(),
            state,
            admin: OnceCell::new(),
            _shutdown: Arc::new(tx),
        }
    }

    /// This server as another SCIM client sees it: `base` and `token` (a directory's SCIM base
    /// URL and token) for [`TestApp::request`] and the helpers built on it, and an HTTP client
    /// of its own (a client's pooled connections belong to the runtime that opened them).
    pub fn view(&self, base: &str, token: &str) -> TestApp {
        TestApp {
            address: self.address.clone(),
            database_url: self.database_url.clone(),
            base: base.to_owned(),
            token: token.to_owned(),
            client: reqwest::Client::new(),
            state: self.state.clone(),
            admin: self.admin.clone(),
            _shutdown: self._shutdown.clone(),
        }
    }

    /// The server `cell` holds, started on first use, shared by the tests of one module whose
    /// data cannot meet (each works in directories or on names of its own): one start instead
    /// of one per test. It runs on a runtime of its own, as each test has its own runtime and
    /// ends it; the admin token is issued there too, so a test reaches the server over HTTP
    /// only (`state` belongs to the server's runtime: leave it alone).
    pub fn shared(cell: &'static OnceLock<TestApp>) -> TestApp {
        let app = cell.get_or_init(|| {
            let (started, app) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .expect("runtime of the shared server");
                runtime.block_on(async move {
                    let app = TestApp::spawn().await;
                    app.admin_token().await;
                    started.send(app).expect("hand over the shared server");
                    std::future::pending::<()>().await
                })
            });
            app.recv().expect("the shared server started")
        });
        app.view(&app.base, &app.token)
    }

    /// Sends a request to `path` (relative to `/scim/v2`) with the test token.
    pub async fn request(&self, method: Method, path: &str, body: Option<Value>) -> Response {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            req = req
                .header("Content-Type", "application/scim+json")
                .body(body.to_string());
        }
        req.send().await.expect("request failed")
    }

    /// Sends a request like [`TestApp::request`] with extra headers, e.g. `If-Match`.
    pub async fn request_with(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Response {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        if let Some(body) = body {
            req = req
                .header("Content-Type", "application/scim+json")
                .body(body.to_string());
        }
        req.send().await.expect("request failed")
    }

    /// POSTs `body` as raw text to `path` (relative to the SCIM base) with an optional
    /// Content-Type: for bodies that are no valid JSON.
    pub async fn post_raw(
        &self,
        path: &str,
        content_type: Option<&str>,
        body: impl Into<String>,
    ) -> Response {
        let mut req = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .body(body.into());
        if let Some(ct) = content_type {
            req = req.header("Content-Type", ct);
        }
        req.send().await.expect("request")
    }

    pub async fn get(&self, path: &str) -> Response {
        self.request(Method::GET, path, None).await
    }
    pub async fn post(&self, path: &str, body: Value) -> Response {
        self.request(Method::POST, path, Some(body)).await
    }
    pub async fn put(&self, path: &str, body: Value) -> Response {
        self.request(Method::PUT, path, Some(body)).await
    }
    pub async fn patch(&self, path: &str, body: Value) -> Response {
        self.request(Method::PATCH, path, Some(body)).await
    }
    pub async fn delete(&self, path: &str) -> Response {
        self.request(Method::DELETE, path, None).await
    }

    /// `GET {path}` with query parameters (encoded by reqwest).
    pub async fn get_query(&self, path: &str, query: &[(&str, &str)]) -> Response {
        self.client
            .get(format!("{}{path}", self.base))
            .query(query)
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("request failed")
    }

    /// Like [`TestApp::get_query`]; asserts `200` and returns the SCIM JSON body.
    pub async fn get_query_ok(&self, path: &str, query: &[(&str, &str)]) -> Value {
        let resp = self.get_query(path, query).await;
        assert_eq!(resp.status(), StatusCode::OK, "{path} {query:?}");
        scim_json(resp).await
    }

    /// Creates a user named `user_name` and returns its JSON.
    pub async fn create_user(&self, user_name: &str) -> Value {
        let resp = self
            .post(
                "/Users",
                json!({"schemas": [USER_SCHEMA], "userName": user_name}),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::CREATED, "creating {user_name}");
        resp.json().await.expect("json")
    }

    /// Creates a group with the given member ids and returns its JSON.
    pub async fn create_group(&self, name: &str, members: &[&str]) -> Value {
        let members: Vec<Value> = members.iter().map(|m| json!({"value": m})).collect();
        let resp = self
            .post(
                "/Groups",
                json!({"schemas": [GROUP_SCHEMA], "displayName": name, "members": members}),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::CREATED, "creating group {name}");
        resp.json().await.expect("json")
    }

    /// `POST /Bulk` with `body`; asserts `200` and a BulkResponse, and returns its operations.
    pub async fn bulk(&self, body: Value) -> Vec<Value> {
        let resp = self.post("/Bulk", body).await;
        let status = resp.status();
        let text = resp.text().await.expect("body");
        assert_eq!(status, StatusCode::OK, "{text}");
        let answer: Value = serde_json::from_str(&text).expect("json");
        assert_eq!(answer["schemas"], json!([BULK_RESPONSE]), "{answer}");
        answer["Operations"]
            .as_array()
            .cloned()
            .expect("Operations")
    }

    /// Lists with a filter and returns the ListResponse.
    pub async fn list(&self, endpoint: &str, filter: &str) -> Value {
        let resp = self
            .client
            .get(format!("{}{endpoint}", self.base))
            .query(&[("filter", filter)])
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("request");
        assert_eq!(resp.status(), StatusCode::OK, "filter {filter}");
        resp.json().await.expect("json")
    }
}

/// Reads a JSON body, checking the SCIM media type.
pub async fn scim_json(resp: Response) -> Value {
    let ct = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(ct.starts_with("application/scim+json"), "content type {ct}");
    resp.json().await.expect("json body")
}

/// Asserts a SCIM Error response with `status` and `scim_type`; returns the body.
pub async fn assert_scim_error(resp: Response, status: u16, scim_type: Option<&str>) -> Value {
    assert_eq!(resp.status().as_u16(), status, "status");
    let body = scim_json(resp).await;
    assert_eq!(body["schemas"], json!([ERROR_SCHEMA]), "{body}");
    assert_eq!(body["status"], json!(status.to_string()), "{body}");
    assert_eq!(
        body.get("scimType").and_then(Value::as_str),
        scim_type,
        "{body}"
    );
    assert!(
        body["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{body}"
    );
    body
}

/// The `id` of a resource body.
pub fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_owned()
}

/// The `value`s of a multi-valued attribute (`members`, `groups`, …) in a body, sorted.
pub fn sorted_values(body: &Value, attr: &str) -> Vec<String> {
    let mut values: Vec<String> = body
        .get(attr)
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .map(|v| v["value"].as_str().expect("value").to_owned())
                .collect()
        })
        .unwrap_or_default();
    values.sort();
    values
}

/// A BulkRequest body with `operations`.
pub fn bulk_body(operations: Value) -> Value {
    json!({"schemas": [BULK_REQUEST], "Operations": operations})
}

/// A PatchOp request body with `operations`.
pub fn patch_body(operations: Value) -> Value {
    json!({"schemas": [PATCH_OP], "Operations": operations})
}

/// The name of the admin token [`TestApp::admin_token`] issues.
pub const ADMIN_TOKEN_NAME: &str = "app";

/// `GET {origin}/api/v1/events` with `query`, authenticated by `token`.
pub async fn get_events(
    client: &reqwest::Client,
    origin: &str,
    token: &str,
    query: &[(&str, &str)],
) -> Response {
    client
        .get(format!("{origin}/api/v1/events"))
        .query(query)
        .bearer_auth(token)
        .send()
        .await
        .expect("events request failed")
}

/// Asserts a `200` page of the feed and returns it (`{"data": [...], "after": ...}`).
pub async fn feed_page(resp: Response, query: &[(&str, &str)]) -> Value {
    let status = resp.status();
    let body = resp.text().await.expect("body");
    assert_eq!(status, StatusCode::OK, "events {query:?}: {body}");
    let page: Value = serde_json::from_str(&body).expect("json page");
    assert!(page["data"].is_array(), "{page}");
    page
}

/// Asserts an error of the host application's API: `status`, and a body that is exactly
/// `{"error": {"status", "code", "message"}}` with that status and `code` and a message.
pub async fn assert_api_error(resp: Response, status: u16, code: &str) -> Value {
    assert_eq!(resp.status().as_u16(), status, "status");
    let body: Value = resp.json().await.expect("json error");
    assert_eq!(body.as_object().map(|o| o.len()), Some(1), "{body}");
    let error = &body["error"];
    assert_eq!(error["status"], json!(status), "{body}");
    assert_eq!(error["code"], json!(code), "{body}");
    assert!(
        error["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    assert_eq!(error.as_object().map(|o| o.len()), Some(3), "{body}");
    body
}

/// The `data` of a feed page.
pub fn page_events(page: &Value) -> Vec<Value> {
    page["data"].as_array().cloned().unwrap_or_default()
}

/// The types of `events`, in order.
pub fn event_types(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["type"].as_str().expect("type").to_owned())
        .collect()
}

impl TestApp {
    /// An admin token (named [`ADMIN_TOKEN_NAME`]) for the host application's API at
    /// `/api/v1`; issued on first use.
    pub async fn admin_token(&self) -> String {
        self.admin
            .get_or_init(|| async {
                self.state
                    .auth
                    .issue_scoped(ADMIN_TOKEN_NAME, scimd::auth::Scope::Admin, None)
                    .await
                    .expect("issue admin token")
            })
            .await
            .clone()
    }

    /// The id (`jti`) of the active token called `name`, as events name their actor.
    pub async fn token_id(&self, name: &str) -> String {
        scimd::store::tokens::list(&self.state.db, scimd::store::DEFAULT_TENANT)
            .await
            .expect("list tokens")
            .into_iter()
            .find(|t| t.name == name && t.revoked.is_none())
            .unwrap_or_else(|| panic!("no token named {name}"))
            .jti
    }

    /// `GET /api/v1/events` with `query` and the admin token.
    pub async fn events_response(&self, query: &[(&str, &str)]) -> Response {
        get_events(
            &self.client,
            &self.address,
            &self.admin_token().await,
            query,
        )
        .await
    }

    /// `GET /api/v1/events` with `query`; asserts `200` and returns the page.
    pub async fn events(&self, query: &[(&str, &str)]) -> Value {
        feed_page(self.events_response(query).await, query).await
    }

    /// The cursor after every event recorded so far (`None` while the feed is empty): pass it
    /// to [`TestApp::events_since`] to see what an action records.
    pub async fn feed_end(&self) -> Option<String> {
        self.walk_feed(None, &[]).await.1
    }

    /// Every event recorded after `cursor` (from the start when `None`).
    pub async fn events_since(&self, cursor: &Option<String>) -> Vec<Value> {
        self.walk_feed(cursor.as_deref(), &[]).await.0
    }

    /// Walks the feed from `after` page by page (`extra` adds `limit`, `types`, `resource`)
    /// until a page comes back empty; returns the events in feed order and the last cursor.
    pub async fn walk_feed(
        &self,
        after: Option<&str>,
        extra: &[(&str, &str)],
    ) -> (Vec<Value>, Option<String>) {
        let mut cursor = after.map(str::to_owned);
        let mut events = Vec::new();
        loop {
            let mut query: Vec<(&str, &str)> = extra.to_vec();
            if let Some(c) = &cursor {
                query.push(("after", c));
            }
            let page = self.events(&query).await;
            let data = page_events(&page);
            if let Some(next) = page["after"].as_str() {
                cursor = Some(next.to_owned());
            }
            if data.is_empty() {
                return (events, cursor);
            }
            events.extend(data);
        }
    }
}

impl TestApp {
    /// A request to the host application's API (`path` relative to `/api/v1`) with the admin
    /// token.
    pub async fn admin_request(&self, method: Method, path: &str, body: Option<Value>) -> Response {
        let mut req = self
            .client
            .request(method, format!("{}/api/v1{path}", self.address))
            .bearer_auth(self.admin_token().await);
        if let Some(body) = body {
            req = req.json(&body);
        }
        req.send().await.expect("request failed")
    }

    /// `GET /api/v1{path}` with `query`; asserts `200` and returns the JSON body.
    pub async fn admin_get(&self, path: &str, query: &[(&str, &str)]) -> Value {
        let resp = self
            .client
            .get(format!("{}/api/v1{path}", self.address))
            .query(query)
            .bearer_auth(self.admin_token().await)
            .send()
            .await
            .expect("request failed");
        let status = resp.status();
        let body = resp.text().await.expect("body");
        assert_eq!(status, StatusCode::OK, "GET {path} {query:?}: {body}");
        serde_json::from_str(&body).expect("json")
    }

    /// `POST /api/v1{path}` with `body`; asserts `expected` and returns the JSON body (`null`
    /// when there is none).
    pub async fn admin_post(&self, path: &str, body: Value, expected: u16) -> Value {
        let resp = self.admin_request(Method::POST, path, Some(body)).await;
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("body");
        assert_eq!(status, expected, "POST {path}: {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }
}

impl TestApp {
    /// `GET {path}` (absolute, e.g. `/api/v1/...`) with `query` and the admin token.
    pub async fn client_get(&self, path: &str, query: &[(&str, &str)]) -> Response {
        self.client
            .get(format!("{}{path}", self.address))
            .query(query)
            .bearer_auth(self.admin_token().await)
            .send()
            .await
            .expect("request failed")
    }
}

/// The value of the Prometheus metric line starting with `series ` (name and labels exactly),
/// if any.
pub fn sample(metrics: &str, series: &str) -> Option<f64> {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

/// Longest a raw connection's response may take to end before a test fails.
const CLOSE_BOUND: std::time::Duration = std::time::Duration::from_secs(15);

/// Opens a raw TCP connection to a server at `http://host:port`.
pub async fn connect(origin: &str) -> tokio::net::TcpStream {
    let addr = origin.trim_start_matches("http://");
    tokio::net::TcpStream::connect(addr).await.expect("connect")
}

/// Reads until the server closes the connection; returns what it sent. Fails after 15 s.
pub async fn read_until_closed(socket: &mut tokio::net::TcpStream) -> String {
    use tokio::io::AsyncReadExt;
    let mut received = Vec::new();
    let read = tokio::time::timeout(CLOSE_BOUND, async {
        let mut buf = [0u8; 4096];
        loop {
            match socket.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the server kept the connection open");
    String::from_utf8_lossy(&received).into_owned()
}
