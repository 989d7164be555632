//! The sub-attribute lists of the User schema's complex attributes (RFC 7643 §4.1.1 `name`,
//! §4.1.2 multi-valued attributes), as given by §8.7.1; kept apart from `user.rs` for size.

use super::types::AttributeDef;

pub(super) static NAME_SUBS: [AttributeDef; 6] = [
    AttributeDef::string(
        "formatted",
        "The full name, including all middle names, titles, and suffixes as appropriate, \
         formatted for display (e.g., 'Ms. Barbara J Jensen, III').",
    ),
    AttributeDef::string(
        "familyName",
        "The family name of the User, or last name in most Western languages (e.g., 'Jensen' \
         given the full name 'Ms. Barbara J Jensen, III').",
    ),
    AttributeDef::string(
        "givenName",
        "The given name of the User, or first name in most Western languages (e.g., \
         'Barbara' given the full name 'Ms. Barbara J Jensen, III').",
    ),
    AttributeDef::string(
        "middleName",
        "The middle name(s) of the User (e.g., 'Jane' given the full name 'Ms. Barbara J \
         Jensen, III').",
    ),
    AttributeDef::string(
        "honorificPrefix",
        "The honorific prefix(es) of the User, or title in most Western languages (e.g., \
         'Ms.' given the full name 'Ms. Barbara J Jensen, III').",
    ),
    AttributeDef::string(
        "honorificSuffix",
        "The honorific suffix(es) of the User, or suffix in most Western languages (e.g., \
         'III' given the full name 'Ms. Barbara J Jensen, III').",
    ),
];

/// The `display` sub-attribute shared by the multi-valued attributes. §8.7.1 gives it
/// `mutability: readWrite` despite the "READ-ONLY" in its description (except under
/// `groups`, where everything is readOnly); we keep §8.7.1's characteristics.
const DISPLAY: AttributeDef = AttributeDef::string(
    "display",
    "A human-readable name, primarily used for display purposes. READ-ONLY.",
);

/// The `type` sub-attribute of entitlements, roles and x509Certificates (no canonical values).
const TYPE: AttributeDef =
    AttributeDef::string("type", "A label indicating the attribute's function.");

/// The `primary` sub-attribute of entitlements, roles and x509Certificates.
const PRIMARY: AttributeDef = AttributeDef::boolean(
    "primary",
    "A Boolean value indicating the 'primary' or preferred attribute value for this \
     attribute. The primary attribute value 'true' MUST appear no more than once.",
);

pub(super) static EMAIL_SUBS: [AttributeDef; 4] = [
    AttributeDef::string(
        "value",
        "Email addresses for the user. The value SHOULD be canonicalized by the service \
         provider, e.g., 'bjensen@example.com' instead of 'bjensen@EXAMPLE.COM'. Canonical \
         type values of 'work', 'home', and 'other'.",
    ),
    DISPLAY,
    AttributeDef::string(
        "type",
        "A label indicating the attribute's function, e.g., 'work' or 'home'.",
    )
    .canonical(&["work", "home", "other"]),
    AttributeDef::boolean(
        "primary",
        "A Boolean value indicating the 'primary' or preferred attribute value for this \
         attribute, e.g., the preferred mailing address or primary email address. The \
         primary attribute value 'true' MUST appear no more than once.",
    ),
];

pub(super) static PHONE_NUMBER_SUBS: [AttributeDef; 4] = [
    AttributeDef::string("value", "Phone number of the User."),
    DISPLAY,
    AttributeDef::string(
        "type",
        "A label indicating the attribute's function, e.g., 'work', 'home', 'mobile'.",
    )
    .canonical(&["work", "home", "mobile", "fax", "pager", "other"]),
    AttributeDef::boolean(
        "primary",
        "A Boolean value indicating the 'primary' or preferred attribute value for this \
         attribute, e.g., the preferred phone number or primary phone number. The primary \
         attribute value 'true' MUST appear no more than once.",
    ),
];

pub(super) static IM_SUBS: [AttributeDef; 4] = [
    AttributeDef::string("value", "Instant messaging address for the User."),
    DISPLAY,
    AttributeDef::string(
        "type",
        "A label indicating the attribute's function, e.g., 'aim', 'gtalk', 'xmpp'.",
    )
    .canonical(&["aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"]),
    AttributeDef::boolean(
        "primary",
        "A Boolean value indicating the 'primary' or preferred attribute value for this \
         attribute, e.g., the preferred messenger or primary messenger. The primary \
         attribute value 'true' MUST appear no more than once.",
    ),
];

pub(super) static PHOTO_SUBS: [AttributeDef; 4] = [
    AttributeDef::reference("value", "URL of a photo of the User.").references(&["external"]),
    DISPLAY,
    AttributeDef::string(
        "type",
        "A label indicating the attribute's function, i.e., 'photo' or 'thumbnail'.",
    )
    .canonical(&["photo", "thumbnail"]),
    AttributeDef::boolean(
        "primary",
        "A Boolean value indicating the 'primary' or preferred attribute value for this \
         attribute, e.g., the preferred photo or thumbnail. The primary attribute value \
         'true' MUST appear no more than once.",
    ),
];

pub(super) static ADDRESS_SUBS: [AttributeDef; 8] = [
    AttributeDef::string(
        "formatted",
        "The full mailing address, formatted for display or use with a mailing label. This \
         attribute MAY contain newlines.",
    ),
    AttributeDef::string(
        "streetAddress",
        "The full street address component, which may include house number, street name, \
         P.O. box, and multi-line extended street address information. This attribute MAY \
         contain newlines.",
    ),
    AttributeDef::string("locality", "The city or locality component."),
    AttributeDef::string("region", "The state or region component."),
    AttributeDef::string("postalCode", "The zip code or postal code component."),
    AttributeDef::string("country", "The country name component."),
    AttributeDef::string(
        "type",
        "A label indicating the attribute's function, e.g., 'work' or 'home'.",
    )
    .canonical(&["work", "home", "other"]),
    // Not in §8.7.1, but §4.1.2 and §2.4 define `primary` for addresses ("the preferred
    // mailing address"); the description is the one §8.7.1 gives `emails.primary`.
    AttributeDef::boolean(
        "primary",
        "A Boolean value indicating the 'primary' or preferred attribute value for this \
         attribute, e.g., the preferred mailing address or primary email address. The \
         primary attribute value 'true' MUST appear no more than once.",
    ),
];

pub(super) static GROUP_SUBS: [AttributeDef; 4] = [
    AttributeDef::string("value", "The identifier of the User's group.").read_only(),
    // §8.7.1 lists both "User" and "Group" as reference types here.
    AttributeDef::reference(
        "$ref",
        "The URI of the corresponding 'Group' resource to which the user belongs.",
    )
    .references(&["User", "Group"])
    .read_only(),
    DISPLAY.read_only(),
    AttributeDef::string(
        "type",
        "A label indicating the attribute's function, e.g., 'direct' or 'indirect'.",
    )
    .canonical(&["direct", "indirect"])
    .read_only(),
];

pub(super) static ENTITLEMENT_SUBS: [AttributeDef; 4] = [
    AttributeDef::string("value", "The value of an entitlement."),
    DISPLAY,
    TYPE,
    PRIMARY,
];

pub(super) static ROLE_SUBS: [AttributeDef; 4] = [
    AttributeDef::string("value", "The value of a role."),
    DISPLAY,
    TYPE,
    PRIMARY,
];

pub(super) static X509_CERTIFICATE_SUBS: [AttributeDef; 4] = [
    AttributeDef::binary("value", "The value of an X.509 certificate."),
    DISPLAY,
    TYPE,
    PRIMARY,
];
