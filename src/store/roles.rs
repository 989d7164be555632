//! Roles: the host application maps roles to groups (`role_mappings`); a user's effective roles
//! are its own SCIM `roles` values plus the roles of every group it is in, directly or through
//! nested groups. Walks of the group graph are recursive queries (`UNION` stops at cycles).
//!
//! Each step of a walk is written `FROM <walk> CROSS JOIN group_members`: SQLite keeps a `CROSS
//! JOIN`'s left table outside, so a step looks up the rows of the groups reached so far by index
//! (the partial indexes of nested rows, migration 0008). Without it SQLite 3.51 scanned every
//! membership of the directory at each step, and a group PATCH grew slower with the directory.
//! The users under a group are its rows with `user_id = member_id`: an `IS NOT NULL` range would
//! lead SQLite to the user index, away from the group's own rows.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use super::StoreError;
use super::db::{Db, Dialect, Tx, args};
use super::sql::SqlBuilder;
use super::write::Write;

/// How many user ids go into one statement.
const CHUNK: usize = 500;

/// Where a user's role comes from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum RoleSource {
    /// The user's own SCIM `roles` attribute.
    Scim,
    /// A group mapping (the group's id), reached directly or through nested groups.
    Group(String),
}

/// Effective roles with their sources, by user id.
pub type EffectiveRoles = BTreeMap<String, BTreeMap<String, BTreeSet<RoleSource>>>;

/// A group's mapped roles as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MappingRow {
    pub group_id: String,
    pub display_name: String,
    pub role: String,
}

/// `$n` as a text value comparable with the tables' `"C"`-collated columns on PostgreSQL.
fn text_param(dialect: Dialect, n: usize) -> String {
    match dialect {
        Dialect::Postgres => format!("CAST(${n} AS TEXT) COLLATE \"C\""),
        Dialect::Sqlite => format!("${n}"),
    }
}

/// Every mapping of the directory, by group display name.
pub async fn mappings(db: &Db, tenant: &str) -> Result<Vec<MappingRow>, StoreError> {
    db.autocommit()
        .fetch_all(
            "SELECT r.group_id, g.display_name, r.role FROM role_mappings r \
             JOIN groups g ON g.tenant_id = r.tenant_id AND g.id = r.group_id \
             WHERE r.tenant_id = $1 ORDER BY g.display_name_norm, r.group_id, r.role",
            args![tenant],
        )
        .await
}

/// The roles mapped to one group.
pub async fn group_roles(
    w: &mut Write,
    tenant: &str,
    group_id: &str,
) -> Result<Vec<String>, StoreError> {
    w.tx()
        .fetch_strings(
            "SELECT role FROM role_mappings WHERE tenant_id = $1 AND group_id = $2 ORDER BY role",
            args![tenant, group_id],
        )
        .await
}

/// Replaces the roles mapped to `group_id`.
pub async fn set_group_roles(
    w: &mut Write,
    tenant: &str,
    group_id: &str,
    roles: &BTreeSet<String>,
) -> Result<(), StoreError> {
    let tx = w.tx();
    tx.execute(
        "DELETE FROM role_mappings WHERE tenant_id = $1 AND group_id = $2",
        args![tenant, group_id],
    )
    .await?;
    for role in roles {
        tx.execute(
            "INSERT INTO role_mappings (tenant_id, group_id, role) VALUES ($1, $2, $3)",
            args![tenant, group_id, role.as_str()],
        )
        .await?;
    }
    Ok(())
}

/// Every group with mapped roles and its roles.
pub async fn all_group_roles(
    w: &mut Write,
    tenant: &str,
) -> Result<BTreeMap<String, BTreeSet<String>>, StoreError> {
    let rows: Vec<(String, String)> = w
        .tx()
        .fetch_all(
            "SELECT group_id, role FROM role_mappings WHERE tenant_id = $1",
            args![tenant],
        )
        .await?;
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (g, r) in rows {
        out.entry(g).or_default().insert(r);
    }
    Ok(out)
}

/// Whether `group_id` or any group it is in (transitively) has mapped roles: only then can a
/// change of its members change anyone's roles.
pub async fn reaches_mapping(
    w: &mut Write,
    tenant: &str,
    group_id: &str,
) -> Result<bool, StoreError> {
    let tx = w.tx();
    let sql = reaches_mapping_statement(tx.dialect(), tenant, group_id);
    let (n,): (i64,) = tx.fetch_one(&sql.sql, sql.args).await?;
    Ok(n > 0)
}

/// The statement of [`reaches_mapping`].
pub(super) fn reaches_mapping_statement(
    dialect: Dialect,
    tenant: &str,
    group_id: &str,
) -> SqlBuilder {
    let start = text_param(dialect, 2);
    SqlBuilder {
        sql: format!(
            "WITH RECURSIVE up(id) AS (SELECT {start} \
               UNION SELECT gm.group_id FROM up CROSS JOIN group_members gm \
               WHERE gm.tenant_id = $1 AND gm.member_group_id = up.id) \
             SELECT COUNT(*) FROM (SELECT 1 FROM role_mappings r \
               WHERE r.tenant_id = $1 AND r.group_id IN (SELECT id FROM up) LIMIT 1) found"
        ),
        args: args![tenant, group_id],
    }
}

/// The users in `group_id`, directly or through nested groups.
pub async fn users_under(
    w: &mut Write,
    tenant: &str,
    group_id: &str,
) -> Result<Vec<String>, StoreError> {
    let tx = w.tx();
    let sql = users_under_statement(tx.dialect(), tenant, group_id);
    tx.fetch_strings(&sql.sql, sql.args).await
}

/// The statement of [`users_under`].
pub(super) fn users_under_statement(dialect: Dialect, tenant: &str, group_id: &str) -> SqlBuilder {
    let start = text_param(dialect, 2);
    SqlBuilder {
        sql: format!(
            "WITH RECURSIVE down(id) AS (SELECT {start} \
               UNION SELECT gm.member_group_id FROM down CROSS JOIN group_members gm \
               WHERE gm.tenant_id = $1 AND gm.group_id = down.id \
               AND gm.member_group_id IS NOT NULL) \
             SELECT DISTINCT gm.user_id FROM down CROSS JOIN group_members gm \
             WHERE gm.tenant_id = $1 AND gm.group_id = down.id AND gm.user_id = gm.member_id"
        ),
        args: args![tenant, group_id],
    }
}

/// The effective roles of `users` inside a unit of work (see [`effective_of`]).
pub async fn effective(
    w: &mut Write,
    tenant: &str,
    users: &HashSet<String>,
) -> Result<EffectiveRoles, StoreError> {
    effective_of(w.tx(), tenant, users).await
}

/// The effective roles of `users` as committed.
pub async fn effective_now(
    db: &Db,
    tenant: &str,
    users: &HashSet<String>,
) -> Result<EffectiveRoles, StoreError> {
    effective_of(&mut db.autocommit(), tenant, users).await
}

/// Serializes the role-mapping writers of a directory (on SQLite the write lock already does).
pub async fn lock_directory(w: &mut Write, tenant: &str) -> Result<(), StoreError> {
    let tx = w.tx();
    if tx.dialect() == Dialect::Postgres {
        tx.execute(
            "SELECT 1 FROM tenants WHERE id = $1 FOR UPDATE",
            args![tenant],
        )
        .await?;
    }
    Ok(())
}

/// The effective roles of `users`, with where each comes from. Users without roles are absent.
async fn effective_of(
    tx: &mut Tx,
    tenant: &str,
    users: &HashSet<String>,
) -> Result<EffectiveRoles, StoreError> {
    let mut out = EffectiveRoles::new();
    let ids: Vec<&String> = users.iter().collect();
    for chunk in ids.chunks(CHUNK) {
        let sql = effective_statement(tenant, chunk);
        let rows: Vec<(String, String, Option<String>)> = tx.fetch_all(&sql.sql, sql.args).await?;
        for (user, role, group) in rows {
            let source = group.map_or(RoleSource::Scim, RoleSource::Group);
            out.entry(user)
                .or_default()
                .entry(role)
                .or_default()
                .insert(source);
        }
    }
    Ok(out)
}

/// The statement of [`effective_of`] for one chunk of users.
pub(super) fn effective_statement(tenant: &str, users: &[&String]) -> SqlBuilder {
    let mut sql = SqlBuilder::default();
    sql.push("WITH RECURSIVE m(user_id, group_id) AS (SELECT user_id, group_id FROM group_members WHERE tenant_id = ")
        .bind(tenant)
        .push(" AND user_id IN (");
    for (n, id) in users.iter().enumerate() {
        sql.push(if n == 0 { "" } else { ", " }).bind(id.as_str());
    }
    sql.push(
        ") UNION SELECT m.user_id, gm.group_id FROM m CROSS JOIN group_members gm \
         WHERE gm.tenant_id = $1 AND gm.member_group_id = m.group_id) \
         SELECT m.user_id, r.role, m.group_id FROM m CROSS JOIN role_mappings r \
         WHERE r.tenant_id = $1 AND r.group_id = m.group_id \
         UNION ALL SELECT user_id, value, NULL FROM user_values \
         WHERE tenant_id = $1 AND attr = 'roles' AND value IS NOT NULL AND user_id IN (",
    );
    for (n, id) in users.iter().enumerate() {
        sql.push(if n == 0 { "" } else { ", " }).bind(id.as_str());
    }
    sql.push(")");
    sql
}

/// The role names of each user in `roles`.
pub fn names(roles: &EffectiveRoles, user: &str) -> Vec<String> {
    roles
        .get(user)
        .map(|r| r.keys().cloned().collect())
        .unwrap_or_default()
}

/// The groups `user_id` is in: `(id, displayName, direct)`, direct ones first, each once.
pub async fn groups_of(
    db: &Db,
    tenant: &str,
    user_id: &str,
) -> Result<Vec<(String, String, bool)>, StoreError> {
    db.autocommit()
        .fetch_all(GROUPS_OF, args![tenant, user_id])
        .await
}

/// The statement of [`groups_of`].
pub(super) const GROUPS_OF: &str = "WITH RECURSIVE up(id, direct) AS (\
       SELECT group_id, 1 FROM group_members WHERE tenant_id = $1 AND user_id = $2 \
       UNION SELECT gm.group_id, 0 FROM up CROSS JOIN group_members gm \
       WHERE gm.tenant_id = $1 AND gm.member_group_id = up.id) \
     SELECT g.id, g.display_name, MAX(up.direct) = 1 AS direct FROM up \
     CROSS JOIN groups g WHERE g.tenant_id = $1 AND g.id = up.id \
     GROUP BY g.id, g.display_name ORDER BY MAX(up.direct) DESC, g.display_name";
