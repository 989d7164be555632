//! The `user_values` table: one row per value of a multi-valued User attribute
//! (`emails`, `phoneNumbers`, …), with `value`, `type`, `primary` and `display` in columns
//! for filtering and any other sub-attributes (e.g. of `addresses`) in `extra`.

use serde_json::{Map, Value};

use super::StoreError;
use super::db::{Arg, Tx, args};
use super::sql::SqlBuilder;

/// Replaces all value rows of one user. Its statements are queued (`Tx::queue`): the
/// caller's next statement reports their errors.
pub async fn replace(
    tx: &mut Tx,
    tenant: &str,
    user_id: &str,
    values: Vec<(&'static str, Vec<Value>)>,
) -> Result<(), StoreError> {
    tx.queue(
        "DELETE FROM user_values WHERE tenant_id = $1 AND user_id = $2",
        args![tenant, user_id],
    )
    .await?;
    insert(tx, tenant, user_id, values).await
}

/// Value rows per statement: 12 parameters each, so a statement stays well below SQLite's
/// 32,766 and PostgreSQL's 65,535 parameters however many values a user has.
const ROWS_PER_STATEMENT: usize = 500;

/// Inserts the value rows of a user that has none: one statement for up to 500 values, queued
/// (`Tx::queue`) as in [`replace`].
pub async fn insert(
    tx: &mut Tx,
    tenant: &str,
    user_id: &str,
    values: Vec<(&'static str, Vec<Value>)>,
) -> Result<(), StoreError> {
    let rows = rows(tenant, user_id, values);
    let Some(first) = rows.first() else {
        return Ok(());
    };
    let columns: Vec<&str> = first.iter().map(|(c, _)| *c).collect();
    let head = format!("INSERT INTO user_values ({}) VALUES ", columns.join(", "));
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let mut sql = SqlBuilder::default();
        sql.push(&head);
        for (r, row) in rows.by_ref().take(ROWS_PER_STATEMENT).enumerate() {
            sql.push(if r == 0 { "(" } else { ", (" });
            for (n, (_, arg)) in row.into_iter().enumerate() {
                sql.push(if n == 0 { "" } else { ", " }).bind(arg);
            }
            sql.push(")");
        }
        tx.queue(&sql.sql, sql.args).await?;
    }
    Ok(())
}

/// The `user_values` rows of one user as `(column, value)` cells: `value`, `type`, `primary`
/// and `display` in columns (with Rust-lower-cased `*_norm` copies), the remaining
/// sub-attributes in `extra`, `position` the index in the client's array. Also used by the seed.
pub(super) fn rows(
    tenant: &str,
    user_id: &str,
    values: Vec<(&'static str, Vec<Value>)>,
) -> Vec<Vec<(&'static str, Arg)>> {
    let mut rows = Vec::new();
    for (attr, items) in values {
        for (position, item) in items.into_iter().enumerate() {
            let Value::Object(mut item) = item else {
                continue;
            };
            let value = take_string(&mut item, "value");
            let kind = take_string(&mut item, "type");
            // Kept as sent: an unassigned `primary` stays NULL, so `primary pr` and round trips agree.
            let primary = item.remove("primary").and_then(|p| p.as_bool());
            let display = take_string(&mut item, "display");
            rows.push(vec![
                ("tenant_id", Arg::from(tenant)),
                ("user_id", Arg::from(user_id)),
                ("attr", Arg::from(attr)),
                ("position", Arg::from(position as i64)),
                ("value_norm", Arg::from(lower(&value))),
                ("value", Arg::from(value)),
                ("type_norm", Arg::from(lower(&kind))),
                ("type", Arg::from(kind)),
                ("is_primary", Arg::from(primary)),
                ("display_norm", Arg::from(lower(&display))),
                ("display", Arg::from(display)),
                ("extra", Arg::from(Value::Object(item))),
            ]);
        }
    }
    rows
}

fn lower(s: &Option<String>) -> Option<String> {
    s.as_deref().map(str::to_lowercase)
}

fn take_string(item: &mut Map<String, Value>, key: &str) -> Option<String> {
    match item.remove(key) {
        Some(Value::String(s)) => Some(s),
        _ => None,
    }
}
