//! `TestApp`: the real server on an ephemeral port against a fresh database — a new SQLite file
//! by default, or a new PostgreSQL database when `TEST_DATABASE_URL` is set (then an unreachable
//! server fails the test; it never skips).

use std::sync::Arc;

use reqwest::{Method, Response, StatusCode};
use scimd::cli::serve::Application;
use scimd::config::{ServeArgs, SqliteSync};
use scimd::http::AppState;
use scimd::store::{Db, DbOptions};
use serde_json::{Value, json};
use tokio::sync::oneshot;

pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// A running scimd with a valid token.
pub struct TestApp {
    pub address: String,
    pub base: String,
    pub token: String,
    pub client: reqwest::Client,
    pub state: Arc<AppState>,
    _shutdown: oneshot::Sender<()>,
}

/// A fresh, empty database URL for one test.
pub async fn fresh_database_url() -> String {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(admin_url) => {
            let name = format!("scimd_test_{}", uuid::Uuid::new_v4().simple());
            let admin = Db::connect(
                &admin_url,
                &DbOptions {
                    max_connections: 1,
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
            scimd::telemetry::init();
        }
        let database_url = fresh_database_url().await;
        let mut args = ServeArgs {
            listen: "127.0.0.1:0".into(),
            base_url: None,
            max_page_size: 1000,
            max_body_bytes: 1_048_576,
            db_max_connections: 8,
            token_recheck_seconds: 5,
            sqlite_synchronous: SqliteSync::Normal,
            webhook_retry_schedule: Default::default(),
        };
        adjust(&mut args);
        let options = DbOptions {
            max_connections: args.db_max_connections,
            sqlite_synchronous_normal: true,
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
            token,
            client: reqwest::Client::new(),
            state,
            _shutdown: tx,
        }
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
