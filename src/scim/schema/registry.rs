//! The registry: the resource types this server offers (RFC 7643 §6), the schemas they use,
//! and attribute resolution across core schema, extensions and common attributes.

use super::common::common_attribute;
use super::enterprise_user::ENTERPRISE_USER;
use super::group::GROUP;
use super::types::{AttributeDef, ResourceTypeDef, SchemaDef};
use super::user::USER;

/// The User resource type (RFC 7643 §6, example in §8.6), with the optional Enterprise User
/// extension.
pub static USER_RESOURCE: ResourceTypeDef = ResourceTypeDef {
    id: "User",
    name: "User",
    endpoint: "/Users",
    description: "User Account",
    schema: &USER,
    extensions: &[(&ENTERPRISE_USER, false)],
};

/// The Group resource type (RFC 7643 §6, example in §8.6).
pub static GROUP_RESOURCE: ResourceTypeDef = ResourceTypeDef {
    id: "Group",
    name: "Group",
    endpoint: "/Groups",
    description: "Group",
    schema: &GROUP,
    extensions: &[],
};

/// Every resource type, in the order `/ResourceTypes` lists them.
pub static RESOURCE_TYPES: [&ResourceTypeDef; 2] = [&USER_RESOURCE, &GROUP_RESOURCE];

/// Every resource schema, in the order `/Schemas` lists them.
pub static SCHEMAS: [&SchemaDef; 3] = [&USER, &ENTERPRISE_USER, &GROUP];

/// The schema with URN `id`, compared case-insensitively (URNs are, RFC 8141 §3.1, and
/// RFC 7643 §2.1 makes schema URIs case-insensitive in attribute paths).
pub fn schema_by_id(id: &str) -> Option<&'static SchemaDef> {
    SCHEMAS
        .iter()
        .copied()
        .find(|schema| schema.id.eq_ignore_ascii_case(id))
}

/// The resource type whose `id` or `name` is `name`, compared case-insensitively.
pub fn resource_type(name: &str) -> Option<&'static ResourceTypeDef> {
    RESOURCE_TYPES
        .iter()
        .copied()
        .find(|rt| rt.id.eq_ignore_ascii_case(name) || rt.name.eq_ignore_ascii_case(name))
}

/// Where a resolved attribute is defined.
#[derive(Debug, Clone, Copy)]
pub enum AttributeOrigin {
    /// A common attribute, `id`, `externalId` or `meta` (RFC 7643 §3.1): top level of the
    /// resource, in no schema's attribute list.
    Common,
    /// The resource type's core schema: top level of the resource.
    Core(&'static SchemaDef),
    /// A schema extension: nested under the extension's URN in the resource
    /// (RFC 7643 §3.3).
    Extension(&'static SchemaDef),
}

impl AttributeOrigin {
    /// The defining schema, or `None` for a common attribute.
    pub const fn schema(self) -> Option<&'static SchemaDef> {
        match self {
            Self::Common => None,
            Self::Core(schema) | Self::Extension(schema) => Some(schema),
        }
    }

    /// Whether the attribute lives under an extension URN in the JSON representation.
    pub const fn is_extension(self) -> bool {
        matches!(self, Self::Extension(_))
    }
}

/// An attribute found by [`ResourceTypeDef::find_attribute`], with where it is defined.
#[derive(Debug, Clone, Copy)]
pub struct ResolvedAttribute {
    /// The core schema, an extension, or the common attributes.
    pub origin: AttributeOrigin,
    /// The attribute's definition.
    pub attribute: &'static AttributeDef,
}

impl ResourceTypeDef {
    /// The core schema followed by the extension schemas, in declaration order.
    pub fn all_schemas(&self) -> impl Iterator<Item = &'static SchemaDef> + use<> {
        std::iter::once(self.schema).chain(self.extensions.iter().map(|&(schema, _)| schema))
    }

    /// The extension schemas with whether each is required (RFC 7643 §6
    /// `schemaExtensions`).
    pub fn extension_schemas(&self) -> impl Iterator<Item = (&'static SchemaDef, bool)> + use<> {
        self.extensions.iter().copied()
    }

    /// The core or extension schema of this resource type with URN `urn`
    /// (case-insensitive); `None` for a schema this resource type does not use.
    pub fn schema_by_urn(&self, urn: &str) -> Option<&'static SchemaDef> {
        self.all_schemas()
            .find(|schema| schema.id.eq_ignore_ascii_case(urn))
    }

    /// Resolves the top-level attribute `name`, optionally qualified by the schema URN
    /// `urn` (the `[URI ":"] ATTRNAME` of an RFC 7644 §3.4.2.2 `attrPath`; resolve a
    /// `subAttr` on the result with [`AttributeDef::sub_attribute`]). Names and URNs are
    /// compared case-insensitively (RFC 7643 §2.1).
    ///
    /// - With the core schema's URN: a core attribute, or a common attribute (§3.1: common
    ///   attributes are "part of every base resource schema").
    /// - With an extension's URN: an attribute of that extension only.
    /// - Without a URN: a common attribute (whose §3.1 characteristics take precedence),
    ///   else a core attribute, else an attribute of exactly one extension. A name two
    ///   extensions share is ambiguous without its URN and resolves to `None`.
    ///
    /// Returns `None` for unknown names and for URNs this resource type does not use.
    pub fn find_attribute(&self, urn: Option<&str>, name: &str) -> Option<ResolvedAttribute> {
        let common = || {
            common_attribute(name).map(|attribute| ResolvedAttribute {
                origin: AttributeOrigin::Common,
                attribute,
            })
        };
        let core = || {
            self.schema
                .attribute(name)
                .map(|attribute| ResolvedAttribute {
                    origin: AttributeOrigin::Core(self.schema),
                    attribute,
                })
        };
        let mut in_extensions = self
            .extensions
            .iter()
            .filter(|(schema, _)| urn.is_none_or(|urn| schema.id.eq_ignore_ascii_case(urn)))
            .filter_map(|&(schema, _)| {
                schema.attribute(name).map(|attribute| ResolvedAttribute {
                    origin: AttributeOrigin::Extension(schema),
                    attribute,
                })
            });
        match urn {
            Some(urn) if urn.eq_ignore_ascii_case(self.schema.id) => core().or_else(common),
            Some(_) => in_extensions.next(),
            None => common().or_else(core).or_else(|| {
                let found = in_extensions.next();
                // Unambiguous only if no other extension defines the same name.
                match in_extensions.next() {
                    None => found,
                    Some(_) => None,
                }
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::common::COMMON_ATTRIBUTES;
    use super::*;
    use std::collections::HashSet;

    const CORE_USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
    const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

    fn origin_id(found: Option<ResolvedAttribute>) -> Option<&'static str> {
        found
            .and_then(|r| r.origin.schema())
            .map(|schema| schema.id)
    }

    #[test]
    fn a_bare_core_name_resolves_to_the_core_schema() {
        let found = USER_RESOURCE.find_attribute(None, "userName");
        assert_eq!(found.map(|r| r.attribute.name), Some("userName"));
        assert!(matches!(
            found.map(|r| r.origin),
            Some(AttributeOrigin::Core(_))
        ));
        assert_eq!(origin_id(found), Some(CORE_USER));
    }

    #[test]
    fn a_urn_qualified_core_name_resolves_case_insensitively() {
        let urn = CORE_USER.to_ascii_uppercase();
        let found = USER_RESOURCE.find_attribute(Some(&urn), "USERNAME");
        assert_eq!(found.map(|r| r.attribute.name), Some("userName"));
        assert_eq!(origin_id(found), Some(CORE_USER));
    }

    #[test]
    fn urn_qualified_and_bare_extension_names_resolve_to_the_extension() {
        for urn in [Some(ENTERPRISE), None] {
            let found = USER_RESOURCE.find_attribute(urn, "department");
            assert_eq!(found.map(|r| r.attribute.name), Some("department"));
            assert!(found.is_some_and(|r| r.origin.is_extension()));
            assert_eq!(origin_id(found), Some(ENTERPRISE));
        }
    }

    #[test]
    fn a_urn_restricts_the_lookup_to_its_own_schema() {
        assert!(
            USER_RESOURCE
                .find_attribute(Some(ENTERPRISE), "userName")
                .is_none()
        );
        assert!(
            USER_RESOURCE
                .find_attribute(Some(CORE_USER), "department")
                .is_none()
        );
        assert!(
            USER_RESOURCE
                .find_attribute(Some("urn:unknown"), "userName")
                .is_none()
        );
        assert!(
            GROUP_RESOURCE
                .find_attribute(Some(ENTERPRISE), "department")
                .is_none()
        );
        assert!(GROUP_RESOURCE.find_attribute(None, "department").is_none());
    }

    #[test]
    fn common_attributes_resolve_bare_or_under_the_core_urn() {
        for name in ["id", "EXTERNALID", "meta"] {
            for rt in RESOURCE_TYPES {
                let found = rt.find_attribute(None, name);
                assert!(matches!(
                    found.map(|r| r.origin),
                    Some(AttributeOrigin::Common)
                ));
                let qualified = rt.find_attribute(Some(rt.schema.id), name);
                assert!(qualified.is_some_and(|r| r.origin.schema().is_none()));
            }
        }
        assert!(
            USER_RESOURCE
                .find_attribute(Some(ENTERPRISE), "id")
                .is_none()
        );
        assert!(USER_RESOURCE.find_attribute(None, "nonexistent").is_none());
    }

    #[test]
    fn sub_attributes_resolve_from_the_found_attribute() {
        let family = USER_RESOURCE
            .find_attribute(None, "Name")
            .and_then(|r| r.attribute.sub_attribute("FamilyName"));
        assert_eq!(family.map(|a| a.name), Some("familyName"));
        let manager = USER_RESOURCE
            .find_attribute(Some(ENTERPRISE), "manager")
            .and_then(|r| r.attribute.sub_attribute("value"));
        assert!(manager.is_some());
    }

    #[test]
    fn schemas_and_resource_types_are_found_case_insensitively() {
        assert_eq!(
            schema_by_id(&ENTERPRISE.to_uppercase()).map(|s| s.name),
            Some("EnterpriseUser")
        );
        assert!(schema_by_id("urn:ietf:params:scim:schemas:core:2.0:Nope").is_none());
        assert_eq!(resource_type("user").map(|rt| rt.endpoint), Some("/Users"));
        assert_eq!(
            resource_type("GROUP").map(|rt| rt.endpoint),
            Some("/Groups")
        );
        assert!(resource_type("Device").is_none());
        assert_eq!(RESOURCE_TYPES[0].id, "User");
    }

    #[test]
    fn all_schemas_lists_the_core_schema_then_its_extensions() {
        let ids: Vec<&str> = USER_RESOURCE.all_schemas().map(|s| s.id).collect();
        assert_eq!(ids, [CORE_USER, ENTERPRISE]);
        assert_eq!(GROUP_RESOURCE.all_schemas().count(), 1);
        assert_eq!(
            USER_RESOURCE.schema_by_urn(ENTERPRISE).map(|s| s.id),
            Some(ENTERPRISE)
        );
        assert!(GROUP_RESOURCE.schema_by_urn(ENTERPRISE).is_none());
        let optional: Vec<bool> = USER_RESOURCE.extension_schemas().map(|(_, r)| r).collect();
        assert_eq!(optional, [false]);
    }

    fn assert_unique(attributes: &[AttributeDef], context: &str) {
        let mut seen = HashSet::new();
        for attribute in attributes {
            let key = attribute.name.to_ascii_lowercase();
            assert!(
                seen.insert(key),
                "duplicate {} in {context}",
                attribute.name
            );
            assert_unique(attribute.sub_attributes, attribute.name);
        }
    }

    #[test]
    fn no_schema_defines_an_attribute_name_twice_at_any_level() {
        for schema in SCHEMAS {
            assert_unique(schema.attributes, schema.id);
        }
        assert_unique(&COMMON_ATTRIBUTES, "common attributes");
    }

    #[test]
    fn no_schema_redefines_a_common_attribute() {
        for schema in SCHEMAS {
            for common in &COMMON_ATTRIBUTES {
                assert!(schema.attribute(common.name).is_none(), "{}", schema.id);
            }
        }
    }

    #[test]
    fn every_complex_attribute_has_sub_attributes_and_no_others_do() {
        fn check(attributes: &[AttributeDef]) {
            for attribute in attributes {
                assert_eq!(
                    attribute.is_complex(),
                    !attribute.sub_attributes.is_empty(),
                    "{}",
                    attribute.name
                );
                check(attribute.sub_attributes);
            }
        }
        for schema in SCHEMAS {
            check(schema.attributes);
        }
        check(&COMMON_ATTRIBUTES);
    }
}
