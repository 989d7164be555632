//! Turns a client's JSON into canonical attributes, driven by the schema registry
//! (RFC 7643 §2): attribute names matched case-insensitively (§2.1) and spelled as the schema
//! does, values checked against their type (§2.3), read-only input dropped (§2.2), `null` read as
//! "unassigned" (RFC 7644 §3.5.1), `primary` allowed once per multi-valued attribute (§2.4) and
//! required attributes enforced. Unknown attributes are ignored rather than rejected.
//!
//! The identity-provider forms it accepts (booleans as strings, one-element arrays, bare manager
//! ids, URN-qualified keys) are defined in `idp_forms`.

use chrono::DateTime;
use serde_json::{Map, Value};

use super::error::ProtocolError;
use super::idp_forms;
use super::resource::object_entry;
use super::schema::{AttrType, AttributeDef, Mutability, ResourceTypeDef, SchemaDef};

/// Whether a body is a whole resource (POST, PUT) or a fragment (a PATCH value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A complete resource: required attributes must be present.
    Full,
    /// Part of a resource: only what is present is checked.
    Partial,
}

/// Validates `input` as a resource of type `rt` and returns its canonical attributes
/// (without `id`, `meta` and `schemas`; extension attributes under the extension URN).
pub fn normalize(
    rt: &ResourceTypeDef,
    input: &Value,
    mode: Mode,
) -> Result<Map<String, Value>, ProtocolError> {
    let Value::Object(obj) = input else {
        return Err(ProtocolError::InvalidSyntax(
            "the request body must be a JSON object".into(),
        ));
    };
    let mut out = Map::new();
    for (key, value) in obj {
        if ["schemas", "id", "meta"]
            .iter()
            .any(|k| key.eq_ignore_ascii_case(k))
        {
            continue; // `schemas` is implied by the attributes; `id` and `meta` are read-only.
        }
        if key.eq_ignore_ascii_case("externalId") {
            put(&mut out, "externalId", external_id(value)?);
        } else if let Some(ext) = rt
            .extensions
            .iter()
            .map(|(s, _)| *s)
            .find(|s| s.id.eq_ignore_ascii_case(key))
        {
            merge_extension(&mut out, ext, value)?;
        } else if let Some(def) = rt.schema.attribute(key) {
            put(&mut out, def.name, attribute(def, value)?);
        } else if let Some((schema, attr)) = idp_forms::urn_qualified_key(rt, key) {
            put_qualified(&mut out, rt, schema, attr, value)?;
        } else {
            tracing::debug!(attribute = %key, "ignoring an attribute the schema does not define");
        }
    }
    if mode == Mode::Full {
        require(rt, &out)?;
    }
    Ok(out)
}

fn put(out: &mut Map<String, Value>, name: &str, value: Option<Value>) {
    if let Some(v) = value {
        out.insert(name.to_owned(), v);
    }
}

fn external_id(value: &Value) -> Result<Option<Value>, ProtocolError> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) if !s.contains('\0') => Ok(Some(value.clone())),
        _ => Err(ProtocolError::InvalidValue(
            "externalId must be a string without NUL characters".into(),
        )),
    }
}

fn merge_extension(
    out: &mut Map<String, Value>,
    ext: &SchemaDef,
    value: &Value,
) -> Result<(), ProtocolError> {
    let Value::Object(attrs) = value else {
        if value.is_null() {
            return Ok(());
        }
        return Err(ProtocolError::InvalidValue(format!(
            "\"{}\" must be an object",
            ext.id
        )));
    };
    for (key, v) in attrs {
        match ext.attribute(key) {
            Some(def) => {
                if let Some(v) = attribute(def, v)? {
                    extension_entry(out, ext).insert(def.name.to_owned(), v);
                }
            }
            None => {
                tracing::debug!(attribute = %key, schema = ext.id, "ignoring an unknown extension attribute")
            }
        }
    }
    Ok(())
}

fn extension_entry<'a>(
    out: &'a mut Map<String, Value>,
    ext: &SchemaDef,
) -> &'a mut Map<String, Value> {
    object_entry(out, ext.id)
}

fn put_qualified(
    out: &mut Map<String, Value>,
    rt: &ResourceTypeDef,
    schema: &'static SchemaDef,
    attr: &str,
    value: &Value,
) -> Result<(), ProtocolError> {
    let (name, sub) = match attr.split_once('.') {
        Some((n, s)) => (n, Some(s)),
        None => (attr, None),
    };
    let Some(def) = schema.attribute(name) else {
        tracing::debug!(attribute = %attr, "ignoring an unknown URN-qualified attribute");
        return Ok(());
    };
    let value = match sub {
        Some(sub) => {
            let mut inner = Map::new();
            inner.insert(sub.to_owned(), value.clone());
            Value::Object(inner)
        }
        None => value.clone(),
    };
    let Some(v) = attribute(def, &value)? else {
        return Ok(());
    };
    let target = if std::ptr::eq(schema, rt.schema) {
        out
    } else {
        extension_entry(out, schema)
    };
    match (target.get_mut(def.name), v) {
        (Some(Value::Object(existing)), Value::Object(new)) => existing.extend(new),
        (_, v) => {
            target.insert(def.name.to_owned(), v);
        }
    }
    Ok(())
}

/// Validates one attribute value; `None` means unassigned (null, read-only, or empty).
pub fn attribute(def: &AttributeDef, value: &Value) -> Result<Option<Value>, ProtocolError> {
    if value.is_null() || def.mutability == Mutability::ReadOnly {
        return Ok(None);
    }
    if !def.multi_valued {
        if let Value::Array(items) = value {
            return match idp_forms::single_from_array(def, items)? {
                Some(one) => single(def, one),
                None => Ok(None),
            };
        }
        return single(def, value);
    }
    let items = match value {
        Value::Array(items) => items.as_slice(),
        other => std::slice::from_ref(other),
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        if let Some(v) = single(def, item)? {
            out.push(v);
        }
    }
    let primaries = out
        .iter()
        .filter(|v| v.get("primary") == Some(&Value::Bool(true)))
        .count();
    if primaries > 1 {
        return Err(ProtocolError::InvalidValue(format!(
            "at most one value of \"{}\" may have primary set to true (RFC 7643 §2.4)",
            def.name
        )));
    }
    Ok((!out.is_empty()).then_some(Value::Array(out)))
}

/// Validates one (non-array) value of an attribute.
fn single(def: &AttributeDef, value: &Value) -> Result<Option<Value>, ProtocolError> {
    let wrong = |expected: &str| {
        ProtocolError::InvalidValue(format!("\"{}\" must be {expected}", def.name))
    };
    Ok(Some(match def.attr_type {
        AttrType::Complex => return complex(def, value),
        AttrType::String | AttrType::Reference | AttrType::Binary => match value {
            // PostgreSQL cannot store U+0000 in text; no SCIM attribute needs it.
            Value::String(s) if s.contains('\0') => {
                return Err(wrong("a string without NUL characters"));
            }
            Value::String(_) => value.clone(),
            Value::Null => return Ok(None),
            _ => return Err(wrong("a string")),
        },
        AttrType::DateTime => match value {
            Value::String(s) if DateTime::parse_from_rfc3339(s).is_ok() => value.clone(),
            _ => return Err(wrong("an RFC 3339 date-time string")),
        },
        AttrType::Boolean => {
            Value::Bool(idp_forms::boolean(value).ok_or_else(|| wrong("true or false"))?)
        }
        AttrType::Integer => match value {
            Value::Number(n) if n.is_i64() || n.is_u64() => value.clone(),
            _ => return Err(wrong("an integer")),
        },
        AttrType::Decimal => match value {
            Value::Number(_) => value.clone(),
            _ => return Err(wrong("a number")),
        },
    }))
}

fn complex(def: &AttributeDef, value: &Value) -> Result<Option<Value>, ProtocolError> {
    let obj = match value {
        Value::Object(obj) => obj,
        other => match idp_forms::complex_from_bare(def, other) {
            Some(obj) => return complex(def, &obj),
            None => {
                return Err(ProtocolError::InvalidValue(format!(
                    "\"{}\" must be an object",
                    def.name
                )));
            }
        },
    };
    let mut out = Map::new();
    for (key, v) in obj {
        match def.sub_attribute(key) {
            Some(sub) => put(&mut out, sub.name, attribute(sub, v)?),
            None => {
                tracing::debug!(attribute = def.name, sub = %key, "ignoring an unknown sub-attribute")
            }
        }
    }
    Ok((!out.is_empty()).then_some(Value::Object(out)))
}

fn require(rt: &ResourceTypeDef, out: &Map<String, Value>) -> Result<(), ProtocolError> {
    for def in rt.schema.attributes.iter().filter(|d| d.required) {
        match out.get(def.name) {
            Some(Value::String(s)) if s.trim().is_empty() => {
                return Err(ProtocolError::InvalidValue(format!(
                    "\"{}\" must not be empty",
                    def.name
                )));
            }
            Some(_) => {}
            None => {
                return Err(ProtocolError::InvalidValue(format!(
                    "\"{}\" is required",
                    def.name
                )));
            }
        }
    }
    Ok(())
}

/// Refuses a change to an `immutable` attribute that already has a value (RFC 7643 §2.2:
/// "may be defined at resource creation … SHALL NOT be updated"), with `mutability`.
pub fn check_immutable(
    rt: &ResourceTypeDef,
    old: &Map<String, Value>,
    new: &Map<String, Value>,
) -> Result<(), ProtocolError> {
    let core = rt.schema.attributes.iter().map(|d| (None, d));
    let extensions = rt
        .extensions
        .iter()
        .flat_map(|(s, _)| s.attributes.iter().map(move |d| (Some(s.id), d)));
    for (urn, def) in core
        .chain(extensions)
        .filter(|(_, d)| d.mutability == Mutability::Immutable)
    {
        let get = |m: &Map<String, Value>| match urn {
            None => m.get(def.name).cloned(),
            Some(urn) => m.get(urn).and_then(|e| e.get(def.name)).cloned(),
        };
        let before = get(old);
        if before.is_some() && before != get(new) {
            return Err(ProtocolError::Mutability(format!(
                "\"{}\" is immutable and cannot be changed",
                def.name
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::scim::schema::{ENTERPRISE_USER, GROUP_RESOURCE, USER_RESOURCE};

    fn user(v: Value) -> Result<Map<String, Value>, ProtocolError> {
        normalize(&USER_RESOURCE, &v, Mode::Full)
    }

    #[test]
    fn booleans_sent_as_strings_become_booleans() {
        for (input, expected) in [("True", true), ("false", false), ("FALSE", false)] {
            let out = user(json!({"userName": "a", "active": input})).unwrap();
            assert_eq!(out["active"], json!(expected), "{input}");
        }
        assert!(user(json!({"userName": "a", "active": "yes"})).is_err());
    }

    #[test]
    fn a_one_element_array_for_a_singular_attribute_is_unwrapped() {
        let out = user(json!({"userName": "a", "title": ["Boss"]})).unwrap();
        assert_eq!(out["title"], "Boss");
        assert!(user(json!({"userName": "a", "title": ["A", "B"]})).is_err());
    }

    #[test]
    fn a_bare_manager_id_becomes_a_manager_value() {
        let out = user(json!({"userName": "a", ENTERPRISE_USER.id: {"manager": "m-1"}})).unwrap();
        assert_eq!(out[ENTERPRISE_USER.id]["manager"], json!({"value": "m-1"}));
    }

    #[test]
    fn urn_qualified_keys_land_in_their_extension() {
        let key = format!("{}:department", ENTERPRISE_USER.id);
        let out = user(json!({"userName": "a", key: "Sales"})).unwrap();
        assert_eq!(out[ENTERPRISE_USER.id]["department"], "Sales");
    }

    #[test]
    fn null_means_unassigned_and_read_only_input_is_dropped() {
        let out =
            user(json!({"userName": "a", "title": null, "groups": [{"value": "g"}], "meta": {}}))
                .unwrap();
        assert_eq!(out.len(), 1, "{out:?}");
    }

    #[test]
    fn member_display_is_read_only_and_dropped() {
        let out = normalize(
            &GROUP_RESOURCE,
            &json!({"displayName": "G", "members": [{"value": "u", "display": "x"}]}),
            Mode::Full,
        )
        .unwrap();
        assert_eq!(out["members"], json!([{"value": "u"}]));
    }

    #[test]
    fn partial_mode_does_not_require_user_name() {
        assert!(normalize(&USER_RESOURCE, &json!({"title": "x"}), Mode::Partial).is_ok());
        assert!(normalize(&USER_RESOURCE, &json!({"title": "x"}), Mode::Full).is_err());
    }

    static IMMUTABLE_ATTRS: [AttributeDef; 1] =
        [AttributeDef::string("badge", "A badge number.").immutable()];
    static IMMUTABLE_SCHEMA: SchemaDef = SchemaDef {
        id: "urn:example:immutable",
        name: "Immutable",
        description: "Test schema with an immutable attribute.",
        attributes: &IMMUTABLE_ATTRS,
    };
    static IMMUTABLE_RT: ResourceTypeDef = ResourceTypeDef {
        id: "Thing",
        name: "Thing",
        endpoint: "/Things",
        description: "Test resource type.",
        schema: &IMMUTABLE_SCHEMA,
        extensions: &[],
    };

    #[test]
    fn an_immutable_attribute_can_be_set_once_but_not_changed() {
        let empty = Map::new();
        let set: Map<String, Value> = [("badge".to_owned(), json!("1"))].into_iter().collect();
        let changed: Map<String, Value> = [("badge".to_owned(), json!("2"))].into_iter().collect();
        assert!(
            check_immutable(&IMMUTABLE_RT, &empty, &set).is_ok(),
            "first assignment"
        );
        assert!(
            check_immutable(&IMMUTABLE_RT, &set, &set).is_ok(),
            "unchanged"
        );
        assert_eq!(
            check_immutable(&IMMUTABLE_RT, &set, &changed),
            Err(ProtocolError::Mutability(
                "\"badge\" is immutable and cannot be changed".into()
            ))
        );
    }
}
