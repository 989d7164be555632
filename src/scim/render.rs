//! Renders a stored resource as the client sees it (RFC 7643 §3): `schemas`, `id`, attributes,
//! references (`$ref`) resolved against the server's base URL, and `meta` (the
//! `attributes`/`excludedAttributes` projection is in `projection`).

use serde_json::{Map, Value, json};

use super::resource::{Resource, format_time};
use super::schema::ResourceTypeDef;

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
