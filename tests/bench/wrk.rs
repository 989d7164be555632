//! wrk, the load generator: installed from Debian at a pinned version if missing, run on one
//! Lua script of `tests/bench/wrk/`, its result read from the JSON that the script's `done`
//! writes (wrk's text output is for people).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::BenchResult;

/// The Debian package the bench's numbers were taken with.
const PINNED: &str = "wrk=4.1.0-3+b2";

/// A response slower than this counts as a timeout error, which fails the bench. wrk's default
/// is 2 s; at 1,000,000 users a deep index page or a filter matching a sixth of all users takes
/// longer than that under 32 concurrent requests, and is reported as slow (p50/p99), not lost.
const TIMEOUT: &str = "30s";

/// Load shape shared by every scenario.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub threads: u32,
    pub connections: u32,
}

/// What `common.lua`'s `done` reports; latencies in microseconds (none for W1, which is not a
/// wrk run).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Outcome {
    pub requests: u64,
    pub duration_us: u64,
    pub p50_us: Option<u64>,
    pub p99_us: Option<u64>,
    pub connect: u64,
    pub read: u64,
    pub write: u64,
    pub timeout: u64,
    /// Responses with a status above 399.
    pub status: u64,
    /// Failed operations inside bulk responses (which answer 200 however many fail).
    #[serde(default)]
    pub op_failures: u64,
}

impl Outcome {
    pub fn requests_per_second(&self) -> f64 {
        self.requests as f64 / (self.duration_us as f64 / 1e6)
    }

    pub fn socket_errors(&self) -> u64 {
        self.connect + self.read + self.write + self.timeout
    }

    /// Every error: socket errors, error statuses and failed bulk operations.
    pub fn errors(&self) -> u64 {
        self.socket_errors() + self.status + self.op_failures
    }
}

/// One wrk run: a script and the environment it reads (see `common.lua`).
pub struct Load<'a> {
    pub script: &'a str,
    pub env: Vec<(&'static str, String)>,
}

/// Installs wrk with apt if it is not on PATH (the bench runs as root on Debian).
pub fn ensure_installed() -> BenchResult<()> {
    if Command::new("wrk").arg("--version").output().is_ok() {
        return Ok(());
    }
    eprintln!("wrk not found: apt-get install -y {PINNED}");
    let install = || {
        Command::new("apt-get")
            .args(["install", "-y", PINNED])
            .status()
    };
    if install()?.success() {
        return Ok(());
    }
    // A fresh machine may not have package lists yet.
    Command::new("apt-get").arg("update").status()?;
    if install()?.success() {
        Ok(())
    } else {
        Err(format!("could not install {PINNED}").into())
    }
}

/// Runs `load` against `origin` for `seconds`, writing the result to `result`.
pub fn run(
    shape: Shape,
    seconds: u64,
    origin: &str,
    load: &Load<'_>,
    result: &Path,
) -> BenchResult<Outcome> {
    let _ = std::fs::remove_file(result);
    let scripts = scripts_dir();
    // Unique per run, for the userNames that create_user.lua invents.
    let run_id = SystemTime::now().duration_since(UNIX_EPOCH)?.as_nanos();
    let out = Command::new("wrk")
        .arg(format!("-t{}", shape.threads))
        .arg(format!("-c{}", shape.connections))
        .arg(format!("-d{seconds}s"))
        .arg("--latency")
        .args(["--timeout", TIMEOUT])
        .arg("-s")
        .arg(scripts.join(load.script))
        .arg(origin)
        .env("LUA_PATH", format!("{}/?.lua;;", scripts.display()))
        .env("BENCH_RESULT", result)
        .env("BENCH_RUN", run_id.to_string())
        .envs(load.env.iter().map(|(k, v)| (k, v)))
        .output()
        .map_err(|e| format!("cannot run wrk: {e}"))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let json = std::fs::read_to_string(result).map_err(|e| {
        format!(
            "wrk {} wrote no result ({e}); exit {}, stderr: {stderr}",
            load.script, out.status
        )
    })?;
    if !out.status.success() || !stderr.trim().is_empty() {
        // A Lua error in `request` shows up here while wrk carries on.
        return Err(format!("wrk {} failed ({}): {stderr}", load.script, out.status).into());
    }
    Ok(serde_json::from_str(&json)?)
}

fn scripts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bench/wrk")
}
