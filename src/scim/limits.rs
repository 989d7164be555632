//! Limits on the counts one request may ask for (README "Limits"). Each bounds work that grows
//! with the count, and a request over one is refused with a SCIM error before that work starts:
//! scimd answers what it can answer at a cost proportional to the request, and nothing else.
//! Pure: the values come from the configuration, the checks run on parsed JSON.

use serde_json::{Map, Value};

use super::error::ProtocolError;
use super::patch::Operation;

/// The per-request limits the configuration sets (`scimd serve --help`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Values of one multi-valued User attribute (`emails`, `roles`, …) in a request, and after
    /// a write. Group `members` are not counted: member changes cost one row each.
    pub max_values: usize,
    /// Entries of `attributes` and `excludedAttributes` together.
    pub max_attributes: usize,
    /// Attribute expressions (`attrPath op value`, `attrPath pr`, `attrPath[…]`) in the filters
    /// of one request together: `filter`, the value filters of PATCH paths, and those of
    /// `attributes`.
    pub max_filter_terms: usize,
    /// Operations in one PATCH request.
    pub max_operations: usize,
}

impl Limits {
    /// The defaults of `scimd serve`.
    pub const DEFAULT: Limits = Limits {
        max_values: 1_000,
        max_attributes: 200,
        max_filter_terms: 200,
        max_operations: 1_000,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Refuses a request body, or the value of a PATCH operation, holding an array of more than
/// `max` elements as an attribute or as an attribute of an extension (`{"emails": […]}`,
/// `{"urn:…:User": {"x": […]}}`) or as itself (`"value": […]`). Runs on the raw JSON, so the
/// values are never validated or compared.
pub fn check_arrays(value: &Value, max: usize) -> Result<(), ProtocolError> {
    let too_many = |name: &str, n: usize| {
        ProtocolError::InvalidValue(format!(
            "\"{name}\" has {n} values: at most {max} values of one attribute are accepted"
        ))
    };
    match value {
        Value::Array(items) if items.len() > max => Err(too_many("value", items.len())),
        Value::Object(attrs) => {
            for (name, v) in attrs {
                match v {
                    Value::Array(items) if items.len() > max => {
                        return Err(too_many(name, items.len()));
                    }
                    Value::Object(inner) => {
                        for (sub, v) in inner {
                            if let Value::Array(items) = v
                                && items.len() > max
                            {
                                return Err(too_many(&format!("{name}.{sub}"), items.len()));
                            }
                        }
                    }
                    _ => {}
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Refuses PATCH operations whose values hold more than `max` values of one attribute, as
/// [`check_arrays`] does for each operation's `value`. Runs on the parsed operations before the
/// resource is loaded, so an oversized PATCH costs no transaction.
pub fn check_operation_values(ops: &[Operation], max: usize) -> Result<(), ProtocolError> {
    ops.iter()
        .filter_map(|op| op.value.as_ref())
        .try_for_each(|value| check_arrays(value, max))
}

/// Refuses a write that leaves a multi-valued attribute of `after` with more than `max` values
/// and more than it had `before` (a limit lowered since then does not lock a user out of other
/// changes).
pub fn check_grown(
    before: &Map<String, Value>,
    after: &Map<String, Value>,
    max: usize,
) -> Result<(), ProtocolError> {
    for (name, v) in after {
        let Value::Array(items) = v else { continue };
        let had = before
            .get(name)
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        if items.len() > max && items.len() > had {
            return Err(ProtocolError::InvalidValue(format!(
                "\"{name}\" would have {} values: at most {max} values of one attribute are accepted",
                items.len()
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn many(n: usize) -> Value {
        Value::Array(vec![json!({"value": "x"}); n])
    }

    #[test]
    fn arrays_up_to_the_limit_pass_and_longer_ones_are_refused() {
        let cases = [
            (json!({"emails": many(3)}), true, "at the limit"),
            (json!({"emails": many(4)}), false, "an attribute over it"),
            (
                json!({"urn:x:User": {"roles": many(4)}}),
                false,
                "an extension's attribute",
            ),
            (many(4), false, "a PATCH value that is an array"),
            (
                json!({"emails": [{"x": many(9)}]}),
                true,
                "deeper arrays are no attribute",
            ),
            (json!("text"), true, "no array at all"),
        ];
        for (value, ok, reason) in cases {
            assert_eq!(check_arrays(&value, 3).is_ok(), ok, "{reason}");
        }
    }

    #[test]
    fn a_write_may_not_grow_an_attribute_past_the_limit() {
        let attrs = |n: usize| -> Map<String, Value> {
            [("emails".to_owned(), many(n))].into_iter().collect()
        };
        assert!(
            check_grown(&attrs(2), &attrs(3), 3).is_ok(),
            "up to the limit"
        );
        assert!(check_grown(&attrs(3), &attrs(4), 3).is_err(), "past it");
        assert!(check_grown(&attrs(5), &attrs(5), 3).is_ok(), "unchanged");
        assert!(check_grown(&attrs(6), &attrs(5), 3).is_ok(), "shrinking");
    }
}
