//! Which directory a SCIM request is for. Every directory's SCIM API lives at
//! `/directories/{id}/scim/v2/...`; `/scim/v2/...` is the `default` directory's, where set-ups
//! made before there were directories point. A directory URL is rewritten to the one SCIM route
//! table, with the directory kept beside the request; the token must then belong to it
//! (`http::auth`), so a request reaches no data but its directory's.

use poem::Request;

use super::BASE_PATH;
use crate::store::DEFAULT_TENANT;

/// The prefix of every directory's URLs.
pub const DIRECTORIES_PATH: &str = "/directories";

/// The directory of a SCIM request.
#[derive(Debug, Clone)]
pub struct ScimDirectory(pub String);

/// For a SCIM request, rewrites a directory URL to the SCIM routes, records its directory on
/// the request and returns it; `None` for any other request.
pub fn scope(req: &mut Request) -> Option<String> {
    let path = req.uri().path();
    let directory = if is_under(path, BASE_PATH) {
        DEFAULT_TENANT.to_owned()
    } else {
        let rest = path.strip_prefix(DIRECTORIES_PATH)?.strip_prefix('/')?;
        let (id, tail) = rest.split_at(rest.find('/')?);
        if id.is_empty() || !is_under(tail, BASE_PATH) {
            return None;
        }
        let rewritten = match req.uri().query() {
            Some(q) => format!("{tail}?{q}"),
            None => tail.to_owned(),
        };
        let mut parts = req.uri().clone().into_parts();
        parts.path_and_query = Some(rewritten.parse().ok()?);
        let id = id.to_owned();
        *req.uri_mut() = poem::http::Uri::from_parts(parts).ok()?;
        id
    };
    req.extensions_mut()
        .insert(ScimDirectory(directory.clone()));
    Some(directory)
}

/// Whether `path` is `base` or below it.
pub fn is_under(path: &str, base: &str) -> bool {
    path.strip_prefix(base)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scoped(uri: &str) -> (Option<String>, String) {
        let mut req = Request::builder().uri(uri.parse().unwrap()).finish();
        let directory = scope(&mut req);
        (directory, req.uri().to_string())
    }

    #[test]
    fn directory_urls_are_served_by_the_scim_routes() {
        assert_eq!(
            scoped("/directories/acme/scim/v2/Users?filter=userName%20eq%20%22a%22"),
            (
                Some("acme".into()),
                "/scim/v2/Users?filter=userName%20eq%20%22a%22".into()
            )
        );
        assert_eq!(
            scoped("/directories/acme/scim/v2"),
            (Some("acme".into()), "/scim/v2".into())
        );
    }

    #[test]
    fn the_plain_base_path_is_the_default_directory() {
        assert_eq!(
            scoped("/scim/v2/Groups/1"),
            (Some("default".into()), "/scim/v2/Groups/1".into())
        );
    }

    #[test]
    fn other_paths_are_left_alone() {
        for uri in [
            "/api/v1/events",
            "/directories/acme/other",
            "/directories//scim/v2/Users",
            "/directories/acme/scim/v22",
            "/scim/v22/Users",
            "/healthz",
        ] {
            assert_eq!(scoped(uri), (None, uri.to_owned()), "{uri}");
        }
    }
}
