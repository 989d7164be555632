//! The admin console at `/admin` over plain HTTP, as a browser without JavaScript uses it:
//! sign-in and sessions (`sessions.rs`), CSRF on every form (`csrf.rs`), escaping of what users
//! and identity providers send (`escaping.rs`), and each page family (`directories.rs`, …).
//! (Real-browser tests live elsewhere; these check the server's side.)
//!
//! Most tests share one server (`TestApp::shared`) and work in directories of their own; tests
//! that revoke tokens or touch the database start their own.

mod csrf;
mod directories;
mod escaping;
mod pages;
mod sessions;
mod users;

use std::sync::OnceLock;

use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};

use crate::helpers::TestApp;

static SERVER: OnceLock<TestApp> = OnceLock::new();

/// The server the tests of this module share.
pub fn server() -> TestApp {
    TestApp::shared(&SERVER)
}

/// A page as received: status, `Location`, `Set-Cookie` values and body.
#[derive(Debug)]
pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub set_cookies: Vec<String>,
    pub body: String,
}

impl Page {
    async fn read(resp: reqwest::Response) -> Self {
        let header = |name| {
            resp.headers()
                .get_all(name)
                .iter()
                .map(|v| v.to_str().expect("header").to_owned())
                .collect::<Vec<_>>()
        };
        let location = header(LOCATION).into_iter().next();
        let set_cookies = header(SET_COOKIE);
        Page {
            status: resp.status(),
            location,
            set_cookies,
            body: resp.text().await.expect("body"),
        }
    }

    /// The `Set-Cookie` value for cookie `name`.
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.set_cookies
            .iter()
            .find(|c| c.starts_with(&format!("{name}=")))
            .map(String::as_str)
    }

    /// Whether this is the redirect to the sign-in page.
    pub fn is_sign_in_redirect(&self) -> bool {
        self.status == StatusCode::SEE_OTHER && self.location.as_deref() == Some("/admin/sign-in")
    }
}

/// The value of the first hidden `csrf` field of `html`.
pub fn csrf_field(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("a csrf field") + marker.len();
    html[start..].split('"').next().expect("value").to_owned()
}

/// The value of `name=value` in a `Set-Cookie` header.
pub fn cookie_value(set_cookie: &str) -> String {
    set_cookie
        .split(';')
        .next()
        .and_then(|p| p.split_once('='))
        .map(|(_, v)| v.to_owned())
        .expect("cookie value")
}

/// A browser without JavaScript: no automatic redirects, cookies sent by hand.
pub struct Browser {
    pub address: String,
    client: reqwest::Client,
    /// The session cookie's value, once signed in.
    pub session: Option<String>,
}

impl Browser {
    pub fn new(app: &TestApp) -> Self {
        Browser::at(&app.address)
    }

    /// A browser of the server at `address` (`http://host:port`).
    pub fn at(address: &str) -> Self {
        Browser {
            address: address.to_owned(),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            session: None,
        }
    }

    /// A browser signed in with `app`'s admin token.
    pub async fn signed_in(app: &TestApp) -> Self {
        let mut browser = Browser::new(app);
        let page = browser.sign_in(&app.admin_token().await).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
        browser
    }

    /// Opens the sign-in form and posts `token`; keeps the session cookie it gets.
    pub async fn sign_in(&mut self, token: &str) -> Page {
        let form = self.get("/admin/sign-in").await;
        assert_eq!(form.status, StatusCode::OK);
        let pre = cookie_value(form.cookie("scimd_sign_in").expect("sign-in cookie"));
        let csrf = csrf_field(&form.body);
        let page = self
            .send_form(
                "/admin/sign-in",
                &[("token", token), ("csrf", &csrf)],
                Some(&format!("scimd_sign_in={pre}")),
            )
            .await;
        if let Some(c) = page.cookie("scimd_session") {
            self.session = Some(cookie_value(c));
        }
        page
    }

    fn cookie_header(&self) -> Option<String> {
        self.session.as_ref().map(|s| format!("scimd_session={s}"))
    }

    /// `GET path` with the session cookie.
    pub async fn get(&self, path: &str) -> Page {
        let mut req = self.client.get(format!("{}{path}", self.address));
        if let Some(c) = self.cookie_header() {
            req = req.header(COOKIE, c);
        }
        Page::read(req.send().await.expect("request")).await
    }

    /// `GET path`, asserting `200`.
    pub async fn page(&self, path: &str) -> String {
        let page = self.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.body);
        page.body
    }

    /// Posts `fields` to `path` with the session cookie, as they are (no CSRF added).
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let cookie = self.cookie_header();
        self.send_form(path, fields, cookie.as_deref()).await
    }

    /// Posts `fields` and the CSRF value of the form page `from` to `path`.
    pub async fn post(&self, from: &str, path: &str, fields: &[(&str, &str)]) -> Page {
        let csrf = csrf_field(&self.page(from).await);
        let mut all = fields.to_vec();
        all.push(("csrf", &csrf));
        self.post_raw(path, &all).await
    }

    async fn send_form(&self, path: &str, fields: &[(&str, &str)], cookie: Option<&str>) -> Page {
        let mut body = form_urlencoded::Serializer::new(String::new());
        for (k, v) in fields {
            body.append_pair(k, v);
        }
        let mut req = self
            .client
            .post(format!("{}{path}", self.address))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body.finish());
        if let Some(c) = cookie {
            req = req.header(COOKIE, c);
        }
        Page::read(req.send().await.expect("request")).await
    }
}
