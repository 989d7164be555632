//! `bulkId` references (RFC 7644 §3.7.2): inside a bulk request, `"bulkId:qwerty"` stands for the
//! id of the resource that the POST with `bulkId` `qwerty` creates. They are recognised where an
//! attribute holds a resource id, which the schema says: a writable complex attribute whose
//! `$ref` refers to Users or Groups, i.e. a Group's `members` and the Enterprise User's `manager`
//! (§3.7.2's examples; "extensions that include references to other resources MUST be handled in
//! the same way"). The `value` of such an attribute is a reference; nothing else is, so a
//! `displayName` that happens to read "bulkId:x" stays as it is.
//!
//! The same visitors find references (to order operations) and replace them (to run them), so
//! the two can never disagree.

use serde_json::{Map, Value};

use crate::scim::filter::{AttrPath, CompValue, Filter, PatchPath};
use crate::scim::idp_forms;
use crate::scim::patch::{OpKind, Operation};
use crate::scim::schema::types::{AttributeDef, Mutability, ResourceTypeDef, SchemaDef};

/// What precedes a `bulkId` in a reference.
pub const BULK_ID_PREFIX: &str = "bulkId:";

/// The `bulkId` a string refers to, if it is a reference.
pub fn bulk_id_of(s: &str) -> Option<&str> {
    s.strip_prefix(BULK_ID_PREFIX)
}

/// Whether an attribute holds the id of a User or Group (its `value` sub-attribute), so that a
/// `bulkId` reference may stand in it.
pub fn holds_resource_id(def: &AttributeDef) -> bool {
    def.mutability != Mutability::ReadOnly
        && def.sub_attribute("value").is_some()
        && def.sub_attribute("$ref").is_some_and(|r| {
            r.reference_types
                .iter()
                .any(|t| *t == "User" || *t == "Group")
        })
}

/// Calls `f` with every reference in a resource's canonical attributes (a POST's or PUT's data
/// after `validate::normalize`): `members[].value`, the enterprise `manager.value`.
pub fn canonical_refs(
    rt: &ResourceTypeDef,
    attrs: &mut Map<String, Value>,
    f: &mut dyn FnMut(&mut String),
) {
    for schema in rt.all_schemas() {
        let Some(container) = container(rt, schema, attrs) else {
            continue;
        };
        for def in schema.attributes.iter().filter(|d| holds_resource_id(d)) {
            if let Some(v) = container.get_mut(def.name) {
                visit_value(None, v, f);
            }
        }
    }
}

/// Removes from canonical attributes the references whose `bulkId` `deferred` says cannot be
/// resolved yet, and returns the PATCH operations that set them afterwards (`add` the members,
/// `replace` the manager), with the references still in them. This is how a reference cycle is
/// resolved (RFC 7644 §3.7.1): create the resources first, then fill in the references.
pub fn defer_canonical_refs(
    rt: &ResourceTypeDef,
    attrs: &mut Map<String, Value>,
    deferred: &dyn Fn(&str) -> bool,
) -> Vec<Operation> {
    let refers_later = |v: &Value| {
        v.get("value")
            .and_then(Value::as_str)
            .and_then(bulk_id_of)
            .is_some_and(deferred)
    };
    let mut later = Vec::new();
    for schema in rt.all_schemas() {
        let Some(container) = container(rt, schema, attrs) else {
            continue;
        };
        for def in schema.attributes.iter().filter(|d| holds_resource_id(d)) {
            let path = PatchPath {
                attr: AttrPath {
                    urn: (!std::ptr::eq(schema, rt.schema)).then(|| schema.id.to_owned()),
                    name: def.name.to_owned(),
                    sub: None,
                },
                value_filter: None,
                sub_after_filter: None,
            };
            let (op, value) = match container.get_mut(def.name) {
                Some(Value::Array(items)) if items.iter().any(refers_later) => {
                    let (moved, kept): (Vec<Value>, Vec<Value>) =
                        std::mem::take(items).into_iter().partition(refers_later);
                    *items = kept;
                    if items.is_empty() {
                        container.remove(def.name);
                    }
                    (OpKind::Add, Value::Array(moved))
                }
                Some(v) if !v.is_array() && refers_later(v) => {
                    let moved = container.remove(def.name).unwrap_or_default();
                    (OpKind::Replace, moved)
                }
                _ => continue,
            };
            later.push(Operation {
                op,
                path: Some(path),
                value: Some(value),
            });
        }
        if !std::ptr::eq(schema, rt.schema)
            && attrs
                .get(schema.id)
                .and_then(Value::as_object)
                .is_some_and(Map::is_empty)
        {
            attrs.remove(schema.id);
        }
    }
    later
}

/// Calls `f` with every reference in PATCH operations: in the value of an operation whose path
/// names a reference attribute (`members`, `members[value eq "bulkId:x"]`, `urn:…:User:manager`,
/// `…:manager.value`), in the value filter of such a path, and in the reference attributes of a
/// path-less operation's partial resource (in any of the forms `validate` accepts there).
pub fn patch_refs(rt: &ResourceTypeDef, ops: &mut [Operation], f: &mut dyn FnMut(&mut String)) {
    for op in ops {
        match &mut op.path {
            Some(path) => {
                let Some(found) = rt.find_attribute(path.attr.urn.as_deref(), &path.attr.name)
                else {
                    continue;
                };
                if !holds_resource_id(found.attribute) {
                    continue;
                }
                if let Some(filter) = &mut path.value_filter {
                    filter_refs(filter, f);
                }
                let sub = path
                    .attr
                    .sub
                    .as_deref()
                    .or(path.sub_after_filter.as_deref());
                if let Some(v) = &mut op.value {
                    visit_value(sub, v, f);
                }
            }
            None => {
                if let Some(Value::Object(fields)) = &mut op.value {
                    partial_refs(rt, fields, f);
                }
            }
        }
    }
}

/// The object holding `schema`'s attributes: the attributes themselves for the core schema, the
/// extension's object otherwise.
fn container<'a>(
    rt: &ResourceTypeDef,
    schema: &SchemaDef,
    attrs: &'a mut Map<String, Value>,
) -> Option<&'a mut Map<String, Value>> {
    if std::ptr::eq(schema, rt.schema) {
        Some(attrs)
    } else {
        attrs.get_mut(schema.id).and_then(Value::as_object_mut)
    }
}

/// The references in a value given for a reference attribute (`sub` is the sub-attribute the
/// path named, if any): `{"value": …}`, a list of those, or a bare id (Entra ID's manager).
fn visit_value(sub: Option<&str>, v: &mut Value, f: &mut dyn FnMut(&mut String)) {
    match sub {
        Some(sub) if sub.eq_ignore_ascii_case("value") => visit_string(v, f),
        Some(_) => {}
        None => match v {
            Value::Array(items) => items.iter_mut().for_each(|item| visit_element(item, f)),
            other => visit_element(other, f),
        },
    }
}

fn visit_element(v: &mut Value, f: &mut dyn FnMut(&mut String)) {
    match v {
        Value::Object(fields) => fields
            .iter_mut()
            .filter(|(k, _)| k.eq_ignore_ascii_case("value"))
            .for_each(|(_, v)| visit_string(v, f)),
        other => visit_string(other, f),
    }
}

fn visit_string(v: &mut Value, f: &mut dyn FnMut(&mut String)) {
    match v {
        Value::String(s) if s.starts_with(BULK_ID_PREFIX) => f(s),
        Value::Array(items) => items.iter_mut().for_each(|item| visit_string(item, f)),
        _ => {}
    }
}

/// References compared with `value` in a value filter (`members[value eq "bulkId:x"]`).
fn filter_refs(filter: &mut Filter, f: &mut dyn FnMut(&mut String)) {
    match filter {
        Filter::Compare {
            path,
            value: CompValue::String(s),
            ..
        } if path.urn.is_none()
            && path.sub.is_none()
            && path.name.eq_ignore_ascii_case("value")
            && s.starts_with(BULK_ID_PREFIX) =>
        {
            f(s)
        }
        Filter::And(a, b) | Filter::Or(a, b) => {
            filter_refs(a, f);
            filter_refs(b, f);
        }
        Filter::Not(inner) => filter_refs(inner, f),
        _ => {}
    }
}

/// References in a partial resource (a path-less PATCH value): attributes named plainly, inside
/// an extension's object, or with their URN (`urn:…:User:manager`, `urn:…:User:manager.value`).
fn partial_refs(
    rt: &ResourceTypeDef,
    fields: &mut Map<String, Value>,
    f: &mut dyn FnMut(&mut String),
) {
    for (key, v) in fields.iter_mut() {
        if let Some(ext) = rt
            .extensions
            .iter()
            .map(|(s, _)| *s)
            .find(|s| s.id.eq_ignore_ascii_case(key))
        {
            if let Value::Object(inner) = v {
                for (name, v) in inner.iter_mut() {
                    if ext.attribute(name).is_some_and(holds_resource_id) {
                        visit_value(None, v, f);
                    }
                }
            }
        } else if let Some((schema, rest)) = idp_forms::urn_qualified_key(rt, key) {
            let (name, sub) = match rest.split_once('.') {
                Some((name, sub)) => (name, Some(sub)),
                None => (rest, None),
            };
            if schema.attribute(name).is_some_and(holds_resource_id) {
                visit_value(sub, v, f);
            }
        } else if rt.schema.attribute(key).is_some_and(holds_resource_id) {
            visit_value(None, v, f);
        }
    }
}
