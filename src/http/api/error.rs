//! The one error type of the host application's API: `{"error": {"status", "code", "message"}}`
//! in JSON, wrapped so that a client tells an error from a resource by its one key. Service errors and poem's own (bad parameters, unknown routes, missing tokens) are rendered
//! here; this file knows the API's status codes.

use poem::http::{StatusCode, header};
use poem::{IntoResponse, Response};
use poem_openapi::error::{ParseParamError, ParsePathError, ParseRequestPayloadError};
use poem_openapi::payload::Json;
use poem_openapi::types::Example;
use poem_openapi::{ApiResponse, Object};

use crate::http::body::{Overloaded, RETRY_AFTER_SECONDS};
use crate::service::ServiceError;
use crate::store::StoreError;

/// An API error: HTTP status, a stable machine-readable code, a message for people.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

/// How an error looks on the wire: `{"error": {...}}`.
#[derive(Debug, Clone, Object)]
#[oai(rename = "ApiError", example)]
pub struct ApiErrorBody {
    pub error: ApiErrorDetail,
}

/// What went wrong.
#[derive(Debug, Clone, Object)]
#[oai(rename = "ApiErrorDetail")]
pub struct ApiErrorDetail {
    /// The HTTP status, repeated for clients that only keep the body.
    pub status: u16,
    /// A stable machine-readable code: `invalid_parameter`, `invalid_request`, `unauthorized`,
    /// `forbidden`, `not_found`, `conflict`, `precondition_failed`, `gone`,
    /// `payload_too_large`, `internal`, `unavailable`.
    pub code: String,
    /// What happened, for people; never internal details.
    pub message: String,
}

impl Example for ApiErrorBody {
    fn example() -> Self {
        ApiErrorBody {
            error: ApiErrorDetail {
                status: 404,
                code: "not_found".into(),
                message: "Directory \"acme\" not found".into(),
            },
        }
    }
}

/// How an [`ApiError`] appears in the OpenAPI document.
#[derive(ApiResponse)]
pub enum ApiErrorResponse {
    /// A request the server refuses.
    #[oai(status_range = "4XX")]
    Client(
        StatusCode,
        Json<ApiErrorBody>,
        /// `Bearer` on 401 (RFC 6750 §3).
        #[oai(header = "WWW-Authenticate")]
        Option<String>,
    ),
    /// A failure of the server.
    #[oai(status_range = "5XX")]
    Server(StatusCode, Json<ApiErrorBody>),
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    /// 400: a parameter or body the API cannot take.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_parameter", message)
    }

    /// 401: no valid bearer token.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    /// 403: a valid token that may not call this API.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// 404: no such object.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 503: the server could not answer in time (or at all) right now; a retry may succeed.
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
    }

    /// 500 whose cause is logged but not shown.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal server error",
        )
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Protocol(_) | ServiceError::Filter(_) | ServiceError::Invalid { .. } => {
                ApiError::invalid(e.to_string())
            }
            ServiceError::NotFound { .. } => ApiError::not_found(e.to_string()),
            ServiceError::PreconditionFailed { .. } => ApiError::new(
                StatusCode::PRECONDITION_FAILED,
                "precondition_failed",
                e.to_string(),
            ),
            ServiceError::Conflict(m) => ApiError::new(StatusCode::CONFLICT, "conflict", m),
            ServiceError::Gone(m) => ApiError::new(StatusCode::GONE, "gone", m),
            ServiceError::Store(StoreError::Uniqueness(m)) => {
                ApiError::new(StatusCode::CONFLICT, "conflict", m)
            }
            ServiceError::Store(StoreError::InvalidReference(m)) => ApiError::invalid(m),
            ServiceError::Store(other) => ApiError::internal(&other),
            // Bulk requests are a SCIM feature: no use case of this API returns one.
            ServiceError::Bulk(other) => ApiError::internal(&other),
        }
    }
}

impl From<ApiError> for ApiErrorResponse {
    fn from(e: ApiError) -> Self {
        let body = Json(ApiErrorBody {
            error: ApiErrorDetail {
                status: e.status.as_u16(),
                code: e.code.to_owned(),
                message: e.message,
            },
        });
        if e.status.is_server_error() {
            ApiErrorResponse::Server(e.status, body)
        } else {
            let challenge =
                (e.status == StatusCode::UNAUTHORIZED).then(|| "Bearer realm=\"scimd\"".to_owned());
            ApiErrorResponse::Client(e.status, body, challenge)
        }
    }
}

impl From<ServiceError> for ApiErrorResponse {
    fn from(e: ServiceError) -> Self {
        ApiError::from(e).into()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        ApiErrorResponse::from(self).into_response()
    }
}

impl From<ApiError> for poem::Error {
    fn from(e: ApiError) -> Self {
        poem::Error::from_response(e.into_response())
    }
}

/// Turns poem's own errors under `/api/v1` into API errors; responses the handlers built pass
/// through unchanged.
pub fn poem_error_to_api(err: poem::Error) -> Response {
    if err.is_from_response() {
        return err.into_response();
    }
    let status = err.status();
    let message = err.to_string();
    let api = if err.is::<ParseRequestPayloadError>()
        || err.is::<ParseParamError>()
        || err.is::<ParsePathError>()
    {
        ApiError::invalid(message)
    } else if status == StatusCode::UNAUTHORIZED {
        ApiError::unauthorized("an admin token is required (Authorization: Bearer <token>)")
    } else if status == StatusCode::NOT_FOUND {
        ApiError::not_found("no such endpoint")
    } else if status == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(status, "payload_too_large", "request body too large")
    } else if let Some(busy) = err.downcast_ref::<Overloaded>() {
        let mut response = ApiError::unavailable(busy.to_string()).into_response();
        response.headers_mut().insert(
            header::RETRY_AFTER,
            header::HeaderValue::from(RETRY_AFTER_SECONDS),
        );
        return response;
    } else if status.is_server_error() {
        ApiError::internal(&message)
    } else {
        ApiError::new(status, "invalid_request", message)
    };
    api.into_response()
}
