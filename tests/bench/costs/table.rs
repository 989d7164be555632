//! The results of `--costs`: a table on stdout and the same rows, with the machine's facts, as
//! JSON.

use std::path::Path;

use serde::Serialize;
use serde_json::{Value, json};

use super::kinds::Kind;
use crate::BenchResult;

/// One measured size of one kind.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub n: usize,
    /// Whether n is over the kind's limit (the requests should be answered `400`).
    pub over: bool,
    /// Units of input (values, names, terms, operations, KB) in one request.
    pub units: f64,
    pub body_bytes: usize,
    pub requests: usize,
    /// The first response's status.
    pub status: u16,
    /// Responses other than 2xx (within the limit) or `400` (over it), in every round.
    pub unexpected: usize,
    /// Server CPU time (all threads, user + system) per request.
    pub cpu_us_per_request: f64,
    /// Time from sending a request to its last response byte, sequentially.
    pub wall_ms_per_request: f64,
    /// The server's peak RSS while this size ran (`VmHWM`, reset before it).
    pub peak_rss_kib: u64,
    /// CPU per request of every round of this size; the row is the median's.
    pub rounds_cpu_us: Vec<f64>,
}

/// Every row, by kind, in running order.
pub struct Table {
    facts: Value,
    /// The server's peak RSS before the first measurement (startup and seeding's reads).
    start_rss_kib: u64,
    rows: Vec<(Kind, Row)>,
}

/// A row with the figures that compare it to others of its kind.
struct Derived<'a> {
    kind: Kind,
    row: &'a Row,
    /// CPU per unit: falls with n while a fixed per-request cost dominates.
    us_per_unit: f64,
    /// CPU of this size less the previous one's, per unit more: flat when the cost is
    /// linear, growing with n when it is worse.
    incremental_us_per_unit: Option<f64>,
}

impl Table {
    pub fn new(facts: Value, start_rss_kib: u64) -> Self {
        Self {
            facts,
            start_rss_kib,
            rows: Vec::new(),
        }
    }

    pub fn push(&mut self, kind: Kind, row: Row) {
        self.rows.push((kind, row));
    }

    fn derived(&self) -> Vec<Derived<'_>> {
        let mut previous: Option<(Kind, &Row)> = None;
        self.rows
            .iter()
            .map(|(kind, row)| {
                let incremental = match previous {
                    Some((k, p)) if k == *kind && !row.over && row.units > p.units => Some(
                        (row.cpu_us_per_request - p.cpu_us_per_request) / (row.units - p.units),
                    ),
                    _ => None,
                };
                previous = Some((*kind, row));
                Derived {
                    kind: *kind,
                    row,
                    us_per_unit: row.cpu_us_per_request / row.units.max(f64::MIN_POSITIVE),
                    incremental_us_per_unit: incremental,
                }
            })
            .collect()
    }

    /// The server's peak RSS over the whole run.
    fn peak_rss_kib(&self) -> u64 {
        self.rows
            .iter()
            .map(|(_, r)| r.peak_rss_kib)
            .fold(self.start_rss_kib, u64::max)
    }

    pub fn print(&self) {
        println!(
            "\n{:<14} {:>7} {:>9} {:>5} {:>6} {:>8} {:>11} {:>10} {:>9} {:>10} {:>8}",
            "kind",
            "n",
            "units",
            "req",
            "status",
            "ms/req",
            "CPU µs/req",
            "µs/unit",
            "Δµs/unit",
            "unit",
            "RSS MiB"
        );
        let mut last: Option<Kind> = None;
        for d in self.derived() {
            if last.is_some_and(|k| k != d.kind) {
                println!();
            }
            if last != Some(d.kind) {
                println!("{}: {}", d.kind.name(), d.kind.request());
            }
            last = Some(d.kind);
            let r = d.row;
            let status = match r.unexpected {
                0 => r.status.to_string(),
                bad => format!("{}!{bad}", r.status),
            };
            println!(
                "{:<14} {:>7} {:>9.1} {:>5} {:>6} {:>8.2} {:>11.0} {:>10.2} {:>9} {:>10} {:>8.1}",
                d.kind.name(),
                r.n,
                r.units,
                r.requests,
                status,
                r.wall_ms_per_request,
                r.cpu_us_per_request,
                d.us_per_unit,
                d.incremental_us_per_unit
                    .map_or("-".into(), |v| format!("{v:.2}")),
                d.kind.unit(),
                r.peak_rss_kib as f64 / 1024.0,
            );
        }
        println!(
            "\nscimd peak RSS: {:.1} MiB (at start: {:.1} MiB)",
            self.peak_rss_kib() as f64 / 1024.0,
            self.start_rss_kib as f64 / 1024.0
        );
    }

    /// Sizes with responses other than expected, as `kind n (what)`.
    pub fn failures(&self) -> Vec<String> {
        self.rows
            .iter()
            .filter(|(_, r)| r.unexpected > 0)
            .map(|(kind, r)| {
                format!(
                    "{} n={} ({} of {} requests, first {})",
                    kind.name(),
                    r.n,
                    r.unexpected,
                    r.requests,
                    r.status
                )
            })
            .collect()
    }

    /// Writes the JSON report to `path`, creating its folder.
    pub fn write_json(&self, path: &Path) -> BenchResult<()> {
        let rows: Vec<Value> = self
            .derived()
            .iter()
            .map(|d| {
                let mut row = serde_json::to_value(d.row).unwrap_or_default();
                row["kind"] = json!(d.kind.name());
                row["request"] = json!(d.kind.request());
                row["unit"] = json!(d.kind.unit());
                row["cpu_us_per_unit"] = json!(d.us_per_unit);
                row["incremental_cpu_us_per_unit"] = json!(d.incremental_us_per_unit);
                row
            })
            .collect();
        let mut report = self.facts.clone();
        report["costs"] = json!(rows);
        report["server_peak_rss_kib"] = json!(self.peak_rss_kib());
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, serde_json::to_string_pretty(&report)?)?;
        println!("\nwrote {}", path.display());
        Ok(())
    }
}
