//! The admin console at `/admin`: server-rendered HTML pages over the service layer, for people.
//! It is an edge like `/api/v1`: every rule lives in `service`, which it calls; besides it, it
//! uses `http::request_id` (the request id its events carry), and `store`'s error and default
//! directory id as the other edges do. Pages work without JavaScript; the few lines of
//! `assets/console.js` only add copy buttons and select-all.
//!
//! Sign-in exchanges an admin token (checked as `/api/v1` checks it) for a session stored in the
//! database (`service::sessions`); the cookie carries a random id, `HttpOnly`,
//! `SameSite=Strict`, `Path=/admin`, `Secure` when the base URL is https. Every form that
//! changes something carries the session's CSRF value (`csrf.rs`); the sign-in form carries a
//! pre-session one (a cookie and a field that must match). Actions are recorded with the admin
//! token as actor. Errors become one HTML page each, in `error.rs`. Every response forbids
//! framing and caching (`protect`).
//!
//! Markup hooks the browser tests rely on (keep them stable; add new ones here):
//! - `/admin/sign-in`: `input#token[name=token]`, `button#sign-in`; a refusal is `p[role=alert]`
//!   with status 401; success is 303 to `/admin/directories`.
//! - every signed-in page: `<nav>`; sign-out form (POST `/admin/sign-out`) with `button#sign-out`;
//!   every form that changes something has `input[name=csrf]`; a failed action's message is
//!   `p[role=alert]`, a done one's `p[role=status]`.
//! - `/admin/directories`: `table#directories`, `tr[data-directory={id}]`; `a#new-directory` to
//!   `/admin/directories/new` (fields `id`, `name`, `button#create`); after creating: `#scim-url`,
//!   `#new-token`, each with `button.copy[data-copy="#…"]`.
//! - `/admin/directories/{d}/connect`: `#scim-url`, `#connection` (with `data-state` the
//!   connection state), the Okta and Entra steps (`section#guide-okta`, `section#guide-entra`),
//!   `#token-status`, `table#scim-requests`.
//! - `/admin/directories/{d}/users?state=&q=&sort=&order=&cursor=`: tabs
//!   `a[data-state=active|inactive|suspended|archived]` each with `span.count`; `input#q[name=q]`;
//!   `table#users`, `tr[data-user-id={id}]` with `input[type=checkbox][name=ids][value={id}]`;
//!   bulk buttons `button[name=action][value=…]`, those that apply to the tab (`suspend` on
//!   active and inactive, `unsuspend` on suspended, `restore` and `purge` on archived), leading
//!   to a confirmation page naming the count (`#confirmation`) with `button#confirm`, then a
//!   result page (`p[role=status]`, refusals in `#failures`); `a#export` (CSV of the current tab
//!   and search; not on the archived tab, which cannot be exported); `a#next-page`.
//! - `/admin/directories/{d}/users/{id}`: `#state`; suspend form (`reason`, `button#suspend`),
//!   `button#unsuspend`, `button#restore`, `button#purge` where they apply; `#groups`, `#roles`,
//!   `#events` (one `li` per event, its type in `.event-type`), `#history` (the state changes),
//!   `#attributes` (the SCIM representation).
//! - `/admin/directories/{d}/groups` (`table#groups`, `tr[data-group-id]`),
//!   `/admin/directories/{d}/groups/{id}` (`#members`, role form: `textarea#roles[name=roles]`,
//!   `button#save-roles`).
//! - `/admin/directories/{d}/tokens`: create form (`name`, `button#create-token`; the new token in
//!   `#new-token`); `table#tokens`, `tr[data-token-id={id}]` with `button[value=rotate]` and
//!   `button[value=revoke]` (rotating shows the new token in `#new-token`).
//! - `/admin/webhooks`: add form (`url`, `types`, `directory`, `button#add-webhook`; the secret in
//!   `#new-secret`); `tr[data-webhook-id]`; `/admin/webhooks/{id}` deliveries
//!   (`table#deliveries`), replay form (`after`, `button#replay`), `button#remove`.
//! - `/admin/events?directory=&type=&user=&before=`: `table#events`, one `tr.event` per event
//!   with its type in `.event-type`; `a#older` to the next page.

mod assets;
mod csrf;
mod error;
mod form;
mod layout;
mod pages;
mod session;

use std::sync::Arc;

use poem::http::{HeaderMap, HeaderValue, header};
use poem::{Endpoint, EndpointExt, IntoEndpoint, IntoResponse, Route, get, post};

use crate::service::Service;

pub use error::ConsoleError;

/// Where the console is mounted.
pub const CONSOLE_PATH: &str = "/admin";

/// What every console page needs.
pub struct Console {
    pub service: Service,
    /// Whether cookies are `Secure`: the public base URL is https.
    pub secure_cookies: bool,
}

impl Console {
    /// The console over `service`; cookies are `Secure` when its base URL is https.
    pub fn new(service: Service) -> Self {
        let secure_cookies = service.base_url.starts_with("https://");
        Self {
            service,
            secure_cookies,
        }
    }
}

/// The console's routes, to be nested at [`CONSOLE_PATH`]; every error, the router's included,
/// becomes an HTML page.
pub fn routes(console: Console) -> impl Endpoint + use<> {
    use pages::{directories, events, groups, sign_in, tokens, user, users, webhooks};
    Route::new()
        .at("/", get(directories::home))
        .at("/assets/:name", get(assets::serve))
        .at("/sign-in", get(sign_in::show).post(sign_in::submit))
        .at("/sign-out", post(sign_in::sign_out))
        .at(
            "/directories",
            get(directories::list).post(directories::create),
        )
        .at("/directories/new", get(directories::new_form))
        .at("/directories/:d/connect", get(directories::connect))
        .at("/directories/:d/users", get(users::list))
        .at("/directories/:d/users.csv", get(users::export))
        .at("/directories/:d/users/bulk", post(users::bulk))
        .at(
            "/directories/:d/users/bulk/confirm",
            post(users::bulk_confirm),
        )
        .at("/directories/:d/users/:id", get(user::page))
        .at("/directories/:d/users/:id/:action", post(user::act))
        .at("/directories/:d/groups", get(groups::list))
        .at("/directories/:d/groups/:id", get(groups::page))
        .at("/directories/:d/groups/:id/roles", post(groups::save_roles))
        .at(
            "/directories/:d/tokens",
            get(tokens::list).post(tokens::create),
        )
        .at("/directories/:d/tokens/:id", post(tokens::act))
        .at("/webhooks", get(webhooks::list).post(webhooks::add))
        .at("/webhooks/:id", get(webhooks::page))
        .at("/webhooks/:id/:action", post(webhooks::act))
        .at("/events", get(events::feed))
        .catch_all_error(|e| async move { error::render_poem_error(e) })
        .around(|ep, req| async move {
            let mut response = ep.call(req).await?.into_response();
            protect(response.headers_mut());
            Ok(response)
        })
        .data(Arc::new(console))
        .into_endpoint()
}

/// Headers of every console response: no framing by other sites (clickjacking of the action
/// buttons), scripts, styles and form targets from the console only, no caching of pages that
/// show personal data (or a token shown once), no referrer leaving the console.
fn protect(headers: &mut HeaderMap) {
    let set = |headers: &mut HeaderMap, name, value| {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    };
    set(
        headers,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; \
         object-src 'none'",
    );
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::REFERRER_POLICY, "same-origin");
    set(headers, header::CACHE_CONTROL, "no-store");
}
