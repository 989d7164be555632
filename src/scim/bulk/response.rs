//! The `BulkResponse` message (RFC 7644 §3.7.3).

use serde_json::{Map, Value, json};

use super::BULK_RESPONSE_SCHEMA;

/// The result of one operation, as the response lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct OpResponse {
    pub method: Option<String>,
    pub bulk_id: Option<String>,
    /// The resource's URL: present for every operation but a failed POST (§3.7.3).
    pub location: Option<String>,
    /// The resource's ETag after a successful POST, PUT or PATCH.
    pub version: Option<String>,
    /// The status a single request would have got.
    pub status: u16,
    /// The SCIM Error of a failed operation (§3.7: "MUST be included" for a non-2xx status);
    /// successful ones carry none, which §3.7 allows, so a response of 1,000 creates stays small.
    pub response: Option<Value>,
}

/// The BulkResponse body. `status` is the code as a string, as §3.7 defines the attribute and
/// §3.7.3's examples show it (one example in §3.7.2, and one sentence of §3.7.3, nest it as
/// `{"code": …}`; scimd follows the attribute's definition).
pub fn response_json(operations: Vec<OpResponse>) -> Value {
    let operations: Vec<Value> = operations
        .into_iter()
        .map(|op| {
            let mut out = Map::new();
            let mut put = |k: &str, v: Option<Value>| {
                if let Some(v) = v {
                    out.insert(k.to_owned(), v);
                }
            };
            put("location", op.location.map(Value::String));
            put("method", op.method.map(Value::String));
            put("bulkId", op.bulk_id.map(Value::String));
            put("version", op.version.map(Value::String));
            put("status", Some(Value::String(op.status.to_string())));
            put("response", op.response);
            Value::Object(out)
        })
        .collect();
    json!({"schemas": [BULK_RESPONSE_SCHEMA], "Operations": operations})
}
