//! The load benchmark of scimd: `cargo bench --bench scimd-bench -- [options]`.
//!
//! It seeds a fresh database (`scimd dev seed`), starts the release `scimd` binary on it, drives
//! each scenario with wrk for a fixed time after an uncounted warm-up, and reports throughput,
//! latency, errors and the server's CPU time per request. The same is measured for a trivial
//! poem endpoint (FLOOR), so scimd's cost reads as a multiple of what this machine, HTTP stack
//! and load generator cost anyway. On PostgreSQL, pgbench gives the database's own ceiling.
//! Everything runs on one machine: wrk, the server and the database share its cores.

mod costs;
mod database;
mod fixtures;
mod floor;
mod http;
mod pgbench;
mod process;
mod report;
mod run;
mod scenarios;
mod server;
mod walk;
mod webhooks;
mod wrk;

use std::path::PathBuf;
use std::process::{Command, ExitCode};

use clap::Parser;
use serde_json::{Value, json};

use crate::report::Report;
use crate::run::{Bench, WARMUP_SECONDS};

/// Errors carry their context in the message; the bench has nothing to recover.
type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

/// Load benchmark of scimd (see tests/bench/main.rs).
#[derive(Debug, Parser)]
#[command(name = "scimd-bench")]
pub struct Options {
    /// Users to seed; at least 1,000 because the main database holds a 1,000-member group.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1_000..=1_000_000))]
    users: u64,
    /// PostgreSQL server URL (`postgres://USER@HOST:PORT/DB`); the bench creates and drops its
    /// own databases there. Without it: SQLite on temporary files.
    #[arg(long)]
    postgres: Option<String>,
    /// Seconds of measured load per scenario (after a 2 s warm-up).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    duration: u64,
    /// Concurrent connections (wrk `-c`, pgbench `-c`).
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..))]
    connections: u32,
    /// Load generator threads (wrk `-t`, pgbench `-j`).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..))]
    threads: u32,
    /// Scenarios to run, comma-separated (`S6` selects both S6 sizes, `E1` both E1 sizes, `W1`
    /// both W1 rows).
    /// Default: all of FLOOR,S1,S2,S3,S3c,S7,A1,A2,A3-few,A3-family,A3-given,S4,S5,S6-1k,S6-100k,E1-1k,
    /// E1-1M,E2,W1,W1-4,S8-create,S8-patch,D1,D4 (`S8` selects both S8 rows, `A3` the three A3 rows).
    #[arg(long, value_delimiter = ',')]
    scenarios: Vec<String>,
    /// Where to write the JSON report. Default: target/bench/scimd-bench-<backend>-<users>.json
    /// (with `--costs`: target/bench/scimd-costs-<backend>.json).
    #[arg(long)]
    json: Option<PathBuf>,
    /// Instead of the scenarios: the server's CPU per request as each input a limit bounds
    /// (values, attribute names, filter terms, PATCH operations, JSON values) grows to its
    /// limit, sequentially, on a database of 1,000 users (tests/bench/costs/).
    #[arg(long)]
    costs: bool,
    /// Passed by `cargo bench` to every bench binary; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

fn main() -> ExitCode {
    if let Some(outcome) = floor::serve_if_asked() {
        return outcome;
    }
    let options = Options::parse();
    match run(&options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("scimd-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the selected scenarios; prints and writes whatever was measured even when a step
/// failed, then fails if anything did, including any scenario with an error response.
fn run(options: &Options) -> BenchResult<()> {
    if options.costs {
        return costs::run(options);
    }
    let selected = scenarios::select(&options.scenarios)?;
    wrk::ensure_installed()?;
    let bench = Bench::new(options)?;
    let mut report = Report {
        facts: facts(&bench)?,
        seeds: Vec::new(),
        rows: Vec::new(),
        servers: Vec::new(),
        pgbench: None,
        walks: Vec::new(),
    };
    let measured = bench.measure_all(&selected, &mut report);
    report.print();
    report.write_json(&bench.json_path())?;
    measured?;
    let failures = report.failures();
    if !failures.is_empty() {
        return Err(format!("scenarios with errors: {}", failures.join("; ")).into());
    }
    Ok(())
}

/// The machine, the build and the settings, as they head the JSON report.
fn facts(bench: &Bench<'_>) -> BenchResult<Value> {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu_model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|l| l.trim_start_matches([' ', '\t', ':']));
    let git_commit = Command::new("git")
        .args(["-C", env!("CARGO_MANIFEST_DIR"), "rev-parse", "HEAD"])
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned());
    let o = bench.options;
    Ok(json!({
        "machine": {
            "nproc": std::thread::available_parallelism()?.get(),
            "cpu_model": cpu_model,
            "clock_ticks_per_second": process::clock_ticks_per_second(),
        },
        "scimd": {"version": server::version()?, "git_commit": git_commit},
        "settings": {
            "backend": bench.backend.name(),
            "users": o.users,
            "connections": o.connections,
            "threads": o.threads,
            "duration_seconds": o.duration,
            "warmup_seconds": WARMUP_SECONDS,
            "server": "scimd serve defaults (8 database connections, token recheck 5 s, log level info: one line per request, to a file)",
            "load_generator": "wrk, one Lua script per scenario in tests/bench/wrk",
        },
    }))
}
