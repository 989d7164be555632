//! S3w: a sequential `startIndex` walk, as Okta's import sends it. One client asks for
//! `startIndex` 1, 101, 201, … with `count=100`, each page after the previous one answered, up to
//! [`MAX_PAGES`] pages (10,000 at a million users). Reports the walk's total time, the first and
//! the last page's latency (client and HTTP included), p50 / p99 over all its pages, and the
//! server's CPU time per page. No wrk: the pages must follow one another.

use std::time::Instant;

use reqwest::Method;

use crate::BenchResult;
use crate::http::Http;
use crate::report::Measured;
use crate::server::Server as Scimd;
use crate::wrk::Outcome;

/// Okta's page size.
const PAGE: u64 = 100;
/// The walk stops after this many pages.
const MAX_PAGES: u64 = 10_000;

/// What the report prints beside the table row.
pub struct WalkSummary {
    pub pages: u64,
    pub total_seconds: f64,
    pub first_page_ms: f64,
    pub last_page_ms: f64,
}

/// Walks `users` users of the directory at `scim_base` in pages of 100.
pub fn measure(
    http: &Http,
    scimd: &mut Scimd,
    token: &str,
    scim_base: &str,
    users: u64,
) -> BenchResult<(Measured, WalkSummary)> {
    let pages = users.div_ceil(PAGE).clamp(1, MAX_PAGES);
    let mut latencies_us = Vec::with_capacity(pages as usize);
    let mut errors = 0;
    let before = scimd.process.cpu_seconds()?;
    let started = Instant::now();
    for n in 0..pages {
        let url = format!(
            "{}{scim_base}/Users?startIndex={}&count={PAGE}",
            scimd.origin,
            n * PAGE + 1
        );
        let sent = Instant::now();
        let (status, body) = http.send(Method::GET, &url, token, None)?;
        latencies_us.push(sent.elapsed().as_micros() as u64);
        let items = serde_json::from_slice::<serde_json::Value>(&body)?["itemsPerPage"]
            .as_u64()
            .unwrap_or(0);
        if !status.is_success() || items != PAGE.min(users - n * PAGE) {
            errors += 1;
        }
    }
    let duration_us = started.elapsed().as_micros() as u64;
    let cpu_seconds = scimd.process.cpu_seconds()? - before;
    scimd.process.check_alive()?;
    let summary = WalkSummary {
        pages,
        total_seconds: duration_us as f64 / 1e6,
        first_page_ms: latencies_us[0] as f64 / 1e3,
        last_page_ms: latencies_us[latencies_us.len() - 1] as f64 / 1e3,
    };
    let mut sorted = latencies_us;
    sorted.sort_unstable();
    let percentile = |p: f64| sorted[((sorted.len() - 1) as f64 * p).round() as usize];
    let outcome = Outcome {
        requests: pages,
        duration_us,
        p50_us: Some(percentile(0.5)),
        p99_us: Some(percentile(0.99)),
        connect: 0,
        read: 0,
        write: 0,
        timeout: 0,
        status: errors,
        op_failures: 0,
    };
    let measured = Measured {
        operations_per_request: 1,
        requests_per_second: outcome.requests_per_second(),
        cpu_us_per_request: cpu_seconds * 1e6 / pages as f64,
        server_peak_rss_kib: scimd.process.peak_rss_kib()?,
        cpu_by_thread: None,
        outcome,
    };
    Ok((measured, summary))
}
