//! JSON renderings for the discovery endpoints: a schema as served by `/Schemas`
//! (RFC 7643 §7, §8.7.1) and a resource type as served by `/ResourceTypes` (§6, §8.6).
//!
//! Key order follows the RFC's own representations (`serde_json`'s `preserve_order` feature).

use serde_json::{Map, Value, json};

use super::types::{
    AttrType, AttributeDef, Mutability, ResourceTypeDef, Returned, SchemaDef, Uniqueness,
};

/// The schema URN of a schema representation (RFC 7643 §7).
pub const SCHEMA_SCHEMA_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

/// The schema URN of a resource type representation (RFC 7643 §6).
pub const RESOURCE_TYPE_SCHEMA_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";

impl AttrType {
    /// The RFC 7643 §2.3 / §7 spelling, e.g. `dateTime`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Boolean => "boolean",
            Self::Decimal => "decimal",
            Self::Integer => "integer",
            Self::DateTime => "dateTime",
            Self::Binary => "binary",
            Self::Reference => "reference",
            Self::Complex => "complex",
        }
    }
}

impl Mutability {
    /// The RFC 7643 §2.2 / §7 spelling, e.g. `readOnly`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ReadOnly => "readOnly",
            Self::ReadWrite => "readWrite",
            Self::Immutable => "immutable",
            Self::WriteOnly => "writeOnly",
        }
    }
}

impl Returned {
    /// The RFC 7643 §2.2 / §7 spelling, e.g. `default`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Always => "always",
            Self::Never => "never",
            Self::Default => "default",
            Self::Request => "request",
        }
    }
}

impl Uniqueness {
    /// The RFC 7643 §2.2 / §7 spelling, e.g. `server`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Server => "server",
            Self::Global => "global",
        }
    }
}

/// The RFC 7643 §7 representation of `schema`, with `meta.location` under `base_url`
/// (e.g. `http://host:8080/scim/v2`, no trailing slash).
pub fn schema_json(schema: &SchemaDef, base_url: &str) -> Value {
    json!({
        "schemas": [SCHEMA_SCHEMA_URN],
        "id": schema.id,
        "name": schema.name,
        "description": schema.description,
        "attributes": attributes_json(schema.attributes),
        "meta": {
            "resourceType": "Schema",
            "location": format!("{base_url}/Schemas/{}", schema.id),
        },
    })
}

/// The RFC 7643 §6 representation of `rt`, with `meta.location` under `base_url`.
pub fn resource_type_json(rt: &ResourceTypeDef, base_url: &str) -> Value {
    let extensions: Vec<Value> = rt
        .extensions
        .iter()
        .map(|(schema, required)| json!({ "schema": schema.id, "required": required }))
        .collect();
    json!({
        "schemas": [RESOURCE_TYPE_SCHEMA_URN],
        "id": rt.id,
        "name": rt.name,
        "endpoint": rt.endpoint,
        "description": rt.description,
        "schema": rt.schema.id,
        "schemaExtensions": extensions,
        "meta": {
            "resourceType": "ResourceType",
            "location": format!("{base_url}/ResourceTypes/{}", rt.id),
        },
    })
}

fn attributes_json(attributes: &[AttributeDef]) -> Value {
    Value::Array(attributes.iter().map(attribute_json).collect())
}

/// One attribute definition (RFC 7643 §7 `attributes`), keys in §8.7.1 order.
/// `caseExact` and `uniqueness` are rendered for every type (§8.7.1 omits them for some
/// booleans and complex attributes; their values there are the §2.2 defaults anyway).
fn attribute_json(attribute: &AttributeDef) -> Value {
    let mut object = Map::new();
    object.insert("name".into(), attribute.name.into());
    object.insert("type".into(), attribute.attr_type.as_str().into());
    if attribute.attr_type == AttrType::Reference {
        object.insert("referenceTypes".into(), strings(attribute.reference_types));
    }
    object.insert("multiValued".into(), attribute.multi_valued.into());
    object.insert("description".into(), attribute.description.into());
    object.insert("required".into(), attribute.required.into());
    object.insert("caseExact".into(), attribute.case_exact.into());
    if !attribute.canonical_values.is_empty() {
        object.insert(
            "canonicalValues".into(),
            strings(attribute.canonical_values),
        );
    }
    if attribute.is_complex() {
        object.insert(
            "subAttributes".into(),
            attributes_json(attribute.sub_attributes),
        );
    }
    object.insert("mutability".into(), attribute.mutability.as_str().into());
    object.insert("returned".into(), attribute.returned.as_str().into());
    object.insert("uniqueness".into(), attribute.uniqueness.as_str().into());
    Value::Object(object)
}

fn strings(values: &[&str]) -> Value {
    Value::Array(values.iter().map(|&value| value.into()).collect())
}

#[cfg(test)]
mod tests {
    use super::super::registry::{GROUP_RESOURCE, SCHEMAS, USER_RESOURCE};
    use super::super::user::USER;
    use super::*;

    const BASE: &str = "http://host:8080/scim/v2";

    fn attribute<'a>(schema: &'a Value, name: &str) -> &'a Value {
        schema["attributes"]
            .as_array()
            .and_then(|all| all.iter().find(|a| a["name"] == name))
            .unwrap_or(&Value::Null)
    }

    #[test]
    fn the_user_schema_renders_its_header_and_meta() {
        let json = schema_json(&USER, BASE);
        assert_eq!(json["schemas"], json!([SCHEMA_SCHEMA_URN]));
        assert_eq!(json["id"], USER.id);
        assert_eq!(json["name"], "User");
        assert_eq!(json["description"], "User Account");
        assert_eq!(json["meta"]["resourceType"], "Schema");
        assert_eq!(
            json["meta"]["location"],
            "http://host:8080/scim/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:User"
        );
        assert_eq!(json["attributes"].as_array().map(Vec::len), Some(21));
    }

    #[test]
    fn user_name_and_password_render_every_characteristic() {
        let json = schema_json(&USER, BASE);
        let user_name = attribute(&json, "userName");
        assert_eq!(user_name["type"], "string");
        assert_eq!(user_name["multiValued"], false);
        assert_eq!(user_name["required"], true);
        assert_eq!(user_name["caseExact"], false);
        assert_eq!(user_name["mutability"], "readWrite");
        assert_eq!(user_name["returned"], "default");
        assert_eq!(user_name["uniqueness"], "server");
        assert!(
            user_name["description"]
                .as_str()
                .is_some_and(|d| d.ends_with("REQUIRED."))
        );
        assert!(user_name.get("subAttributes").is_none());
        assert!(user_name.get("canonicalValues").is_none());
        let password = attribute(&json, "password");
        assert_eq!(password["mutability"], "writeOnly");
        assert_eq!(password["returned"], "never");
    }

    #[test]
    fn complex_and_reference_attributes_render_their_extra_keys() {
        let json = schema_json(&USER, BASE);
        let emails = attribute(&json, "emails");
        assert_eq!(emails["type"], "complex");
        assert_eq!(emails["multiValued"], true);
        let subs = emails["subAttributes"].as_array().map(Vec::len);
        assert_eq!(subs, Some(4));
        assert_eq!(emails["subAttributes"][2]["name"], "type");
        assert_eq!(
            emails["subAttributes"][2]["canonicalValues"],
            json!(["work", "home", "other"])
        );
        assert_eq!(
            attribute(&json, "profileUrl")["referenceTypes"],
            json!(["external"])
        );
        let groups = attribute(&json, "groups");
        assert_eq!(groups["mutability"], "readOnly");
        assert_eq!(groups["subAttributes"][1]["name"], "$ref");
        assert_eq!(
            groups["subAttributes"][1]["referenceTypes"],
            json!(["User", "Group"])
        );
    }

    #[test]
    fn key_order_follows_the_rfc_representation() {
        let json = schema_json(&USER, BASE);
        let keys: Vec<&str> = json
            .as_object()
            .map_or(vec![], |o| o.keys().map(String::as_str).collect());
        assert_eq!(
            keys,
            ["schemas", "id", "name", "description", "attributes", "meta"]
        );
        let photo_value = &attribute(&json, "photos")["subAttributes"][0];
        let keys: Vec<&str> = photo_value
            .as_object()
            .map_or(vec![], |o| o.keys().map(String::as_str).collect());
        assert_eq!(
            keys,
            [
                "name",
                "type",
                "referenceTypes",
                "multiValued",
                "description",
                "required",
                "caseExact",
                "mutability",
                "returned",
                "uniqueness"
            ]
        );
    }

    #[test]
    fn every_schema_renders_to_json_that_round_trips() {
        for schema in SCHEMAS {
            let json = schema_json(schema, BASE);
            let text = serde_json::to_string_pretty(&json).expect("serialize");
            let parsed: Value = serde_json::from_str(&text).expect("valid JSON");
            assert_eq!(parsed, json);
            assert_eq!(
                json["attributes"].as_array().map(Vec::len),
                Some(schema.attributes.len())
            );
        }
    }

    #[test]
    fn resource_types_render_endpoint_schema_and_extensions() {
        let user = resource_type_json(&USER_RESOURCE, BASE);
        assert_eq!(user["schemas"], json!([RESOURCE_TYPE_SCHEMA_URN]));
        assert_eq!(user["id"], "User");
        assert_eq!(user["endpoint"], "/Users");
        assert_eq!(user["description"], "User Account");
        assert_eq!(user["schema"], "urn:ietf:params:scim:schemas:core:2.0:User");
        assert_eq!(
            user["schemaExtensions"],
            json!([{
                "schema": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
                "required": false
            }])
        );
        assert_eq!(user["meta"]["resourceType"], "ResourceType");
        assert_eq!(
            user["meta"]["location"],
            "http://host:8080/scim/v2/ResourceTypes/User"
        );
        let group = resource_type_json(&GROUP_RESOURCE, BASE);
        assert_eq!(group["endpoint"], "/Groups");
        assert_eq!(group["schemaExtensions"], json!([]));
    }

    #[test]
    fn enum_spellings_match_rfc_7643() {
        assert_eq!(AttrType::DateTime.as_str(), "dateTime");
        assert_eq!(Mutability::WriteOnly.as_str(), "writeOnly");
        assert_eq!(Returned::Request.as_str(), "request");
        assert_eq!(Uniqueness::Global.as_str(), "global");
    }
}
