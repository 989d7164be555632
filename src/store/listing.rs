//! The list query shared by Users and Groups (RFC 7644 §3.4.2): tenant, compiled filter,
//! total count, and one page in a stable order (creation time, then id).

use super::db::{AnyRow, Dialect, Tx};
use super::sql::SqlBuilder;
use super::{ListQuery, StoreError};
use crate::scim::filter::Filter;

/// Compiles a filter into a condition on the listed table.
pub type FilterCompiler = fn(&Filter, Dialect, &mut SqlBuilder) -> Result<(), StoreError>;

/// What to list: `FROM {table} {alias}`, selecting `select`.
pub struct Listing<'a> {
    pub table: &'static str,
    pub alias: &'static str,
    pub select: &'a str,
    pub compile: FilterCompiler,
}

/// Returns the number of matching rows and the requested page of them.
pub async fn page<R: AnyRow>(
    tx: &mut Tx,
    listing: &Listing<'_>,
    tenant: &str,
    query: &ListQuery,
) -> Result<(i64, Vec<R>), StoreError> {
    let Listing {
        table,
        alias,
        select,
        compile,
    } = listing;
    let mut filter = SqlBuilder::default();
    filter.push(alias).push(".tenant_id = ").bind(tenant);
    if let Some(f) = &query.filter {
        filter.push(" AND (");
        compile(f, tx.dialect(), &mut filter)?;
        filter.push(")");
    }
    let count_sql = format!("SELECT COUNT(*) FROM {table} {alias} WHERE {}", filter.sql);
    let (total,): (i64,) = tx.fetch_one(&count_sql, filter.args.clone()).await?;
    if query.count == 0 {
        return Ok((total, Vec::new()));
    }
    let mut sql = filter;
    sql.sql = format!(
        "SELECT {select} FROM {table} {alias} WHERE {} ORDER BY {alias}.created, {alias}.id LIMIT ",
        sql.sql
    );
    sql.bind(query.count)
        .push(" OFFSET ")
        .bind(query.start_index - 1);
    let rows = tx.fetch_all(&sql.sql, sql.args).await?;
    Ok((total, rows))
}
