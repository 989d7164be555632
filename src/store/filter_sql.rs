//! Compiles a filter AST (RFC 7644 §3.4.2.2) into a parameterised SQL condition on `users u` or
//! `groups g`. Attribute names are resolved against fixed tables of known columns, so only
//! this file's own SQL fragments reach the text; every comparison value is bound.
//!
//! String comparisons follow the attribute's `caseExact`: case-insensitive attributes compare the
//! column's copy lower-cased in Rust (`*_norm`) with a value lower-cased the same way, so the
//! match is Unicode-aware on both backends and `userName` is served by its unique index.

use chrono::DateTime;

use super::StoreError;
use super::db::Dialect;
use super::sql::SqlBuilder;
use super::user_row::{TextColumn, USER_TEXT_COLUMNS, USER_VALUE_ATTRS};
use crate::scim::filter::{AttrPath, CompValue, CompareOp, Filter};
use crate::scim::idp_forms;
use crate::scim::schema::{AttrType, ENTERPRISE_USER, GROUP, USER};

/// What an attribute path denotes in SQL.
enum Column {
    /// A string expression; `lower` says it must be compared case-insensitively and is not yet
    /// lower-cased, `folded` that it already holds lower-cased text.
    Text {
        expr: String,
        case_exact: bool,
        folded: bool,
    },
    Bool(String),
    Time(String),
    /// `schemas` (RFC 7644 §3.4.2.2 example `schemas eq "urn:…:enterprise:2.0:User"`): the core
    /// schema always applies; an extension applies when the SQL condition holds.
    Schemas {
        core: &'static str,
        extension: Option<(&'static str, &'static str)>,
    },
    /// An attribute the resource type does not have, in a search across resource types: it
    /// behaves like a missing value (RFC 7644 §3.4.3).
    Absent,
    /// A singular complex attribute (`name`, `meta`): RFC 7644 §3.4.2.2 allows `pr` on any
    /// attribute, and a complex one is present when any of its sub-attributes is. It has no
    /// value of its own, so only `pr`, `eq null` and `ne null` apply to it.
    Complex(Vec<Column>),
    /// A multi-valued attribute. Filters test `<within> $tenant AND <condition on an element>)`:
    /// an uncorrelated `IN` subquery that the database answers from the value's index and
    /// then joins on the primary key. Sorting uses the correlated `from` (`SELECT 1 … WHERE`
    /// tied to the outer row).
    Multi {
        within: String,
        from: String,
        element: Element,
        default_sub: &'static str,
    },
}

/// Which kind of element a multi-valued attribute has.
#[derive(Clone, Copy)]
enum Element {
    /// A value row of the named User attribute (`emails`, `addresses`, …).
    UserValue(&'static str),
    UserGroup,
    GroupMember,
}

/// Compiles a filter on Users.
pub fn user_filter(
    f: &Filter,
    d: Dialect,
    tenant: &str,
    out: &mut SqlBuilder,
) -> Result<(), StoreError> {
    compile(f, &|p| resolve_user(p), &mut Cx::new(d, tenant), out)
}

/// Compiles a filter on Groups.
pub fn group_filter(
    f: &Filter,
    d: Dialect,
    tenant: &str,
    out: &mut SqlBuilder,
) -> Result<(), StoreError> {
    compile(f, &|p| resolve_group(p), &mut Cx::new(d, tenant), out)
}

/// Compiles a filter of a search across resource types on Users: attributes Users lack match
/// nothing instead of making the filter invalid.
pub fn user_filter_across_types(
    f: &Filter,
    d: Dialect,
    tenant: &str,
    out: &mut SqlBuilder,
) -> Result<(), StoreError> {
    let resolve = |p: &AttrPath| Ok(resolve_user(p).unwrap_or(Column::Absent));
    compile(f, &resolve, &mut Cx::new(d, tenant), out)
}

/// Like [`user_filter_across_types`], on Groups.
pub fn group_filter_across_types(
    f: &Filter,
    d: Dialect,
    tenant: &str,
    out: &mut SqlBuilder,
) -> Result<(), StoreError> {
    let resolve = |p: &AttrPath| Ok(resolve_group(p).unwrap_or(Column::Absent));
    compile(f, &resolve, &mut Cx::new(d, tenant), out)
}

type Resolver<'a> = dyn Fn(&AttrPath) -> Result<Column, StoreError> + 'a;

/// How many tests on a multi-valued attribute of one filter PostgreSQL may turn into joins.
///
/// PostgreSQL plans `u.id IN (SELECT …)` in a top-level conjunction as a semi-join, which lets
/// one selective test (`emails.value eq "…"`) drive the query from its index. But it then
/// searches join orders over all of them: planning 50 such tests `and`-ed took 0.6 s, 100 took
/// 5.7 s and 200 took 79 s of the database's CPU. Past the first few, the tests are written so
/// PostgreSQL evaluates each as a hashed subplan instead (planned in well under a millisecond
/// apiece). SQLite plans them one by one and needs no such care.
const JOINABLE_TESTS: usize = 4;

/// What a compilation carries besides its output.
struct Cx<'t> {
    dialect: Dialect,
    tenant: &'t str,
    /// Tests on multi-valued attributes still written so PostgreSQL may join them.
    joinable: usize,
}

impl<'t> Cx<'t> {
    fn new(dialect: Dialect, tenant: &'t str) -> Self {
        Cx {
            dialect,
            tenant,
            joinable: JOINABLE_TESTS,
        }
    }
}

fn compile(
    f: &Filter,
    resolve: &Resolver,
    cx: &mut Cx,
    out: &mut SqlBuilder,
) -> Result<(), StoreError> {
    match f {
        Filter::And(..) | Filter::Or(..) => {
            let keyword = if matches!(f, Filter::And(..)) {
                " AND "
            } else {
                " OR "
            };
            balanced(&f.operands(), keyword, resolve, cx, out)?;
        }
        Filter::Not(inner) => {
            // A comparison on a missing value is SQL NULL, and NOT NULL is not true; RFC 7644
            // §3.4.2.2 wants `not` to match whenever the inner filter does not.
            out.push("NOT COALESCE((");
            compile(inner, resolve, cx, out)?;
            out.push("), FALSE)");
        }
        Filter::Present(path) => match resolve(path)? {
            Column::Multi {
                within,
                element,
                default_sub,
                ..
            } => {
                let sub = path.sub.as_deref().unwrap_or(default_sub);
                let inner = element_column(element, sub)?;
                any(cx, &within, out, |_, out| {
                    present(&inner, out);
                    Ok(())
                })?;
            }
            column => present(&column, out),
        },
        Filter::Compare { path, op, value } => match resolve(path)? {
            Column::Multi {
                within,
                element,
                default_sub,
                ..
            } => {
                let sub = path.sub.as_deref().unwrap_or(default_sub);
                let inner = element_column(element, sub)?;
                compare_any(&within, &inner, *op, value, path, cx, out)?;
            }
            column => compare(&column, *op, value, path, cx.dialect, out)?,
        },
        Filter::ValuePath { path, filter } => match resolve(path)? {
            Column::Multi {
                within, element, ..
            } if path.sub.is_none() => {
                let resolve = |p: &AttrPath| element_column(element, &p.name);
                any(cx, &within, out, |cx, out| {
                    compile(filter, &resolve, cx, out)
                })?;
            }
            Column::Absent => {
                out.push("1 = 0");
            }
            _ => {
                return Err(invalid(format!(
                    "\"{}\" is not a multi-valued attribute",
                    path.name
                )));
            }
        },
    }
    Ok(())
}

/// Compiles a chain of operands joined by `keyword` as a balanced tree, `((a AND b) AND (c AND
/// d))`: AND and OR are associative in SQL's three-valued logic, and a balanced tree is
/// log2(n) levels deep where the parser's left-nested one is n. SQLite refuses expressions more
/// than 1,000 levels deep (`SQLITE_MAX_EXPR_DEPTH`), which a chain of about 500 terms reached.
fn balanced(
    operands: &[&Filter],
    keyword: &str,
    resolve: &Resolver,
    cx: &mut Cx,
    out: &mut SqlBuilder,
) -> Result<(), StoreError> {
    match operands {
        [] => Ok(()),
        [one] => compile(one, resolve, cx, out),
        _ => {
            let (left, right) = operands.split_at(operands.len() / 2);
            out.push("(");
            balanced(left, keyword, resolve, cx, out)?;
            out.push(keyword);
            balanced(right, keyword, resolve, cx, out)?;
            out.push(")");
            Ok(())
        }
    }
}

/// A comparison on a multi-valued attribute holds if it holds for any of the values present
/// (RFC 7644 §3.4.2.2). As for single values, `ne` and `eq null` also hold when no value is
/// present; elements lacking the sub-attribute contribute no value.
fn compare_any(
    within: &str,
    inner: &Column,
    op: CompareOp,
    value: &CompValue,
    path: &AttrPath,
    cx: &mut Cx,
    out: &mut SqlBuilder,
) -> Result<(), StoreError> {
    let any_present = |cx: &mut Cx, out: &mut SqlBuilder| {
        any(cx, within, out, |_, out| {
            present(inner, out);
            Ok(())
        })
    };
    match (op, value) {
        (CompareOp::Eq, CompValue::Null) => {
            out.push("NOT ");
            any_present(cx, out)?;
        }
        (CompareOp::Ne, CompValue::Null) => any_present(cx, out)?,
        (CompareOp::Ne, _) => {
            out.push("(");
            any(cx, within, out, |cx, out| {
                present(inner, out);
                out.push(" AND NOT COALESCE((");
                compare(inner, CompareOp::Eq, value, path, cx.dialect, out)?;
                out.push("), FALSE)");
                Ok(())
            })?;
            out.push(" OR NOT ");
            any_present(cx, out)?;
            out.push(")");
        }
        _ => any(cx, within, out, |cx, out| {
            compare(inner, op, value, path, cx.dialect, out)
        })?,
    }
    Ok(())
}

/// `owner IN (SELECT … WHERE tenant = $tenant AND <element condition>)`, the element condition
/// written by `element`. Once the filter's joinable tests are used up, on PostgreSQL, as
/// `COALESCE(…, FALSE)`: the same truth in a condition, but no longer a candidate for a join
/// (see [`JOINABLE_TESTS`]).
fn any(
    cx: &mut Cx,
    within: &str,
    out: &mut SqlBuilder,
    element: impl FnOnce(&mut Cx, &mut SqlBuilder) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let joinable = match cx.dialect {
        Dialect::Sqlite => true,
        Dialect::Postgres if cx.joinable > 0 => {
            cx.joinable -= 1;
            true
        }
        Dialect::Postgres => false,
    };
    if !joinable {
        out.push("COALESCE(");
    }
    out.push(within).bind(cx.tenant).push(" AND ");
    element(cx, out)?;
    out.push(")");
    if !joinable {
        out.push(", FALSE)");
    }
    Ok(())
}

fn invalid(detail: String) -> StoreError {
    StoreError::InvalidFilter(detail)
}

fn present(column: &Column, out: &mut SqlBuilder) {
    match column {
        Column::Text { expr, .. } => out
            .push("(")
            .push(expr)
            .push(" IS NOT NULL AND ")
            .push(expr)
            .push(" <> '')"),
        Column::Bool(expr) | Column::Time(expr) => out.push(expr).push(" IS NOT NULL"),
        Column::Multi { .. } => out.push("1 = 1"),
        Column::Absent => out.push("1 = 0"),
        Column::Schemas { .. } => out.push("1 = 1"),
        Column::Complex(subs) => {
            out.push("(");
            for (n, sub) in subs.iter().enumerate() {
                out.push(if n == 0 { "" } else { " OR " });
                present(sub, out);
            }
            out.push(if subs.is_empty() { "1 = 0)" } else { ")" })
        }
    };
}

fn compare(
    column: &Column,
    op: CompareOp,
    value: &CompValue,
    path: &AttrPath,
    d: Dialect,
    out: &mut SqlBuilder,
) -> Result<(), StoreError> {
    if matches!(value, CompValue::String(s) if s.contains('\0')) {
        return Err(invalid(
            "filter values cannot contain NUL characters".into(),
        ));
    }
    if let Column::Schemas { core, extension } = column {
        let CompValue::String(urn) = value else {
            return Err(invalid(
                "\"schemas\" is compared with a schema URN string".into(),
            ));
        };
        let applies = if urn.eq_ignore_ascii_case(core) {
            "1 = 1".to_owned()
        } else {
            match extension {
                Some((ext, condition)) if urn.eq_ignore_ascii_case(ext) => format!("({condition})"),
                _ => "1 = 0".to_owned(),
            }
        };
        match op {
            CompareOp::Eq => out.push(&applies),
            CompareOp::Ne => out.push("NOT ").push(&applies),
            _ => return Err(invalid("\"schemas\" supports only eq, ne and pr".into())),
        };
        return Ok(());
    }
    if let Column::Absent = column {
        let holds = matches!(op, CompareOp::Ne)
            || (matches!(op, CompareOp::Eq) && matches!(value, CompValue::Null));
        out.push(if holds { "1 = 1" } else { "1 = 0" });
        return Ok(());
    }
    if let CompValue::Null = value {
        return match op {
            CompareOp::Eq => {
                not_present(column, out);
                Ok(())
            }
            CompareOp::Ne => {
                present(column, out);
                Ok(())
            }
            _ => Err(invalid(format!(
                "\"{}\" can only be compared with null using eq or ne",
                path.name
            ))),
        };
    }
    match column {
        Column::Text {
            expr,
            case_exact,
            folded,
        } => {
            let CompValue::String(s) = value else {
                return Err(invalid(format!(
                    "\"{path}\" is a string attribute: compare it with a quoted string",
                    path = display(path)
                )));
            };
            let (expr, v) = if *case_exact {
                (expr.clone(), s.clone())
            } else if *folded {
                (expr.clone(), s.to_lowercase())
            } else {
                (format!("lower({expr})"), s.to_lowercase())
            };
            text_compare(&expr, op, v, d, out);
        }
        Column::Bool(expr) => {
            let b = match value {
                CompValue::Bool(b) => Some(*b),
                CompValue::String(s) => idp_forms::boolean(&serde_json::Value::String(s.clone())),
                _ => None,
            };
            let Some(b) = b else {
                return Err(invalid(format!(
                    "\"{}\" is a boolean attribute: compare it with true or false",
                    display(path)
                )));
            };
            match op {
                CompareOp::Eq => out.push(expr).push(" = ").bind(b),
                CompareOp::Ne => out
                    .push("(")
                    .push(expr)
                    .push(" IS NULL OR ")
                    .push(expr)
                    .push(" <> ")
                    .bind(b)
                    .push(")"),
                _ => {
                    return Err(invalid(format!(
                        "booleans support only eq and ne, not {op:?} on \"{}\"",
                        display(path)
                    )));
                }
            };
        }
        Column::Time(expr) => {
            let t = match value {
                CompValue::String(s) => DateTime::parse_from_rfc3339(s).map(|t| t.to_utc()).ok(),
                _ => None,
            };
            let Some(t) = t else {
                return Err(invalid(format!(
                    "\"{}\" is a dateTime attribute: compare it with an RFC 3339 date-time",
                    display(path)
                )));
            };
            let sql_op = match op {
                CompareOp::Eq => " = ",
                CompareOp::Ne => " <> ",
                CompareOp::Gt => " > ",
                CompareOp::Ge => " >= ",
                CompareOp::Lt => " < ",
                CompareOp::Le => " <= ",
                _ => {
                    return Err(invalid(format!(
                        "dateTime attributes do not support {op:?}"
                    )));
                }
            };
            out.push(expr).push(sql_op).bind(t);
        }
        Column::Complex(_) => {
            return Err(invalid(format!(
                "\"{}\" is a complex attribute: compare one of its sub-attributes, or test it with pr",
                display(path)
            )));
        }
        Column::Multi { .. } | Column::Absent | Column::Schemas { .. } => {
            return Err(invalid("unexpected multi-valued attribute".into()));
        }
    }
    Ok(())
}

fn not_present(column: &Column, out: &mut SqlBuilder) {
    out.push("NOT (");
    present(column, out);
    out.push(")");
}

fn text_compare(expr: &str, op: CompareOp, v: String, d: Dialect, out: &mut SqlBuilder) {
    let contains = match d {
        Dialect::Sqlite => "instr",
        Dialect::Postgres => "strpos",
    };
    match op {
        CompareOp::Eq => out.push(expr).push(" = ").bind(v),
        CompareOp::Ne => out
            .push("(")
            .push(expr)
            .push(" IS NULL OR ")
            .push(expr)
            .push(" <> ")
            .bind(v)
            .push(")"),
        CompareOp::Gt => out.push(expr).push(" > ").bind(v),
        CompareOp::Ge => out.push(expr).push(" >= ").bind(v),
        CompareOp::Lt => out.push(expr).push(" < ").bind(v),
        CompareOp::Le => out.push(expr).push(" <= ").bind(v),
        CompareOp::Co => out
            .push(contains)
            .push("(")
            .push(expr)
            .push(", ")
            .bind(v)
            .push(") > 0"),
        CompareOp::Sw if v.is_empty() => out.push(expr).push(" IS NOT NULL"),
        // A range, so an index on the column serves it: in byte order (both backends' text
        // columns compare bytewise), the strings starting with v are exactly those from v up to
        // v followed by the highest code point, U+10FFFF.
        CompareOp::Sw => {
            let collate = match d {
                Dialect::Sqlite => " COLLATE BINARY",
                Dialect::Postgres => " COLLATE \"C\"",
            };
            let upper = format!("{v}\u{10FFFF}");
            out.push("(").push(expr).push(collate).push(" >= ").bind(v);
            out.push(" AND ")
                .push(expr)
                .push(collate)
                .push(" < ")
                .bind(upper)
                .push(")")
        }
        // Lengths are cast so PostgreSQL finds substr(text, integer, integer).
        CompareOp::Ew => {
            let n = v.chars().count() as i64;
            out.push("(length(").push(expr).push(") >= ").bind(n);
            out.push(" AND substr(")
                .push(expr)
                .push(", CAST(length(")
                .push(expr)
                .push(") - ")
                .bind(n);
            out.push(" + 1 AS INTEGER)) = ").bind(v).push(")")
        }
    };
}

fn display(path: &AttrPath) -> String {
    match &path.sub {
        Some(sub) => format!("{}.{}", path.name, sub),
        None => path.name.clone(),
    }
}

fn unknown(path: &AttrPath) -> StoreError {
    invalid(format!(
        "\"{}\" is not a filterable attribute",
        display(path)
    ))
}

/// Checks a URN prefix against the schemas the resource may use; `Ok(true)` for the extension.
fn in_schema(
    path: &AttrPath,
    core: &str,
    extension: Option<&str>,
) -> Result<Option<bool>, StoreError> {
    match &path.urn {
        None => Ok(None),
        Some(urn) if urn.eq_ignore_ascii_case(core) => Ok(Some(false)),
        Some(urn) if extension.is_some_and(|e| urn.eq_ignore_ascii_case(e)) => Ok(Some(true)),
        Some(urn) => Err(invalid(format!("unknown schema \"{urn}\" in filter"))),
    }
}

fn is(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

fn resolve_common(path: &AttrPath, alias: &str) -> Option<Result<Column, StoreError>> {
    let name = path.name.as_str();
    if is(name, "id") && path.sub.is_none() {
        return Some(Ok(Column::Text {
            expr: format!("{alias}.id"),
            case_exact: true,
            folded: false,
        }));
    }
    if is(name, "externalId") && path.sub.is_none() {
        return Some(Ok(Column::Text {
            expr: format!("{alias}.external_id"),
            case_exact: true,
            folded: false,
        }));
    }
    if is(name, "meta") {
        let created = || Column::Time(format!("{alias}.created"));
        let modified = || Column::Time(format!("{alias}.last_modified"));
        return Some(match path.sub.as_deref() {
            None => Ok(Column::Complex(vec![created(), modified()])),
            Some(s) if is(s, "created") => Ok(created()),
            Some(s) if is(s, "lastModified") => Ok(modified()),
            _ => Err(unknown(path)),
        });
    }
    None
}

/// A user shows the enterprise extension when any of its attributes has a value.
const ENTERPRISE_PRESENT: &str = "u.employee_number IS NOT NULL OR u.cost_center IS NOT NULL OR u.organization IS NOT NULL \
     OR u.division IS NOT NULL OR u.department IS NOT NULL OR u.manager_id IS NOT NULL";

fn resolve_user(path: &AttrPath) -> Result<Column, StoreError> {
    let extension = in_schema(path, USER.id, Some(ENTERPRISE_USER.id))?;
    if extension != Some(true)
        && let Some(c) = resolve_common(path, "u")
    {
        return c;
    }
    let name = path.name.as_str();
    let sub = path.sub.as_deref();
    if extension != Some(true) {
        if is(name, "schemas") && sub.is_none() {
            return Ok(Column::Schemas {
                core: USER.id,
                extension: Some((ENTERPRISE_USER.id, ENTERPRISE_PRESENT)),
            });
        }
        if is(name, "active") && sub.is_none() {
            return Ok(Column::Bool("u.active".into()));
        }
        if let Some(attr) = USER_VALUE_ATTRS.iter().find(|a| is(a, name)) {
            return Ok(Column::Multi {
                within: format!(
                    "u.id IN (SELECT v.user_id FROM user_values v WHERE v.attr = '{attr}' AND v.tenant_id = "
                ),
                from: format!(
                    "SELECT 1 FROM user_values v WHERE v.tenant_id = u.tenant_id AND v.user_id = u.id AND v.attr = '{attr}'"
                ),
                element: Element::UserValue(attr),
                default_sub: "value",
            });
        }
        if is(name, "groups") {
            return Ok(Column::Multi {
                within: "u.id IN (SELECT gm.user_id FROM group_members gm JOIN groups g \
                         ON g.tenant_id = gm.tenant_id AND g.id = gm.group_id WHERE gm.user_id IS NOT NULL AND gm.tenant_id = "
                    .into(),
                from: "SELECT 1 FROM group_members gm JOIN groups g ON g.tenant_id = gm.tenant_id AND g.id = gm.group_id \
                       WHERE gm.tenant_id = u.tenant_id AND gm.user_id = u.id"
                    .into(),
                element: Element::UserGroup,
                default_sub: "value",
            });
        }
    }
    if extension != Some(false) && is(name, "manager") {
        // `manager.value` is caseExact false (RFC 7643 §4.3); ids are ASCII, so SQL lower() folds them.
        return match sub {
            None => Ok(Column::Text {
                expr: "u.manager_id".into(),
                case_exact: false,
                folded: false,
            }),
            Some(s) if is(s, "value") => Ok(Column::Text {
                expr: "u.manager_id".into(),
                case_exact: false,
                folded: false,
            }),
            _ => Err(unknown(path)),
        };
    }
    let named = |c: &&TextColumn| {
        extension.is_none_or(|ext| ext == c.extension.is_some()) && is(c.attr, name)
    };
    if sub.is_none() {
        // `name` on its own: the sub-attribute columns of the complex attribute.
        let subs: Vec<Column> = USER_TEXT_COLUMNS
            .iter()
            .filter(named)
            .filter(|c| c.sub.is_some())
            .map(text_column)
            .collect();
        if !subs.is_empty() {
            return Ok(Column::Complex(subs));
        }
    }
    USER_TEXT_COLUMNS
        .iter()
        .filter(named)
        .find(|c| match (c.sub, sub) {
            (None, None) => true,
            (Some(a), Some(b)) => is(a, b),
            _ => false,
        })
        .map(text_column)
        .ok_or_else(|| unknown(path))
}

/// A `users` text column, compared through its lower-cased copy when it has one.
fn text_column(c: &TextColumn) -> Column {
    match c.norm {
        Some(norm) => Column::Text {
            expr: format!("u.{norm}"),
            case_exact: false,
            folded: true,
        },
        None => Column::Text {
            expr: format!("u.{}", c.column),
            case_exact: true,
            folded: false,
        },
    }
}

fn resolve_group(path: &AttrPath) -> Result<Column, StoreError> {
    in_schema(path, GROUP.id, None)?;
    if let Some(c) = resolve_common(path, "g") {
        return c;
    }
    if is(&path.name, "schemas") && path.sub.is_none() {
        return Ok(Column::Schemas {
            core: GROUP.id,
            extension: None,
        });
    }
    let name = path.name.as_str();
    if is(name, "displayName") && path.sub.is_none() {
        return Ok(Column::Text {
            expr: "g.display_name_norm".into(),
            case_exact: false,
            folded: true,
        });
    }
    if is(name, "members") {
        return Ok(Column::Multi {
            within: "g.id IN (SELECT gm.group_id FROM group_members gm WHERE gm.tenant_id = ".into(),
            from: "SELECT 1 FROM group_members gm WHERE gm.tenant_id = g.tenant_id AND gm.group_id = g.id".into(),
            element: Element::GroupMember,
            default_sub: "value",
        });
    }
    Err(unknown(path))
}

/// The SQL expression Users are sorted by for `sortBy` (RFC 7644 §3.4.2.3).
pub fn user_sort(path: &AttrPath) -> Result<String, StoreError> {
    sort_expr(resolve_user(path).map_err(as_sort_error)?, path)
}

/// The SQL expression Groups are sorted by for `sortBy`.
pub fn group_sort(path: &AttrPath) -> Result<String, StoreError> {
    sort_expr(resolve_group(path).map_err(as_sort_error)?, path)
}

fn as_sort_error(e: StoreError) -> StoreError {
    match e {
        StoreError::InvalidFilter(detail) => {
            StoreError::InvalidSort(format!("cannot sort: {detail}"))
        }
        other => other,
    }
}

/// Case-insensitive attributes sort by their lower-cased copy, case-exact ones by their value;
/// a multi-valued attribute sorts by its primary value (else its first), as RFC 7644 §3.4.2.3 asks.
fn sort_expr(column: Column, path: &AttrPath) -> Result<String, StoreError> {
    let not_sortable =
        || StoreError::InvalidSort(format!("\"{}\" cannot be sorted by", display(path)));
    match column {
        Column::Text { expr, .. } | Column::Bool(expr) | Column::Time(expr) => Ok(expr),
        Column::Absent | Column::Schemas { .. } | Column::Complex(_) => Err(not_sortable()),
        Column::Multi {
            from,
            element,
            default_sub,
            ..
        } => {
            let sub = path.sub.as_deref().unwrap_or(default_sub);
            let (Column::Text { expr, .. } | Column::Bool(expr) | Column::Time(expr)) =
                element_column(element, sub)?
            else {
                return Err(not_sortable());
            };
            let order = match element {
                Element::UserValue(_) => "COALESCE(v.is_primary, FALSE) DESC, v.position",
                Element::UserGroup => "g.display_name_norm, g.id",
                Element::GroupMember => "gm.member_id",
            };
            let select = from.replacen("SELECT 1", &format!("SELECT {expr}"), 1);
            Ok(format!("({select} ORDER BY {order} LIMIT 1)"))
        }
    }
}

/// The column of one sub-attribute of a multi-valued attribute's element.
fn element_column(element: Element, sub: &str) -> Result<Column, StoreError> {
    let text = |expr: &str, case_exact: bool, folded: bool| Column::Text {
        expr: expr.into(),
        case_exact,
        folded,
    };
    match element {
        Element::UserValue(_) if is(sub, "value") => Ok(text("v.value_norm", false, true)),
        Element::UserValue(_) if is(sub, "type") => Ok(text("v.type_norm", false, true)),
        Element::UserValue(_) if is(sub, "display") => Ok(text("v.display_norm", false, true)),
        Element::UserValue(_) if is(sub, "primary") => Ok(Column::Bool("v.is_primary".into())),
        // Other sub-attributes (`addresses.locality`, …) live in the row's `extra` JSON. Only the
        // schema's own spelling of the name reaches the SQL; `->>` with a plain label means the
        // same on SQLite and PostgreSQL.
        Element::UserValue(attr) => match USER.attribute(attr).and_then(|a| a.sub_attribute(sub)) {
            Some(def) if matches!(def.attr_type, AttrType::String | AttrType::Reference) => {
                Ok(Column::Text {
                    expr: format!("(v.extra ->> '{}')", def.name),
                    case_exact: def.case_exact,
                    folded: false,
                })
            }
            _ => Err(invalid(format!(
                "sub-attribute \"{sub}\" of \"{attr}\" is not filterable"
            ))),
        },
        // Ids are stored lower-case (the server generates them); `value` is caseExact false in
        // RFC 7643 §4.1.2 and §4.2, so compare folded.
        Element::UserGroup if is(sub, "value") => Ok(text("g.id", false, true)),
        Element::UserGroup if is(sub, "display") => Ok(text("g.display_name_norm", false, true)),
        Element::GroupMember if is(sub, "value") => Ok(text("gm.member_id", false, true)),
        Element::GroupMember if is(sub, "type") => Ok(text(
            "CASE WHEN gm.user_id IS NULL THEN 'Group' ELSE 'User' END",
            false,
            false,
        )),
        _ => Err(invalid(format!(
            "sub-attribute \"{sub}\" is not filterable"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::filter::parse_filter;

    fn compile_user(filter: &str, d: Dialect) -> Result<SqlBuilder, StoreError> {
        let mut out = SqlBuilder::default();
        user_filter(&parse_filter(filter).unwrap(), d, "default", &mut out)?;
        Ok(out)
    }

    #[test]
    fn values_are_bound_never_spliced_into_the_sql() {
        let evil = r#"x' OR '1'='1"#;
        for op in ["eq", "ne", "co", "sw", "ew", "gt"] {
            let filter = format!("userName {op} \"{evil}\" or emails[value {op} \"{evil}\"]");
            for d in [Dialect::Sqlite, Dialect::Postgres] {
                let sql = compile_user(&filter, d).unwrap();
                assert!(!sql.sql.contains("OR '1'"), "{op}: {}", sql.sql);
                assert!(!sql.args.is_empty());
            }
        }
    }

    #[test]
    fn user_name_equality_uses_the_normalized_indexed_column() {
        let sql = compile_user("USERNAME eq \"Bjensen\"", Dialect::Sqlite).unwrap();
        assert_eq!(sql.sql, "u.user_name_norm = $1");
        assert!(matches!(&sql.args[0], crate::store::db::Arg::Text(Some(v)) if v == "bjensen"));
    }

    #[test]
    fn and_and_or_chains_compile_to_balanced_trees() {
        let sql = compile_user(
            "title pr and title pr and title pr and title pr and title pr",
            Dialect::Sqlite,
        )
        .unwrap();
        let t = "(u.title_norm IS NOT NULL AND u.title_norm <> '')";
        assert_eq!(
            sql.sql,
            format!("(({t} AND {t}) AND ({t} AND ({t} AND {t})))")
        );
        let sql = compile_user(
            "title pr or (title pr or title pr) or title pr",
            Dialect::Postgres,
        )
        .unwrap();
        assert_eq!(
            sql.sql,
            format!("(({t} OR {t}) OR ({t} OR {t}))"),
            "parentheses of the same operator flatten"
        );
        let sql = compile_user("title pr or title pr and title pr", Dialect::Postgres).unwrap();
        assert_eq!(
            sql.sql,
            format!("({t} OR ({t} AND {t}))"),
            "precedence is kept"
        );
    }

    #[test]
    fn postgres_may_join_only_the_first_tests_on_multi_valued_attributes() {
        let filter = [r#"emails.value eq "a""#; JOINABLE_TESTS + 2].join(" and ");
        let sqlite = compile_user(&filter, Dialect::Sqlite).unwrap();
        let postgres = compile_user(&filter, Dialect::Postgres).unwrap();
        assert_eq!(sqlite.sql.matches("u.id IN (").count(), JOINABLE_TESTS + 2);
        assert!(!sqlite.sql.contains("COALESCE("), "{}", sqlite.sql);
        assert_eq!(
            postgres.sql.matches("COALESCE(u.id IN (").count(),
            2,
            "{}",
            postgres.sql
        );
        assert_eq!(postgres.args.len(), sqlite.args.len());
    }

    #[test]
    fn a_complex_attribute_is_present_when_any_sub_attribute_is() {
        for d in [Dialect::Sqlite, Dialect::Postgres] {
            let sql = compile_user("name pr", d).unwrap();
            for column in ["u.name_given_name_norm", "u.name_family_name_norm"] {
                assert!(sql.sql.contains(column), "{}", sql.sql);
            }
            assert!(sql.args.is_empty(), "nothing to bind: {}", sql.sql);
            let meta = compile_user("meta pr", d).unwrap();
            assert_eq!(
                meta.sql,
                "(u.created IS NOT NULL OR u.last_modified IS NOT NULL)"
            );
        }
    }

    #[test]
    fn unknown_attributes_and_type_mismatches_are_invalid_filters() {
        for filter in [
            "favouriteColour eq \"blue\"",
            "active gt true",
            "active eq \"maybe\"",
            "meta.created gt \"yesterday\"",
            "userName eq 5",
            "name.nope eq \"x\"",
            "urn:example:nope:thing eq \"x\"",
            "name eq \"Kim\"",
            "name gt null",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:name pr",
        ] {
            assert!(
                matches!(
                    compile_user(filter, Dialect::Postgres),
                    Err(StoreError::InvalidFilter(_))
                ),
                "{filter}"
            );
        }
    }
}
