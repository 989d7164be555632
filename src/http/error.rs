//! The one error type of the SCIM edge. Every failure — the handlers' own, the inner layers'
//! (`ServiceError`, `ProtocolError`, `FilterError`, `StoreError`) and poem's (bad JSON, unknown
//! route, wrong method, body too large) — is rendered here as an RFC 7644 §3.12 SCIM Error. This
//! file knows the SCIM API's status codes; `api/error.rs` those of the host application's API.

use poem::http::StatusCode;
use poem::{IntoResponse, Response};
use poem_openapi::error::{
    ContentTypeError, ParseParamError, ParsePathError, ParseRequestPayloadError,
};
use poem_openapi::types::ToJSON;
use poem_openapi::{ApiResponse, Object};

use super::body::{Overloaded, RETRY_AFTER_SECONDS};
use super::payload::{JsonText, SCIM_CONTENT_TYPE, ScimJson};
use crate::scim::bulk::BulkError;
use crate::scim::error::ProtocolError;
use crate::scim::filter::FilterError;
use crate::service::ServiceError;
use crate::store::StoreError;

/// The SCIM Error message schema.
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// A SCIM error: status, optional `scimType` (RFC 7644 §3.12, Table 9) and a detail message.
#[derive(Debug, Clone)]
pub struct ScimError {
    pub status: StatusCode,
    pub scim_type: Option<&'static str>,
    pub detail: String,
}

impl ScimError {
    fn new(status: StatusCode, scim_type: Option<&'static str>, detail: impl Into<String>) -> Self {
        Self {
            status,
            scim_type,
            detail: detail.into(),
        }
    }

    /// 400 with a `scimType`.
    pub fn bad_request(scim_type: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, Some(scim_type), detail)
    }

    /// 503: the server could not answer in time (or at all) right now; a retry may succeed.
    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, None, detail)
    }

    /// 401: no valid bearer token.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, None, detail)
    }

    /// 403: a valid token that may not call this API.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, None, detail)
    }

    /// 404 for a resource id that does not exist.
    pub fn not_found(what: &str, id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            None,
            format!("{what} \"{id}\" not found"),
        )
    }

    /// 412: an `If-Match` precondition failed (RFC 7644 §3.14).
    pub fn precondition_failed(current: &str) -> Self {
        Self::new(
            StatusCode::PRECONDITION_FAILED,
            None,
            format!("the resource has changed: its current version is {current}"),
        )
    }

    /// 408: the request's body did not arrive in time.
    pub fn request_timeout(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::REQUEST_TIMEOUT, None, detail)
    }

    /// 413: a body or a bulk request over a limit, named in `detail` (RFC 7644 §3.7.4).
    pub fn payload_too_large(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, None, detail)
    }

    /// The error as the JSON body a response carries (a failed bulk operation's `response`).
    pub fn to_json(&self) -> serde_json::Value {
        poem_openapi::types::ToJSON::to_json(&self.body()).unwrap_or_default()
    }

    /// 500 whose cause is logged but not shown to the client.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            None,
            "internal server error",
        )
    }

    fn body(&self) -> ErrorBody {
        ErrorBody {
            schemas: vec![ERROR_SCHEMA.to_owned()],
            status: self.status.as_u16().to_string(),
            scim_type: self.scim_type.map(str::to_owned),
            detail: self.detail.clone(),
        }
    }
}

/// RFC 7644 §3.12 error body; `status` is a string, as the RFC's examples show.
#[derive(Debug, Clone, Object)]
#[oai(rename = "Error")]
pub struct ErrorBody {
    pub schemas: Vec<String>,
    pub status: String,
    #[oai(rename = "scimType", skip_serializing_if_is_none)]
    pub scim_type: Option<String>,
    pub detail: String,
}

impl JsonText for ErrorBody {
    fn json_text(&self) -> Vec<u8> {
        serde_json::to_vec(&self.to_json()).unwrap_or_default()
    }
}

/// How a [`ScimError`] appears in the OpenAPI document.
#[derive(ApiResponse)]
pub enum ErrorResponse {
    /// A SCIM Error for a request the server refuses.
    #[oai(status_range = "4XX")]
    Client(
        StatusCode,
        ScimJson<ErrorBody>,
        /// `Bearer` on 401 (RFC 6750 §3).
        #[oai(header = "WWW-Authenticate")]
        Option<String>,
    ),
    /// The server is busy with other large requests: retry after `Retry-After` seconds.
    #[oai(status = 503)]
    Busy(ScimJson<ErrorBody>, #[oai(header = "Retry-After")] u32),
    /// A SCIM Error for a failure of the server.
    #[oai(status_range = "5XX")]
    Server(StatusCode, ScimJson<ErrorBody>),
}

impl From<Overloaded> for ErrorResponse {
    fn from(e: Overloaded) -> Self {
        let error = ScimError::new(StatusCode::SERVICE_UNAVAILABLE, None, e.to_string());
        ErrorResponse::Busy(ScimJson(error.body()), RETRY_AFTER_SECONDS)
    }
}

impl From<ScimError> for ErrorResponse {
    fn from(e: ScimError) -> Self {
        let body = ScimJson(e.body());
        if e.status.is_server_error() {
            ErrorResponse::Server(e.status, body)
        } else {
            let challenge =
                (e.status == StatusCode::UNAUTHORIZED).then(|| "Bearer realm=\"scimd\"".to_owned());
            ErrorResponse::Client(e.status, body, challenge)
        }
    }
}

impl From<ServiceError> for ErrorResponse {
    fn from(e: ServiceError) -> Self {
        ScimError::from(e).into()
    }
}

impl IntoResponse for ScimError {
    fn into_response(self) -> Response {
        ErrorResponse::from(self).into_response()
    }
}

impl From<ScimError> for poem::Error {
    fn from(e: ScimError) -> Self {
        poem::Error::from_response(e.into_response())
    }
}

impl From<ProtocolError> for ScimError {
    fn from(e: ProtocolError) -> Self {
        let scim_type = match &e {
            ProtocolError::InvalidFilter(_) => "invalidFilter",
            ProtocolError::InvalidSyntax(_) => "invalidSyntax",
            ProtocolError::InvalidPath(_) => "invalidPath",
            ProtocolError::InvalidValue(_) => "invalidValue",
            ProtocolError::NoTarget(_) => "noTarget",
            ProtocolError::Mutability(_) => "mutability",
        };
        ScimError::bad_request(scim_type, e.to_string())
    }
}

impl From<FilterError> for ScimError {
    fn from(e: FilterError) -> Self {
        ScimError::bad_request("invalidFilter", format!("invalid filter {e}"))
    }
}

impl From<ServiceError> for ScimError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Protocol(p) => p.into(),
            ServiceError::Filter(f) => f.into(),
            ServiceError::Invalid { scim_type, detail } => {
                ScimError::bad_request(scim_type, detail)
            }
            ServiceError::NotFound { resource, id } => ScimError::not_found(resource, &id),
            ServiceError::PreconditionFailed { current } => {
                ScimError::precondition_failed(&current)
            }
            ServiceError::Conflict(detail) => {
                ScimError::new(StatusCode::CONFLICT, Some("uniqueness"), detail)
            }
            ServiceError::Gone(detail) => ScimError::new(StatusCode::GONE, None, detail),
            ServiceError::Bulk(b) => b.into(),
            ServiceError::Store(s) => s.into(),
        }
    }
}

impl From<BulkError> for ScimError {
    fn from(e: BulkError) -> Self {
        let detail = e.to_string();
        match e {
            BulkError::Protocol(p) => p.into(),
            // RFC 7644 §3.7.4: 413, and the detail names the limit.
            BulkError::TooManyOperations { .. } => {
                ScimError::new(StatusCode::PAYLOAD_TOO_LARGE, None, detail)
            }
            BulkError::NoEndpoint(_) => ScimError::new(StatusCode::NOT_FOUND, None, detail),
            BulkError::MethodNotAllowed(_) => {
                ScimError::new(StatusCode::METHOD_NOT_ALLOWED, None, detail)
            }
            BulkError::Conflict(_) => ScimError::new(StatusCode::CONFLICT, None, detail),
            BulkError::NotCommitted => {
                ScimError::new(StatusCode::INTERNAL_SERVER_ERROR, None, detail)
            }
        }
    }
}

impl From<StoreError> for ScimError {
    /// Only the store errors a client can cause get a 4xx.
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Uniqueness(d) => {
                ScimError::new(StatusCode::CONFLICT, Some("uniqueness"), d)
            }
            StoreError::InvalidReference(d) => ScimError::bad_request("invalidValue", d),
            StoreError::InvalidSort(d) => ScimError::bad_request("invalidValue", d),
            StoreError::InvalidFilter(d) => ScimError::bad_request("invalidFilter", d),
            StoreError::VersionConflict => ScimError::new(
                StatusCode::PRECONDITION_FAILED,
                None,
                "the resource was modified concurrently; read it again and retry",
            ),
            StoreError::NotFound => {
                ScimError::new(StatusCode::NOT_FOUND, None, "resource not found")
            }
            e if e.is_contention() => ScimError::new(
                StatusCode::CONFLICT,
                None,
                "the request collided with concurrent changes to the same resources; retry it",
            ),
            other => ScimError::internal(&other),
        }
    }
}

/// Turns any error that reaches the outermost layer into a SCIM Error response. Responses the
/// handlers built themselves pass through unchanged.
pub fn poem_error_to_scim(err: poem::Error) -> Response {
    if err.is_from_response() {
        return err.into_response();
    }
    let status = err.status();
    let detail = err.to_string();
    let scim = if err.is::<ParseRequestPayloadError>() {
        ScimError::bad_request("invalidSyntax", detail)
    } else if err.is::<ParseParamError>() || err.is::<ParsePathError>() {
        ScimError::bad_request("invalidValue", detail)
    } else if err.is::<ContentTypeError>() || status == StatusCode::UNSUPPORTED_MEDIA_TYPE {
        ScimError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            None,
            format!("unsupported media type: send {SCIM_CONTENT_TYPE} or application/json"),
        )
    } else if status == StatusCode::NOT_FOUND {
        ScimError::new(status, None, "no such endpoint")
    } else if status == StatusCode::METHOD_NOT_ALLOWED {
        ScimError::new(status, None, "method not allowed on this endpoint")
    } else if status == StatusCode::PAYLOAD_TOO_LARGE {
        ScimError::new(status, None, "request body too large")
    } else if let Some(overloaded) = err.downcast_ref::<Overloaded>() {
        return ErrorResponse::from(*overloaded).into_response();
    } else if status == StatusCode::UNAUTHORIZED {
        ScimError::unauthorized("a valid bearer token is required (Authorization: Bearer <token>)")
    } else if status.is_server_error() {
        ScimError::internal(&detail)
    } else {
        ScimError::new(status, None, detail)
    };
    scim.into_response()
}
