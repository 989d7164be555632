//! `scimd serve`: binds the listener, builds the application state and serves until shutdown.
//! Tests use [`Application`] directly with port 0.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use poem::listener::{Acceptor, Listener, TcpAcceptor, TcpListener};

use super::{CliError, Secret};
use crate::auth::TokenAuthority;
use crate::config::ServeArgs;
use crate::http::body::{BYTES_PER_JSON_VALUE, BodyBudget};
use crate::http::{AppState, BASE_PATH, build};
use crate::service::Service;
use crate::store::{DEFAULT_TENANT, Db, StoreError, tokens};
use crate::webhooks::Dispatcher;

/// A bound, ready-to-run server.
pub struct Application {
    acceptor: TcpAcceptor,
    addr: SocketAddr,
    state: Arc<AppState>,
    event_retention_days: u32,
    webhooks: Dispatcher,
}

impl Application {
    /// Binds `args.listen` and prepares the state (the database must be migrated).
    pub async fn build(db: Db, args: &ServeArgs, secret: Secret<'_>) -> Result<Self, CliError> {
        let largest_body = args.max_body_bytes as u64
            + u64::from(args.max_json_values) * BYTES_PER_JSON_VALUE as u64;
        if largest_body > u64::from(args.max_body_memory) {
            return Err(CliError::Usage(format!(
                "--max-body-memory ({}) must hold the largest body one request may send: \
                 --max-body-bytes plus {BYTES_PER_JSON_VALUE} bytes per --max-json-values, {largest_body}",
                args.max_body_memory
            )));
        }
        let acceptor = TcpListener::bind(args.listen.clone())
            .into_acceptor()
            .await
            .map_err(|source| CliError::Listen {
                addr: args.listen.clone(),
                source,
            })?;
        let addr = acceptor
            .local_addr()
            .first()
            .and_then(|a| a.as_socket_addr().copied())
            .ok_or_else(|| CliError::Usage(format!("{} is not a TCP address", args.listen)))?;
        let base_url = match &args.base_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{addr}{BASE_PATH}"),
        };
        let auth = TokenAuthority::load(&db, DEFAULT_TENANT, secret)
            .await?
            .recheck_after(Duration::from_secs(args.token_recheck_seconds));
        let service = Service::new(
            db.clone(),
            auth.clone(),
            base_url.clone(),
            args.max_page_size,
        )
        .with_limits(args.limits());
        let webhooks =
            Dispatcher::new(&service, args.webhook_retry_schedule.clone()).map_err(|e| {
                CliError::Serve(std::io::Error::other(format!(
                    "cannot set up webhook delivery: {e}"
                )))
            })?;
        let state = Arc::new(AppState {
            service,
            db,
            auth,
            base_url,
            max_page_size: args.max_page_size,
            max_body_bytes: args.max_body_bytes,
            max_json_values: args.max_json_values as usize,
            body_budget: BodyBudget::new(args.max_body_memory),
        });
        Ok(Self {
            acceptor,
            addr,
            state,
            event_retention_days: args.event_retention_days,
            webhooks,
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

    /// On a database without any token, creates one named `initial` and prints it, so a new
    /// user can call the API at once.
    pub async fn print_initial_token_if_new(&self) -> Result<(), CliError> {
        if tokens::any(&self.state.db, DEFAULT_TENANT).await? {
            return Ok(());
        }
        let token = match self.state.auth.issue("initial", None).await {
            Ok(token) => token,
            // Another instance starting on the same database created it first.
            Err(StoreError::Uniqueness(_)) => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        println!(
            "\nNo API token existed, so scimd created one named \"initial\". It is shown only now:\n\n    {token}\n\n\
             Use it as:  curl -H 'Authorization: Bearer {token}' {}/Users\n\
             Revoke it with: scimd token revoke initial\n",
            self.state.base_url
        );
        Ok(())
    }

    /// Serves and delivers webhooks until `shutdown` completes.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send,
    ) -> Result<(), CliError> {
        tracing::info!(address = %self.addr, base_url = %self.state.base_url, "scimd listening");
        let db = self.state.db.clone();
        // Planner statistics (see `Db::optimize`) and event retention, at start and hourly.
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
                }
            }
        });
        let webhooks = self.webhooks.start();
        let result = crate::server::run(self.acceptor, build(self.state), shutdown).await;
        webhooks.stop().await;
        maintenance.abort();
        db.close().await;
        result.map_err(CliError::Serve)
    }
}
