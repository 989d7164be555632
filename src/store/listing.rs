//! The list query shared by Users and Groups (RFC 7644 §3.4.2, RFC 9865): tenant, compiled
//! filter, total count, order (`sortBy` or creation order, with `id` breaking ties) and one page,
//! by offset or by keyset.

use super::db::{AnyRow, Dialect, Tx};
use super::sql::SqlBuilder;
use super::{ListQuery, Paging, Position, StoreError};
use crate::scim::filter::{AttrPath, Filter};

/// Compiles a filter into a condition on the listed table.
pub type FilterCompiler = fn(&Filter, Dialect, &str, &mut SqlBuilder) -> Result<(), StoreError>;

/// Turns a `sortBy` path into an SQL expression on the listed table.
pub type SortCompiler = fn(&AttrPath) -> Result<String, StoreError>;

/// What to list: `FROM {table} {alias}`, selecting `select`.
pub struct Listing<'a> {
    pub table: &'static str,
    pub alias: &'static str,
    pub select: &'a str,
    pub compile: FilterCompiler,
    pub sort: SortCompiler,
}

/// The number of matching rows, the requested page of them, and whether more rows follow.
pub async fn page<R: AnyRow>(
    tx: &mut Tx,
    listing: &Listing<'_>,
    tenant: &str,
    query: &ListQuery,
) -> Result<(i64, Vec<R>, bool), StoreError> {
    let Listing {
        table,
        alias,
        select,
        compile,
        sort,
    } = listing;
    let mut filter = SqlBuilder::default();
    filter.push(alias).push(".tenant_id = ").bind(tenant);
    if let Some(f) = &query.filter {
        filter.push(" AND (");
        compile(f, tx.dialect(), tenant, &mut filter)?;
        filter.push(")");
    }
    // Resolved before counting so that a bad sortBy is refused whatever the page.
    let order = match &query.sort {
        Some(s) => {
            let expr = sort(&s.path)?;
            let dir = if s.descending { "DESC" } else { "ASC" };
            // Resources without a value come last in either direction.
            format!("({expr}) IS NULL, ({expr}) {dir}, {alias}.id {dir}")
        }
        None => format!("{alias}.created, {alias}.id"),
    };
    let count_sql = format!("SELECT COUNT(*) FROM {table} {alias} WHERE {}", filter.sql);
    let total = match query.known_total {
        Some(total) => total,
        None => {
            tx.fetch_one::<(i64,)>(&count_sql, filter.args.clone())
                .await?
                .0
        }
    };
    let count = query.count();
    if count == 0 {
        return Ok((total, Vec::new(), total > 0));
    }
    let mut sql = filter;
    let offset = match &query.paging {
        Paging::Index { start_index, .. } => start_index - 1,
        Paging::Cursor {
            after: Some(Position::Offset(n)),
            ..
        } => *n,
        Paging::Cursor {
            after: Some(Position::After { created, id }),
            ..
        } => {
            sql.push(" AND (")
                .push(alias)
                .push(".created, ")
                .push(alias)
                .push(".id) > (");
            sql.bind(*created).push(", ").bind(id.clone()).push(")");
            0
        }
        Paging::Cursor { after: None, .. } => 0,
    };
    sql.sql = format!(
        "SELECT {select} FROM {table} {alias} WHERE {} ORDER BY {order} LIMIT ",
        sql.sql
    );
    // One row more than asked tells whether another page follows.
    sql.bind(count + 1).push(" OFFSET ").bind(offset);
    let mut rows: Vec<R> = tx.fetch_all(&sql.sql, sql.args).await?;
    let more = rows.len() as i64 > count;
    rows.truncate(count as usize);
    Ok((total, rows, more))
}
