//! Every request form scimd accepts beyond the letter of RFC 7643/7644, in one place, each with
//! the client that sends it. The rest of the protocol layer calls these functions instead of
//! bending its own rules, so the strict RFC behaviour stays readable and every leniency is
//! listed here (the HTTP-level one, a body without `Content-Type` — sent by Okta's SCIM 2.0
//! spec test — is in `http::guard_request`).

use serde_json::{Map, Value};

use super::elements::ElementIndex;
use super::error::ProtocolError;
use super::filter::{CompValue, CompareOp, Filter, PatchPath, TermBudget, parse_patch_path_within};
use super::schema::{AttributeDef, ResourceTypeDef, SchemaDef};

/// A PATCH operation name in any case. Microsoft Entra ID sends `"Add"`, `"Replace"` and
/// `"Remove"`; RFC 7644 §3.5.2 spells them in lower case.
pub fn op_name<'a>(op: &str, names: &[&'a str]) -> Option<&'a str> {
    names.iter().copied().find(|n| n.eq_ignore_ascii_case(op))
}

/// The PATCH `data` of a bulk operation given as a bare list of operations, as a PatchOp body.
/// RFC 7644 §3.7.3's own example writes the data of its PATCH as `{[ {"op": …}, … ]}`, which is
/// not JSON; its evident meaning, `[ {"op": …}, … ]`, is accepted.
pub fn bulk_patch_operations(data: &Value) -> Option<Value> {
    data.as_array().map(|ops| {
        serde_json::json!({
            "schemas": [super::patch::PATCH_OP_SCHEMA],
            "Operations": ops,
        })
    })
}

/// A boolean, also from the strings `"true"`/`"false"` in any case. Entra ID sends
/// `"active": "False"` in PATCH values.
pub fn boolean(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// The one element of a one-element array given for a single-valued attribute: Entra ID sends
/// e.g. `"value": [{"value": "x"}]` for singular targets. Several elements are still refused.
pub fn single_from_array<'a>(
    def: &AttributeDef,
    items: &'a [Value],
) -> Result<Option<&'a Value>, ProtocolError> {
    match items {
        [] => Ok(None),
        [one] => Ok(Some(one)),
        _ => Err(ProtocolError::InvalidValue(format!(
            "\"{}\" is single-valued but got several values",
            def.name
        ))),
    }
}

/// A bare value for a complex attribute that has a `value` sub-attribute, as `{"value": …}`.
/// Entra ID sends the enterprise `manager` as an id string
/// (`"manager": "26118915-6090-4610-87e4-49d8ca9f808d"`).
pub fn complex_from_bare(def: &AttributeDef, value: &Value) -> Option<Value> {
    let bare = matches!(value, Value::String(_) | Value::Number(_) | Value::Bool(_));
    (bare && def.sub_attribute("value").is_some()).then(|| {
        let mut obj = Map::new();
        obj.insert("value".into(), value.clone());
        Value::Object(obj)
    })
}

/// An attribute named with its schema URN as a key, `urn:…:User:department` or
/// `urn:…:User:name.givenName`: Entra ID sends extension attributes this way inside the value of
/// a PATCH operation without `path`. Returns the schema and the rest of the key.
pub fn urn_qualified_key<'a>(
    rt: &ResourceTypeDef,
    key: &'a str,
) -> Option<(&'static SchemaDef, &'a str)> {
    rt.all_schemas().find_map(|s| {
        let prefix = key.get(..s.id.len())?;
        let rest = key.get(s.id.len()..)?.strip_prefix(':')?;
        prefix.eq_ignore_ascii_case(s.id).then_some((s, rest))
    })
}

/// Splits the value of an `add` or `replace` without `path` into the partial resource RFC 7644
/// §3.5.2.1/§3.5.2.3 describes and the keys that are themselves paths: a sub-attribute
/// (`name.givenName`, `urn:…:User:manager.value`) or a value filter (`emails[type eq
/// "work"].value`). Microsoft documents a multi-attribute replace in this form (Entra ID's SCIM
/// compatibility notes, "Requests to replace multiple attributes"); the caller applies each such
/// key as the path it names. Plain and URN-qualified attribute names stay in the partial resource.
/// Value filters in keys take their terms from `terms`; a key refused for having too many is an
/// error, not an attribute name.
pub fn path_keys(
    value: &Map<String, Value>,
    terms: &mut TermBudget,
) -> Result<PathKeys, ProtocolError> {
    let mut partial = Map::new();
    let mut paths = Vec::new();
    for (key, v) in value {
        match parse_patch_path_within(key, terms) {
            Ok(path) if path.attr.sub.is_some() || path.value_filter.is_some() => {
                paths.push((path, v.clone()));
            }
            Err(e) if e.too_many_terms => {
                return Err(ProtocolError::InvalidPath(format!("key \"{key}\": {e}")));
            }
            _ => {
                partial.insert(key.clone(), v.clone());
            }
        }
    }
    Ok((partial, paths))
}

/// A PATCH value split by [`path_keys`]: the partial resource, and each key that is a path with
/// its value.
pub type PathKeys = (Map<String, Value>, Vec<(PatchPath, Value)>);

/// `remove` with a `value` on a multi-valued attribute removes the listed values. Entra ID
/// removes group members this way:
/// `{"op": "Remove", "path": "members", "value": [{"value": "<id>"}]}`.
/// Values are matched as `add` matches them (`elements::same_element`), through an index of the
/// listed ones, so the cost is linear in both lists.
pub fn remove_listed(existing: &mut Vec<Value>, listed: &[Value]) {
    let listed = ElementIndex::new(listed);
    existing.retain(|e| listed.find(e).is_none());
}

/// `replace` on `attr[type eq "x"].sub` when no value has that type adds `{type: x, sub: value}`.
/// Entra ID expects this for e.g. `emails[type eq "work"].value` and
/// `addresses[type eq "work"].streetAddress` on users that lack such a value. Only this exact
/// form (one `eq` on a string, then a sub-attribute) qualifies; others stay `noTarget`.
pub fn upsert_element(filter: &Filter, sub: &AttributeDef, value: &Value) -> Option<Value> {
    let Filter::Compare {
        path,
        op: CompareOp::Eq,
        value: CompValue::String(s),
    } = filter
    else {
        return None;
    };
    if path.sub.is_some() || path.urn.is_some() {
        return None;
    }
    let mut element = Map::new();
    element.insert(path.name.clone(), Value::String(s.clone()));
    element.insert(sub.name.to_owned(), value.clone());
    Some(Value::Object(element))
}

/// Group member ids named by a value filter of the form `value eq "id"` (or several joined by
/// `or`): Entra ID removes one member with `members[value eq "<id>"]`.
pub fn member_ids_in_filter(filter: &Filter) -> Option<Vec<String>> {
    match filter {
        Filter::Compare {
            path,
            op: CompareOp::Eq,
            value: CompValue::String(id),
        } if path.urn.is_none()
            && path.sub.is_none()
            && path.name.eq_ignore_ascii_case("value") =>
        {
            Some(vec![id.clone()])
        }
        Filter::Or(a, b) => {
            let mut ids = member_ids_in_filter(a)?;
            ids.extend(member_ids_in_filter(b)?);
            Some(ids)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn keys_naming_a_sub_attribute_or_value_filter_are_paths() {
        let value = json!({
            "displayName": "Kim",
            "name.givenName": "Kim",
            "emails[type eq \"work\"].value": "k@x",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "7",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value": "m",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "D"},
        });
        let Value::Object(value) = value else {
            panic!("object")
        };

        let (partial, paths) = path_keys(&value, &mut TermBudget::new(10)).unwrap();

        let kept: Vec<&str> = partial.keys().map(String::as_str).collect();
        assert_eq!(
            kept,
            [
                "displayName",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
            ],
            "plain and URN-qualified attribute names stay a partial resource"
        );
        let named: Vec<String> = paths.iter().map(|(p, _)| p.to_string()).collect();
        assert_eq!(named.len(), 3, "{named:?}");
    }
}
