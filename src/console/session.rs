//! The session cookie: reading it from a request, the `Set-Cookie` that opens or ends it, and
//! [`SignedIn`], what a signed-in request knows (its session, request id, and the context it
//! acts in). A request without a valid session is sent to the sign-in page.

use std::sync::Arc;

use poem::Request;
use poem::http::header;

use super::{Console, ConsoleError};
use crate::http::request_id::RequestId;
use crate::service::Context;
use crate::service::sessions::Session;

/// The cookie holding the session id.
pub const SESSION_COOKIE: &str = "scimd_session";

/// A request made in a valid session.
pub struct SignedIn {
    pub console: Arc<Console>,
    pub session: Session,
    /// The session id the cookie carries (for signing out).
    pub id: String,
    pub request_id: String,
}

impl SignedIn {
    /// The session of `req`, or [`ConsoleError::SignInRequired`].
    pub async fn require(req: &Request) -> Result<Self, ConsoleError> {
        let console = console(req)?;
        let id = cookie(req, SESSION_COOKIE).ok_or(ConsoleError::SignInRequired)?;
        let session = console
            .service
            .session(&id)
            .await?
            .ok_or(ConsoleError::SignInRequired)?;
        Ok(Self {
            console,
            session,
            id,
            request_id: request_id(req),
        })
    }

    /// The context of a call in `directory`, acting as the session's admin token; `NotFound`
    /// for a directory that does not exist.
    pub async fn enter(&self, directory: &str) -> Result<Context, ConsoleError> {
        let ctx = self.session.context(directory, &self.request_id);
        Ok(self.console.service.enter(&ctx, directory).await?)
    }

    /// The context of a call about no directory in particular (webhooks, the whole feed).
    pub fn global(&self) -> Context {
        self.session
            .context(crate::store::DEFAULT_TENANT, &self.request_id)
    }

    /// The service.
    pub fn service(&self) -> &crate::service::Service {
        &self.console.service
    }
}

/// The console's state.
pub fn console(req: &Request) -> Result<Arc<Console>, ConsoleError> {
    req.data::<Arc<Console>>()
        .cloned()
        .ok_or_else(|| ConsoleError::Internal("console state missing".into()))
}

/// The request's id (see `http::request_id`).
pub fn request_id(req: &Request) -> String {
    req.extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default()
}

/// The value of the cookie `name`, if the request carries it.
pub fn cookie(req: &Request, name: &str) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// The `Set-Cookie` value of a cookie `name` = `value` under `path`, kept for `max_age` (zero
/// removes it).
pub fn set_cookie(
    console: &Console,
    name: &str,
    value: &str,
    path: &str,
    max_age: chrono::Duration,
) -> String {
    let max_age = max_age.num_seconds().max(0);
    let secure = if console.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    format!("{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}")
}
