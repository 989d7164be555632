//! `ScimJson<T>`: the `application/scim+json` payload (RFC 7644 §3.1). poem-openapi's own `Json`
//! answers `application/json`; this one answers the SCIM media type and accepts either JSON
//! type (with any parameters) in requests. `Doc<D>` carries dynamic JSON while documenting it in
//! the OpenAPI document as the schema `D`.

use std::borrow::Cow;
use std::marker::PhantomData;

use poem::error::ReadBodyError;
use poem::{IntoResponse, Request, RequestBody, Response};
use poem_openapi::error::ParseRequestPayloadError;
use poem_openapi::payload::{ParsePayload, Payload};
use poem_openapi::registry::{MetaMediaType, MetaResponse, MetaResponses, MetaSchemaRef, Registry};
use poem_openapi::types::{ParseFromJSON, ParseResult, Type};
use poem_openapi::{ApiResponse, impl_apirequest_for_payload};
use serde_json::Value;

use super::BodyLimit;
use super::body::{BYTES_PER_JSON_VALUE, Overloaded, Share, check_shape};

/// The SCIM media type.
pub const SCIM_CONTENT_TYPE: &str = "application/scim+json";

/// Bodies larger than this are parsed on the blocking pool: parsing 1 MiB of JSON takes
/// milliseconds, which an async worker thread would otherwise spend away from other requests.
const PARSE_INLINE_BYTES: usize = 64 * 1024;

/// A JSON body sent and answered as `application/scim+json`.
#[derive(Debug, Clone)]
pub struct ScimJson<T>(pub T);

impl<T: Type> Payload for ScimJson<T> {
    const CONTENT_TYPE: &'static str = SCIM_CONTENT_TYPE;

    fn check_content_type(content_type: &str) -> bool {
        is_json(content_type)
    }

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

/// `application/json`, `application/scim+json` or any other `+json` type, with any parameters.
pub fn is_json(content_type: &str) -> bool {
    matches!(content_type.parse::<mime::Mime>(), Ok(m) if m.type_() == "application"
        && (m.subtype() == "json" || m.suffix().is_some_and(|s| s == "json")))
}

impl<T: ParseFromJSON> ParsePayload for ScimJson<T> {
    const IS_REQUIRED: bool = true;

    /// Reads the body as [`read_checked`] does, then parses it; large bodies are parsed on the
    /// blocking pool, so the async worker threads keep serving other requests meanwhile.
    async fn from_request(request: &Request, body: &mut RequestBody) -> poem::Result<Self> {
        let data = read_checked(request, body).await?;
        let parsed = if data.len() > PARSE_INLINE_BYTES {
            tokio::task::spawn_blocking(move || serde_json::from_slice::<Value>(&data))
                .await
                .map_err(|e| poem::Error::new(e, poem::http::StatusCode::INTERNAL_SERVER_ERROR))?
        } else {
            serde_json::from_slice(&data)
        };
        let value = parsed.map_err(|e| ParseRequestPayloadError {
            reason: format!("the request body is not valid JSON: {e}"),
        })?;
        let value = T::parse_from_json(Some(value)).map_err(|e| ParseRequestPayloadError {
            reason: e.into_message(),
        })?;
        Ok(Self(value))
    }
}

/// A response body that writes itself as JSON text.
pub trait JsonText {
    /// The body's JSON text.
    fn json_text(&self) -> Vec<u8>;
}

impl<T: JsonText + Send> IntoResponse for ScimJson<T> {
    fn into_response(self) -> Response {
        let body = self.0.json_text();
        Response::builder()
            .content_type(SCIM_CONTENT_TYPE)
            .body(body)
    }
}

impl<T: Type> ApiResponse for ScimJson<T> {
    fn meta() -> MetaResponses {
        MetaResponses {
            responses: vec![MetaResponse {
                description: "",
                status: Some(200),
                status_range: None,
                content: vec![MetaMediaType {
                    content_type: SCIM_CONTENT_TYPE,
                    schema: Self::schema_ref(),
                }],
                headers: vec![],
            }],
        }
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl_apirequest_for_payload!(ScimJson<T>, T: ParseFromJSON);

/// Reads a JSON body (up to the byte limit), refuses an empty one, checks its shape and takes
/// its share of the memory budget before anyone parses it (see `body`).
async fn read_checked(request: &Request, body: &mut RequestBody) -> poem::Result<Vec<u8>> {
    let (data, values) = read_text(request, body).await?;
    charge_tree(request, values).await?;
    Ok(data)
}

/// Reads a JSON body (up to the byte limit), refuses an empty one and checks its shape; gives
/// its text and the number of JSON values in it.
pub(super) async fn read_text(
    request: &Request,
    body: &mut RequestBody,
) -> poem::Result<(Vec<u8>, usize)> {
    let limit = request.extensions().get::<BodyLimit>().copied();
    let data = body
        .take()?
        .into_bytes_limit(limit.map_or(usize::MAX, |l| l.bytes))
        .await
        .map_err(|e| match (e, limit) {
            (ReadBodyError::PayloadTooLarge, Some(limit)) => limit.exceeded().into(),
            (e, _) => poem::Error::from(e),
        })?;
    if data.iter().all(u8::is_ascii_whitespace) {
        return Err(ParseRequestPayloadError {
            reason: "the request body is empty".into(),
        }
        .into());
    }
    let values = check_shape(&data, limit.map_or(usize::MAX, |l| l.json_values)).map_err(|e| {
        ParseRequestPayloadError {
            reason: e.to_string(),
        }
    })?;
    Ok((data.into(), values))
}

/// Takes the memory that the JSON tree of `values` values will cost out of the request's share
/// of the budget (its text was taken when the request arrived).
pub(super) async fn charge_tree(request: &Request, values: usize) -> Result<(), Overloaded> {
    match request.extensions().get::<Share>() {
        Some(share) => share.grow(values * BYTES_PER_JSON_VALUE).await,
        None => Ok(()),
    }
}

/// Dynamic JSON documented as the OpenAPI schema of `D`. SCIM bodies are validated by the
/// schema registry (case-insensitive names, leniency for identity providers), not by serde, so
/// the handlers take and return plain JSON while the document still shows the real shape.
pub struct Doc<D>(pub Value, PhantomData<fn() -> D>);

impl<D> Doc<D> {
    /// Wraps a value.
    pub fn new(value: Value) -> Self {
        Doc(value, PhantomData)
    }
}

impl<D: Type> Type for Doc<D> {
    const IS_REQUIRED: bool = true;
    type RawValueType = Value;
    type RawElementValueType = Value;

    fn name() -> Cow<'static, str> {
        D::name()
    }

    fn schema_ref() -> MetaSchemaRef {
        D::schema_ref()
    }

    fn register(registry: &mut Registry) {
        D::register(registry);
    }

    fn as_raw_value(&self) -> Option<&Value> {
        Some(&self.0)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Value> + 'a> {
        Box::new(std::iter::once(&self.0))
    }
}

impl<D: Type> ParseFromJSON for Doc<D> {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        Ok(Doc::new(value.unwrap_or(Value::Null)))
    }
}

/// Written as it is, not through poem-openapi's `ToJSON`, which gives a copy of the value: for a
/// page of users, every attribute of every user cloned only to be serialized once.
impl<D> JsonText for Doc<D> {
    fn json_text(&self) -> Vec<u8> {
        serde_json::to_vec(&self.0).unwrap_or_default()
    }
}
