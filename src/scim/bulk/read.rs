//! Reading a `BulkRequest` body (RFC 7644 §3.7) one operation at a time. Each operation is
//! parsed into a JSON tree, turned into its [`BulkOperation`] and dropped before the next one
//! is read, so a request of 1,000 operations never holds the tree of the whole body beside the
//! operations made from it (a tree costs several times its text: see `http::body`).

use std::fmt;

use serde::Deserializer as _;
use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::request::{BulkOperation, BulkRequest, operation, unique_bulk_ids};
use super::{BULK_REQUEST_SCHEMA, BulkError};
use crate::scim::error::ProtocolError;
use crate::scim::limits::Limits;

/// Parses a BulkRequest body, refusing it as a whole when it is not JSON or no BulkRequest, has
/// more than `max_operations` operations (counted before any operation's content matters),
/// or uses a `bulkId` twice (references to it would be ambiguous). Each operation is held to
/// the `limits` of the single request it stands for (values per User attribute, PATCH
/// operations, filter terms).
pub fn parse(
    body: &[u8],
    max_operations: usize,
    limits: &Limits,
) -> Result<BulkRequest, BulkError> {
    let starts_object = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    if !starts_object {
        return Err(match serde_json::from_slice::<IgnoredAny>(body) {
            Ok(_) => syntax("the bulk request body must be a JSON object"),
            Err(e) => not_json(&e),
        });
    }
    let mut top = TopLevel {
        max_operations,
        limits,
        schemas: None,
        fail_on_errors: None,
        operations: None,
        repeated: None,
    };
    let mut de = serde_json::Deserializer::from_slice(body);
    de.deserialize_map(&mut top)
        .and_then(|()| de.end())
        .map_err(|e| not_json(&e))?;
    top.finish()
}

fn syntax(message: &str) -> BulkError {
    BulkError::Protocol(ProtocolError::InvalidSyntax(message.to_owned()))
}

fn not_json(e: &serde_json::Error) -> BulkError {
    syntax(&format!("the request body is not valid JSON: {e}"))
}

/// The members of the body's top-level object that matter, as they are read.
struct TopLevel<'a> {
    max_operations: usize,
    limits: &'a Limits,
    schemas: Option<Value>,
    fail_on_errors: Option<Value>,
    operations: Option<Operations>,
    /// A member that appeared twice (names match in any case, RFC 7643 §2.1).
    repeated: Option<String>,
}

/// What the `Operations` member held.
enum Operations {
    /// Not an array.
    NotArray,
    /// An array of `count` elements; `parsed` holds its operations while `first_error` is none
    /// and `count` is within the limit.
    Array {
        count: usize,
        parsed: Vec<BulkOperation>,
        first_error: Option<BulkError>,
    },
}

impl TopLevel<'_> {
    /// The request, with its problems refused in a fixed order: too many operations first,
    /// then the schema, `failOnErrors`, a malformed operation, a repeated `bulkId`.
    fn finish(self) -> Result<BulkRequest, BulkError> {
        let (count, parsed, first_error) = match self.operations {
            Some(Operations::Array {
                count,
                parsed,
                first_error,
            }) => (count, parsed, first_error),
            Some(Operations::NotArray) | None => {
                return Err(syntax("a BulkRequest needs an \"Operations\" array"));
            }
        };
        if count > self.max_operations {
            return Err(BulkError::TooManyOperations {
                count,
                max: self.max_operations,
            });
        }
        if let Some(name) = self.repeated {
            return Err(syntax(&format!(
                "the member \"{name}\" appears more than once in the bulk request"
            )));
        }
        let has_schema = self
            .schemas
            .as_ref()
            .and_then(Value::as_array)
            .is_some_and(|s| {
                s.iter().any(|u| {
                    u.as_str()
                        .is_some_and(|u| u.eq_ignore_ascii_case(BULK_REQUEST_SCHEMA))
                })
            });
        if !has_schema {
            return Err(syntax(&format!(
                "the bulk request must list the schema {BULK_REQUEST_SCHEMA}"
            )));
        }
        let fail_on_errors = match self.fail_on_errors {
            None | Some(Value::Null) => None,
            Some(v) => match v.as_u64().filter(|n| *n >= 1) {
                Some(n) => Some(usize::try_from(n).unwrap_or(usize::MAX)),
                None => {
                    return Err(BulkError::Protocol(ProtocolError::InvalidValue(
                        "failOnErrors must be an integer of at least 1".into(),
                    )));
                }
            },
        };
        if let Some(e) = first_error {
            return Err(e);
        }
        unique_bulk_ids(&parsed)?;
        Ok(BulkRequest {
            fail_on_errors,
            operations: parsed,
        })
    }

    /// Notes a member seen before, so the request can be refused.
    fn note_repeat(&mut self, seen_before: bool, name: &str) {
        if seen_before && self.repeated.is_none() {
            self.repeated = Some(name.to_owned());
        }
    }
}

impl<'de> Visitor<'de> for &mut TopLevel<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a BulkRequest object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if key.eq_ignore_ascii_case("Operations") {
                self.note_repeat(self.operations.is_some(), &key);
                let seed = OperationsSeed {
                    max: self.max_operations,
                    limits: self.limits,
                };
                self.operations = Some(map.next_value_seed(seed)?);
            } else if key.eq_ignore_ascii_case("schemas") {
                self.note_repeat(self.schemas.is_some(), &key);
                self.schemas = Some(map.next_value()?);
            } else if key.eq_ignore_ascii_case("failOnErrors") {
                self.note_repeat(self.fail_on_errors.is_some(), &key);
                self.fail_on_errors = Some(map.next_value()?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

/// Reads the `Operations` member.
struct OperationsSeed<'a> {
    max: usize,
    limits: &'a Limits,
}

impl<'de> DeserializeSeed<'de> for OperationsSeed<'_> {
    type Value = Operations;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Operations, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for OperationsSeed<'_> {
    type Value = Operations;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of operations")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Operations, A::Error> {
        let mut count = 0;
        let mut parsed = Vec::new();
        let mut first_error = None;
        loop {
            // Past the limit, or once the request is refused anyway, the rest is only counted.
            if count >= self.max || first_error.is_some() {
                if seq.next_element::<IgnoredAny>()?.is_none() {
                    break;
                }
            } else {
                let Some(op) = seq.next_element::<Value>()? else {
                    break;
                };
                match operation(count, &op, self.limits) {
                    Ok(op) => parsed.push(op),
                    Err(e) => first_error = Some(e),
                }
            }
            count += 1;
        }
        if count > self.max {
            parsed = Vec::new();
        }
        Ok(Operations::Array {
            count,
            parsed,
            first_error,
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Operations, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Operations::NotArray)
    }

    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Operations, E> {
        Ok(Operations::NotArray)
    }

    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Operations, E> {
        Ok(Operations::NotArray)
    }

    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Operations, E> {
        Ok(Operations::NotArray)
    }

    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Operations, E> {
        Ok(Operations::NotArray)
    }

    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Operations, E> {
        Ok(Operations::NotArray)
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Operations, E> {
        Ok(Operations::NotArray)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_is_refused_as_json_or_as_a_bulk_request_with_a_clear_reason() {
        let cases = [
            ("", "not valid JSON"),
            ("{\"schemas\": [", "not valid JSON"),
            ("[1, 2]", "must be a JSON object"),
            ("{} trailing", "not valid JSON"),
            (r#"{"schemas": []}"#, "\"Operations\" array"),
            (r#"{"Operations": {"a": 1}}"#, "\"Operations\" array"),
            (r#"{"Operations": null}"#, "\"Operations\" array"),
            (r#"{"Operations": [], "operations": []}"#, "more than once"),
            (r#"{"Operations": [{"method": [}]}"#, "not valid JSON"),
        ];
        for (body, reason) in cases {
            let refused = parse(body.as_bytes(), 10, &Limits::DEFAULT).expect_err(body);
            assert!(
                matches!(
                    refused,
                    BulkError::Protocol(ProtocolError::InvalidSyntax(_))
                ),
                "{body}: {refused:?}"
            );
            assert!(refused.to_string().contains(reason), "{body}: {refused}");
        }
    }

    #[test]
    fn operations_past_the_limit_are_counted_without_being_parsed() {
        let body = format!(
            r#"{{"Operations": [{}], "schemas": ["{BULK_REQUEST_SCHEMA}"]}}"#,
            [r#"{"method": "POST", "data": {"deep": [[[1]]]}}"#; 5].join(",")
        );
        let refused = parse(body.as_bytes(), 3, &Limits::DEFAULT).expect_err("five is over three");
        assert_eq!(refused, BulkError::TooManyOperations { count: 5, max: 3 });
        // Member names match in any case, and an unknown member is skipped.
        let body = format!(
            r#"{{"SCHEMAS": ["{BULK_REQUEST_SCHEMA}"], "extra": {{"x": [1]}}, "failonerrors": 2, "operations": []}}"#
        );
        let request = parse(body.as_bytes(), 3, &Limits::DEFAULT).expect("a valid request");
        assert_eq!(request.fail_on_errors, Some(2));
        assert!(request.operations.is_empty());
    }
}
