//! One bench run: FLOOR, then each seeded database with its server and scenarios, then pgbench;
//! every child process and database is gone when a step returns, whether it failed or not.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::database::{Backend, ScratchDir};
use crate::fixtures::{Fixtures, Tokens};
use crate::http::Http;
use crate::process::Running;
use crate::report::{CpuShares, Measured, Report};
use crate::scenarios::{Items, Run, Scenario, Target, Token};
use crate::wrk::{self, Load, Shape};
use crate::{BenchResult, Options, floor, pgbench, server, walk, webhooks};

/// Seconds of uncounted load before each measured run: connection pools, caches and the
/// branch predictor settle.
pub const WARMUP_SECONDS: u64 = 2;

/// What the steps of one run share.
pub struct Bench<'a> {
    pub options: &'a Options,
    pub backend: Backend,
    pub shape: Shape,
    pub http: Http,
    scratch: ScratchDir,
}

impl<'a> Bench<'a> {
    pub fn new(options: &'a Options) -> BenchResult<Self> {
        let scratch = ScratchDir::create()?;
        let backend = match &options.postgres {
            Some(url) => Backend::Postgres {
                server_url: url.clone(),
            },
            None => Backend::Sqlite {
                dir: scratch.path().to_owned(),
            },
        };
        Ok(Self {
            options,
            backend,
            shape: Shape {
                threads: options.threads,
                connections: options.connections,
            },
            http: Http::new()?,
            scratch,
        })
    }

    /// Runs `selected` in order, adding to `report` as results come in.
    pub fn measure_all(&self, selected: &[&Scenario], report: &mut Report) -> BenchResult<()> {
        if let Some(floor) = selected.iter().find(|s| matches!(s.run, Run::Floor)) {
            let measured = self.floor()?;
            report.rows.push((floor.name, floor.request, measured));
        }
        for target in Target::ALL {
            let on: Vec<&Scenario> = selected
                .iter()
                .copied()
                .filter(|s| s.run.database() == Some(target))
                .collect();
            if !on.is_empty() {
                self.on_database(target, &on, report)?;
            }
        }
        let compared = selected.iter().any(|s| s.name == "S1" || s.name == "S4");
        if matches!(self.backend, Backend::Postgres { .. }) && compared {
            eprintln!("pgbench: read and insert, {} s each", self.options.duration);
            let database = self.backend.create("_pgbench")?;
            report.pgbench = Some(pgbench::measure(
                &database.url,
                self.shape,
                self.options.duration,
            )?);
        }
        Ok(())
    }

    fn floor(&self) -> BenchResult<Measured> {
        let (mut process, origin) = floor::spawn()?;
        self.http.wait_healthy(&format!("{origin}/"))?;
        let load = Load {
            script: "floor.lua",
            env: Vec::new(),
        };
        self.measure("FLOOR", &mut process, &origin, &load)
    }

    /// Seeds a fresh database for `target`, serves it and runs `scenarios` on it.
    fn on_database(
        &self,
        target: Target,
        scenarios: &[&Scenario],
        report: &mut Report,
    ) -> BenchResult<()> {
        let seeding = target.seeding(self.options.users);
        let tag = seeding.tag;
        let database = self.backend.create(seeding.suffix)?;
        let large = seeding
            .large_group
            .map_or(String::new(), |n| format!(", a large group of {n}"));
        let events = match seeding.events {
            0 => String::new(),
            n => format!(", {n} events"),
        };
        eprintln!("seeding {tag}: {} users{large}{events}", seeding.users);
        let seeded = server::seed(&database.url, &seeding)?;
        report.seeds.push((tag, seeded.clone()));
        let items: Vec<Items> = scenarios
            .iter()
            .filter_map(|s| match s.run {
                Run::Scimd { items, .. } => Some(items),
                _ => None,
            })
            .collect();
        let (directory, scim_base) = seeding.directory();
        let uses = |token| scenarios.iter().any(|s| s.run.token() == Some(token));
        let tokens = Tokens {
            scim: server::create_token(&database.url, Token::Scim, &directory)?,
            admin: if uses(Token::Admin) {
                Some(server::create_token(
                    &database.url,
                    Token::Admin,
                    &directory,
                )?)
            } else {
                None
            },
            scim_base,
        };
        let log = logs_dir()?.join(format!("scimd-{}-{tag}.log", self.backend.name()));
        let mut server = server::serve(&database.url, &log, &self.http)?;
        let fixtures = Fixtures::prepare(
            &self.http,
            &server.origin,
            &tokens,
            &seeding,
            &seeded,
            &items,
            self.scratch.path(),
        )?;
        for s in scenarios {
            server.wait_healthy(&self.http)?;
            let measured = match s.run {
                Run::Scimd {
                    script,
                    items,
                    token,
                    ..
                } => {
                    let load = fixtures.load(script, items, token)?;
                    let mut measured =
                        self.measure(s.name, &mut server.process, &server.origin, &load)?;
                    measured.operations_per_request = s.operations;
                    measured
                }
                Run::Webhooks { webhooks, .. } => {
                    eprintln!("{}: until every event is delivered", s.name);
                    let admin = tokens.admin.as_deref().ok_or("no admin token")?;
                    webhooks::measure(&self.http, &mut server, admin, &seeded, webhooks)?
                }
                Run::Walk { .. } => {
                    eprintln!("{}: one sequential startIndex walk", s.name);
                    let (measured, summary) = walk::measure(
                        &self.http,
                        &mut server,
                        &tokens.scim,
                        &tokens.scim_base,
                        seeding.users,
                    )?;
                    report.walks.push((s.name, summary));
                    measured
                }
                Run::Floor => continue,
            };
            report.rows.push((s.name, s.request, measured));
        }
        report.servers.push((tag, server.process.peak_rss_kib()?));
        Ok(())
    }

    /// Warms up, then measures one wrk run and the server's CPU time over it.
    fn measure(
        &self,
        name: &str,
        process: &mut Running,
        origin: &str,
        load: &Load<'_>,
    ) -> BenchResult<Measured> {
        eprintln!(
            "{name}: {} s warm-up, {} s measured",
            WARMUP_SECONDS, self.options.duration
        );
        let result = self.scratch.path().join(format!("{name}.json"));
        wrk::run(self.shape, WARMUP_SECONDS, origin, load, &result)?;
        // Requests of the warm-up (or of the scenario before) still running would be measured
        // with this run's CPU but not counted: a bulk request runs for seconds after wrk left.
        wait_idle(process)?;
        let postgres = matches!(self.backend, Backend::Postgres { .. });
        let before = process.cpu_sample(postgres)?;
        let outcome = wrk::run(self.shape, self.options.duration, origin, load, &result)?;
        let cpu = process.cpu_sample(postgres)?.since(&before);
        process.check_alive()?;
        Ok(Measured {
            operations_per_request: 1,
            requests_per_second: outcome.requests_per_second(),
            cpu_us_per_request: cpu.total * 1e6 / outcome.requests.max(1) as f64,
            server_peak_rss_kib: process.peak_rss_kib()?,
            cpu_by_thread: Some(CpuShares::per_request(cpu, outcome.requests)),
            outcome,
        })
    }

    /// The JSON report's path: `--json`, or target/bench/scimd-bench-<backend>-<users>.json.
    pub fn json_path(&self) -> PathBuf {
        self.options.json.clone().unwrap_or_else(|| {
            bench_dir().join(format!(
                "scimd-bench-{}-{}.json",
                self.backend.name(),
                self.options.users
            ))
        })
    }
}

/// Waits until the server has used no CPU time for a quarter of a second.
pub fn wait_idle(process: &Running) -> BenchResult<()> {
    let started = Instant::now();
    let mut last = process.cpu_seconds()?;
    loop {
        std::thread::sleep(IDLE_SAMPLE);
        let now = process.cpu_seconds()?;
        if now - last < IDLE_CPU_SECONDS {
            return Ok(());
        }
        if started.elapsed() > IDLE_TIMEOUT {
            return Err(format!("the server was still busy after {IDLE_TIMEOUT:?}").into());
        }
        last = now;
    }
}

/// How the bench tells that the server is idle: less CPU than this per sample.
const IDLE_SAMPLE: Duration = Duration::from_millis(250);
const IDLE_CPU_SECONDS: f64 = 0.01;
const IDLE_TIMEOUT: Duration = Duration::from_secs(300);

pub fn bench_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench")
}

/// Where the servers' logs stay after the run, for looking into errors.
pub fn logs_dir() -> BenchResult<PathBuf> {
    let dir = bench_dir().join("logs");
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
