//! The list query shared by Users and Groups (RFC 7644 §3.4.2, RFC 9865): tenant, compiled
//! filter, total count, order (`sortBy` or creation order, with `id` breaking ties) and one page,
//! by offset or by keyset.

use sqlx::{ColumnIndex, Decode, FromRow, Row, Type};

use super::db::{AnyRow, Dialect, Tx};
use super::sql::SqlBuilder;
use super::{ListQuery, Paging, Position, StoreError};
use crate::scim::filter::{AttrPath, Filter};

/// Compiles a filter into a condition on the listed table.
pub type FilterCompiler = fn(&Filter, Dialect, &str, &mut SqlBuilder) -> Result<(), StoreError>;

/// Turns a `sortBy` path into an SQL expression on the listed table.
pub type SortCompiler = fn(&AttrPath) -> Result<String, StoreError>;

/// What to list: `FROM {table} {alias}`, selecting `select`.
pub struct Listing<'a, R> {
    pub table: &'static str,
    pub alias: &'static str,
    pub select: &'a str,
    pub compile: FilterCompiler,
    pub sort: SortCompiler,
    /// On SQLite: an expression giving a listed row as one JSON array, and its decoder. The
    /// page is then fetched as a single row holding all of them (see `SQLITE_USER_JSON`).
    pub sqlite_json: Option<(&'a str, JsonRowDecoder<R>)>,
}

/// Decodes a row given as a JSON array.
pub type JsonRowDecoder<R> = fn(serde_json::Value) -> Result<R, String>;

/// A listed row with the `total` column the page query adds.
struct Counted<R> {
    total: i64,
    row: R,
}

impl<'r, DbRow: Row, R: FromRow<'r, DbRow>> FromRow<'r, DbRow> for Counted<R>
where
    &'r str: ColumnIndex<DbRow>,
    i64: Decode<'r, DbRow::Database> + Type<DbRow::Database>,
{
    fn from_row(row: &'r DbRow) -> Result<Self, sqlx::Error> {
        Ok(Counted {
            total: row.try_get("total")?,
            row: R::from_row(row)?,
        })
    }
}

/// The number of matching rows, the requested page of them, and whether more rows follow.
///
/// One statement when it can be: the count rides along as a `total` column of every row (a
/// scalar subquery, or the count a cursor carried), since every statement is a round trip to
/// the database and most of a small read's cost.
pub async fn page<R: AnyRow>(
    tx: &mut Tx,
    listing: &Listing<'_, R>,
    tenant: &str,
    query: &ListQuery,
) -> Result<(i64, Vec<R>, bool), StoreError> {
    let Listing {
        table,
        alias,
        select,
        compile,
        sort,
        sqlite_json,
    } = listing;
    let dialect = tx.dialect();
    let condition = |sql: &mut SqlBuilder| -> Result<(), StoreError> {
        sql.push(alias).push(".tenant_id = ").bind(tenant);
        if let Some(f) = &query.filter {
            sql.push(" AND (");
            compile(f, dialect, tenant, sql)?;
            sql.push(")");
        }
        Ok(())
    };
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
    let count_all = async |tx: &mut Tx| -> Result<i64, StoreError> {
        let mut sql = SqlBuilder::default();
        sql.push(&format!("SELECT COUNT(*) FROM {table} {alias} WHERE "));
        condition(&mut sql)?;
        Ok(tx.fetch_one::<(i64,)>(&sql.sql, sql.args).await?.0)
    };
    let count = query.count();
    if count == 0 {
        let total = match query.known_total {
            Some(total) => total,
            None => count_all(tx).await?,
        };
        return Ok((total, Vec::new(), total > 0));
    }
    let json_rows = sqlite_json.filter(|_| dialect == Dialect::Sqlite);
    let mut sql = SqlBuilder::default();
    match json_rows {
        // The count stays outside the subquery, where SQLite evaluates it once.
        Some((row_json, _)) => sql.push(&format!(
            "SELECT json_group_array(json({row_json})) AS page, "
        )),
        None => sql.push(&format!("SELECT {select}, ")),
    };
    match query.known_total {
        Some(total) => {
            sql.push("CAST(").bind(total).push(" AS BIGINT)");
        }
        None => {
            // The inner alias shadows the outer one, so the same condition counts all matches.
            sql.push(&format!("(SELECT COUNT(*) FROM {table} {alias} WHERE "));
            condition(&mut sql)?;
            sql.push(")");
        }
    }
    // The page's keys first, then the selected columns (with their subqueries) for those rows
    // only: PostgreSQL computes the select list of every row an OFFSET skips, and SQLite of
    // every row it sorts.
    sql.push(&format!(
        " AS total FROM (SELECT {alias}.tenant_id AS k_tenant, {alias}.id AS k_id FROM {table} {alias} WHERE "
    ));
    condition(&mut sql)?;
    // A keyset seek on `(created, id)` (the `users_listing` / `groups_listing` index) where the
    // page continues after a known row in creation order; otherwise rows are skipped.
    let (seek, offset) = match &query.paging {
        Paging::Index {
            after: Some(key), ..
        } if query.sort.is_none() => (Some((key.created, key.id.as_str())), 0),
        Paging::Index { start_index, .. } => (None, start_index - 1),
        Paging::Cursor {
            after: Some(Position::Offset(n)),
            ..
        } => (None, *n),
        Paging::Cursor {
            after: Some(Position::After { created, id }),
            ..
        } => (Some((*created, id.as_str())), 0),
        Paging::Cursor { after: None, .. } => (None, 0),
    };
    let keyset = seek.is_some();
    if let Some((created, id)) = seek {
        sql.push(" AND (")
            .push(alias)
            .push(".created, ")
            .push(alias)
            .push(".id) > (");
        sql.bind(created).push(", ").bind(id.to_owned()).push(")");
    }
    sql.push(&format!(" ORDER BY {order} LIMIT "));
    // One row more than asked tells whether another page follows.
    sql.bind(count + 1).push(" OFFSET ").bind(offset);
    // SQLite never reorders a CROSS JOIN, so the JSON is aggregated in the keys' order; the
    // plain rows are ordered again (only the page's rows).
    let join = match dialect {
        Dialect::Sqlite => "CROSS JOIN",
        Dialect::Postgres => "JOIN",
    };
    sql.push(&format!(
        ") k {join} {table} {alias} ON {alias}.tenant_id = k.k_tenant AND {alias}.id = k.k_id"
    ));
    let (mut rows, first_total) = match json_rows {
        Some((_, decode)) => {
            let (page, total): (String, i64) = tx.fetch_one(&sql.sql, sql.args).await?;
            let page: Vec<serde_json::Value> = serde_json::from_str(&page)
                .map_err(|e| StoreError::Corrupt(format!("a page of rows: {e}")))?;
            let rows = page
                .into_iter()
                .map(decode)
                .collect::<Result<Vec<R>, String>>()
                .map_err(StoreError::Corrupt)?;
            (rows, Some(total))
        }
        None => {
            sql.push(&format!(" ORDER BY {order}"));
            let counted: Vec<Counted<R>> = tx.fetch_all(&sql.sql, sql.args).await?;
            let total = counted.first().map(|c| c.total);
            (counted.into_iter().map(|c| c.row).collect(), total)
        }
    };
    let total = match (first_total, query.known_total) {
        (Some(total), _) => total,
        (None, Some(total)) => total,
        // Nothing before the first row, so nothing at all.
        (None, None) if offset == 0 && !keyset => 0,
        // A page past the end: the count needs its own statement.
        (None, None) => count_all(tx).await?,
    };
    let more = rows.len() as i64 > count;
    rows.truncate(count as usize);
    Ok((total, rows, more))
}
