//! Renders a stored resource as the client sees it (RFC 7643 §3): `schemas`, `id`, attributes,
//! references (`$ref`) resolved against the server's base URL, and `meta`; then applies the
//! `attributes`/`excludedAttributes` projection of RFC 7644 §3.4.2.5.

use serde_json::{Map, Value, json};

use super::filter::{AttrPath, Filter, matches};
use super::resource::{Resource, format_time};
use super::schema::{RESOURCE_TYPES, ResourceTypeDef, Returned, SchemaDef, schema_by_id};

/// The full representation of `resource` (before projection).
pub fn resource_json(
    rt: &ResourceTypeDef,
    resource: &Resource,
    base_url: &str,
) -> Map<String, Value> {
    let mut schemas = vec![Value::String(rt.schema.id.into())];
    for (ext, _) in rt.extensions {
        if resource.attrs.contains_key(ext.id) {
            schemas.push(Value::String(ext.id.into()));
        }
    }
    let mut out = Map::new();
    out.insert("schemas".into(), Value::Array(schemas));
    out.insert("id".into(), Value::String(resource.id.clone()));
    // Schema order (RFC 7643 §8 shows resources this way), then extensions, then anything else.
    let order = std::iter::once("externalId")
        .chain(rt.schema.attributes.iter().map(|a| a.name))
        .chain(rt.extensions.iter().map(|(s, _)| s.id));
    for key in order {
        if let Some(value) = resource.attrs.get(key) {
            out.insert(key.to_owned(), value.clone());
        }
    }
    for (key, value) in &resource.attrs {
        if !out.contains_key(key) {
            out.insert(key.clone(), value.clone());
        }
    }
    add_refs(&mut out, base_url);
    let location = format!("{base_url}{}/{}", rt.endpoint, resource.id);
    out.insert(
        "meta".into(),
        json!({
            "resourceType": rt.name,
            "created": format_time(resource.meta.created),
            "lastModified": format_time(resource.meta.last_modified),
            "location": location,
            "version": resource.meta.etag(),
        }),
    );
    out
}

/// Adds `$ref` URIs to `members`, `groups` and the enterprise `manager`.
fn add_refs(out: &mut Map<String, Value>, base_url: &str) {
    for key in ["members", "groups"] {
        if let Some(Value::Array(items)) = out.get_mut(key) {
            for item in items.iter_mut().filter_map(Value::as_object_mut) {
                let endpoint = match item.get("type").and_then(Value::as_str) {
                    Some("User") => "Users",
                    _ => "Groups",
                };
                if let Some(id) = item.get("value").and_then(Value::as_str) {
                    let r = format!("{base_url}/{endpoint}/{id}");
                    item.insert("$ref".into(), Value::String(r));
                }
            }
        }
    }
    let manager = out
        .get_mut(super::schema::ENTERPRISE_USER.id)
        .and_then(|e| e.get_mut("manager"))
        .and_then(Value::as_object_mut);
    if let Some(manager) = manager
        && let Some(id) = manager.get("value").and_then(Value::as_str)
    {
        let r = format!("{base_url}/Users/{id}");
        manager.insert("$ref".into(), Value::String(r));
    }
}

/// The `attributes` / `excludedAttributes` request parameters (RFC 7644 §3.4.2.5).
#[derive(Debug, Clone, Default)]
pub struct Projection {
    pub attributes: Vec<AttrPath>,
    pub excluded: Vec<AttrPath>,
    /// Value filters in `attributes` (`emails[type eq "work"]`): only matching values are kept.
    pub value_filters: Vec<(AttrPath, Filter)>,
}

impl Projection {
    /// Whether `name` (a top-level attribute, or an extension URN) is wanted at all; lets the
    /// store skip work such as loading members.
    pub fn wants(&self, name: &str) -> bool {
        let named = |p: &AttrPath| {
            schema_covers(p, name)
                .unwrap_or_else(|| top_key(p).eq_ignore_ascii_case(name) && p.sub.is_none())
        };
        if !self.attributes.is_empty() {
            return self.attributes.iter().any(|p| {
                schema_covers(p, name).unwrap_or_else(|| top_key(p).eq_ignore_ascii_case(name))
            });
        }
        !self.excluded.iter().any(named)
    }

    /// Applies the projection to a rendered resource. Attributes returned `always` (`id`,
    /// `schemas`) stay; unknown names are ignored as the RFC allows.
    pub fn apply(&self, rt: &ResourceTypeDef, mut doc: Map<String, Value>) -> Map<String, Value> {
        for (path, filter) in &self.value_filters {
            let def = rt.schema.attribute(&path.name);
            let case_exact = |p: &AttrPath| {
                def.and_then(|d| d.sub_attribute(p.sub.as_deref().unwrap_or(&p.name)))
                    .is_some_and(|s| s.case_exact)
            };
            if let Some((_, Value::Array(items))) = doc
                .iter_mut()
                .find(|(k, _)| k.eq_ignore_ascii_case(&path.name))
            {
                items.retain(|item| matches(filter, item, &case_exact));
            }
        }
        if !self.attributes.is_empty() {
            let keep = |key: &str, sub: Option<&str>| {
                always(rt, key)
                    || self.attributes.iter().any(|p| {
                        schema_covers(p, key).unwrap_or_else(|| {
                            top_key(p).eq_ignore_ascii_case(key)
                                && match (path_sub(p), sub) {
                                    (None, _) | (_, None) => true,
                                    (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
                                }
                        })
                    })
            };
            doc.retain(|k, _| keep(k, None));
            for (key, value) in doc.iter_mut() {
                if always(rt, key) {
                    continue;
                }
                let key = key.clone();
                retain_subs(value, |sub| keep(&key, Some(sub)));
            }
        }
        for p in &self.excluded {
            if whole_schema(p).is_some() {
                doc.retain(|k, _| always(rt, k) || schema_covers(p, k) != Some(true));
                continue;
            }
            let key = top_key(p);
            if always(rt, key) {
                continue;
            }
            match path_sub(p) {
                None => doc.retain(|k, _| !k.eq_ignore_ascii_case(key)),
                Some(sub) => {
                    if let Some((_, value)) =
                        doc.iter_mut().find(|(k, _)| k.eq_ignore_ascii_case(key))
                    {
                        retain_subs(value, |s| !s.eq_ignore_ascii_case(sub));
                    }
                }
            }
        }
        doc
    }
}

/// For a path naming a whole schema by its URN (`urn:…:enterprise:2.0:User`), whether the
/// top-level key `key` belongs to that schema: the extension's object under its URN, or an
/// attribute of a core schema. RFC 7644 §3.10 and §3.4.2.5 let `attributes` and
/// `excludedAttributes` name a schema, meaning all of its attributes. The path grammar reads the
/// URN as attribute `User` of schema `urn:…:2.0`, so the two parts are joined back. `None` for
/// any other path.
fn schema_covers(p: &AttrPath, key: &str) -> Option<bool> {
    let schema = whole_schema(p)?;
    let core = RESOURCE_TYPES.iter().any(|rt| rt.schema.id == schema.id);
    Some(key.eq_ignore_ascii_case(schema.id) || (core && schema.attribute(key).is_some()))
}

fn whole_schema(p: &AttrPath) -> Option<&'static SchemaDef> {
    let urn = p.urn.as_deref().filter(|_| p.sub.is_none())?;
    schema_by_id(&format!("{urn}:{}", p.name))
}

/// The top-level key a path names: the URN for an extension attribute, else the attribute.
fn top_key(p: &AttrPath) -> &str {
    match &p.urn {
        Some(urn)
            if !urn.to_ascii_lowercase().ends_with(":core:2.0:user")
                && !urn.to_ascii_lowercase().ends_with(":core:2.0:group") =>
        {
            urn
        }
        _ => &p.name,
    }
}

/// The part below the top-level key: the attribute of an extension, else the sub-attribute.
fn path_sub(p: &AttrPath) -> Option<&str> {
    if top_key(p) == p.name {
        p.sub.as_deref()
    } else {
        Some(&p.name)
    }
}

fn always(rt: &ResourceTypeDef, key: &str) -> bool {
    key == "id"
        || key == "schemas"
        || rt
            .schema
            .attribute(key)
            .is_some_and(|d| d.returned == Returned::Always)
}

fn retain_subs(value: &mut Value, keep: impl Fn(&str) -> bool) {
    match value {
        Value::Object(obj) => obj.retain(|k, _| keep(k)),
        Value::Array(items) => {
            for item in items {
                if let Value::Object(obj) = item {
                    obj.retain(|k, _| keep(k));
                }
            }
        }
        _ => {}
    }
}
