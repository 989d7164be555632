//! Child processes (scimd, the FLOOR server) and what `/proc` says about them: CPU time and
//! peak memory.

use std::collections::HashMap;
use std::fs;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command};
use std::sync::OnceLock;

use crate::BenchResult;

/// A running child, killed and reaped when dropped, on every exit path of the bench.
pub struct Running {
    child: Child,
    what: String,
}

impl Running {
    /// Starts `command`, named `what` in messages.
    pub fn spawn(mut command: Command, what: &str) -> BenchResult<Self> {
        let child = command
            .spawn()
            .map_err(|e| format!("cannot start {what}: {e}"))?;
        Ok(Self {
            child,
            what: what.to_owned(),
        })
    }

    /// Fails if the child has already exited (a server that died during a run).
    pub fn check_alive(&mut self) -> BenchResult<()> {
        match self.child.try_wait()? {
            None => Ok(()),
            Some(status) => Err(format!("{} exited unexpectedly: {status}", self.what).into()),
        }
    }

    /// CPU time (user + system) of all the child's threads so far, in seconds.
    ///
    /// `/proc/<pid>/schedstat` would be more precise (nanoseconds) but covers only the main
    /// thread, and summing `/proc/<pid>/task/*/schedstat` misses threads that have exited.
    /// `/proc/<pid>/stat` fields 14 and 15 (utime, stime) count every thread, living or dead,
    /// in clock ticks: 10 ms each at the usual 100 Hz, well below 1% of a multi-second run.
    pub fn cpu_seconds(&self) -> BenchResult<f64> {
        Ok(stat_cpu(Path::new(&format!("/proc/{}/stat", self.child.id())))?.1)
    }

    /// CPU time so far of the child (all its threads), of each of its threads by kind, and,
    /// with `postgres`, of this machine's PostgreSQL server processes: where a request's CPU
    /// goes (see [`CpuSample::since`]).
    pub fn cpu_sample(&self, postgres: bool) -> BenchResult<CpuSample> {
        let mut sample = CpuSample {
            total: self.cpu_seconds()?,
            by_task: HashMap::new(),
            postgres,
        };
        let tasks = format!("/proc/{}/task", self.child.id());
        for task in fs::read_dir(&tasks)? {
            let task = task?;
            // A thread may exit between the listing and the read.
            let Ok((name, seconds)) = stat_cpu(&task.path().join("stat")) else {
                continue;
            };
            let kind = match name.as_str() {
                // Thread names are cut to 15 bytes by the kernel.
                "tokio-rt-worker" => Kind::AsyncWorker,
                "sqlx-sqlite-wor" => Kind::SqliteThread,
                _ => continue,
            };
            if let Some(id) = task.file_name().to_str().and_then(|t| t.parse().ok()) {
                sample.by_task.insert((kind, id), seconds);
            }
        }
        let processes = if postgres {
            fs::read_dir("/proc")?.collect::<Result<Vec<_>, _>>()?
        } else {
            Vec::new()
        };
        for entry in processes {
            let Some(pid) = entry.file_name().to_str().and_then(|p| p.parse().ok()) else {
                continue;
            };
            if let Ok((name, seconds)) = stat_cpu(&entry.path().join("stat"))
                && name == "postgres"
            {
                sample.by_task.insert((Kind::PostgresServer, pid), seconds);
            }
        }
        Ok(sample)
    }

    /// Peak resident memory so far (`VmHWM`), in KiB.
    pub fn peak_rss_kib(&self) -> BenchResult<u64> {
        let status = fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        let line = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .ok_or("no VmHWM in /proc/<pid>/status")?;
        Ok(line.trim().trim_end_matches("kB").trim().parse()?)
    }

    /// Resets `VmHWM` to the current RSS (`/proc/<pid>/clear_refs`, Linux 4.0+), so that the
    /// next [`Running::peak_rss_kib`] is the peak of what ran in between.
    pub fn reset_peak_rss(&self) -> BenchResult<()> {
        fs::write(format!("/proc/{}/clear_refs", self.child.id()), "5")?;
        Ok(())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a thread or process does, for [`Running::cpu_sample`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    /// tokio's workers: HTTP, JSON, the service's own work.
    AsyncWorker,
    /// sqlx's SQLite connection threads (the readers, the writer, the checkpointer).
    SqliteThread,
    /// A process named `postgres` on this machine: the database server, when it runs here.
    PostgresServer,
}

/// CPU seconds so far: the child's total, and each thread or process by kind and id.
#[derive(Debug, Clone)]
pub struct CpuSample {
    total: f64,
    by_task: HashMap<(Kind, u32), f64>,
    /// Whether the PostgreSQL server's processes were sampled.
    postgres: bool,
}

/// CPU seconds spent between two samples, by kind. A thread or process that started in between
/// counts whole; one that exited is missing from its kind (the child's threads still count in
/// `total`).
#[derive(Debug, Clone, Copy, Default)]
pub struct CpuSpent {
    pub total: f64,
    pub async_workers: f64,
    pub sqlite_threads: f64,
    /// `None` when the PostgreSQL server was not sampled.
    pub postgres_server: Option<f64>,
}

impl CpuSample {
    /// What was spent since `before`.
    pub fn since(&self, before: &CpuSample) -> CpuSpent {
        let mut spent = CpuSpent {
            total: self.total - before.total,
            postgres_server: self.postgres.then_some(0.0),
            ..CpuSpent::default()
        };
        for (key, seconds) in &self.by_task {
            let delta = seconds - before.by_task.get(key).copied().unwrap_or(0.0);
            match key.0 {
                Kind::AsyncWorker => spent.async_workers += delta,
                Kind::SqliteThread => spent.sqlite_threads += delta,
                Kind::PostgresServer => {
                    *spent.postgres_server.get_or_insert(0.0) += delta;
                }
            }
        }
        spent
    }
}

/// The command name and CPU seconds (utime + stime) in a `/proc/…/stat` file.
fn stat_cpu(path: &Path) -> BenchResult<(String, f64)> {
    let stat = fs::read_to_string(path)?;
    // Field 2, the command name, is parenthesised and may contain spaces: count from the last
    // `)`, after which field 3 comes first.
    let (head, after_name) = stat.rsplit_once(')').ok_or("unexpected stat file")?;
    let name = head.split_once('(').ok_or("unexpected stat file")?.1;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |field: usize| -> BenchResult<u64> {
        Ok(fields.get(field - 3).ok_or("short stat file")?.parse()?)
    };
    let seconds = (ticks(14)? + ticks(15)?) as f64 / clock_ticks_per_second();
    Ok((name.to_owned(), seconds))
}

/// `sysconf(_SC_CLK_TCK)` through `getconf`, which saves a dependency on libc; 100 (the value
/// on every mainstream Linux architecture) if that fails.
pub fn clock_ticks_per_second() -> f64 {
    static TICKS: OnceLock<f64> = OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|out| String::from_utf8(out.stdout).ok())
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(100.0)
    })
}

/// A loopback port that was free a moment ago; the server binds it right after.
pub fn free_port() -> BenchResult<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}
