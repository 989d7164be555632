//! Query parameters shared by list, read and search requests: `filter`, `sortBy`/`sortOrder`,
//! index paging (RFC 7644 §3.4.2) or cursor paging (RFC 9865), and
//! `attributes`/`excludedAttributes` (RFC 7644 §3.4.2.5).

use chrono::Duration;
use serde::{Deserialize, Serialize};

use super::ServiceError;
use crate::auth::{TokenAuthority, UnsealError};
use crate::scim::filter::{
    AttrPath, PatchPath, TermBudget, parse_attr_path, parse_filter_within, parse_patch_path_within,
};
use crate::scim::limits::Limits;
use crate::scim::projection::Projection;
use crate::store::{ListQuery, Paging, Position, Sort};

/// The default page size when a client sends no `count`.
pub const DEFAULT_COUNT: i64 = 100;

/// How long a cursor stays valid (advertised as `pagination.cursorTimeout`).
pub const CURSOR_TIMEOUT_SECS: i64 = 3600;

/// The raw list parameters of a request (query string or SearchRequest body).
#[derive(Debug, Default)]
pub struct ListInput<'a> {
    pub filter: Option<&'a str>,
    pub sort_by: Option<&'a str>,
    pub sort_order: Option<&'a str>,
    pub start_index: Option<i64>,
    pub count: Option<i64>,
    /// `Some("")` asks for the first page of a cursor walk.
    pub cursor: Option<&'a str>,
}

/// What a cursor carries: the query it belongs to and where the next page starts.
#[derive(Debug, Serialize, Deserialize)]
struct CursorState {
    /// The resource type, filter and order, so a cursor cannot be replayed on another query.
    query: String,
    position: Position,
    /// `totalResults` as counted on the walk's first page.
    total: i64,
}

/// What seals paging cursors, and the directory a cursor is bound to: a cursor taken from one
/// directory is refused in another.
pub struct CursorKey<'a> {
    pub auth: &'a TokenAuthority,
    pub directory: &'a str,
}

/// Validates the list parameters of a request on `resource` into a store query. `startIndex`
/// below 1 means 1 and a negative `count` means 0 (RFC 7644 §3.4.2.4); `count` is capped at
/// `max_count`; the filter's terms come from the request's `terms`.
pub fn list_query(
    input: &ListInput<'_>,
    resource: &str,
    max_count: i64,
    key: &CursorKey<'_>,
    terms: &mut TermBudget,
) -> Result<ListQuery, ServiceError> {
    let filter = match input.filter.map(str::trim) {
        None | Some("") => None,
        Some(f) => Some(parse_filter_within(f, terms)?),
    };
    let sort = sort(input.sort_by, input.sort_order)?;
    let count = input
        .count
        .unwrap_or(DEFAULT_COUNT.min(max_count))
        .clamp(0, max_count);
    let mut query = ListQuery {
        filter,
        sort,
        paging: Paging::Index {
            start_index: input.start_index.unwrap_or(1).max(1),
            count,
            after: None,
        },
        across_types: false,
        known_total: None,
    };
    if let Some(cursor) = input.cursor {
        if input.start_index.is_some() {
            return Err(ServiceError::invalid(
                "invalidValue",
                "use either startIndex or cursor, not both",
            ));
        }
        let after = match cursor.trim() {
            "" => None,
            sealed => {
                let state = open_cursor(sealed, &fingerprint(resource, &query), key)?;
                query.known_total = Some(state.total);
                Some(state.position)
            }
        };
        query.paging = Paging::Cursor { after, count };
    }
    Ok(query)
}

fn sort(sort_by: Option<&str>, sort_order: Option<&str>) -> Result<Option<Sort>, ServiceError> {
    let descending = match sort_order.map(str::trim) {
        None | Some("") => false,
        Some(o) if o.eq_ignore_ascii_case("ascending") => false,
        Some(o) if o.eq_ignore_ascii_case("descending") => true,
        Some(o) => {
            return Err(ServiceError::invalid(
                "invalidValue",
                format!("sortOrder \"{o}\" must be ascending or descending"),
            ));
        }
    };
    Ok(match sort_by.map(str::trim) {
        None | Some("") => None,
        Some(s) => Some(Sort {
            path: parse_attr_path(s).map_err(|e| {
                ServiceError::invalid("invalidValue", format!("sortBy \"{s}\": {e}"))
            })?,
            descending,
        }),
    })
}

/// Identifies a query independently of its page, for binding cursors to it.
fn fingerprint(resource: &str, query: &ListQuery) -> String {
    let filter = query
        .filter
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    let sort = query
        .sort
        .as_ref()
        .map(|s| format!("{}{}", s.path, if s.descending { " desc" } else { "" }))
        .unwrap_or_default();
    format!("{resource}|{filter}|{sort}")
}

fn open_cursor(
    sealed: &str,
    expected_query: &str,
    key: &CursorKey<'_>,
) -> Result<CursorState, ServiceError> {
    let state: CursorState = key
        .auth
        .unseal(key.directory, sealed)
        .map_err(|e| match e {
            // RFC 9865 §2.4 error types.
            UnsealError::Expired => ServiceError::invalid(
                "expiredCursor",
                "the cursor has expired; start the walk again",
            ),
            UnsealError::Invalid => {
                ServiceError::invalid("invalidCursor", "the cursor is not one this server issued")
            }
        })?;
    if state.query != expected_query {
        return Err(ServiceError::invalid(
            "invalidCursor",
            "the cursor belongs to a different query",
        ));
    }
    Ok(state)
}

/// The cursor of the page after `position`, for the same query.
pub fn next_cursor(
    resource: &str,
    query: &ListQuery,
    position: Position,
    total: i64,
    key: &CursorKey<'_>,
) -> Result<String, ServiceError> {
    let state = CursorState {
        query: fingerprint(resource, query),
        position,
        total,
    };
    Ok(key
        .auth
        .seal(key.directory, state, Duration::seconds(CURSOR_TIMEOUT_SECS))?)
}

/// Parses the comma-separated `attributes` and `excludedAttributes` parameters: at most
/// `limits.max_attributes` entries together, value filters taking their terms from `terms`.
pub fn projection(
    attributes: Option<&str>,
    excluded: Option<&str>,
    limits: &Limits,
    terms: &mut TermBudget,
) -> Result<Projection, ServiceError> {
    let count = items(attributes).count() + items(excluded).count();
    if count > limits.max_attributes {
        return Err(ServiceError::invalid(
            "invalidValue",
            format!(
                "attributes and excludedAttributes name {count} attributes: at most {} are accepted",
                limits.max_attributes
            ),
        ));
    }
    let excluded = paths(excluded)?;
    let (mut named, mut value_filters) = (Vec::new(), Vec::new());
    for item in items(attributes) {
        match parse_attr_path(item) {
            Ok(path) => named.push(path),
            // LENIENCY, not RFC 7644 §3.4.2.5: `attributes=emails[type eq "work"]`, sent by
            // Microsoft's SCIM test collection, returns only the matching values.
            Err(e) => match parse_patch_path_within(item, terms) {
                Ok(PatchPath {
                    attr,
                    value_filter: Some(filter),
                    sub_after_filter: None,
                }) => {
                    named.push(attr.clone());
                    value_filters.push((attr, filter));
                }
                // A value filter that failed (too many terms, say) says why.
                Err(filter_error) if item.contains('[') => {
                    return Err(ServiceError::invalid(
                        "invalidValue",
                        format!("attribute \"{item}\": {filter_error}"),
                    ));
                }
                _ => {
                    return Err(ServiceError::invalid(
                        "invalidValue",
                        format!("attribute \"{item}\": {e}"),
                    ));
                }
            },
        }
    }
    Ok(Projection::new(named, excluded, value_filters))
}

fn items(list: Option<&str>) -> impl Iterator<Item = &str> {
    list.unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn paths(list: Option<&str>) -> Result<Vec<AttrPath>, ServiceError> {
    items(list)
        .map(|s| {
            parse_attr_path(s).map_err(|e| {
                ServiceError::invalid("invalidValue", format!("attribute \"{s}\": {e}"))
            })
        })
        .collect()
}
