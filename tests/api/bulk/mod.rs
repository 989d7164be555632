//! `/Bulk` (RFC 7644 §3.7) over HTTP: every example of §3.7 in `rfc.rs`; `bulkId` references
//! (members, manager, paths, forward references, cycles) in `references.rs`; what a failing
//! operation leaves, the events, `failOnErrors` and `version` in `outcomes.rs`; `maxOperations`
//! and `maxPayloadSize` in `limits.rs`; what the users a chunk reads ahead show in
//! `chunk_reads.rs`; requests waiting for their turn in `turns.rs`. The fixtures they share are
//! here.

mod chunk_reads;
mod limits;
mod locks;
mod outcomes;
mod references;
mod rfc;
mod turns;

use serde_json::{Value, json};

use crate::helpers::{ERROR_SCHEMA, TestApp, USER_SCHEMA};

/// The statuses of a BulkResponse's operations, in order.
pub fn statuses(ops: &[Value]) -> Vec<&str> {
    ops.iter()
        .map(|op| op["status"].as_str().expect("status is a string"))
        .collect()
}

/// Asserts that `op` failed with `status` and carries the SCIM Error a single request would
/// have got; returns its `detail`.
pub fn assert_failed(op: &Value, status: u16, scim_type: Option<&str>) -> String {
    assert_eq!(op["status"], json!(status.to_string()), "{op}");
    let error = &op["response"];
    assert_eq!(error["schemas"], json!([ERROR_SCHEMA]), "{op}");
    assert_eq!(error["status"], json!(status.to_string()), "{op}");
    assert_eq!(
        error.get("scimType").and_then(Value::as_str),
        scim_type,
        "{op}"
    );
    assert!(
        op.get("version").is_none(),
        "a failure has no version: {op}"
    );
    error["detail"].as_str().expect("detail").to_owned()
}

/// The resource id at the end of an operation's `location`.
pub fn located_id(op: &Value) -> String {
    let location = op["location"].as_str().expect("location");
    location.rsplit('/').next().expect("id").to_owned()
}

/// A POST of a user named `name` with `bulk_id`.
pub fn post_user(bulk_id: &str, name: &str) -> Value {
    json!({"method": "POST", "path": "/Users", "bulkId": bulk_id,
           "data": {"schemas": [USER_SCHEMA], "userName": name}})
}

/// How many users are called `name`.
pub async fn users_named(app: &TestApp, name: &str) -> u64 {
    let list = app.list("/Users", &format!("userName eq \"{name}\"")).await;
    list["totalResults"].as_u64().expect("totalResults")
}
