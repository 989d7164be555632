//! `/Groups` (RFC 7643 §4.2, RFC 7644 §3). A Group PATCH answers 204, so a membership change
//! never ships a large member list back, unless the request asks for attributes (RFC 7644
//! §3.5.2: then 200 with the resource).

use super::payload::{Doc, ScimJson};
use super::resource_api::resource_api;
use super::{ApiTags, docs};
use crate::service::{Kind, Rendered};

resource_api! {
    api: GroupsApi,
    kind: Kind::Group,
    tag: "ApiTags::Groups",
    body: docs::Group,
    docs: {
        create: "Create a Group (RFC 7644 §3.3).",
        get: "Read a Group (RFC 7644 §3.4.1); 304 when `If-None-Match` names its version.",
        list: "List Groups with an optional filter, sorting, index or cursor paging, and projection (RFC 7644 §3.4.2, RFC 9865).",
        search: "Search Groups with a SearchRequest body (RFC 7644 §3.4.3); the same options as listing.",
        replace: "Replace a Group (RFC 7644 §3.5.1); 412 when `If-Match` names another version.",
        patch: "Modify a Group with a PatchOp, all operations or none (RFC 7644 §3.5.2); 412 when `If-Match` names another version.",
        delete: "Delete a Group and its memberships (RFC 7644 §3.6); 412 when `If-Match` names another version.",
    },
    collection: "/Groups",
    item: "/Groups/:id",
    search: "/Groups/.search",
    patched: Patched,
    patch_answer: patched,
}

/// The answer to a Group PATCH.
#[derive(poem_openapi::ApiResponse)]
pub enum Patched {
    /// The Group, because `attributes` or `excludedAttributes` asked for it.
    #[oai(status = 200)]
    Ok(
        Body,
        #[oai(header = "Location")] String,
        #[oai(header = "ETag")] String,
    ),
    /// Applied; no body.
    #[oai(status = 204)]
    NoContent(#[oai(header = "ETag")] String),
}

fn patched(r: Rendered, attributes_asked: bool) -> Patched {
    if attributes_asked {
        Patched::Ok(ScimJson(Doc::new(r.body)), r.location, r.etag)
    } else {
        Patched::NoContent(r.etag)
    }
}
