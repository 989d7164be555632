//! `/Bulk` (RFC 7644 §3.7). The request body may be as large as `maxPayloadSize` (enforced with
//! the other body limits in `guard_request`) and goes to the service layer as text, which it
//! reads one operation at a time; each failed operation's error becomes its SCIM Error here, as
//! a single request's would.

use std::sync::Arc;

use poem::Request;
use poem::web::Data;
use poem_openapi::OpenApi;

use super::auth::BearerAuth;
use super::error::{ErrorResponse, ScimError};
use super::payload::{Doc, ScimJson, ScimJsonText};
use super::{ApiTags, AppState, docs};
use crate::scim::bulk::{OpResponse, response_json};

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
        req: &Request,
        body: ScimJsonText<docs::BulkRequest>,
    ) -> Result<ScimJson<Doc<docs::BulkResponse>>, ErrorResponse> {
        // A waiting request holds its text; what parsing it will take is charged once its
        // turn comes, so requests waiting behind a running one are not turned away for a
        // memory they do not use.
        let turn = state.service.bulk_turn().await?;
        body.charge_tree(req).await?;
        let outcomes = state.service.bulk(turn, &auth.0, body.text).await?;
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
