//! `/Users` (RFC 7643 §4.1, RFC 7644 §3). A User PATCH answers 200 with the resource.

use super::resource_api::resource_api;
use super::{ApiTags, docs};
use crate::service::{Kind, Rendered};

resource_api! {
    api: UsersApi,
    kind: Kind::User,
    tag: "ApiTags::Users",
    body: docs::User,
    docs: {
        create: "Create a User (RFC 7644 §3.3).",
        get: "Read a User (RFC 7644 §3.4.1); 304 when `If-None-Match` names its version.",
        list: "List Users with an optional filter, sorting, index or cursor paging, and projection (RFC 7644 §3.4.2, RFC 9865).",
        search: "Search Users with a SearchRequest body (RFC 7644 §3.4.3); the same options as listing.",
        replace: "Replace a User (RFC 7644 §3.5.1); 412 when `If-Match` names another version.",
        patch: "Modify a User with a PatchOp, all operations or none (RFC 7644 §3.5.2); 412 when `If-Match` names another version.",
        delete: "Delete a User (RFC 7644 §3.6); 412 when `If-Match` names another version.",
    },
    collection: "/Users",
    item: "/Users/:id",
    search: "/Users/.search",
    patched: Found,
    patch_answer: patched,
}

/// A User PATCH always answers with the User, so clients see the result of their operations.
fn patched(r: Rendered, _attributes_asked: bool) -> Found {
    found(r)
}
