//! The inputs whose cost `--costs` measures, one per count that README "Limits" bounds, and the
//! requests that carry n of them. Each kind was once worse than linear (issue 13 §2): the
//! requests are the ones that showed it, so a regression shows in the same rows.

use reqwest::Method;
use serde_json::{Value, json};

use scimd::config::ServeArgs;
use scimd::scim::patch::PATCH_OP_SCHEMA;

/// The core User schema, which every created user lists.
const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";

/// One input kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// PATCH `add` of n/2 emails to a user holding n/2 others (RFC 7644 §3.5.2.1: only values
    /// not yet present are added), so the user ends with n: formerly every new value was
    /// compared with every stored one.
    PatchAdd,
    /// PATCH `remove` listing all n emails of a user in its `value` (Entra ID's form),
    /// formerly compared pairwise too.
    RemoveListed,
    /// POST /Users with n emails: the value rows were one INSERT of 12 parameters per value.
    CreateValues,
    /// GET /Users (a page of 100) with n names in `attributes`: matched key by key.
    Attributes,
    /// The same with `excludedAttributes`.
    Excluded,
    /// A filter of n `and`-ed terms: a left-deep SQL expression that SQLite's depth limit
    /// refused from about 500 terms.
    FilterAnd,
    /// A filter of n `or`-ed terms.
    FilterOr,
    /// PATCH with n operations, each replacing one single-valued attribute.
    ReplaceOps,
    /// PATCH with n operations, each adding one email: each `add` indexes the values already
    /// there, so this is the kind to show a cost of operations times values.
    AddOps,
    /// POST /Users whose body holds n JSON values (`--max-json-values`), nearly all of them
    /// empty objects in an attribute scimd ignores: parsing and memory per KB of body.
    JsonValues,
}

/// One request, built before the measurement starts.
pub struct Request {
    pub method: Method,
    /// Below the SCIM base, e.g. `/Users?filter=…`.
    pub path: String,
    pub body: Option<Vec<u8>>,
}

impl Kind {
    /// Every kind, in running order.
    pub const ALL: [Kind; 10] = [
        Kind::PatchAdd,
        Kind::RemoveListed,
        Kind::CreateValues,
        Kind::Attributes,
        Kind::Excluded,
        Kind::FilterAnd,
        Kind::FilterOr,
        Kind::ReplaceOps,
        Kind::AddOps,
        Kind::JsonValues,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::PatchAdd => "patch-add",
            Kind::RemoveListed => "remove-listed",
            Kind::CreateValues => "create-values",
            Kind::Attributes => "attributes",
            Kind::Excluded => "excluded",
            Kind::FilterAnd => "filter-and",
            Kind::FilterOr => "filter-or",
            Kind::ReplaceOps => "replace-ops",
            Kind::AddOps => "add-ops",
            Kind::JsonValues => "json-values",
        }
    }

    /// The request, with n.
    pub fn request(self) -> &'static str {
        match self {
            Kind::PatchAdd => "PATCH add n/2 emails to a user with n/2",
            Kind::RemoveListed => "PATCH remove of n listed emails (all)",
            Kind::CreateValues => "POST /Users with n emails",
            Kind::Attributes => "GET /Users?attributes=<n names> (100)",
            Kind::Excluded => "GET /Users?excludedAttributes=<n> (100)",
            Kind::FilterAnd => "GET /Users?filter=<n terms and-ed>",
            Kind::FilterOr => "GET /Users?filter=<n terms or-ed>",
            Kind::ReplaceOps => "PATCH with n replace operations",
            Kind::AddOps => "PATCH with n adds of one email each",
            Kind::JsonValues => "POST /Users, body of n JSON values",
        }
    }

    /// What the per-unit columns divide by.
    pub fn unit(self) -> &'static str {
        match self {
            Kind::PatchAdd | Kind::RemoveListed | Kind::CreateValues => "value",
            Kind::Attributes | Kind::Excluded => "name",
            Kind::FilterAnd | Kind::FilterOr => "term",
            Kind::ReplaceOps | Kind::AddOps => "operation",
            Kind::JsonValues => "KB",
        }
    }

    /// The limit that bounds n, as `scimd serve` will run with the same flags and environment.
    pub fn limit(self, serve: &ServeArgs) -> usize {
        let limits = serve.limits();
        match self {
            Kind::PatchAdd | Kind::RemoveListed | Kind::CreateValues => limits.max_values,
            Kind::Attributes | Kind::Excluded => limits.max_attributes,
            Kind::FilterAnd | Kind::FilterOr => limits.max_filter_terms,
            Kind::ReplaceOps => limits.max_operations,
            // n adds of one email each leave n emails: both limits bound it.
            Kind::AddOps => limits.max_operations.min(limits.max_values),
            Kind::JsonValues => serve.max_json_values as usize,
        }
    }

    /// n at an eighth, a quarter, half and all of the limit, then just over it (answered 400).
    /// Even, where a request carries n/2 of something.
    pub fn sizes(self, limit: usize) -> Vec<usize> {
        let even = |n: usize| match self {
            Kind::PatchAdd => n.next_multiple_of(2),
            _ => n,
        };
        let mut sizes: Vec<usize> = [limit / 8, limit / 4, limit / 2, limit]
            .into_iter()
            .map(|n| even(n.max(1)))
            .collect();
        sizes.dedup();
        sizes.push(even(limit + 1));
        sizes
    }

    /// Emails of each user a request of size n works on, created before the measurement (one
    /// user per request, as the request changes it); `None` when no user is needed.
    pub fn user_emails(self, n: usize, limit: usize) -> Option<usize> {
        match self {
            Kind::PatchAdd => Some(n / 2),
            // Over the limit, the user holds what it may and the request lists one more.
            Kind::RemoveListed => Some(n.min(limit)),
            Kind::ReplaceOps | Kind::AddOps => Some(0),
            _ => None,
        }
    }

    /// The request of size n numbered `i` (unique over the run), on `user` when
    /// [`Kind::user_emails`] asks for one.
    pub fn build(self, n: usize, i: usize, user: Option<&str>) -> Request {
        let user = user.unwrap_or_default();
        match self {
            Kind::PatchAdd => patch(user, vec![add_emails(n / 2..n)]),
            Kind::RemoveListed => patch(
                user,
                vec![json!({"op": "remove", "path": "emails", "value": emails(0..n)})],
            ),
            Kind::CreateValues => post(&new_user(&format!("values-{n}-{i}"), 0..n)),
            Kind::Attributes => get(&format!("/Users?count=100&attributes={}", names(n))),
            Kind::Excluded => get(&format!("/Users?count=100&excludedAttributes={}", names(n))),
            Kind::FilterAnd => get(&format!("/Users?filter={}", filter(n, "and"))),
            Kind::FilterOr => get(&format!("/Users?filter={}", filter(n, "or"))),
            Kind::ReplaceOps => patch(user, (0..n).map(replace_op).collect()),
            Kind::AddOps => patch(user, (0..n).map(|k| add_emails(k..k + 1)).collect()),
            Kind::JsonValues => post(&padded_user(&format!("json-{n}-{i}"), n)),
        }
    }

    /// Units of this kind in `request` of size n.
    pub fn units(self, n: usize, request: &Request) -> f64 {
        match self {
            Kind::JsonValues => request.body.as_ref().map_or(0, Vec::len) as f64 / 1024.0,
            _ => n as f64,
        }
    }
}

/// A user to create, with the emails numbered `range`.
pub fn new_user(user_name: &str, range: std::ops::Range<usize>) -> Value {
    let mut user = json!({
        "schemas": [USER_SCHEMA],
        "userName": format!("costs-{user_name}@example.com"),
    });
    if !range.is_empty() {
        user["emails"] = emails(range);
    }
    user
}

/// Emails numbered `range`, unique within a user.
fn emails(range: std::ops::Range<usize>) -> Value {
    range
        .map(|k| json!({"value": format!("e{k}@costs.example"), "type": "work"}))
        .collect()
}

fn add_emails(range: std::ops::Range<usize>) -> Value {
    json!({"op": "add", "path": "emails", "value": emails(range)})
}

/// The k-th of n replace operations: several attributes in turn, each with a new value.
fn replace_op(k: usize) -> Value {
    const PATHS: [&str; 5] = [
        "displayName",
        "title",
        "nickName",
        "name.givenName",
        "name.familyName",
    ];
    json!({"op": "replace", "path": PATHS[k % PATHS.len()], "value": format!("v{k}")})
}

/// n distinct attribute names: a few that users have, then unknown top-level names and
/// sub-attributes (named, so parsed and compiled, but matching nothing).
fn names(n: usize) -> String {
    const REAL: [&str; 6] = [
        "userName",
        "name.givenName",
        "emails.value",
        "active",
        "title",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
    ];
    (0..n)
        .map(|k| match REAL.get(k) {
            Some(name) => (*name).to_owned(),
            None if k % 2 == 0 => format!("x{k}"),
            None => format!("name.x{k}"),
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// n terms on indexed and unindexed attributes in turn, none matching a seeded user, joined
/// by `op`; URL-encoded.
fn filter(n: usize, op: &str) -> String {
    const PATHS: [&str; 4] = ["userName", "name.familyName", "emails.value", "title"];
    let text = (0..n)
        .map(|k| format!("{} eq \"nobody-{k}\"", PATHS[k % PATHS.len()]))
        .collect::<Vec<_>>()
        .join(&format!(" {op} "));
    encode(&text)
}

/// Percent-encodes everything but unreserved characters (RFC 3986 §2.3).
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A user whose body holds exactly n JSON values as `check_shape` counts them: a small user,
/// and `[[{}, {}, …]]` in an attribute no schema defines (ignored; nested one level so that it
/// is no attribute's list of values, which `--max-values-per-attribute` would refuse first).
fn padded_user(user_name: &str, n: usize) -> Value {
    let mut user = new_user(user_name, 0..0);
    user["padding"] = json!([[]]);
    let base = count(&user);
    let fill = n.saturating_sub(base);
    user["padding"] = json!([vec![json!({}); fill]]);
    user
}

/// JSON values as scimd counts them before parsing (`http::body::check_shape`).
fn count(value: &Value) -> usize {
    let text = value.to_string();
    scimd::http::body::check_shape(text.as_bytes(), usize::MAX).unwrap_or_default()
}

fn get(path: &str) -> Request {
    Request {
        method: Method::GET,
        path: path.to_owned(),
        body: None,
    }
}

fn post(user: &Value) -> Request {
    Request {
        method: Method::POST,
        path: "/Users".to_owned(),
        body: Some(user.to_string().into_bytes()),
    }
}

fn patch(user: &str, operations: Vec<Value>) -> Request {
    let body = json!({"schemas": [PATCH_OP_SCHEMA], "Operations": operations});
    Request {
        method: Method::PATCH,
        path: format!("/Users/{user}"),
        body: Some(body.to_string().into_bytes()),
    }
}
