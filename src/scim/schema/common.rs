//! The common attributes `id`, `externalId` and `meta` (RFC 7643 §3.1).
//!
//! §3.1 considers them "part of every base resource schema" without their own "schemas"
//! URI, and the §8.7.1 schema representations do not list them, so `/Schemas` does not
//! render them. They are defined here in the same form as schema attributes so that
//! validation, filtering and projection can treat them uniformly. Descriptions are the
//! opening sentences of §3.1's definitions.

use super::builders::find;
use super::types::AttributeDef;

/// `id`, `externalId` and `meta`, with the characteristics RFC 7643 §3.1 gives them.
pub static COMMON_ATTRIBUTES: [AttributeDef; 3] = [
    // §3.1: caseExact, readOnly, returned always; unique across the provider's resources.
    // §3.1 calls `id` REQUIRED of every representation, but the service provider always
    // assigns it and clients must not send it, so request validation must not demand it:
    // `required` stays false.
    AttributeDef::string(
        "id",
        "A unique identifier for a SCIM resource as defined by the service provider.",
    )
    .case_exact()
    .read_only()
    .returned_always()
    .unique_server(),
    // §3.1: caseExact, readWrite, OPTIONAL.
    AttributeDef::string(
        "externalId",
        "A String that is an identifier for the resource as defined by the provisioning \
         client.",
    )
    .case_exact(),
    // §3.1: readOnly; the sub-attributes are all assigned by the service provider.
    AttributeDef::complex(
        "meta",
        "A complex attribute containing resource metadata.",
        &META_SUBS,
    )
    .read_only(),
];

/// The common attribute `name` (`id`, `externalId` or `meta`), compared case-insensitively.
pub fn common_attribute(name: &str) -> Option<&'static AttributeDef> {
    find(&COMMON_ATTRIBUTES, name)
}

static META_SUBS: [AttributeDef; 5] = [
    AttributeDef::string(
        "resourceType",
        "The name of the resource type of the resource.",
    )
    .case_exact()
    .read_only(),
    AttributeDef::date_time(
        "created",
        "The \"DateTime\" that the resource was added to the service provider.",
    )
    .read_only(),
    AttributeDef::date_time(
        "lastModified",
        "The most recent DateTime that the details of this resource were updated at the \
         service provider.",
    )
    .read_only(),
    AttributeDef::reference("location", "The URI of the resource being returned.")
        .references(&["uri"])
        .case_exact()
        .read_only(),
    // An entity tag (RFC 7644 §3.14): compared exactly.
    AttributeDef::string("version", "The version of the resource being returned.")
        .case_exact()
        .read_only(),
];

#[cfg(test)]
mod tests {
    use super::super::types::{AttrType, Mutability, Returned, Uniqueness};
    use super::*;

    #[test]
    fn id_is_read_only_case_exact_unique_and_always_returned() {
        let id = common_attribute("ID").expect("id");
        assert_eq!(id.returned, Returned::Always);
        assert_eq!(id.mutability, Mutability::ReadOnly);
        assert_eq!(id.uniqueness, Uniqueness::Server);
        assert!(id.case_exact);
    }

    #[test]
    fn external_id_is_writable_and_case_exact() {
        let external_id = common_attribute("externalid").expect("externalId");
        assert_eq!(external_id.mutability, Mutability::ReadWrite);
        assert!(external_id.case_exact);
    }

    #[test]
    fn meta_is_read_only_with_date_time_timestamps() {
        let meta = common_attribute("meta").expect("meta");
        assert_eq!(meta.mutability, Mutability::ReadOnly);
        assert!(
            meta.sub_attributes
                .iter()
                .all(|sub| sub.mutability == Mutability::ReadOnly)
        );
        for name in ["created", "lastModified"] {
            let sub = meta.sub_attribute(name).expect("timestamp");
            assert_eq!(sub.attr_type, AttrType::DateTime);
        }
        let location = meta.sub_attribute("LOCATION").expect("location");
        assert_eq!(location.reference_types, ["uri"]);
    }
}
