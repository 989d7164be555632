//! The core User schema, `urn:ietf:params:scim:schemas:core:2.0:User` (RFC 7643 §4.1).
//!
//! Attribute order, characteristics and descriptions follow the schema representation of
//! RFC 7643 §8.7.1 (descriptions re-joined from the RFC's line-wrapped text with single
//! spaces). The one addition is `addresses.primary`, defined in §4.1.2 and §2.4 but
//! missing from §8.7.1. The common attributes `id`, `externalId` and `meta` are not listed
//! here (§3.1, §8.7.1); see `super::common`.

use super::types::{AttributeDef, SchemaDef};
use super::user_subs::{
    ADDRESS_SUBS, EMAIL_SUBS, ENTITLEMENT_SUBS, GROUP_SUBS, IM_SUBS, NAME_SUBS, PHONE_NUMBER_SUBS,
    PHOTO_SUBS, ROLE_SUBS, X509_CERTIFICATE_SUBS,
};

/// The User schema (RFC 7643 §4.1, §8.7.1).
pub static USER: SchemaDef = SchemaDef {
    id: "urn:ietf:params:scim:schemas:core:2.0:User",
    name: "User",
    description: "User Account",
    attributes: &USER_ATTRIBUTES,
};

static USER_ATTRIBUTES: [AttributeDef; 21] = [
    // §4.1.1 Singular attributes.
    AttributeDef::string(
        "userName",
        "Unique identifier for the User, typically used by the user to directly \
         authenticate to the service provider. Each User MUST include a non-empty userName \
         value. This identifier MUST be unique across the service provider's entire set of \
         Users. REQUIRED.",
    )
    .required()
    .case_insensitive()
    .unique_server(),
    AttributeDef::complex(
        "name",
        "The components of the user's real name. Providers MAY return just the full name as \
         a single string in the formatted sub-attribute, or they MAY return just the \
         individual component attributes using the other sub-attributes, or they MAY return \
         both. If both variants are returned, they SHOULD be describing the same name, with \
         the formatted name indicating how the component attributes should be combined.",
        &NAME_SUBS,
    ),
    AttributeDef::string(
        "displayName",
        "The name of the User, suitable for display to end-users. The name SHOULD be the \
         full name of the User being described, if known.",
    ),
    AttributeDef::string(
        "nickName",
        "The casual way to address the user in real life, e.g., 'Bob' or 'Bobby' instead of \
         'Robert'. This attribute SHOULD NOT be used to represent a User's username (e.g., \
         'bjensen' or 'mpepperidge').",
    ),
    AttributeDef::reference(
        "profileUrl",
        "A fully qualified URL pointing to a page representing the User's online profile.",
    )
    .references(&["external"]),
    AttributeDef::string("title", "The user's title, such as \"Vice President.\""),
    AttributeDef::string(
        "userType",
        "Used to identify the relationship between the organization and the user. Typical \
         values used might be 'Contractor', 'Employee', 'Intern', 'Temp', 'External', and \
         'Unknown', but any value may be used.",
    ),
    AttributeDef::string(
        "preferredLanguage",
        "Indicates the User's preferred written or spoken language. Generally used for \
         selecting a localized user interface; e.g., 'en_US' specifies the language English \
         and country US.",
    ),
    AttributeDef::string(
        "locale",
        "Used to indicate the User's default location for purposes of localizing items such \
         as currency, date time format, or numerical representations.",
    ),
    AttributeDef::string(
        "timezone",
        "The User's time zone in the 'Olson' time zone database format, e.g., \
         'America/Los_Angeles'.",
    ),
    AttributeDef::boolean(
        "active",
        "A Boolean value indicating the User's administrative status.",
    ),
    // §4.1.1: the password is never returned, in any form (§7 `returned: never`).
    AttributeDef::string(
        "password",
        "The User's cleartext password. This attribute is intended to be used as a means to \
         specify an initial password when creating a new User or to reset an existing \
         User's password.",
    )
    .write_only()
    .returned_never(),
    // §4.1.2 Multi-valued attributes.
    AttributeDef::complex(
        "emails",
        "Email addresses for the user. The value SHOULD be canonicalized by the service \
         provider, e.g., 'bjensen@example.com' instead of 'bjensen@EXAMPLE.COM'. Canonical \
         type values of 'work', 'home', and 'other'.",
        &EMAIL_SUBS,
    )
    .multi(),
    AttributeDef::complex(
        "phoneNumbers",
        "Phone numbers for the User. The value SHOULD be canonicalized by the service \
         provider according to the format specified in RFC 3966, e.g., \
         'tel:+1-201-555-0123'. Canonical type values of 'work', 'home', 'mobile', 'fax', \
         'pager', and 'other'.",
        &PHONE_NUMBER_SUBS,
    )
    .multi(),
    AttributeDef::complex("ims", "Instant messaging addresses for the User.", &IM_SUBS).multi(),
    AttributeDef::complex("photos", "URLs of photos of the User.", &PHOTO_SUBS).multi(),
    AttributeDef::complex(
        "addresses",
        "A physical mailing address for this User. Canonical type values of 'work', 'home', \
         and 'other'. This attribute is a complex type with the following sub-attributes.",
        &ADDRESS_SUBS,
    )
    .multi(),
    // §4.1.2: group membership is changed through the Group resource only, hence readOnly.
    AttributeDef::complex(
        "groups",
        "A list of groups to which the user belongs, either through direct membership, \
         through nested groups, or dynamically calculated.",
        &GROUP_SUBS,
    )
    .multi()
    .read_only(),
    AttributeDef::complex(
        "entitlements",
        "A list of entitlements for the User that represent a thing the User has.",
        &ENTITLEMENT_SUBS,
    )
    .multi(),
    AttributeDef::complex(
        "roles",
        "A list of roles for the User that collectively represent who the User is, e.g., \
         'Student', 'Faculty'.",
        &ROLE_SUBS,
    )
    .multi(),
    AttributeDef::complex(
        "x509Certificates",
        "A list of certificates issued to the User.",
        &X509_CERTIFICATE_SUBS,
    )
    .multi(),
];

#[cfg(test)]
mod tests {
    use super::super::types::{AttrType, Mutability, Returned, Uniqueness};
    use super::*;

    #[test]
    fn every_attribute_of_rfc_7643_section_4_1_is_present() {
        let names = [
            "userName",
            "name",
            "displayName",
            "nickName",
            "profileUrl",
            "title",
            "userType",
            "preferredLanguage",
            "locale",
            "timezone",
            "active",
            "password",
            "emails",
            "phoneNumbers",
            "ims",
            "photos",
            "addresses",
            "groups",
            "entitlements",
            "roles",
            "x509Certificates",
        ];
        let defined: Vec<&str> = USER.attributes.iter().map(|a| a.name).collect();
        assert_eq!(defined, names);
    }

    #[test]
    fn password_is_write_only_and_never_returned() {
        let password = USER.attribute("password").expect("password");
        assert_eq!(password.mutability, Mutability::WriteOnly);
        assert_eq!(password.returned, Returned::Never);
    }

    #[test]
    fn user_name_is_required_unique_per_server_and_case_insensitive() {
        let user_name = USER.attribute("userName").expect("userName");
        assert!(user_name.required);
        assert_eq!(user_name.uniqueness, Uniqueness::Server);
        assert!(!user_name.case_exact);
    }

    #[test]
    fn lookups_ignore_case_at_both_levels() {
        assert_eq!(USER.attribute("USERNAME").map(|a| a.name), Some("userName"));
        let family = USER
            .attribute("Name")
            .and_then(|name| name.sub_attribute("FamilyName"));
        assert_eq!(family.map(|a| a.name), Some("familyName"));
        assert!(USER.attribute("department").is_none());
    }

    #[test]
    fn multi_valued_attributes_carry_rfc_sub_attributes_and_canonical_values() {
        let emails = USER.attribute("emails").expect("emails");
        assert!(emails.multi_valued && emails.is_complex());
        let kinds = emails.sub_attribute("type").expect("emails.type");
        assert_eq!(kinds.canonical_values, ["work", "home", "other"]);
        let ims = USER.attribute("ims").and_then(|a| a.sub_attribute("type"));
        assert_eq!(ims.map(|a| a.canonical_values.len()), Some(8));
        let primary = USER
            .attribute("addresses")
            .and_then(|a| a.sub_attribute("primary"));
        assert_eq!(primary.map(|a| a.attr_type), Some(AttrType::Boolean));
        let cert = USER
            .attribute("x509Certificates")
            .and_then(|a| a.sub_attribute("value"));
        assert_eq!(cert.map(|a| a.attr_type), Some(AttrType::Binary));
    }

    #[test]
    fn groups_and_all_their_sub_attributes_are_read_only() {
        let groups = USER.attribute("groups").expect("groups");
        assert_eq!(groups.mutability, Mutability::ReadOnly);
        assert!(
            groups
                .sub_attributes
                .iter()
                .all(|sub| sub.mutability == Mutability::ReadOnly)
        );
        let reference = groups.sub_attribute("$REF").expect("groups.$ref");
        assert_eq!(reference.attr_type, AttrType::Reference);
    }
}
