//! The query plans of the admin listings (`scimd dev plans`): each statement that
//! `user_listing` and `group_listing` send, explained by the database at hand (SQLite
//! `EXPLAIN QUERY PLAN`, PostgreSQL `EXPLAIN`). The README's plan table comes from here, and a
//! test checks on both backends that every listing can be served by an index. The walks of the
//! group graph (`roles`) are explained too, for a test that each step looks memberships up by
//! index.

use chrono::Utc;
use sqlx::FromRow;

use super::StoreError;
use super::db::{Db, Dialect};
use super::group_listing::{self, GroupQuery};
use super::roles;
use super::sql::SqlBuilder;
use super::user_listing::{self, After, SortKey, State, UserQuery};
use super::user_search::{self, Search};

/// One explained statement.
#[derive(Debug, Clone)]
pub struct Plan {
    /// What was asked, as the listing's parameters: `users state=active sort=name desc after`.
    pub label: String,
    /// Whether the statement collects `q=` matches and sorts them (a sort is expected there,
    /// bounded by `user_search::SORTED_MATCHES_AT_MOST`, or by two pages on a walk).
    pub sorts_matches: bool,
    /// The plan, one node a line, children indented.
    pub lines: Vec<String>,
}

/// A row of SQLite's `EXPLAIN QUERY PLAN`.
#[derive(FromRow)]
struct SqliteNode {
    id: i64,
    parent: i64,
    detail: String,
}

/// A row of PostgreSQL's `EXPLAIN`.
#[derive(FromRow)]
struct PostgresLine {
    #[sqlx(rename = "QUERY PLAN")]
    line: String,
}

/// The plan of `sql` with its arguments bound (on PostgreSQL, so a custom plan for these
/// values, as the first executions of a prepared statement get).
pub async fn explain(db: &Db, sql: &SqlBuilder) -> Result<Vec<String>, StoreError> {
    let args = sql.args.clone();
    match db.dialect() {
        Dialect::Sqlite => {
            let text = format!("EXPLAIN QUERY PLAN {}", sql.sql);
            let nodes: Vec<SqliteNode> = db.autocommit().fetch_all(&text, args).await?;
            let mut depth: Vec<(i64, usize)> = Vec::new();
            Ok(nodes
                .into_iter()
                .map(|n| {
                    let d = depth
                        .iter()
                        .find(|(id, _)| *id == n.parent)
                        .map_or(0, |(_, d)| d + 1);
                    depth.push((n.id, d));
                    format!("{}{}", "  ".repeat(d), n.detail)
                })
                .collect())
        }
        Dialect::Postgres => {
            let text = format!("EXPLAIN {}", sql.sql);
            let lines: Vec<PostgresLine> = db.autocommit().fetch_all(&text, args).await?;
            Ok(lines.into_iter().map(|l| l.line).collect())
        }
    }
}

/// Every listing of `tenant`'s users (each state and none, each order, ascending and
/// descending, the first page and the next one), the `q` search in both of its forms with each
/// order, the count that chooses between them, and the groups listing.
pub async fn listing_plans(db: &Db, tenant: &str, q: &str) -> Result<Vec<Plan>, StoreError> {
    let states = [
        None,
        Some(State::Active),
        Some(State::Inactive),
        Some(State::Suspended),
        Some(State::Archived),
    ];
    let sorts = [
        SortKey::Name,
        SortKey::UserName,
        SortKey::Created,
        SortKey::LastModified,
    ];
    let dialect = db.dialect();
    let mut plans = Vec::new();
    for state in states {
        for sort in sorts {
            for descending in [false, true] {
                let mut query = UserQuery {
                    state,
                    q: None,
                    sort,
                    descending,
                    limit: 100,
                    after: None,
                };
                let first = user_listing::statement(dialect, tenant, &query, Search::Matches);
                plans.push(plan(db, label(&query, None), false, &first).await?);
                query.after = Some(next_page(db, tenant, &query).await?);
                let next = user_listing::statement(dialect, tenant, &query, Search::Matches);
                plans.push(plan(db, label(&query, None), false, &next).await?);
            }
        }
    }
    // As the default order (`name`) counts: outside the family name, which it seeks.
    let count = user_search::count(dialect, tenant, q, Some("name_family_name_norm"));
    plans.push(plan(db, format!("users q={q}: count of matches"), false, &count).await?);
    for state in [None, Some(State::Active)] {
        for sort in sorts {
            for search in [Search::Matches, Search::Walk] {
                let query = UserQuery {
                    state,
                    q: Some(q.to_owned()),
                    sort,
                    descending: false,
                    limit: 100,
                    after: None,
                };
                let sql = user_listing::statement(dialect, tenant, &query, search);
                // Both sort their hits: the few matches, or two parts of at most a page each.
                let label = label(&query, Some(search));
                plans.push(plan(db, label, true, &sql).await?);
            }
        }
    }
    for (q, after) in [
        (None, None),
        (None, Some(("m".to_owned(), String::new()))),
        (Some(q.to_owned()), None),
    ] {
        let label = format!(
            "groups{}{}",
            q.as_ref().map_or(String::new(), |q| format!(" q={q}")),
            if after.is_some() { " after" } else { "" }
        );
        let query = GroupQuery {
            q,
            limit: 100,
            after,
        };
        let sql = group_listing::statement(dialect, tenant, &query);
        plans.push(plan(db, label, false, &sql).await?);
    }
    Ok(plans)
}

/// The walks of the group graph that role changes make: up from a group to the mappings it
/// reaches, down to the users under it, a user's effective roles and a user's groups.
pub async fn role_walk_plans(
    db: &Db,
    tenant: &str,
    group_id: &str,
    user_id: &str,
) -> Result<Vec<Plan>, StoreError> {
    let dialect = db.dialect();
    let user = user_id.to_owned();
    let mut groups_of = SqlBuilder::default();
    groups_of.push(roles::GROUPS_OF);
    groups_of.args = super::db::args![tenant, user_id];
    let walks = [
        (
            "roles: a group reaches a mapping",
            roles::reaches_mapping_statement(dialect, tenant, group_id),
        ),
        (
            "roles: users under a group",
            roles::users_under_statement(dialect, tenant, group_id),
        ),
        (
            "roles: effective roles of a user",
            roles::effective_statement(tenant, &[&user]),
        ),
        ("roles: groups of a user", groups_of),
    ];
    let mut plans = Vec::new();
    for (label, sql) in walks {
        plans.push(plan(db, label.to_owned(), false, &sql).await?);
    }
    Ok(plans)
}

async fn plan(
    db: &Db,
    label: String,
    sorts_matches: bool,
    sql: &SqlBuilder,
) -> Result<Plan, StoreError> {
    Ok(Plan {
        label,
        sorts_matches,
        lines: explain(db, sql).await?,
    })
}

/// The `after` of the second page: from the first page's last row, or made up when the
/// listing has no rows (the plan is the same).
async fn next_page(db: &Db, tenant: &str, query: &UserQuery) -> Result<After, StoreError> {
    let rows = user_listing::list(db, tenant, query).await?;
    Ok(match rows.last() {
        Some(row) => row.after(),
        None if matches!(query.sort, SortKey::Created | SortKey::LastModified) => {
            After::Time(Utc::now(), String::new())
        }
        None => After::Text("m".to_owned(), String::new()),
    })
}

fn label(query: &UserQuery, search: Option<Search>) -> String {
    let state = query.state.map_or("-", State::as_str);
    let sort = match query.sort {
        SortKey::Name => "name",
        SortKey::UserName => "userName",
        SortKey::Created => "created",
        SortKey::LastModified => "lastModified",
    };
    let order = if query.descending { "desc" } else { "asc" };
    let q = query
        .q
        .as_ref()
        .map_or(String::new(), |q| format!(" q={q}"));
    let after = if query.after.is_some() { " after" } else { "" };
    let search = match search {
        Some(Search::Matches) => ": sorted matches",
        Some(Search::Walk) => ": walk",
        None => "",
    };
    format!("users state={state} sort={sort} {order}{q}{after}{search}")
}
