//! Generators of SCIM input for the property tests: names from the schema registry (in any
//! case, with URN prefixes, plus names no schema has), filter text built from them (valid,
//! almost valid and garbage), and JSON trees shaped like SCIM bodies.

use proptest::prelude::*;
use scimd::scim::schema::{AttributeDef, GROUP_RESOURCE, ResourceTypeDef, USER_RESOURCE};
use serde_json::{Map, Number, Value};

pub const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// Every attribute path the User and Group schemas define (`emails`, `emails.value`,
/// `urn:…:enterprise:2.0:User:manager.value`, …), and a few they do not.
pub fn known_paths() -> Vec<String> {
    let mut out = Vec::new();
    let mut add = |prefix: &str, defs: &[AttributeDef]| {
        for def in defs {
            out.push(format!("{prefix}{}", def.name));
            for sub in def.sub_attributes {
                out.push(format!("{prefix}{}.{}", def.name, sub.name));
            }
        }
    };
    for rt in [&USER_RESOURCE, &GROUP_RESOURCE] {
        add("", rt.schema.attributes);
        for (ext, _) in rt.extensions {
            add(&format!("{}:", ext.id), ext.attributes);
        }
    }
    add(
        "urn:ietf:params:scim:schemas:core:2.0:User:",
        USER_RESOURCE.schema.attributes,
    );
    for extra in [
        "id",
        "externalId",
        "meta",
        "meta.created",
        "meta.lastModified",
        "meta.version",
        "schemas",
        "favouriteColour",
        "name.nope",
        "urn:example:nope:thing",
        "$ref",
        "members.$ref",
        "a",
        "not",
        "and",
        "or",
        "pr",
        "eq",
        "urn",
    ] {
        out.push(extra.to_owned());
    }
    out
}

/// The multi-valued attributes, for value filters.
pub fn multi_valued(rt: &ResourceTypeDef) -> Vec<&'static str> {
    rt.schema
        .attributes
        .iter()
        .filter(|d| d.multi_valued)
        .map(|d| d.name)
        .collect()
}

/// `text` with each ASCII letter's case flipped where `mask` has a 1 bit.
pub fn mixed_case(text: &str, mask: u64) -> String {
    text.chars()
        .enumerate()
        .map(|(i, c)| {
            if mask >> (i % 64) & 1 == 1 {
                c.to_ascii_uppercase()
            } else {
                c
            }
        })
        .collect()
}

/// An attribute path, mostly a known one in any case.
pub fn path() -> impl Strategy<Value = String> {
    let paths = known_paths();
    prop_oneof![
        8 => (prop::sample::select(paths), any::<u64>()).prop_map(|(p, m)| mixed_case(&p, m)),
        1 => "[a-zA-Z][a-zA-Z0-9_-]{0,8}(\\.[a-zA-Z$][a-zA-Z0-9_-]{0,5})?",
        1 => "[a-zA-Z:.$\\[\\]\" _-]{0,16}",
    ]
}

/// A string literal as a client might write it: JSON-escaped, sometimes unquoted.
fn string_literal() -> impl Strategy<Value = String> {
    let text = prop_oneof![
        4 => "[a-zA-Z0-9@. _%\\\\'\"-]{0,12}",
        1 => any::<String>(),
        1 => prop::sample::select(vec![
            "2011-05-13T04:42:34Z", "2015-10-10T14:38:21.86-07:00", "yesterday", "true", "null",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "\u{0}", "Ärger",
        ]).prop_map(str::to_owned),
    ];
    (text, any::<bool>()).prop_map(|(t, quoted)| {
        if quoted || t.is_empty() || t.contains([' ', ')', ']', '"', '\\']) {
            Value::String(t).to_string()
        } else {
            t
        }
    })
}

/// A comparison value: strings, numbers, booleans, null.
pub fn comp_value() -> impl Strategy<Value = String> {
    prop_oneof![
        5 => string_literal(),
        1 => any::<i64>().prop_map(|n| n.to_string()),
        1 => any::<f64>().prop_map(|f| Number::from_f64(f).map_or("1e999".to_owned(), |n| n.to_string())),
        1 => prop::sample::select(vec!["true", "false", "null", "TRUE", "Null", "1e999", "-0", "01"])
            .prop_map(str::to_owned),
    ]
}

fn operator() -> impl Strategy<Value = String> {
    let ops = vec![
        "eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "EQ", "Co", "pr", "xx",
    ];
    prop::sample::select(ops).prop_map(str::to_owned)
}

/// Whitespace between tokens: usually one space, sometimes more, other blanks, or none.
fn blank() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![" ", " ", " ", " ", "  ", "\t", "\n", ""])
}

/// One attribute expression: `path op value`, `path pr`.
pub fn term() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (path(), blank(), operator(), blank(), comp_value())
            .prop_map(|(p, b1, op, b2, v)| format!("{p}{b1}{op}{b2}{v}")),
        1 => (path(), blank()).prop_map(|(p, b)| format!("{p}{b}pr")),
    ]
}

fn keyword() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["and", "or", "AND", "Or", "andy", "and not"])
}

/// Filter text: nested expressions of terms, mostly well formed.
pub fn filter_text() -> impl Strategy<Value = String> {
    let multi: Vec<&str> = multi_valued(&USER_RESOURCE)
        .into_iter()
        .chain(multi_valued(&GROUP_RESOURCE))
        .chain(["name", "userName", "x"])
        .collect();
    term().prop_recursive(6, 48, 6, move |inner| {
        prop_oneof![
            3 => (inner.clone(), keyword(), inner.clone())
                .prop_map(|(a, k, b)| format!("{a} {k} {b}")),
            1 => inner.clone().prop_map(|f| format!("not ({f})")),
            1 => inner.clone().prop_map(|f| format!("({f})")),
            1 => (prop::sample::select(multi.clone()), inner.clone())
                .prop_map(|(a, f)| format!("{a}[{f}]")),
            1 => (prop::collection::vec(inner, 2..6), keyword())
                .prop_map(|(terms, k)| terms.join(&format!(" {k} "))),
        ]
    })
}

/// Well-formed terms on every known path, picked from rather than generated (a chain of 200
/// generated terms costs milliseconds to generate in a debug build).
fn term_vocabulary() -> Vec<String> {
    let comparisons = [
        r#"eq "x""#,
        "pr",
        "ne 1",
        r#"gt "2011-05-13T04:42:34Z""#,
        r#"co "a%""#,
        "eq null",
        "sw O",
        "le true",
    ];
    known_paths()
        .iter()
        .flat_map(|p| comparisons.iter().map(move |c| format!("{p} {c}")))
        .collect()
}

/// Filters near the limits: long chains (around the term limit) and deep nesting (around the
/// depth limit).
pub fn extreme_filter() -> impl Strategy<Value = String> {
    prop_oneof![
        (
            prop::collection::vec(prop::sample::select(term_vocabulary()), 150..260),
            keyword()
        )
            .prop_map(|(terms, k)| terms.join(&format!(" {k} "))),
        (term(), 55..70_usize, any::<bool>()).prop_map(|(t, depth, not)| {
            let open = if not { "not (" } else { "(" };
            format!("{}{t}{}", open.repeat(depth), ")".repeat(depth))
        }),
        (term(), 55..70_usize).prop_map(|(t, depth)| {
            format!("emails[{}{t}{}]", "not (".repeat(depth), ")".repeat(depth))
        }),
    ]
}

/// Text made of filter tokens in any order, and arbitrary strings.
pub fn token_soup() -> impl Strategy<Value = String> {
    let tokens = vec![
        "userName",
        "emails",
        "emails.value",
        "[",
        "]",
        "(",
        ")",
        "not",
        "and",
        "or",
        "eq",
        "pr",
        "\"x\"",
        "\"",
        "1",
        "true",
        "null",
        ".",
        ":",
        "urn:a:b",
        " ",
        "\\",
        "'",
        "$ref",
    ];
    prop_oneof![
        prop::collection::vec(prop::sample::select(tokens), 0..24).prop_map(|t| t.concat()),
        any::<String>(),
        "[ -~]{0,40}",
    ]
}

/// Any filter input: well-formed, extreme and garbage.
pub fn any_filter() -> impl Strategy<Value = String> {
    prop_oneof![
        13 => filter_text(),
        1 => extreme_filter(),
        6 => token_soup(),
    ]
}

/// A JSON scalar.
pub fn scalar() -> impl Strategy<Value = Value> {
    any::<u64>().prop_map(scalar_from)
}

/// A scalar chosen by `seed`: literals, booleans as strings, numbers, dates, ids, schema URNs,
/// NUL, and strings of arbitrary characters.
fn scalar_from(seed: u64) -> Value {
    const WORDS: [&str; 12] = [
        "True",
        "false",
        "yes",
        "work",
        "home",
        "User",
        "Group",
        "",
        "\u{0}",
        "Ärger",
        "2011-05-13T04:42:34Z",
        "2819c223-7f76-453a-919d-413861904646",
    ];
    let pick = (seed >> 8) as usize;
    match seed % 9 {
        0 => Value::Null,
        1 => Value::Bool(seed & 256 == 0),
        2 => Value::from(WORDS[pick % WORDS.len()]),
        3 => Value::from((seed >> 8) as i64 - (1 << 40)),
        4 => Number::from_f64(f64::from_bits(seed)).map_or(Value::Null, Value::Number),
        5 => Value::from(ENTERPRISE),
        6 => Value::String(chars_from(seed >> 4)),
        _ => Value::String(format!("v{}@example.com", pick % 50)),
    }
}

/// Up to 8 characters anywhere in Unicode, from the bits of `seed`.
fn chars_from(seed: u64) -> String {
    let len = (seed % 9) as usize;
    (0..len)
        .filter_map(|i| {
            let bits = seed.rotate_left(7 * i as u32);
            let c = match bits % 3 {
                0 => (bits >> 8) % 0x80,
                1 => (bits >> 8) % 0x800,
                _ => (bits >> 8) % 0x11_0000,
            };
            char::from_u32(c as u32)
        })
        .collect()
}

/// A key of a SCIM object: an attribute or sub-attribute name (any case), a URN, a path with a
/// value filter, or anything.
pub fn key() -> impl Strategy<Value = String> {
    let names = key_names();
    any::<u64>().prop_map(move |seed| key_from(&names, seed))
}

fn key_names() -> Vec<String> {
    known_paths()
        .into_iter()
        .chain(
            [
                "value",
                "type",
                "primary",
                "display",
                "$ref",
                "schemas",
                "Operations",
                "op",
                "path",
                ENTERPRISE,
                r#"emails[type eq "work"].value"#,
                r#"members[value eq "x"]"#,
                r#"emails[type eq "work"]"#,
                "name.givenName",
            ]
            .map(str::to_owned),
        )
        .collect()
}

fn key_from(names: &[String], seed: u64) -> String {
    match seed % 8 {
        0 => chars_from(seed >> 3),
        _ => mixed_case(&names[(seed >> 3) as usize % names.len()], seed >> 20),
    }
}

/// A JSON tree shaped like SCIM data: objects keyed by attribute names, arrays of such
/// objects, scalars. Generated from a flat list of choices read by [`build`], which proptest
/// makes and shrinks far faster than a recursive strategy (a tenth of the time per case).
pub fn scim_json() -> impl Strategy<Value = Value> {
    let names = key_names();
    prop::collection::vec(any::<u64>(), 1..24).prop_map(move |choices| {
        let mut choices = choices.into_iter();
        build(&names, &mut choices, 0)
    })
}

/// The next value of the tree described by `choices`; no deeper than 4 levels.
fn build(names: &[String], choices: &mut impl Iterator<Item = u64>, depth: usize) -> Value {
    let Some(choice) = choices.next() else {
        return Value::Null;
    };
    let width = (choice >> 4) as usize % 5;
    match choice % 10 {
        6 | 7 if depth < 4 => Value::Object(
            (0..width)
                .map(|i| {
                    let key = key_from(names, choice.rotate_left(13 * i as u32 + 5));
                    (key, build(names, choices, depth + 1))
                })
                .collect::<Map<_, _>>(),
        ),
        8 | 9 if depth < 4 => Value::Array(
            (0..width)
                .map(|_| build(names, choices, depth + 1))
                .collect(),
        ),
        _ => scalar_from(choice >> 4),
    }
}
