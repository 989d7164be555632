//! One browser per test: a WebDriver session of its own (a fresh Chromium profile, so no
//! cookie is shared between tests) on the shared chromedriver, the steps a person takes, and the
//! screenshots, including the one a failing test leaves behind.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::key::Key;
use fantoccini::wd::{Capabilities, WebDriverCompatibleCommand};
use fantoccini::{Client, ClientBuilder, Locator};
use futures::FutureExt;
use hyper_util::client::legacy::connect::HttpConnector;
use poem::http::Method;
use serde_json::{Value, json};

use super::driver::{self, CHROMIUM, Chromedriver};

/// How long one browser test may take before it fails (with its screenshot).
const TEST_LIMIT: Duration = Duration::from_secs(180);
/// How long a step waits for an element of the next page.
const STEP_LIMIT: Duration = Duration::from_secs(15);
/// How often a waiting step looks again.
const POLL: Duration = Duration::from_millis(50);

/// The window of a laptop; [`Browser::phone`] narrows it to a phone's.
const WINDOW: (u32, u32) = (1280, 900);

/// A test's browser: its WebDriver session and the server's origin. Cheap to clone (the
/// session is shared): the test's body gets a clone, [`run`] keeps one to close it.
#[derive(Clone)]
pub struct Browser {
    pub client: Client,
    /// The server's origin, `http://127.0.0.1:{port}`.
    pub origin: String,
    test: &'static str,
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
    if !matches!(outcome, Ok(Ok(()))) {
        match browser.client.screenshot().await {
            Ok(png) => {
                write_png(&failed_shot, &png);
                eprintln!("{test} failed; its page: {}", failed_shot.display());
            }
            Err(e) => eprintln!("{test} failed, and no screenshot could be taken: {e}"),
        }
    }
    let _ = browser.client.clone().close().await;
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

fn write_png(path: &std::path::Path, png: &[u8]) {
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

    /// Opens `path` (from the server's root, e.g. `/admin/sign-in`).
    pub async fn goto(&self, path: &str) {
        let url = format!("{}{path}", self.origin);
        self.client
            .goto(&url)
            .await
            .unwrap_or_else(|e| panic!("open {url}: {e}"));
    }

    /// The path (and query) of the page the browser shows.
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("current URL");
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// The element `css` selects, waiting up to [`STEP_LIMIT`] for the page to show it.
    pub async fn find(&self, css: &str) -> Element {
        match self
            .client
            .wait()
            .at_most(STEP_LIMIT)
            .every(POLL)
            .for_element(Locator::Css(css))
            .await
        {
            Ok(element) => element,
            Err(e) => panic!("no `{css}` on {}: {e}", self.path().await),
        }
    }

    /// Every element `css` selects on the page as it is now.
    pub async fn find_all(&self, css: &str) -> Vec<Element> {
        self.client
            .find_all(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("find `{css}`: {e}"))
    }

    /// The visible text of the element `css` selects.
    pub async fn text(&self, css: &str) -> String {
        let element = self.find(css).await;
        element
            .text()
            .await
            .unwrap_or_else(|e| panic!("text of `{css}`: {e}"))
    }

    /// Waits until the element `css` selects shows `expected` (a script changes it), and
    /// fails with the text it showed last when it does not within [`STEP_LIMIT`].
    pub async fn wait_for_text(&self, css: &str, expected: &str) {
        let deadline = tokio::time::Instant::now() + STEP_LIMIT;
        loop {
            let shown = self.text(css).await;
            if shown == expected {
                return;
            }
            if tokio::time::Instant::now() > deadline {
                panic!("`{css}` shows {shown:?}, not {expected:?}");
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// The visible text of the whole page.
    pub async fn page_text(&self) -> String {
        self.text("body").await
    }

    /// Types `value` into the field `css` selects, replacing what it held.
    pub async fn fill(&self, css: &str, value: &str) {
        let field = self.find(css).await;
        field.clear().await.expect("clear the field");
        field
            .send_keys(value)
            .await
            .unwrap_or_else(|e| panic!("type into `{css}`: {e}"));
    }

    /// Clicks the element `css` selects (a click that submits a form waits for the next page).
    pub async fn click(&self, css: &str) {
        let element = self.find(css).await;
        element
            .click()
            .await
            .unwrap_or_else(|e| panic!("click `{css}`: {e}"));
    }

    /// Clicks the link or submit button `css` selects and waits until the next page has
    /// loaded (see [`Browser::until_next_page`]).
    pub async fn click_and_load(&self, css: &str) {
        self.mark_page().await;
        self.click(css).await;
        self.until_next_page(&format!("clicking `{css}`")).await;
    }

    /// Presses Enter in the field `css` selects, as a person submits a form from the
    /// keyboard, and waits until the next page has loaded.
    pub async fn press_enter_in(&self, css: &str) {
        self.mark_page().await;
        let field = self.find(css).await;
        field
            .send_keys(&char::from(Key::Enter).to_string())
            .await
            .unwrap_or_else(|e| panic!("press Enter in `{css}`: {e}"));
        self.until_next_page(&format!("Enter in `{css}`")).await;
    }

    /// Presses Tab in the field `css` selects, moving the focus on as the keyboard does.
    pub async fn press_tab_in(&self, css: &str) {
        let field = self.find(css).await;
        field
            .send_keys(&char::from(Key::Tab).to_string())
            .await
            .unwrap_or_else(|e| panic!("press Tab in `{css}`: {e}"));
    }

    /// The id of the element that has the focus, and its computed `outline-style`.
    pub async fn focused_outline(&self) -> (String, String) {
        let script = "const e = document.activeElement;
                      return [e.id, getComputedStyle(e).outlineStyle];";
        let answer = self.client.execute(script, vec![]).await;
        match answer.expect("the focused element") {
            Value::Array(pair) => match &pair[..] {
                [Value::String(id), Value::String(style)] => (id.clone(), style.clone()),
                other => panic!("focused element: {other:?}"),
            },
            other => panic!("focused element: {other}"),
        }
    }

    async fn mark_page(&self) {
        self.client
            .execute("window.scimdTestOldPage = true;", vec![])
            .await
            .expect("mark the page");
    }

    /// Waits until the page marked before `what` is gone and the new one is complete, also
    /// when the next page has the same URL.
    async fn until_next_page(&self, what: &str) {
        let script = "return window.scimdTestOldPage === undefined \
                      && document.readyState === 'complete';";
        let deadline = tokio::time::Instant::now() + STEP_LIMIT;
        loop {
            // A script run while the page changes may fail: that is no answer yet.
            if let Ok(Value::Bool(true)) = self.client.execute(script, vec![]).await {
                return;
            }
            if tokio::time::Instant::now() > deadline {
                panic!("{what} loaded no new page (on {})", self.path().await);
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// The texts of every element `css` selects, in page order.
    pub async fn texts(&self, css: &str) -> Vec<String> {
        let mut texts = Vec::new();
        for element in self.find_all(css).await {
            texts.push(element.text().await.expect("text"));
        }
        texts
    }

    /// Writes a screenshot of the page as `{name}.png`, for a person to look at.
    pub async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("screenshot");
        write_png(&screenshot_dir().join(format!("{name}.png")), &png);
    }

    /// Narrows the window to a phone's (390×844 CSS pixels).
    pub async fn phone(&self) {
        self.client
            .set_window_size(390, 844)
            .await
            .expect("phone-size window");
    }

    /// Whether the page is wider than the window (a phone then scrolls sideways).
    pub async fn overflows_sideways(&self) -> bool {
        let wider = self
            .client
            .execute(
                "return document.documentElement.scrollWidth > window.innerWidth;",
                vec![],
            )
            .await
            .expect("measure the page");
        wider == json!(true)
    }

    /// The text of an open alert, prompt or confirm dialog, if one is open.
    pub async fn open_dialog(&self) -> Option<String> {
        match self.client.get_alert_text().await {
            Ok(text) => Some(text),
            Err(e) if e.is_no_such_alert() => None,
            Err(e) => panic!("{}: ask for an open dialog: {e}", self.test),
        }
    }

    /// Lets the page read and write the clipboard without asking (WebDriver's "Set
    /// Permission"), as a person who allowed it would.
    pub async fn allow_clipboard(&self) {
        for name in ["clipboard-read", "clipboard-write"] {
            self.client
                .issue_cmd(Grant(name))
                .await
                .unwrap_or_else(|e| panic!("grant {name}: {e}"));
        }
    }

    /// What the clipboard holds (after [`Browser::allow_clipboard`]).
    pub async fn clipboard(&self) -> String {
        let read = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 navigator.clipboard.readText().then(done, e => done({error: String(e)}));",
                vec![],
            )
            .await
            .expect("read the clipboard");
        match read {
            Value::String(text) => text,
            other => panic!("the clipboard cannot be read: {other}"),
        }
    }

    /// The browser's cookies for the server, as a `Cookie` request header: a request made
    /// with it is one of this signed-in browser's.
    pub async fn cookie_header(&self) -> String {
        let cookies = self.client.get_all_cookies().await.expect("cookies");
        cookies
            .iter()
            .map(|c| format!("{}={}", c.name(), c.value()))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// WebDriver's "Set Permission" command, which fantoccini does not offer.
#[derive(Debug)]
struct Grant(&'static str);

impl WebDriverCompatibleCommand for Grant {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!(
            "session/{}/permissions",
            session.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (Method, Option<String>) {
        let body = json!({"descriptor": {"name": self.0}, "state": "granted"});
        (Method::POST, Some(body.to_string()))
    }
}
