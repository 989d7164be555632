//! One HTTP delivery: `POST` of an event's JSON with its id and signature headers. A `2xx`
//! within the timeout is delivered; any other status, a redirect (never followed), a refused
//! connection or a timeout is a failure to retry. At most 64 KiB of the response body is read,
//! for the delivery log.

use std::time::{Duration, Instant};

use reqwest::redirect::Policy;

/// How long a receiver has to answer, body included.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// How much of a response body is read and kept.
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// The HTTP client every delivery of this instance uses (it pools connections per host).
#[derive(Debug, Clone)]
pub struct Sender {
    client: reqwest::Client,
}

/// What came of one attempt.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub delivered: bool,
    pub status: Option<u16>,
    /// The start of the response body, when there was one.
    pub body: Option<String>,
    /// Why the attempt failed.
    pub error: Option<String>,
    pub duration: Duration,
}

impl Sender {
    /// A client that follows no redirects and gives up after [`TIMEOUT`]; fails only if TLS
    /// cannot be set up.
    pub fn new() -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .redirect(Policy::none())
            .timeout(TIMEOUT)
            .user_agent(concat!("scimd/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { client })
    }

    /// Posts `body` (the event's JSON) to `url`.
    pub async fn send(&self, url: &str, event_id: &str, signature: &str, body: Vec<u8>) -> Outcome {
        let started = Instant::now();
        let sent = self
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("scimd-event-id", event_id)
            .header("scimd-signature", signature)
            .body(body)
            .send()
            .await;
        let mut response = match sent {
            Ok(response) => response,
            Err(e) => {
                return Outcome {
                    delivered: false,
                    status: None,
                    body: None,
                    error: Some(describe(&e)),
                    duration: started.elapsed(),
                };
            }
        };
        let status = response.status();
        // The status decides; a body that breaks off or times out is kept as far as it came.
        let mut body = Vec::new();
        while body.len() < MAX_RESPONSE_BYTES {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    let room = MAX_RESPONSE_BYTES - body.len();
                    body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                }
                Ok(None) | Err(_) => break,
            }
        }
        let delivered = status.is_success();
        let error = (!delivered).then(|| {
            if status.is_redirection() {
                format!("HTTP {} (redirects are not followed)", status.as_u16())
            } else {
                format!("HTTP {}", status.as_u16())
            }
        });
        Outcome {
            delivered,
            status: Some(status.as_u16()),
            body: (!body.is_empty()).then(|| String::from_utf8_lossy(&body).into_owned()),
            error,
            duration: started.elapsed(),
        }
    }
}

/// The error with its causes ("error sending request …: client error (Connect): tcp connect
/// error: Connection refused"), which is what an operator needs to fix the endpoint.
fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return format!("no response within {} s", TIMEOUT.as_secs());
    }
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
