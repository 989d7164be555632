//! SCIM filters (RFC 7644 §3.4.2.2) and PATCH paths (RFC 7644 §3.5.2): parsed once into an AST
//! that the store compiles to SQL and PATCH evaluates in memory. This module is pure — no I/O,
//! and no dependency on poem, sqlx or tokio — so it can be tested on its own.
//!
//! - [`parse_filter`], [`parse_attr_path`] and [`parse_patch_path`] turn text into the AST, or
//!   into a [`FilterError`] with a byte position and a plain-English message.
//! - `Display` on the AST prints canonical text that parses back to the same AST.
//! - [`matches`] evaluates a filter against one JSON resource or multi-valued element.

mod ast;
mod display;
mod eval;
mod parse;

pub use ast::{AttrPath, CompValue, CompareOp, Filter, PatchPath};
pub use eval::matches;
pub use parse::{
    FilterError, MAX_TERMS, TermBudget, parse_attr_path, parse_filter, parse_filter_within,
    parse_patch_path, parse_patch_path_within,
};
