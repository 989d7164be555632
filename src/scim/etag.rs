//! Entity tags and HTTP preconditions (RFC 7644 §3.14, RFC 9110 §13): `meta.version` is a weak
//! ETag, `If-Match` guards writes, `If-None-Match` turns a read of an unchanged resource into 304.

use super::resource::Meta;

/// Whether an `If-Match` header allows a write of the resource at `meta`. Weak comparison, as
/// scimd's tags are weak; `*` matches any existing resource; no header always allows.
pub fn if_match_allows(header: Option<&str>, meta: &Meta) -> bool {
    match header {
        None => true,
        Some(h) => any_tag_matches(h, meta),
    }
}

/// Whether an `If-None-Match` header names the current version, so a GET answers 304.
pub fn if_none_match_hits(header: Option<&str>, meta: &Meta) -> bool {
    header.is_some_and(|h| any_tag_matches(h, meta))
}

fn any_tag_matches(header: &str, meta: &Meta) -> bool {
    let current = meta.etag();
    header
        .split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || opaque(tag) == opaque(&current))
}

/// The opaque part of a tag, without the weakness marker (weak comparison, RFC 9110 §8.8.3.2).
fn opaque(tag: &str) -> &str {
    tag.strip_prefix("W/").unwrap_or(tag)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::resource::now;

    fn meta(version: i64) -> Meta {
        Meta::new(now(), now(), version)
    }

    #[test]
    fn if_match_compares_weakly_and_accepts_lists_and_star() {
        let m = meta(3);
        let cases = [
            (None, true, "no header"),
            (Some("W/\"3\""), true, "same weak tag"),
            (Some("\"3\""), true, "strong form of the same tag"),
            (Some("W/\"2\""), false, "older version"),
            (Some("W/\"1\", W/\"3\""), true, "list containing the tag"),
            (Some("*"), true, "any"),
            (Some("garbage"), false, "unparseable"),
        ];
        for (header, expected, reason) in cases {
            assert_eq!(if_match_allows(header, &m), expected, "{reason}");
        }
    }

    #[test]
    fn if_none_match_hits_only_the_current_version() {
        let m = meta(7);
        assert!(if_none_match_hits(Some("W/\"7\""), &m));
        assert!(!if_none_match_hits(Some("W/\"6\""), &m));
        assert!(!if_none_match_hits(None, &m));
    }
}
