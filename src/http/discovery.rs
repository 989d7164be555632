//! Discovery endpoints (RFC 7644 §4): `/ServiceProviderConfig`, `/ResourceTypes` and `/Schemas`,
//! all generated from the schema registry and the server's configuration, so they advertise
//! exactly what works.

use std::sync::Arc;

use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::Path;
use serde_json::{Value, json};

use super::auth::BearerAuth;
use super::docs;
use super::error::{ErrorResponse, ScimError};
use super::payload::{Doc, ScimJson};
use super::{ApiTags, AppState};
use crate::scim::schema::{
    RESOURCE_TYPES, SCHEMAS, resource_type, resource_type_json, schema_by_id, schema_json,
};
use crate::service::list_params::{CURSOR_TIMEOUT_SECS, DEFAULT_COUNT};
use crate::service::list_response;

type DiscoveryBody = ScimJson<Doc<docs::Discovery>>;

/// The discovery endpoints.
pub struct DiscoveryApi;

#[OpenApi(tag = "ApiTags::Discovery")]
impl DiscoveryApi {
    /// The service provider's capabilities (RFC 7643 §5).
    #[oai(path = "/ServiceProviderConfig", method = "get")]
    async fn service_provider_config(
        &self,
        auth: BearerAuth,
        state: Data<&Arc<AppState>>,
    ) -> Result<DiscoveryBody, ErrorResponse> {
        Ok(ScimJson(Doc::new(service_provider_config(
            &state,
            &state.service.scim_base(&auth.0.directory),
        ))))
    }

    /// The resource types offered, User first (RFC 7643 §6).
    #[oai(path = "/ResourceTypes", method = "get")]
    async fn resource_types(
        &self,
        auth: BearerAuth,
        state: Data<&Arc<AppState>>,
    ) -> Result<DiscoveryBody, ErrorResponse> {
        let all = RESOURCE_TYPES
            .iter()
            .map(|rt| resource_type_json(rt, &state.service.scim_base(&auth.0.directory)))
            .collect();
        Ok(ScimJson(Doc::new(list(all))))
    }

    /// One resource type by id, e.g. `User` (RFC 7643 §6).
    #[oai(path = "/ResourceTypes/:name", method = "get")]
    async fn resource_type(
        &self,
        auth: BearerAuth,
        state: Data<&Arc<AppState>>,
        name: Path<String>,
    ) -> Result<DiscoveryBody, ErrorResponse> {
        let rt = resource_type(&name).ok_or_else(|| ScimError::not_found("ResourceType", &name))?;
        Ok(ScimJson(Doc::new(resource_type_json(
            rt,
            &state.service.scim_base(&auth.0.directory),
        ))))
    }

    /// The schemas in use, with every attribute's characteristics (RFC 7643 §7).
    #[oai(path = "/Schemas", method = "get")]
    async fn schemas(
        &self,
        auth: BearerAuth,
        state: Data<&Arc<AppState>>,
    ) -> Result<DiscoveryBody, ErrorResponse> {
        let all = SCHEMAS
            .iter()
            .map(|s| schema_json(s, &state.service.scim_base(&auth.0.directory)))
            .collect();
        Ok(ScimJson(Doc::new(list(all))))
    }

    /// One schema by its URN (RFC 7643 §7).
    #[oai(path = "/Schemas/:uri", method = "get")]
    async fn schema(
        &self,
        auth: BearerAuth,
        state: Data<&Arc<AppState>>,
        uri: Path<String>,
    ) -> Result<DiscoveryBody, ErrorResponse> {
        let schema = schema_by_id(&uri).ok_or_else(|| ScimError::not_found("Schema", &uri))?;
        Ok(ScimJson(Doc::new(schema_json(
            schema,
            &state.service.scim_base(&auth.0.directory),
        ))))
    }
}

fn list(resources: Vec<Value>) -> Value {
    list_response(
        resources.len() as i64,
        Some(("startIndex", json!(1))),
        resources,
    )
}

/// RFC 7643 §5. Every block is present, with `supported: false` where a feature does not work
/// yet, because conformance runners read them all.
fn service_provider_config(state: &AppState, base_url: &str) -> Value {
    let bulk = state.service.bulk_limits();
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "documentationUri": "https://datatracker.ietf.org/doc/html/rfc7644",
        "patch": {"supported": true},
        "bulk": {
            "supported": true,
            "maxOperations": bulk.max_operations,
            "maxPayloadSize": bulk.max_payload_bytes,
        },
        "filter": {"supported": true, "maxResults": state.max_page_size},
        "changePassword": {"supported": true},
        "sort": {"supported": true},
        // RFC 9865 §4: both paging methods, index by default.
        "pagination": {
            "cursor": true,
            "index": true,
            "defaultPaginationMethod": "index",
            "defaultPageSize": DEFAULT_COUNT.min(state.max_page_size),
            "maxPageSize": state.max_page_size,
            "cursorTimeout": CURSOR_TIMEOUT_SECS,
        },
        "etag": {"supported": true},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "A bearer token created with `scimd token create`, sent as `Authorization: Bearer <token>`.",
            "specUri": "https://www.rfc-editor.org/rfc/rfc6750",
            "primary": true,
        }],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": format!("{base_url}/ServiceProviderConfig"),
        },
    })
}
