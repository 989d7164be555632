//! The `user_values` table: one row per value of a multi-valued User attribute
//! (`emails`, `phoneNumbers`, …), with `value`, `type`, `primary` and `display` in columns
//! for filtering and any other sub-attributes (e.g. of `addresses`) in `extra`.

use serde_json::{Map, Value};
use sqlx::FromRow;
use sqlx::types::Json;

use super::StoreError;
use super::db::{Tx, args};
use super::sql::placeholders;

#[derive(FromRow)]
struct ValueRow {
    user_id: String,
    attr: String,
    value: Option<String>,
    #[sqlx(rename = "type")]
    kind: Option<String>,
    is_primary: Option<bool>,
    display: Option<String>,
    extra: Json<Value>,
}

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
            tx.execute(
                "INSERT INTO user_values (tenant_id, user_id, attr, position, value, value_norm, type, type_norm, \
                 is_primary, display, display_norm, extra) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                args![tenant, user_id, attr, position as i64, value, value_norm, kind, type_norm, primary, display, display_norm, Value::Object(item)],
            )
            .await?;
        }
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

/// Loads the values of the given users as `(user_id, attr, value object)`, in client order.
pub async fn load(
    tx: &mut Tx,
    tenant: &str,
    user_ids: &[String],
) -> Result<Vec<(String, String, Value)>, StoreError> {
    if user_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT user_id, attr, value, type, is_primary, display, extra FROM user_values \
         WHERE tenant_id = $1 AND user_id IN ({}) ORDER BY user_id, attr, position",
        placeholders(2, user_ids.len())
    );
    let mut params = args![tenant];
    params.extend(user_ids.iter().map(|id| id.clone().into()));
    let rows: Vec<ValueRow> = tx.fetch_all(&sql, params).await?;
    Ok(rows.into_iter().map(to_value).collect())
}

fn to_value(row: ValueRow) -> (String, String, Value) {
    let mut item = Map::new();
    if let Some(v) = row.value {
        item.insert("value".into(), Value::String(v));
    }
    if let Some(d) = row.display {
        item.insert("display".into(), Value::String(d));
    }
    if let Some(t) = row.kind {
        item.insert("type".into(), Value::String(t));
    }
    if let Some(primary) = row.is_primary {
        item.insert("primary".into(), Value::Bool(primary));
    }
    if let Value::Object(extra) = row.extra.0 {
        item.extend(extra);
    }
    (row.user_id, row.attr, Value::Object(item))
}
