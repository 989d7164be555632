//! The admin listing of a directory's groups, alphabetical by displayName in keyset pages
//! (the `groups_display_name` index), with member counts, and a group's members in pages.

use chrono::{DateTime, Utc};
use sqlx::FromRow;

use super::StoreError;
use super::db::{Db, Dialect, args};
use super::sql::SqlBuilder;

/// One listed group.
#[derive(Debug, Clone, FromRow)]
pub struct ListedGroup {
    pub id: String,
    pub display_name: String,
    pub display_name_norm: String,
    pub external_id: Option<String>,
    pub members: i64,
    pub created: DateTime<Utc>,
    pub last_modified: DateTime<Utc>,
}

/// A listing request: a lower-cased name prefix, the page size and where it starts.
#[derive(Debug, Clone)]
pub struct GroupQuery {
    pub q: Option<String>,
    pub limit: i64,
    /// After this `(display_name_norm, id)`.
    pub after: Option<(String, String)>,
}

const SELECT: &str = "SELECT g.id, g.display_name, g.display_name_norm, g.external_id, \
     (SELECT COUNT(*) FROM group_members m WHERE m.tenant_id = g.tenant_id AND m.group_id = g.id) AS members, \
     g.created, g.last_modified FROM groups g WHERE g.tenant_id = ";

/// One page of groups (at most `limit`, plus one to tell whether more follow).
pub async fn list(
    db: &Db,
    tenant: &str,
    query: &GroupQuery,
) -> Result<Vec<ListedGroup>, StoreError> {
    let sql = statement(db.dialect(), tenant, query);
    db.autocommit().fetch_all(&sql.sql, sql.args).await
}

/// The statement of one page.
pub(super) fn statement(dialect: Dialect, tenant: &str, query: &GroupQuery) -> SqlBuilder {
    let mut sql = SqlBuilder::default();
    sql.push(SELECT).bind(tenant);
    if let Some(q) = &query.q {
        sql.push(" AND g.display_name_norm >= ")
            .bind(q.as_str())
            .push(" AND g.display_name_norm < ")
            .bind(format!("{q}\u{10FFFF}"));
    }
    if let Some((name, id)) = &query.after {
        sql.push(" AND (g.display_name_norm, g.id) > (")
            .bind(name.as_str())
            .push(", ")
            .bind(id.as_str())
            .push(")");
    }
    sql.push(" ORDER BY g.display_name_norm, g.id")
        .limit(dialect, query.limit + 1);
    sql
}

/// One group as listings show it.
pub async fn get(db: &Db, tenant: &str, id: &str) -> Result<Option<ListedGroup>, StoreError> {
    let mut sql = SqlBuilder::default();
    sql.push(SELECT).bind(tenant).push(" AND g.id = ").bind(id);
    db.autocommit().fetch_optional(&sql.sql, sql.args).await
}

/// A member as a group's page shows it.
#[derive(Debug, Clone, FromRow)]
pub struct ListedMember {
    pub id: String,
    /// `User` or `Group`.
    pub kind: String,
    pub display: Option<String>,
}

/// A page of a group's members in id order (the primary key), after `after`.
pub async fn members(
    db: &Db,
    tenant: &str,
    group_id: &str,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<ListedMember>, StoreError> {
    db.autocommit()
        .fetch_all(
            "SELECT gm.member_id AS id, CASE WHEN gm.user_id IS NULL THEN 'Group' ELSE 'User' END AS kind, \
               COALESCE(u.display_name, u.user_name, mg.display_name) AS display \
             FROM group_members gm \
             LEFT JOIN users u ON u.tenant_id = gm.tenant_id AND u.id = gm.user_id \
             LEFT JOIN groups mg ON mg.tenant_id = gm.tenant_id AND mg.id = gm.member_group_id \
             WHERE gm.tenant_id = $1 AND gm.group_id = $2 AND gm.member_id > $3 \
             ORDER BY gm.member_id LIMIT $4",
            args![tenant, group_id, after.unwrap_or(""), limit + 1],
        )
        .await
}
