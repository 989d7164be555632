//! Users: insert, read, list, save and delete. Writes run inside a unit of work (`Write`), which
//! the service layer opens, so a change commits together with its change events.

use serde_json::{Map, Value};

use chrono::{DateTime, Utc};

use super::db::{Arg, Db, Dialect, Tx, args};
use super::filter_sql;
use super::listing::{self, Listing};
use super::locking::{self, Intent};
use super::sql::SqlBuilder;
use super::user_row::{self, USER_TEXT_COLUMNS, UserRow, assemble, user_select};
use super::user_values;
use super::write::{Reader, Write};
use super::{ListQuery, Page, StoreError};
use crate::scim::resource::{Meta, Resource};

fn taken(user_name: &str) -> impl FnOnce() -> String + '_ {
    move || format!("userName \"{user_name}\" is already taken")
}

/// Inserts a new user from canonical attributes (without `password`; its hash, computed before
/// the unit of work opened, comes apart) at time `at`.
pub async fn insert(
    w: &mut Write,
    tenant: &str,
    attrs: Map<String, Value>,
    password_hash: Option<String>,
    at: DateTime<Utc>,
) -> Result<Resource, StoreError> {
    insert_from(w, tenant, attrs, password_hash, at, Source::Scim).await
}

/// Where a user comes from (the `users.source` column, migration 0004).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Provisioned by an identity provider (the column's default).
    Scim,
    /// Imported by the operator from a file (`scimd import users`).
    Local,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Scim => "scim",
            Source::Local => "local",
        }
    }
}

/// Inserts a new user like [`insert`], recording where it comes from.
pub async fn insert_from(
    w: &mut Write,
    tenant: &str,
    attrs: Map<String, Value>,
    password_hash: Option<String>,
    at: DateTime<Utc>,
    source: Source,
) -> Result<Resource, StoreError> {
    let id = super::resource_ids::new_resource_id();
    let row = Restored {
        id: &id,
        created: at,
        version: 1,
    };
    insert_row(
        w,
        tenant,
        &row,
        attrs,
        password_hash,
        at,
        source,
        Answer::Built,
    )
    .await
}

/// The identity a user had before it was archived, for a restore.
#[derive(Debug, Clone, Copy)]
pub struct Restored<'a> {
    pub id: &'a str,
    pub created: DateTime<Utc>,
    /// The version it gets (its archived version + 1, so no old ETag matches it).
    pub version: i64,
}

/// Inserts a user with a given id, creation time and version, modified at `at`.
pub async fn insert_as(
    w: &mut Write,
    tenant: &str,
    row: &Restored<'_>,
    attrs: Map<String, Value>,
    password_hash: Option<String>,
    at: DateTime<Utc>,
) -> Result<Resource, StoreError> {
    // A restore reads the user back: its caller tells a taken `userName` apart at once.
    insert_row(
        w,
        tenant,
        row,
        attrs,
        password_hash,
        at,
        Source::Scim,
        Answer::Read,
    )
    .await
}

/// How an insert learns the user it returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    /// Built from what it wrote (`user_row::as_written`): on SQLite its statements then wait
    /// for the unit of work's next one (on a new user's create, its commit), and a taken
    /// `userName` is reported there; on PostgreSQL it saves the statement that would read the
    /// user back, with its aggregates.
    Built,
    /// Read back at once, which also reports a taken `userName` at once.
    Read,
}

#[allow(clippy::too_many_arguments)]
async fn insert_row(
    w: &mut Write,
    tenant: &str,
    row: &Restored<'_>,
    mut attrs: Map<String, Value>,
    password_hash: Option<String>,
    at: DateTime<Utc>,
    source: Source,
    answer: Answer,
) -> Result<Resource, StoreError> {
    attrs.remove("groups");
    attrs.remove("password");
    let mut cols = user_row::split(attrs);
    let user_name = user_name(&cols)?;
    let value_rows = user_values::split(std::mem::take(&mut cols.values));
    let id = row.id;
    let mut values = vec![
        ("tenant_id", Arg::from(tenant)),
        ("id", Arg::from(id)),
        ("password_hash", Arg::from(password_hash)),
        ("created", Arg::from(row.created)),
        ("last_modified", Arg::from(at)),
        ("version", Arg::from(row.version)),
        ("source", Arg::from(source.as_str())),
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
    // Users read ahead that name this id as their manager (a restored user's) show its name.
    w.forget_read_ahead(|user| user_row::manager_of(user).0 == Some(id));
    // The inserts wait for the unit of work's next statement (see `Tx::queue`), which then
    // reports their errors.
    let tx = w.tx_keeping_read_ahead();
    tx.queue_unique(&sql.sql, sql.args, taken(&user_name))
        .await?;
    if answer == Answer::Built {
        let meta = Meta::new(row.created, at, row.version);
        let user = as_written(tx, tenant, id, meta, &cols, &value_rows, None).await?;
        user_values::insert(tx, tenant, id, value_rows).await?;
        return Ok(user);
    }
    user_values::insert(tx, tenant, id, value_rows).await?;
    load(tx, tenant, id).await?.ok_or(StoreError::RowMissing)
}

/// The user a write of `cols` and `value_rows` leaves, as a read would return it (see
/// `user_row::as_written`); `current` is the user before, for a save (its groups, and its
/// manager's name when the manager stays).
async fn as_written(
    tx: &mut Tx,
    tenant: &str,
    id: &str,
    meta: Meta,
    cols: &user_row::UserColumns,
    value_rows: &[user_values::ValueRow],
    current: Option<&Resource>,
) -> Result<Resource, StoreError> {
    let before = current.map(user_row::manager_of).unwrap_or_default();
    let manager = match (&cols.manager_id, before) {
        (None, _) => None,
        // Its own manager: the name it has now.
        (Some(m), _) if m == id => cols.text[user_row::DISPLAY_NAME].clone(),
        (Some(m), (Some(was), name)) if m == was => name.map(str::to_owned),
        (Some(m), _) => display_name(tx, tenant, m).await?,
    };
    let groups = current.map_or_else(Vec::new, user_row::groups_aggregate);
    Ok(user_row::as_written(
        id, meta, cols, value_rows, manager, groups,
    ))
}

/// A user's `displayName`, if the user exists and has one (a manager's, as reads show it).
async fn display_name(tx: &mut Tx, tenant: &str, id: &str) -> Result<Option<String>, StoreError> {
    let row: Option<(Option<String>,)> = tx
        .fetch_optional(
            "SELECT display_name FROM users WHERE tenant_id = $1 AND id = $2",
            args![tenant, id],
        )
        .await?;
    Ok(row.and_then(|(name,)| name))
}

/// A local suspension: when, why, by whom (the actor as events show it).
#[derive(Debug, Clone)]
pub struct Suspension {
    pub at: DateTime<Utc>,
    pub reason: String,
    pub by: Value,
}

/// Suspends (`Some`) or unsuspends (`None`) the locked user. Its SCIM representation and
/// version stay as they are: suspension is the application's, not the identity provider's.
pub async fn set_suspension(
    w: &mut Write,
    tenant: &str,
    id: &str,
    suspension: Option<&Suspension>,
) -> Result<(), StoreError> {
    let (at, reason, by) = match suspension {
        Some(s) => (Some(s.at), Some(s.reason.clone()), Some(s.by.clone())),
        None => (None, None, None),
    };
    // JSON `null` for no actor; the CASE stores SQL NULL then (a typed NULL cannot be bound).
    let args = args![tenant, id, at, reason, by.unwrap_or(Value::Null)];
    let n = w
        .tx()
        .execute(
            "UPDATE users SET suspended_at = $3, suspended_reason = $4, \
             suspended_by = CASE WHEN $3 IS NULL THEN NULL ELSE $5 END \
             WHERE tenant_id = $1 AND id = $2",
            args,
        )
        .await?;
    if n != 1 {
        return Err(StoreError::RowMissing);
    }
    Ok(())
}

/// A user's local suspension, if any, as committed.
pub async fn suspension(db: &Db, tenant: &str, id: &str) -> Result<Option<Suspension>, StoreError> {
    read_suspension(&mut db.autocommit(), tenant, id).await
}

/// A locked user's local suspension, if any.
pub async fn suspension_in(
    w: &mut Write,
    tenant: &str,
    id: &str,
) -> Result<Option<Suspension>, StoreError> {
    read_suspension(w.tx(), tenant, id).await
}

async fn read_suspension(
    tx: &mut Tx,
    tenant: &str,
    id: &str,
) -> Result<Option<Suspension>, StoreError> {
    type Row = (
        Option<DateTime<Utc>>,
        Option<String>,
        Option<sqlx::types::Json<Value>>,
    );
    let row: Option<Row> = tx
        .fetch_optional(
            "SELECT suspended_at, suspended_reason, suspended_by FROM users WHERE tenant_id = $1 AND id = $2",
            args![tenant, id],
        )
        .await?;
    Ok(row.and_then(|(at, reason, by)| {
        Some(Suspension {
            at: at?,
            reason: reason.unwrap_or_default(),
            by: by.map(|b| b.0).unwrap_or(Value::Null),
        })
    }))
}

/// Reads one user.
pub async fn get(db: &Db, tenant: &str, id: &str) -> Result<Option<Resource>, StoreError> {
    // One statement (see `user_select`), so no transaction is needed for a consistent read.
    load(&mut db.autocommit(), tenant, id).await
}

/// What identifies a user to an import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserKey {
    /// `userName`, compared case-insensitively (as its uniqueness is).
    UserName,
    /// `externalId`, compared as typed (`caseExact`, RFC 7643 §3.1); not unique.
    ExternalId,
}

/// The users whose `key` attribute is `value`, oldest first; at most two, enough to tell an
/// ambiguous `externalId` from a unique one. One statement on an index (`users_user_name`,
/// `users_external_id`).
pub async fn find_by_key(
    mut reader: Reader<'_>,
    tenant: &str,
    key: UserKey,
    value: &str,
) -> Result<Vec<Resource>, StoreError> {
    let (column, bound) = match key {
        UserKey::UserName => ("user_name_norm", value.to_lowercase()),
        UserKey::ExternalId => ("external_id", value.to_owned()),
    };
    let sql = format!(
        "SELECT {} FROM users u WHERE u.tenant_id = $1 AND u.{column} = $2 ORDER BY u.created, u.id LIMIT 2",
        user_select(reader.dialect())
    );
    let rows: Vec<UserRow> = reader.fetch_all(&sql, args![tenant, bound]).await?;
    Ok(rows.into_iter().map(assemble).collect())
}

/// Locks one user's row for the rest of the unit of work and reads it, so a precondition
/// checked on it stays true until commit and concurrent writers serialize.
pub async fn load_locked(
    w: &mut Write,
    tenant: &str,
    id: &str,
    intent: Intent,
) -> Result<Option<Resource>, StoreError> {
    // Read ahead by `lock_many`, which also locked it for an update. A delete takes the
    // stronger lock (see `locking::lock_row`) and reads it again.
    if intent == Intent::Update
        && let Some(user) = w.take_read_ahead(tenant, id)
    {
        return Ok(Some(user));
    }
    let tx = w.tx_keeping_read_ahead();
    locking::lock_row(tx, "users", tenant, id, intent).await?;
    load(tx, tenant, id).await
}

/// Locks the users with the given ids for an update, in id order, until the unit of work ends
/// (see `locking::lock_rows`; ids of no user are skipped), and reads them ahead: the unit of
/// work's next [`load_locked`] of each takes it from memory, unless a statement that may change
/// how it reads ran in between (see `Write::tx`). A bulk chunk of 50 PATCHes then reads its
/// users with one statement instead of 50, each a hand-off to SQLite's thread or a round trip
/// to PostgreSQL.
pub async fn lock_many(w: &mut Write, tenant: &str, ids: &[String]) -> Result<(), StoreError> {
    if ids.is_empty() {
        return Ok(());
    }
    let tx = w.tx();
    // Two statements on PostgreSQL, on purpose. In READ COMMITTED a statement reads with the
    // snapshot it started with: a `SELECT … FOR NO KEY UPDATE` that waited for another
    // transaction's lock returns the locked row's new version, but its subqueries (the user's
    // groups, its manager's name) would still show that older snapshot. The read below starts
    // after the locks are granted and sees everything committed before.
    locking::lock_rows(tx, "users", tenant, ids).await?;
    let ids_in = match tx.dialect() {
        Dialect::Sqlite => "SELECT value FROM json_each($2)",
        Dialect::Postgres => "SELECT jsonb_array_elements_text($2)",
    };
    let sql = format!(
        "SELECT {} FROM users u WHERE u.tenant_id = $1 AND u.id IN ({ids_in})",
        user_select(tx.dialect())
    );
    let ids = Value::Array(ids.iter().cloned().map(Value::String).collect());
    let rows: Vec<UserRow> = tx.fetch_all(&sql, args![tenant, ids]).await?;
    let users = rows.into_iter().map(assemble).collect();
    w.read_ahead(tenant, users);
    Ok(())
}

/// Writes a locked user's new canonical attributes (without `password`; a new hash comes
/// apart) at time `at`, checking that its version is still `current`'s.
pub async fn save(
    w: &mut Write,
    tenant: &str,
    current: &Resource,
    mut attrs: Map<String, Value>,
    password_hash: Option<String>,
    at: DateTime<Utc>,
) -> Result<Resource, StoreError> {
    let id = current.id.as_str();
    let version = current.meta.version;
    attrs.remove("groups");
    attrs.remove("password");
    let mut cols = user_row::split(attrs);
    let user_name = user_name(&cols)?;
    let before = stored_columns(current);
    // Most changes (`active`, a name) leave the multi-valued attributes as they were: then
    // their rows are left alone.
    let same_values = cols.values == before.values;
    let value_rows = user_values::split(std::mem::take(&mut cols.values));
    let mut values = vec![
        ("last_modified", Arg::from(at)),
        ("version", Arg::from(version + 1)),
    ];
    if let Some(hash) = password_hash {
        values.push(("password_hash", Arg::from(hash)));
    }
    values.extend(changed_columns(&cols, &before));
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
    // The user itself, if read ahead again, and the users that show it as their manager (they
    // may show another name after it) read differently after this.
    w.forget_read_ahead(|user| user.id == id || user_row::manager_of(user).0 == Some(id));
    let tx = w.tx_keeping_read_ahead();
    if tx.dialect() == Dialect::Sqlite {
        // The row was read in this transaction, and SQLite has one writer: the version still
        // holds. The statements wait for the unit of work's next one (see `Tx::queue`).
        tx.queue_unique(&sql.sql, sql.args, taken(&user_name))
            .await?;
    } else {
        let updated = tx
            .execute(&sql.sql, sql.args)
            .await
            .map_err(|e| e.on_unique(taken(&user_name)))?;
        if updated != 1 {
            return Err(StoreError::VersionConflict);
        }
    }
    let meta = Meta::new(current.meta.created, at, version + 1);
    let saved = as_written(tx, tenant, id, meta, &cols, &value_rows, Some(current)).await?;
    if !same_values {
        user_values::replace(tx, tenant, id, value_rows).await?;
    }
    Ok(saved)
}

/// Deletes a locked user, with its values and memberships, if it still has `version`.
pub async fn delete(w: &mut Write, tenant: &str, id: &str, version: i64) -> Result<(), StoreError> {
    locking::delete_version(w.tx(), "users", tenant, id, version).await
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
        sqlite_json: Some((&user_row::SQLITE_USER_JSON, UserRow::page_from_json)),
    };
    // A page is one statement (count included) unless it lies past the end.
    let mut tx = db.autocommit();
    let (total, rows, more) = listing::page::<UserRow>(&mut tx, &listing, tenant, query).await?;
    let resources = rows.into_iter().map(assemble).collect();
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
    Ok(row.map(assemble))
}

fn load_sql(dialect: Dialect) -> String {
    format!(
        "SELECT {} FROM users u WHERE u.tenant_id = $1 AND u.id = $2",
        user_select(dialect)
    )
}

/// The columns of a stored user, as `user_row::split` gives them.
fn stored_columns(user: &Resource) -> user_row::UserColumns {
    let mut attrs = user.attrs.clone();
    attrs.remove("groups");
    user_row::split(attrs)
}

/// The attribute columns whose values differ from `before`'s, with their lower-cased copies.
/// SQLite's `UPDATE` rewrites only the indexes on the columns it sets: a PATCH of `active` then
/// rewrites the four users indexes on `active` and `last_modified` instead of all thirteen, and
/// its statement is that much smaller to prepare and to keep in the statement cache.
fn changed_columns(
    cols: &user_row::UserColumns,
    before: &user_row::UserColumns,
) -> Vec<(&'static str, Arg)> {
    column_values(cols)
        .into_iter()
        .zip(column_values(before))
        .filter(|(new, old)| new.1 != old.1)
        .map(|(new, _)| new)
        .collect()
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
