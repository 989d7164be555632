//! Webhooks over HTTP against the real server: the `/api/v1/webhooks` API, delivery to a real
//! receiver (`receiver.rs`) with signatures checked by an HMAC written here, retries, replay,
//! rotation, restarts, two instances on one PostgreSQL database, and the CLI.

mod api;
mod cli;
mod delivery;
mod instances;
pub mod receiver;
mod restart;
mod retention;
mod rotation;

use std::future::Future;
use std::time::Duration;

use reqwest::{Method, Response, StatusCode};
use scimd::auth::Scope;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::TestApp;

/// How long a test waits for something the server does in the background.
const PATIENCE: Duration = Duration::from_secs(20);

/// A fast retry schedule: three attempts, 100 ms apart.
pub const FAST_RETRIES: &str = "100ms,100ms";

/// Calls to `/api/v1` with an admin token.
pub struct Admin {
    base: String,
    pub token: String,
    client: reqwest::Client,
}

impl Admin {
    /// An admin client for `app`.
    pub async fn of(app: &TestApp) -> Self {
        let token = app
            .state
            .auth
            .issue_scoped("app", Scope::Admin, None)
            .await
            .unwrap();
        Admin::new(&app.address, token)
    }

    /// An admin client for the server at `address` (`http://host:port`).
    pub fn new(address: &str, token: String) -> Self {
        Admin {
            base: format!("{address}/api/v1"),
            token,
            client: reqwest::Client::new(),
        }
    }

    /// Sends a request to `path` under `/api/v1`.
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Response {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        req.send().await.unwrap()
    }

    /// Like [`Admin::call`]; asserts `status` and returns the JSON body (`null` if none).
    pub async fn expect(
        &self,
        status: u16,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Value {
        let resp = self.call(method.clone(), path, body).await;
        let got = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        assert_eq!(got, status, "{method} {path}: {text}");
        if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap()
        }
    }

    /// Registers `url` for `types` (all when `None`); returns the 201 body with the secret.
    pub async fn create(&self, url: &str, types: Option<&[&str]>) -> Value {
        let body = match types {
            Some(types) => json!({"url": url, "types": types}),
            None => json!({"url": url}),
        };
        self.expect(201, Method::POST, "/webhooks", Some(body))
            .await
    }

    /// The endpoint `id` as listed.
    pub async fn webhook(&self, id: &str) -> Value {
        let list = self.expect(200, Method::GET, "/webhooks", None).await;
        list["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("webhook {id} not listed: {list}"))
    }

    /// The endpoint's delivery log, newest first.
    pub async fn deliveries(&self, id: &str) -> Vec<Value> {
        let log = self
            .expect(
                200,
                Method::GET,
                &format!("/webhooks/{id}/deliveries"),
                None,
            )
            .await;
        log["data"].as_array().unwrap().clone()
    }

    /// Every event of the feed, oldest first.
    pub async fn feed(&self) -> Vec<Value> {
        let page = self
            .expect(200, Method::GET, "/events?limit=1000", None)
            .await;
        page["data"].as_array().unwrap().clone()
    }
}

/// Polls `check` until it gives a value, failing the test after [`PATIENCE`].
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "gave up waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// HMAC-SHA256 (RFC 2104) written out over SHA-256, independent of scimd's signer.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> String {
    const BLOCK: usize = 64;
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.iter().map(|b| b ^ byte).collect::<Vec<u8>>();
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    let outer = Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize();
    outer.iter().map(|b| format!("{b:02x}")).collect()
}

/// The `t` and the `v1` values of a `scimd-signature` header.
pub fn parse_signature(header: &str) -> (i64, Vec<String>) {
    let mut t = None;
    let mut v1 = Vec::new();
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", value)) => t = Some(value.parse().unwrap()),
            Some(("v1", value)) => v1.push(value.to_owned()),
            _ => panic!("unexpected part {part:?} in {header:?}"),
        }
    }
    (t.expect("a timestamp"), v1)
}

/// Asserts that `signature` holds exactly one `v1` per secret, in order, each the HMAC of
/// `"<t>.<body>"`, and that `t` is the current time.
pub fn assert_signed(signature: &str, body: &[u8], secrets: &[&str]) {
    let (t, v1) = parse_signature(signature);
    let now = chrono::Utc::now().timestamp();
    assert!((now - t).abs() < 300, "t={t} is not now ({now})");
    let message = [format!("{t}.").as_bytes(), body].concat();
    let expected: Vec<String> = secrets
        .iter()
        .map(|s| hmac_sha256(s.as_bytes(), &message))
        .collect();
    assert_eq!(v1, expected, "signature {signature}");
}

/// Checks the independent HMAC against RFC 4231 before the tests rely on it.
#[test]
fn the_test_hmac_matches_rfc_4231() {
    assert_eq!(
        hmac_sha256(b"Jefe", b"what do ya want for nothing?"),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
    // Test case 6: a key longer than the block is hashed first.
    assert_eq!(
        hmac_sha256(
            &[0xaa; 131],
            b"Test Using Larger Than Block-Size Key - Hash Key First"
        ),
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
    );
}

/// Asserts an API error body with `status` and `code`.
pub async fn assert_api_error(resp: Response, status: StatusCode, code: &str) {
    crate::helpers::assert_api_error(resp, status.as_u16(), code).await;
}
