//! `scimd serve`: binds the listener, builds the application state and serves until shutdown.
//! Tests use [`Application`] directly with port 0.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;

use super::{CliError, Secret};
use crate::auth::TokenAuthority;
use crate::config::{ServeArgs, SqliteSync};
use crate::http::body::{BYTES_PER_JSON_VALUE, BodyBudget};
use crate::http::metrics::Metrics;
use crate::http::{AppState, BASE_PATH, build, metrics_app};
use crate::server::{Deadlines, Limits};
use crate::service::{BulkLimits, Service};
use crate::store::{Db, DbOptions};
use crate::webhooks::Dispatcher;

/// A bound, ready-to-run server.
pub struct Application {
    listener: TcpListener,
    addr: SocketAddr,
    /// `--metrics-listen`, bound.
    metrics_listener: Option<TcpListener>,
    limits: Limits,
    state: Arc<AppState>,
    event_retention_days: u32,
    webhooks: Dispatcher,
    no_initial_token: bool,
}

impl Application {
    /// Binds `args.listen` and prepares the state (the database must be migrated).
    pub async fn build(db: Db, args: &ServeArgs, secret: Secret<'_>) -> Result<Self, CliError> {
        // `/Bulk` bodies are held to the same number of JSON values as the others.
        let largest_body = (args.max_body_bytes as u64).max(args.bulk_max_payload_bytes)
            + u64::from(args.max_json_values) * BYTES_PER_JSON_VALUE as u64;
        if largest_body > u64::from(args.max_body_memory) {
            return Err(CliError::Usage(format!(
                "--max-body-memory ({}) must hold the largest body one request may send: \
                 the larger of --max-body-bytes and --bulk-max-payload-bytes, plus \
                 {BYTES_PER_JSON_VALUE} bytes per --max-json-values: {largest_body}",
                args.max_body_memory
            )));
        }
        let listen_error = |source| CliError::Listen {
            addr: args.listen.clone(),
            source,
        };
        let listener = TcpListener::bind(args.listen.as_str())
            .await
            .map_err(listen_error)?;
        let addr = listener.local_addr().map_err(listen_error)?;
        let metrics_listener = match &args.metrics_listen {
            Some(metrics_addr) => Some(TcpListener::bind(metrics_addr.as_str()).await.map_err(
                |source| CliError::Listen {
                    addr: metrics_addr.clone(),
                    source,
                },
            )?),
            None => None,
        };
        let base_url = match &args.base_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{addr}{BASE_PATH}"),
        };
        let auth = TokenAuthority::load(&db, secret)
            .await?
            .recheck_after(Duration::from_secs(args.token_recheck_seconds));
        let mut service = Service::new(
            db.clone(),
            auth.clone(),
            base_url.clone(),
            args.max_page_size,
        )
        .with_bulk_limits(BulkLimits {
            max_operations: args.bulk_max_operations as usize,
            max_payload_bytes: usize::try_from(args.bulk_max_payload_bytes).unwrap_or(usize::MAX),
        })
        .with_limits(args.limits());
        service.archive_retention = chrono::Duration::days(i64::from(args.archive_retention_days));
        let webhooks =
            Dispatcher::new(&service, args.webhook_retry_schedule.clone()).map_err(|e| {
                CliError::Serve(std::io::Error::other(format!(
                    "cannot set up webhook delivery: {e}"
                )))
            })?;
        let metrics = Arc::new(Metrics::new(&db));
        let state = Arc::new(AppState {
            service,
            db,
            auth,
            base_url,
            max_page_size: args.max_page_size,
            max_body_bytes: args.max_body_bytes,
            request_timeout: Duration::from_secs(args.request_timeout_seconds),
            bulk_body_timeout: Duration::from_secs(args.header_read_timeout_seconds),
            trust_proxy: args.trust_proxy,
            metrics,
            metrics_on_own_listener: metrics_listener.is_some(),
            max_json_values: args.max_json_values as usize,
            body_budget: BodyBudget::new(args.max_body_memory),
        });
        Ok(Self {
            listener,
            addr,
            metrics_listener,
            limits: limits(args),
            state,
            event_retention_days: args.event_retention_days,
            webhooks,
            no_initial_token: args.no_initial_token,
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The shared state (tests use it to issue tokens).
    pub fn state(&self) -> &Arc<AppState> {
        &self.state
    }

    /// On a database without any token, unless `--no-initial-token`, creates one named
    /// `initial` and shows it to the operator (see `initial_token`).
    pub async fn create_initial_token_if_new(&self) -> Result<(), CliError> {
        if self.no_initial_token {
            return Ok(());
        }
        super::initial_token::create_if_new(&self.state).await
    }

    /// Serves and delivers webhooks until `shutdown` completes.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send,
    ) -> Result<(), CliError> {
        tracing::info!(address = %self.addr, base_url = %self.state.base_url, "scimd listening");
        let db = self.state.db.clone();
        // Planner statistics (see `Db::optimize`), event and archive retention, at start and hourly.
        let maintenance = tokio::spawn({
            let db = db.clone();
            let service = self.state.service.clone();
            let retention = chrono::Duration::days(i64::from(self.event_retention_days));
            async move {
                let mut every_hour = tokio::time::interval(std::time::Duration::from_secs(3600));
                loop {
                    every_hour.tick().await;
                    if let Err(e) = db.optimize().await {
                        tracing::warn!(error = %e, "refreshing planner statistics failed");
                    }
                    match service.prune_events(retention).await {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(events = n, "pruned events past retention"),
                        Err(e) => tracing::warn!(error = %e, "pruning events failed"),
                    }
                    match service.purge_expired().await {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(resources = n, "purged the archive past retention"),
                        Err(e) => tracing::warn!(error = %e, "purging the archive failed"),
                    }
                }
            }
        });
        let log = self.state.service.request_log.clone();
        let request_log = tokio::spawn(log.clone().run(db.clone()));
        let webhooks = self.webhooks.start();
        // The metrics listener stops with the main one.
        let (stop_metrics, metrics_stopping) = watch::channel(false);
        let metrics = self.metrics_listener.map(|listener| {
            let mut stopping = metrics_stopping;
            tokio::spawn(crate::server::run(
                listener,
                metrics_app(self.state.clone()),
                self.limits,
                async move {
                    let _ = stopping.wait_for(|stop| *stop).await;
                },
            ))
        });
        let shutdown = async {
            shutdown.await;
            let _ = stop_metrics.send(true);
        };
        let result =
            crate::server::run(self.listener, build(self.state), self.limits, shutdown).await;
        if let Some(metrics) = metrics {
            let _ = metrics.await;
        }
        webhooks.stop().await;
        maintenance.abort();
        request_log.abort();
        if let Err(e) = log.flush(&db).await {
            tracing::warn!(error = %e, "recording recent SCIM requests failed");
        }
        db.close().await;
        result.map_err(CliError::Serve)
    }
}

/// The HTTP server's limits from the command line.
fn limits(args: &ServeArgs) -> Limits {
    Limits {
        max_connections: args.max_connections as usize,
        deadlines: Deadlines {
            header_read: Duration::from_secs(args.header_read_timeout_seconds),
            idle: Duration::from_secs(args.idle_timeout_seconds),
        },
        shutdown_timeout: Duration::from_secs(args.shutdown_timeout_seconds),
    }
}

/// The database connection settings of `serve`.
pub fn db_options(args: &ServeArgs) -> DbOptions {
    DbOptions {
        max_connections: args.db_max_connections,
        sqlite_synchronous_normal: args.sqlite_synchronous == SqliteSync::Normal,
    }
}
