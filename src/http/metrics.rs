//! Prometheus metrics (text format 0.0.4) at `GET /metrics`, without a token, or only on the
//! `--metrics-listen` address. Requests are counted by route, method and status, with latency
//! histograms by route and method; the database pool, the SQLite write queue and commits, and each webhook
//! endpoint's backlog are read when scraped.
//!
//! The `route` label is the template the router matched (`/scim/v2/Users/{id}`), never the
//! request's path, so ids cannot multiply the series; requests no route matched share
//! `unmatched`, and unknown methods share `other`. A URL rewritten before routing (a
//! per-directory prefix, say) is counted under the template it was routed to.

use std::sync::Arc;
use std::time::Instant;

use poem::error::NotFoundError;
use poem::http::{Method, StatusCode};
use poem::web::Data;
use poem::{Endpoint, IntoResponse, PathPattern, Request, Response, handler};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::prometheus_text;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

use super::AppState;
use crate::store::Db;

/// The `route` of requests no route matched.
const UNMATCHED: &str = "unmatched";

/// Latency buckets, seconds: from a cached read (~1 ms) to a long poll (up to 30 s).
const BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: &'static str,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
    method: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct WebhookLabels {
    webhook: String,
}

/// The registry and the metrics scimd updates.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    durations: Family<RouteLabels, Histogram, fn() -> Histogram>,
    db_connections: Family<StateLabels, Gauge>,
    sqlite_write_queue: Gauge,
    bulk_requests: Family<StateLabels, Gauge>,
    sqlite_commits: Counter,
    sqlite_committed_writes: Counter,
    webhook_backlog: Family<WebhookLabels, Gauge>,
    /// One scrape at a time: each sets the read-at-scrape gauges, then encodes them.
    scrape: tokio::sync::Mutex<()>,
}

impl Metrics {
    /// The metrics of a server on `db` (the SQLite write queue only on SQLite).
    pub fn new(db: &Db) -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "scimd_http_requests",
            "HTTP requests answered, by route template, method and status",
            requests.clone(),
        );
        let durations: Family<RouteLabels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(|| Histogram::new(BUCKETS));
        registry.register_with_unit(
            "scimd_http_request_duration",
            "Time from a request's head to its response, by route template and method",
            Unit::Seconds,
            durations.clone(),
        );
        let db_connections = Family::<StateLabels, Gauge>::default();
        registry.register(
            "scimd_db_connections",
            "Database pool connections, in use or idle",
            db_connections.clone(),
        );
        let sqlite_write_queue = Gauge::default();
        if db.sqlite_write_queue().is_some() {
            registry.register(
                "scimd_sqlite_write_queue",
                "Write transactions waiting for SQLite's single writer turn",
                sqlite_write_queue.clone(),
            );
        }
        let bulk_requests = Family::<StateLabels, Gauge>::default();
        registry.register(
            "scimd_bulk_requests",
            "Bulk requests running, or waiting for their turn with their body unread",
            bulk_requests.clone(),
        );
        let sqlite_commits = Counter::default();
        let sqlite_committed_writes = Counter::default();
        if db.sqlite_commits().is_some() {
            registry.register(
                "scimd_sqlite_commits",
                "Commits of SQLite write transactions, each carrying a group of writes",
                sqlite_commits.clone(),
            );
            registry.register(
                "scimd_sqlite_committed_writes",
                "Writes SQLite's commits carried (divided by the commits: the mean group size)",
                sqlite_committed_writes.clone(),
            );
        }
        let webhook_backlog = Family::<WebhookLabels, Gauge>::default();
        registry.register(
            "scimd_webhook_backlog_events",
            "Events after each webhook endpoint's cursor, yet to be delivered or skipped",
            webhook_backlog.clone(),
        );
        Self {
            registry,
            requests,
            durations,
            db_connections,
            sqlite_write_queue,
            bulk_requests,
            sqlite_commits,
            sqlite_committed_writes,
            webhook_backlog,
            scrape: tokio::sync::Mutex::new(()),
        }
    }

    fn record(&self, route: String, method: &Method, status: StatusCode, seconds: f64) {
        let method = method_label(method);
        self.requests
            .get_or_create(&RequestLabels {
                route: route.clone(),
                method,
                status: status.as_u16(),
            })
            .inc();
        self.durations
            .get_or_create(&RouteLabels { route, method })
            .observe(seconds);
    }
}

/// A standard method's name, or `other`: a client may send any token as a method.
fn method_label(method: &Method) -> &'static str {
    const KNOWN: [Method; 7] = [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::HEAD,
        Method::OPTIONS,
    ];
    KNOWN
        .iter()
        .find(|m| *m == method)
        .map_or("other", Method::as_str)
}

/// `/scim/v2/Users/:param0` (the router's syntax; poem-openapi numbers the parameters) →
/// `/scim/v2/Users/{id}`. Every path parameter of scimd names a resource by its id (a user, a
/// group, a webhook, a schema's URI, a resource type's name).
fn route_label(pattern: &str) -> String {
    pattern
        .split('/')
        .map(|segment| {
            if segment.starts_with(':') {
                "{id}"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Counts and times each request under the route template the router matched.
pub async fn observe<E: Endpoint>(
    ep: Arc<E>,
    req: Request,
    metrics: Arc<Metrics>,
) -> poem::Result<Response> {
    let method = req.method().clone();
    let started = Instant::now();
    let result = ep.call(req).await.map(IntoResponse::into_response);
    let (pattern, status) = match &result {
        Ok(resp) => (resp.data::<PathPattern>(), resp.status()),
        // An outer route tags the error of an inner one that matched nothing with its prefix.
        Err(err) if err.is::<NotFoundError>() => (None, err.status()),
        Err(err) => (err.data::<PathPattern>(), err.status()),
    };
    let route = pattern.map_or_else(|| UNMATCHED.to_owned(), |p| route_label(&p.0));
    metrics.record(route, &method, status, started.elapsed().as_secs_f64());
    result
}

/// `GET /metrics`: reads the pool, the write queue and the webhook backlog, then encodes
/// every metric.
#[handler]
pub async fn scrape(Data(state): Data<&Arc<AppState>>) -> Response {
    let metrics = &state.metrics;
    let _one_at_a_time = metrics.scrape.lock().await;
    let pool = state.db.pool_state();
    metrics
        .db_connections
        .get_or_create(&StateLabels { state: "in_use" })
        .set(i64::from(pool.in_use));
    metrics
        .db_connections
        .get_or_create(&StateLabels { state: "idle" })
        .set(i64::from(pool.idle));
    if let Some(waiting) = state.db.sqlite_write_queue() {
        metrics
            .sqlite_write_queue
            .set(i64::try_from(waiting).unwrap_or(i64::MAX));
    }
    let bulk = state.service.bulk_requests();
    for (label, n) in [("running", bulk.running), ("waiting", bulk.waiting)] {
        metrics
            .bulk_requests
            .get_or_create(&StateLabels { state: label })
            .set(i64::try_from(n).unwrap_or(i64::MAX));
    }
    if let Some((commits, writes)) = state.db.sqlite_commits() {
        // The counters follow the writer's totals (scrapes take turns, so each adds the rest).
        let add = |counter: &Counter, total: u64| {
            counter.inc_by(total.saturating_sub(counter.get()));
        };
        add(&metrics.sqlite_commits, commits);
        add(&metrics.sqlite_committed_writes, writes);
    }
    // Endpoints removed since the last scrape must disappear, so the family is rebuilt.
    metrics.webhook_backlog.clear();
    match state.service.webhook_backlog().await {
        Ok(backlog) => {
            for (webhook, events) in backlog {
                metrics
                    .webhook_backlog
                    .get_or_create(&WebhookLabels { webhook })
                    .set(events);
            }
        }
        Err(e) => tracing::warn!(error = %e, "reading the webhook backlog for /metrics failed"),
    }
    let mut text = String::new();
    if let Err(e) = prometheus_text::encode(&mut text, &metrics.registry) {
        tracing::error!(error = %e, "encoding the metrics failed");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    Response::builder()
        .content_type(prometheus_text::CONTENT_TYPE)
        .body(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_labels_name_parameters_not_values() {
        let cases = [
            ("/scim/v2/Users/:param0", "/scim/v2/Users/{id}", "an item"),
            ("/scim/v2/Users", "/scim/v2/Users", "a collection"),
            (
                "/api/v1/webhooks/:param0/replay",
                "/api/v1/webhooks/{id}/replay",
                "a parameter mid-path",
            ),
            ("/healthz", "/healthz", "no parameter"),
        ];
        for (pattern, label, reason) in cases {
            assert_eq!(route_label(pattern), label, "{reason}");
        }
    }

    #[test]
    fn unknown_methods_share_one_label() {
        assert_eq!(method_label(&Method::PATCH), "PATCH");
        let made_up = Method::from_bytes(b"BREW").unwrap();
        assert_eq!(method_label(&made_up), "other");
    }
}
