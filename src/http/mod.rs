//! The HTTP edge: poem + poem-openapi handlers under `/scim/v2` (for identity providers) and
//! `/api/v1` (for the host application), bearer authentication, request ids, the SCIM media type
//! and, per API, the one place where errors become responses. Handlers stay thin: they parse
//! parameters and call the service layer.

pub mod api;
mod auth;
pub mod body;
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

use poem::http::{Method, StatusCode, header};
use poem::middleware::{NormalizePath, TrailingSlash};
use poem::{Endpoint, EndpointExt, IntoEndpoint, Request, Route};
use poem_openapi::{OpenApiService, Tags};

use tokio::io::AsyncReadExt;

use self::body::BodyBudget;
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
    /// The most JSON values a request body may hold.
    pub max_json_values: usize,
    /// The memory the bodies of the requests in flight may take together.
    pub body_budget: BodyBudget,
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
            discovery::DiscoveryApi,
        ),
        "scimd",
        env!("CARGO_PKG_VERSION"),
    )
    .description("SCIM 2.0 provisioning server (RFC 7643, RFC 7644)")
    .server(state.base_url.clone());
    let health = OpenApiService::new(health::HealthApi, "scimd health", env!("CARGO_PKG_VERSION"));
    let limit = BodyLimit {
        bytes: state.max_body_bytes,
        json_values: state.max_json_values,
    };
    let budget = state.body_budget.clone();
    let host_api = api::routes(&state);
    Route::new()
        .at("/openapi.json", scim.spec_endpoint())
        .nest("/docs", scim.swagger_ui())
        .nest(BASE_PATH, scim)
        .nest(api::API_PATH, host_api)
        .nest("/", health)
        .around(move |ep, req| guard_request(ep, req, limit, budget.clone()))
        .with(NormalizePath::new(TrailingSlash::Trim))
        .catch_all_error(|e| async move { error::poem_error_to_scim(e) })
        .around(request_id::track)
        .data(state)
        .into_endpoint()
}

/// What a request body may hold, for the payload readers.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit {
    /// Bytes (`--max-body-bytes`).
    pub bytes: usize,
    /// JSON values (`--max-json-values`).
    pub json_values: usize,
}

/// Refuses bodies over the byte limit (413), takes the body's share of the memory budget
/// before the body is read (503 with `Retry-After` when it does not fit in time; see `body`),
/// and reads a body sent without `Content-Type` as SCIM JSON: one identity provider's test
/// suite POSTs users that way, and JSON is the only body SCIM knows.
async fn guard_request<E: Endpoint>(
    ep: Arc<E>,
    mut req: Request,
    limit: BodyLimit,
    budget: BodyBudget,
) -> poem::Result<poem::Response> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit.bytes as u64) {
        return Err(poem::Error::from_status(StatusCode::PAYLOAD_TOO_LARGE));
    }
    let chunked = declared.is_none() && req.headers().contains_key(header::TRANSFER_ENCODING);
    let share = match (declared, chunked) {
        (Some(n), _) if n > 0 => Some(budget.admit(n as usize).await?),
        // Its size is known only once read: it may take up to the limit, and reads stop there
        // (one byte past it, so the payload readers answer 413).
        (None, true) => {
            let capped = req
                .take_body()
                .into_async_read()
                .take(limit.bytes as u64 + 1);
            req.set_body(poem::Body::from_async_read(capped));
            Some(budget.admit(limit.bytes).await?)
        }
        _ => None,
    };
    if let Some(share) = &share {
        req.extensions_mut().insert(share.clone());
    }
    req.extensions_mut().insert(limit);
    canonical_endpoint_case(&mut req);
    let has_body_method = matches!(*req.method(), Method::POST | Method::PUT | Method::PATCH);
    if has_body_method && !req.headers().contains_key(header::CONTENT_TYPE) {
        req.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static(payload::SCIM_CONTENT_TYPE),
        );
    }
    let response = ep.call(req).await.map(poem::IntoResponse::into_response);
    drop(share);
    response
}

/// The endpoint names of RFC 7644 §3.2 and §4, as the routes spell them.
const ENDPOINTS: [&str; 5] = [
    "Users",
    "Groups",
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
