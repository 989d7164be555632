//! Searching with POST (RFC 7644 §3.4.3): the `SearchRequest` body, accepted on
//! `/Users/.search`, `/Groups/.search` and, across both, `/.search`. Keys are case-insensitive.

use std::sync::Arc;

use poem::web::Data;
use poem_openapi::OpenApi;
use serde_json::Value;

use super::auth::BearerAuth;
use super::error::{ErrorResponse, ScimError};
use super::payload::{Doc, ScimJson};
use super::{ApiTags, AppState, docs};
use crate::service::list_params::ListInput;
use crate::service::{Attrs, ListParams};

/// The SearchRequest message schema.
pub const SEARCH_REQUEST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";

/// A parsed SearchRequest.
#[derive(Debug, Default)]
pub struct SearchRequest {
    attributes: Option<String>,
    excluded: Option<String>,
    filter: Option<String>,
    sort_by: Option<String>,
    sort_order: Option<String>,
    start_index: Option<i64>,
    count: Option<i64>,
    cursor: Option<String>,
}

impl SearchRequest {
    /// Parses and checks a SearchRequest body.
    pub fn parse(body: &Value) -> Result<Self, ScimError> {
        let syntax = |m: &str| ScimError::bad_request("invalidSyntax", m);
        let obj = body
            .as_object()
            .ok_or_else(|| syntax("the SearchRequest must be a JSON object"))?;
        let field = |name: &str| {
            obj.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v)
        };
        let listed = field("schemas").and_then(Value::as_array).is_some_and(|s| {
            s.iter().any(|u| {
                u.as_str()
                    .is_some_and(|u| u.eq_ignore_ascii_case(SEARCH_REQUEST_SCHEMA))
            })
        });
        if !listed {
            return Err(syntax(
                "the body must list the schema urn:ietf:params:scim:api:messages:2.0:SearchRequest",
            ));
        }
        let text = |name: &str| -> Result<Option<String>, ScimError> {
            match field(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(ScimError::bad_request(
                    "invalidValue",
                    format!("\"{name}\" must be a string"),
                )),
            }
        };
        let int = |name: &str| -> Result<Option<i64>, ScimError> {
            match field(name) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => v.as_i64().map(Some).ok_or_else(|| {
                    ScimError::bad_request("invalidValue", format!("\"{name}\" must be an integer"))
                }),
            }
        };
        // RFC 7644 §3.4.3 gives attribute lists as arrays of strings.
        let list = |name: &str| -> Result<Option<String>, ScimError> {
            match field(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|i| i.as_str().map(str::to_owned))
                    .collect::<Option<Vec<_>>>()
                    .map(|v| Some(v.join(",")))
                    .ok_or_else(|| {
                        ScimError::bad_request(
                            "invalidValue",
                            format!("\"{name}\" must be an array of strings"),
                        )
                    }),
                Some(_) => Err(ScimError::bad_request(
                    "invalidValue",
                    format!("\"{name}\" must be an array of strings"),
                )),
            }
        };
        Ok(Self {
            attributes: list("attributes")?,
            excluded: list("excludedAttributes")?,
            filter: text("filter")?,
            sort_by: text("sortBy")?,
            sort_order: text("sortOrder")?,
            start_index: int("startIndex")?,
            count: int("count")?,
            cursor: text("cursor")?,
        })
    }

    /// The request as list parameters.
    pub fn params(&self) -> ListParams<'_> {
        ListParams {
            input: ListInput {
                filter: self.filter.as_deref(),
                sort_by: self.sort_by.as_deref(),
                sort_order: self.sort_order.as_deref(),
                start_index: self.start_index,
                count: self.count,
                cursor: self.cursor.as_deref(),
            },
            attrs: Attrs {
                attributes: self.attributes.as_deref(),
                excluded: self.excluded.as_deref(),
            },
        }
    }
}

/// `POST /.search`.
pub struct SearchApi;

#[OpenApi(tag = "ApiTags::Search")]
impl SearchApi {
    /// Search Users and Groups at once (RFC 7644 §3.4.3): Users first, then Groups; index paging.
    #[oai(path = "/.search", method = "post")]
    async fn search(
        &self,
        auth: BearerAuth,
        state: Data<&Arc<AppState>>,
        body: ScimJson<Doc<docs::SearchRequest>>,
    ) -> Result<ScimJson<Doc<docs::ListResponse>>, ErrorResponse> {
        let request = SearchRequest::parse(&body.0.0)?;
        let found = state.service.search_all(&auth.0, request.params()).await?;
        Ok(ScimJson(Doc::new(found)))
    }
}
