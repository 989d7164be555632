//! Query parameters shared by list and read endpoints (RFC 7644 §3.4.2, §3.4.2.5, §3.4.3).

use super::error::ScimError;
use crate::scim::filter::{AttrPath, parse_attr_path, parse_filter};
use crate::scim::render::Projection;
use crate::store::ListQuery;

/// The default page size when a client sends no `count`.
pub const DEFAULT_COUNT: i64 = 100;

/// Parses `filter`, `startIndex` and `count` into a store query. `startIndex` below 1 means 1
/// and a negative `count` means 0 (RFC 7644 §3.4.2.4); `count` is capped at `max_count`.
pub fn list_query(
    filter: Option<&str>,
    start_index: Option<i64>,
    count: Option<i64>,
    max_count: i64,
) -> Result<ListQuery, ScimError> {
    let filter = match filter.map(str::trim) {
        None | Some("") => None,
        Some(f) => Some(parse_filter(f)?),
    };
    Ok(ListQuery {
        filter,
        start_index: start_index.unwrap_or(1).max(1),
        count: count
            .unwrap_or(DEFAULT_COUNT.min(max_count))
            .clamp(0, max_count),
    })
}

/// Parses the comma-separated `attributes` and `excludedAttributes` parameters.
pub fn projection(
    attributes: Option<&str>,
    excluded: Option<&str>,
) -> Result<Projection, ScimError> {
    Ok(Projection {
        attributes: paths(attributes)?,
        excluded: paths(excluded)?,
    })
}

fn paths(list: Option<&str>) -> Result<Vec<AttrPath>, ScimError> {
    list.unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            parse_attr_path(s).map_err(|e| {
                ScimError::bad_request("invalidValue", format!("attribute \"{s}\": {e}"))
            })
        })
        .collect()
}
