//! Running the application on an already-bound listener until a shutdown signal, so tests can
//! bind port 0 and the binary can bind its configured address.
//!
//! poem's own `Server` has no header-read or request timeout, no connection limit, retries a
//! failed `accept` at once (a spinning core when file descriptors run out) and drains for a
//! fixed time on shutdown; this module serves the same poem endpoint through hyper with those
//! limits: `accept.rs` (connection limit, back-off), `connection.rs` (per-connection deadlines).

mod accept;
mod connection;

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use poem::{EndpointExt, IntoEndpoint};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

pub use connection::{Deadlines, Expired};

/// Limits of the HTTP server.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Connections open at a time; more wait in the listen backlog.
    pub max_connections: usize,
    /// Header-read and idle deadlines of each connection.
    pub deadlines: Deadlines,
    /// How long requests in flight may take to finish after shutdown begins.
    pub shutdown_timeout: Duration,
}

/// Serves `app` on `listener` until `shutdown` completes. Then it stops accepting (new
/// connections are refused), closes idle connections, lets requests in flight finish for up to
/// `limits.shutdown_timeout`, and returns once every connection is closed or that time is up.
pub async fn run(
    listener: TcpListener,
    app: impl IntoEndpoint<Endpoint: 'static>,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send,
) -> io::Result<()> {
    let app = Arc::new(app.into_endpoint().map_to_response());
    let mut acceptor = accept::Acceptor::new(listener, limits.max_connections);
    let local = acceptor.local_addr()?;
    let (stop, stopping) = watch::channel(false);
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = acceptor.accept() => {
                let app = app.clone();
                let stopping = stopping.clone();
                connections.spawn(async move {
                    let accept::Accepted { socket, remote, permit } = accepted;
                    let expired = connection::serve(
                        socket, local, remote, app, limits.deadlines, stopping,
                    ).await;
                    if let Some(why) = expired {
                        tracing::debug!(%remote, ?why, "closed a connection past its deadline");
                    }
                    drop(permit);
                });
            }
            Some(done) = connections.join_next(), if !connections.is_empty() => {
                if let Err(e) = done {
                    tracing::error!(error = %e, "a connection task failed");
                }
            }
        }
    }
    // Refuse new connections from now on, and tell open ones to finish.
    drop(acceptor);
    let _ = stop.send(true);
    let open = connections.len();
    tracing::info!(
        connections = open,
        timeout_s = limits.shutdown_timeout.as_secs_f64(),
        "stopped accepting; finishing requests in flight"
    );
    let drained = tokio::time::timeout(limits.shutdown_timeout, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            connections = connections.len(),
            "shutdown timeout reached; closing connections with requests still in flight"
        );
        connections.shutdown().await;
    }
    Ok(())
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
