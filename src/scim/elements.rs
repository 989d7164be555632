//! When two values of a multi-valued attribute are the same element (RFC 7644 §3.5.2.1: `add`
//! appends only values not already present), and an index that answers it for a whole list in
//! constant time per lookup, so adding n values to m costs n + m instead of n × m (16,000
//! emails took 1.4 s inside the write transaction when every new value was compared with every
//! present one). Pure.

use std::collections::HashMap;
use std::fmt::Write;

use serde_json::Value;

/// Two values of a multi-valued attribute are the same element when their `value`s match and
/// their `type`s do not differ (a member sent as `{"value": id}` is the member stored with its
/// `display` and `type`); values without `value` compare whole, ignoring `primary`.
pub fn same_element(a: &Value, b: &Value) -> bool {
    match (a.get("value"), b.get("value")) {
        (Some(x), Some(y)) => {
            x == y
                && (a.get("type").is_none()
                    || b.get("type").is_none()
                    || a.get("type") == b.get("type"))
        }
        _ => without_primary(a) == without_primary(b),
    }
}

/// Whether `v` is marked `primary` (RFC 7643 §2.4).
pub fn is_primary(v: &Value) -> bool {
    v.get("primary") == Some(&Value::Bool(true))
}

/// Removes the `primary` mark of `v`.
pub fn clear_primary(v: &mut Value) {
    if let Some(o) = v.as_object_mut() {
        o.remove("primary");
    }
}

fn without_primary(v: &Value) -> Value {
    let mut v = v.clone();
    clear_primary(&mut v);
    v
}

/// The elements of a list by what [`same_element`] compares, each with its first position.
#[derive(Debug, Default)]
pub struct ElementIndex {
    /// Elements with a `value`, by that value.
    by_value: HashMap<String, Typed>,
    /// Elements without one, whole and without `primary`.
    whole: HashMap<String, usize>,
}

/// The elements sharing one `value`.
#[derive(Debug, Default)]
struct Typed {
    /// The first without a `type`: the same element as any value with this `value`.
    untyped: Option<usize>,
    /// The first with a `type`, for a value without one.
    any_typed: Option<usize>,
    by_type: HashMap<String, usize>,
}

impl ElementIndex {
    /// Indexes `items` by their positions.
    pub fn new(items: &[Value]) -> Self {
        let mut index = Self::default();
        for (position, item) in items.iter().enumerate() {
            index.insert(item, position);
        }
        index
    }

    /// Records `item` at `position` (a later position of the same element is not recorded).
    pub fn insert(&mut self, item: &Value, position: usize) {
        match item.get("value") {
            Some(value) => {
                let typed = self.by_value.entry(key(value)).or_default();
                match item.get("type") {
                    None => {
                        typed.untyped.get_or_insert(position);
                    }
                    Some(t) => {
                        typed.any_typed.get_or_insert(position);
                        typed.by_type.entry(key(t)).or_insert(position);
                    }
                }
            }
            None => {
                self.whole
                    .entry(key(&without_primary(item)))
                    .or_insert(position);
            }
        }
    }

    /// The first position of an element that is the same element as `item`.
    pub fn find(&self, item: &Value) -> Option<usize> {
        match item.get("value") {
            Some(value) => {
                let typed = self.by_value.get(&key(value))?;
                let other = match item.get("type") {
                    None => typed.any_typed,
                    Some(t) => typed.by_type.get(&key(t)).copied(),
                };
                [typed.untyped, other].into_iter().flatten().min()
            }
            None => self.whole.get(&key(&without_primary(item))).copied(),
        }
    }
}

/// Text that is equal for exactly the JSON values `==` finds equal: object members in key
/// order (serde_json's maps compare regardless of order), and zero without its sign.
fn key(v: &Value) -> String {
    let mut out = String::new();
    write_key(v, &mut out);
    out
}

fn write_key(v: &Value, out: &mut String) {
    match v {
        Value::Number(n) if n.as_f64() == Some(0.0) && n.is_f64() => out.push_str("0.0"),
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => {
            let _ = write!(out, "{v}");
        }
        Value::Array(items) => {
            out.push('[');
            for item in items {
                write_key(item, out);
                out.push(',');
            }
            out.push(']');
        }
        Value::Object(members) => {
            let mut sorted: Vec<_> = members.iter().collect();
            sorted.sort_unstable_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (k, v) in sorted {
                let _ = write!(out, "{}:", Value::String(k.clone()));
                write_key(v, out);
                out.push(',');
            }
            out.push('}');
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    #[test]
    fn finds_the_first_same_element() {
        let items = [
            json!({"value": "a", "type": "work"}),
            json!({"value": "a", "type": "home"}),
            json!({"value": "b"}),
            json!({"locality": "x", "primary": true}),
            json!("plain"),
        ];
        let index = ElementIndex::new(&items);
        let cases = [
            (json!({"value": "a"}), Some(0), "no type: any typed one"),
            (
                json!({"value": "a", "type": "home"}),
                Some(1),
                "the same type",
            ),
            (json!({"value": "a", "type": "other"}), None, "another type"),
            (
                json!({"value": "b", "type": "work"}),
                Some(2),
                "an untyped one matches any type",
            ),
            (json!({"locality": "x"}), Some(3), "whole, ignoring primary"),
            (json!({"locality": "y"}), None, "whole, differing"),
            (json!("plain"), Some(4), "a simple value"),
            (json!({"value": 1}), None, "another value"),
        ];
        for (item, expected, reason) in cases {
            assert_eq!(index.find(&item), expected, "{reason}");
        }
    }

    fn element() -> impl Strategy<Value = Value> {
        let text = prop::sample::select(vec!["a", "b", "A"]);
        let scalar = prop_oneof![
            text.clone().prop_map(Value::from),
            Just(json!(0)),
            Just(json!(0.0)),
            Just(json!(-0.0)),
            Just(json!(1)),
            Just(Value::Null),
            Just(json!(true)),
        ];
        let member = (
            prop::sample::select(vec!["value", "type", "primary", "display", "x"]),
            scalar.clone(),
        );
        prop_oneof![
            1 => scalar,
            4 => prop::collection::vec(member, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())),
        ]
    }

    proptest! {
        #![proptest_config(crate::scim::proptest_config())]

        #[test]
        fn the_index_agrees_with_comparing_pairwise(
            items in prop::collection::vec(element(), 0..8),
            probe in element(),
        ) {
            let expected = items.iter().position(|e| same_element(e, &probe));
            prop_assert_eq!(ElementIndex::new(&items).find(&probe), expected);
        }
    }
}
