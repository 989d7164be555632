//! The HTTP edge: poem + poem-openapi handlers under `/scim/v2` (for identity providers) and
//! `/api/v1` (for the host application), bearer authentication, request ids, the SCIM media type
//! and, per API, the one place where errors become responses. Handlers stay thin: they parse
//! parameters and call the service layer.

pub mod api;
mod auth;
mod bulk;
mod discovery;
mod docs;
pub mod error;
mod groups;
mod health;
pub mod payload;
pub mod request_id;
mod resource_api;
mod search;
mod users;

use std::sync::Arc;

use poem::http::{Method, header};
use poem::middleware::{NormalizePath, TrailingSlash};
use poem::{Endpoint, EndpointExt, IntoEndpoint, Request, Route};
use poem_openapi::{OpenApiService, Tags};

use crate::auth::TokenAuthority;
use crate::service::Service;
use crate::store::Db;

/// The SCIM base path (RFC 7644 §3.13 leaves it to the service provider).
pub const BASE_PATH: &str = "/scim/v2";

/// Shared state of every request.
pub struct AppState {
    /// The use cases every handler calls.
    pub service: Service,
    pub db: Db,
    pub auth: TokenAuthority,
    /// Absolute URL of the SCIM base, e.g. `http://127.0.0.1:8080/scim/v2`, used for `Location`,
    /// `meta.location` and `$ref` (never derived from the request's `Host`).
    pub base_url: String,
    /// The largest page a list answers (`filter.maxResults`).
    pub max_page_size: i64,
    /// The largest request body accepted, in bytes.
    pub max_body_bytes: usize,
}

impl AppState {
    /// The scheme, host and any path prefix in front of the SCIM base path, e.g.
    /// `http://127.0.0.1:8080`: where `/api/v1` lives.
    pub fn public_origin(&self) -> &str {
        self.base_url
            .strip_suffix(BASE_PATH)
            .unwrap_or(&self.base_url)
    }
}

/// Tags that group the operations in the OpenAPI document.
#[derive(Tags)]
enum ApiTags {
    /// RFC 7643 §4.1 Users.
    Users,
    /// RFC 7643 §4.2 Groups.
    Groups,
    /// RFC 7644 §3.4.3 searching across resource types.
    Search,
    /// RFC 7644 §3.7 bulk operations.
    Bulk,
    /// RFC 7644 §4 service provider discovery.
    Discovery,
    /// Operations endpoints.
    Health,
}

/// Builds the whole application: the SCIM API, the host application's API, `/healthz`, `/docs`
/// and `/openapi.json`. Pure: no socket, so tests can serve it on any listener.
pub fn build(state: Arc<AppState>) -> impl Endpoint {
    let scim = OpenApiService::new(
        (
            users::UsersApi,
            groups::GroupsApi,
            search::SearchApi,
            bulk::BulkApi,
            discovery::DiscoveryApi,
        ),
        "scimd",
        env!("CARGO_PKG_VERSION"),
    )
    .description("SCIM 2.0 provisioning server (RFC 7643, RFC 7644)")
    .server(state.base_url.clone());
    let health = OpenApiService::new(health::HealthApi, "scimd health", env!("CARGO_PKG_VERSION"));
    let limits = Limits {
        body: state.max_body_bytes,
        bulk: state.service.bulk_limits().max_payload_bytes,
    };
    let host_api = api::routes(&state);
    Route::new()
        .at("/openapi.json", scim.spec_endpoint())
        .nest("/docs", scim.swagger_ui())
        .nest(BASE_PATH, scim)
        .nest(api::API_PATH, host_api)
        .nest("/", health)
        .around(move |ep, req| guard_request(ep, req, limits))
        .with(NormalizePath::new(TrailingSlash::Trim))
        .catch_all_error(|e| async move { error::poem_error_to_scim(e) })
        .around(request_id::track)
        .data(state)
        .into_endpoint()
}

/// The request body limits: `--max-body-bytes` for every request but `/Bulk`, whose limit is
/// `maxPayloadSize` (`--bulk-max-payload-bytes`, RFC 7644 §3.7.4).
#[derive(Debug, Clone, Copy)]
struct Limits {
    body: usize,
    bulk: usize,
}

/// The body size limit of a request, for payload readers of requests without `Content-Length`.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit {
    pub bytes: usize,
    /// Whether the limit is a bulk request's `maxPayloadSize`.
    bulk: bool,
}

impl BodyLimit {
    /// The 413 for a body over this limit; it names the limit (RFC 7644 §3.7.4 requires that
    /// for bulk requests).
    pub fn exceeded(&self) -> error::ScimError {
        error::ScimError::payload_too_large(if self.bulk {
            format!(
                "the bulk request exceeds the maxPayloadSize ({} bytes)",
                self.bytes
            )
        } else {
            format!("the request body exceeds the limit of {} bytes", self.bytes)
        })
    }
}

/// Refuses bodies over their limit (413) and reads a body sent without `Content-Type` as SCIM
/// JSON: one identity provider's test suite POSTs users that way, and JSON is the only body
/// SCIM knows.
async fn guard_request<E: Endpoint>(
    ep: Arc<E>,
    mut req: Request,
    limits: Limits,
) -> poem::Result<poem::Response> {
    canonical_endpoint_case(&mut req);
    let bulk = req.uri().path().strip_prefix(BASE_PATH) == Some("/Bulk");
    let limit = BodyLimit {
        bytes: if bulk { limits.bulk } else { limits.body },
        bulk,
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit.bytes as u64) {
        return Err(limit.exceeded().into());
    }
    req.extensions_mut().insert(limit);
    let has_body_method = matches!(*req.method(), Method::POST | Method::PUT | Method::PATCH);
    if has_body_method && !req.headers().contains_key(header::CONTENT_TYPE) {
        req.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static(payload::SCIM_CONTENT_TYPE),
        );
    }
    ep.call(req).await.map(poem::IntoResponse::into_response)
}

/// The endpoint names of RFC 7644 §3.2 and §4, as the routes spell them.
const ENDPOINTS: [&str; 6] = [
    "Users",
    "Groups",
    "Bulk",
    "ServiceProviderConfig",
    "ResourceTypes",
    "Schemas",
];

/// Routes an endpoint name written in another case (`/scim/v2/users`) to its endpoint: some
/// clients send it so (Microsoft's SCIM test collection does, its reference server routes without
/// regard to case), and no other resource could be meant. Only the segment right after the base
/// path is touched; ids and the query stay as sent.
fn canonical_endpoint_case(req: &mut Request) {
    let Some(rest) = req
        .uri()
        .path()
        .strip_prefix(BASE_PATH)
        .and_then(|r| r.strip_prefix('/'))
    else {
        return;
    };
    let (segment, tail) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let Some(canonical) = ENDPOINTS
        .iter()
        .find(|e| **e != segment && e.eq_ignore_ascii_case(segment))
    else {
        return;
    };
    let query = req
        .uri()
        .query()
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    let mut parts = req.uri().clone().into_parts();
    parts.path_and_query = format!("{BASE_PATH}/{canonical}{tail}{query}").parse().ok();
    if let Ok(uri) = poem::http::Uri::from_parts(parts) {
        *req.uri_mut() = uri;
    }
}
