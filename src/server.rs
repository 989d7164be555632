//! Running the application on an already-bound listener until a shutdown signal, so tests can
//! bind port 0 and the binary can bind its configured address.

use std::future::Future;
use std::io;
use std::time::Duration;

use poem::listener::TcpAcceptor;
use poem::{Endpoint, Server};

/// Serves `app` on `acceptor` until `shutdown` completes, then drains requests for up to 5 s.
pub async fn run(
    acceptor: TcpAcceptor,
    app: impl Endpoint + 'static,
    shutdown: impl Future<Output = ()> + Send,
) -> io::Result<()> {
    Server::new_with_acceptor(acceptor)
        .run_with_graceful_shutdown(app, shutdown, Some(Duration::from_secs(5)))
        .await
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
