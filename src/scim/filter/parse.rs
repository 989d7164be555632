//! Parser for SCIM filters (RFC 7644 §3.4.2.2) and PATCH paths (RFC 7644 §3.5.2), built with
//! nom 8. Turns text into the AST of `ast` once; nothing here does I/O, and this module must not
//! depend on poem, sqlx or tokio.
//!
//! Structure: nom parses the tokens (names, operators, JSON literals); the expression layer
//! (`or` / `and` / `not` / groups / value filters) is a small recursive-descent parser on top,
//! so that precedence, the nesting limit and error messages stay explicit. `and` / `or` chains
//! are folded in a loop, never by recursion, so long chains cannot overflow the stack.

use nom::branch::alt;
use nom::bytes::complete::{is_not, tag, tag_no_case, take_while, take_while1};
use nom::character::complete::{
    anychar, char, digit0, digit1, multispace0, multispace1, one_of, satisfy,
};
use nom::combinator::{opt, recognize};
use nom::error::{ErrorKind, ParseError};
use nom::multi::many0_count;
use nom::{IResult, Parser};
use serde_json::Number;

use super::ast::{AttrPath, CompValue, CompareOp, Filter, PatchPath};

/// Deepest allowed nesting of `( )`, `not ( )` and `[ ]`; deeper input is rejected instead of
/// risking a stack overflow in this parser or in the recursive consumers of the AST.
pub(super) const MAX_DEPTH: usize = 64;

/// Most attribute expressions (`attrPath op value`, `attrPath pr`, `attrPath[...]`) allowed in
/// one filter, whatever the configuration. The AST is `Box`-nested, so an `and` chain of n terms
/// is n levels deep, and the derived `Clone`, `PartialEq` and `Debug` impls recurse: at 10,000
/// terms they overflow a 2 MiB thread stack (dropping alone survives). 1,000 leaves a wide
/// margin and is far beyond any real filter. Requests are held to a lower, configured number
/// through a [`TermBudget`].
pub const MAX_TERMS: usize = 1_000;

/// How many more attribute expressions the filters of one request may hold together
/// (`Limits::max_filter_terms`): a filter, the value filters of a PATCH's paths, those of an
/// `attributes` list. Each parse takes what it used; a parse that would exceed it fails at the
/// term that does, so no filter of the request costs more than the budget allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TermBudget {
    left: usize,
    max: usize,
}

impl TermBudget {
    /// A budget of `max` terms (at most [`MAX_TERMS`]).
    pub fn new(max: usize) -> Self {
        let max = max.min(MAX_TERMS);
        TermBudget { left: max, max }
    }

    /// The terms not used yet.
    pub fn left(&self) -> usize {
        self.left
    }
}

const EXPECTED_OPERATOR: &str =
    "expected a comparison operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr)";
const EXPECTED_VALUE: &str = "expected a comparison value (a string, number, true, false or null)";
const EXPECTED_NAME: &str =
    "expected an attribute name (a letter, then letters, digits, `-` or `_`)";
const EXPECTED_EXPRESSION: &str = "expected an attribute name, `(` or `not (`";

/// A filter or path that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("at position {position}: {message}")]
pub struct FilterError {
    /// Byte offset into the original input where the problem was found.
    pub position: usize,
    /// What was expected there, in plain words.
    pub message: String,
    /// The input was refused for holding more terms than allowed (not for its syntax): a
    /// leniency that reads unparsable text as something else must not read it so.
    pub too_many_terms: bool,
}

/// Parses a complete filter expression (RFC 7644 §3.4.2.2), e.g. the `filter` query parameter.
///
/// Surrounding whitespace is allowed; anything else left over is an error.
///
/// # Errors
///
/// A [`FilterError`] with the byte position and a description of what was expected, also for
/// nesting deeper than 64 levels or more than 1,000 attribute expressions.
pub fn parse_filter(input: &str) -> Result<Filter, FilterError> {
    parse_filter_within(input, &mut TermBudget::new(MAX_TERMS))
}

/// [`parse_filter`], taking its terms from `budget`.
///
/// # Errors
///
/// As [`parse_filter`], also when the filter holds more terms than `budget` has left.
pub fn parse_filter_within(input: &str, budget: &mut TermBudget) -> Result<Filter, FilterError> {
    let mut grammar = Grammar::new(input, budget);
    let start = skip_ws(input);
    if start.is_empty() {
        return Err(FilterError {
            position: 0,
            message: "empty filter: expected an expression such as `userName eq \"bjensen\"`"
                .to_owned(),
            too_many_terms: false,
        });
    }
    let parsed = grammar
        .or_expr(start, Scope::TOP)
        .and_then(|(rest, filter)| finish(rest, "a complete filter").map(|_| filter));
    grammar.settle(budget, parsed)
}

/// Parses a bare attribute path (`[URN ":"] name ["." subAttr]`), as used by the `sortBy` and
/// `attributes` parameters (RFC 7644 §3.4.2.3, §3.4.2.5).
///
/// # Errors
///
/// A [`FilterError`] if `input` is not exactly one attribute path (surrounding whitespace
/// allowed).
pub fn parse_attr_path(input: &str) -> Result<AttrPath, FilterError> {
    let grammar = Grammar::new(input, &TermBudget::new(0));
    let start = skip_ws(input);
    if start.is_empty() {
        return Err(FilterError {
            position: 0,
            message: "empty attribute path: expected an attribute name".to_owned(),
            too_many_terms: false,
        });
    }
    let parsed = commit(attr_path(start), start, || EXPECTED_NAME.to_owned())
        .and_then(|(rest, path)| finish(rest, "the attribute path").map(|_| path));
    parsed.map_err(|err| grammar.to_error(err))
}

/// Parses a PATCH operation path (RFC 7644 §3.5.2 `PATH = attrPath / valuePath [subAttr]`), e.g.
/// `name.familyName`, `members[value eq "2819c223"]` or `emails[type eq "work"].value`.
///
/// # Errors
///
/// A [`FilterError`] if `input` is not exactly one such path, including a value filter after a
/// sub-attribute (`name.x[...]`) or a nested value filter.
pub fn parse_patch_path(input: &str) -> Result<PatchPath, FilterError> {
    parse_patch_path_within(input, &mut TermBudget::new(MAX_TERMS))
}

/// [`parse_patch_path`], taking the terms of its value filter from `budget`.
///
/// # Errors
///
/// As [`parse_patch_path`], also when the value filter holds more terms than `budget` has left.
pub fn parse_patch_path_within(
    input: &str,
    budget: &mut TermBudget,
) -> Result<PatchPath, FilterError> {
    let mut grammar = Grammar::new(input, budget);
    let start = skip_ws(input);
    if start.is_empty() {
        return Err(FilterError {
            position: 0,
            message: "empty path: expected an attribute name".to_owned(),
            too_many_terms: false,
        });
    }
    let parsed = grammar
        .patch_path(start)
        .and_then(|(rest, path)| finish(rest, "the PATCH path").map(|_| path));
    grammar.settle(budget, parsed)
}

// ---------------------------------------------------------------------------------------------
// Errors inside the parser
// ---------------------------------------------------------------------------------------------

/// The nom error type: where parsing stopped (the unparsed rest of the input) and, for
/// committed failures, a human-readable message. Positions are recovered from the rest's length.
#[derive(Debug)]
struct Stop<'a> {
    rest: &'a str,
    message: Option<String>,
}

impl<'a> ParseError<&'a str> for Stop<'a> {
    fn from_error_kind(input: &'a str, _kind: ErrorKind) -> Self {
        Stop {
            rest: input,
            message: None,
        }
    }

    fn append(_input: &'a str, _kind: ErrorKind, other: Self) -> Self {
        other
    }
}

type PResult<'a, T> = IResult<&'a str, T, Stop<'a>>;

/// A committed failure at `rest`: no alternative can succeed, so report `message`.
fn fail<T>(rest: &str, message: impl Into<String>) -> PResult<'_, T> {
    Err(nom::Err::Failure(Stop {
        rest,
        message: Some(message.into()),
    }))
}

/// A recoverable "not this alternative" result, for lookahead.
fn backtrack<T>(rest: &str) -> PResult<'_, T> {
    Err(nom::Err::Error(Stop {
        rest,
        message: None,
    }))
}

/// Turns a recoverable error from a token parser into a committed failure with `message`.
fn commit<'a, T>(
    result: PResult<'a, T>,
    at: &'a str,
    message: impl FnOnce() -> String,
) -> PResult<'a, T> {
    match result {
        Err(nom::Err::Error(_)) => fail(at, message()),
        other => other,
    }
}

// ---------------------------------------------------------------------------------------------
// Expression layer: or / and / not / groups / value filters
// ---------------------------------------------------------------------------------------------

/// What the expression being parsed is nested in.
#[derive(Debug, Clone, Copy)]
struct Scope {
    /// Levels of `( )`, `not ( )` and `[ ]` around the current position.
    depth: usize,
    /// Inside `attr[...]`, where another value filter is forbidden (RFC 7644 §3.4.2.2).
    in_value_filter: bool,
}

impl Scope {
    const TOP: Scope = Scope {
        depth: 0,
        in_value_filter: false,
    };

    /// The scope one level deeper, or a failure at `at` past [`MAX_DEPTH`].
    fn deeper(self, at: &str) -> Result<Scope, nom::Err<Stop<'_>>> {
        if self.depth >= MAX_DEPTH {
            return Err(nom::Err::Failure(Stop {
                rest: at,
                message: Some(format!(
                    "filter is nested too deeply: at most {MAX_DEPTH} levels of `( )`, `not ( )` and `[ ]` are allowed"
                )),
            }));
        }
        Ok(Scope {
            depth: self.depth + 1,
            ..self
        })
    }
}

/// Parser state shared by the recursive-descent functions.
struct Grammar<'a> {
    /// The whole input, for turning the rest of the input into byte positions.
    full: &'a str,
    /// Attribute expressions seen so far, bounded by `allowed`.
    terms: usize,
    /// What the request's [`TermBudget`] has left.
    allowed: usize,
    /// The budget's whole size, for the message.
    max: usize,
}

impl<'a> Grammar<'a> {
    fn new(full: &'a str, budget: &TermBudget) -> Self {
        Grammar {
            full,
            terms: 0,
            allowed: budget.left,
            max: budget.max,
        }
    }

    /// Takes the terms a successful parse used from `budget`, or turns the failure into an error.
    fn settle<T>(
        &self,
        budget: &mut TermBudget,
        parsed: Result<T, nom::Err<Stop<'a>>>,
    ) -> Result<T, FilterError> {
        let value = parsed.map_err(|err| self.to_error(err))?;
        budget.left -= self.terms;
        Ok(value)
    }

    /// Byte offset of `rest` (always a suffix of the input) in the input.
    fn position(&self, rest: &str) -> usize {
        self.full.len().saturating_sub(rest.len())
    }

    fn to_error(&self, err: nom::Err<Stop<'a>>) -> FilterError {
        match err {
            nom::Err::Error(stop) | nom::Err::Failure(stop) => FilterError {
                position: self.position(stop.rest),
                message: stop
                    .message
                    .unwrap_or_else(|| "invalid filter syntax".to_owned()),
                too_many_terms: self.terms > self.allowed,
            },
            nom::Err::Incomplete(_) => FilterError {
                position: self.full.len(),
                message: "unexpected end of input".to_owned(),
                too_many_terms: false,
            },
        }
    }

    /// `FILTER` with the lowest precedence: `and-expr *(SP "or" SP and-expr)`, left-associative.
    fn or_expr(&mut self, input: &'a str, scope: Scope) -> PResult<'a, Filter> {
        self.chain(input, scope, "or", Self::and_expr, Filter::Or)
    }

    /// `unary *(SP "and" SP unary)`, left-associative; binds tighter than `or`.
    fn and_expr(&mut self, input: &'a str, scope: Scope) -> PResult<'a, Filter> {
        self.chain(input, scope, "and", Self::unary, Filter::And)
    }

    /// Folds `operand *(SP keyword SP operand)` into a left-nested tree in a loop, so a chain
    /// of any length uses constant stack.
    fn chain(
        &mut self,
        input: &'a str,
        scope: Scope,
        keyword: &'static str,
        operand: fn(&mut Self, &'a str, Scope) -> PResult<'a, Filter>,
        combine: fn(Box<Filter>, Box<Filter>) -> Filter,
    ) -> PResult<'a, Filter> {
        let (mut rest, mut acc) = operand(self, input, scope)?;
        loop {
            match logical_keyword(rest, keyword) {
                Ok((after, ())) => {
                    let (next, rhs) = operand(self, after, scope)?;
                    acc = combine(Box::new(acc), Box::new(rhs));
                    rest = next;
                }
                Err(nom::Err::Error(_)) => return Ok((rest, acc)),
                Err(err) => return Err(err),
            }
        }
    }

    /// `"not" "(" FILTER ")"`, `"(" FILTER ")"` or an attribute expression.
    fn unary(&mut self, input: &'a str, scope: Scope) -> PResult<'a, Filter> {
        // `not` counts only when a `(` follows, so names like `notes` or `not` stay attributes.
        let not_open: PResult<'a, _> = (tag_no_case("not"), multispace0, char('(')).parse(input);
        if let Ok((after_open, _)) = not_open {
            let inner_scope = scope.deeper(input)?;
            let (rest, inner) = self.group_body(after_open, inner_scope)?;
            return Ok((rest, Filter::Not(Box::new(inner))));
        }
        if let Some(after_open) = input.strip_prefix('(') {
            let inner_scope = scope.deeper(input)?;
            return self.group_body(after_open, inner_scope);
        }
        self.attr_expr(input, scope)
    }

    /// The inside of a group, just after its `(`: `FILTER ")"`.
    fn group_body(&mut self, after_open: &'a str, scope: Scope) -> PResult<'a, Filter> {
        let open_position = self.position(after_open).saturating_sub(1);
        let (rest, filter) = self.or_expr(skip_ws(after_open), scope)?;
        let rest = skip_ws(rest);
        match rest.strip_prefix(')') {
            Some(after_close) => Ok((after_close, filter)),
            None => fail(
                rest,
                format!(
                    "expected `)` to close the `(` at position {open_position}, or `and` / `or` to continue"
                ),
            ),
        }
    }

    /// The inside of a value filter, just after its `[`: `valFilter "]"`.
    fn bracket_body(&mut self, after_open: &'a str, scope: Scope) -> PResult<'a, Filter> {
        let open_position = self.position(after_open).saturating_sub(1);
        let (rest, filter) = self.or_expr(skip_ws(after_open), scope)?;
        let rest = skip_ws(rest);
        match rest.strip_prefix(']') {
            Some(after_close) => Ok((after_close, filter)),
            None => fail(
                rest,
                format!(
                    "expected `]` to close the `[` at position {open_position}, or `and` / `or` to continue"
                ),
            ),
        }
    }

    /// `attrPath SP compareOp SP compValue`, `attrPath SP "pr"` or `attrPath "[" valFilter "]"`.
    fn attr_expr(&mut self, input: &'a str, scope: Scope) -> PResult<'a, Filter> {
        let (rest, path) = commit(attr_path(input), input, || EXPECTED_EXPRESSION.to_owned())?;
        self.count_term(input)?;
        if rest.starts_with('[') {
            let (rest, filter) = self.value_filter(rest, &path, scope)?;
            if rest.starts_with('.') {
                return fail(
                    rest,
                    "a sub-attribute after `]` is only allowed in PATCH paths, not in filters",
                );
            }
            return Ok((
                rest,
                Filter::ValuePath {
                    path,
                    filter: Box::new(filter),
                },
            ));
        }
        match operator(rest)? {
            (rest, Operator::Present) => Ok((rest, Filter::Present(path))),
            (rest, Operator::Compare(op)) => {
                let (rest, value) = comp_value_after(rest, op)?;
                Ok((rest, Filter::Compare { path, op, value }))
            }
        }
    }

    /// `"[" valFilter "]"` after `path`, starting at the `[`.
    fn value_filter(
        &mut self,
        at_open: &'a str,
        path: &AttrPath,
        scope: Scope,
    ) -> PResult<'a, Filter> {
        if scope.in_value_filter {
            return fail(
                at_open,
                "value filters cannot be nested: `[` is not allowed inside `[...]` (RFC 7644 §3.4.2.2)",
            );
        }
        if path.sub.is_some() {
            return fail(
                at_open,
                "a value filter `[...]` must follow an attribute name, not a sub-attribute",
            );
        }
        let inner_scope = Scope {
            in_value_filter: true,
            ..scope.deeper(at_open)?
        };
        // `[` is one byte, so this is the text after it.
        let after_open = at_open.get(1..).unwrap_or_default();
        self.bracket_body(after_open, inner_scope)
    }

    /// Counts one attribute expression against the budget.
    fn count_term(&mut self, at: &'a str) -> Result<(), nom::Err<Stop<'a>>> {
        self.terms += 1;
        if self.terms > self.allowed {
            let max = self.max;
            let message = if self.allowed == max {
                format!(
                    "filter has too many terms: at most {max} attribute expressions are allowed"
                )
            } else {
                format!(
                    "too many filter terms: the filters of one request may hold at most {max} attribute expressions together"
                )
            };
            return Err(nom::Err::Failure(Stop {
                rest: at,
                message: Some(message),
            }));
        }
        Ok(())
    }

    /// `PATH = attrPath / valuePath [subAttr]` (RFC 7644 §3.5.2).
    fn patch_path(&mut self, input: &'a str) -> PResult<'a, PatchPath> {
        let (rest, attr) = commit(attr_path(input), input, || EXPECTED_NAME.to_owned())?;
        if !rest.starts_with('[') {
            return Ok((
                rest,
                PatchPath {
                    attr,
                    value_filter: None,
                    sub_after_filter: None,
                },
            ));
        }
        let (rest, filter) = self.value_filter(rest, &attr, Scope::TOP)?;
        let (rest, sub_after_filter) = sub_attr(rest)?;
        let rest = reject_second_sub(rest)?;
        Ok((
            rest,
            PatchPath {
                attr,
                value_filter: Some(filter),
                sub_after_filter,
            },
        ))
    }
}

/// Whitespace between tokens: the ABNF's `SP`, leniently widened to tabs and line breaks (the
/// same set as nom's `multispace0` / `multispace1`).
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// Skips optional whitespace.
fn skip_ws(input: &str) -> &str {
    input.trim_start_matches(is_space)
}

/// Succeeds if only whitespace is left after `what`.
fn finish<'a>(rest: &'a str, what: &str) -> PResult<'a, ()> {
    let rest = skip_ws(rest);
    if rest.is_empty() {
        return Ok((rest, ()));
    }
    if rest.starts_with(')') {
        return fail(rest, "unexpected `)` without a matching `(`");
    }
    fail(rest, format!("unexpected `{}` after {what}", snippet(rest)))
}

/// The next word of `rest`, shortened, for quoting in a message.
fn snippet(rest: &str) -> String {
    const MAX_CHARS: usize = 24;
    let word = rest.split(is_space).next().unwrap_or(rest);
    if word.chars().count() > MAX_CHARS {
        let short: String = word.chars().take(MAX_CHARS).collect();
        format!("{short}…")
    } else {
        word.to_owned()
    }
}

/// `SP keyword SP` between two operands (RFC 7644 §3.4.2.2 `logExp`). Whitespace is required on
/// both sides so that `a eq "1" andy eq "x"` is not read as `… and y eq "x"`.
///
/// Backtracks when the next word is something else (`andy`, `orgName`); fails when the keyword
/// is there but no space and operand follow (`a pr and`).
fn logical_keyword<'a>(input: &'a str, keyword: &'static str) -> PResult<'a, ()> {
    let (after_keyword, _) = (multispace1, tag_no_case(keyword)).parse(input)?;
    match after_keyword.chars().next() {
        Some(c) if is_space(c) => Ok((skip_ws(after_keyword), ())),
        Some(c) if is_name_char(c) => backtrack(input),
        _ => fail(
            after_keyword,
            format!("expected a space and then a filter after `{keyword}`"),
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// Attribute paths
// ---------------------------------------------------------------------------------------------

/// `nameChar = "-" / "_" / DIGIT / ALPHA` (RFC 7644 §3.4.2.2).
fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// Characters of a schema URN prefix plus the attribute path after it. Schema URNs use only
/// letters, digits, `:`, `.`, `-` and `_` (RFC 7643 §3, §8.7).
fn is_urn_path_char(c: char) -> bool {
    is_name_char(c) || c == ':' || c == '.' || c == '$'
}

/// `ATTRNAME = ALPHA *(nameChar)`, plus `$ref` (RFC 7643 §2.3.7 uses it as a sub-attribute
/// name, e.g. `members.$ref`).
fn attr_name(input: &str) -> PResult<'_, &str> {
    alt((
        tag("$ref"),
        recognize((
            satisfy(|c| c.is_ascii_alphabetic()),
            take_while(is_name_char),
        )),
    ))
    .parse(input)
}

/// `attrPath = [URI ":"] ATTRNAME *1subAttr`. Backtracks if `input` does not start with a name.
fn attr_path(input: &str) -> PResult<'_, AttrPath> {
    if starts_with_ignore_case(input, "urn:") {
        return urn_attr_path(input);
    }
    let (rest, name) = attr_name(input)?;
    let (rest, sub) = sub_attr(rest)?;
    let rest = reject_second_sub(rest)?;
    Ok((
        rest,
        AttrPath {
            urn: None,
            name: name.to_owned(),
            sub,
        },
    ))
}

/// An attribute path with a schema URN prefix. The URN is everything up to the last `:` of
/// the path; it may contain dots (`…:enterprise:2.0:User:manager.value`), so the split cannot
/// be made at the first `.`.
fn urn_attr_path(input: &str) -> PResult<'_, AttrPath> {
    let (_, run) = take_while1(is_urn_path_char)(input)?;
    // "urn:" alone is not a URN; at least a namespace must follow it.
    let urn = match run.rsplit_once(':') {
        Some((urn, _)) if urn.len() > "urn:".len() => urn,
        _ => {
            return fail(
                input,
                "expected a schema URN such as `urn:ietf:params:scim:schemas:core:2.0:User` before `:` and the attribute name",
            );
        }
    };
    // `:` is one byte, so this is the input after the URN's last colon.
    let after_colon = input.get(urn.len() + 1..).unwrap_or_default();
    let (rest, name) = commit(attr_name(after_colon), after_colon, || {
        "expected an attribute name after the schema URN and `:`".to_owned()
    })?;
    let (rest, sub) = sub_attr(rest)?;
    let rest = reject_second_sub(rest)?;
    let path = AttrPath {
        urn: Some(urn.to_owned()),
        name: name.to_owned(),
        sub,
    };
    Ok((rest, path))
}

/// Optional `subAttr = "." ATTRNAME`.
fn sub_attr(input: &str) -> PResult<'_, Option<String>> {
    let Some(after_dot) = input.strip_prefix('.') else {
        return Ok((input, None));
    };
    let (rest, sub) = commit(attr_name(after_dot), after_dot, || {
        "expected a sub-attribute name after `.`".to_owned()
    })?;
    Ok((rest, Some(sub.to_owned())))
}

/// Fails on a second `.sub`: SCIM attributes nest only one level (RFC 7643 §2.3.8).
fn reject_second_sub(rest: &str) -> Result<&str, nom::Err<Stop<'_>>> {
    if rest.starts_with('.') {
        return Err(nom::Err::Failure(Stop {
            rest,
            message: Some(
                "an attribute path has at most one sub-attribute (`name.subAttr`)".to_owned(),
            ),
        }));
    }
    Ok(rest)
}

fn starts_with_ignore_case(input: &str, prefix: &str) -> bool {
    input
        .get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

// ---------------------------------------------------------------------------------------------
// Operators and values
// ---------------------------------------------------------------------------------------------

/// What follows an attribute path: `pr`, or a comparison that needs a value.
#[derive(Debug, Clone, Copy)]
enum Operator {
    Present,
    Compare(CompareOp),
}

/// `SP compareOp` or `SP "pr"` after an attribute path. Case-insensitive (RFC 7644 §3.4.2.2:
/// "attribute names and attribute operators used in filters are case insensitive").
fn operator(input: &str) -> PResult<'_, Operator> {
    let at_word = match multispace1::<_, Stop<'_>>(input) {
        Ok((at_word, _)) => at_word,
        Err(_) if input.is_empty() => return fail(input, EXPECTED_OPERATOR),
        Err(_) => {
            return fail(
                input,
                format!(
                    "{EXPECTED_OPERATOR} after a space, found `{}`",
                    input.chars().next().unwrap_or(' ')
                ),
            );
        }
    };
    let word_result: PResult<'_, &str> =
        take_while1(|c: char| !is_space(c) && !"()[]\"".contains(c))(at_word);
    let Ok((rest, word)) = word_result else {
        return fail(at_word, EXPECTED_OPERATOR);
    };
    match operator_from_word(word) {
        Some(op) => Ok((rest, op)),
        None => fail(
            at_word,
            format!("{EXPECTED_OPERATOR}, found `{}`", snippet(word)),
        ),
    }
}

/// The operator spelled by `word`, ignoring case (RFC 7644 §3.4.2.2, Table 3).
fn operator_from_word(word: &str) -> Option<Operator> {
    const OPERATORS: [(&str, Operator); 10] = [
        ("eq", Operator::Compare(CompareOp::Eq)),
        ("ne", Operator::Compare(CompareOp::Ne)),
        ("co", Operator::Compare(CompareOp::Co)),
        ("sw", Operator::Compare(CompareOp::Sw)),
        ("ew", Operator::Compare(CompareOp::Ew)),
        ("gt", Operator::Compare(CompareOp::Gt)),
        ("ge", Operator::Compare(CompareOp::Ge)),
        ("lt", Operator::Compare(CompareOp::Lt)),
        ("le", Operator::Compare(CompareOp::Le)),
        ("pr", Operator::Present),
    ];
    OPERATORS
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(word))
        .map(|(_, op)| *op)
}

/// `SP compValue` after the operator `op`.
fn comp_value_after(input: &str, op: CompareOp) -> PResult<'_, CompValue> {
    let expected = || format!("{EXPECTED_VALUE} after `{op}`");
    // LENIENCY: a quoted value right after the operator, as RFC 7644 §3.5.2.2's own example
    // prints it (`members[value eq\"2819c223…\"]`); the quote makes it unambiguous.
    if input.starts_with('"') {
        let (rest, text) = json_string(input)?;
        return Ok((rest, CompValue::String(text)));
    }
    let Ok((at_value, _)) = multispace1::<_, Stop<'_>>(input) else {
        return fail(input, expected());
    };
    if at_value.starts_with('"') {
        let (rest, text) = json_string(at_value)?;
        return Ok((rest, CompValue::String(text)));
    }
    let token_result: PResult<'_, &str> =
        take_while1(|c: char| !is_space(c) && c != ')' && c != ']')(at_value);
    let Ok((rest, token)) = token_result else {
        return fail(at_value, expected());
    };
    match bare_value(token) {
        Ok(Some(value)) => Ok((rest, value)),
        Ok(None) => fail(
            at_value,
            format!("{}, found `{}`", expected(), snippet(token)),
        ),
        Err(message) => fail(at_value, message),
    }
}

/// An unquoted `compValue` token: `true`, `false`, `null` (any case) or a JSON number, else the
/// lenient unquoted string. `Ok(None)` means the token cannot be a value at all.
fn bare_value(token: &str) -> Result<Option<CompValue>, String> {
    for (keyword, value) in [
        ("true", CompValue::Bool(true)),
        ("false", CompValue::Bool(false)),
        ("null", CompValue::Null),
    ] {
        if token.eq_ignore_ascii_case(keyword) {
            return Ok(Some(value));
        }
    }
    if is_json_number(token) {
        return match serde_json::from_str::<Number>(token) {
            Ok(number) => Ok(Some(CompValue::Number(number))),
            Err(_) => Err(format!("number `{}` is out of range", snippet(token))),
        };
    }
    Ok(unquoted_token_as_string(token))
}

/// LENIENCY, not RFC 7644: §3.4.2.2 requires `compValue` to be a JSON literal, so strings must be
/// quoted. Some identity providers nevertheless send unquoted strings, e.g. `userName sw O` or
/// `meta.created gt 2015-10-10T14:38:21.86-07:00`. We read such a bare token (a run of
/// characters other than whitespace, `)` and `]` that is not `true`/`false`/`null` or a JSON
/// number) as a string. The logical keywords are refused so that `userName eq and title pr`
/// still reports the missing value; a missing value or operator is always an error.
fn unquoted_token_as_string(token: &str) -> Option<CompValue> {
    let is_logical_keyword = ["and", "or", "not"]
        .iter()
        .any(|kw| kw.eq_ignore_ascii_case(token));
    (!is_logical_keyword).then(|| CompValue::String(token.to_owned()))
}

/// Whether all of `token` is a JSON number (RFC 8259 §6:
/// `[ "-" ] ( "0" / digit1-9 *DIGIT ) [ "." 1*DIGIT ] [ ( "e" / "E" ) [ "+" / "-" ] 1*DIGIT ]`).
fn is_json_number(token: &str) -> bool {
    let parsed: PResult<'_, &str> = recognize((
        opt(char('-')),
        alt((tag("0"), recognize((one_of("123456789"), digit0)))),
        opt((char('.'), digit1)),
        opt((one_of("eE"), opt(one_of("+-")), digit1)),
    ))
    .parse(token);
    matches!(parsed, Ok(("", _)))
}

/// A JSON string literal starting at `"`, decoded by `serde_json` so every JSON escape
/// (`\"`, `\\`, `\n`, `\u00e9`, surrogate pairs) means what it means in JSON.
fn json_string(input: &str) -> PResult<'_, String> {
    let scanned: PResult<'_, &str> = recognize((
        char('"'),
        many0_count(alt((is_not("\"\\"), recognize((char('\\'), anychar))))),
        char('"'),
    ))
    .parse(input);
    let Ok((rest, literal)) = scanned else {
        return fail(input, "unterminated string: expected a closing `\"`");
    };
    match serde_json::from_str::<String>(literal) {
        Ok(text) => Ok((rest, text)),
        Err(_) => fail(
            input,
            "invalid string: use JSON escapes (\\\", \\\\, \\n, \\uXXXX) and no raw control characters",
        ),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
pub(super) mod tests {
    use super::*;

    // ---- AST builders ------------------------------------------------------------------------

    pub(in super::super) fn attr(name: &str) -> AttrPath {
        AttrPath {
            urn: None,
            name: name.to_owned(),
            sub: None,
        }
    }

    pub(in super::super) fn sub(name: &str, sub: &str) -> AttrPath {
        AttrPath {
            urn: None,
            name: name.to_owned(),
            sub: Some(sub.to_owned()),
        }
    }

    pub(in super::super) fn urn(urn: &str, name: &str, sub: Option<&str>) -> AttrPath {
        AttrPath {
            urn: Some(urn.to_owned()),
            name: name.to_owned(),
            sub: sub.map(str::to_owned),
        }
    }

    pub(in super::super) fn s(text: &str) -> CompValue {
        CompValue::String(text.to_owned())
    }

    fn n(number: i64) -> CompValue {
        CompValue::Number(Number::from(number))
    }

    fn f(number: f64) -> CompValue {
        CompValue::Number(Number::from_f64(number).unwrap())
    }

    pub(in super::super) fn cmp(path: AttrPath, op: CompareOp, value: CompValue) -> Filter {
        Filter::Compare { path, op, value }
    }

    fn eq(path: AttrPath, value: CompValue) -> Filter {
        cmp(path, CompareOp::Eq, value)
    }

    fn pr(path: AttrPath) -> Filter {
        Filter::Present(path)
    }

    fn and(left: Filter, right: Filter) -> Filter {
        Filter::And(Box::new(left), Box::new(right))
    }

    fn or(left: Filter, right: Filter) -> Filter {
        Filter::Or(Box::new(left), Box::new(right))
    }

    fn not(inner: Filter) -> Filter {
        Filter::Not(Box::new(inner))
    }

    fn vp(path: AttrPath, inner: Filter) -> Filter {
        Filter::ValuePath {
            path,
            filter: Box::new(inner),
        }
    }

    const CORE_USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
    const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

    /// Every filter that must parse, shared with the Display round-trip tests.
    pub(in super::super) const VALID_FILTERS: &[&str] = &[
        // RFC 7644 §3.4.2.2 examples.
        r#"userName Eq "john""#,
        r#"userName eq "bjensen""#,
        r#"name.familyName co "O'Malley""#,
        r#"userName sw "J""#,
        r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#,
        r#"title pr"#,
        r#"meta.lastModified gt "2011-05-13T04:42:34Z""#,
        r#"meta.lastModified ge "2011-05-13T04:42:34Z""#,
        r#"meta.lastModified lt "2011-05-13T04:42:34Z""#,
        r#"meta.lastModified le "2011-05-13T04:42:34Z""#,
        r#"title pr and userType eq "Employee""#,
        r#"title pr or userType eq "Intern""#,
        r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#,
        r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
        r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
        r#"userType eq "Employee" and (emails.type eq "work")"#,
        r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#,
        r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
        // Okta / Entra ID probes.
        r#"userName eq "test@example.com""#,
        r#"externalId eq "abc""#,
        r#"displayName eq "Group A""#,
        r#"members[value eq "2819c223-7f76-453a-919d-413861904646"]"#,
        // Paths, keywords, values.
        r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d""#,
        r#"members.$ref pr"#,
        r#"notes eq "x" and orgName pr and prefix pr"#,
        r#"not eq 1"#,
        r#"a eq "tab\tquote\"backslash\\e\u00e9""#,
        r#"a eq -12.5e3 or b eq 0 or c eq 18446744073709551615"#,
        r#"a eq true and b ne FALSE and c eq Null"#,
        r#"userName sw O"#,
        r#"meta.created gt 2015-10-10T14:38:21.86-07:00"#,
        r#"not(a pr)"#,
        r#"  ( ( a pr ) )  "#,
        r#"a pr or b pr and c pr"#,
        r#"(a pr or b pr) and c pr"#,
        r#"a pr and (b pr and c pr)"#,
        r#"a pr or (b pr or c pr)"#,
        r#"not (not (a pr))"#,
        r#"emails[not (type eq "work") or primary eq true]"#,
        "a\teq\n\"x\"\r\nand  b pr",
    ];

    fn parse_ok(input: &str) -> Filter {
        match parse_filter(input) {
            Ok(filter) => filter,
            Err(err) => panic!("`{input}` should parse, got {err}"),
        }
    }

    // ---- successful parses -------------------------------------------------------------------

    #[test]
    fn parses_every_valid_filter() {
        for input in VALID_FILTERS {
            parse_ok(input);
        }
    }

    #[test]
    fn parses_the_rfc_7644_examples_into_the_expected_trees() {
        let last_modified = || sub("meta", "lastModified");
        let when = || s("2011-05-13T04:42:34Z");
        let cases: Vec<(&str, Filter, &str)> = vec![
            (
                r#"userName Eq "john""#,
                eq(attr("userName"), s("john")),
                "operators ignore case",
            ),
            (
                r#"userName eq "bjensen""#,
                eq(attr("userName"), s("bjensen")),
                "simple equality",
            ),
            (
                r#"name.familyName co "O'Malley""#,
                cmp(sub("name", "familyName"), CompareOp::Co, s("O'Malley")),
                "sub-attribute and apostrophe in a string",
            ),
            (
                r#"userName sw "J""#,
                cmp(attr("userName"), CompareOp::Sw, s("J")),
                "starts with",
            ),
            (
                r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#,
                cmp(urn(CORE_USER, "userName", None), CompareOp::Sw, s("J")),
                "fully qualified core attribute",
            ),
            ("title pr", pr(attr("title")), "presence"),
            (
                r#"meta.lastModified gt "2011-05-13T04:42:34Z""#,
                cmp(last_modified(), CompareOp::Gt, when()),
                "greater than",
            ),
            (
                r#"meta.lastModified ge "2011-05-13T04:42:34Z""#,
                cmp(last_modified(), CompareOp::Ge, when()),
                "greater or equal",
            ),
            (
                r#"meta.lastModified lt "2011-05-13T04:42:34Z""#,
                cmp(last_modified(), CompareOp::Lt, when()),
                "less than",
            ),
            (
                r#"meta.lastModified le "2011-05-13T04:42:34Z""#,
                cmp(last_modified(), CompareOp::Le, when()),
                "less or equal",
            ),
            (
                r#"title pr and userType eq "Employee""#,
                and(pr(attr("title")), eq(attr("userType"), s("Employee"))),
                "and",
            ),
            (
                r#"title pr or userType eq "Intern""#,
                or(pr(attr("title")), eq(attr("userType"), s("Intern"))),
                "or",
            ),
            (
                r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#,
                eq(attr("schemas"), s(ENTERPRISE)),
                "URN as a value, not a path",
            ),
            (
                r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
                and(
                    eq(attr("userType"), s("Employee")),
                    or(
                        cmp(attr("emails"), CompareOp::Co, s("example.com")),
                        cmp(sub("emails", "value"), CompareOp::Co, s("example.org")),
                    ),
                ),
                "grouping overrides precedence",
            ),
            (
                r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
                and(
                    cmp(attr("userType"), CompareOp::Ne, s("Employee")),
                    not(or(
                        cmp(attr("emails"), CompareOp::Co, s("example.com")),
                        cmp(sub("emails", "value"), CompareOp::Co, s("example.org")),
                    )),
                ),
                "not with a group",
            ),
            (
                r#"userType eq "Employee" and (emails.type eq "work")"#,
                and(
                    eq(attr("userType"), s("Employee")),
                    eq(sub("emails", "type"), s("work")),
                ),
                "redundant parentheses vanish",
            ),
            (
                r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#,
                and(
                    eq(attr("userType"), s("Employee")),
                    vp(
                        attr("emails"),
                        and(
                            eq(attr("type"), s("work")),
                            cmp(attr("value"), CompareOp::Co, s("@example.com")),
                        ),
                    ),
                ),
                "value filter",
            ),
            (
                r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
                or(
                    vp(
                        attr("emails"),
                        and(
                            eq(attr("type"), s("work")),
                            cmp(attr("value"), CompareOp::Co, s("@example.com")),
                        ),
                    ),
                    vp(
                        attr("ims"),
                        and(
                            eq(attr("type"), s("xmpp")),
                            cmp(attr("value"), CompareOp::Co, s("@foo.com")),
                        ),
                    ),
                ),
                "two value filters",
            ),
        ];
        for (input, expected, reason) in cases {
            assert_eq!(parse_filter(input), Ok(expected), "{reason}: `{input}`");
        }
    }

    #[test]
    fn parses_identity_provider_probes() {
        let cases = [
            (
                r#"userName eq "test@example.com""#,
                eq(attr("userName"), s("test@example.com")),
            ),
            (r#"externalId eq "abc""#, eq(attr("externalId"), s("abc"))),
            (
                r#"displayName eq "Group A""#,
                eq(attr("displayName"), s("Group A")),
            ),
            (
                r#"members[value eq "2819c223-7f76-453a-919d-413861904646"]"#,
                vp(
                    attr("members"),
                    eq(attr("value"), s("2819c223-7f76-453a-919d-413861904646")),
                ),
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(parse_filter(input), Ok(expected), "`{input}`");
        }
    }

    #[test]
    fn and_binds_tighter_than_or_and_both_associate_left() {
        let (a, b, c) = (|| pr(attr("a")), || pr(attr("b")), || pr(attr("c")));
        let cases = [
            (
                "a pr or b pr and c pr",
                or(a(), and(b(), c())),
                "and before or",
            ),
            (
                "a pr and b pr or c pr",
                or(and(a(), b()), c()),
                "and before or, on the left",
            ),
            (
                "a pr or b pr or c pr",
                or(or(a(), b()), c()),
                "or is left-associative",
            ),
            (
                "a pr and b pr and c pr",
                and(and(a(), b()), c()),
                "and is left-associative",
            ),
            (
                "(a pr or b pr) and c pr",
                and(or(a(), b()), c()),
                "parentheses group",
            ),
            (
                "a pr and (b pr and c pr)",
                and(a(), and(b(), c())),
                "right grouping is kept",
            ),
            (
                "not (a pr) and b pr",
                and(not(a()), b()),
                "not binds tightest",
            ),
            (
                "not (a pr or b pr) or c pr",
                or(not(or(a(), b())), c()),
                "not takes only its group",
            ),
        ];
        for (input, expected, reason) in cases {
            assert_eq!(parse_filter(input), Ok(expected), "{reason}: `{input}`");
        }
    }

    #[test]
    fn keywords_and_operators_ignore_case() {
        let cases = [
            ("a PR", pr(attr("a"))),
            ("a pr AND b Pr", and(pr(attr("a")), pr(attr("b")))),
            ("a pr oR b pr", or(pr(attr("a")), pr(attr("b")))),
            ("NOT (a pr)", not(pr(attr("a")))),
            ("a GE 1", cmp(attr("a"), CompareOp::Ge, n(1))),
            ("a eq TRUE", eq(attr("a"), CompValue::Bool(true))),
            ("a eq False", eq(attr("a"), CompValue::Bool(false))),
            ("a eq NULL", eq(attr("a"), CompValue::Null)),
        ];
        for (input, expected) in cases {
            assert_eq!(parse_filter(input), Ok(expected), "`{input}`");
        }
    }

    #[test]
    fn names_that_start_with_a_keyword_are_attribute_names() {
        let cases = [
            (r#"notes eq "x""#, eq(attr("notes"), s("x"))),
            ("orgName pr", pr(attr("orgName"))),
            ("prefix pr", pr(attr("prefix"))),
            ("andrew eq 1", eq(attr("andrew"), n(1))),
            ("not eq 1", eq(attr("not"), n(1))),
            ("a pr and and pr", and(pr(attr("a")), pr(attr("and")))),
            ("a pr or or pr", or(pr(attr("a")), pr(attr("or")))),
            ("a pr and notes pr", and(pr(attr("a")), pr(attr("notes")))),
        ];
        for (input, expected) in cases {
            assert_eq!(parse_filter(input), Ok(expected), "`{input}`");
        }
    }

    #[test]
    fn parses_urn_path_with_dotted_version() {
        assert_eq!(
            parse_filter(
                r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "x""#
            ),
            Ok(eq(urn(ENTERPRISE, "manager", Some("value")), s("x")))
        );
        assert_eq!(
            parse_filter(
                "URN:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber pr"
            ),
            Ok(pr(urn(
                "URN:ietf:params:scim:schemas:extension:enterprise:2.0:User",
                "employeeNumber",
                None
            ))),
            "the urn: prefix is case-insensitive and its spelling is kept"
        );
        assert_eq!(
            parse_filter(r#"urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq "work"]"#),
            Ok(vp(
                urn(CORE_USER, "emails", None),
                eq(attr("type"), s("work"))
            ))
        );
    }

    #[test]
    fn parses_ref_as_an_attribute_name() {
        assert_eq!(
            parse_filter("members.$ref pr"),
            Ok(pr(sub("members", "$ref")))
        );
        assert_eq!(
            parse_filter(r#"members[$ref eq "https://x/Users/1"]"#),
            Ok(vp(
                attr("members"),
                eq(attr("$ref"), s("https://x/Users/1"))
            ))
        );
    }

    #[test]
    fn decodes_json_string_escapes() {
        let cases = [
            (r#"a eq "say \"hi\"""#, "say \"hi\""),
            (r#"a eq "back\\slash""#, "back\\slash"),
            (r#"a eq "caf\u00e9""#, "café"),
            (r#"a eq "\ud83d\ude00""#, "😀"),
            (r#"a eq "line\nbreak\t/\/""#, "line\nbreak\t//"),
            (r#"a eq """#, ""),
            (r#"a eq "ünïcödé ✓""#, "ünïcödé ✓"),
            (r#"a eq "has ) and ] inside""#, "has ) and ] inside"),
        ];
        for (input, expected) in cases {
            assert_eq!(
                parse_filter(input),
                Ok(eq(attr("a"), s(expected))),
                "`{input}`"
            );
        }
    }

    #[test]
    fn reads_json_numbers() {
        let cases = [
            ("a eq 0", n(0)),
            ("a eq 42", n(42)),
            ("a eq -7", n(-7)),
            ("a eq 2.5", f(2.5)),
            ("a eq -0.125", f(-0.125)),
            ("a eq 1e3", f(1000.0)),
            ("a eq 1.5E-2", f(0.015)),
            (
                "a eq 18446744073709551615",
                CompValue::Number(Number::from(u64::MAX)),
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(
                parse_filter(input),
                Ok(eq(attr("a"), expected)),
                "`{input}`"
            );
        }
    }

    #[test]
    fn reads_unquoted_tokens_as_strings_for_lenient_clients() {
        let cases = [
            (
                "userName sw O",
                cmp(attr("userName"), CompareOp::Sw, s("O")),
                "bare word",
            ),
            (
                "meta.created gt 2015-10-10T14:38:21.86-07:00",
                cmp(
                    sub("meta", "created"),
                    CompareOp::Gt,
                    s("2015-10-10T14:38:21.86-07:00"),
                ),
                "bare timestamp, not a number",
            ),
            (
                "a eq 01",
                eq(attr("a"), s("01")),
                "leading zero is not a JSON number",
            ),
            (
                "a eq 1.",
                eq(attr("a"), s("1.")),
                "trailing dot is not a JSON number",
            ),
            (
                "a eq truex",
                eq(attr("a"), s("truex")),
                "not exactly a keyword",
            ),
            (
                "(userName eq bjensen)",
                eq(attr("userName"), s("bjensen")),
                "a bare token stops at `)`",
            ),
            (
                "emails[type eq work]",
                vp(attr("emails"), eq(attr("type"), s("work"))),
                "a bare token stops at `]`",
            ),
            (
                "userName eq bjensen and active eq true",
                and(
                    eq(attr("userName"), s("bjensen")),
                    eq(attr("active"), CompValue::Bool(true)),
                ),
                "a bare token stops at whitespace",
            ),
        ];
        for (input, expected, reason) in cases {
            assert_eq!(parse_filter(input), Ok(expected), "{reason}: `{input}`");
        }
    }

    #[test]
    fn allows_any_whitespace_around_tokens() {
        assert_eq!(
            parse_filter("  a\teq\n\"x\"\r\nand  b pr  "),
            Ok(and(eq(attr("a"), s("x")), pr(attr("b"))))
        );
        assert_eq!(parse_filter("not   ( a pr )"), Ok(not(pr(attr("a")))));
        assert_eq!(
            parse_filter("emails[ type eq 1 ]"),
            Ok(vp(attr("emails"), eq(attr("type"), n(1))))
        );
    }

    // ---- errors ------------------------------------------------------------------------------

    #[test]
    fn reports_errors_with_positions_and_plain_messages() {
        let too_deep_parens = format!("{}a pr{}", "(".repeat(65), ")".repeat(65));
        let too_deep_nots = format!("{}a pr{}", "not (".repeat(65), ")".repeat(65));
        let cases: Vec<(&str, usize, &str, &str)> = vec![
            ("", 0, "empty filter", "nothing to parse"),
            ("   ", 0, "empty filter", "only whitespace"),
            ("userName", 8, EXPECTED_OPERATOR, "no operator"),
            (
                "userName ",
                9,
                EXPECTED_OPERATOR,
                "no operator after the space",
            ),
            ("userName eq", 11, "expected a comparison value", "no value"),
            (
                "userName eq ",
                12,
                "expected a comparison value",
                "no value after the space",
            ),
            (
                "userName eq )",
                12,
                "expected a comparison value",
                "no value before `)`",
            ),
            (
                "userName eq and title pr",
                12,
                "expected a comparison value",
                "keyword as value",
            ),
            (
                "userName equals \"john\"",
                9,
                "found `equals`",
                "unknown operator",
            ),
            ("userName == \"john\"", 9, "found `==`", "symbolic operator"),
            (
                "userName=\"john\"",
                8,
                "after a space, found `=`",
                "no space before operator",
            ),
            (
                "userName eq5",
                9,
                "expected a comparison operator",
                "no space before an unquoted value",
            ),
            (
                "userName eq \"john",
                12,
                "unterminated string",
                "unterminated string",
            ),
            (
                "userName eq \"jo\\\"",
                12,
                "unterminated string",
                "escaped closing quote",
            ),
            ("a eq \"\\q\"", 5, "invalid string", "bad escape"),
            (
                "a eq \"tab\there\"",
                5,
                "invalid string",
                "raw control character",
            ),
            ("a eq 1e400", 5, "out of range", "number too large for f64"),
            (
                "(userName eq \"john\"",
                19,
                "expected `)` to close the `(` at position 0",
                "missing `)`",
            ),
            (
                "not (a pr",
                9,
                "expected `)` to close the `(` at position 4",
                "missing `)` after not",
            ),
            (
                "emails[type eq \"work\"",
                21,
                "expected `]` to close the `[` at position 6",
                "missing `]`",
            ),
            (
                "emails[type eq 1 ) ",
                17,
                "expected `]`",
                "wrong closing bracket",
            ),
            (
                "userName eq \"john\" xyz",
                19,
                "unexpected `xyz` after a complete filter",
                "trailing garbage",
            ),
            (
                "a eq \"é\" xyz",
                10,
                "unexpected `xyz`",
                "positions are byte offsets, and `é` is two bytes",
            ),
            (
                "userName eq \"john\")",
                18,
                "unexpected `)` without a matching `(`",
                "stray `)`",
            ),
            (
                "a eq \"1\" andy eq \"x\"",
                9,
                "unexpected `andy`",
                "`and` must be followed by a space",
            ),
            (
                "a eq 1 and",
                10,
                "expected a space and then a filter after `and`",
                "dangling and",
            ),
            (
                "a pr or(b pr)",
                7,
                "expected a space and then a filter after `or`",
                "no space after or",
            ),
            (
                "a eq 1 or )",
                10,
                EXPECTED_EXPRESSION,
                "no operand after or",
            ),
            ("(", 1, EXPECTED_EXPRESSION, "empty group"),
            ("()", 1, EXPECTED_EXPRESSION, "empty group"),
            (
                "not",
                3,
                EXPECTED_OPERATOR,
                "`not` alone is an attribute without operator",
            ),
            (
                "1abc eq 1",
                0,
                EXPECTED_EXPRESSION,
                "names start with a letter",
            ),
            (
                "\"x\" eq 1",
                0,
                EXPECTED_EXPRESSION,
                "a string is not a path",
            ),
            (
                "a.b.c eq 1",
                3,
                "at most one sub-attribute",
                "two sub-attributes",
            ),
            (
                "a. eq 1",
                2,
                "expected a sub-attribute name after `.`",
                "empty sub-attribute",
            ),
            (
                "urn:name eq 1",
                0,
                "expected a schema URN",
                "urn: without a namespace",
            ),
            (
                "urn:ietf:params:scim:schemas:core:2.0:User: eq 1",
                43,
                "attribute name after the schema URN",
                "URN without name",
            ),
            (
                "emails[type[value eq 1]]",
                11,
                "cannot be nested",
                "nested value filter",
            ),
            (
                "emails[a pr and b[c pr]]",
                17,
                "cannot be nested",
                "nested value filter after and",
            ),
            (
                "name.x[value eq 1]",
                6,
                "not a sub-attribute",
                "value filter on a sub-attribute",
            ),
            (
                "emails[type eq \"work\"].value eq \"x\"",
                22,
                "only allowed in PATCH paths",
                "sub-attribute after ]",
            ),
            ("emails[]", 7, EXPECTED_EXPRESSION, "empty value filter"),
            (
                &too_deep_parens,
                64,
                "nested too deeply",
                "65 levels of parentheses",
            ),
            (&too_deep_nots, 320, "nested too deeply", "65 levels of not"),
        ];
        for (input, position, message, reason) in cases {
            match parse_filter(input) {
                Ok(filter) => panic!("{reason}: `{input}` should fail, parsed as {filter:?}"),
                Err(err) => {
                    assert_eq!(err.position, position, "{reason}: `{input}` gave {err}");
                    assert!(
                        err.message.contains(message),
                        "{reason}: `{input}` gave {err}"
                    );
                    assert_plain(&err);
                }
            }
        }
    }

    /// Messages must read as English, never as nom internals.
    fn assert_plain(err: &FilterError) {
        for internal in [
            "Error {",
            "code:",
            "ErrorKind",
            "input:",
            "invalid filter syntax",
        ] {
            assert!(
                !err.message.contains(internal),
                "leaked `{internal}`: {err}"
            );
        }
    }

    #[test]
    fn displays_errors_with_their_position() {
        let err = parse_filter(r#"userName xx "john""#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "at position 9: expected a comparison operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr), found `xx`"
        );
    }

    #[test]
    fn accepts_exactly_the_maximum_depth() {
        let parens = format!("{}a pr{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert_eq!(parse_filter(&parens), Ok(pr(attr("a"))));
        let nots = format!("{}a pr{}", "not (".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert!(parse_filter(&nots).is_ok());
        let inside_value_filter = format!(
            "x[{}a pr{}]",
            "(".repeat(MAX_DEPTH - 1),
            ")".repeat(MAX_DEPTH - 1)
        );
        assert!(parse_filter(&inside_value_filter).is_ok());
        let one_too_many = format!("x[{}a pr{}]", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert!(
            parse_filter(&one_too_many).is_err(),
            "`[` counts as a level"
        );
    }

    #[test]
    fn rejects_very_deep_nesting_without_overflowing_the_stack() {
        let input = "(".repeat(100_000);
        let err = parse_filter(&input).unwrap_err();
        assert_eq!(err.position, MAX_DEPTH);
    }

    fn chain_of(terms: usize, keyword: &str) -> String {
        vec!["a eq 1"; terms].join(&format!(" {keyword} "))
    }

    #[test]
    fn parses_a_chain_of_the_maximum_number_of_terms_and_uses_it_safely() {
        for keyword in ["and", "or"] {
            let filter = parse_ok(&chain_of(MAX_TERMS, keyword));
            // The derived recursive impls must cope with the deepest AST the parser allows.
            let copy = filter.clone();
            assert_eq!(copy, filter);
            assert!(format!("{filter:?}").len() > MAX_TERMS);
            assert_eq!(parse_filter(&filter.to_string()), Ok(filter));
        }
    }

    #[test]
    fn rejects_more_terms_than_the_maximum_with_an_error() {
        let err = parse_filter(&chain_of(MAX_TERMS + 1, "and")).unwrap_err();
        assert_eq!(err.position, MAX_TERMS * "a eq 1 and ".len());
        assert!(err.message.contains("too many terms"), "{err}");
        let mixed = format!("x[{}]", chain_of(MAX_TERMS, "or"));
        assert!(
            parse_filter(&mixed).is_err(),
            "terms inside value filters count too"
        );
    }

    #[test]
    fn a_term_budget_is_shared_by_the_filters_of_one_request() {
        let mut budget = TermBudget::new(5);
        assert!(parse_filter_within(&chain_of(3, "and"), &mut budget).is_ok());
        assert_eq!(budget.left(), 2);
        let path = parse_patch_path_within(r#"emails[type eq "w" or value pr]"#, &mut budget);
        assert!(path.is_ok(), "{path:?}");
        assert_eq!(budget.left(), 0);
        assert!(
            parse_patch_path_within("emails.value", &mut budget).is_ok(),
            "no filter, no term"
        );

        let err = parse_filter_within("a pr", &mut budget).unwrap_err();
        assert!(err.too_many_terms, "{err}");
        assert!(err.message.contains("at most 5"), "{err}");
        assert!(err.message.contains("together"), "{err}");
        let err = parse_filter_within(&chain_of(6, "or"), &mut TermBudget::new(5)).unwrap_err();
        assert_eq!(
            err.position,
            5 * "a eq 1 or ".len(),
            "fails at the sixth term"
        );
        assert!(err.message.contains("at most 5"), "{err}");
        assert_eq!(
            TermBudget::new(5_000).left(),
            MAX_TERMS,
            "never above the parser's own limit"
        );
    }

    #[test]
    fn rejects_ten_thousand_terms_without_overflowing_the_stack() {
        for keyword in ["and", "or"] {
            let err = parse_filter(&chain_of(10_000, keyword)).unwrap_err();
            assert!(err.message.contains("too many terms"), "{err}");
        }
    }

    // ---- attribute paths ---------------------------------------------------------------------

    #[test]
    fn parses_attribute_paths_for_sort_and_projection() {
        let cases = [
            ("userName", attr("userName")),
            ("  name.familyName ", sub("name", "familyName")),
            ("members.$ref", sub("members", "$ref")),
            (
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
                urn(ENTERPRISE, "manager", None),
            ),
            (
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.displayName",
                urn(ENTERPRISE, "manager", Some("displayName")),
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(parse_attr_path(input), Ok(expected), "`{input}`");
        }
    }

    #[test]
    fn rejects_malformed_attribute_paths() {
        let cases = [
            ("", 0, "empty attribute path"),
            ("   ", 0, "empty attribute path"),
            ("9lives", 0, EXPECTED_NAME),
            ("name.", 5, "expected a sub-attribute name"),
            ("a.b.c", 3, "at most one sub-attribute"),
            ("emails[type eq \"work\"]", 6, "unexpected `[type`"),
            (
                "userName eq 1",
                9,
                "unexpected `eq` after the attribute path",
            ),
        ];
        for (input, position, message) in cases {
            let err = parse_attr_path(input).unwrap_err();
            assert_eq!(err.position, position, "`{input}` gave {err}");
            assert!(err.message.contains(message), "`{input}` gave {err}");
        }
    }

    // ---- PATCH paths -------------------------------------------------------------------------

    fn patch(
        attr: AttrPath,
        value_filter: Option<Filter>,
        sub_after_filter: Option<&str>,
    ) -> PatchPath {
        PatchPath {
            attr,
            value_filter,
            sub_after_filter: sub_after_filter.map(str::to_owned),
        }
    }

    /// Every PATCH path that must parse, shared with the Display round-trip tests.
    pub(in super::super) const VALID_PATCH_PATHS: &[&str] = &[
        "name.familyName",
        "members",
        r#"members[value eq "2819c223"]"#,
        r#"emails[type eq "work"].value"#,
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
        r#"addresses[type eq "work" and primary eq true].streetAddress"#,
        r#"urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq "work"].value"#,
        r#"members[value eq "a" or value eq "b"]"#,
    ];

    #[test]
    fn parses_patch_paths() {
        let work = || eq(attr("type"), s("work"));
        let cases = [
            (
                "name.familyName",
                patch(sub("name", "familyName"), None, None),
            ),
            ("members", patch(attr("members"), None, None)),
            (
                r#"members[value eq "2819c223"]"#,
                patch(
                    attr("members"),
                    Some(eq(attr("value"), s("2819c223"))),
                    None,
                ),
            ),
            (
                r#"emails[type eq "work"].value"#,
                patch(attr("emails"), Some(work()), Some("value")),
            ),
            (
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
                patch(urn(ENTERPRISE, "manager", None), None, None),
            ),
            (
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
                patch(urn(ENTERPRISE, "manager", Some("value")), None, None),
            ),
            (
                r#" urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq "work"].value "#,
                patch(urn(CORE_USER, "emails", None), Some(work()), Some("value")),
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(parse_patch_path(input), Ok(expected), "`{input}`");
        }
        for input in VALID_PATCH_PATHS {
            assert!(parse_patch_path(input).is_ok(), "`{input}`");
        }
    }

    #[test]
    fn rejects_malformed_patch_paths() {
        let cases = [
            ("", 0, "empty path"),
            ("name.x[value eq 1]", 6, "not a sub-attribute"),
            (
                "emails[type eq \"work\"].value.x",
                28,
                "at most one sub-attribute",
            ),
            (
                "emails[type eq \"work\"].",
                23,
                "expected a sub-attribute name",
            ),
            (
                "emails[type eq \"work\"]x",
                22,
                "unexpected `x` after the PATCH path",
            ),
            ("emails[type eq \"work\"", 21, "expected `]`"),
            ("emails[a[b pr]]", 8, "cannot be nested"),
            ("emails value", 7, "unexpected `value` after the PATCH path"),
        ];
        for (input, position, message) in cases {
            let err = parse_patch_path(input).unwrap_err();
            assert_eq!(err.position, position, "`{input}` gave {err}");
            assert!(err.message.contains(message), "`{input}` gave {err}");
        }
        assert_eq!(
            parse_patch_path("[x pr]").unwrap_err().message,
            EXPECTED_NAME
        );
    }

    #[test]
    fn accepts_a_quoted_value_right_after_the_operator_as_the_rfc_example_prints_it() {
        let path =
            parse_patch_path("members[value eq\"2819c223-7f76-453a-919d-413861904646\"]").unwrap();
        assert_eq!(
            path.value_filter,
            Some(Filter::Compare {
                path: AttrPath {
                    urn: None,
                    name: "value".into(),
                    sub: None
                },
                op: CompareOp::Eq,
                value: CompValue::String("2819c223-7f76-453a-919d-413861904646".into()),
            })
        );
    }
}
