//! How a User's canonical attributes map onto the `users` and `user_values` tables: single-valued
//! attributes get columns (so they can be indexed and filtered), multi-valued ones get one row
//! per value, and anything else the schema allows is kept in `extra` so a round trip loses nothing.

use std::fmt;
use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use serde::de::{self, Deserialize, Deserializer, IgnoredAny, SeqAccess, Visitor};
use serde_json::{Map, Value};
use sqlx::types::Json;
use sqlx::{ColumnIndex, Decode, FromRow, Row, Type};

use super::db::Dialect;
use super::user_values::{self, ValueRow};
use crate::scim::resource::{Meta, Resource, fingerprint, object_entry};
use crate::scim::schema::ENTERPRISE_USER;

/// A single-valued string attribute stored in its own column.
#[derive(Debug)]
pub struct TextColumn {
    /// `None` for the core schema, or the extension URN.
    pub extension: Option<&'static str>,
    pub attr: &'static str,
    pub sub: Option<&'static str>,
    pub column: &'static str,
    /// For attributes with `caseExact: false`: a column holding the value lower-cased in Rust
    /// (Unicode-aware on both backends, unlike SQLite's `lower()`), for matching and indexes.
    pub norm: Option<&'static str>,
}

const fn core(
    attr: &'static str,
    sub: Option<&'static str>,
    column: &'static str,
    norm: Option<&'static str>,
) -> TextColumn {
    TextColumn {
        extension: None,
        attr,
        sub,
        column,
        norm,
    }
}
const fn ent(attr: &'static str, column: &'static str, norm: Option<&'static str>) -> TextColumn {
    TextColumn {
        extension: Some(ENTERPRISE_USER.id),
        attr,
        sub: None,
        column,
        norm,
    }
}

/// Index of `userName` in [`USER_TEXT_COLUMNS`].
pub const USER_NAME: usize = 0;
/// Index of `displayName` in [`USER_TEXT_COLUMNS`].
pub const DISPLAY_NAME: usize = 2;

/// Every text column of `users`, in the order used by the SQL below.
pub const USER_TEXT_COLUMNS: &[TextColumn] = &[
    core("userName", None, "user_name", Some("user_name_norm")),
    core("externalId", None, "external_id", None),
    core(
        "displayName",
        None,
        "display_name",
        Some("display_name_norm"),
    ),
    core("nickName", None, "nick_name", Some("nick_name_norm")),
    core("profileUrl", None, "profile_url", Some("profile_url_norm")),
    core("title", None, "title", Some("title_norm")),
    core("userType", None, "user_type", Some("user_type_norm")),
    core(
        "preferredLanguage",
        None,
        "preferred_language",
        Some("preferred_language_norm"),
    ),
    core("locale", None, "locale", Some("locale_norm")),
    core("timezone", None, "timezone", Some("timezone_norm")),
    core(
        "name",
        Some("formatted"),
        "name_formatted",
        Some("name_formatted_norm"),
    ),
    core(
        "name",
        Some("familyName"),
        "name_family_name",
        Some("name_family_name_norm"),
    ),
    core(
        "name",
        Some("givenName"),
        "name_given_name",
        Some("name_given_name_norm"),
    ),
    core(
        "name",
        Some("middleName"),
        "name_middle_name",
        Some("name_middle_name_norm"),
    ),
    core(
        "name",
        Some("honorificPrefix"),
        "name_honorific_prefix",
        Some("name_honorific_prefix_norm"),
    ),
    core(
        "name",
        Some("honorificSuffix"),
        "name_honorific_suffix",
        Some("name_honorific_suffix_norm"),
    ),
    ent(
        "employeeNumber",
        "employee_number",
        Some("employee_number_norm"),
    ),
    ent("costCenter", "cost_center", Some("cost_center_norm")),
    ent("organization", "organization", Some("organization_norm")),
    ent("division", "division", Some("division_norm")),
    ent("department", "department", Some("department_norm")),
];

/// Multi-valued User attributes stored in `user_values` (RFC 7643 §4.1.2).
pub const USER_VALUE_ATTRS: &[&str] = &[
    "emails",
    "phoneNumbers",
    "ims",
    "photos",
    "addresses",
    "entitlements",
    "roles",
    "x509Certificates",
];

/// The columns every user read selects: the row, the manager's name, and the user's value rows
/// and groups aggregated as JSON arrays. A user is then one row of one statement: with sqlx's
/// SQLite driver every statement and every row is a hand-off to the connection's worker thread,
/// and those hand-offs (not SQLite) were most of a read's CPU time.
pub fn user_select(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => &SQLITE_USER_SELECT,
        Dialect::Postgres => &POSTGRES_USER_SELECT,
    }
}

/// `[attr, value, type, primary, display, extra]` per value row, in client order.
const SQLITE_VALUES: &str = "(SELECT json_group_array(json_array(v.attr, v.value, v.type, v.is_primary, v.display, json(v.extra)) \
     ORDER BY v.attr, v.position) FROM user_values v WHERE v.tenant_id = u.tenant_id AND v.user_id = u.id)";
const POSTGRES_VALUES: &str = "(SELECT json_agg(json_build_array(v.attr, v.value, v.type, v.is_primary, v.display, v.extra) \
     ORDER BY v.attr, v.position)::text FROM user_values v WHERE v.tenant_id = u.tenant_id AND v.user_id = u.id)";
/// `[group id, group displayName]` per direct membership, by group name.
const SQLITE_GROUPS: &str = "(SELECT json_group_array(json_array(g.id, g.display_name) ORDER BY g.display_name, g.id) \
     FROM group_members gm JOIN groups g ON g.tenant_id = gm.tenant_id AND g.id = gm.group_id \
     WHERE gm.tenant_id = u.tenant_id AND gm.user_id = u.id)";
const POSTGRES_GROUPS: &str = "(SELECT json_agg(json_build_array(g.id, g.display_name) ORDER BY g.display_name, g.id)::text \
     FROM group_members gm JOIN groups g ON g.tenant_id = gm.tenant_id AND g.id = gm.group_id \
     WHERE gm.tenant_id = u.tenant_id AND gm.user_id = u.id)";

const MANAGER_DISPLAY: &str =
    "(SELECT m.display_name FROM users m WHERE m.tenant_id = u.tenant_id AND m.id = u.manager_id)";

static SQLITE_USER_SELECT: LazyLock<String> =
    LazyLock::new(|| select_with(SQLITE_VALUES, SQLITE_GROUPS));
static POSTGRES_USER_SELECT: LazyLock<String> =
    LazyLock::new(|| select_with(POSTGRES_VALUES, POSTGRES_GROUPS));

fn select_with(values: &str, groups: &str) -> String {
    let mut cols = row_columns("u.extra");
    cols.push(format!("{MANAGER_DISPLAY} AS manager_display"));
    cols.push(format!("{values} AS values_json"));
    cols.push(format!("{groups} AS groups_json"));
    cols.join(", ")
}

/// The `users` columns a read takes, in the order a listed user's JSON array gives them (`UserRow`'s `Deserialize`).
fn row_columns(extra: &str) -> Vec<String> {
    let mut cols: Vec<String> = USER_TEXT_COLUMNS
        .iter()
        .map(|c| format!("u.{}", c.column))
        .collect();
    cols.extend(
        [
            "u.id",
            "u.active",
            "u.manager_id",
            extra,
            "u.created",
            "u.last_modified",
            "u.version",
        ]
        .map(String::from),
    );
    cols
}

/// A listed user as one SQLite JSON array, in the order `UserRow`'s `Deserialize` reads: a page of
/// users is then a single row (the array of these), one hand-off to the connection's worker
/// thread instead of one per user. (PostgreSQL's driver reads rows off the socket in the
/// calling task, so it keeps the plain columns.)
pub static SQLITE_USER_JSON: LazyLock<String> = LazyLock::new(|| {
    let mut cols = row_columns("json(u.extra)");
    cols.push(MANAGER_DISPLAY.to_owned());
    cols.push(format!("json({SQLITE_VALUES})"));
    cols.push(format!("json({SQLITE_GROUPS})"));
    format!("json_array({})", cols.join(", "))
});

/// A decoded `users` row.
#[derive(Debug)]
pub struct UserRow {
    pub id: String,
    pub text: Vec<Option<String>>,
    pub active: Option<bool>,
    pub manager_id: Option<String>,
    pub manager_display: Option<String>,
    pub extra: Value,
    pub meta: Meta,
    /// The value rows, ordered by attribute, then position (see [`user_select`]).
    pub values: Vec<AggregatedValue>,
    /// The groups, by name.
    pub groups: Vec<AggregatedGroup>,
}

/// One element of `values_json`: attr, value, type, primary, display, extra.
pub type AggregatedValue = (
    String,
    Option<String>,
    Option<String>,
    SqlBool,
    Option<String>,
    Value,
);

/// One element of `groups_json`: the group's id and `displayName`.
pub type AggregatedGroup = (String, Option<String>);

/// A boolean column read through JSON, where SQLite gives `0` or `1` and PostgreSQL `true` or
/// `false`; `null` when unset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SqlBool(pub Option<bool>);

impl<'de> Deserialize<'de> for SqlBool {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct BoolVisitor;
        impl Visitor<'_> for BoolVisitor {
            type Value = SqlBool;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a boolean, 0 or 1, or null")
            }
            fn visit_bool<E: de::Error>(self, b: bool) -> Result<SqlBool, E> {
                Ok(SqlBool(Some(b)))
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<SqlBool, E> {
                Ok(SqlBool(Some(n != 0)))
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<SqlBool, E> {
                Ok(SqlBool(Some(n != 0)))
            }
            fn visit_unit<E: de::Error>(self) -> Result<SqlBool, E> {
                Ok(SqlBool(None))
            }
        }
        d.deserialize_any(BoolVisitor)
    }
}

impl<'r, R: Row> FromRow<'r, R> for UserRow
where
    &'r str: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    bool: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    DateTime<Utc>: Decode<'r, R::Database> + Type<R::Database>,
    Json<Value>: Decode<'r, R::Database> + Type<R::Database>,
{
    fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
        let text = USER_TEXT_COLUMNS
            .iter()
            .map(|c| row.try_get::<Option<String>, _>(c.column))
            .collect::<Result<_, _>>()?;
        Ok(UserRow {
            id: row.try_get("id")?,
            text,
            active: row.try_get("active")?,
            manager_id: row.try_get("manager_id")?,
            manager_display: row.try_get("manager_display")?,
            extra: row.try_get::<Json<Value>, _>("extra")?.0,
            meta: Meta::new(
                row.try_get("created")?,
                row.try_get("last_modified")?,
                row.try_get("version")?,
            ),
            values: aggregate(row.try_get("values_json")?)?,
            groups: aggregate(row.try_get("groups_json")?)?,
        })
    }
}

/// The column values of one user, taken out of its canonical attributes.
#[derive(Debug)]
pub struct UserColumns {
    pub text: Vec<Option<String>>,
    pub active: Option<bool>,
    pub manager_id: Option<String>,
    /// Attributes without a column of their own.
    pub extra: Map<String, Value>,
    /// Multi-valued attributes, by attribute name, in client order.
    pub values: Vec<(&'static str, Vec<Value>)>,
}

/// Splits canonical attributes into columns, value rows and `extra`.
/// `password` and read-only attributes such as `groups` must already be removed.
pub fn split(mut attrs: Map<String, Value>) -> UserColumns {
    let text = USER_TEXT_COLUMNS
        .iter()
        .map(|c| take_text(&mut attrs, c))
        .collect();
    // RFC 7643 §4.1.1 gives `active` no default: absent stays unassigned (NULL), as a PATCH
    // `remove` of it must leave it (RFC 7644 §3.5.2.2).
    let active = attrs.remove("active").and_then(|v| v.as_bool());
    let manager_id = attrs
        .get_mut(ENTERPRISE_USER.id)
        .and_then(Value::as_object_mut)
        .and_then(|ext| ext.remove("manager"))
        .and_then(|m| m.get("value").and_then(Value::as_str).map(str::to_owned));
    let values = USER_VALUE_ATTRS
        .iter()
        .filter_map(|name| match attrs.remove(*name) {
            Some(Value::Array(items)) => Some((*name, items)),
            _ => None,
        })
        .collect();
    drop_empty_objects(&mut attrs);
    UserColumns {
        text,
        active,
        manager_id,
        extra: attrs,
        values,
    }
}

fn take_text(attrs: &mut Map<String, Value>, c: &TextColumn) -> Option<String> {
    let container = match c.extension {
        None => attrs,
        Some(urn) => attrs.get_mut(urn)?.as_object_mut()?,
    };
    let value = match c.sub {
        None => container.remove(c.attr)?,
        Some(sub) => container.get_mut(c.attr)?.as_object_mut()?.remove(sub)?,
    };
    match value {
        Value::String(s) => Some(s),
        _ => None,
    }
}

fn drop_empty_objects(attrs: &mut Map<String, Value>) {
    attrs.retain(|_, v| !matches!(v, Value::Object(o) if o.is_empty()));
    for v in attrs.values_mut() {
        if let Value::Object(o) = v {
            o.retain(|_, v| !matches!(v, Value::Object(o) if o.is_empty()));
        }
    }
    attrs.retain(|_, v| !matches!(v, Value::Object(o) if o.is_empty()));
}

/// Rebuilds the canonical resource from a row with its aggregated value rows and groups.
pub fn assemble(row: UserRow) -> Resource {
    let values = aggregated_values(row.values);
    let groups = aggregated_groups(row.groups);
    let mut attrs = match row.extra {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    for (c, text) in USER_TEXT_COLUMNS.iter().zip(row.text) {
        let Some(text) = text else { continue };
        let container = match c.extension {
            None => &mut attrs,
            Some(urn) => object_entry(&mut attrs, urn),
        };
        match c.sub {
            None => {
                container.insert(c.attr.to_owned(), Value::String(text));
            }
            Some(sub) => {
                object_entry(container, c.attr).insert(sub.to_owned(), Value::String(text));
            }
        }
    }
    if let Some(active) = row.active {
        attrs.insert("active".into(), Value::Bool(active));
    }
    if let Some(manager_id) = row.manager_id {
        let mut manager = Map::new();
        manager.insert("value".into(), Value::String(manager_id));
        if let Some(display) = row.manager_display {
            manager.insert("displayName".into(), Value::String(display));
        }
        object_entry(&mut attrs, ENTERPRISE_USER.id)
            .insert("manager".into(), Value::Object(manager));
    }
    for (attr, value) in values {
        let entry = attrs
            .entry(attr)
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(items) = entry {
            items.push(value);
        }
    }
    let mut meta = row.meta;
    if !groups.is_empty() {
        // The ETag must change when `groups` does, though the user's row did not (RFC 7644 §3.14).
        meta.related = fingerprint(groups.iter().flat_map(|g| {
            let text = |k: &str| g.get(k).and_then(Value::as_str).unwrap_or_default();
            [text("value"), text("display")]
        }));
        attrs.insert("groups".into(), Value::Array(groups));
    }
    Resource {
        id: row.id,
        meta,
        attrs,
    }
}

/// The user that a read returns right after its row was written from `cols` and its value rows
/// from `values`, built without reading it: what [`assemble`] makes of the row the read would
/// find, given the manager's `displayName` and the user's `groups` aggregate (see
/// [`user_select`]). Exact on SQLite, which gives JSON text back as it was written; on
/// PostgreSQL, whose `jsonb` keeps an object's keys in an order of its own, exact up to the order
/// of the keys inside stored JSON, which carries no meaning in JSON (RFC 8259 §4).
pub fn as_written(
    id: &str,
    meta: Meta,
    cols: &UserColumns,
    values: &[ValueRow],
    manager_display: Option<String>,
    groups: Vec<AggregatedGroup>,
) -> Resource {
    assemble(UserRow {
        id: id.to_owned(),
        text: cols.text.clone(),
        active: cols.active,
        manager_id: cols.manager_id.clone(),
        manager_display,
        extra: Value::Object(cols.extra.clone()),
        meta,
        values: user_values::aggregated(values),
        groups,
    })
}

/// A read user's manager: its id and `displayName`, as `assemble` put them.
pub fn manager_of(user: &Resource) -> (Option<&str>, Option<&str>) {
    let manager = user
        .attrs
        .get(ENTERPRISE_USER.id)
        .and_then(|ext| ext.get("manager"));
    let text = |key: &str| manager.and_then(|m| m.get(key)).and_then(Value::as_str);
    (text("value"), text("displayName"))
}

/// A read user's `groups` as the aggregate they were assembled from (see [`user_select`]).
pub fn groups_aggregate(user: &Resource) -> Vec<AggregatedGroup> {
    let Some(Value::Array(groups)) = user.attrs.get("groups") else {
        return Vec::new();
    };
    let text = |g: &Value, key: &str| g.get(key).and_then(Value::as_str).map(str::to_owned);
    groups
        .iter()
        .map(|g| (text(g, "value").unwrap_or_default(), text(g, "display")))
        .collect()
}

/// `(attr, value object)` pairs from the `values_json` aggregate.
fn aggregated_values(rows: Vec<AggregatedValue>) -> Vec<(String, Value)> {
    rows.into_iter()
        .map(|(attr, value, kind, primary, display, extra)| {
            let mut item = Map::new();
            if let Some(v) = value {
                item.insert("value".into(), Value::String(v));
            }
            if let Some(d) = display {
                item.insert("display".into(), Value::String(d));
            }
            if let Some(t) = kind {
                item.insert("type".into(), Value::String(t));
            }
            if let SqlBool(Some(primary)) = primary {
                item.insert("primary".into(), Value::Bool(primary));
            }
            if let Value::Object(extra) = extra {
                item.extend(extra);
            }
            (attr, Value::Object(item))
        })
        .collect()
}

/// `User.groups` values from the `groups_json` aggregate.
fn aggregated_groups(rows: Vec<AggregatedGroup>) -> Vec<Value> {
    rows.into_iter()
        .map(|(id, display)| {
            let mut group = Map::new();
            group.insert("value".into(), Value::String(id));
            group.insert(
                "display".into(),
                display.map(Value::String).unwrap_or(Value::Null),
            );
            group.insert("type".into(), Value::String("direct".into()));
            Value::Object(group)
        })
        .collect()
}

/// An aggregate column's JSON array text, decoded straight into its elements; PostgreSQL's
/// `json_agg` gives NULL where there are no rows.
fn aggregate<T: de::DeserializeOwned>(text: Option<String>) -> Result<Vec<T>, sqlx::Error> {
    match text {
        Some(t) => serde_json::from_str(&t).map_err(|e| sqlx::Error::Decode(Box::new(e))),
        None => Ok(Vec::new()),
    }
}

impl UserRow {
    /// Decodes a page of [`SQLITE_USER_JSON`] users (the JSON array of them) straight from its
    /// text, without building a JSON tree of the page first.
    pub fn page_from_json(text: &str) -> Result<Vec<UserRow>, String> {
        serde_json::from_str(text).map_err(|e| format!("a page of users: {e}"))
    }
}

/// One [`SQLITE_USER_JSON`] array, read cell by cell in the order [`row_columns`] gives.
impl<'de> Deserialize<'de> for UserRow {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_seq(RowVisitor)
    }
}

struct RowVisitor;

/// The next cell of a listed user, or an error naming the missing one.
fn cell<'de, A: SeqAccess<'de>, T: Deserialize<'de>>(
    seq: &mut A,
    name: &str,
) -> Result<T, A::Error> {
    seq.next_element()?
        .ok_or_else(|| de::Error::custom(format!("a listed user without {name}")))
}

impl<'de> Visitor<'de> for RowVisitor {
    type Value = UserRow;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a listed user as a JSON array of its columns")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<UserRow, A::Error> {
        let text = USER_TEXT_COLUMNS
            .iter()
            .map(|c| cell(&mut seq, c.column))
            .collect::<Result<Vec<Option<String>>, _>>()?;
        let id: String = cell(&mut seq, "id")?;
        let active: SqlBool = cell(&mut seq, "active")?;
        let manager_id: Option<String> = cell(&mut seq, "manager_id")?;
        let extra: Value = cell(&mut seq, "extra")?;
        let time = |t: String| {
            DateTime::parse_from_rfc3339(&t)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| de::Error::custom("a listed user with a malformed timestamp"))
        };
        let created = time(cell(&mut seq, "created")?)?;
        let last_modified = time(cell(&mut seq, "last_modified")?)?;
        let version: i64 = cell(&mut seq, "version")?;
        let manager_display: Option<String> = cell(&mut seq, "the manager's displayName")?;
        let values: Option<Vec<AggregatedValue>> = cell(&mut seq, "values")?;
        let groups: Option<Vec<AggregatedGroup>> = cell(&mut seq, "groups")?;
        if seq.next_element::<IgnoredAny>()?.is_some() {
            return Err(de::Error::custom(
                "a listed user with more cells than columns",
            ));
        }
        Ok(UserRow {
            id,
            text,
            active: active.0,
            manager_id,
            manager_display,
            extra,
            meta: Meta::new(created, last_modified, version),
            values: values.unwrap_or_default(),
            groups: groups.unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn the_named_text_column_indexes_point_at_their_attributes() {
        use super::{DISPLAY_NAME, USER_NAME, USER_TEXT_COLUMNS};
        assert_eq!(USER_TEXT_COLUMNS[USER_NAME].attr, "userName");
        assert_eq!(USER_TEXT_COLUMNS[DISPLAY_NAME].attr, "displayName");
        assert_eq!(USER_TEXT_COLUMNS[DISPLAY_NAME].sub, None);
    }

    /// A listed user's cells as SQLite's `json_array` gives them: `userName` set, the other
    /// text columns null, then `tail` (id onwards).
    fn listed_user(tail: &[serde_json::Value]) -> serde_json::Value {
        let mut cells = vec![serde_json::Value::Null; super::USER_TEXT_COLUMNS.len()];
        cells[super::USER_NAME] = json!("ada@example.com");
        cells.extend_from_slice(tail);
        serde_json::Value::Array(cells)
    }

    #[test]
    fn a_listed_user_decodes_from_its_json_cells_with_sqlite_booleans_as_numbers() {
        let user = listed_user(&[
            json!("u1"),
            json!(1),
            json!("m1"),
            json!({"nickName": "Ada"}),
            json!("2026-12-01T10:00:00Z"),
            json!("2026-12-02T10:00:00.5Z"),
            json!(3),
            json!("Grace"),
            json!([["emails", "ada@example.com", "work", 1, null, {}]]),
            json!([["g1", "Engineers"]]),
        ]);
        let rows = super::UserRow::page_from_json(&json!([user]).to_string()).unwrap();
        let user = super::assemble(rows.into_iter().next().unwrap());
        assert_eq!(user.id, "u1");
        assert_eq!(user.meta.version, 3);
        assert_eq!(user.attrs["userName"], "ada@example.com");
        assert_eq!(user.attrs["active"], true);
        assert_eq!(user.attrs["nickName"], "Ada");
        assert_eq!(
            user.attrs["emails"],
            json!([{"value": "ada@example.com", "type": "work", "primary": true}])
        );
        let manager = &user.attrs[super::ENTERPRISE_USER.id]["manager"];
        assert_eq!(manager, &json!({"value": "m1", "displayName": "Grace"}));
        assert_eq!(
            user.attrs["groups"],
            json!([{"value": "g1", "display": "Engineers", "type": "direct"}])
        );
    }

    #[test]
    fn a_listed_user_with_cells_missing_or_left_over_is_refused() {
        let full = [
            json!("u1"),
            json!(null),
            json!(null),
            json!({}),
            json!("2026-12-01T10:00:00Z"),
            json!("2026-12-01T10:00:00Z"),
            json!(1),
            json!(null),
            json!([]),
            json!([]),
        ];
        let page = |cells: &[serde_json::Value]| json!([listed_user(cells)]).to_string();
        assert!(super::UserRow::page_from_json(&page(&full)).is_ok());
        let short = super::UserRow::page_from_json(&page(&full[..9])).unwrap_err();
        assert!(short.contains("without groups"), "{short}");
        let mut long = full.to_vec();
        long.push(json!(0));
        let long = super::UserRow::page_from_json(&page(&long)).unwrap_err();
        assert!(long.contains("more cells"), "{long}");
        let mut bad_time = full.to_vec();
        bad_time[4] = json!("yesterday");
        let bad_time = super::UserRow::page_from_json(&page(&bad_time)).unwrap_err();
        assert!(bad_time.contains("malformed timestamp"), "{bad_time}");
    }
}
