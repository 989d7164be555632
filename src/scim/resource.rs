//! A resource as the store keeps it and the protocol layer handles it: identity, the `meta`
//! facts the server owns (RFC 7643 §3.1), and the client-visible attributes keyed by their
//! canonical schema names (extension attributes nested under the extension's URN).

use chrono::{DateTime, SubsecRound, Utc};
use serde_json::{Map, Value};

/// A stored User or Group.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    pub id: String,
    pub meta: Meta,
    /// Canonical attributes, without `id`, `meta` and `schemas`.
    pub attrs: Map<String, Value>,
}

/// Server-owned metadata (RFC 7643 §3.1 `meta`, without the URL-dependent `location`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    pub created: DateTime<Utc>,
    pub last_modified: DateTime<Utc>,
    /// Incremented by every change; the ETag is derived from it.
    pub version: i64,
}

impl Meta {
    /// The weak entity tag of this version (RFC 7644 §3.14).
    pub fn etag(&self) -> String {
        format!("W/\"{}\"", self.version)
    }
}

/// The current time at millisecond precision, which both backends store exactly, so a value
/// read back compares equal to the value written.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(3)
}

/// Formats a timestamp as RFC 3339 with millisecond precision and a `Z` suffix.
pub fn format_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The object stored under `key`, created (or replacing a non-object) if needed.
pub fn object_entry<'a>(map: &'a mut Map<String, Value>, key: &str) -> &'a mut Map<String, Value> {
    let entry = map.entry(key).or_insert_with(|| Value::Object(Map::new()));
    if !entry.is_object() {
        *entry = Value::Object(Map::new());
    }
    match entry {
        Value::Object(o) => o,
        _ => unreachable!("the entry was just made an object"),
    }
}
