//! The `q=` search of the admin users listing: a prefix, case-insensitive, of the userName, the
//! given and family names, the displayName, any email, and the externalId as typed.
//!
//! A page is the first `limit` users, in the listing's order, that match in any column. When
//! the order is by a searched column itself (`name` starts with the family name, `userName` is
//! the userName), that column's matches are one range of the order's index: the page's share of
//! them is read by seeking there, however many match. The other columns' matches lie anywhere
//! in the order: when few, they are collected through each column's index and sorted; when
//! many, by walking the order's index and keeping the users that match, until the page is
//! full. A capped count of those other matches chooses. The page is then the first `limit` of
//! the two parts, each at most `limit + 1` rows.

use super::StoreError;
use super::db::{Db, Dialect};
use super::sql::SqlBuilder;

/// A prefix with at most this many matching index entries (summed over the searched columns
/// not aligned with the order; see [`count`]) is served by sorting those matches, one with
/// more by walking the order's index. Both read about one row per match or per walked user: sorting `m` matches reads `m`
/// rows, the walk about `limit × users / m`. For pages of 100 among a million users the two
/// meet near 10,000 matches; in a smaller directory a prefix this common is sorted, at most
/// this many rows.
pub const SORTED_MATCHES_AT_MOST: i64 = 10_000;

/// How a listing with `q=` finds the matches of the columns not aligned with its order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Search {
    /// Collect them through the indexes of each column, then sort them: for a prefix that few
    /// users match there.
    Matches,
    /// Walk the order's index and keep the users that match: for a prefix that many match.
    Walk,
}

/// The column of `users` (as the listing's order key, `u.…`) whose values starting with `q`
/// are exactly the users whose searched column `searched` starts with `q`, so that they form
/// one range of the order's index: `sort_name` begins with the family name (then a `\u{1}`
/// separator, which a `q` containing it would reach past), `user_name_norm` is itself.
pub fn aligned(sort_key: &str, q: &str) -> Option<(&'static str, &'static str)> {
    match sort_key {
        "u.sort_name" if !q.contains('\u{1}') => Some(("u.sort_name", "name_family_name_norm")),
        "u.user_name_norm" => Some(("u.user_name_norm", "user_name_norm")),
        _ => None,
    }
}

/// The columns of `users` that `q` is a prefix of (besides emails and the externalId), each
/// with an index that starts `(tenant_id, column)`.
const SEARCHED_COLUMNS: [&str; 4] = [
    "user_name_norm",
    "name_family_name_norm",
    "name_given_name_norm",
    "display_name_norm",
];

/// How to find the matches of a search for `q` (lower-cased) in `tenant` outside the column
/// `skip` (the one aligned with the order, if any).
pub async fn choose(
    db: &Db,
    tenant: &str,
    q: &str,
    skip: Option<&str>,
) -> Result<Search, StoreError> {
    let counted = count(db.dialect(), tenant, q, skip);
    let (n,): (i64,) = db
        .autocommit()
        .fetch_one(&counted.sql, counted.args)
        .await?;
    Ok(if n > SORTED_MATCHES_AT_MOST {
        Search::Walk
    } else {
        Search::Matches
    })
}

/// Counts the index entries that match `q` outside column `skip`, up to one more than
/// [`SORTED_MATCHES_AT_MOST`]: each column's range through its own index (a user matching in
/// two columns counts twice), and the `LIMIT` stops the count there, so it reads at most that
/// many entries.
pub(super) fn count(dialect: Dialect, tenant: &str, q: &str, skip: Option<&str>) -> SqlBuilder {
    let mut sql = SqlBuilder::default();
    sql.push("SELECT COUNT(*) FROM (");
    for (n, c) in searched(skip).enumerate() {
        sql.push(if n == 0 { "" } else { " UNION ALL " })
            .push("SELECT 1 AS hit FROM users WHERE tenant_id = ")
            .bind(tenant)
            .push(" AND ");
        prefix_range(&mut sql, c, q);
    }
    sql.push(" UNION ALL SELECT 1 FROM user_values WHERE tenant_id = ")
        .bind(tenant)
        .push(" AND attr = 'emails' AND ");
    prefix_range(&mut sql, "value_norm", q);
    sql.push(" UNION ALL SELECT 1 FROM users WHERE tenant_id = ")
        .bind(tenant)
        .push(" AND ");
    prefix_range(&mut sql, "external_id", q);
    sql.limit(dialect, SORTED_MATCHES_AT_MOST + 1)
        .push(") capped");
    sql
}

/// The ids of the users matching `q` outside column `skip`, found through each column's
/// index: the planner starts from the (few) matches instead of walking the order's index past
/// every user that does not match.
pub(super) fn matching_ids(sql: &mut SqlBuilder, tenant: &str, q: &str, skip: Option<&str>) {
    for (n, c) in searched(skip).enumerate() {
        sql.push(if n == 0 { "" } else { " UNION " })
            .push("SELECT id FROM users WHERE tenant_id = ")
            .bind(tenant)
            .push(" AND ");
        prefix_range(sql, c, q);
    }
    sql.push(" UNION SELECT user_id FROM user_values WHERE tenant_id = ")
        .bind(tenant)
        .push(" AND attr = 'emails' AND ");
    prefix_range(sql, "value_norm", q);
    sql.push(" UNION SELECT id FROM users WHERE tenant_id = ")
        .bind(tenant)
        .push(" AND ");
    prefix_range(sql, "external_id", q);
}

/// The condition that user `u` matches `q` outside column `skip`, checked row by row on a walk
/// of the order's index: the page is full after about `limit` divided by the share of users
/// that match.
pub(super) fn matches_user(sql: &mut SqlBuilder, q: &str, skip: Option<&str>) {
    sql.push("(");
    for (n, c) in searched(skip).chain(["external_id"]).enumerate() {
        sql.push(if n == 0 { "(" } else { " OR (" });
        prefix_range(sql, &format!("u.{c}"), q);
        sql.push(")");
    }
    sql.push(
        " OR EXISTS (SELECT 1 FROM user_values v WHERE v.tenant_id = u.tenant_id \
           AND v.user_id = u.id AND v.attr = 'emails' AND ",
    );
    prefix_range(sql, "v.value_norm", q);
    sql.push("))");
}

/// The searched columns of `users` but `skip`.
fn searched(skip: Option<&str>) -> impl Iterator<Item = &'static str> + '_ {
    SEARCHED_COLUMNS
        .into_iter()
        .filter(move |c| Some(*c) != skip)
}

/// `column >= q AND column < q…`: the index range of the values starting with `q`.
pub(super) fn prefix_range(sql: &mut SqlBuilder, column: &str, q: &str) {
    sql.push(&format!("{column} >= "))
        .bind(q)
        .push(&format!(" AND {column} < "))
        .bind(prefix_end(q));
}

/// The upper bound of a prefix range: every string starting with `prefix` sorts below it
/// (byte order, which both backends use for these columns).
fn prefix_end(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}
