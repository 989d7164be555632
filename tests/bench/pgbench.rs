//! PostgreSQL's own ceiling on this machine: pgbench at the same concurrency as wrk, for a
//! single-row read (built-in select-only) and a single-row insert, in a scratch database.
//! S1 and S4 are reported as fractions of these.

use std::path::Path;
use std::process::Command;

use serde::Serialize;

use crate::BenchResult;
use crate::wrk::Shape;

/// Scale of `pgbench -i`: 1,000,000 rows in `pgbench_accounts`.
const SCALE: &str = "10";

/// Transactions per second of each pgbench run.
#[derive(Debug, Clone, Serialize)]
pub struct Ceiling {
    pub read_tps: f64,
    pub insert_tps: f64,
}

/// Initialises `database_url` and measures both runs, each after a 2 s warm-up.
pub fn measure(database_url: &str, shape: Shape, seconds: u64) -> BenchResult<Ceiling> {
    pgbench(&["-i", "-q", "-s", SCALE, database_url])?;
    let insert_script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bench/pgbench_insert.sql");
    let insert_script = insert_script.to_str().ok_or("non-UTF-8 path")?;
    let run = |workload: &[&str], seconds: u64| -> BenchResult<f64> {
        let (c, j, t) = (
            shape.connections.to_string(),
            shape.threads.min(shape.connections).to_string(),
            seconds.to_string(),
        );
        let mut args = vec!["-M", "prepared", "-c", &c, "-j", &j, "-T", &t];
        args.extend_from_slice(workload);
        args.push(database_url);
        tps(&pgbench(&args)?)
    };
    let read: &[&str] = &["-S"];
    let insert: &[&str] = &["-n", "-f", insert_script];
    run(read, 2)?;
    let read_tps = run(read, seconds)?;
    run(insert, 2)?;
    let insert_tps = run(insert, seconds)?;
    Ok(Ceiling {
        read_tps,
        insert_tps,
    })
}

fn pgbench(args: &[&str]) -> BenchResult<String> {
    let out = Command::new("pgbench")
        .args(args)
        .output()
        .map_err(|e| format!("cannot run pgbench: {e}"))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        return Err(format!("pgbench {args:?} failed ({}): {stderr}", out.status).into());
    }
    Ok(String::from_utf8(out.stdout)?)
}

/// The `tps = N (without initial connection time)` line of pgbench's report.
fn tps(report: &str) -> BenchResult<f64> {
    let line = report
        .lines()
        .find_map(|l| l.strip_prefix("tps = "))
        .ok_or_else(|| format!("no tps in pgbench's report: {report}"))?;
    let number = line.split_whitespace().next().unwrap_or_default();
    Ok(number.parse()?)
}
