//! The results: a table on stdout and the same numbers, with the machine's facts, as JSON.

use std::path::Path;

use serde::Serialize;
use serde_json::{Value, json};

use crate::BenchResult;
use crate::pgbench::Ceiling;
use crate::process::CpuSpent;
use crate::server::Seeded;
use crate::walk::WalkSummary;
use crate::wrk::Outcome;

/// One measured scenario.
#[derive(Debug, Clone, Serialize)]
pub struct Measured {
    #[serde(flatten)]
    pub outcome: Outcome,
    /// SCIM operations per request (a bulk request's operations; 1 otherwise).
    pub operations_per_request: u64,
    pub requests_per_second: f64,
    /// Server CPU time (all threads, user + system) over the run, per request.
    pub cpu_us_per_request: f64,
    /// The server's `VmHWM` after the run: its peak since it started.
    pub server_peak_rss_kib: u64,
    /// Where that CPU time ran, for the scenarios driven by wrk.
    pub cpu_by_thread: Option<CpuShares>,
}

/// A request's CPU time by the threads it ran on, µs per request.
#[derive(Debug, Clone, Serialize)]
pub struct CpuShares {
    /// tokio's workers: HTTP, JSON and the service's own work.
    pub async_workers_us: f64,
    /// sqlx's SQLite connection threads (readers, the writer, the checkpointer).
    pub sqlite_threads_us: f64,
    /// The rest of scimd (its main and blocking threads, threads that exited).
    pub other_us: f64,
    /// PostgreSQL's server processes on this machine (PostgreSQL runs only).
    pub postgres_server_us: Option<f64>,
}

impl CpuShares {
    /// The shares of `cpu` (seconds over a run) for each of `requests`.
    pub fn per_request(cpu: CpuSpent, requests: u64) -> Self {
        let us = |seconds: f64| seconds * 1e6 / requests.max(1) as f64;
        Self {
            async_workers_us: us(cpu.async_workers),
            sqlite_threads_us: us(cpu.sqlite_threads),
            other_us: us((cpu.total - cpu.async_workers - cpu.sqlite_threads).max(0.0)),
            postgres_server_us: cpu.postgres_server.map(us),
        }
    }
}

impl Measured {
    pub fn operations_per_second(&self) -> f64 {
        self.requests_per_second * self.operations_per_request as f64
    }

    pub fn cpu_us_per_operation(&self) -> f64 {
        self.cpu_us_per_request / self.operations_per_request as f64
    }
}

/// Everything the bench found, in the order it found it.
pub struct Report {
    /// Machine, scimd and settings, as they go to the JSON.
    pub facts: Value,
    pub seeds: Vec<(&'static str, Seeded)>,
    pub rows: Vec<(&'static str, &'static str, Measured)>,
    /// Each server's `VmHWM` when its last scenario ended, by database.
    pub servers: Vec<(&'static str, u64)>,
    pub pgbench: Option<Ceiling>,
    /// The sequential `startIndex` walks (S3w), by scenario.
    pub walks: Vec<(&'static str, WalkSummary)>,
}

impl Report {
    fn measured(&self, name: &str) -> Option<&Measured> {
        self.rows
            .iter()
            .find(|(n, _, _)| *n == name)
            .map(|(_, _, m)| m)
    }

    fn ratio_to_floor(&self, measured: &Measured) -> Option<f64> {
        let floor = self.measured("FLOOR")?.cpu_us_per_request;
        Some(measured.cpu_us_per_request / floor)
    }

    /// Prints the seeding rates, the scenario table and the pgbench comparison.
    pub fn print(&self) {
        for (database, s) in &self.seeds {
            println!(
                "seeded {database}: {} users, {} memberships, {} events, {} rows in {:.1} s ({:.0} rows/s)",
                s.users, s.memberships, s.events, s.rows, s.seconds, s.rows_per_second
            );
        }
        println!(
            "\n{:<9} {:<42} {:>9} {:>8} {:>8} {:>7} {:>9} {:>7} {:>8}",
            "scenario",
            "request",
            "req/s",
            "p50 ms",
            "p99 ms",
            "errors",
            "CPU µs/r",
            "×FLOOR",
            "RSS MiB"
        );
        for (name, request, m) in &self.rows {
            println!(
                "{name:<9} {request:<42} {:>9.0} {:>8} {:>8} {:>7} {:>9.1} {:>7} {:>8.1}",
                m.requests_per_second,
                ms(m.outcome.p50_us),
                ms(m.outcome.p99_us),
                m.outcome.errors(),
                m.cpu_us_per_request,
                self.ratio_to_floor(m)
                    .map_or("-".into(), |r| format!("{r:.1}")),
                m.server_peak_rss_kib as f64 / 1024.0,
            );
        }
        self.print_threads();
        self.print_bulk();
        for (name, w) in &self.walks {
            println!(
                "{name}: {} pages of 100 in {:.1} s; first page {:.2} ms, last page {:.2} ms",
                w.pages, w.total_seconds, w.first_page_ms, w.last_page_ms
            );
        }
        for (database, kib) in &self.servers {
            println!(
                "scimd peak RSS on {database}: {:.1} MiB",
                *kib as f64 / 1024.0
            );
        }
        if let Some(p) = &self.pgbench {
            let of = |name: &str, tps: f64| {
                self.measured(name).map_or(String::new(), |m| {
                    format!("; {name} is {:.2} of it", m.requests_per_second / tps)
                })
            };
            println!(
                "\npgbench read (-S):     {:>9.0} tps{}",
                p.read_tps,
                of("S1", p.read_tps)
            );
            println!(
                "pgbench insert:        {:>9.0} tps{}",
                p.insert_tps,
                of("S4", p.insert_tps)
            );
        }
    }

    /// Where each request's CPU time ran: which side of the hand-off to SQLite's threads (or
    /// to the PostgreSQL server) costs what.
    fn print_threads(&self) {
        let shares: Vec<_> = self
            .rows
            .iter()
            .filter_map(|(name, _, m)| {
                Some((
                    name,
                    m.cpu_by_thread.as_ref()?,
                    m.operations_per_request as f64,
                ))
            })
            .collect();
        if shares.is_empty() {
            return;
        }
        println!("\nCPU µs per operation (a request; a bulk request's operation), by thread:");
        println!(
            "{:<9} {:>13} {:>14} {:>7} {:>17}",
            "scenario", "async workers", "SQLite threads", "other", "PostgreSQL server"
        );
        for (name, c, operations) in shares {
            println!(
                "{name:<9} {:>13.1} {:>14.1} {:>7.1} {:>17}",
                c.async_workers_us / operations,
                c.sqlite_threads_us / operations,
                c.other_us / operations,
                c.postgres_server_us
                    .map_or("-".into(), |us| format!("{:.1}", us / operations)),
            );
        }
    }

    /// The bulk scenarios per operation, against the single request they repeat (S8-create:
    /// S4, S8-patch: S5), at the same concurrency.
    fn print_bulk(&self) {
        for (name, single) in [("S8-create", "S4"), ("S8-patch", "S5")] {
            let Some(bulk) = self.measured(name) else {
                continue;
            };
            let against = self.measured(single).map_or(String::new(), |s| {
                format!(
                    "; {single}: {:.0} requests/s, {:.1} µs: {:.1}× the operations/s, {:.2}× the CPU per operation",
                    s.requests_per_second,
                    s.cpu_us_per_request,
                    bulk.operations_per_second() / s.requests_per_second,
                    bulk.cpu_us_per_operation() / s.cpu_us_per_request,
                )
            });
            println!(
                "{name}: {:.0} operations/s, {:.1} µs CPU per operation{against}",
                bulk.operations_per_second(),
                bulk.cpu_us_per_operation(),
            );
        }
    }

    /// Scenarios with any error, as `name (what)`.
    pub fn failures(&self) -> Vec<String> {
        self.rows
            .iter()
            .filter_map(|(name, _, m)| {
                let o = &m.outcome;
                (o.errors() > 0).then(|| {
                    format!(
                        "{name} ({} non-2xx/3xx, {} failed bulk operations, connect {}, read {}, write {}, timeout {})",
                        o.status, o.op_failures, o.connect, o.read, o.write, o.timeout
                    )
                })
            })
            .collect()
    }

    /// Writes the JSON report to `path`, creating its folder.
    pub fn write_json(&self, path: &Path) -> BenchResult<()> {
        let scenarios: Vec<Value> = self
            .rows
            .iter()
            .map(|(name, request, m)| {
                let mut row = serde_json::to_value(m).unwrap_or_default();
                row["name"] = json!(name);
                row["request"] = json!(request);
                row["cpu_ratio_to_floor"] = json!(self.ratio_to_floor(m));
                row["operations_per_second"] = json!(m.operations_per_second());
                row["cpu_us_per_operation"] = json!(m.cpu_us_per_operation());
                row
            })
            .collect();
        let seeds: Vec<Value> = self
            .seeds
            .iter()
            .map(|(database, s)| json!({"database": database, "seed": s}))
            .collect();
        let pgbench = self.pgbench.as_ref().map(|p| {
            let of =
                |name: &str, tps: f64| self.measured(name).map(|m| m.requests_per_second / tps);
            json!({
                "ceiling": p,
                "s1_over_read_tps": of("S1", p.read_tps),
                "s4_over_insert_tps": of("S4", p.insert_tps),
            })
        });
        let mut report = self.facts.clone();
        report["seeds"] = json!(seeds);
        report["scenarios"] = json!(scenarios);
        report["pgbench"] = json!(pgbench);
        report["walks"] = json!(
            self.walks
                .iter()
                .map(|(name, w)| json!({
                    "name": name, "pages": w.pages, "total_seconds": w.total_seconds,
                    "first_page_ms": w.first_page_ms, "last_page_ms": w.last_page_ms,
                }))
                .collect::<Vec<_>>()
        );
        report["server_peak_rss_kib"] = json!(
            self.servers
                .iter()
                .map(|(k, v)| (k.to_string(), json!(v)))
                .collect::<serde_json::Map<_, _>>()
        );
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, serde_json::to_string_pretty(&report)?)?;
        println!("\nwrote {}", path.display());
        Ok(())
    }
}

/// A latency in milliseconds for the table, `-` where there is none.
fn ms(us: Option<u64>) -> String {
    us.map_or("-".into(), |us| format!("{:.2}", us as f64 / 1e3))
}
