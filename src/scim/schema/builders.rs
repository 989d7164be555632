//! Compact `const fn` construction of [`AttributeDef`]s and case-insensitive lookups.
//!
//! Every constructor starts from the defaults of RFC 7643 §2.2 (`required` false,
//! `caseExact` false, `mutability` readWrite, `returned` default, `uniqueness` none,
//! `multiValued` false); the chainable modifiers then state only what differs, so a
//! definition reads like the RFC's characteristics list:
//!
//! ```text
//! AttributeDef::string("userName", "Unique identifier …").required().unique_server()
//! ```

use super::types::{AttrType, AttributeDef, Mutability, Returned, SchemaDef, Uniqueness};

impl AttributeDef {
    /// An attribute of type `attr_type` with the RFC 7643 §2.2 default characteristics.
    pub const fn new(name: &'static str, attr_type: AttrType, description: &'static str) -> Self {
        Self {
            name,
            attr_type,
            multi_valued: false,
            description,
            required: false,
            case_exact: false,
            mutability: Mutability::ReadWrite,
            returned: Returned::Default,
            uniqueness: Uniqueness::None,
            canonical_values: &[],
            reference_types: &[],
            sub_attributes: &[],
        }
    }

    /// A `string` attribute (RFC 7643 §2.3.1).
    pub const fn string(name: &'static str, description: &'static str) -> Self {
        Self::new(name, AttrType::String, description)
    }

    /// A `boolean` attribute (RFC 7643 §2.3.2).
    pub const fn boolean(name: &'static str, description: &'static str) -> Self {
        Self::new(name, AttrType::Boolean, description)
    }

    /// A `decimal` attribute (RFC 7643 §2.3.3).
    pub const fn decimal(name: &'static str, description: &'static str) -> Self {
        Self::new(name, AttrType::Decimal, description)
    }

    /// An `integer` attribute (RFC 7643 §2.3.4).
    pub const fn integer(name: &'static str, description: &'static str) -> Self {
        Self::new(name, AttrType::Integer, description)
    }

    /// A `dateTime` attribute (RFC 7643 §2.3.5).
    pub const fn date_time(name: &'static str, description: &'static str) -> Self {
        Self::new(name, AttrType::DateTime, description)
    }

    /// A `binary` attribute (RFC 7643 §2.3.6): base64-encoded, case-exact by nature.
    pub const fn binary(name: &'static str, description: &'static str) -> Self {
        Self::new(name, AttrType::Binary, description)
    }

    /// A `reference` attribute (RFC 7643 §2.3.7); add its targets with [`Self::references`].
    pub const fn reference(name: &'static str, description: &'static str) -> Self {
        Self::new(name, AttrType::Reference, description)
    }

    /// A `complex` attribute (RFC 7643 §2.3.8) with its sub-attributes.
    pub const fn complex(
        name: &'static str,
        description: &'static str,
        sub_attributes: &'static [Self],
    ) -> Self {
        Self {
            sub_attributes,
            ..Self::new(name, AttrType::Complex, description)
        }
    }

    /// `multiValued: true`.
    pub const fn multi(self) -> Self {
        Self {
            multi_valued: true,
            ..self
        }
    }

    /// `required: true`.
    pub const fn required(self) -> Self {
        Self {
            required: true,
            ..self
        }
    }

    /// `caseExact: true`.
    pub const fn case_exact(self) -> Self {
        Self {
            case_exact: true,
            ..self
        }
    }

    /// `caseExact: false` (the default; stated for readability where the RFC stresses it).
    pub const fn case_insensitive(self) -> Self {
        Self {
            case_exact: false,
            ..self
        }
    }

    /// `mutability: readOnly`.
    pub const fn read_only(self) -> Self {
        self.mutability(Mutability::ReadOnly)
    }

    /// `mutability: readWrite` (the default).
    pub const fn read_write(self) -> Self {
        self.mutability(Mutability::ReadWrite)
    }

    /// `mutability: immutable`.
    pub const fn immutable(self) -> Self {
        self.mutability(Mutability::Immutable)
    }

    /// `mutability: writeOnly`.
    pub const fn write_only(self) -> Self {
        self.mutability(Mutability::WriteOnly)
    }

    /// Sets `mutability`.
    pub const fn mutability(self, mutability: Mutability) -> Self {
        Self { mutability, ..self }
    }

    /// `returned: always`.
    pub const fn returned_always(self) -> Self {
        self.returned(Returned::Always)
    }

    /// `returned: never`.
    pub const fn returned_never(self) -> Self {
        self.returned(Returned::Never)
    }

    /// `returned: request`.
    pub const fn returned_request(self) -> Self {
        self.returned(Returned::Request)
    }

    /// Sets `returned`.
    pub const fn returned(self, returned: Returned) -> Self {
        Self { returned, ..self }
    }

    /// `uniqueness: server`.
    pub const fn unique_server(self) -> Self {
        Self {
            uniqueness: Uniqueness::Server,
            ..self
        }
    }

    /// `uniqueness: global`.
    pub const fn unique_global(self) -> Self {
        Self {
            uniqueness: Uniqueness::Global,
            ..self
        }
    }

    /// Sets `canonicalValues`.
    pub const fn canonical(self, canonical_values: &'static [&'static str]) -> Self {
        Self {
            canonical_values,
            ..self
        }
    }

    /// Sets `referenceTypes` (RFC 7643 §7: a resource type name, `external` or `uri`).
    pub const fn references(self, reference_types: &'static [&'static str]) -> Self {
        Self {
            reference_types,
            ..self
        }
    }

    /// Whether this is a `complex` attribute.
    pub const fn is_complex(&self) -> bool {
        matches!(self.attr_type, AttrType::Complex)
    }

    /// The sub-attribute `name`, compared case-insensitively (RFC 7643 §2.1).
    pub fn sub_attribute(&self, name: &str) -> Option<&'static Self> {
        find(self.sub_attributes, name)
    }
}

impl SchemaDef {
    /// The top-level attribute `name`, compared case-insensitively (RFC 7643 §2.1).
    pub fn attribute(&self, name: &str) -> Option<&'static AttributeDef> {
        find(self.attributes, name)
    }
}

/// Finds `name` in `attributes`, ignoring ASCII case (attribute names are ASCII, RFC 7643 §2.1).
pub(super) fn find(
    attributes: &'static [AttributeDef],
    name: &str,
) -> Option<&'static AttributeDef> {
    attributes
        .iter()
        .find(|attribute| attribute.name.eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    static SUBS: [AttributeDef; 2] = [
        AttributeDef::string("familyName", "Family."),
        AttributeDef::string("givenName", "Given."),
    ];

    #[test]
    fn constructors_start_from_the_rfc_7643_defaults() {
        let attribute = AttributeDef::string("nickName", "Casual name.");
        assert_eq!(attribute.attr_type, AttrType::String);
        assert!(!attribute.multi_valued);
        assert!(!attribute.required);
        assert!(!attribute.case_exact);
        assert_eq!(attribute.mutability, Mutability::ReadWrite);
        assert_eq!(attribute.returned, Returned::Default);
        assert_eq!(attribute.uniqueness, Uniqueness::None);
        assert!(attribute.canonical_values.is_empty());
        assert!(attribute.reference_types.is_empty());
        assert!(attribute.sub_attributes.is_empty());
    }

    #[test]
    fn each_constructor_sets_its_type() {
        let types = [
            AttributeDef::boolean("a", "").attr_type,
            AttributeDef::decimal("a", "").attr_type,
            AttributeDef::integer("a", "").attr_type,
            AttributeDef::date_time("a", "").attr_type,
            AttributeDef::binary("a", "").attr_type,
            AttributeDef::reference("a", "").attr_type,
            AttributeDef::complex("a", "", &SUBS).attr_type,
        ];
        let expected = [
            AttrType::Boolean,
            AttrType::Decimal,
            AttrType::Integer,
            AttrType::DateTime,
            AttrType::Binary,
            AttrType::Reference,
            AttrType::Complex,
        ];
        assert_eq!(types, expected);
    }

    #[test]
    fn modifiers_chain_and_only_change_their_own_characteristic() {
        const DEF: AttributeDef = AttributeDef::reference("ref", "A reference.")
            .multi()
            .required()
            .case_exact()
            .immutable()
            .returned_request()
            .unique_global()
            .canonical(&["x"])
            .references(&["User", "Group"]);
        let def = DEF;
        assert!(def.multi_valued && def.required && def.case_exact);
        assert_eq!(DEF.mutability, Mutability::Immutable);
        assert_eq!(DEF.returned, Returned::Request);
        assert_eq!(DEF.uniqueness, Uniqueness::Global);
        assert_eq!(DEF.canonical_values, ["x"]);
        assert_eq!(DEF.reference_types, ["User", "Group"]);
        assert_eq!(DEF.name, "ref");
        assert_eq!(DEF.description, "A reference.");
    }

    #[test]
    fn sub_attribute_lookup_ignores_case() {
        let name = AttributeDef::complex("name", "", &SUBS);
        assert!(name.is_complex());
        assert_eq!(
            name.sub_attribute("FAMILYNAME").map(|a| a.name),
            Some("familyName")
        );
        assert_eq!(
            name.sub_attribute("givenname").map(|a| a.name),
            Some("givenName")
        );
        assert!(name.sub_attribute("middleName").is_none());
    }
}
