//! The list query shared by Users and Groups (RFC 7644 §3.4.2, RFC 9865): tenant, compiled
//! filter, total count, order (`sortBy` or creation order, with `id` breaking ties) and one page,
//! by offset or by keyset.

use sqlx::{ColumnIndex, Decode, FromRow, Row, Type};

use super::db::{AnyRow, Dialect, Tx};
use super::sql::SqlBuilder;
use super::{ListQuery, Paging, Position, StoreError};
use crate::scim::filter::{AttrPath, CompValue, CompareOp, Filter};

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
    /// On SQLite: an expression giving a listed row as one JSON array, and the decoder of a
    /// page of them. The page is then fetched as a single row holding all of them (see
    /// `SQLITE_USER_JSON`).
    pub sqlite_json: Option<(&'a str, JsonPageDecoder<R>)>,
}

/// Decodes a page given as the text of a JSON array of rows.
pub type JsonPageDecoder<R> = fn(&str) -> Result<Vec<R>, String>;

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
/// the database and most of a small read's cost. A unique lookup has no count at all; a
/// filtered page on SQLite is counted first, to choose the page's index (see below).
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
    // SQLite takes an index that serves the filter whenever there is one, and then sorts every
    // match to find the page in creation order: 133,000 of them for `name.familyName sw "M" and
    // active eq true` at a million users, on every page. So with a filter it counts the matches
    // first (from an index alone where one covers the filter, as `users_family_name_active`
    // does) and walks the creation-order index instead when that reads fewer rows than sorting
    // every match would. Equality on a key column skips this: its index is always the way.
    let mut known_total = query.known_total;
    let mut walk_order = false;
    let choose = dialect == Dialect::Sqlite
        && query.sort.is_none()
        && query.filter.as_ref().is_some_and(|f| !keyed(f));
    if choose {
        let (total, rows) = count_and_rows(tx, listing, known_total, &condition).await?;
        if total == 0 {
            return Ok((0, Vec::new(), false));
        }
        known_total = Some(total);
        walk_order = walk_is_cheaper(offset + count + 1, rows, total);
    }
    // A lookup by a unique column (`userName eq`, `id eq`: what identity providers send before
    // every create) matches at most one row, so the page itself is the count: no count beside it.
    let lookup = known_total.is_none()
        && offset == 0
        && seek.is_none()
        && query.filter.as_ref().is_some_and(unique);
    let json_rows = sqlite_json.filter(|_| dialect == Dialect::Sqlite);
    let mut sql = SqlBuilder::default();
    match json_rows {
        // The count stays outside the subquery, where SQLite evaluates it once. The row's JSON
        // keeps its JSON subtype into the aggregate (it is computed in this query, not a
        // subquery), so it is embedded as is: no `json()` parsing and printing it again.
        Some((row_json, _)) => sql.push(&format!("SELECT json_group_array({row_json}) AS page, ")),
        None => sql.push(&format!("SELECT {select}, ")),
    };
    match known_total {
        Some(total) => {
            sql.push("CAST(").bind(total).push(" AS BIGINT)");
        }
        None if lookup => {
            sql.push("CAST(0 AS BIGINT)");
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
    let forced = if walk_order {
        format!(" INDEXED BY {table}_listing")
    } else {
        String::new()
    };
    sql.push(&format!(
        " AS total FROM (SELECT {alias}.tenant_id AS k_tenant, {alias}.id AS k_id FROM {table} {alias}{forced} WHERE "
    ));
    condition(&mut sql)?;
    let keyset = seek.is_some();
    if let Some((created, id)) = seek {
        sql.push(" AND (")
            .push(alias)
            .push(".created, ")
            .push(alias)
            .push(".id) > (");
        sql.bind(created).push(", ").bind(id.to_owned()).push(")");
    }
    sql.push(&format!(" ORDER BY {order}"));
    // A lookup's page needs no LIMIT: it has at most one row, whatever `count` asks for.
    if !lookup {
        // One row more than asked tells whether another page follows.
        sql.limit(dialect, count + 1).push(" OFFSET ").bind(offset);
    }
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
            let rows = decode(&page).map_err(StoreError::Corrupt)?;
            (rows, Some(total))
        }
        None => {
            sql.push(&format!(" ORDER BY {order}"));
            let counted: Vec<Counted<R>> = tx.fetch_all(&sql.sql, sql.args).await?;
            let total = counted.first().map(|c| c.total);
            (counted.into_iter().map(|c| c.row).collect(), total)
        }
    };
    let total = match (first_total, known_total) {
        _ if lookup => rows.len() as i64,
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

/// Whether `filter` finds its matches by equality on a column that (nearly) identifies a row
/// (`id`, `userName`, `externalId`): such a comparison alone, in an `and` chain, or every
/// operand of an `or` chain. Its index finds the few matches.
fn keyed(filter: &Filter) -> bool {
    let compare = |f: &Filter| match f {
        Filter::Compare {
            path,
            op: CompareOp::Eq,
            ..
        } => {
            path.sub.is_none()
                && ["id", "userName", "externalId"]
                    .iter()
                    .any(|k| path.name.eq_ignore_ascii_case(k))
        }
        _ => false,
    };
    match filter {
        Filter::And(..) => filter.operands().into_iter().any(compare),
        Filter::Or(..) => filter.operands().into_iter().all(compare),
        f => compare(f),
    }
}

/// Whether `filter` matches at most one resource: it requires equality on `id` or `userName`
/// (unique in a directory), alone or in an `and` chain.
fn unique(filter: &Filter) -> bool {
    filter.operands().into_iter().any(|f| match f {
        Filter::Compare {
            path,
            op: CompareOp::Eq,
            value: CompValue::String(_),
        } if path.sub.is_none() && !matches!(filter, Filter::Or(..)) => {
            path.name.eq_ignore_ascii_case("id") || path.name.eq_ignore_ascii_case("userName")
        }
        _ => false,
    })
}

/// The matches (`known` or counted now) and an upper bound of the table's rows (its highest
/// rowid: rows of every directory, and of deleted ones, so it errs towards the filter's index).
async fn count_and_rows<R: AnyRow>(
    tx: &mut Tx,
    listing: &Listing<'_, R>,
    known: Option<i64>,
    condition: &(dyn Fn(&mut SqlBuilder) -> Result<(), StoreError> + Sync),
) -> Result<(i64, i64), StoreError> {
    let Listing { table, alias, .. } = listing;
    let mut sql = SqlBuilder::default();
    match known {
        Some(total) => {
            sql.push("SELECT CAST(").bind(total).push(" AS BIGINT), ");
            sql.push(&format!("(SELECT MAX(rowid) FROM {table})"));
        }
        None => {
            sql.push(&format!(
                "SELECT COUNT(*), (SELECT MAX(rowid) FROM {table}) FROM {table} {alias} WHERE "
            ));
            condition(&mut sql)?;
        }
    }
    let (total, rows): (i64, Option<i64>) = tx.fetch_one(&sql.sql, sql.args).await?;
    Ok((total, rows.unwrap_or(0)))
}

/// Walking the creation order until `wanted` matches reads about `wanted × rows / matches`
/// rows; the filter's index reads and sorts all `matches`.
fn walk_is_cheaper(wanted: i64, rows: i64, matches: i64) -> bool {
    i128::from(wanted) * i128::from(rows) < i128::from(matches) * i128::from(matches)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::filter::parse_filter as parse;

    #[test]
    fn only_equality_on_a_key_column_counts_as_keyed() {
        for (filter, want) in [
            ("userName eq \"a\"", true),
            ("USERNAME eq \"a\" and active eq true", true),
            ("id eq \"1\" or externalId eq \"2\"", true),
            ("id eq \"1\" or active eq true", false),
            ("userName sw \"a\"", false),
            ("name.familyName sw \"M\" and active eq true", false),
            ("emails.value eq \"a\"", false),
        ] {
            assert_eq!(keyed(&parse(filter).expect(filter)), want, "{filter}");
        }
    }

    #[test]
    fn only_equality_on_id_or_user_name_is_a_unique_lookup() {
        for (filter, want) in [
            ("userName eq \"a\"", true),
            ("active eq true and id eq \"1\"", true),
            ("userName eq \"a\" or userName eq \"b\"", false),
            ("externalId eq \"a\"", false),
            ("userName co \"a\"", false),
            ("not (userName eq \"a\")", false),
        ] {
            assert_eq!(unique(&parse(filter).expect(filter)), want, "{filter}");
        }
    }

    #[test]
    fn the_creation_order_is_walked_when_it_reads_fewer_rows_than_the_matches() {
        // 133,333 matches of a million: a page of 100 reads about 760 rows in creation order.
        assert!(walk_is_cheaper(101, 1_000_000, 133_333));
        // One match in a million: the index.
        assert!(!walk_is_cheaper(101, 1_000_000, 1));
        // Deep pages: walking 500,000 rows into the order costs more than sorting the matches.
        assert!(!walk_is_cheaper(500_101, 1_000_000, 133_333));
    }
}
