//! The `BulkRequest` message (RFC 7644 §3.7) and the checks of one operation, made once as
//! `read` reads the body, before anything runs. A request-level problem (not a BulkRequest, too many operations, a duplicate `bulkId`)
//! refuses the whole request; a problem of one operation (its method, path or data) fails that
//! operation alone, as it would fail the single request it stands for.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::BulkError;
use crate::scim::error::ProtocolError;
use crate::scim::filter::TermBudget;
use crate::scim::idp_forms;
use crate::scim::limits::{self, Limits};
use crate::scim::patch::{self, Operation};
use crate::scim::schema::{GROUP_RESOURCE, ResourceTypeDef, USER_RESOURCE};
use crate::scim::validate::{self, Mode};

/// A parsed bulk request.
#[derive(Debug)]
pub struct BulkRequest {
    /// Stop after this many failed operations (`failOnErrors`); without it, run them all.
    pub fail_on_errors: Option<usize>,
    pub operations: Vec<BulkOperation>,
}

/// One operation of a bulk request.
#[derive(Debug)]
pub struct BulkOperation {
    /// The method, if it is one of the four an operation may have.
    pub method: Option<Method>,
    /// The method as sent, for the response when it is none of the four.
    pub method_sent: Option<String>,
    pub bulk_id: Option<String>,
    /// The `version` (an ETag) a PUT, PATCH or DELETE requires, as `If-Match` would.
    pub version: Option<String>,
    /// What the operation does, or why it cannot run.
    pub action: Result<Action, BulkError>,
}

impl BulkOperation {
    /// The method as the response shows it.
    pub fn method_name(&self) -> Option<String> {
        match self.method {
            Some(m) => Some(m.as_str().to_owned()),
            None => self.method_sent.clone(),
        }
    }
}

/// The methods of RFC 7644 §3.7.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    /// The method's name, upper-case.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

/// The resource a PUT, PATCH or DELETE applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A resource id.
    Id(String),
    /// The resource a POST of the same request creates (`/Users/bulkId:qwerty`).
    BulkId(String),
}

/// What an operation does, with its data already validated.
#[derive(Debug)]
pub enum Action {
    /// POST: the new resource's canonical attributes.
    Create {
        rt: &'static ResourceTypeDef,
        attrs: Map<String, Value>,
    },
    /// PUT: the resource's new canonical attributes, and the `id` the data named, if any.
    Replace {
        rt: &'static ResourceTypeDef,
        target: Target,
        attrs: Map<String, Value>,
        body_id: Option<String>,
    },
    /// PATCH: the parsed operations, and the filter terms the paths inside their values may
    /// still take (each operation has the budget of a single request).
    Patch {
        rt: &'static ResourceTypeDef,
        target: Target,
        ops: Vec<Operation>,
        terms: TermBudget,
    },
    /// DELETE.
    Delete {
        rt: &'static ResourceTypeDef,
        target: Target,
    },
}

impl Action {
    /// The resource type the operation applies to.
    pub fn rt(&self) -> &'static ResourceTypeDef {
        match self {
            Action::Create { rt, .. }
            | Action::Replace { rt, .. }
            | Action::Patch { rt, .. }
            | Action::Delete { rt, .. } => rt,
        }
    }

    /// The resource a PUT, PATCH or DELETE applies to.
    pub fn target(&self) -> Option<&Target> {
        match self {
            Action::Create { .. } => None,
            Action::Replace { target, .. }
            | Action::Patch { target, .. }
            | Action::Delete { target, .. } => Some(target),
        }
    }
}

/// A member of a message, by case-insensitive name (RFC 7643 §2.1).
fn field<'a>(obj: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    obj.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

pub(super) fn operation(
    index: usize,
    value: &Value,
    limits: &Limits,
) -> Result<BulkOperation, BulkError> {
    let invalid = |m: String| BulkError::Protocol(ProtocolError::InvalidSyntax(m));
    let obj = value
        .as_object()
        .ok_or_else(|| invalid(format!("Operations[{index}] must be a JSON object")))?;
    let bulk_id = match field(obj, "bulkId") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(_) => {
            return Err(invalid(format!(
                "Operations[{index}].bulkId must be a non-empty string"
            )));
        }
    };
    let method_sent = field(obj, "method").map(|m| match m {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    });
    let method = method_sent.as_deref().and_then(|m| {
        [Method::Post, Method::Put, Method::Patch, Method::Delete]
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(m))
    });
    let version = field(obj, "version")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let action = match method {
        Some(method) => action(method, obj, bulk_id.is_some(), limits),
        None => Err(BulkError::Protocol(ProtocolError::InvalidValue(
            "\"method\" must be POST, PUT, PATCH or DELETE".into(),
        ))),
    };
    Ok(BulkOperation {
        method,
        method_sent,
        bulk_id,
        version,
        action,
    })
}

fn action(
    method: Method,
    obj: &Map<String, Value>,
    has_bulk_id: bool,
    limits: &Limits,
) -> Result<Action, BulkError> {
    let syntax = |m: String| BulkError::Protocol(ProtocolError::InvalidSyntax(m));
    if let Some(v) = field(obj, "version").filter(|v| !v.is_null() && !v.is_string()) {
        return Err(syntax(format!(
            "\"version\" must be an ETag string, not {v}"
        )));
    }
    let path = match field(obj, "path") {
        Some(Value::String(p)) => p.as_str(),
        _ => return Err(syntax("every operation needs a \"path\" string".into())),
    };
    let (rt, id) = endpoint(path)?;
    let data = field(obj, "data").filter(|d| !d.is_null());
    let is_user = std::ptr::eq(rt, &USER_RESOURCE);
    let needs_data = || syntax(format!("{} needs \"data\"", method.as_str()));
    let target = match (method, id) {
        (Method::Post, None) => None,
        (Method::Post, Some(_)) => {
            return Err(BulkError::MethodNotAllowed(format!(
                "POST applies to a resource type endpoint such as /Users, not to \"{path}\""
            )));
        }
        (_, None) => {
            return Err(BulkError::MethodNotAllowed(format!(
                "{} needs the path of one resource, e.g. {}/{{id}}, not \"{path}\"",
                method.as_str(),
                rt.endpoint
            )));
        }
        (_, Some(id)) => Some(match id.strip_prefix(super::BULK_ID_PREFIX) {
            Some(bulk_id) => Target::BulkId(bulk_id.to_owned()),
            None => Target::Id(id),
        }),
    };
    Ok(match (method, target) {
        (Method::Post, _) => {
            if !has_bulk_id {
                return Err(syntax(
                    "a POST needs a \"bulkId\" (RFC 7644 §3.7), which the response echoes".into(),
                ));
            }
            let data = data.ok_or_else(needs_data)?;
            if is_user {
                limits::check_arrays(data, limits.max_values)?;
            }
            Action::Create {
                rt,
                attrs: validate::normalize(rt, object(data)?, Mode::Full)?,
            }
        }
        (Method::Put, Some(target)) => {
            let data = object(data.ok_or_else(needs_data)?)?;
            if is_user {
                limits::check_arrays(data, limits.max_values)?;
            }
            let body_id = data
                .as_object()
                .and_then(|o| field(o, "id"))
                .and_then(Value::as_str)
                .map(str::to_owned);
            Action::Replace {
                rt,
                target,
                attrs: validate::normalize(rt, data, Mode::Full)?,
                body_id,
            }
        }
        (Method::Patch, Some(target)) => {
            let data = data.ok_or_else(needs_data)?;
            let mut terms = TermBudget::new(limits.max_filter_terms);
            let ops = match idp_forms::bulk_patch_operations(data) {
                Some(wrapped) => patch::parse(&wrapped, limits, &mut terms)?,
                None => patch::parse(data, limits, &mut terms)?,
            };
            if is_user {
                limits::check_operation_values(&ops, limits.max_values)?;
            }
            Action::Patch {
                rt,
                target,
                ops,
                terms,
            }
        }
        (Method::Delete, Some(target)) => Action::Delete { rt, target },
        (_, None) => unreachable!("only POST has no target"),
    })
}

fn object(data: &Value) -> Result<&Value, BulkError> {
    if data.is_object() {
        Ok(data)
    } else {
        Err(BulkError::Protocol(ProtocolError::InvalidSyntax(
            "\"data\" must be a JSON object".into(),
        )))
    }
}

/// The resource type and, if given, the resource id of an operation's `path`: `/Users`,
/// `/Groups/{id}` (RFC 7644 §3.7: relative to the service provider's root; the leading `/` may be
/// left out, and the endpoint's name is matched in any case, as requests are routed).
fn endpoint(path: &str) -> Result<(&'static ResourceTypeDef, Option<String>), BulkError> {
    if path.contains(['?', '#']) {
        return Err(BulkError::Protocol(ProtocolError::InvalidValue(format!(
            "the path \"{path}\" has a query: a bulk operation's path names a resource and nothing else"
        ))));
    }
    let rest = path.strip_prefix('/').unwrap_or(path).trim_end_matches('/');
    let (name, id) = match rest.split_once('/') {
        Some((name, id)) => (name, Some(id)),
        None => (rest, None),
    };
    let rt = [&USER_RESOURCE, &GROUP_RESOURCE].into_iter().find(|rt| {
        rt.endpoint
            .trim_start_matches('/')
            .eq_ignore_ascii_case(name)
    });
    match (rt, id) {
        (Some(rt), None) => Ok((rt, None)),
        (Some(rt), Some(id)) if !id.is_empty() && !id.contains('/') => {
            Ok((rt, Some(id.to_owned())))
        }
        _ => Err(BulkError::NoEndpoint(format!(
            "no resource at \"{path}\": bulk operations apply to /Users and /Groups"
        ))),
    }
}

/// Refuses a request that gives two operations the same `bulkId` (RFC 7644 §3.7: unique within a
/// bulk request).
pub(super) fn unique_bulk_ids(operations: &[BulkOperation]) -> Result<(), BulkError> {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, op) in operations.iter().enumerate() {
        if let Some(id) = op.bulk_id.as_deref()
            && let Some(first) = seen.insert(id, i)
        {
            return Err(BulkError::Protocol(ProtocolError::InvalidValue(format!(
                "bulkId \"{id}\" is used by Operations[{first}] and Operations[{i}]; \
                 each bulkId must be unique within the request (RFC 7644 §3.7)"
            ))));
        }
    }
    Ok(())
}
