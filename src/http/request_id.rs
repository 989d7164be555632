//! Request ids and the access log. Every request gets an id: the client's `X-Request-Id` when it
//! sends a usable one (so an identity provider's or a proxy's id can be followed through), else a
//! new UUID. The id is echoed in the response, carried by the log line of the request and by the
//! change events the request records.

use std::net::IpAddr;
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

/// The address a request came from: the peer's, or with `trust_proxy` the one the reverse
/// proxy in front of scimd reports: the last `X-Forwarded-For` entry (the one that proxy
/// appended; earlier ones are whatever the client sent) or else `X-Real-IP`. Only a
/// well-formed IP address is taken from a header, so nothing else reaches the log.
fn client_address(req: &Request, trust_proxy: bool) -> String {
    let header_ip = |name: &str, last_entry: bool| {
        let value = req
            .headers()
            .get_all(name)
            .iter()
            .next_back()?
            .to_str()
            .ok()?;
        let entry = if last_entry {
            value.rsplit(',').next()?
        } else {
            value
        };
        entry.trim().parse::<IpAddr>().ok()
    };
    let forwarded = trust_proxy
        .then(|| header_ip("x-forwarded-for", true).or_else(|| header_ip("x-real-ip", false)))
        .flatten();
    match (forwarded, req.remote_addr().as_socket_addr()) {
        (Some(ip), _) => ip.to_string(),
        (None, Some(peer)) => peer.ip().to_string(),
        (None, None) => "-".to_owned(),
    }
}

/// Assigns the request id, serves the request inside a span carrying it, echoes it in the
/// response and logs one line per request (method, path, status, duration, client address;
/// never headers or the query string, which may carry tokens or personal data: filter values
/// are email addresses).
pub async fn track<E: Endpoint>(
    ep: Arc<E>,
    mut req: Request,
    trust_proxy: bool,
) -> poem::Result<Response> {
    let id = req
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(usable)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    req.extensions_mut().insert(RequestId(id.clone()));
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let client = client_address(&req, trust_proxy);
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
            %client,
            status = resp.status().as_u16(),
            elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
            "request"
        )
    });
    Ok(resp)
}
