//! The one error type of the service layer. Each edge turns it into its own responses in one
//! place (`http::error` for SCIM errors, `http::api::error` for the host application's API).

use crate::scim::bulk::BulkError;
use crate::scim::error::ProtocolError;
use crate::scim::filter::FilterError;
use crate::store::StoreError;

/// Why a use case refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// A request the SCIM rules refuse (400 with its `scimType`).
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
    /// A filter that does not parse (400 `invalidFilter`).
    #[error("invalid filter {0}")]
    Filter(#[from] FilterError),
    /// A parameter with a value the use case cannot take (400, with the SCIM `scimType` that
    /// fits it).
    #[error("{detail}")]
    Invalid {
        scim_type: &'static str,
        detail: String,
    },
    /// The resource does not exist in the caller's directory.
    #[error("{resource} \"{id}\" not found")]
    NotFound { resource: &'static str, id: String },
    /// `If-Match` / `If-None-Match` refused the write (RFC 7644 §3.14); `current` is the ETag.
    #[error("the resource has changed: its current version is {current}")]
    PreconditionFailed { current: String },
    /// The request contradicts the current state (409): a name already taken, a directory that
    /// still holds users.
    #[error("{0}")]
    Conflict(String),
    /// What the caller asks for is no longer kept (events past retention).
    #[error("{0}")]
    Gone(String),
    /// A bulk request, or one of its operations, refused by the `/Bulk` rules.
    #[error(transparent)]
    Bulk(#[from] BulkError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ServiceError {
    /// A refused parameter with its SCIM `scimType`.
    pub fn invalid(scim_type: &'static str, detail: impl Into<String>) -> Self {
        ServiceError::Invalid {
            scim_type,
            detail: detail.into(),
        }
    }

    /// Whether the database gave up on the write because of concurrent ones, so that running
    /// it again can succeed.
    pub fn is_contention(&self) -> bool {
        matches!(self, ServiceError::Store(e) if e.is_contention())
    }
}
