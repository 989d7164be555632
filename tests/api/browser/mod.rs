//! The admin console as a person uses it: headless Chromium (Debian's `chromium`, driven by
//! its `chromedriver` over WebDriver through fantoccini) against a real `scimd serve`, on the
//! backend the suite runs on.
//!
//! `driver.rs` decides whether the tests can run (without Chromium they say they were skipped
//! and why, and under `CI=true` they fail instead) and shares one chromedriver among the tests
//! running at the same time; `session.rs` gives each test a browser of its own (a WebDriver
//! session with a fresh profile: no cookie leaks between tests) and writes screenshots under
//! `target/browser-screenshots/{sqlite|postgres}/`, `FAILED-{test}.png` for a test that failed;
//! `steps.rs` holds what a test does in its browser.
//! `harness.rs` checks the harness itself on a page that needs no console; `console.rs` holds
//! the steps many tests take (signing in, creating a directory, provisioning users).
//!
//! What a person does: sign in and out (`sign_in.rs`); create a directory, copy its token and
//! connect (`directories.rs`); find, suspend, archive, restore, bulk-suspend and export users,
//! on a laptop and a phone (`users.rs`); rotate a token (`tokens.rs`); see a user named like
//! a script as text (`escaping.rs`); give a group roles and see them reach its members
//! (`groups.rs`); add a webhook and check its signature with the secret shown once
//! (`webhooks.rs`).
//!
//! The tests share one server (`TestApp::shared`): each works in directories of its own.

mod console;
mod directories;
mod driver;
mod escaping;
mod groups;
mod harness;
mod session;
mod sign_in;
mod steps;
mod tokens;
mod users;
mod webhooks;

use std::sync::OnceLock;

use crate::helpers::TestApp;

static SERVER: OnceLock<TestApp> = OnceLock::new();

/// The server the browser tests share.
pub fn server() -> TestApp {
    TestApp::shared(&SERVER)
}
