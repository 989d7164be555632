//! The frame of every page: head, the main navigation with the sign-out form, a directory's own
//! navigation, and the error page. Every value is interpolated by maud, which escapes it.

use chrono::{DateTime, Utc};
use maud::{DOCTYPE, Markup, html};
use poem::http::StatusCode;
use poem::web::Html;
use poem::{IntoResponse, Response};

use super::csrf;
use super::session::SignedIn;

/// The directory pages' tabs, as `(path under the directory, label)`.
const DIRECTORY_TABS: [(&str, &str); 4] = [
    ("users", "Users"),
    ("groups", "Groups"),
    ("tokens", "Tokens"),
    ("connect", "Connect"),
];

/// Where a page sits, for its navigation.
pub struct Frame<'a> {
    pub title: &'a str,
    pub signed_in: Option<&'a SignedIn>,
    /// The directory the page is about, and its tab (e.g. `users`).
    pub directory: Option<(&'a str, &'a str)>,
}

impl<'a> Frame<'a> {
    /// A page of the signed-in console.
    pub fn new(title: &'a str, signed_in: &'a SignedIn) -> Self {
        Self {
            title,
            signed_in: Some(signed_in),
            directory: None,
        }
    }

    /// A page about `directory`, under its tab `tab`.
    pub fn in_directory(mut self, directory: &'a str, tab: &'a str) -> Self {
        self.directory = Some((directory, tab));
        self
    }
}

/// A whole page around `body`.
pub fn page(frame: &Frame<'_>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="robots" content="noindex";
                title { (frame.title) " · scimd" }
                link rel="stylesheet" href="/admin/assets/console.css";
                script src="/admin/assets/console.js" defer {}
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    a.brand href="/admin/directories" { "scimd" }
                    @if let Some(signed_in) = frame.signed_in {
                        nav aria-label="Main" {
                            a href="/admin/directories" { "Directories" }
                            a href="/admin/webhooks" { "Webhooks" }
                            a href="/admin/events" { "Events" }
                        }
                        form.sign-out method="post" action="/admin/sign-out" {
                            (csrf::field(&signed_in.session.csrf))
                            span.who {
                                "Signed in as " (actor_name(signed_in))
                                span.optional { " until " (time(signed_in.session.expires)) }
                            }
                            button #sign-out type="submit" { "Sign out" }
                        }
                    }
                }
                @if let Some((directory, tab)) = frame.directory {
                    nav.directory aria-label="Directory" {
                        span.directory-id { "Directory " strong { (directory) } }
                        @for (path, label) in DIRECTORY_TABS {
                            a href={ "/admin/directories/" (directory) "/" (path) }
                              aria-current=[(path == tab).then_some("page")] { (label) }
                        }
                        a href={ "/admin/events?directory=" (directory) }
                          aria-current=[("events" == tab).then_some("page")] { "Events" }
                    }
                }
                main #main tabindex="-1" {
                    h1 { (frame.title) }
                    (body)
                }
            }
        }
    }
}

/// The page as a `200` response.
pub fn ok(frame: &Frame<'_>, body: Markup) -> Response {
    Html(page(frame, body).into_string()).into_response()
}

/// An error page with `status` and `message`, for anyone (no session needed).
pub fn error_page(status: StatusCode, message: &str) -> Response {
    let title = status.canonical_reason().unwrap_or("Error");
    let frame = Frame {
        title,
        signed_in: None,
        directory: None,
    };
    let body = html! {
        p role="alert" { (message) }
        p { a href="/admin/directories" { "Back to the console" } }
    };
    let mut response = Html(page(&frame, body).into_string()).into_response();
    response.set_status(status);
    response
}

/// A time as pages show it: `2026-12-05 16:51 UTC`, in a `<time>` element.
pub fn time(at: DateTime<Utc>) -> Markup {
    html! {
        time datetime=(at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)) {
            (at.format("%Y-%m-%d %H:%M UTC"))
        }
    }
}

/// A time that may be missing, `never` then.
pub fn time_or(at: Option<DateTime<Utc>>, missing: &str) -> Markup {
    match at {
        Some(at) => time(at),
        None => html! { span.muted { (missing) } },
    }
}

/// A value with a button that copies it (the button shows only with JavaScript).
pub fn copyable(id: &str, value: &str) -> Markup {
    html! {
        span.copyable {
            code id=(id) { (value) }
            " "
            button.copy type="button" data-copy={ "#" (id) } hidden { "Copy" }
        }
    }
}

/// The name of the admin token a session acts as.
fn actor_name(signed_in: &SignedIn) -> String {
    match &signed_in.session.actor {
        crate::service::Actor::Token { name, .. } => name.clone(),
        other => other.to_json().to_string(),
    }
}
