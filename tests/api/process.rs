//! `scimd serve` as a process of its own, for what only a process shows: its exit on SIGTERM,
//! a `kill -9`, what it prints, the files it creates, its file-descriptor limit.

use std::fs::File;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

use reqwest::StatusCode;

/// How long a started server may take to answer `/healthz` (it migrates first).
const STARTUP: Duration = Duration::from_secs(30);

/// A `scimd serve` to start: `scimd serve --listen 127.0.0.1:<free port>` on a database,
/// logging at `warn` unless told otherwise, in a temporary directory of its own where stdout
/// and stderr are kept.
pub struct Serve {
    args: Vec<String>,
    env: Vec<(String, String)>,
    dir: Option<PathBuf>,
    open_files: Option<u32>,
    addr: String,
}

/// A running `scimd serve`, killed when dropped.
pub struct ServerProcess {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub origin: String,
    stdout: PathBuf,
    stderr: PathBuf,
    /// Holds stdout and stderr, and is the working directory unless one was given.
    own_dir: PathBuf,
}

/// A loopback port nothing listens on right now (the server binds it itself).
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
}

impl Serve {
    /// `scimd serve` on `database_url`.
    pub fn new(database_url: &str) -> Self {
        let addr = format!("127.0.0.1:{}", free_port());
        Self {
            args: vec!["serve".into(), "--listen".into(), addr.clone()],
            env: vec![
                ("SCIMD_DATABASE_URL".into(), database_url.into()),
                ("RUST_LOG".into(), "warn".into()),
            ],
            dir: None,
            open_files: None,
            addr,
        }
    }

    /// Adds command-line arguments (after `serve --listen …`).
    pub fn args(mut self, args: &[&str]) -> Self {
        self.args.extend(args.iter().map(|a| a.to_string()));
        self
    }

    /// Sets an environment variable (`RUST_LOG=info`, say).
    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.into(), value.into()));
        self
    }

    /// Runs in `dir` (where a relative SQLite path and the initial token file land) instead
    /// of a new temporary directory of its own.
    pub fn current_dir(mut self, dir: PathBuf) -> Self {
        self.dir = Some(dir);
        self
    }

    /// Runs under `ulimit -n files`.
    pub fn open_files_limit(mut self, files: u32) -> Self {
        self.open_files = Some(files);
        self
    }

    /// Starts the process and waits until `/healthz` answers.
    pub async fn start(self) -> ServerProcess {
        let mut server = self.spawn();
        server.wait_until_up().await;
        server
    }

    /// Starts the process without waiting.
    pub fn spawn(self) -> ServerProcess {
        let scimd = env!("CARGO_BIN_EXE_scimd");
        let mut command = match self.open_files {
            Some(n) => {
                let mut sh = Command::new("sh");
                sh.arg("-c")
                    .arg(format!("ulimit -n {n} && exec \"$0\" \"$@\""))
                    .arg(scimd);
                sh
            }
            None => Command::new(scimd),
        };
        command.args(&self.args).env_remove("SCIMD_JWT_SECRET");
        for (name, value) in &self.env {
            command.env(name, value);
        }
        // Never the checkout: a first serve writes its initial token to the working directory.
        let own_dir =
            std::env::temp_dir().join(format!("scimd-serve-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir(&own_dir).expect("create the server's directory");
        command.current_dir(self.dir.as_ref().unwrap_or(&own_dir));
        let (stdout, stderr) = (own_dir.join("stdout"), own_dir.join("stderr"));
        let child = command
            .stdin(Stdio::null())
            .stdout(File::create(&stdout).expect("stdout file"))
            .stderr(File::create(&stderr).expect("stderr file"))
            .spawn()
            .expect("spawn scimd serve");
        ServerProcess {
            child,
            origin: format!("http://{}", self.addr),
            stdout,
            stderr,
            own_dir,
        }
    }
}

impl ServerProcess {
    /// Waits until `/healthz` answers `200`; fails with the log if the process exits first.
    pub async fn wait_until_up(&mut self) {
        let client = reqwest::Client::new();
        let deadline = tokio::time::Instant::now() + STARTUP;
        loop {
            let up = client.get(format!("{}/healthz", self.origin)).send().await;
            if up.is_ok_and(|r| r.status() == StatusCode::OK) {
                return;
            }
            let exited = self.child.try_wait().expect("child status");
            if exited.is_some() || tokio::time::Instant::now() > deadline {
                panic!(
                    "scimd serve at {} did not come up ({exited:?}): {}",
                    self.origin,
                    self.log()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What the process wrote to stderr so far (its log).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// What the process wrote to stdout so far.
    pub fn stdout(&self) -> String {
        std::fs::read_to_string(&self.stdout).unwrap_or_default()
    }

    /// Sends SIGKILL (`kill -9`) and waits for the process to end.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM {}", self.pid());
    }

    /// Waits up to `limit` for the process to exit and returns its status.
    pub async fn wait_for_exit(&mut self, limit: Duration) -> ExitStatus {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("child status") {
                return status;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "scimd did not exit within {limit:?}: {}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// CPU time the process has used so far (user + system), from `/proc/PID/stat`.
    pub fn cpu_time(&self) -> Duration {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid()))
            .expect("read /proc/PID/stat");
        // Fields after the command name (which may contain spaces) start at field 3, state.
        let fields: Vec<&str> = stat
            .rsplit_once(") ")
            .expect("stat format")
            .1
            .split(' ')
            .collect();
        let ticks: u64 =
            fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime");
        Duration::from_secs_f64(ticks as f64 / clock_ticks_per_second())
    }
}

/// `getconf CLK_TCK`: the unit of the CPU times in `/proc` (100 on Linux).
fn clock_ticks_per_second() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.own_dir);
    }
}
