//! The steps a person takes in a test's [`Browser`]: opening pages, finding what they show,
//! typing, clicking and pressing keys (waiting for the next page where one loads), a phone-size
//! window, dialogs, the clipboard and the session's cookies, and screenshots.

use fantoccini::Locator;
use fantoccini::elements::Element;
use fantoccini::key::Key;
use fantoccini::wd::WebDriverCompatibleCommand;
use poem::http::Method;
use serde_json::{Value, json};

use super::session::{Browser, POLL, STEP_LIMIT, screenshot_dir, write_png};

impl Browser {
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

    /// Clicks the element `css` selects, on the page (see [`Browser::click_and_load`] for a
    /// click that loads another page).
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
