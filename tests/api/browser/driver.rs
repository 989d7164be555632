//! Debian's Chromium and chromedriver: whether the browser tests can run here (they skip on a
//! machine without them, and fail under CI), and one chromedriver process that the tests
//! running at the same time share, killed when the last of them lets go of it.

use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, Instant};

use crate::helpers::is_ci;

/// Debian's `chromium` package installs the browser here.
pub const CHROMIUM: &str = "/usr/bin/chromium";
/// Debian's `chromium-driver` package installs the WebDriver server here.
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// What a machine without them needs.
const INSTALL: &str = "apt-get install chromium chromium-driver";

/// Whether a browser test runs: `Ok(true)` when both programs are there, `Ok(false)` (skip) when
/// one is missing outside CI, and an error naming what is missing under CI, where a browser
/// test never passes without running.
pub fn decide(ci: Option<&str>, missing: &[&str]) -> Result<bool, String> {
    if missing.is_empty() {
        return Ok(true);
    }
    let what = format!("{} not found (`{INSTALL}`)", missing.join(" and "));
    if is_ci(ci) {
        Err(format!("CI is set and {what}"))
    } else {
        Ok(false)
    }
}

/// True when the browser test `test` can run. Otherwise it says on stderr that `test` was
/// skipped and why, and returns false (the caller returns); under CI it panics instead.
pub fn available(test: &str) -> bool {
    let missing: Vec<&str> = [CHROMIUM, CHROMEDRIVER]
        .into_iter()
        .filter(|p| !Path::new(p).exists())
        .collect();
    let ci = std::env::var("CI").ok();
    match decide(ci.as_deref(), &missing) {
        Ok(true) => true,
        Ok(false) => {
            // Straight to stderr, not through `eprintln!`, which the test harness captures
            // and hides for a test that passes: a skip must show in `cargo test`'s output. One
            // write, so the line is not torn by the harness's own output.
            let line = format!(
                "SKIPPED browser test {test}: {} not found; install with `{INSTALL}` \
                 (with CI=true this test fails instead)\n",
                missing.join(" and ")
            );
            let _ = std::io::stderr().write_all(line.as_bytes());
            false
        }
        Err(e) => panic!("browser test {test}: {e}"),
    }
}

#[test]
fn a_browser_test_skips_without_chromium_but_fails_in_ci() {
    // (CI, the programs missing, the decision, why)
    type Case = (
        Option<&'static str>,
        &'static [&'static str],
        Result<bool, ()>,
        &'static str,
    );
    let cases: [Case; 5] = [
        (None, &[], Ok(true), "both programs there: it runs"),
        (Some("true"), &[], Ok(true), "and under CI too"),
        (
            None,
            &[CHROMIUM],
            Ok(false),
            "no browser on a laptop: it skips",
        ),
        (
            Some("false"),
            &[CHROMEDRIVER],
            Ok(false),
            "CI=false is not CI",
        ),
        (Some("true"), &[CHROMEDRIVER], Err(()), "CI never skips"),
    ];
    for (ci, missing, expected, reason) in cases {
        assert_eq!(decide(ci, missing).map_err(|_| ()), expected, "{reason}");
    }
    let message = decide(Some("1"), &[CHROMIUM, CHROMEDRIVER]).unwrap_err();
    assert!(message.contains(INSTALL), "says how to install: {message}");
}

/// A running chromedriver on a loopback port.
pub struct Chromedriver {
    child: Child,
    /// Its WebDriver URL, `http://127.0.0.1:{port}`.
    pub url: String,
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        // The browsers it started end with their sessions, closed by each test before this.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The chromedriver in use, if any test still holds it. A `static` is never dropped, so holding
/// it weakly is what lets the last test's drop stop the process instead of leaving it running
/// after the test binary exits.
static RUNNING: Mutex<Weak<Chromedriver>> = Mutex::new(Weak::new());

/// The chromedriver the tests running now share, started when none is running.
pub fn chromedriver() -> Arc<Chromedriver> {
    let mut running = RUNNING.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(driver) = running.upgrade() {
        return driver;
    }
    let driver = Arc::new(start());
    *running = Arc::downgrade(&driver);
    driver
}

/// Starts chromedriver on a free port and waits until it listens. A port taken between the
/// probe and chromedriver's bind makes it exit: then it tries another port.
fn start() -> Chromedriver {
    for _ in 0..3 {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free loopback port")
            .port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start {CHROMEDRIVER}: {e}"));
        let mut driver = Chromedriver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return driver;
            }
            if driver.child.try_wait().ok().flatten().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    panic!("{CHROMEDRIVER} did not start listening on a loopback port")
}
