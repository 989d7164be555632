//! The console's one error type and the one place it becomes a response: an HTML page with a
//! message for people and the request id, or a redirect to the sign-in page. Server failures are
//! logged with their cause and shown as a generic message: no internals reach the page.

use poem::http::{StatusCode, header};
use poem::{IntoResponse, Response};

use super::layout;
use crate::service::ServiceError;
use crate::store::StoreError;

/// Why a console request was not served.
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    /// No valid session: the browser is sent to the sign-in page.
    #[error("sign in first")]
    SignInRequired,
    /// A form without the session's CSRF value, or with another one.
    #[error("{0}")]
    Forbidden(String),
    /// Input the console or a use case refuses; nothing changed.
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Gone(String),
    /// The server failed; the cause is logged, never shown.
    #[error("{0}")]
    Internal(String),
}

impl From<ServiceError> for ConsoleError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Protocol(_) | ServiceError::Filter(_) | ServiceError::Invalid { .. } => {
                ConsoleError::BadRequest(e.to_string())
            }
            ServiceError::NotFound { .. } => ConsoleError::NotFound(e.to_string()),
            ServiceError::PreconditionFailed { .. } => ConsoleError::Conflict(e.to_string()),
            ServiceError::Conflict(m) | ServiceError::Store(StoreError::Uniqueness(m)) => {
                ConsoleError::Conflict(m)
            }
            ServiceError::Gone(m) => ConsoleError::Gone(m),
            ServiceError::Store(StoreError::InvalidReference(m)) => ConsoleError::BadRequest(m),
            other => ConsoleError::Internal(other.to_string()),
        }
    }
}

impl ConsoleError {
    /// The status of the response for this error.
    pub fn status(&self) -> StatusCode {
        self.status_and_message().0
    }

    /// The status and the message shown for this error.
    fn status_and_message(&self) -> (StatusCode, String) {
        match self {
            ConsoleError::SignInRequired => (StatusCode::UNAUTHORIZED, self.to_string()),
            ConsoleError::Forbidden(m) => (StatusCode::FORBIDDEN, m.clone()),
            ConsoleError::BadRequest(m) => (StatusCode::BAD_REQUEST, m.clone()),
            ConsoleError::NotFound(m) => (StatusCode::NOT_FOUND, m.clone()),
            ConsoleError::Conflict(m) => (StatusCode::CONFLICT, m.clone()),
            ConsoleError::Gone(m) => (StatusCode::GONE, m.clone()),
            ConsoleError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong on the server. The server's log has the details under \
                 this response's X-Request-Id."
                    .to_owned(),
            ),
        }
    }
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        if let ConsoleError::SignInRequired = self {
            return Response::builder()
                .status(StatusCode::SEE_OTHER)
                .header(header::LOCATION, "/admin/sign-in")
                .finish();
        }
        if let ConsoleError::Internal(cause) = &self {
            tracing::error!(error = %cause, "console request failed");
        }
        let (status, message) = self.status_and_message();
        layout::error_page(status, &message)
    }
}

impl From<ConsoleError> for poem::Error {
    fn from(e: ConsoleError) -> Self {
        poem::Error::from_response(e.into_response())
    }
}

/// Turns poem's own errors (unknown path, wrong method, unreadable body) into console pages;
/// responses the handlers built pass through unchanged.
pub fn render_poem_error(err: poem::Error) -> Response {
    if err.is_from_response() {
        return err.into_response();
    }
    let status = err.status();
    let error = if status == StatusCode::NOT_FOUND {
        ConsoleError::NotFound("There is no such page.".into())
    } else if status == StatusCode::METHOD_NOT_ALLOWED {
        ConsoleError::BadRequest("This page does not take that kind of request.".into())
    } else if status.is_client_error() {
        ConsoleError::BadRequest(format!("The request was refused: {err}"))
    } else {
        ConsoleError::Internal(err.to_string())
    };
    let mut response = error.into_response();
    if status.is_client_error() {
        response.set_status(status);
    }
    response
}
