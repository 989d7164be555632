//! Users: create, read, list, update and delete, each in one transaction.

use serde_json::{Map, Value};

use super::db::{Arg, Db, Dialect, Tx, args};
use super::filter_sql;
use super::listing::{self, Listing};
use super::locking::{self, Intent};
use super::memberships;
use super::sql::SqlBuilder;
use super::user_row::{self, USER_TEXT_COLUMNS, UserRow, user_select};
use super::user_values;
use super::{ListQuery, Page, StoreError};
use crate::password;
use crate::scim::resource::{Meta, Resource, now};

fn taken(user_name: &str) -> impl FnOnce() -> String + '_ {
    move || format!("userName \"{user_name}\" is already taken")
}

/// Inserts a new user from canonical attributes (may include a plain `password`).
pub async fn create(
    db: &Db,
    tenant: &str,
    mut attrs: Map<String, Value>,
) -> Result<Resource, StoreError> {
    let password_hash = take_password(&mut attrs).await?;
    attrs.remove("groups");
    let cols = user_row::split(attrs);
    let user_name = user_name(&cols)?;
    let id = uuid::Uuid::new_v4().to_string();
    let at = now();
    let mut tx = db.write().await?;
    let mut values = vec![
        ("tenant_id", Arg::from(tenant)),
        ("id", Arg::from(id.as_str())),
        ("password_hash", Arg::from(password_hash)),
        ("created", Arg::from(at)),
        ("last_modified", Arg::from(at)),
        ("version", Arg::from(1_i64)),
    ];
    values.extend(column_values(&cols));
    let mut sql = SqlBuilder::default();
    sql.push("INSERT INTO users (");
    sql.push(
        &values
            .iter()
            .map(|(c, _)| *c)
            .collect::<Vec<_>>()
            .join(", "),
    );
    sql.push(") VALUES (");
    for (n, (_, v)) in values.into_iter().enumerate() {
        sql.push(if n == 0 { "" } else { ", " }).bind(v);
    }
    sql.push(")");
    tx.execute(&sql.sql, sql.args)
        .await
        .map_err(|e| e.on_unique(taken(&user_name)))?;
    user_values::insert(&mut tx, tenant, &id, cols.values).await?;
    let user = load(&mut tx, tenant, &id)
        .await?
        .ok_or(StoreError::RowMissing)?;
    tx.commit().await?;
    Ok(user)
}

/// Reads one user.
pub async fn get(db: &Db, tenant: &str, id: &str) -> Result<Option<Resource>, StoreError> {
    // One statement (see `user_select`), so no transaction is needed for a consistent read.
    load(&mut db.autocommit(), tenant, id).await
}

/// Reads, changes and writes one user in a single write transaction, so concurrent updates
/// serialize instead of losing each other's changes. `change` receives the current resource and
/// returns the new canonical attributes (`password` in plain text if it is to be set).
pub async fn update<E: From<StoreError>>(
    db: &Db,
    tenant: &str,
    id: &str,
    change: impl FnOnce(Resource) -> Result<Map<String, Value>, E>,
) -> Result<Resource, E> {
    let mut tx = db.write().await?;
    locking::lock_row(&mut tx, "users", tenant, id, Intent::Update).await?;
    let current = load(&mut tx, tenant, id)
        .await?
        .ok_or(StoreError::NotFound)?;
    let version = current.meta.version;
    let values_before = stored_values(&current);
    let mut attrs = change(current)?;
    let password_hash = take_password(&mut attrs).await?;
    attrs.remove("groups");
    let cols = user_row::split(attrs);
    let user_name = user_name(&cols)?;
    let mut values = vec![
        ("last_modified", Arg::from(now())),
        ("version", Arg::from(version + 1)),
    ];
    if let Some(hash) = password_hash {
        values.push(("password_hash", Arg::from(hash)));
    }
    values.extend(column_values(&cols));
    let mut sql = SqlBuilder::default();
    sql.push("UPDATE users SET ");
    for (n, (column, v)) in values.into_iter().enumerate() {
        sql.push(if n == 0 { "" } else { ", " })
            .push(column)
            .push(" = ")
            .bind(v);
    }
    sql.push(" WHERE version = ")
        .bind(version)
        .push(" AND tenant_id = ")
        .bind(tenant)
        .push(" AND id = ")
        .bind(id);
    let updated = tx
        .execute(&sql.sql, sql.args)
        .await
        .map_err(|e| e.on_unique(taken(&user_name)))?;
    if updated != 1 {
        return Err(StoreError::VersionConflict.into());
    }
    // Most changes (`active`, a name) leave the multi-valued attributes as they were.
    if cols.values != values_before {
        user_values::replace(&mut tx, tenant, id, cols.values).await?;
    }
    let user = load(&mut tx, tenant, id)
        .await?
        .ok_or(StoreError::RowMissing)?;
    tx.commit().await?;
    Ok(user)
}

/// Deletes a user with its values and memberships after `check` accepted its current version
/// (ETag included); `false` if it did not exist.
pub async fn delete<E: From<StoreError>>(
    db: &Db,
    tenant: &str,
    id: &str,
    check: impl FnOnce(&Meta) -> Result<(), E>,
) -> Result<bool, E> {
    let mut tx = db.write().await?;
    // Its groups first, then the user's row: the order every writer uses, so none deadlock.
    memberships::touch_groups_of_member(&mut tx, tenant, id).await?;
    locking::lock_row(&mut tx, "users", tenant, id, Intent::Delete).await?;
    let Some(current) = load(&mut tx, tenant, id).await? else {
        return Ok(false);
    };
    check(&current.meta)?;
    locking::delete_version(&mut tx, "users", tenant, id, current.meta.version).await?;
    tx.commit().await?;
    Ok(true)
}

/// Lists users matching the query, in a stable order (creation time, then id).
pub async fn list(db: &Db, tenant: &str, query: &ListQuery) -> Result<Page, StoreError> {
    let listing = Listing {
        table: "users",
        alias: "u",
        select: user_select(db.dialect()),
        compile: if query.across_types {
            filter_sql::user_filter_across_types
        } else {
            filter_sql::user_filter
        },
        sort: filter_sql::user_sort,
        sqlite_json: Some((&user_row::SQLITE_USER_JSON, UserRow::from_json)),
    };
    // A page is one statement (count included) unless it lies past the end.
    let mut tx = db.autocommit();
    let (total, rows, more) = listing::page::<UserRow>(&mut tx, &listing, tenant, query).await?;
    let resources = rows.into_iter().map(assemble).collect::<Result<_, _>>()?;
    Ok(Page {
        total,
        resources,
        more,
    })
}

/// Loads one user, or `None`.
async fn load(tx: &mut Tx, tenant: &str, id: &str) -> Result<Option<Resource>, StoreError> {
    let row: Option<UserRow> = tx
        .fetch_optional(&load_sql(tx.dialect()), args![tenant, id])
        .await?;
    row.map(assemble).transpose()
}

fn load_sql(dialect: Dialect) -> String {
    format!(
        "SELECT {} FROM users u WHERE u.tenant_id = $1 AND u.id = $2",
        user_select(dialect)
    )
}

fn assemble(row: UserRow) -> Result<Resource, StoreError> {
    user_row::assemble(row).map_err(|e| StoreError::Corrupt(format!("aggregated user rows: {e}")))
}

/// The multi-valued attributes of a stored user, as `user_row::split` gives them.
fn stored_values(user: &Resource) -> Vec<(&'static str, Vec<Value>)> {
    let mut attrs = user.attrs.clone();
    attrs.remove("groups");
    user_row::split(attrs).values
}

/// The values of every attribute column, with the lower-cased copies of case-insensitive ones.
pub(super) fn column_values(cols: &user_row::UserColumns) -> Vec<(&'static str, Arg)> {
    let mut values = vec![
        ("active", Arg::from(cols.active)),
        ("manager_id", Arg::from(cols.manager_id.clone())),
        ("extra", Arg::from(Value::Object(cols.extra.clone()))),
    ];
    for (c, text) in USER_TEXT_COLUMNS.iter().zip(&cols.text) {
        values.push((c.column, Arg::from(text.clone())));
        if let Some(norm) = c.norm {
            values.push((norm, Arg::from(text.as_deref().map(str::to_lowercase))));
        }
    }
    values
}

fn user_name(cols: &user_row::UserColumns) -> Result<String, StoreError> {
    cols.text[user_row::USER_NAME]
        .clone()
        .ok_or_else(|| StoreError::Corrupt("a user without userName reached the store".into()))
}

async fn take_password(attrs: &mut Map<String, Value>) -> Result<Option<String>, StoreError> {
    match attrs.remove("password") {
        Some(Value::String(plain)) => Ok(Some(password::hash(plain).await?)),
        _ => Ok(None),
    }
}
