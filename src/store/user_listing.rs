//! The admin listing of a directory's users: by state, searched by prefix, sorted by name,
//! userName, creation or last change, in keyset pages. Every state with every order walks an
//! index (`users_state_*` and `users_*` of migration 0004; the archive's own for archived
//! users), so page 10,000 of a walk costs what page 1 costs. A `q=` search reads at most
//! `limit + 1` matches of each kind (see `user_search`); `scimd dev plans` shows each plan.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use sqlx::types::Json;

use super::StoreError;
use super::db::{Arg, Db, Dialect};
use super::sql::SqlBuilder;
use super::user_search::{self, Search};

/// A user's state as the admin products show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Active,
    Inactive,
    Suspended,
    Archived,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Active => "active",
            State::Inactive => "inactive",
            State::Suspended => "suspended",
            State::Archived => "archived",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            State::Active,
            State::Inactive,
            State::Suspended,
            State::Archived,
        ]
        .into_iter()
        .find(|st| st.as_str() == s)
    }
}

/// The order of a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SortKey {
    /// Family name, then given name (then userName).
    Name,
    UserName,
    Created,
    LastModified,
}

/// Where a page starts: after this sort key and id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum After {
    Text(String, String),
    Time(DateTime<Utc>, String),
}

/// A listing request.
#[derive(Debug, Clone)]
pub struct UserQuery {
    pub state: Option<State>,
    /// A lower-cased prefix.
    pub q: Option<String>,
    pub sort: SortKey,
    pub descending: bool,
    pub limit: i64,
    pub after: Option<After>,
}

/// One listed user (from `users`, or from the archive).
#[derive(Debug, Clone, FromRow)]
pub struct ListedUser {
    pub id: String,
    pub user_name: String,
    pub display_name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub email: Option<String>,
    pub state: String,
    pub source: String,
    pub created: DateTime<Utc>,
    pub last_modified: DateTime<Utc>,
    /// The sort key of this row, for the next page's `after`.
    pub key_text: Option<String>,
    pub key_time: Option<DateTime<Utc>>,
    /// For archived users: when, by whom.
    pub deleted_at: Option<DateTime<Utc>>,
    pub deleted_by: Option<Json<serde_json::Value>>,
}

impl ListedUser {
    /// The `after` of the page that follows this row.
    pub fn after(&self) -> After {
        match (&self.key_text, self.key_time) {
            (_, Some(t)) => After::Time(t, self.id.clone()),
            (Some(k), None) => After::Text(k.clone(), self.id.clone()),
            (None, None) => After::Text(String::new(), self.id.clone()),
        }
    }
}

/// One page of users (at most `limit`, plus one to tell whether more follow).
pub async fn list(db: &Db, tenant: &str, query: &UserQuery) -> Result<Vec<ListedUser>, StoreError> {
    let search = match &query.q {
        Some(q) if query.state != Some(State::Archived) => {
            let (key, _) = users_key(query.sort);
            let skip = user_search::aligned(key, q).map(|(_, column)| column);
            user_search::choose(db, tenant, q, skip).await?
        }
        _ => Search::Matches,
    };
    list_by(db, tenant, query, search).await
}

/// One page found the way `search` says: both ways give the same page, [`list`] picks the
/// cheaper one.
pub async fn list_by(
    db: &Db,
    tenant: &str,
    query: &UserQuery,
    search: Search,
) -> Result<Vec<ListedUser>, StoreError> {
    let sql = statement(db.dialect(), tenant, query, search);
    db.autocommit().fetch_all(&sql.sql, sql.args).await
}

/// The statement of one page; `search` only matters with `q` (the archive is always walked).
pub(super) fn statement(
    dialect: Dialect,
    tenant: &str,
    query: &UserQuery,
    search: Search,
) -> SqlBuilder {
    let mut sql = SqlBuilder::default();
    if query.state == Some(State::Archived) {
        archived(&mut sql, dialect, tenant, query);
    } else {
        present(&mut sql, dialect, tenant, query, search);
    }
    sql
}

/// The sort key column of `users` and its kind.
fn users_key(sort: SortKey) -> (&'static str, bool) {
    match sort {
        SortKey::Name => ("u.sort_name", false),
        SortKey::UserName => ("u.user_name_norm", false),
        SortKey::Created => ("u.created", true),
        SortKey::LastModified => ("u.last_modified", true),
    }
}

fn present(
    sql: &mut SqlBuilder,
    dialect: Dialect,
    tenant: &str,
    query: &UserQuery,
    search: Search,
) {
    let (key, is_time) = users_key(query.sort);
    let (key_text, key_time) = if is_time {
        ("NULL", key)
    } else {
        (key, "NULL")
    };
    sql.push(&format!(
        "SELECT u.id, u.user_name, u.display_name, u.name_given_name AS given_name, \
           u.name_family_name AS family_name, \
           (SELECT v.value FROM user_values v WHERE v.tenant_id = u.tenant_id AND v.user_id = u.id \
              AND v.attr = 'emails' ORDER BY CASE WHEN v.is_primary THEN 0 ELSE 1 END, v.position LIMIT 1) AS email, \
           u.state, u.source, u.created, u.last_modified, {key_text} AS key_text, {key_time} AS key_time, \
           NULL AS deleted_at, NULL AS deleted_by "
    ));
    match &query.q {
        Some(q) => search_hits(sql, dialect, tenant, query, q, search),
        None => {
            sql.push("FROM users u WHERE u.tenant_id = ").bind(tenant);
        }
    }
    if let Some(state) = query.state {
        sql.push(" AND u.state = ").bind(state.as_str());
    }
    // userNames are unique in a directory (`users_user_name`): ordered by it alone, the
    // listing without a state walks that index; ordered by it and the id, PostgreSQL would
    // sort each run of equal userNames (an `Incremental Sort`) on top of it.
    page(sql, dialect, key, query.sort == SortKey::UserName, query);
}

/// `FROM` the users matching `q`, as `u`: the page's share of the matches in the column aligned
/// with the order (a seek in the order's index), and of the matches in the other columns
/// (sorted or walked, as `search` says), each at most `limit + 1` users of the state asked for
/// after the page's start.
fn search_hits(
    sql: &mut SqlBuilder,
    dialect: Dialect,
    tenant: &str,
    query: &UserQuery,
    q: &str,
    search: Search,
) {
    let (key, _) = users_key(query.sort);
    let unique = query.sort == SortKey::UserName;
    let aligned = user_search::aligned(key, q);
    let skip = aligned.map(|(_, column)| column);
    // At most a page of users in `u`'s order that meet `condition`, as derived table `alias`.
    let part = |sql: &mut SqlBuilder, alias: &str, condition: &dyn Fn(&mut SqlBuilder)| {
        sql.push("SELECT id FROM (SELECT u.id FROM users u WHERE u.tenant_id = ")
            .bind(tenant)
            .push(" AND ");
        condition(sql);
        if let Some(state) = query.state {
            sql.push(" AND u.state = ").bind(state.as_str());
        }
        page(sql, dialect, key, unique, query);
        sql.push(&format!(") {alias}"));
    };
    sql.push("FROM (");
    if let Some((range, _)) = aligned {
        part(sql, "aligned", &|sql| {
            user_search::prefix_range(sql, range, q)
        });
        sql.push(" UNION ");
    }
    match search {
        Search::Matches => user_search::matching_ids(sql, tenant, q, skip),
        Search::Walk => part(sql, "walked", &|sql| {
            user_search::matches_user(sql, q, skip)
        }),
    }
    let join = match dialect {
        Dialect::Sqlite => "CROSS JOIN",
        Dialect::Postgres => "JOIN",
    };
    sql.push(&format!(
        ") hits {join} users u ON u.id = hits.id AND u.tenant_id = "
    ))
    .bind(tenant);
}

fn archived(sql: &mut SqlBuilder, dialect: Dialect, tenant: &str, query: &UserQuery) {
    let (key, is_time) = match query.sort {
        SortKey::Name => ("a.sort_name", false),
        SortKey::UserName => ("a.name_norm", false),
        SortKey::Created => ("a.created", true),
        SortKey::LastModified => ("a.deleted_at", true),
    };
    let (key_text, key_time) = if is_time {
        ("NULL", key)
    } else {
        (key, "NULL")
    };
    // Names and the email come from the archived attributes (`archive.resource`), chosen as
    // for present users: the primary email, else the first.
    let names = match dialect {
        Dialect::Sqlite => {
            "json_extract(a.resource, '$.attrs.displayName') AS display_name, \
             json_extract(a.resource, '$.attrs.name.givenName') AS given_name, \
             json_extract(a.resource, '$.attrs.name.familyName') AS family_name, \
             (SELECT json_extract(e.value, '$.value') FROM json_each(a.resource, '$.attrs.emails') e \
              ORDER BY CASE WHEN json_extract(e.value, '$.primary') = 1 THEN 0 ELSE 1 END, e.key \
              LIMIT 1) AS email"
        }
        Dialect::Postgres => {
            "a.resource #>> '{attrs,displayName}' AS display_name, \
             a.resource #>> '{attrs,name,givenName}' AS given_name, \
             a.resource #>> '{attrs,name,familyName}' AS family_name, \
             (SELECT e.v ->> 'value' FROM jsonb_array_elements(a.resource #> '{attrs,emails}') \
              WITH ORDINALITY AS e(v, n) \
              ORDER BY CASE WHEN e.v ->> 'primary' = 'true' THEN 0 ELSE 1 END, e.n LIMIT 1) AS email"
        }
    };
    sql.push(&format!(
        "SELECT a.id, a.name AS user_name, {names}, \
           'archived' AS state, 'scim' AS source, a.created, a.deleted_at AS last_modified, \
           {key_text} AS key_text, {key_time} AS key_time, a.deleted_at, a.deleted_by \
         FROM archive a WHERE a.tenant_id = "
    ))
    .bind(tenant)
    .push(" AND a.resource_type = 'User'");
    if let Some(q) = &query.q {
        sql.push(" AND ((");
        user_search::prefix_range(sql, "a.name_norm", q);
        sql.push(") OR (");
        user_search::prefix_range(sql, "a.sort_name", q);
        sql.push("))");
    }
    page(sql, dialect, key, false, query);
}

/// The keyset condition, order and limit. A `unique` key orders the rows by itself; any other
/// is followed by the id, so that the order is total.
fn page(sql: &mut SqlBuilder, dialect: Dialect, key: &str, unique: bool, query: &UserQuery) {
    let (cmp, dir) = if query.descending {
        ("<", "DESC")
    } else {
        (">", "ASC")
    };
    let id = key
        .split('.')
        .next()
        .map(|alias| format!("{alias}.id"))
        .unwrap_or_else(|| "id".into());
    if let Some(after) = &query.after {
        let (k, last_id): (Arg, &str) = match after {
            After::Text(k, id) => (Arg::from(k.as_str()), id),
            After::Time(t, id) => (Arg::from(*t), id),
        };
        if unique {
            sql.push(&format!(" AND {key} {cmp} ")).bind(k);
        } else {
            sql.push(&format!(" AND ({key}, {id}) {cmp} ("))
                .bind(k)
                .push(", ")
                .bind(last_id)
                .push(")");
        }
    }
    if unique {
        sql.push(&format!(" ORDER BY {key} {dir}"));
    } else {
        sql.push(&format!(" ORDER BY {key} {dir}, {id} {dir}"));
    }
    sql.limit(dialect, query.limit + 1);
}

/// One present user as listings show it.
pub async fn get(db: &Db, tenant: &str, id: &str) -> Result<Option<ListedUser>, StoreError> {
    let query = UserQuery {
        state: None,
        q: None,
        sort: SortKey::UserName,
        descending: false,
        limit: 1,
        after: None,
    };
    let dialect = db.dialect();
    let mut sql = statement(dialect, tenant, &query, Search::Matches);
    // The same columns, for one id: replace the order and limit with the id condition (the
    // limit is the last argument where it is bound, see `SqlBuilder::limit`).
    let cut = sql.sql.rfind(" ORDER BY ").unwrap_or(sql.sql.len());
    sql.sql.truncate(cut);
    if dialect == Dialect::Postgres {
        sql.args.pop();
    }
    sql.push(" AND u.id = ").bind(id);
    db.autocommit().fetch_optional(&sql.sql, sql.args).await
}
