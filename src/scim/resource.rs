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
    /// Incremented by every change of the resource's own row; writes check it.
    pub version: i64,
    /// A fingerprint of what the resource shows but does not own (a User's `groups`), so its
    /// ETag changes when a group change alters it; 0 when there is nothing.
    pub related: u64,
}

impl Meta {
    /// Metadata of a resource that shows nothing it does not own.
    pub fn new(created: DateTime<Utc>, last_modified: DateTime<Utc>, version: i64) -> Self {
        Self {
            created,
            last_modified,
            version,
            related: 0,
        }
    }

    /// The weak entity tag of this version (RFC 7644 §3.14).
    pub fn etag(&self) -> String {
        if self.related == 0 {
            format!("W/\"{}\"", self.version)
        } else {
            format!("W/\"{}-{:016x}\"", self.version, self.related)
        }
    }
}

/// FNV-1a over `parts`: a fingerprint that is the same on every instance and release.
pub fn fingerprint<'a>(parts: impl IntoIterator<Item = &'a str>) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain(std::iter::once(0)) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
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
