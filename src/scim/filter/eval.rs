//! In-memory evaluation of a filter against one JSON resource (RFC 7644 §3.4.2.2 semantics).
//! Used to apply PATCH value paths to the elements of a multi-valued attribute (RFC 7644
//! §3.5.2) and as a test oracle for the SQL compiler. Pure: this module must not depend on poem,
//! sqlx or tokio.

use std::borrow::Cow;
use std::cmp::Ordering;

use chrono::{DateTime, FixedOffset};
use serde_json::{Map, Value};

use super::ast::{AttrPath, CompValue, CompareOp, Filter};

/// Whether `resource` (a JSON object) satisfies `filter`.
///
/// `case_exact(path)` tells whether string comparisons on `path` are case-sensitive (the
/// schema's `caseExact`, RFC 7643 §2.2); inside a value filter it is asked about the full path,
/// e.g. `emails.type` for `emails[type eq "work"]`.
///
/// Semantics (RFC 7644 §3.4.2.2): attribute names match case-insensitively; a comparison on a
/// multi-valued attribute holds if any value satisfies it; `pr` means present and non-empty;
/// `ne` and `eq null` hold for a missing attribute, every other comparison does not.
pub fn matches(filter: &Filter, resource: &Value, case_exact: &dyn Fn(&AttrPath) -> bool) -> bool {
    match filter {
        Filter::Compare { path, op, value } => {
            compare(resource, path, *op, value, case_exact(path))
        }
        Filter::Present(path) => present(resource, path),
        // Chains are evaluated in a loop: the parser nests them as deep as they are long.
        Filter::And(..) => filter
            .operands()
            .into_iter()
            .all(|f| matches(f, resource, case_exact)),
        Filter::Or(..) => filter
            .operands()
            .into_iter()
            .any(|f| matches(f, resource, case_exact)),
        Filter::Not(inner) => !matches(inner, resource, case_exact),
        Filter::ValuePath { path, filter } => {
            value_path_matches(resource, path, filter, case_exact)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Attribute lookup
// ---------------------------------------------------------------------------------------------

/// The member of `object` whose key equals `key` ignoring ASCII case (attribute names are
/// case-insensitive, RFC 7643 §2.1).
fn member<'v>(object: &'v Map<String, Value>, key: &str) -> Option<&'v Value> {
    object
        .iter()
        .find(|(candidate, _)| candidate.eq_ignore_ascii_case(key))
        .map(|(_, value)| value)
}

/// The member `key` of `value` if it is an object.
fn member_of<'v>(value: &'v Value, key: &str) -> Option<&'v Value> {
    value.as_object().and_then(|object| member(object, key))
}

/// The top-level attribute named by `path`, ignoring its sub-attribute.
///
/// With a URN, the attribute is looked up inside the member named by the URN (extension
/// schemas, RFC 7643 §3.3). If there is no such member but the URN is one of the resource's
/// `schemas`, it is the core schema, whose attributes sit at the top level (RFC 7644 §3.10
/// allows fully qualified names like `urn:…:core:2.0:User:userName`).
fn attribute<'v>(resource: &'v Value, path: &AttrPath) -> Option<&'v Value> {
    let Some(urn) = &path.urn else {
        return member_of(resource, &path.name);
    };
    match member_of(resource, urn) {
        Some(extension) => member_of(extension, &path.name),
        None if declares_schema(resource, urn) => member_of(resource, &path.name),
        None => None,
    }
}

/// Whether `resource.schemas` lists `urn`, ignoring ASCII case as for attribute names.
fn declares_schema(resource: &Value, urn: &str) -> bool {
    member_of(resource, "schemas")
        .and_then(Value::as_array)
        .is_some_and(|schemas| {
            schemas
                .iter()
                .filter_map(Value::as_str)
                .any(|schema| schema.eq_ignore_ascii_case(urn))
        })
}

/// The values a comparison on `path` looks at, with multi-valued attributes flattened so that
/// "any value matches" is a simple `any` (RFC 7644 §3.4.2.2). Nulls are dropped: a null
/// attribute is the same as a missing one (RFC 7643 §2.5).
///
/// Without a sub-attribute, an array of complex values stands for its elements' `value`
/// sub-attributes (so `emails co "example.com"` looks at each email address, RFC 7644
/// §3.4.2.2), and an array of simple values for the values themselves.
fn comparable_values<'v>(resource: &'v Value, path: &AttrPath) -> Vec<&'v Value> {
    let Some(attribute) = attribute(resource, path) else {
        return Vec::new();
    };
    let mut values = Vec::new();
    match (&path.sub, attribute) {
        (Some(sub), Value::Array(elements)) => {
            for element in elements {
                push_flattened(&mut values, member_of(element, sub));
            }
        }
        (Some(sub), single) => push_flattened(&mut values, member_of(single, sub)),
        (None, Value::Array(elements)) => {
            for element in elements {
                let primary = if element.is_object() {
                    member_of(element, "value")
                } else {
                    Some(element)
                };
                push_flattened(&mut values, primary);
            }
        }
        (None, single) => push_flattened(&mut values, Some(single)),
    }
    values
}

/// Adds `value` (or, if it is an array, its elements) to `values`, skipping nulls.
fn push_flattened<'v>(values: &mut Vec<&'v Value>, value: Option<&'v Value>) {
    match value {
        None | Some(Value::Null) => {}
        Some(Value::Array(elements)) => values.extend(elements.iter().filter(|v| !v.is_null())),
        Some(other) => values.push(other),
    }
}

// ---------------------------------------------------------------------------------------------
// pr
// ---------------------------------------------------------------------------------------------

/// `attrPath pr`: the attribute has a non-empty value (RFC 7644 §3.4.2.2, Table 3). Without a
/// sub-attribute the attribute itself is tested, so `emails pr` holds for any non-empty array.
fn present(resource: &Value, path: &AttrPath) -> bool {
    match &path.sub {
        None => attribute(resource, path).is_some_and(is_non_empty),
        Some(_) => comparable_values(resource, path)
            .into_iter()
            .any(is_non_empty),
    }
}

/// Present and not null, `""`, `[]` or `{}`.
fn is_non_empty(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::String(text) => !text.is_empty(),
        Value::Array(elements) => elements.iter().any(is_non_empty),
        Value::Object(members) => members.values().any(is_non_empty),
        Value::Bool(_) | Value::Number(_) => true,
    }
}

// ---------------------------------------------------------------------------------------------
// Comparisons
// ---------------------------------------------------------------------------------------------

/// `attrPath op compValue`: holds if any value at `path` satisfies it.
fn compare(
    resource: &Value,
    path: &AttrPath,
    op: CompareOp,
    expected: &CompValue,
    case_exact: bool,
) -> bool {
    let values = comparable_values(resource, path);
    if let CompValue::Null = expected {
        // `eq null` asks "absent?", `ne null` asks "present?"; nothing else compares to null.
        return match op {
            CompareOp::Eq => values.is_empty(),
            CompareOp::Ne => !values.is_empty(),
            _ => false,
        };
    }
    if values.is_empty() {
        // A missing attribute is not equal to anything, so only `ne` holds.
        return op == CompareOp::Ne;
    }
    values
        .into_iter()
        .any(|actual| compare_value(actual, op, expected, case_exact))
}

/// One stored value against the filter's value.
fn compare_value(actual: &Value, op: CompareOp, expected: &CompValue, case_exact: bool) -> bool {
    match (actual, expected) {
        (Value::String(actual), CompValue::String(expected)) => {
            compare_strings(actual, op, expected, case_exact)
        }
        (Value::Number(actual), CompValue::Number(expected)) => {
            match (actual.as_f64(), expected.as_f64()) {
                (Some(a), Some(b)) => a
                    .partial_cmp(&b)
                    .is_some_and(|ordering| ordering_satisfies(ordering, op)),
                _ => false,
            }
        }
        // Booleans are only equal or not: RFC 7644 §3.4.2.2 makes gt/ge/lt/le on booleans an
        // `invalidFilter` error and co/sw/ew are for strings; here they simply do not match.
        (Value::Bool(actual), CompValue::Bool(expected)) => match op {
            CompareOp::Eq => actual == expected,
            CompareOp::Ne => actual != expected,
            _ => false,
        },
        // Different JSON types are never equal, so only `ne` holds.
        _ => op == CompareOp::Ne,
    }
}

/// String comparison: as instants when both sides are RFC 3339 date-times (dateTime
/// attributes, RFC 7643 §2.3.5), else case-insensitively (Unicode lower case) unless the
/// attribute is `caseExact`.
fn compare_strings(actual: &str, op: CompareOp, expected: &str, case_exact: bool) -> bool {
    if is_ordering_op(op)
        && let (Some(a), Some(b)) = (date_time(actual), date_time(expected))
    {
        return ordering_satisfies(a.cmp(&b), op);
    }
    let (actual, expected) = if case_exact {
        (Cow::Borrowed(actual), Cow::Borrowed(expected))
    } else {
        (
            Cow::Owned(actual.to_lowercase()),
            Cow::Owned(expected.to_lowercase()),
        )
    };
    match op {
        CompareOp::Co => actual.contains(expected.as_ref()),
        CompareOp::Sw => actual.starts_with(expected.as_ref()),
        CompareOp::Ew => actual.ends_with(expected.as_ref()),
        _ => ordering_satisfies(actual.cmp(&expected), op),
    }
}

fn date_time(text: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(text).ok()
}

/// `eq`, `ne`, `gt`, `ge`, `lt`, `le`: the operators decided by an ordering.
fn is_ordering_op(op: CompareOp) -> bool {
    !matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew)
}

/// Whether `actual.cmp(expected) == ordering` satisfies `op`; never for co/sw/ew, which only
/// apply to strings.
fn ordering_satisfies(ordering: Ordering, op: CompareOp) -> bool {
    match op {
        CompareOp::Eq => ordering == Ordering::Equal,
        CompareOp::Ne => ordering != Ordering::Equal,
        CompareOp::Gt => ordering == Ordering::Greater,
        CompareOp::Ge => ordering != Ordering::Less,
        CompareOp::Lt => ordering == Ordering::Less,
        CompareOp::Le => ordering != Ordering::Greater,
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
    }
}

// ---------------------------------------------------------------------------------------------
// Value filters
// ---------------------------------------------------------------------------------------------

/// `attrPath "[" valFilter "]"`: some element of the attribute satisfies `inner`, whose paths
/// are relative to the element (RFC 7644 §3.4.2.2). A single complex value counts as one
/// element.
fn value_path_matches(
    resource: &Value,
    path: &AttrPath,
    inner: &Filter,
    case_exact: &dyn Fn(&AttrPath) -> bool,
) -> bool {
    let elements: &[Value] = match attribute(resource, path) {
        Some(Value::Array(elements)) => elements,
        Some(single @ Value::Object(_)) => std::slice::from_ref(single),
        _ => return false,
    };
    let scoped = |relative: &AttrPath| case_exact(&scoped_path(path, relative));
    elements
        .iter()
        .any(|element| matches(inner, element, &scoped))
}

/// The full path of `relative` (e.g. `type`) inside the value filter of `parent` (e.g.
/// `emails`): `emails.type`, with the parent's URN.
fn scoped_path(parent: &AttrPath, relative: &AttrPath) -> AttrPath {
    AttrPath {
        urn: parent.urn.clone(),
        name: parent.name.clone(),
        sub: Some(relative.name.clone()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use std::cell::RefCell;

    use serde_json::json;

    use super::super::parse::parse_filter;
    use super::super::parse::tests::{attr, sub, urn};
    use super::*;

    const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

    /// A user in the shape of RFC 7643 §8.2, with a few edge cases added.
    fn user() -> Value {
        json!({
            "schemas": [
                "urn:ietf:params:scim:schemas:core:2.0:User",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
            ],
            "id": "2819c223-7f76-453a-919d-413861904646",
            "externalId": "701984",
            "userName": "bjensen@example.com",
            "name": { "formatted": "Ms. Barbara J Jensen, III", "familyName": "O'Malley", "givenName": "Barbara" },
            "displayName": "Babs Jensen",
            "nickName": "",
            "title": "Tour Guide",
            "userType": "Employee",
            "preferredLanguage": null,
            "locale": "ÉTÉ",
            "active": true,
            "loginCount": 42,
            "score": 2.5,
            "emails": [
                { "value": "bjensen@example.com", "type": "work", "primary": true },
                { "value": "babs@jensen.org", "type": "home" }
            ],
            "ims": [],
            "phoneNumbers": [ { "value": "555-555-8377", "type": "work" } ],
            "entitlements": ["Admin", "Auditor"],
            "meta": {
                "resourceType": "User",
                "created": "2010-01-23T04:56:22Z",
                "lastModified": "2011-05-13T04:42:34Z"
            },
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
                "employeeNumber": "701984",
                "department": "Tour Operations",
                "manager": { "value": "26118915-6090-4610-87e4-49d8ca9f808d", "displayName": "John Smith" }
            }
        })
    }

    fn case_insensitive(_: &AttrPath) -> bool {
        false
    }

    fn eval(input: &str, resource: &Value) -> bool {
        let filter = parse_filter(input).unwrap_or_else(|err| panic!("`{input}`: {err}"));
        matches(&filter, resource, &case_insensitive)
    }

    fn check(cases: &[(&str, bool, &str)], resource: &Value) {
        for (input, expected, reason) in cases {
            assert_eq!(eval(input, resource), *expected, "{reason}: `{input}`");
        }
    }

    #[test]
    fn evaluates_the_rfc_7644_examples() {
        check(
            &[
                (r#"userName Eq "bjensen@example.com""#, true, "equality"),
                (r#"userName eq "john""#, false, "inequality"),
                (
                    r#"name.familyName co "O'Malley""#,
                    true,
                    "sub-attribute contains",
                ),
                (r#"userName sw "B""#, true, "starts with, ignoring case"),
                (
                    r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "b""#,
                    true,
                    "qualified core attribute",
                ),
                ("title pr", true, "present"),
                (
                    r#"meta.lastModified gt "2011-05-13T04:42:33Z""#,
                    true,
                    "later instant",
                ),
                (
                    r#"meta.lastModified ge "2011-05-13T04:42:34Z""#,
                    true,
                    "same instant",
                ),
                (
                    r#"meta.lastModified lt "2011-05-13T04:42:34Z""#,
                    false,
                    "not earlier",
                ),
                (
                    r#"meta.lastModified le "2011-05-13T04:42:34Z""#,
                    true,
                    "same instant",
                ),
                (r#"title pr and userType eq "Employee""#, true, "and"),
                (r#"title pr or userType eq "Intern""#, true, "or"),
                (
                    r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#,
                    true,
                    "array of strings",
                ),
                (
                    r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
                    true,
                    "emails compares each email's value",
                ),
                (
                    r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
                    false,
                    "not",
                ),
                (
                    r#"userType eq "Employee" and (emails.type eq "work")"#,
                    true,
                    "sub-attribute of any email",
                ),
                (
                    r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#,
                    true,
                    "both conditions on the same email",
                ),
                (
                    r#"emails[type eq "home" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
                    false,
                    "conditions hold only on different emails",
                ),
            ],
            &user(),
        );
    }

    #[test]
    fn looks_up_attributes_ignoring_case() {
        check(
            &[
                (
                    r#"USERNAME eq "bjensen@example.com""#,
                    true,
                    "top-level name",
                ),
                (
                    r#"Name.FamilyName eq "o'malley""#,
                    true,
                    "sub-attribute name",
                ),
                (r#"EMAILS[TYPE eq "work"]"#, true, "value filter names"),
                (
                    r#"URN:IETF:params:scim:schemas:extension:enterprise:2.0:user:Department eq "tour operations""#,
                    true,
                    "URN member",
                ),
            ],
            &user(),
        );
    }

    #[test]
    fn looks_up_extension_attributes_under_their_urn() {
        check(
            &[
                (
                    r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d""#,
                    true,
                    "sub-attribute of an extension attribute",
                ),
                (
                    r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984""#,
                    true,
                    "extension attribute",
                ),
                (
                    r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:userName pr"#,
                    false,
                    "core attributes are not inside the extension",
                ),
                (
                    r#"urn:example:other:1.0:User:userName pr"#,
                    false,
                    "undeclared URN",
                ),
                (
                    "employeeNumber pr",
                    false,
                    "extension attributes need their URN",
                ),
            ],
            &user(),
        );
    }

    #[test]
    fn compares_strings_ignoring_case_unless_case_exact() {
        let resource = user();
        let filter = parse_filter(r#"userName eq "BJENSEN@example.com""#).unwrap();
        assert!(matches(&filter, &resource, &|_| false));
        assert!(!matches(&filter, &resource, &|_| true));
        let unicode = parse_filter(r#"locale eq "été""#).unwrap();
        assert!(
            matches(&unicode, &resource, &|_| false),
            "Unicode lower case"
        );
        assert!(!matches(&unicode, &resource, &|_| true));
        let asked = RefCell::new(Vec::new());
        let recorder = |path: &AttrPath| {
            asked.borrow_mut().push(path.clone());
            path.name == "userName"
        };
        let filter = parse_filter(r#"userName sw "BJ" and title co "GUIDE""#).unwrap();
        assert!(
            !matches(&filter, &resource, &recorder),
            "userName is case-exact here"
        );
        assert_eq!(*asked.borrow(), vec![attr("userName")]);
    }

    #[test]
    fn asks_case_exactness_for_the_full_path_inside_value_filters() {
        let resource = user();
        let asked = RefCell::new(Vec::new());
        let recorder = |path: &AttrPath| {
            asked.borrow_mut().push(path.clone());
            true
        };
        let filter = parse_filter(r#"emails[type eq "WORK"]"#).unwrap();
        assert!(!matches(&filter, &resource, &recorder));
        assert!(
            asked
                .borrow()
                .iter()
                .all(|path| *path == sub("emails", "type"))
        );
        assert_eq!(asked.borrow().len(), 2, "asked once per email");

        asked.borrow_mut().clear();
        let qualified =
            parse_filter(&format!(r#"{ENTERPRISE}:manager[value sw "26118915"]"#)).unwrap();
        assert!(
            matches(&qualified, &resource, &recorder),
            "a single complex value is one element"
        );
        assert_eq!(
            *asked.borrow(),
            vec![urn(ENTERPRISE, "manager", Some("value"))]
        );
    }

    #[test]
    fn matches_any_value_of_a_multi_valued_attribute() {
        check(
            &[
                (r#"emails.value eq "babs@jensen.org""#, true, "second email"),
                (
                    r#"emails eq "babs@jensen.org""#,
                    true,
                    "emails stands for emails.value",
                ),
                (r#"emails.type eq "other""#, false, "no email has it"),
                (
                    r#"emails.value ne "babs@jensen.org""#,
                    true,
                    "the other email differs",
                ),
                (r#"entitlements eq "auditor""#, true, "array of strings"),
                (
                    r#"entitlements sw "adm""#,
                    true,
                    "array of strings, starts with",
                ),
                ("emails.primary eq true", true, "boolean inside an array"),
                (
                    r#"emails[type eq "home" and primary eq true]"#,
                    false,
                    "same element for both",
                ),
                (
                    r#"emails[type eq "work" and primary eq true]"#,
                    true,
                    "same element for both",
                ),
                (
                    r#"phoneNumbers[not (type eq "home")]"#,
                    true,
                    "not inside a value filter",
                ),
                ("ims[type pr]", false, "empty array has no element"),
                ("name[givenName pr]", true, "single complex value"),
                (
                    r#"userName[value pr]"#,
                    false,
                    "simple value has no elements",
                ),
                ("missing[type pr]", false, "missing attribute"),
            ],
            &user(),
        );
    }

    #[test]
    fn present_means_non_empty() {
        check(
            &[
                ("title pr", true, "string"),
                ("nickName pr", false, "empty string"),
                ("preferredLanguage pr", false, "null"),
                ("missing pr", false, "absent"),
                ("ims pr", false, "empty array"),
                ("emails pr", true, "non-empty array"),
                ("emails.value pr", true, "sub-attribute of an element"),
                ("emails.display pr", false, "no element has it"),
                ("name pr", true, "complex value"),
                ("active pr", true, "boolean"),
                ("loginCount pr", true, "number"),
            ],
            &user(),
        );
        check(
            &[
                ("name pr", false, "empty object"),
                ("tags pr", false, "array of nulls"),
            ],
            &json!({ "name": {}, "tags": [null] }),
        );
    }

    #[test]
    fn treats_null_and_missing_attributes_consistently() {
        check(
            &[
                ("preferredLanguage eq null", true, "null equals null"),
                ("missing eq null", true, "missing equals null"),
                ("title eq null", false, "present is not null"),
                ("title ne null", true, "present is not null"),
                ("missing ne null", false, "missing is null"),
                (r#"missing ne "x""#, true, "ne holds on a missing attribute"),
                (
                    r#"missing eq "x""#,
                    false,
                    "eq fails on a missing attribute",
                ),
                (
                    r#"preferredLanguage ne "x""#,
                    true,
                    "null counts as missing",
                ),
                (
                    r#"missing co "x""#,
                    false,
                    "co fails on a missing attribute",
                ),
                ("missing gt 1", false, "gt fails on a missing attribute"),
                ("title gt null", false, "only eq and ne compare to null"),
                ("not (missing pr)", true, "not of a failing test"),
            ],
            &user(),
        );
    }

    #[test]
    fn compares_numbers_numerically_and_booleans_by_equality() {
        check(
            &[
                ("loginCount eq 42", true, "integer"),
                ("loginCount eq 42.0", true, "integer against float"),
                ("loginCount gt 9", true, "numeric, not textual, order"),
                ("loginCount le 41", false, "less or equal"),
                ("score lt 3", true, "float"),
                ("score ge 2.5", true, "float equal"),
                ("active eq true", true, "boolean equality"),
                ("active ne false", true, "boolean inequality"),
                ("active gt false", false, "booleans have no order"),
                ("active co true", false, "booleans have no substrings"),
                (r#"active eq "true""#, false, "a string is not a boolean"),
                (r#"active ne "true""#, true, "different types differ"),
                (r#"loginCount eq "42""#, false, "a string is not a number"),
                (r#"loginCount co 4"#, false, "numbers have no substrings"),
            ],
            &user(),
        );
    }

    #[test]
    fn compares_date_times_as_instants() {
        check(
            &[
                (
                    r#"meta.created eq "2010-01-22T20:56:22-08:00""#,
                    true,
                    "same instant, other offset",
                ),
                (
                    r#"meta.created lt "2010-01-23T05:00:00+00:00""#,
                    true,
                    "earlier",
                ),
                (
                    r#"meta.created gt "2010-01-23T04:56:22.5Z""#,
                    false,
                    "fractional seconds",
                ),
                (
                    r#"meta.created ge "2010-01-22T23:00:00-06:00""#,
                    false,
                    "later once converted",
                ),
                (r#"meta.created sw "2010-01""#, true, "sw stays textual"),
                (
                    r#"meta.created gt "2009""#,
                    true,
                    "not a date-time: compared as text",
                ),
            ],
            &user(),
        );
    }

    #[test]
    fn evaluates_lenient_unquoted_values_as_strings() {
        check(
            &[
                ("userName sw B", true, "bare word"),
                ("userName sw O", false, "bare word, no match"),
                (
                    "meta.created gt 2010-01-22T20:56:21-08:00",
                    true,
                    "bare date-time",
                ),
                (
                    "meta.created lt 2015-10-10T14:38:21.86-07:00",
                    true,
                    "bare date-time with fraction",
                ),
                ("emails[type eq work]", true, "bare word in a value filter"),
            ],
            &user(),
        );
    }

    #[test]
    fn compares_substrings_and_order_of_strings() {
        check(
            &[
                (r#"displayName co "S JEN""#, true, "contains"),
                (r#"displayName ew "jensen""#, true, "ends with"),
                (r#"displayName ew "babs""#, false, "does not end with"),
                (r#"displayName gt "Ann""#, true, "text order"),
                (r#"displayName lt "bz""#, true, "case-insensitive order"),
                (
                    r#"displayName co """#,
                    true,
                    "every string contains the empty string",
                ),
            ],
            &user(),
        );
    }

    #[test]
    fn evaluates_one_element_for_patch_value_paths() {
        let element = json!({ "value": "2819c223", "type": "work", "display": "Babs" });
        check(
            &[
                (r#"value eq "2819c223""#, true, "element value"),
                (
                    r#"type eq "work" and display sw "b""#,
                    true,
                    "element sub-attributes",
                ),
                (r#"type eq "home""#, false, "other type"),
            ],
            &element,
        );
    }

    #[test]
    fn evaluates_long_chains_without_overflowing_the_stack() {
        let input = vec![r#"userName eq "bjensen@example.com""#; 1_000].join(" and ");
        assert!(eval(&input, &user()));
        let input = vec![r#"userName eq "nobody""#; 1_000].join(" or ");
        assert!(!eval(&input, &user()));
    }

    #[test]
    fn non_object_resources_match_nothing_but_ne_and_null() {
        check(
            &[
                (r#"a eq "x""#, false, "no attributes"),
                (r#"a ne "x""#, true, "missing attributes differ"),
                ("a eq null", true, "missing is null"),
                ("a pr", false, "nothing present"),
            ],
            &json!("plain string"),
        );
    }
}
