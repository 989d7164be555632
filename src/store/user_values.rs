//! The `user_values` table: one row per value of a multi-valued User attribute
//! (`emails`, `phoneNumbers`, …), with `value`, `type`, `primary` and `display` in columns
//! for filtering and any other sub-attributes (e.g. of `addresses`) in `extra`.

use serde_json::{Map, Value};

use super::StoreError;
use super::db::{Tx, args};
use super::sql::SqlBuilder;

/// Replaces all value rows of one user.
pub async fn replace(
    tx: &mut Tx,
    tenant: &str,
    user_id: &str,
    values: Vec<(&'static str, Vec<Value>)>,
) -> Result<(), StoreError> {
    tx.execute(
        "DELETE FROM user_values WHERE tenant_id = $1 AND user_id = $2",
        args![tenant, user_id],
    )
    .await?;
    insert(tx, tenant, user_id, values).await
}

/// Inserts the value rows of a user that has none, in one statement.
pub async fn insert(
    tx: &mut Tx,
    tenant: &str,
    user_id: &str,
    values: Vec<(&'static str, Vec<Value>)>,
) -> Result<(), StoreError> {
    let mut sql = SqlBuilder::default();
    sql.push(
        "INSERT INTO user_values (tenant_id, user_id, attr, position, value, value_norm, type, type_norm, \
         is_primary, display, display_norm, extra) VALUES ",
    );
    let mut rows = 0;
    for (attr, items) in values {
        for (position, item) in items.into_iter().enumerate() {
            let Value::Object(mut item) = item else {
                continue;
            };
            let value = take_string(&mut item, "value");
            let value_norm = lower(&value);
            let kind = take_string(&mut item, "type");
            // Kept as sent: an unassigned `primary` stays NULL, so `primary pr` and round trips agree.
            let primary = item.remove("primary").and_then(|p| p.as_bool());
            let display = take_string(&mut item, "display");
            let (type_norm, display_norm) = (lower(&kind), lower(&display));
            let row = args![
                tenant,
                user_id,
                attr,
                position as i64,
                value,
                value_norm,
                kind,
                type_norm,
                primary,
                display,
                display_norm,
                Value::Object(item)
            ];
            sql.push(if rows == 0 { "(" } else { ", (" });
            for (n, arg) in row.into_iter().enumerate() {
                sql.push(if n == 0 { "" } else { ", " }).bind(arg);
            }
            sql.push(")");
            rows += 1;
        }
    }
    if rows > 0 {
        tx.execute(&sql.sql, sql.args).await?;
    }
    Ok(())
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
