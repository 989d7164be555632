//! One browser per test: a WebDriver session of its own (a fresh Chromium profile, so no
//! cookie is shared between tests) on the shared chromedriver, closed when the test ends, and
//! where screenshots go, including the one a failing test leaves behind. The steps a test takes
//! in it are in `steps.rs`.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use fantoccini::wd::Capabilities;
use fantoccini::{Client, ClientBuilder};
use futures::FutureExt;
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

use super::driver::{self, CHROMIUM, Chromedriver};

/// How long one browser test may take before it fails (with its screenshot).
const TEST_LIMIT: Duration = Duration::from_secs(180);
/// How long a step waits for an element of the next page.
pub const STEP_LIMIT: Duration = Duration::from_secs(15);
/// How often a waiting step looks again.
pub const POLL: Duration = Duration::from_millis(50);

/// The window of a laptop; [`Browser::phone`] narrows it to a phone's.
const WINDOW: (u32, u32) = (1280, 900);

/// A test's browser: its WebDriver session and the server's origin. Cheap to clone (the
/// session is shared): the test's body gets a clone, [`run`] keeps one to close it.
#[derive(Clone)]
pub struct Browser {
    pub client: Client,
    /// The server's origin, `http://127.0.0.1:{port}`.
    pub origin: String,
    /// The test's name, for messages.
    pub test: &'static str,
    _driver: Arc<Chromedriver>,
}

/// Runs the browser test `test` against the server at `origin`: skips it (or fails it under
/// CI) without Chromium, opens a browser, runs `body`, and closes the browser. A body that
/// panics or takes longer than [`TEST_LIMIT`] leaves `FAILED-{test}.png` of the page it was on.
pub async fn run<F, Fut>(test: &'static str, origin: String, body: F)
where
    F: FnOnce(Browser) -> Fut,
    Fut: Future<Output = ()>,
{
    if !driver::available(test) {
        return;
    }
    let failed_shot = screenshot_dir().join(format!("FAILED-{test}.png"));
    let _ = std::fs::remove_file(&failed_shot);
    let browser = Browser::open(test, &origin).await;
    let outcome = AssertUnwindSafe(tokio::time::timeout(TEST_LIMIT, body(browser.clone())))
        .catch_unwind()
        .await;
    // A browser that stopped answering must not hold the test up any longer.
    if !matches!(outcome, Ok(Ok(()))) {
        match tokio::time::timeout(STEP_LIMIT, browser.client.screenshot()).await {
            Ok(Ok(png)) => {
                write_png(&failed_shot, &png);
                eprintln!("{test} failed; its page: {}", failed_shot.display());
            }
            Ok(Err(e)) => eprintln!("{test} failed, and no screenshot could be taken: {e}"),
            Err(_) => eprintln!("{test} failed, and the browser took no screenshot in time"),
        }
    }
    let _ = tokio::time::timeout(STEP_LIMIT, browser.client.clone().close()).await;
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(_)) => panic!("{test} took longer than {TEST_LIMIT:?}"),
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

/// Where screenshots go: `browser-screenshots/{sqlite|postgres}/` in the target directory
/// (`CARGO_TARGET_DIR`, else the one holding this test binary, `target/debug/deps/api-…`).
pub fn screenshot_dir() -> PathBuf {
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(dir),
        None => std::env::current_exe()
            .expect("the test binary's path")
            .ancestors()
            .nth(3)
            .expect("the test binary lies in target/{profile}/deps")
            .to_path_buf(),
    };
    let backend = if std::env::var_os("TEST_DATABASE_URL").is_some() {
        "postgres"
    } else {
        "sqlite"
    };
    target.join("browser-screenshots").join(backend)
}

pub fn write_png(path: &std::path::Path, png: &[u8]) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).expect("create the screenshot directory");
    }
    std::fs::write(path, png).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

/// What chromedriver starts: Debian's Chromium, headless, at a laptop's window size. An alert
/// stays open (`unhandledPromptBehavior: ignore`) so that a test can see it.
fn capabilities() -> Capabilities {
    let (width, height) = WINDOW;
    let caps = json!({
        "browserName": "chrome",
        "unhandledPromptBehavior": "ignore",
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": [
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                format!("--window-size={width},{height}"),
            ],
        },
    });
    match caps {
        Value::Object(map) => map,
        _ => unreachable!("a JSON object"),
    }
}

impl Browser {
    async fn open(test: &'static str, origin: &str) -> Browser {
        let driver = driver::chromedriver();
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities())
            .connect(&driver.url)
            .await
            .unwrap_or_else(|e| panic!("{test}: open a Chromium session: {e}"));
        Browser {
            client,
            origin: origin.to_owned(),
            test,
            _driver: driver,
        }
    }
}
