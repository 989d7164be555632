//! Logging through `tracing`, filtered by `RUST_LOG` (default `info`), on stderr: text,
//! coloured only when stderr is a terminal (escape codes would litter a file, a pipe or a
//! journal), or one JSON object per line for log shippers. Request logs carry method, path
//! (never the query), status and client address, never headers, so tokens are not logged.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the global subscriber; later calls are ignored (tests call it repeatedly).
pub fn init(format: LogFormat) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
        // Span fields (the request id) are flattened into each line's own fields.
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
    };
}
