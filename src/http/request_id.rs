//! Request ids and the access log. Every request gets an id: the client's `X-Request-Id` when it
//! sends a usable one (so an identity provider's or a proxy's id can be followed through), else a
//! new UUID. The id is echoed in the response, carried by the log line of the request and by the
//! change events the request records.

use std::sync::Arc;
use std::time::Instant;

use poem::http::HeaderValue;
use poem::{Endpoint, IntoResponse, Request, Response};
use tracing::Instrument;

/// The header carrying the request id, in and out.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The longest client-sent id kept; longer ones are replaced.
const MAX_LEN: usize = 200;

/// The id of the request being served.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// A client-sent id is kept if it is short printable ASCII (it goes into logs and events).
fn usable(value: &HeaderValue) -> Option<String> {
    let text = value.to_str().ok()?.trim();
    let fine =
        !text.is_empty() && text.len() <= MAX_LEN && text.bytes().all(|b| b.is_ascii_graphic());
    fine.then(|| text.to_owned())
}

/// Assigns the request id, serves the request inside a span carrying it, echoes it in the
/// response and logs one line per request (method, path, status, duration; never headers or
/// the query string, which may carry tokens or personal data).
pub async fn track<E: Endpoint>(ep: Arc<E>, mut req: Request) -> poem::Result<Response> {
    let id = req
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(usable)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    req.extensions_mut().insert(RequestId(id.clone()));
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let started = Instant::now();
    let span = tracing::info_span!("request", request_id = %id);
    let mut resp = match ep.call(req).instrument(span.clone()).await {
        Ok(r) => r.into_response(),
        Err(e) => e.into_response(),
    };
    if let Ok(value) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    span.in_scope(|| {
        tracing::info!(
            %method,
            %path,
            status = resp.status().as_u16(),
            elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
            "request"
        )
    });
    Ok(resp)
}
