//! `--costs`: what one request costs the server as its input grows to each limit of README
//! "Limits" (issue 13 §2), not throughput. For each input kind it sends requests of growing
//! size n one at a time (no wrk: concurrency would only add queueing to the figure) and
//! reports the server's CPU time per request, per unit of input, and added per unit added
//! since the previous size: a cost linear in the input reads as a flat column of the last;
//! one step over the limit shows the `400`.

mod kinds;
mod table;

use std::time::{Duration, Instant};

use clap::Parser;
use reqwest::StatusCode;
use serde_json::{Value, json};

use scimd::config::{Cli, Command, ServeArgs};

use self::kinds::{Kind, new_user};
use self::table::{Row, Table};
use crate::process::Running;
use crate::run::{Bench, wait_idle};
use crate::scenarios::{Seeding, Token};
use crate::{BenchResult, Options, server};

/// Server CPU time each size is measured over in each round, so that the 10 ms clock tick of
/// `/proc` is 4% of it at most.
const TARGET_CPU_SECONDS: f64 = 0.25;
/// Requests per size: at least this many, however costly, …
const MIN_REQUESTS: usize = 10;
/// … at most this many, however cheap (they stop once the target is reached) …
const MAX_REQUESTS: usize = 400;
/// … this many users created for a kind's first size, before anything is known of its cost …
const FIRST_USERS: usize = 100;
/// … and this many requests over the limit, where each is refused at once.
const OVER_REQUESTS: usize = 20;

/// Times each size is measured, in turns with the kind's other sizes.
const ROUNDS: usize = 3;

/// Users seeded: the filters and pages run against a table of realistic size.
const USERS: u64 = 1_000;

/// Seeds a small database, serves it with `serve`'s defaults and measures every kind; prints
/// and writes what was measured even when a step failed.
pub fn run(options: &Options) -> BenchResult<()> {
    let serve = serve_defaults()?;
    let bench = Bench::new(options)?;
    let seeding = Seeding {
        tag: "costs",
        suffix: "_costs",
        users: USERS,
        large_group: None,
        events: 0,
        directories: 0,
    };
    let database = bench.backend.create(seeding.suffix)?;
    eprintln!("seeding: {USERS} users");
    server::seed(&database.url, &seeding)?;
    let (directory, scim_base) = seeding.directory();
    let token = server::create_token(&database.url, Token::Scim, &directory)?;
    let log = crate::run::logs_dir()?.join(format!("scimd-{}-costs.log", bench.backend.name()));
    let mut server = server::serve(&database.url, &log, &bench.http)?;
    let mut facts = crate::facts(&bench)?;
    facts["settings"] = json!({
        "mode": "costs",
        "backend": bench.backend.name(),
        "users": USERS,
        "server": "scimd serve defaults (limits included), log level info to a file",
        "requests": "sequential, on one connection; each size 3 times, each until 0.25 s of server CPU (10 to 400 requests); the median round is reported",
    });
    let mut table = Table::new(facts, server.process.peak_rss_kib()?);
    let mut session = Session {
        bench: &bench,
        token: &token,
        base: format!("{}{scim_base}", server.origin),
        process: &mut server.process,
        serial: 0,
    };
    let measured = Kind::ALL
        .iter()
        .try_for_each(|&kind| session.kind(kind, &serve, &mut table));
    table.print();
    table.write_json(&json_path(&bench))?;
    measured?;
    let failures = table.failures();
    if !failures.is_empty() {
        return Err(format!("unexpected statuses: {}", failures.join("; ")).into());
    }
    Ok(())
}

/// The options `scimd serve` will run with: its defaults, and any `SCIMD_*` variable set for
/// the bench, which the server inherits.
fn serve_defaults() -> BenchResult<ServeArgs> {
    match Cli::try_parse_from(["scimd", "serve"])?.command {
        Command::Serve(args) => Ok(args),
        _ => Err("`scimd serve` did not parse as serve".into()),
    }
}

fn json_path(bench: &Bench<'_>) -> std::path::PathBuf {
    bench.options.json.clone().unwrap_or_else(|| {
        crate::run::bench_dir().join(format!("scimd-costs-{}.json", bench.backend.name()))
    })
}

/// The server under measurement and how to call it.
struct Session<'a> {
    bench: &'a Bench<'a>,
    token: &'a str,
    /// `http://127.0.0.1:PORT/scim/v2`
    base: String,
    process: &'a mut Running,
    /// Requests prepared so far: numbers the users and userNames they create, unique over the
    /// run.
    serial: usize,
}

impl Session<'_> {
    /// Every size of `kind`, [`ROUNDS`] times (smallest first, then largest first, …), and the
    /// round of median CPU of each size: the machine is shared, and a round that met a busy
    /// moment is left out.
    fn kind(&mut self, kind: Kind, serve: &ServeArgs, table: &mut Table) -> BenchResult<()> {
        let limit = kind.limit(serve);
        let sizes = kind.sizes(limit);
        let mut rounds: Vec<Vec<Row>> = vec![Vec::new(); sizes.len()];
        for round in 0..ROUNDS {
            let mut order: Vec<usize> = (0..sizes.len()).collect();
            if round % 2 == 1 {
                order.reverse();
            }
            let mut previous: Option<(usize, f64)> = None;
            for i in order {
                let n = sizes[i];
                let known = rounds[i].last().map(|r| (n, r.cpu_us_per_request));
                let count = requests(kind, n, limit, known.or(previous));
                eprintln!(
                    "{} round {}: n = {n}, up to {count} requests",
                    kind.name(),
                    round + 1
                );
                let row = self.size(kind, n, limit, count)?;
                previous = Some((n, row.cpu_us_per_request));
                rounds[i].push(row);
            }
        }
        for rows in rounds {
            table.push(kind, median(rows));
        }
        Ok(())
    }

    /// Measures up to `count` requests of size n (fewer once they took [`TARGET_CPU_SECONDS`];
    /// all of them over the limit), after creating the users they change.
    fn size(&mut self, kind: Kind, n: usize, limit: usize, count: usize) -> BenchResult<Row> {
        let users = match kind.user_emails(n, limit) {
            Some(emails) => (0..count)
                .map(|i| self.create_user(&format!("{}-{}", kind.name(), self.serial + i), emails))
                .collect::<BenchResult<Vec<_>>>()?,
            None => Vec::new(),
        };
        let serial = self.serial;
        self.serial += count;
        let request = |i: usize| kind.build(n, serial + i, users.get(i).map(String::as_str));
        let first = request(0);
        // The users' creation must not be counted with the requests.
        wait_idle(self.process)?;
        self.process.reset_peak_rss()?;
        let before = self.process.cpu_seconds()?;
        // From sending each request to its response, without building the next one.
        let mut wall = Duration::ZERO;
        let mut statuses = Vec::with_capacity(count);
        let mut cpu_seconds = 0.0;
        for i in 0..count {
            let r = if i == 0 { &first } else { &request(i) };
            let url = format!("{}{}", self.base, r.path);
            let sent = Instant::now();
            let (status, _) =
                self.bench
                    .http
                    .send(r.method.clone(), &url, self.token, r.body.as_deref())?;
            wall += sent.elapsed();
            statuses.push(status);
            // Reading /proc costs the server nothing.
            cpu_seconds = self.process.cpu_seconds()? - before;
            let enough = statuses.len() >= MIN_REQUESTS && cpu_seconds >= TARGET_CPU_SECONDS;
            if n <= limit && enough {
                break;
            }
        }
        let count = statuses.len();
        self.process.check_alive()?;
        let expected = if n > limit {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::OK
        };
        let unexpected = statuses
            .iter()
            .filter(|s| match expected {
                StatusCode::OK => !s.is_success(),
                e => **s != e,
            })
            .count();
        Ok(Row {
            n,
            over: n > limit,
            units: kind.units(n, &first),
            body_bytes: first.body.as_ref().map_or(0, Vec::len),
            requests: count,
            status: statuses.first().map_or(0, StatusCode::as_u16),
            unexpected,
            cpu_us_per_request: cpu_seconds * 1e6 / count as f64,
            wall_ms_per_request: wall.as_secs_f64() * 1e3 / count as f64,
            peak_rss_kib: self.process.peak_rss_kib()?,
            rounds_cpu_us: Vec::new(),
        })
    }

    /// POSTs a user with `emails` emails and returns its id.
    fn create_user(&self, name: &str, emails: usize) -> BenchResult<String> {
        let created: Value = self.bench.http.post_json(
            &format!("{}/Users", self.base),
            self.token,
            &new_user(name, 0..emails),
        )?;
        created["id"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("a created user without id: {created}").into())
    }
}

/// How many requests to prepare for size n: as many as reach [`TARGET_CPU_SECONDS`] (they stop
/// there) for a kind that needs nothing prepared; for one whose requests each change a user of
/// their own, as many users as `known`, the cost of an earlier size, extrapolated linearly,
/// says it needs.
fn requests(kind: Kind, n: usize, limit: usize, known: Option<(usize, f64)>) -> usize {
    match known {
        _ if n > limit => OVER_REQUESTS,
        _ if kind.user_emails(n, limit).is_none() => MAX_REQUESTS,
        None => FIRST_USERS,
        Some((m, cpu_us)) => {
            let expected = cpu_us * n as f64 / m as f64;
            let wanted = 1.2 * TARGET_CPU_SECONDS * 1e6 / expected.max(1.0);
            (wanted as usize).clamp(MIN_REQUESTS, MAX_REQUESTS)
        }
    }
}

/// The row of median CPU per request among the rounds of one size, with every round's CPU and
/// every unexpected status.
fn median(mut rows: Vec<Row>) -> Row {
    let rounds: Vec<f64> = rows.iter().map(|r| r.cpu_us_per_request).collect();
    let unexpected = rows.iter().map(|r| r.unexpected).sum();
    rows.sort_by(|a, b| a.cpu_us_per_request.total_cmp(&b.cpu_us_per_request));
    let mut row = rows.swap_remove(rows.len() / 2);
    row.rounds_cpu_us = rounds;
    row.unexpected = unexpected;
    row
}
