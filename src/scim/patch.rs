//! PATCH (RFC 7644 §3.5.2): parses a `PatchOp` request and applies its operations, in order and
//! all-or-nothing, to a resource's canonical attributes. Pure: the store runs [`apply`] inside
//! its write transaction, and the result is validated again as a whole resource.
//!
//! The identity-provider forms it accepts are defined in `idp_forms`.

use serde_json::{Map, Value};

use super::elements::{ElementIndex, clear_primary, is_primary};
use super::error::ProtocolError;
use super::filter::{AttrPath, Filter, PatchPath, TermBudget, matches, parse_patch_path_within};
use super::idp_forms;
use super::limits::Limits;
use super::resource::object_entry;
use super::schema::{AttributeDef, COMMON_ATTRIBUTES, Mutability, ResourceTypeDef, SchemaDef};
use super::validate::{self, Mode};

/// The PatchOp message schema (RFC 7644 §3.5.2).
pub const PATCH_OP_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// An operation kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    Add,
    Remove,
    Replace,
}

/// One parsed operation.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    pub op: OpKind,
    pub path: Option<PatchPath>,
    pub value: Option<Value>,
}

/// Parses a PatchOp request body of at most `limits.max_operations` operations, whose paths take
/// their value filters' terms from `terms`.
pub fn parse(
    body: &Value,
    limits: &Limits,
    terms: &mut TermBudget,
) -> Result<Vec<Operation>, ProtocolError> {
    let syntax = |m: &str| ProtocolError::InvalidSyntax(m.to_owned());
    let obj = body
        .as_object()
        .ok_or_else(|| syntax("the PATCH body must be a JSON object"))?;
    let schemas = obj
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("schemas"))
        .map(|(_, v)| v);
    let has_schema = schemas.and_then(Value::as_array).is_some_and(|s| {
        s.iter().any(|u| {
            u.as_str()
                .is_some_and(|u| u.eq_ignore_ascii_case(PATCH_OP_SCHEMA))
        })
    });
    if !has_schema {
        return Err(syntax(
            "the PATCH body must list the schema urn:ietf:params:scim:api:messages:2.0:PatchOp",
        ));
    }
    let ops = obj
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("Operations"))
        .and_then(|(_, v)| v.as_array())
        .ok_or_else(|| syntax("the PATCH body must have an \"Operations\" array"))?;
    if ops.is_empty() {
        return Err(syntax("\"Operations\" must not be empty"));
    }
    if ops.len() > limits.max_operations {
        return Err(ProtocolError::InvalidValue(format!(
            "the PATCH has {} operations: at most {} are accepted",
            ops.len(),
            limits.max_operations
        )));
    }
    ops.iter().map(|op| operation(op, terms)).collect()
}

fn operation(v: &Value, terms: &mut TermBudget) -> Result<Operation, ProtocolError> {
    let obj = v.as_object().ok_or_else(|| {
        ProtocolError::InvalidSyntax("each operation must be a JSON object".into())
    })?;
    let field = |name: &str| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    };
    let name = field("op").and_then(Value::as_str);
    let op = match name.and_then(|n| idp_forms::op_name(n, &["add", "remove", "replace"])) {
        Some("add") => OpKind::Add,
        Some("remove") => OpKind::Remove,
        Some(_) => OpKind::Replace,
        None => {
            return Err(ProtocolError::InvalidSyntax(match name {
                Some(s) => format!("unknown op \"{s}\": use add, remove or replace"),
                None => "each operation needs an \"op\"".into(),
            }));
        }
    };
    let path = match field("path") {
        None | Some(Value::Null) => None,
        Some(Value::String(p)) if p.trim().is_empty() => None,
        Some(Value::String(p)) => Some(
            parse_patch_path_within(p, terms)
                .map_err(|e| ProtocolError::InvalidPath(format!("path \"{p}\": {e}")))?,
        ),
        Some(_) => {
            return Err(ProtocolError::InvalidPath(
                "\"path\" must be a string".into(),
            ));
        }
    };
    let value = field("value").cloned();
    if op != OpKind::Remove && value.is_none() {
        return Err(ProtocolError::InvalidValue(
            format!("{op:?} needs a \"value\"").to_lowercase(),
        ));
    }
    Ok(Operation { op, path, value })
}

/// Applies `ops` in order to `attrs` and returns the result, or the first error. Paths named
/// inside the values (see `idp_forms::path_keys`) take their terms from `terms`, what parsing
/// the operations left.
pub fn apply(
    rt: &ResourceTypeDef,
    mut attrs: Map<String, Value>,
    ops: &[Operation],
    mut terms: TermBudget,
) -> Result<Map<String, Value>, ProtocolError> {
    let mut rest = ops;
    while let Some(op) = rest.first() {
        let applied = match apply_appends(rt, &mut attrs, rest)? {
            0 => {
                match &op.path {
                    None => apply_without_path(rt, &mut attrs, op, &mut terms)?,
                    Some(path) => apply_with_path(rt, &mut attrs, op, path, &mut terms)?,
                }
                1
            }
            run => run,
        };
        rest = &rest[applied..];
    }
    Ok(attrs)
}

/// Applies the `add`s that lead `ops`, when two or more in a row name the same multi-valued
/// attribute by a plain path and it holds values already, as one append of all their values;
/// returns how many operations that was (0: none, apply the first as usual). The result is the
/// one of applying them in turn (each value is validated with its own operation's, and
/// `append` takes new values one by one against what the earlier ones left), but the present
/// values are indexed once instead of once per operation: a PATCH of n operations adding one
/// email each took time in n² (README "Cost per input, up to each limit", `add-ops`).
fn apply_appends(
    rt: &ResourceTypeDef,
    attrs: &mut Map<String, Value>,
    ops: &[Operation],
) -> Result<usize, ProtocolError> {
    let Some(attr) = ops.first().and_then(plain_add) else {
        return Ok(0);
    };
    let run = ops
        .iter()
        .take_while(|op| plain_add(op) == Some(attr))
        .count();
    // Read-only and unknown attributes are left to the usual path, which says or ignores them.
    let Ok(Some(target)) = resolve(rt, attr) else {
        return Ok(0);
    };
    if run < 2 || !target.def.multi_valued {
        return Ok(0);
    }
    let container = match target.extension {
        None => attrs,
        Some(ext) => match attrs.get_mut(ext.id) {
            Some(Value::Object(inner)) => inner,
            _ => return Ok(0),
        },
    };
    // An absent attribute is set to the first value as sent: only later ones are appended.
    let Some(Value::Array(existing)) = container.get_mut(target.def.name) else {
        return Ok(0);
    };
    let mut new = Vec::new();
    for op in &ops[..run] {
        let value = op.value.as_ref().unwrap_or(&Value::Null);
        if let Some(Value::Array(values)) = validate::attribute(target.def, value)? {
            new.extend(values);
        }
    }
    append(existing, new);
    Ok(run)
}

/// The attribute of an `add` by a plain path (`emails`, not `emails[…]` or `name.givenName`).
fn plain_add(op: &Operation) -> Option<&AttrPath> {
    match &op.path {
        Some(p)
            if op.op == OpKind::Add
                && p.value_filter.is_none()
                && p.sub_after_filter.is_none()
                && p.attr.sub.is_none() =>
        {
            Some(&p.attr)
        }
        _ => None,
    }
}

/// RFC 7644 §3.5.2.1/§3.5.2.3 with no path: the value is a partial resource.
fn apply_without_path(
    rt: &ResourceTypeDef,
    attrs: &mut Map<String, Value>,
    op: &Operation,
    terms: &mut TermBudget,
) -> Result<(), ProtocolError> {
    if op.op == OpKind::Remove {
        return Err(ProtocolError::NoTarget(
            "remove requires a \"path\" (RFC 7644 §3.5.2.2)".into(),
        ));
    }
    let Some(Value::Object(fields)) = op.value.as_ref() else {
        return Err(ProtocolError::InvalidValue(
            "without a path, the value must be an object of attributes".into(),
        ));
    };
    // RFC 7643 §2.5: null or [] unassigns; partial validation drops those, so remove them first.
    for path in unassigned_paths(rt, fields, terms)? {
        let remove = Operation {
            op: OpKind::Remove,
            path: Some(path.clone()),
            value: None,
        };
        match apply_with_path(rt, attrs, &remove, &path, terms) {
            Ok(()) => {}
            // Unknown or read-only names in a partial resource are ignored, as on create.
            Err(ProtocolError::InvalidPath(_) | ProtocolError::Mutability(_)) => {}
            Err(e) => return Err(e),
        }
    }
    let (partial, path_keys) = idp_forms::path_keys(fields, terms)?;
    let partial = validate::normalize(rt, &Value::Object(partial), Mode::Partial)?;
    for (key, v) in partial {
        if let Some(ext) = extension(rt, &key) {
            let Value::Object(ext_attrs) = v else {
                continue;
            };
            let target = object_entry(attrs, ext.id);
            for (name, v) in ext_attrs {
                if let Some(def) = ext.attribute(&name) {
                    merge(target, def, v, op.op);
                }
            }
        } else if let Some(def) = attribute(rt.schema, &key) {
            merge(attrs, def, v, op.op);
        }
    }
    // Keys that name a path (`name.givenName`, Entra ID) apply as that path would; empty ones
    // were unassigned above, and read-only ones are ignored like the rest of a partial resource.
    for (path, v) in path_keys.into_iter().filter(|(_, v)| !unassigns(v)) {
        let keyed = Operation {
            op: op.op,
            path: Some(path.clone()),
            value: Some(v),
        };
        match apply_with_path(rt, attrs, &keyed, &path, terms) {
            Ok(()) | Err(ProtocolError::Mutability(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// `null` or `[]`: a value that unassigns its attribute (RFC 7643 §2.5).
fn unassigns(v: &Value) -> bool {
    v.is_null() || v.as_array().is_some_and(Vec::is_empty)
}

/// The paths set to `null` or `[]` in a partial resource: `attr`, `attr.sub`,
/// `urn:…:attr` (inside an extension object or as a URN-qualified key). Text that is no path is
/// left out, unless it was refused for its number of filter terms.
fn unassigned_paths(
    rt: &ResourceTypeDef,
    obj: &Map<String, Value>,
    terms: &mut TermBudget,
) -> Result<Vec<PatchPath>, ProtocolError> {
    let mut paths: Vec<String> = Vec::new();
    for (key, v) in obj {
        if unassigns(v) {
            paths.push(key.clone());
        } else if let Value::Object(inner) = v {
            let prefix = if extension(rt, key).is_some() {
                ':'
            } else {
                '.'
            };
            paths.extend(
                inner
                    .iter()
                    .filter(|(_, v)| unassigns(v))
                    .map(|(sub, _)| format!("{key}{prefix}{sub}")),
            );
        }
    }
    let mut parsed = Vec::with_capacity(paths.len());
    for p in &paths {
        match parse_patch_path_within(p, terms) {
            Ok(path) => parsed.push(path),
            Err(e) if e.too_many_terms => {
                return Err(ProtocolError::InvalidPath(format!("path \"{p}\": {e}")));
            }
            Err(_) => {}
        }
    }
    Ok(parsed)
}

/// Sets `v` as attribute `def` of `target`: multi-valued attributes are appended to by `add`
/// and replaced by `replace`; complex singular attributes merge their sub-attributes.
fn merge(target: &mut Map<String, Value>, def: &AttributeDef, v: Value, op: OpKind) {
    match (target.get_mut(def.name), v) {
        (Some(Value::Array(existing)), Value::Array(new)) if op == OpKind::Add => {
            append(existing, new)
        }
        (Some(Value::Object(existing)), Value::Object(new)) if !def.multi_valued => {
            existing.extend(new)
        }
        (_, v) => {
            target.insert(def.name.to_owned(), v);
        }
    }
}

/// Appends values that are not already present (RFC 7644 §3.5.2.1); a new `primary` value
/// clears the old one (RFC 7643 §2.4), and re-adding an existing value as primary makes it so.
/// Linear in both lists: present values are found through an [`ElementIndex`], and those that
/// carry a `primary` mark (to clear) are tracked rather than searched for.
fn append(existing: &mut Vec<Value>, new: Vec<Value>) {
    let marked = |v: &Value| v.get("primary").is_some();
    let mut index = ElementIndex::new(existing);
    let mut with_mark: Vec<usize> = (0..existing.len())
        .filter(|&i| marked(&existing[i]))
        .collect();
    for v in new {
        let primary = is_primary(&v);
        if primary {
            for i in with_mark.drain(..) {
                clear_primary(&mut existing[i]);
            }
        }
        match index.find(&v) {
            Some(i) if primary => {
                if let Some(o) = existing[i].as_object_mut() {
                    o.insert("primary".into(), Value::Bool(true));
                }
                with_mark.push(i);
            }
            Some(_) => {}
            None => {
                if marked(&v) {
                    with_mark.push(existing.len());
                }
                index.insert(&v, existing.len());
                existing.push(v);
            }
        }
    }
}

fn extension(rt: &ResourceTypeDef, key: &str) -> Option<&'static SchemaDef> {
    rt.extensions
        .iter()
        .map(|(s, _)| *s)
        .find(|s| s.id.eq_ignore_ascii_case(key))
}

fn attribute(schema: &SchemaDef, name: &str) -> Option<&'static AttributeDef> {
    schema.attribute(name).or_else(|| {
        COMMON_ATTRIBUTES
            .iter()
            .find(|d| d.name.eq_ignore_ascii_case(name))
    })
}

/// Where a path points: the container (`None` for the core attributes, or an extension), the
/// attribute, and the sub-attribute of the plain `attr.sub` form.
struct Target {
    extension: Option<&'static SchemaDef>,
    def: &'static AttributeDef,
    sub: Option<&'static AttributeDef>,
}

/// Resolves a path against the schema. `Ok(None)` is a name the schema does not have: an
/// identity provider's custom attribute (Entra ID's mapping editor adds them freely), which is
/// ignored rather than refused, as unknown attributes are on create.
fn resolve(rt: &ResourceTypeDef, attr: &AttrPath) -> Result<Option<Target>, ProtocolError> {
    let extension = match &attr.urn {
        None => None,
        Some(urn) if urn.eq_ignore_ascii_case(rt.schema.id) => None,
        Some(urn) => match extension(rt, urn) {
            Some(ext) => Some(ext),
            None => return Ok(None),
        },
    };
    let def = match extension {
        Some(ext) => ext.attribute(&attr.name),
        None => attribute(rt.schema, &attr.name).or_else(|| {
            // A bare extension attribute name, when no core attribute has it.
            rt.extensions
                .iter()
                .find_map(|(s, _)| s.attribute(&attr.name))
        }),
    };
    let Some(def) = def else {
        return Ok(None);
    };
    let extension = extension.or_else(|| {
        attribute(rt.schema, &attr.name)
            .is_none()
            .then(|| {
                rt.extensions
                    .iter()
                    .map(|(s, _)| *s)
                    .find(|s| s.attribute(&attr.name).is_some())
            })
            .flatten()
    });
    let sub = match &attr.sub {
        None => None,
        Some(s) => match def.sub_attribute(s) {
            Some(sub) => Some(sub),
            None => return Ok(None),
        },
    };
    let read_only = |d: &AttributeDef| d.mutability == Mutability::ReadOnly;
    if read_only(def) || sub.is_some_and(read_only) {
        return Err(ProtocolError::Mutability(format!(
            "\"{}\" is read-only",
            attr.name
        )));
    }
    Ok(Some(Target {
        extension,
        def,
        sub,
    }))
}

fn apply_with_path(
    rt: &ResourceTypeDef,
    attrs: &mut Map<String, Value>,
    op: &Operation,
    path: &PatchPath,
    terms: &mut TermBudget,
) -> Result<(), ProtocolError> {
    // A path naming a whole extension schema, e.g. `urn:…:enterprise:2.0:User`.
    if let Some(ext) = whole_extension(rt, &path.attr) {
        let mut wrapped = Map::new();
        wrapped.insert(ext.id.to_owned(), op.value.clone().unwrap_or(Value::Null));
        if op.op == OpKind::Remove {
            attrs.remove(ext.id);
            return Ok(());
        }
        let inner = Operation {
            op: op.op,
            path: None,
            value: Some(Value::Object(wrapped)),
        };
        return apply_without_path(rt, attrs, &inner, terms);
    }
    let Some(target) = resolve(rt, &path.attr)? else {
        tracing::debug!(path = %path, "PATCH path names no attribute of the schema; ignored");
        return Ok(());
    };
    let container = match target.extension {
        Some(ext) => object_entry(attrs, ext.id),
        None => attrs,
    };
    match &path.value_filter {
        Some(filter) => apply_filtered(
            container,
            &target,
            op,
            filter,
            path.sub_after_filter.as_deref(),
        ),
        None => apply_plain(container, &target, op),
    }
}

fn whole_extension(rt: &ResourceTypeDef, attr: &AttrPath) -> Option<&'static SchemaDef> {
    let urn = attr.urn.as_deref()?;
    if attr.sub.is_some() {
        return None;
    }
    let full = format!("{urn}:{}", attr.name);
    extension(rt, &full)
}

/// An operation on `attr` or `attr.sub` (no value filter).
fn apply_plain(
    container: &mut Map<String, Value>,
    target: &Target,
    op: &Operation,
) -> Result<(), ProtocolError> {
    let def = target.def;
    if let Some(sub) = target.sub {
        return apply_to_sub(container, def, sub, op);
    }
    match op.op {
        OpKind::Remove => {
            match (&op.value, container.get_mut(def.name)) {
                (Some(v), Some(Value::Array(existing))) if def.multi_valued => {
                    let listed = validate::attribute(def, v)?.unwrap_or(Value::Array(Vec::new()));
                    let listed = listed.as_array().map(Vec::as_slice).unwrap_or_default();
                    idp_forms::remove_listed(existing, listed);
                    if existing.is_empty() {
                        container.remove(def.name);
                    }
                }
                _ => {
                    container.remove(def.name);
                }
            }
            Ok(())
        }
        OpKind::Add | OpKind::Replace => {
            let value = op.value.as_ref().unwrap_or(&Value::Null);
            match validate::attribute(def, value)? {
                Some(v) => merge(container, def, v, op.op),
                None if op.op == OpKind::Replace => {
                    container.remove(def.name);
                }
                None => {}
            }
            Ok(())
        }
    }
}

/// `name.givenName` on a singular complex attribute, or `emails.display` on every value of a
/// multi-valued one.
fn apply_to_sub(
    container: &mut Map<String, Value>,
    def: &AttributeDef,
    sub: &AttributeDef,
    op: &Operation,
) -> Result<(), ProtocolError> {
    let new = match op.op {
        OpKind::Remove => None,
        _ => validate::attribute(sub, op.value.as_ref().unwrap_or(&Value::Null))?,
    };
    let set = |obj: &mut Map<String, Value>| match &new {
        Some(v) => {
            obj.insert(sub.name.to_owned(), v.clone());
        }
        None => {
            obj.remove(sub.name);
        }
    };
    if def.multi_valued {
        if let Some(Value::Array(items)) = container.get_mut(def.name) {
            items
                .iter_mut()
                .filter_map(Value::as_object_mut)
                .for_each(set);
        }
    } else if new.is_some() {
        set(object_entry(container, def.name));
    } else if let Some(Value::Object(obj)) = container.get_mut(def.name) {
        set(obj);
    }
    Ok(())
}

/// An operation on `attr[filter]` or `attr[filter].sub`.
fn apply_filtered(
    container: &mut Map<String, Value>,
    target: &Target,
    op: &Operation,
    filter: &Filter,
    sub_after: Option<&str>,
) -> Result<(), ProtocolError> {
    let def = target.def;
    if !def.multi_valued || target.sub.is_some() {
        return Err(ProtocolError::InvalidPath(format!(
            "\"{}\" is not multi-valued: it cannot take a value filter",
            def.name
        )));
    }
    let sub = match sub_after {
        None => None,
        Some(s) => match def.sub_attribute(s) {
            Some(sub) => Some(sub),
            None => {
                tracing::debug!(
                    attribute = def.name,
                    sub = s,
                    "unknown sub-attribute ignored"
                );
                return Ok(());
            }
        },
    };
    let case_exact = |p: &AttrPath| {
        def.sub_attribute(p.sub.as_deref().unwrap_or(&p.name))
            .is_some_and(|d| d.case_exact)
    };
    let items = match container.get_mut(def.name) {
        Some(Value::Array(items)) => std::mem::take(items),
        _ => Vec::new(),
    };
    let (mut items, matched) = edit_matching(items, filter, &case_exact, def, sub, op)?;
    if matched == 0 && op.op != OpKind::Remove {
        let value = op.value.as_ref().unwrap_or(&Value::Null);
        match sub.and_then(|sub| idp_forms::upsert_element(filter, sub, value)) {
            Some(element) => items.extend(
                validate::attribute(def, &element)?
                    .and_then(|v| v.as_array().cloned())
                    .unwrap_or_default(),
            ),
            None => {
                return Err(ProtocolError::NoTarget(format!(
                    "no value of \"{}\" matches the filter",
                    def.name
                )));
            }
        }
    }
    if items.is_empty() {
        container.remove(def.name);
    } else {
        container.insert(def.name.to_owned(), Value::Array(items));
    }
    Ok(())
}

/// Applies the operation to every element that matches; returns the elements and the count.
fn edit_matching(
    items: Vec<Value>,
    filter: &Filter,
    case_exact: &dyn Fn(&AttrPath) -> bool,
    def: &AttributeDef,
    sub: Option<&'static AttributeDef>,
    op: &Operation,
) -> Result<(Vec<Value>, usize), ProtocolError> {
    let value = op.value.as_ref().unwrap_or(&Value::Null);
    let replacement = match (op.op, sub) {
        (OpKind::Remove, _) => None,
        (_, Some(sub)) => validate::attribute(sub, value)?,
        (_, None) => validate::attribute(def, value)?
            .and_then(|v| v.as_array().and_then(|a| a.first().cloned())),
    };
    let sets_primary = match sub {
        Some(s) if s.name == "primary" => replacement == Some(Value::Bool(true)),
        Some(_) => false,
        None => replacement.as_ref().is_some_and(is_primary),
    };
    let mut out = Vec::with_capacity(items.len());
    let mut matched = 0;
    for mut item in items {
        if !matches(filter, &item, case_exact) {
            if sets_primary {
                clear_primary(&mut item);
            }
            out.push(item);
            continue;
        }
        matched += 1;
        match (op.op, sub, &replacement) {
            (OpKind::Remove, None, _) => {}
            (OpKind::Remove, Some(sub), _) => {
                if let Some(o) = item.as_object_mut() {
                    o.remove(sub.name);
                }
                out.push(item);
            }
            (_, Some(sub), Some(v)) => {
                if let Some(o) = item.as_object_mut() {
                    o.insert(sub.name.to_owned(), v.clone());
                }
                out.push(item);
            }
            (_, Some(sub), None) => {
                if let Some(o) = item.as_object_mut() {
                    o.remove(sub.name);
                }
                out.push(item);
            }
            (_, None, Some(v)) => out.push(v.clone()),
            (_, None, None) => {}
        }
    }
    Ok((out, matched))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::scim::schema::{GROUP_RESOURCE, USER_RESOURCE};

    fn terms() -> TermBudget {
        TermBudget::new(Limits::DEFAULT.max_filter_terms)
    }

    fn ops(operations: Value) -> Vec<Operation> {
        let body = json!({"schemas": [PATCH_OP_SCHEMA], "Operations": operations});
        parse(&body, &Limits::DEFAULT, &mut terms()).unwrap()
    }

    fn user_patch(attrs: Value, operations: Value) -> Result<Value, ProtocolError> {
        let Value::Object(attrs) = attrs else {
            panic!("object")
        };
        apply(&USER_RESOURCE, attrs, &ops(operations), terms()).map(Value::Object)
    }

    #[test]
    fn op_names_are_case_insensitive() {
        let parsed = ops(
            json!([{"op": "Add", "path": "title", "value": "x"}, {"op": "REPLACE", "value": {}}, {"op": "remove", "path": "title"}]),
        );
        let kinds: Vec<OpKind> = parsed.iter().map(|o| o.op).collect();
        assert_eq!(kinds, [OpKind::Add, OpKind::Replace, OpKind::Remove]);
    }

    #[test]
    fn malformed_requests_are_refused() {
        let cases = [
            (
                json!({"Operations": [{"op": "add", "path": "title", "value": "x"}]}),
                "no schemas",
            ),
            (json!({"schemas": [PATCH_OP_SCHEMA]}), "no Operations"),
            (
                json!({"schemas": [PATCH_OP_SCHEMA], "Operations": []}),
                "empty Operations",
            ),
            (
                json!({"schemas": [PATCH_OP_SCHEMA], "Operations": [{"op": "move", "path": "title"}]}),
                "unknown op",
            ),
            (
                json!({"schemas": [PATCH_OP_SCHEMA], "Operations": [{"op": "add", "path": "title"}]}),
                "add without value",
            ),
            (
                json!({"schemas": [PATCH_OP_SCHEMA], "Operations": [{"op": "add", "path": "emails[type eq", "value": 1}]}),
                "bad path",
            ),
        ];
        for (body, reason) in cases {
            assert!(
                parse(&body, &Limits::DEFAULT, &mut terms()).is_err(),
                "{reason}"
            );
        }
    }

    #[test]
    fn add_to_a_multi_valued_attribute_appends_without_duplicates() {
        let out = user_patch(
            json!({"userName": "a", "emails": [{"value": "a@x"}]}),
            json!([{"op": "add", "path": "emails", "value": [{"value": "a@x"}, {"value": "b@x"}]}]),
        )
        .unwrap();
        assert_eq!(out["emails"], json!([{"value": "a@x"}, {"value": "b@x"}]));
    }

    #[test]
    fn replace_with_a_value_filter_changes_only_matching_values() {
        let out = user_patch(
            json!({"userName": "a", "emails": [{"value": "w@x", "type": "work"}, {"value": "h@x", "type": "home"}]}),
            json!([{"op": "replace", "path": "emails[type eq \"WORK\"].value", "value": "new@x"}]),
        )
        .unwrap();
        assert_eq!(
            out["emails"],
            json!([{"value": "new@x", "type": "work"}, {"value": "h@x", "type": "home"}])
        );
    }

    #[test]
    fn replace_of_a_missing_typed_value_adds_it_as_entra_expects() {
        let out = user_patch(
            json!({"userName": "a"}),
            json!([{"op": "replace", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "555"}]),
        )
        .unwrap();
        assert_eq!(
            out["phoneNumbers"],
            json!([{"type": "mobile", "value": "555"}])
        );
    }

    #[test]
    fn replace_of_a_whole_value_matching_nothing_is_no_target() {
        let err = user_patch(
            json!({"userName": "a"}),
            json!([{"op": "replace", "path": "emails[type eq \"work\"]", "value": {"value": "x"}}]),
        );
        assert!(matches!(err, Err(ProtocolError::NoTarget(_))), "{err:?}");
    }

    #[test]
    fn remove_without_a_path_is_no_target() {
        let err = user_patch(json!({"userName": "a"}), json!([{"op": "remove"}]));
        assert!(matches!(err, Err(ProtocolError::NoTarget(_))), "{err:?}");
    }

    #[test]
    fn a_new_primary_value_clears_every_other_mark_also_a_false_one() {
        // An attribute the user already has, so the values are appended (an absent one is set
        // to the value as sent).
        let out = user_patch(
            json!({"userName": "a", "emails": [{"value": "c@x", "primary": false}]}),
            json!([{"op": "add", "path": "emails", "value": [{"value": "a@x", "primary": false}, {"value": "b@x", "primary": true}]}]),
        )
        .unwrap();
        assert_eq!(
            out["emails"],
            json!([{"value": "c@x"}, {"value": "a@x"}, {"value": "b@x", "primary": true}])
        );
    }

    #[test]
    fn a_new_primary_value_clears_the_old_one() {
        let out = user_patch(
            json!({"userName": "a", "emails": [{"value": "a@x", "primary": true}]}),
            json!([{"op": "add", "path": "emails", "value": [{"value": "b@x", "primary": true}]}]),
        )
        .unwrap();
        assert_eq!(
            out["emails"],
            json!([{"value": "a@x"}, {"value": "b@x", "primary": true}])
        );
    }

    #[test]
    fn read_only_targets_are_refused_with_mutability() {
        for path in ["id", "groups", "meta", "meta.created"] {
            let err = user_patch(
                json!({"userName": "a"}),
                json!([{"op": "replace", "path": path, "value": "x"}]),
            );
            assert!(
                matches!(err, Err(ProtocolError::Mutability(_))),
                "{path}: {err:?}"
            );
        }
    }

    #[test]
    fn members_are_removed_by_value_filter_and_by_value_list() {
        let group = json!({"displayName": "g", "members": [{"value": "1"}, {"value": "2"}, {"value": "3"}]});
        let Value::Object(group) = group else {
            panic!("object")
        };
        let out = apply(
            &GROUP_RESOURCE,
            group,
            &ops(json!([
                {"op": "remove", "path": "members[value eq \"1\"]"},
                {"op": "Remove", "path": "members", "value": [{"value": "2"}]}
            ])),
            terms(),
        )
        .unwrap();
        assert_eq!(out["members"], json!([{"value": "3"}]));
    }

    /// `append` as it was written first, comparing every new value with every present one.
    fn append_pairwise(existing: &mut Vec<Value>, new: Vec<Value>) {
        for v in new {
            let primary = is_primary(&v);
            if primary {
                existing.iter_mut().for_each(clear_primary);
            }
            match existing
                .iter()
                .position(|e| crate::scim::elements::same_element(e, &v))
            {
                Some(i) if primary => {
                    if let Some(o) = existing[i].as_object_mut() {
                        o.insert("primary".into(), Value::Bool(true));
                    }
                }
                Some(_) => {}
                None => existing.push(v),
            }
        }
    }

    fn email() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        (
            prop::sample::select(vec!["a", "b", "c"]),
            prop::option::of(prop::sample::select(vec!["work", "home"])),
            prop::option::of(any::<bool>()),
        )
            .prop_map(|(value, kind, primary)| {
                let mut v = json!({"value": value});
                if let Some(kind) = kind {
                    v["type"] = json!(kind);
                }
                if let Some(primary) = primary {
                    v["primary"] = json!(primary);
                }
                v
            })
    }

    proptest::proptest! {
        #![proptest_config(crate::scim::proptest_config())]

        #[test]
        fn append_agrees_with_comparing_every_pair(
            existing in proptest::collection::vec(email(), 0..6),
            new in proptest::collection::vec(email(), 0..6),
        ) {
            let mut linear = existing.clone();
            append(&mut linear, new.clone());
            let mut pairwise = existing;
            append_pairwise(&mut pairwise, new);
            proptest::prop_assert_eq!(linear, pairwise);
        }

        #[test]
        fn adds_at_once_agree_with_adds_in_turn(
            existing in proptest::collection::vec(email(), 0..4),
            adds in proptest::collection::vec(proptest::collection::vec(email(), 0..4), 1..5),
        ) {
            let user = json!({"userName": "a", "emails": existing});
            let operations: Vec<Value> = adds
                .into_iter()
                .map(|values| json!({"op": "add", "path": "emails", "value": values}))
                .collect();
            let at_once = user_patch(user.clone(), json!(operations)).map_err(|e| e.to_string());
            let in_turn = one_by_one(user, json!(operations)).map_err(|e| e.to_string());
            proptest::prop_assert_eq!(at_once, in_turn);
        }
    }

    /// Applies `operations` one PATCH at a time, as `apply` did before it appended runs of
    /// `add`s at once.
    fn one_by_one(attrs: Value, operations: Value) -> Result<Value, ProtocolError> {
        let Value::Array(operations) = operations else {
            panic!("array")
        };
        operations
            .into_iter()
            .try_fold(attrs, |attrs, op| user_patch(attrs, json!([op])))
    }

    #[test]
    fn a_run_of_adds_to_one_attribute_is_what_adding_each_in_turn_is() {
        let add = |path: &str, value: Value| json!({"op": "add", "path": path, "value": value});
        let enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
        let cases = [
            (
                json!([
                    add("emails", json!([{"value": "b@x"}])),
                    add("emails", json!({"value": "c@x"})),
                    add("emails", json!([{"value": "b@x"}]))
                ]),
                "new values, one not an array, and a repeat of an earlier operation's",
            ),
            (
                json!([
                    add("emails", json!([{"value": "b@x", "primary": true}])),
                    add("emails", json!([{"value": "c@x", "primary": true}]))
                ]),
                "a primary value in each operation: the last one wins",
            ),
            (
                json!([
                    add("emails", json!([{"value": "a@x", "type": "home"}])),
                    add("emails", Value::Null),
                    add("emails", json!([{"value": "a@x", "type": "work"}]))
                ]),
                "types tell values apart; a null adds nothing",
            ),
            (
                json!([
                    add("phoneNumbers", json!([{"value": "1"}])),
                    add("phoneNumbers", json!([{"value": "1"}]))
                ]),
                "an absent attribute takes the first value as sent",
            ),
            (
                json!([
                    add("emails", json!([{"value": "b@x"}])),
                    add("emails", json!([{"value": "c@x"}])),
                    add("emails[value eq \"a@x\"].type", json!("home")),
                    add("emails", json!([{"value": "a@x"}]))
                ]),
                "a run ends at another form of path",
            ),
            (
                json!([
                    add("emails", json!([{"value": "b@x"}])),
                    add("emails", json!([{"value": 7}]))
                ]),
                "an invalid value fails the PATCH",
            ),
            (
                json!([
                    add(
                        "emails",
                        json!([{"value": "b@x", "primary": true}, {"value": "c@x", "primary": true}])
                    ),
                    add("emails", json!([{"value": "d@x"}]))
                ]),
                "two primary values in one operation fail it",
            ),
            (
                json!([
                    add(&format!("{enterprise}:manager"), json!({"value": "m"})),
                    add("groups", json!([{"value": "g"}])),
                    add("groups", json!([{"value": "h"}]))
                ]),
                "singular and read-only attributes",
            ),
        ];
        let user =
            json!({"userName": "a", "emails": [{"value": "a@x", "type": "work", "primary": true}]});
        for (operations, reason) in cases {
            let at_once = user_patch(user.clone(), operations.clone()).map_err(|e| e.to_string());
            let in_turn = one_by_one(user.clone(), operations).map_err(|e| e.to_string());
            assert_eq!(at_once, in_turn, "{reason}");
        }
    }

    #[test]
    fn sub_attribute_paths_set_and_remove_one_field() {
        let out = user_patch(
            json!({"userName": "a", "name": {"givenName": "A", "familyName": "B"}}),
            json!([{"op": "replace", "path": "name.givenName", "value": "C"}, {"op": "remove", "path": "name.familyName"}]),
        )
        .unwrap();
        assert_eq!(out["name"], json!({"givenName": "C"}));
    }
}
