//! The core Group schema, `urn:ietf:params:scim:schemas:core:2.0:Group` (RFC 7643 §4.2),
//! with the characteristics and descriptions of its §8.7.1 representation, plus two
//! deliberate changes documented on the items below.

use super::types::{AttributeDef, SchemaDef};

/// The Group schema (RFC 7643 §4.2, §8.7.1).
pub static GROUP: SchemaDef = SchemaDef {
    id: "urn:ietf:params:scim:schemas:core:2.0:Group",
    name: "Group",
    description: "Group",
    attributes: &GROUP_ATTRIBUTES,
};

static GROUP_ATTRIBUTES: [AttributeDef; 2] = [
    // §8.7.1 says `required: false`, but §4.2 defines displayName as "REQUIRED" (as does
    // the description itself), and every identity provider sends it; we enforce it.
    AttributeDef::string(
        "displayName",
        "A human-readable name for the Group. REQUIRED.",
    )
    .required(),
    AttributeDef::complex("members", "A list of members of the Group.", &MEMBER_SUBS).multi(),
];

/// `members`' sub-attributes: §4.2 makes them immutable (members are added and removed
/// whole, never edited in place).
static MEMBER_SUBS: [AttributeDef; 4] = [
    AttributeDef::string("value", "Identifier of the member of this Group.").immutable(),
    AttributeDef::reference(
        "$ref",
        "The URI corresponding to a SCIM resource that is a member of this Group.",
    )
    .references(&["User", "Group"])
    .immutable(),
    AttributeDef::string(
        "type",
        "A label indicating the type of resource, e.g., 'User' or 'Group'.",
    )
    .canonical(&["User", "Group"])
    .immutable(),
    // Not in §8.7.1, but members carry `display` in the §8.4 example (and §2.4 defines
    // `display` for multi-valued attributes generally), and clients send it. The server fills it from the member's displayName, so it is
    // readOnly; the description is the RFC's shared `display` text (§2.4, §8.7.1).
    AttributeDef::string(
        "display",
        "A human-readable name, primarily used for display purposes. READ-ONLY.",
    )
    .read_only(),
];

#[cfg(test)]
mod tests {
    use super::super::types::Mutability;
    use super::*;

    #[test]
    fn display_name_is_required_and_members_are_multi_valued() {
        let display_name = GROUP.attribute("displayname").expect("displayName");
        assert!(display_name.required);
        let members = GROUP.attribute("Members").expect("members");
        assert!(members.multi_valued && members.is_complex());
    }

    #[test]
    fn member_sub_attributes_are_immutable_except_the_read_only_display() {
        let members = GROUP.attribute("members").expect("members");
        for name in ["value", "$ref", "type"] {
            let sub = members.sub_attribute(name).expect("member sub-attribute");
            assert_eq!(sub.mutability, Mutability::Immutable, "{name}");
        }
        let display = members.sub_attribute("display").expect("display");
        assert_eq!(display.mutability, Mutability::ReadOnly);
        let kind = members.sub_attribute("type").expect("type");
        assert_eq!(kind.canonical_values, ["User", "Group"]);
    }
}
