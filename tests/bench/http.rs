//! The few HTTP calls the bench makes itself (health checks, fixture lookups, the cursor
//! walk, webhook set-up), made blocking: the rest of the bench waits on child processes and
//! has no use for async.

use std::thread::sleep;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::runtime::Runtime;

use crate::BenchResult;

/// How long a freshly started server may take to answer its health check.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);

/// A reqwest client with the runtime it needs.
pub struct Http {
    runtime: Runtime,
    client: reqwest::Client,
}

impl Http {
    pub fn new() -> BenchResult<Self> {
        Ok(Self {
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?,
            client: reqwest::Client::new(),
        })
    }

    /// Waits until `url` answers 200, polling every 50 ms.
    pub fn wait_healthy(&self, url: &str) -> BenchResult<()> {
        let started = Instant::now();
        loop {
            let status = self
                .runtime
                .block_on(self.client.get(url).send())
                .map(|r| r.status());
            match status {
                Ok(s) if s.is_success() => return Ok(()),
                _ if started.elapsed() > STARTUP_TIMEOUT => {
                    return Err(
                        format!("{url} not healthy after {STARTUP_TIMEOUT:?}: {status:?}").into(),
                    );
                }
                _ => sleep(Duration::from_millis(50)),
            }
        }
    }

    /// GETs `url` with a bearer token and returns the JSON body of a 200 response.
    pub fn get_json(&self, url: &str, token: &str) -> BenchResult<Value> {
        self.runtime.block_on(async {
            let response = self.client.get(url).bearer_auth(token).send().await?;
            let status = response.status();
            if !status.is_success() {
                let body = response.text().await.unwrap_or_default();
                return Err(format!("GET {url}: {status}: {body}").into());
            }
            Ok(response.json().await?)
        })
    }

    /// Sends one SCIM request (`body` as `application/scim+json`) with a bearer token and
    /// returns its status, whatever it is, and its body: the cost benchmark expects `400`s too.
    pub fn send(
        &self,
        method: reqwest::Method,
        url: &str,
        token: &str,
        body: Option<&[u8]>,
    ) -> BenchResult<(reqwest::StatusCode, Vec<u8>)> {
        self.runtime.block_on(async {
            let mut request = self.client.request(method, url).bearer_auth(token);
            if let Some(body) = body {
                request = request
                    .header(reqwest::header::CONTENT_TYPE, "application/scim+json")
                    .body(body.to_vec());
            }
            let response = request.send().await?;
            let status = response.status();
            Ok((status, response.bytes().await?.to_vec()))
        })
    }

    /// POSTs `body` as JSON with a bearer token and returns the JSON body of a 2xx response.
    pub fn post_json(&self, url: &str, token: &str, body: &Value) -> BenchResult<Value> {
        self.runtime.block_on(async {
            let response = self
                .client
                .post(url)
                .bearer_auth(token)
                .json(body)
                .send()
                .await?;
            let status = response.status();
            if !status.is_success() {
                let body = response.text().await.unwrap_or_default();
                return Err(format!("POST {url}: {status}: {body}").into());
            }
            Ok(response.json().await?)
        })
    }
}
