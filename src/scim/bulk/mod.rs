//! `/Bulk` (RFC 7644 §3.7), the pure part: the `BulkRequest` model and the checks of one
//! operation (`request`), the body read one operation at a time (`read`), the `bulkId`
//! references inside operations and their substitution (`refs`), the order operations run in
//! so that every reference is created before it is used, with reference cycles found
//! (`plan`), and the `BulkResponse` (`response`). Nothing here does I/O; the service layer
//! (`service::bulk`) runs the plan.

mod plan;
mod read;
mod refs;
mod request;
mod response;

pub use plan::{Plan, Unit, plan, references};
pub use read::parse;
pub use refs::{
    BULK_ID_PREFIX, bulk_id_of, canonical_refs, defer_canonical_refs, holds_resource_id, patch_refs,
};
pub use request::{Action, BulkOperation, BulkRequest, Method, Target};
pub use response::{OpResponse, response_json};

use super::error::ProtocolError;

/// The BulkRequest message schema (RFC 7644 §3.7).
pub const BULK_REQUEST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
/// The BulkResponse message schema (RFC 7644 §3.7).
pub const BULK_RESPONSE_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";

/// Why a bulk request, or one of its operations, is refused. Each edge gives every variant its
/// status in one place (`http::error`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BulkError {
    /// A request or operation the SCIM rules refuse (400 with its `scimType`).
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
    /// More operations than `maxOperations` (RFC 7644 §3.7.4: 413, naming the limit).
    #[error("the request has {count} operations, more than the maxOperations ({max})")]
    TooManyOperations { count: usize, max: usize },
    /// An operation's `path` names no resource endpoint (404, as a single request would get).
    #[error("{0}")]
    NoEndpoint(String),
    /// An operation's method does not apply to its `path` (405, as a single request would get).
    #[error("{0}")]
    MethodNotAllowed(String),
    /// An operation that cannot run because another one it depends on failed, or a reference
    /// cycle that could not be resolved (RFC 7644 §3.7.1: 409).
    #[error("{0}")]
    Conflict(String),
    /// The operation succeeded, but the transaction it shared with other operations could not
    /// be committed, so it was not applied (500; the service logs the cause).
    #[error("the operation could not be committed and was not applied; send it again")]
    NotCommitted,
}

#[cfg(test)]
mod tests;
