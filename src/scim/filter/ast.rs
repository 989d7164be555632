//! The filter AST of RFC 7644 §3.4.2.2, shared by queries (compiled to SQL by `store`) and by
//! PATCH value paths (evaluated in memory by `eval`). Pure data: no parsing, no I/O.

use serde_json::Number;

/// An attribute path: `[URN ":"] name ["." subAttr]` (RFC 7644 §3.4.2.2 `attrPath`).
///
/// Names keep the spelling the client used; attribute names are case-insensitive
/// (RFC 7643 §2.1), so every consumer compares them with `eq_ignore_ascii_case`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrPath {
    /// Schema URN prefix, e.g. `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`.
    pub urn: Option<String>,
    /// Top-level attribute name, e.g. `emails`.
    pub name: String,
    /// Sub-attribute name, e.g. `value` in `emails.value`.
    pub sub: Option<String>,
}

/// A comparison operator (RFC 7644 §3.4.2.2, Table 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

/// A comparison value: a JSON literal (`compValue` in the ABNF).
#[derive(Debug, Clone, PartialEq)]
pub enum CompValue {
    Null,
    Bool(bool),
    Number(Number),
    String(String),
}

/// A parsed filter expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// `attrPath op compValue`
    Compare {
        path: AttrPath,
        op: CompareOp,
        value: CompValue,
    },
    /// `attrPath pr`
    Present(AttrPath),
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    /// `attrPath "[" valFilter "]"`: some value of the multi-valued attribute `path`
    /// matches `filter`, whose paths are relative to that value (e.g. `type`, `value`).
    ValuePath {
        path: AttrPath,
        filter: Box<Filter>,
    },
}

impl Filter {
    /// The operands of an `and` (or `or`) chain, left to right: `a and (b and c) and d` gives
    /// `[a, b, c, d]`; any other filter is its own only operand. Walks with a stack of its own, so
    /// a chain of any length costs no recursion (the parser nests chains n levels deep).
    pub fn operands(&self) -> Vec<&Filter> {
        let mut out = Vec::new();
        let mut stack = vec![self];
        while let Some(node) = stack.pop() {
            match (self, node) {
                (Filter::And(..), Filter::And(left, right))
                | (Filter::Or(..), Filter::Or(left, right)) => {
                    stack.push(right);
                    stack.push(left);
                }
                _ => out.push(node),
            }
        }
        out
    }
}

/// A PATCH target (RFC 7644 §3.5.2 `PATH = attrPath / valuePath [subAttr]`).
#[derive(Debug, Clone, PartialEq)]
pub struct PatchPath {
    /// The attribute; carries `sub` only in the plain `attrPath` form (`name.familyName`).
    pub attr: AttrPath,
    /// The value filter of the `valuePath` form (`emails[type eq "work"]`).
    pub value_filter: Option<Filter>,
    /// The sub-attribute after a value filter (`emails[type eq "work"].value`).
    pub sub_after_filter: Option<String>,
}
