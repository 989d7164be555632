//! Logging through `tracing`, filtered by `RUST_LOG` (default `info`). Request logs carry
//! method, path and status, never headers, so tokens are not logged.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber; later calls are ignored (tests call it repeatedly).
pub fn init() {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
