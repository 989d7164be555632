//! A directory's users for an export (`scimd export users`, `GET …/users.csv`): every present
//! user in creation order, in keyset pages on `(tenant_id, created, id)` (the `users_listing`
//! index, or `users_state_created` for one state), so a walk of a million users holds one page
//! at a time and its last page costs what its first one does.

use chrono::{DateTime, Utc};

use super::StoreError;
use super::db::{Db, Dialect};
use super::sql::SqlBuilder;
use super::user_listing::State;
use super::user_row::{self, SQLITE_USER_JSON, UserRow, user_select};
use super::user_search;
use crate::scim::resource::Resource;

/// Where the next page starts: after this user in creation order.
pub type After = (DateTime<Utc>, String);

/// The next `limit` users of `tenant` after `after` (from the first without it), in one state
/// or in any but `archived` (archived users are not in `users`), and with `q` (lower-cased)
/// only those the admin listing's search finds (checked on each user of the walk).
pub async fn page(
    db: &Db,
    tenant: &str,
    state: Option<State>,
    q: Option<&str>,
    after: Option<&After>,
    limit: i64,
) -> Result<Vec<Resource>, StoreError> {
    let dialect = db.dialect();
    let mut sql = SqlBuilder::default();
    // The page's keys first, then the user columns (with their subqueries) for those rows only.
    match dialect {
        Dialect::Sqlite => sql.push(&format!(
            "SELECT json_group_array({}) FROM (",
            *SQLITE_USER_JSON
        )),
        Dialect::Postgres => sql.push(&format!("SELECT {} FROM (", user_select(dialect))),
    };
    sql.push("SELECT u.tenant_id AS k_tenant, u.id AS k_id FROM users u WHERE u.tenant_id = ")
        .bind(tenant);
    if let Some(state) = state {
        sql.push(" AND u.state = ").bind(state.as_str());
    }
    if let Some(q) = q {
        sql.push(" AND ");
        user_search::matches_user(&mut sql, q, None);
    }
    if let Some((created, id)) = after {
        sql.push(" AND (u.created, u.id) > (")
            .bind(*created)
            .push(", ")
            .bind(id.as_str())
            .push(")");
    }
    sql.push(" ORDER BY u.created, u.id").limit(dialect, limit);
    // SQLite never reorders a CROSS JOIN, so the JSON array keeps the keys' order.
    let join = match dialect {
        Dialect::Sqlite => "CROSS JOIN",
        Dialect::Postgres => "JOIN",
    };
    sql.push(&format!(
        ") k {join} users u ON u.tenant_id = k.k_tenant AND u.id = k.k_id"
    ));
    let rows: Vec<UserRow> = match dialect {
        // One row holding the whole page: one hand-off to SQLite's worker thread, not one per
        // user (see `SQLITE_USER_JSON`).
        Dialect::Sqlite => {
            let (page,): (String,) = db.autocommit().fetch_one(&sql.sql, sql.args).await?;
            UserRow::page_from_json(&page).map_err(StoreError::Corrupt)?
        }
        Dialect::Postgres => {
            sql.push(" ORDER BY u.created, u.id");
            db.autocommit().fetch_all(&sql.sql, sql.args).await?
        }
    };
    Ok(rows.into_iter().map(user_row::assemble).collect())
}

/// `(id, userName)` of those of `ids` that are users of `tenant`: the managers an export
/// names by userName.
pub async fn user_names(
    db: &Db,
    tenant: &str,
    ids: &[&str],
) -> Result<Vec<(String, String)>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = SqlBuilder::default();
    sql.push("SELECT id, user_name FROM users WHERE tenant_id = ")
        .bind(tenant)
        .push(" AND id IN (");
    for (n, id) in ids.iter().enumerate() {
        sql.push(if n == 0 { "" } else { ", " }).bind(*id);
    }
    sql.push(")");
    db.autocommit().fetch_all(&sql.sql, sql.args).await
}
