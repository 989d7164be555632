//! The HTTP edge: poem + poem-openapi handlers under `/scim/v2` (for identity providers) and
//! `/api/v1` (for the host application), bearer authentication, request ids, the SCIM media type
//! and, per API, the one place where errors become responses. Handlers stay thin: they parse
//! parameters and call the service layer.

pub mod api;
mod auth;
pub mod body;
mod bulk;
mod directory_scope;
mod discovery;
mod docs;
pub mod error;
mod groups;
mod health;
pub mod metrics;
pub mod payload;
pub mod request_id;
mod resource_api;
mod search;
mod timeout;
mod users;

use std::sync::Arc;
use std::time::Instant;

use poem::http::{Method, StatusCode, header};
use poem::middleware::{NormalizePath, TrailingSlash};
use poem::{Endpoint, EndpointExt, IntoEndpoint, Request, Route, get};
use poem_openapi::{OpenApiService, Tags};

use tokio::io::AsyncReadExt;

use self::body::BodyBudget;
use crate::auth::TokenAuthority;
use crate::service::Service;
use crate::service::request_log::ScimRequest;
use crate::store::Db;

pub use crate::scim::BASE_PATH;

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
    /// How long a request may take, body upload included, before it is answered `503`.
    pub request_timeout: std::time::Duration,
    /// How long a bulk request's body may take to arrive once its turn to run has come (the
    /// header read timeout): a slow or stalled upload must not hold the turn.
    pub bulk_body_timeout: std::time::Duration,
    /// Whether the access log takes the client address from `X-Forwarded-For`/`X-Real-IP`.
    pub trust_proxy: bool,
    /// Request counts and latencies, read by `GET /metrics`.
    pub metrics: Arc<metrics::Metrics>,
    /// Whether `/metrics` is served on its own listener (`--metrics-listen`) instead.
    pub metrics_on_own_listener: bool,
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
    /// RFC 7644 §3.7 bulk operations.
    Bulk,
    /// RFC 7644 §4 service provider discovery.
    Discovery,
    /// Operations endpoints.
    Health,
}

/// Builds the whole application: the SCIM API, the host application's API, the admin console
/// (`/admin`), `/healthz`,
/// `/readyz`, `/metrics` (unless on its own listener), `/docs` and `/openapi.json`. Pure: no socket, so tests can serve it on any listener.
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
        json_values: state.max_json_values,
    };
    let budget = state.body_budget.clone();
    let request_timeout = state.request_timeout;
    let trust_proxy = state.trust_proxy;
    let host_api = api::routes(&state);
    let metrics = state.metrics.clone();
    let mut routes = Route::new()
        .at("/openapi.json", scim.spec_endpoint())
        .nest("/docs", scim.swagger_ui())
        .nest(BASE_PATH, scim)
        .nest(api::API_PATH, host_api)
        .nest(
            crate::console::CONSOLE_PATH,
            crate::console::routes(crate::console::Console::new(state.service.clone())),
        )
        .nest("/", health);
    if !state.metrics_on_own_listener {
        routes = routes.at("/metrics", get(metrics::scrape));
    }
    routes
        .around(move |ep, req| guard_request(ep, req, limits, budget.clone()))
        .around(move |ep, req| timeout::limit(ep, req, request_timeout))
        .with(NormalizePath::new(TrailingSlash::Trim))
        .around(move |ep, req| metrics::observe(ep, req, metrics.clone()))
        .catch_all_error(|e| async move { error::poem_error_to_scim(e) })
        .around(move |ep, req| request_id::track(ep, req, trust_proxy))
        .data(state)
        .into_endpoint()
}

/// The application of `--metrics-listen`: `GET /metrics` alone.
pub fn metrics_app(state: Arc<AppState>) -> impl Endpoint {
    Route::new()
        .at("/metrics", get(metrics::scrape))
        .data(state)
        .into_endpoint()
}

/// The request body limits: `--max-body-bytes` for every request but `/Bulk`, whose limit is
/// `maxPayloadSize` (`--bulk-max-payload-bytes`, RFC 7644 §3.7.4).
#[derive(Debug, Clone, Copy)]
struct Limits {
    body: usize,
    bulk: usize,
    json_values: usize,
}

/// What a request body may hold, for the payload readers.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit {
    /// Bytes (`--max-body-bytes`, or `--bulk-max-payload-bytes` for `/Bulk`).
    pub bytes: usize,
    /// JSON values (`--max-json-values`, for every body, `/Bulk`'s too).
    pub json_values: usize,
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

/// Refuses bodies over their limit (413), takes the body's share of the memory budget before
/// the body is read (503 with `Retry-After` when it does not fit in time; see `body`), and reads
/// a body sent without `Content-Type` as SCIM JSON: one identity provider's test suite POSTs
/// users that way, and JSON is the only body SCIM knows.
async fn guard_request<E: Endpoint>(
    ep: Arc<E>,
    mut req: Request,
    limits: Limits,
    budget: BodyBudget,
) -> poem::Result<poem::Response> {
    // The directory first: `/directories/{id}/scim/v2/...` becomes the SCIM routes' path.
    let seen = directory_scope::scope(&mut req).map(|directory| {
        let path = req.original_uri().path().to_owned();
        (directory, path, req.method().to_string(), Instant::now())
    });
    canonical_endpoint_case(&mut req);
    let bulk = req.uri().path().strip_prefix(BASE_PATH) == Some("/Bulk");
    let limit = BodyLimit {
        bytes: if bulk { limits.bulk } else { limits.body },
        json_values: limits.json_values,
        bulk,
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit.bytes as u64) {
        // Refused before routing, so the host application's API renders its own error here.
        if directory_scope::is_under(req.uri().path(), api::API_PATH) {
            let too_large = poem::Error::from_status(StatusCode::PAYLOAD_TOO_LARGE);
            return Err(poem::Error::from_response(api::error::poem_error_to_api(
                too_large,
            )));
        }
        return Err(limit.exceeded().into());
    }
    let chunked = declared.is_none() && req.headers().contains_key(header::TRANSFER_ENCODING);
    let admitted = match (declared, chunked) {
        (Some(n), _) if n > 0 => Some(budget.admit(n as usize).await),
        // Its size is known only once read: it may take up to the limit, and reads stop there
        // (one byte past it, so the payload readers answer 413).
        (None, true) => {
            let capped = req
                .take_body()
                .into_async_read()
                .take(limit.bytes as u64 + 1);
            req.set_body(poem::Body::from_async_read(capped));
            Some(budget.admit(limit.bytes).await)
        }
        _ => None,
    };
    let share = match admitted {
        None => None,
        Some(Ok(share)) => Some(share),
        // As the 413 above: the host application's API renders its own error.
        Some(Err(busy)) if directory_scope::is_under(req.uri().path(), api::API_PATH) => {
            return Err(poem::Error::from_response(api::error::poem_error_to_api(
                busy.into(),
            )));
        }
        Some(Err(busy)) => return Err(busy.into()),
    };
    if let Some(share) = &share {
        req.extensions_mut().insert(share.clone());
    }
    req.extensions_mut().insert(limit);
    let has_body_method = matches!(*req.method(), Method::POST | Method::PUT | Method::PATCH);
    if has_body_method && !req.headers().contains_key(header::CONTENT_TYPE) {
        req.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static(payload::SCIM_CONTENT_TYPE),
        );
    }
    let state = req.data::<Arc<AppState>>().cloned();
    let result = ep.call(req).await.map(poem::IntoResponse::into_response);
    drop(share);
    if let (Some((directory, path, method, started)), Some(state)) = (seen, state) {
        let status = match &result {
            Ok(resp) => resp.status(),
            Err(e) => e.status(),
        };
        state.service.request_log.record(&ScimRequest {
            directory: &directory,
            at: crate::scim::resource::now(),
            method: &method,
            path: &path,
            status: status.as_u16(),
            duration: started.elapsed(),
        });
    }
    result
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
