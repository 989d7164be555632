//! The Enterprise User extension, `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`
//! (RFC 7643 §4.3), with the characteristics and descriptions of its §8.7.1 representation.

use super::types::{AttributeDef, SchemaDef};

/// The Enterprise User schema extension (RFC 7643 §4.3, §8.7.1).
pub static ENTERPRISE_USER: SchemaDef = SchemaDef {
    id: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
    name: "EnterpriseUser",
    description: "Enterprise User",
    attributes: &ENTERPRISE_USER_ATTRIBUTES,
};

static ENTERPRISE_USER_ATTRIBUTES: [AttributeDef; 6] = [
    AttributeDef::string(
        "employeeNumber",
        "Numeric or alphanumeric identifier assigned to a person, typically based on order \
         of hire or association with an organization.",
    ),
    AttributeDef::string("costCenter", "Identifies the name of a cost center."),
    AttributeDef::string("organization", "Identifies the name of an organization."),
    AttributeDef::string("division", "Identifies the name of a division."),
    AttributeDef::string("department", "Identifies the name of a department."),
    AttributeDef::complex(
        "manager",
        "The User's manager. A complex type that optionally allows service providers to \
         represent organizational hierarchy by referencing the 'id' attribute of another \
         User.",
        &MANAGER_SUBS,
    ),
];

/// `manager`'s sub-attributes. §8.7.1 marks `value` and `$ref` `required: false` although
/// their descriptions say "REQUIRED"; we keep §8.7.1's characteristic, since clients
/// commonly send `value` alone (the server can derive `$ref` from it).
static MANAGER_SUBS: [AttributeDef; 3] = [
    AttributeDef::string(
        "value",
        "The id of the SCIM resource representing the User's manager. REQUIRED.",
    ),
    AttributeDef::reference(
        "$ref",
        "The URI of the SCIM resource representing the User's manager. REQUIRED.",
    )
    .references(&["User"]),
    AttributeDef::string(
        "displayName",
        "The displayName of the User's manager. OPTIONAL and READ-ONLY.",
    )
    .read_only(),
];

#[cfg(test)]
mod tests {
    use super::super::types::{AttrType, Mutability};
    use super::*;

    #[test]
    fn every_attribute_of_rfc_7643_section_4_3_is_present() {
        let defined: Vec<&str> = ENTERPRISE_USER.attributes.iter().map(|a| a.name).collect();
        assert_eq!(
            defined,
            [
                "employeeNumber",
                "costCenter",
                "organization",
                "division",
                "department",
                "manager"
            ]
        );
    }

    #[test]
    fn manager_display_name_is_read_only_and_ref_points_to_users() {
        let manager = ENTERPRISE_USER.attribute("MANAGER").expect("manager");
        let display = manager.sub_attribute("displayname").expect("displayName");
        assert_eq!(display.mutability, Mutability::ReadOnly);
        let reference = manager.sub_attribute("$ref").expect("$ref");
        assert_eq!(reference.attr_type, AttrType::Reference);
        assert_eq!(reference.reference_types, ["User"]);
    }
}
