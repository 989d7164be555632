//! Child processes (scimd, the FLOOR server) and what `/proc` says about them: CPU time and
//! peak memory.

use std::fs;
use std::net::TcpListener;
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
        let stat = fs::read_to_string(format!("/proc/{}/stat", self.child.id()))?;
        // Field 2, the command name, is parenthesised and may contain spaces: count from the
        // last `)`, after which field 3 comes first.
        let after_name = stat
            .rsplit_once(')')
            .ok_or("unexpected /proc/<pid>/stat")?
            .1;
        let fields: Vec<&str> = after_name.split_whitespace().collect();
        let ticks = |field: usize| -> BenchResult<u64> {
            Ok(fields
                .get(field - 3)
                .ok_or("short /proc/<pid>/stat")?
                .parse()?)
        };
        Ok((ticks(14)? + ticks(15)?) as f64 / clock_ticks_per_second())
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
