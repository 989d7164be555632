//! `/Bulk` (RFC 7644 §3.7). The request body may be as large as `maxPayloadSize` (enforced with
//! the other body limits in `guard_request`) and goes to the service layer as text, which it
//! reads one operation at a time; each failed operation's error becomes its SCIM Error here, as
//! a single request's would.

use std::sync::Arc;

use poem::web::Data;
use poem::{Request, RequestBody};
use poem_openapi::payload::{ParsePayload, Payload};
use poem_openapi::registry::{MetaSchemaRef, Registry};
use poem_openapi::types::Type;
use poem_openapi::{OpenApi, impl_apirequest_for_payload};

use super::auth::BearerAuth;
use super::error::{ErrorResponse, ScimError};
use super::payload::{Doc, SCIM_CONTENT_TYPE, ScimJson, charge_tree, is_json, read_text};
use super::{ApiTags, AppState, docs};
use crate::scim::bulk::{OpResponse, response_json};
use crate::service::BulkTurn;

/// The bulk endpoint.
pub struct BulkApi;

#[OpenApi(tag = "ApiTags::Bulk")]
impl BulkApi {
    /// Run many POST, PUT, PATCH and DELETE operations on Users and Groups in one request
    /// (RFC 7644 §3.7): 200 with each operation's status in request order, also when some
    /// fail; 413 over `maxOperations` or `maxPayloadSize`.
    #[oai(path = "/Bulk", method = "post")]
    async fn bulk(
        &self,
        auth: BearerAuth,
        state: Data<&Arc<AppState>>,
        body: BulkBody,
    ) -> Result<ScimJson<Doc<docs::BulkResponse>>, ErrorResponse> {
        let outcomes = state.service.bulk(body.turn, &auth.0, body.text).await?;
        let operations = outcomes
            .into_iter()
            .map(|o| {
                let (status, response) = match o.result {
                    Ok(status) => (status, None),
                    Err(e) => {
                        let e = ScimError::from(e);
                        (e.status.as_u16(), Some(e.to_json()))
                    }
                };
                OpResponse {
                    method: o.method,
                    bulk_id: o.bulk_id,
                    location: o.location,
                    version: o.version,
                    status,
                    response,
                }
            })
            .collect();
        Ok(ScimJson(Doc::new(response_json(operations))))
    }
}

/// A bulk request's body, read once the request's turn to run has come
/// (`Service::bulk_turn`): a request waiting behind a running one leaves its body unread, in
/// the socket and with the client (TCP holds the client back), instead of in this process's
/// memory. It must then arrive within `AppState::bulk_body_timeout` (`408` otherwise, and the
/// turn goes on). It is checked as a `ScimJson` body is (media type, size, shape) and kept as
/// text, which the service reads one operation at a time; what parsing it will take is
/// charged to the memory budget then, so requests waiting for their turn are not turned away
/// for memory they do not use.
pub struct BulkBody {
    turn: BulkTurn,
    text: Vec<u8>,
}

impl Payload for BulkBody {
    const CONTENT_TYPE: &'static str = SCIM_CONTENT_TYPE;

    fn check_content_type(content_type: &str) -> bool {
        is_json(content_type)
    }

    fn schema_ref() -> MetaSchemaRef {
        docs::BulkRequest::schema_ref()
    }

    fn register(registry: &mut Registry) {
        docs::BulkRequest::register(registry);
    }
}

impl ParsePayload for BulkBody {
    const IS_REQUIRED: bool = true;

    async fn from_request(request: &Request, body: &mut RequestBody) -> poem::Result<Self> {
        let state = request
            .data::<Arc<AppState>>()
            .ok_or_else(|| ScimError::internal(&"the application state is missing"))?;
        let turn = state.service.bulk_turn().await.map_err(ScimError::from)?;
        let limit = state.bulk_body_timeout;
        let (text, values) = tokio::time::timeout(limit, read_text(request, body))
            .await
            .map_err(|_| body_too_slow(limit))??;
        charge_tree(request, values).await?;
        Ok(Self { turn, text })
    }
}

impl_apirequest_for_payload!(BulkBody);

/// `408`: the body did not arrive within `limit` of the request's turn, which goes to the next
/// bulk request.
fn body_too_slow(limit: std::time::Duration) -> ScimError {
    ScimError::request_timeout(format!(
        "the request body did not arrive within {} s of the request's turn to run \
         (bulk requests take turns; --header-read-timeout-seconds)",
        limit.as_secs()
    ))
}
