//! FLOOR: the cheapest HTTP endpoint this machine can serve with scimd's stack (poem on a
//! tokio multi-thread runtime), so scimd's CPU per request can be read as a multiple of it.
//! The bench re-executes its own binary as this server, in a child process like scimd, so its
//! CPU is measured the same way.

use std::process::{Command, ExitCode};
use std::sync::LazyLock;

use poem::listener::TcpListener;
use poem::{Response, Route, Server, get, handler};

use crate::BenchResult;
use crate::process::{Running, free_port};

/// Set to an address, the bench binary serves FLOOR there instead of benchmarking.
const LISTEN_VAR: &str = "SCIMD_BENCH_FLOOR_LISTEN";

/// Size of the fixed body: about a small SCIM user.
const BODY_BYTES: usize = 600;

static BODY: LazyLock<String> = LazyLock::new(|| {
    let (head, tail) = (r#"{"schemas":["urn:example:floor"],"padding":""#, r#""}"#);
    format!(
        "{head}{}{tail}",
        "x".repeat(BODY_BYTES - head.len() - tail.len())
    )
});

#[handler]
fn fixed_body() -> Response {
    Response::builder()
        .content_type("application/scim+json")
        .body(BODY.as_str())
}

/// When `SCIMD_BENCH_FLOOR_LISTEN` is set, serves FLOOR until killed and returns the exit
/// code; otherwise returns `None` at once.
pub fn serve_if_asked() -> Option<ExitCode> {
    let addr = std::env::var(LISTEN_VAR).ok()?;
    // The runtime scimd's `#[tokio::main]` builds: one worker per core.
    let served = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .and_then(|runtime| {
            runtime.block_on(
                Server::new(TcpListener::bind(addr)).run(Route::new().at("/", get(fixed_body))),
            )
        });
    Some(match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("floor server: {e}");
            ExitCode::FAILURE
        }
    })
}

/// Starts the FLOOR server as a child; returns it and its origin (`http://127.0.0.1:PORT`).
pub fn spawn() -> BenchResult<(Running, String)> {
    let port = free_port()?;
    let mut command = Command::new(std::env::current_exe()?);
    command.env(LISTEN_VAR, format!("127.0.0.1:{port}"));
    Ok((
        Running::spawn(command, "floor server")?,
        format!("http://127.0.0.1:{port}"),
    ))
}
