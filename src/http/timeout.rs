//! The request timeout: a request that takes longer than `--request-timeout-seconds` (reading
//! its body included) is answered `503` in its API's error shape. The handler's future is
//! dropped, which rolls back a transaction it had open (one whose commit had already reached
//! the database stays committed, whole), so nothing is half-written.

use std::sync::Arc;
use std::time::Duration;

use poem::{Endpoint, IntoResponse, Request, Response};

use super::api::API_PATH;
use super::api::error::ApiError;
use super::error::ScimError;

/// Runs the request for at most `limit`.
pub async fn limit<E: Endpoint>(
    ep: Arc<E>,
    req: Request,
    limit: Duration,
) -> poem::Result<Response> {
    let host_api = req.uri().path().starts_with(API_PATH);
    match tokio::time::timeout(limit, ep.call(req)).await {
        Ok(result) => result.map(IntoResponse::into_response),
        Err(_) => {
            let detail = format!(
                "the request took longer than {} s and was abandoned",
                limit.as_secs()
            );
            tracing::warn!(timeout_s = limit.as_secs(), "request timed out");
            Ok(if host_api {
                ApiError::unavailable(detail).into_response()
            } else {
                ScimError::unavailable(detail).into_response()
            })
        }
    }
}
