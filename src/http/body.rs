//! How much memory request bodies may take, one by one and all together (README "Limits").
//!
//! A body is bytes first and a JSON tree after parsing, and the tree can cost far more than the
//! bytes: 1 MiB of empty objects (`[{},{},…]`) parses into ~350,000 values of ~160 bytes each,
//! about 50 MB. So each body is checked before it is parsed: at most `--max-json-values` values
//! and [`MAX_JSON_DEPTH`] levels, counted by one pass over the bytes. And every body holds a
//! share of one budget (`--max-body-memory`) while its request runs: its size as soon as the
//! request arrives (before the body is read), then about [`BYTES_PER_JSON_VALUE`] per value
//! before it is parsed (a `/Bulk` body: once its turn to run comes, see `bulk::BulkBody`). A
//! request that cannot get its share within [`BUDGET_WAIT`] is answered `503` with
//! `Retry-After`, so many large requests at once wait or are turned away instead of exhausting
//! the server's memory.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use poem::error::ResponseError;
use poem::http::StatusCode;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Deepest nesting of objects and arrays in a body. SCIM bodies nest about 6 deep (a PATCH
/// operation's value holding an extension's complex attribute); serde_json itself stops at 128.
pub const MAX_JSON_DEPTH: usize = 32;

/// Memory one parsed JSON value is taken to cost: measured 70 (a number in an array) to 190
/// bytes (a one-member object in an array) with serde_json's ordered maps, strings included.
pub const BYTES_PER_JSON_VALUE: usize = 200;

/// How long a request waits for its share of the budget before it is turned away.
pub const BUDGET_WAIT: Duration = Duration::from_secs(1);

/// Seconds a turned-away client is asked to wait (`Retry-After`).
pub const RETRY_AFTER_SECONDS: u32 = 1;

/// The memory the bodies of the requests in flight may take together.
#[derive(Debug, Clone)]
pub struct BodyBudget {
    permits: Arc<Semaphore>,
    total: usize,
}

impl BodyBudget {
    /// A budget of `bytes`.
    pub fn new(bytes: u32) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(bytes as usize)),
            total: bytes as usize,
        }
    }

    /// Takes `bytes` of the budget for a new request, waiting up to [`BUDGET_WAIT`].
    pub async fn admit(&self, bytes: usize) -> Result<Share, Overloaded> {
        let share = Share {
            budget: self.clone(),
            held: Arc::new(Mutex::new(Vec::new())),
        };
        share.grow(bytes).await?;
        Ok(share)
    }
}

/// One request's share of the [`BodyBudget`], held until the last clone is dropped (the
/// guard keeps one until the response is built).
#[derive(Debug, Clone)]
pub struct Share {
    budget: BodyBudget,
    held: Arc<Mutex<Vec<OwnedSemaphorePermit>>>,
}

impl Share {
    /// Takes `bytes` more, waiting up to [`BUDGET_WAIT`]. More than the whole budget never
    /// fits and is refused at once.
    pub async fn grow(&self, bytes: usize) -> Result<(), Overloaded> {
        if bytes > self.budget.total {
            return Err(Overloaded);
        }
        let n = u32::try_from(bytes).map_err(|_| Overloaded)?;
        if n == 0 {
            return Ok(());
        }
        let acquire = self.budget.permits.clone().acquire_many_owned(n);
        let permit = match tokio::time::timeout(BUDGET_WAIT, acquire).await {
            Ok(Ok(permit)) => permit,
            _ => return Err(Overloaded),
        };
        if let Ok(mut held) = self.held.lock() {
            held.push(permit);
        }
        Ok(())
    }
}

/// The body budget had no room for a request: `503` with `Retry-After`.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("the server is busy with other large requests: retry in a second")]
pub struct Overloaded;

impl ResponseError for Overloaded {
    fn status(&self) -> StatusCode {
        StatusCode::SERVICE_UNAVAILABLE
    }
}

/// Why a body was refused before parsing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShapeError {
    #[error("the JSON body nests deeper than {MAX_JSON_DEPTH} levels")]
    TooDeep,
    #[error("the JSON body holds more than {0} values")]
    TooManyValues(usize),
}

/// Counts the values of a JSON text (objects, arrays, keys, strings, numbers, literals) and
/// checks its nesting, in one pass and without allocating; refuses it as soon as either is over
/// its limit. The count is exact for valid JSON (keys count as values: they cost memory too);
/// invalid JSON is left for the parser to refuse.
pub fn check_shape(body: &[u8], max_values: usize) -> Result<usize, ShapeError> {
    let mut values = 0_usize;
    let mut depth = 0_usize;
    let mut in_string = false;
    let mut escaped = false;
    // Whether the next non-blank byte starts a value (rather than continuing a number or word).
    let mut at_value = true;
    for &b in body {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'{' | b'[' => {
                depth += 1;
                if depth > MAX_JSON_DEPTH {
                    return Err(ShapeError::TooDeep);
                }
                values += 1;
                at_value = true;
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                at_value = false;
            }
            b',' | b':' => at_value = true,
            b' ' | b'\t' | b'\n' | b'\r' => {}
            b'"' => {
                in_string = true;
                values += 1;
                at_value = false;
            }
            _ if at_value => {
                values += 1;
                at_value = false;
            }
            _ => {}
        }
        if values > max_values {
            return Err(ShapeError::TooManyValues(max_values));
        }
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_every_value_of_valid_json() {
        let cases = [
            (r#"{}"#, 1),
            (r#"[1, 2.5e3, -3, true, false, null]"#, 7),
            (r#"{"a": {"b": [{}, []]}, "c": "x\"]{,"}"#, 9),
            (r#" [ "a" , "b\\" ] "#, 3),
            (r#""#, 0),
        ];
        for (json, values) in cases {
            assert_eq!(check_shape(json.as_bytes(), 100), Ok(values), "{json}");
        }
    }

    #[test]
    fn refuses_too_many_values_and_too_deep_nesting() {
        let empties = format!("[{}{{}}]", "{},".repeat(9));
        assert_eq!(check_shape(empties.as_bytes(), 11), Ok(11));
        assert_eq!(
            check_shape(empties.as_bytes(), 10),
            Err(ShapeError::TooManyValues(10))
        );
        let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert!(check_shape(deep(MAX_JSON_DEPTH).as_bytes(), 1_000).is_ok());
        assert_eq!(
            check_shape(deep(MAX_JSON_DEPTH + 1).as_bytes(), 1_000),
            Err(ShapeError::TooDeep)
        );
        let brackets_in_strings = format!(r#"["{}"]"#, "[".repeat(100));
        assert_eq!(check_shape(brackets_in_strings.as_bytes(), 10), Ok(2));
    }

    #[tokio::test]
    async fn a_share_is_returned_to_the_budget_when_dropped() {
        let budget = BodyBudget::new(100);
        let first = budget.admit(60).await.expect("fits");
        first.grow(40).await.expect("fits too");
        assert!(
            budget.admit(1).await.is_err(),
            "full: refused after the wait"
        );
        assert!(first.grow(1_000).await.is_err(), "never fits");
        drop(first);
        assert!(budget.admit(100).await.is_ok(), "returned");
    }
}
