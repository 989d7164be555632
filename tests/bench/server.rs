//! The `scimd` binary under test, run as the operator would: `dev seed`, `token create` and
//! `serve`, each a child process on one database.

use std::collections::HashMap;
use std::fs::File;
use std::path::Path;
use std::process::{Command, Stdio};

use serde::Serialize;

use crate::BenchResult;
use crate::http::Http;
use crate::process::{Running, free_port};
use crate::scenarios::{Seeding, Token};

/// The summary line of `scimd dev seed`.
#[derive(Debug, Clone, Serialize)]
pub struct Seeded {
    pub users: u64,
    pub memberships: u64,
    pub events: u64,
    /// Feed position of the first seeded event.
    pub first_event: i64,
    pub rows: u64,
    pub seconds: f64,
    pub rows_per_second: f64,
}

/// A started `scimd serve`.
pub struct Server {
    pub process: Running,
    /// `http://127.0.0.1:PORT`
    pub origin: String,
}

fn scimd(database_url: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_scimd"));
    command.arg("--database-url").arg(database_url);
    command
}

/// Runs `command` to completion and returns its stdout, or fails with its stderr.
fn output(mut command: Command, what: &str) -> BenchResult<String> {
    let out = command
        .output()
        .map_err(|e| format!("cannot run {what}: {e}"))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        return Err(format!("{what} failed ({}): {stderr}", out.status).into());
    }
    Ok(String::from_utf8(out.stdout)?)
}

/// `scimd dev seed --users N [--large-group-size M] [--events E] [--directories D]` on a fresh
/// database.
pub fn seed(database_url: &str, seeding: &Seeding) -> BenchResult<Seeded> {
    let mut command = scimd(database_url);
    command
        .args(["dev", "seed", "--seed", "1", "--users"])
        .arg(seeding.users.to_string());
    if let Some(size) = seeding.large_group {
        command.arg("--large-group-size").arg(size.to_string());
    }
    if seeding.events > 0 {
        command.arg("--events").arg(seeding.events.to_string());
    }
    if seeding.directories > 0 {
        command
            .arg("--directories")
            .arg(seeding.directories.to_string());
    }
    // Progress lines go to the terminal: seeding a million users takes a while.
    command.stderr(Stdio::inherit());
    let out = output(command, "scimd dev seed")?;
    // One summary line per seeded directory: the totals are their sums.
    let mut total: Option<Seeded> = None;
    for line in out.lines().filter(|l| !l.trim().is_empty()) {
        let one = summary(line)?;
        total = Some(match total {
            None => one,
            Some(t) => Seeded {
                users: t.users + one.users,
                memberships: t.memberships + one.memberships,
                events: t.events + one.events,
                first_event: t.first_event,
                rows: t.rows + one.rows,
                seconds: t.seconds + one.seconds,
                rows_per_second: (t.rows + one.rows) as f64 / (t.seconds + one.seconds),
            },
        });
    }
    total.ok_or_else(|| "scimd dev seed printed no summary".into())
}

/// One `key=value` summary line of `scimd dev seed`.
fn summary(line: &str) -> BenchResult<Seeded> {
    let fields: HashMap<&str, &str> = line
        .split_whitespace()
        .filter_map(|pair| pair.split_once('='))
        .collect();
    let field = |name: &str| {
        fields
            .get(name)
            .copied()
            .ok_or_else(|| format!("no {name}= in the seed summary: {line}"))
    };
    Ok(Seeded {
        users: field("users")?.parse()?,
        memberships: field("memberships")?.parse()?,
        events: field("events")?.parse()?,
        first_event: field("first_event")?.parse()?,
        rows: field("rows")?.parse()?,
        seconds: field("seconds")?.parse()?,
        rows_per_second: field("rows_per_second")?.parse()?,
    })
}

/// `scimd token create`: a bearer token for the bench, for the SCIM API of `directory` or, with
/// `Token::Admin`, for the host application's API (`/api/v1`).
pub fn create_token(database_url: &str, token: Token, directory: &str) -> BenchResult<String> {
    let mut command = scimd(database_url);
    // Token names are unique per directory, and admin tokens live in `default`.
    match token {
        Token::Admin => command.args(["token", "create", "--name", "bench-admin", "--admin"]),
        Token::Scim => command.args([
            "token",
            "create",
            "--name",
            "bench",
            "--directory",
            directory,
        ]),
    };
    Ok(output(command, "scimd token create")?.trim().to_owned())
}

/// `scimd serve` on a free loopback port with its default settings, logging (at its default
/// level, one line per request) to `log`; returns once it is healthy.
pub fn serve(database_url: &str, log: &Path, http: &Http) -> BenchResult<Server> {
    let port = free_port()?;
    let mut command = scimd(database_url);
    command
        .args(["serve", "--listen"])
        .arg(format!("127.0.0.1:{port}"))
        // Plain text: the log is a file, read after a failed run.
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(File::create(log)?);
    let server = Server {
        process: Running::spawn(command, "scimd serve")?,
        origin: format!("http://127.0.0.1:{port}"),
    };
    server.wait_healthy(http)?;
    Ok(server)
}

impl Server {
    /// Waits for `GET /readyz`: the server answers and so does its database.
    pub fn wait_healthy(&self, http: &Http) -> BenchResult<()> {
        http.wait_healthy(&format!("{}/readyz", self.origin))
    }
}

/// `scimd --version`, e.g. `scimd 0.1.0`.
pub fn version() -> BenchResult<String> {
    let mut command = Command::new(env!("CARGO_BIN_EXE_scimd"));
    command.arg("--version");
    Ok(output(command, "scimd --version")?.trim().to_owned())
}
