//! Canonical text for filter ASTs (RFC 7644 §3.4.2.2 syntax): lower-case operators and
//! keywords, JSON-escaped strings, single spaces, and parentheses only where precedence needs
//! them. Used for logging, error messages and `meta.location`-style echoes. The output always
//! parses back to the same AST (`parse_filter(&f.to_string()) == Ok(f)`). Pure formatting: this
//! module must not depend on poem, sqlx or tokio.

use std::fmt::{self, Display, Formatter};

use super::ast::{AttrPath, CompValue, CompareOp, Filter, PatchPath};

impl Display for AttrPath {
    /// `[urn ":"] name ["." sub]`.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if let Some(urn) = &self.urn {
            write!(f, "{urn}:")?;
        }
        f.write_str(&self.name)?;
        if let Some(sub) = &self.sub {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

impl Display for CompareOp {
    /// The lower-case operator name of RFC 7644 §3.4.2.2, Table 3.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CompareOp::Eq => "eq",
            CompareOp::Ne => "ne",
            CompareOp::Co => "co",
            CompareOp::Sw => "sw",
            CompareOp::Ew => "ew",
            CompareOp::Gt => "gt",
            CompareOp::Ge => "ge",
            CompareOp::Lt => "lt",
            CompareOp::Le => "le",
        })
    }
}

impl Display for CompValue {
    /// The JSON literal: `null`, `true`, `false`, a JSON number, or a JSON-escaped string (always
    /// quoted, even if it was read from an unquoted token).
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            CompValue::Null => f.write_str("null"),
            CompValue::Bool(value) => write!(f, "{value}"),
            CompValue::Number(number) => write!(f, "{number}"),
            CompValue::String(text) => {
                let quoted = serde_json::to_string(text).map_err(|_| fmt::Error)?;
                f.write_str(&quoted)
            }
        }
    }
}

impl Display for Filter {
    /// Canonical filter text. `not` always wraps its operand in parentheses (the grammar needs
    /// them); `and` / `or` operands get parentheses only when the left-associative precedence
    /// (`not` > `and` > `or`) would otherwise regroup them.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Filter::Compare { path, op, value } => write!(f, "{path} {op} {value}"),
            Filter::Present(path) => write!(f, "{path} pr"),
            Filter::And(left, right) => {
                write_operand(f, left, matches!(**left, Filter::Or(..)))?;
                f.write_str(" and ")?;
                write_operand(
                    f,
                    right,
                    matches!(**right, Filter::Or(..) | Filter::And(..)),
                )
            }
            Filter::Or(left, right) => {
                write_operand(f, left, false)?;
                f.write_str(" or ")?;
                write_operand(f, right, matches!(**right, Filter::Or(..)))
            }
            Filter::Not(inner) => write!(f, "not ({inner})"),
            Filter::ValuePath { path, filter } => write!(f, "{path}[{filter}]"),
        }
    }
}

/// Writes one operand of `and` / `or`, in parentheses if `grouped`.
fn write_operand(f: &mut Formatter<'_>, operand: &Filter, grouped: bool) -> fmt::Result {
    if grouped {
        write!(f, "({operand})")
    } else {
        write!(f, "{operand}")
    }
}

impl Display for PatchPath {
    /// `attrPath`, `attrPath "[" valFilter "]"` or `attrPath "[" valFilter "]" "." subAttr`
    /// (RFC 7644 §3.5.2).
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.attr)?;
        if let Some(filter) = &self.value_filter {
            write!(f, "[{filter}]")?;
        }
        if let Some(sub) = &self.sub_after_filter {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use proptest::prelude::*;
    use serde_json::Number;

    use super::super::parse::tests::{VALID_FILTERS, VALID_PATCH_PATHS, attr, cmp, s, sub, urn};
    use super::super::parse::{parse_filter, parse_patch_path};
    use super::*;

    fn canonical(input: &str) -> String {
        match parse_filter(input) {
            Ok(filter) => filter.to_string(),
            Err(err) => panic!("`{input}` should parse: {err}"),
        }
    }

    #[test]
    fn prints_canonical_text() {
        let cases = [
            (
                r#"userName Eq "john""#,
                r#"userName eq "john""#,
                "operators are lower-cased",
            ),
            (
                "a eq TRUE and b eq Null",
                "a eq true and b eq null",
                "keywords are lower-cased",
            ),
            (
                "A PR OR B PR",
                "A pr or B pr",
                "attribute names keep their spelling",
            ),
            ("  a\teq\n1  ", "a eq 1", "whitespace is normalised"),
            ("((a pr))", "a pr", "redundant parentheses are dropped"),
            ("NOT(a pr)", "not (a pr)", "not always wraps its operand"),
            (
                "userName sw O",
                r#"userName sw "O""#,
                "unquoted tokens are quoted",
            ),
            (
                r#"a eq "caf\u00e9 \"x\" \\""#,
                r#"a eq "café \"x\" \\""#,
                "strings are JSON-escaped",
            ),
            (
                "a eq 1e3",
                "a eq 1000.0",
                "numbers print as serde_json prints them",
            ),
            (
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value pr",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value pr",
                "URN paths",
            ),
            ("emails[ type eq 1 ]", "emails[type eq 1]", "value filters"),
        ];
        for (input, expected, reason) in cases {
            assert_eq!(canonical(input), expected, "{reason}");
        }
    }

    #[test]
    fn parenthesises_only_where_precedence_requires() {
        let cases = [
            ("a pr or b pr and c pr", "a pr or b pr and c pr"),
            ("(a pr or b pr) and c pr", "(a pr or b pr) and c pr"),
            ("a pr and (b pr or c pr)", "a pr and (b pr or c pr)"),
            ("a pr and (b pr and c pr)", "a pr and (b pr and c pr)"),
            ("(a pr and b pr) and c pr", "a pr and b pr and c pr"),
            ("a pr or (b pr or c pr)", "a pr or (b pr or c pr)"),
            ("(a pr or b pr) or c pr", "a pr or b pr or c pr"),
            ("a pr or (b pr and c pr)", "a pr or b pr and c pr"),
            ("not (a pr or b pr) and c pr", "not (a pr or b pr) and c pr"),
        ];
        for (input, expected) in cases {
            assert_eq!(canonical(input), expected, "`{input}`");
        }
    }

    #[test]
    fn a_float_prints_as_text_that_parses_back_to_the_same_number() {
        // serde_json's default float parsing was one ulp off for this one (found by the fuzz
        // target in tests/api/fuzz).
        let filter = parse_filter("userName eq -4.161921201864566e-156").unwrap();
        assert_eq!(parse_filter(&filter.to_string()), Ok(filter));
    }

    #[test]
    fn round_trips_every_valid_filter() {
        for input in VALID_FILTERS {
            let filter = parse_filter(input).unwrap();
            let text = filter.to_string();
            assert_eq!(
                parse_filter(&text),
                Ok(filter),
                "`{input}` printed as `{text}`"
            );
        }
    }

    #[test]
    fn round_trips_every_valid_patch_path() {
        for input in VALID_PATCH_PATHS {
            let path = parse_patch_path(input).unwrap();
            let text = path.to_string();
            assert_eq!(text, *input, "already canonical");
            assert_eq!(
                parse_patch_path(&text),
                Ok(path),
                "`{input}` printed as `{text}`"
            );
        }
    }

    #[test]
    fn prints_attribute_paths_and_values() {
        assert_eq!(sub("name", "familyName").to_string(), "name.familyName");
        assert_eq!(
            urn("urn:x:y", "manager", Some("value")).to_string(),
            "urn:x:y:manager.value"
        );
        assert_eq!(CompValue::Null.to_string(), "null");
        assert_eq!(CompValue::Bool(false).to_string(), "false");
        assert_eq!(CompValue::Number(Number::from(-3)).to_string(), "-3");
        assert_eq!(s("a\u{1}b").to_string(), r#""a\u0001b""#);
        assert_eq!(
            cmp(attr("meta"), CompareOp::Le, s("2011")).to_string(),
            r#"meta le "2011""#
        );
    }

    // ---- property: Display round-trips every AST the parser can produce ----------------------

    const URNS: [&str; 3] = [
        "urn:ietf:params:scim:schemas:core:2.0:User",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        "URN:example:x-y_z:1.0",
    ];

    fn name() -> impl Strategy<Value = String> {
        prop_oneof![
            9 => "[a-zA-Z][a-zA-Z0-9_-]{0,6}",
            1 => Just("$ref".to_owned()),
            1 => prop::sample::select(vec!["not", "and", "or", "urn", "pr", "eq", "true", "null"])
                .prop_map(str::to_owned),
        ]
    }

    fn path(with_sub: bool) -> impl Strategy<Value = AttrPath> {
        let urn = prop::option::weighted(
            0.2,
            prop::sample::select(URNS.to_vec()).prop_map(str::to_owned),
        );
        let sub = if with_sub {
            prop::option::of(name()).boxed()
        } else {
            Just(None).boxed()
        };
        (urn, name(), sub).prop_map(|(urn, name, sub)| AttrPath { urn, name, sub })
    }

    fn value() -> impl Strategy<Value = CompValue> {
        prop_oneof![
            Just(CompValue::Null),
            any::<bool>().prop_map(CompValue::Bool),
            any::<i64>().prop_map(|n| CompValue::Number(n.into())),
            any::<u64>().prop_map(|n| CompValue::Number(n.into())),
            // Quarters print exactly, so the float parse cannot be off by an ulp.
            (-1_000_000i64..1_000_000).prop_filter_map("finite", |n| {
                Number::from_f64(n as f64 / 4.0).map(CompValue::Number)
            }),
            any::<String>().prop_map(CompValue::String),
        ]
    }

    fn op() -> impl Strategy<Value = CompareOp> {
        prop::sample::select(vec![
            CompareOp::Eq,
            CompareOp::Ne,
            CompareOp::Co,
            CompareOp::Sw,
            CompareOp::Ew,
            CompareOp::Gt,
            CompareOp::Ge,
            CompareOp::Lt,
            CompareOp::Le,
        ])
    }

    fn leaf() -> impl Strategy<Value = Filter> {
        prop_oneof![
            (path(true), op(), value()).prop_map(|(path, op, value)| Filter::Compare {
                path,
                op,
                value
            }),
            path(true).prop_map(Filter::Present),
        ]
    }

    /// Filters without value paths: what may appear inside `[...]`.
    fn flat_filter() -> impl Strategy<Value = Filter> {
        leaf().prop_recursive(4, 24, 2, |inner| {
            prop_oneof![
                (inner.clone(), inner.clone())
                    .prop_map(|(l, r)| Filter::And(Box::new(l), Box::new(r))),
                (inner.clone(), inner.clone())
                    .prop_map(|(l, r)| Filter::Or(Box::new(l), Box::new(r))),
                inner.prop_map(|f| Filter::Not(Box::new(f))),
            ]
        })
    }

    fn filter() -> impl Strategy<Value = Filter> {
        let value_path =
            (path(false), flat_filter()).prop_map(|(path, filter)| Filter::ValuePath {
                path,
                filter: Box::new(filter),
            });
        prop_oneof![leaf(), value_path].prop_recursive(4, 24, 2, |inner| {
            prop_oneof![
                (inner.clone(), inner.clone())
                    .prop_map(|(l, r)| Filter::And(Box::new(l), Box::new(r))),
                (inner.clone(), inner.clone())
                    .prop_map(|(l, r)| Filter::Or(Box::new(l), Box::new(r))),
                inner.prop_map(|f| Filter::Not(Box::new(f))),
            ]
        })
    }

    proptest! {
        #[test]
        fn display_round_trips_generated_filters(filter in filter()) {
            let text = filter.to_string();
            prop_assert_eq!(parse_filter(&text), Ok(filter), "printed as `{}`", text);
        }

        #[test]
        fn display_round_trips_generated_patch_paths(
            attr in path(true),
            value_filter in flat_filter(),
            sub_after_filter in prop::option::of(name()),
            plain in any::<bool>(),
        ) {
            let path = if plain {
                PatchPath { attr, value_filter: None, sub_after_filter: None }
            } else {
                let attr = AttrPath { sub: None, ..attr };
                PatchPath { attr, value_filter: Some(value_filter), sub_after_filter }
            };
            let text = path.to_string();
            prop_assert_eq!(parse_patch_path(&text), Ok(path), "printed as `{}`", text);
        }

        #[test]
        fn parsing_arbitrary_text_never_panics_and_round_trips(
            input in r#"[a-z ()\[\]".:$0-9\\-]{0,40}|(not|and|or|eq|pr| |\(|\)|\[|\]|a|b\.c|"x"|1|urn:a:b:c){0,16}"#
        ) {
            if let Ok(filter) = parse_filter(&input) {
                let text = filter.to_string();
                prop_assert_eq!(parse_filter(&text), Ok(filter), "`{}` printed as `{}`", input, text);
            }
        }
    }
}
