//! The `user_values` table: one row per value of a multi-valued User attribute
//! (`emails`, `phoneNumbers`, …), with `value`, `type`, `primary` and `display` in columns
//! for filtering and any other sub-attributes (e.g. of `addresses`) in `extra`.

use serde_json::{Map, Value};

use super::StoreError;
use super::db::{Arg, Tx, args};
use super::sql::SqlBuilder;
use super::user_row::{AggregatedValue, SqlBool};

/// Replaces all value rows of one user with `values`, already [`split`]. Its statements are
/// queued (`Tx::queue`): the caller's next statement reports their errors.
pub async fn replace(
    tx: &mut Tx,
    tenant: &str,
    user_id: &str,
    values: Vec<ValueRow>,
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

/// Inserts the value rows of a user that has none, already [`split`]: one statement for up
/// to 500 values, queued (`Tx::queue`) as in [`replace`].
pub async fn insert(
    tx: &mut Tx,
    tenant: &str,
    user_id: &str,
    values: Vec<ValueRow>,
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
            sql.row(r == 0, row.into_iter().map(|(_, arg)| Some(arg)));
        }
        tx.queue(&sql.sql, sql.args).await?;
    }
    Ok(())
}

/// One value of a multi-valued attribute as its `user_values` row holds it.
#[derive(Debug, Clone)]
pub struct ValueRow {
    attr: &'static str,
    /// The index in the client's array.
    position: usize,
    value: Option<String>,
    kind: Option<String>,
    /// Kept as sent: an unassigned `primary` stays NULL, so `primary pr` and round trips agree.
    primary: Option<bool>,
    display: Option<String>,
    /// The remaining sub-attributes.
    extra: Map<String, Value>,
}

/// The rows that the values of multi-valued attributes become: `value`, `type`, `primary` and
/// `display` taken out into columns, the remaining sub-attributes kept together.
pub fn split(values: Vec<(&'static str, Vec<Value>)>) -> Vec<ValueRow> {
    let mut rows = Vec::new();
    for (attr, items) in values {
        for (position, item) in items.into_iter().enumerate() {
            let Value::Object(mut item) = item else {
                continue;
            };
            rows.push(ValueRow {
                attr,
                position,
                value: take_string(&mut item, "value"),
                kind: take_string(&mut item, "type"),
                primary: item.remove("primary").and_then(|p| p.as_bool()),
                display: take_string(&mut item, "display"),
                extra: item,
            });
        }
    }
    rows
}

/// The rows as a read of the user aggregates them (`user_row::user_select`): an array of
/// `[attr, value, type, primary, display, extra]`, ordered by attribute, then position.
pub fn aggregated(rows: &[ValueRow]) -> Vec<AggregatedValue> {
    let mut sorted: Vec<&ValueRow> = rows.iter().collect();
    sorted.sort_by(|a, b| (a.attr, a.position).cmp(&(b.attr, b.position)));
    sorted
        .into_iter()
        .map(|r| {
            (
                r.attr.to_owned(),
                r.value.clone(),
                r.kind.clone(),
                SqlBool(r.primary),
                r.display.clone(),
                Value::Object(r.extra.clone()),
            )
        })
        .collect()
}

/// The `user_values` rows of one user as `(column, value)` cells, with Rust-lower-cased
/// `*_norm` copies of the text columns. Also used by the seed.
pub(super) fn rows(
    tenant: &str,
    user_id: &str,
    values: Vec<ValueRow>,
) -> Vec<Vec<(&'static str, Arg)>> {
    values
        .into_iter()
        .map(|r| {
            vec![
                ("tenant_id", Arg::from(tenant)),
                ("user_id", Arg::from(user_id)),
                ("attr", Arg::from(r.attr)),
                ("position", Arg::from(r.position as i64)),
                ("value_norm", Arg::from(lower(&r.value))),
                ("value", Arg::from(r.value)),
                ("type_norm", Arg::from(lower(&r.kind))),
                ("type", Arg::from(r.kind)),
                ("is_primary", Arg::from(r.primary)),
                ("display_norm", Arg::from(lower(&r.display))),
                ("display", Arg::from(r.display)),
                ("extra", Arg::from(Value::Object(r.extra))),
            ]
        })
        .collect()
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
