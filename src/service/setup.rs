//! A directory's setup view, for the IT admin who connects an identity provider: the SCIM base
//! URL, whether a token that works exists, the identity providers' steps with this directory's
//! URL filled in (`idp_guides`), and the last SCIM requests the directory received, which answer
//! "is my connection working?".

use chrono::{DateTime, Utc};

use super::idp_guides::{self, Guide};
use super::{Context, Service, ServiceError};
use crate::store::scim_requests::SeenRequest;

/// What the setup view shows about one directory.
#[derive(Debug, Clone)]
pub struct Setup {
    pub directory: String,
    pub scim_base_url: String,
    /// SCIM tokens that work now (active, or rotated and still in their grace period).
    pub working_tokens: usize,
    /// The last time any of the directory's tokens was used, to the minute.
    pub tokens_last_used: Option<DateTime<Utc>>,
    pub connection: Connection,
    pub guides: Vec<Guide>,
    /// The newest SCIM requests (at most 100), newest first.
    pub recent_requests: Vec<SeenRequest>,
}

/// Where the connection stands, judged from the tokens and the newest request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// `no_token`, `waiting`, `working`, `refused` or `failing`.
    pub state: &'static str,
    /// What it means and what to do, for people.
    pub message: String,
}

impl Service {
    /// The setup view of `ctx`'s directory.
    pub async fn setup(&self, ctx: &Context) -> Result<Setup, ServiceError> {
        let tokens = self.tokens(ctx).await?;
        let working: Vec<_> = tokens
            .iter()
            .filter(|t| matches!(t.state, "active" | "expiring"))
            .collect();
        let tokens_last_used = tokens.iter().filter_map(|t| t.last_used).max();
        let recent_requests = self.scim_requests(&ctx.directory).await?;
        let scim_base_url = self.scim_base(&ctx.directory);
        Ok(Setup {
            connection: connection(working.len(), recent_requests.first()),
            guides: idp_guides::guides(&scim_base_url, &ctx.directory),
            directory: ctx.directory.clone(),
            scim_base_url,
            working_tokens: working.len(),
            tokens_last_used,
            recent_requests,
        })
    }
}

/// Judges the connection from the number of working tokens and the newest request.
fn connection(working_tokens: usize, newest: Option<&SeenRequest>) -> Connection {
    let (state, message) = match newest {
        // Identity providers hold their token; a refusal is the likelier cause of trouble than
        // a missing token, so the newest request is judged first.
        Some(r) if r.status == 401 || r.status == 403 => (
            "refused",
            format!(
                "The last request ({} {}) was refused with {}: the identity provider's token is \
                 wrong, expired, revoked or of another directory. Create a token for this \
                 directory and paste it into the identity provider.",
                r.method, r.path, r.status
            ),
        ),
        _ if working_tokens == 0 => (
            "no_token",
            "This directory has no working SCIM token. Create one and paste it into the \
             identity provider."
                .to_owned(),
        ),
        None => (
            "waiting",
            "No SCIM request has reached this directory yet. Enter the URL and a token in the \
             identity provider and run its connection test."
                .to_owned(),
        ),
        Some(r) if r.status >= 500 => (
            "failing",
            format!(
                "The last request ({} {}) failed with {} on scimd's side; see the server's log.",
                r.method, r.path, r.status
            ),
        ),
        Some(r) => (
            "working",
            format!(
                "The identity provider reaches this directory: the last request ({} {}) was \
                 answered {}.",
                r.method, r.path, r.status
            ),
        ),
    };
    Connection { state, message }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(status: i64) -> SeenRequest {
        SeenRequest {
            tenant_id: "acme".into(),
            at: Utc::now(),
            method: "GET".into(),
            path: "/directories/acme/scim/v2/Users".into(),
            status,
            duration_ms: 3,
        }
    }

    #[test]
    fn the_connection_state_follows_tokens_and_the_newest_request() {
        let cases = [
            (0, None, "no_token", "nothing set up"),
            (1, None, "waiting", "a token, never called"),
            (1, Some(200), "working", "a successful request"),
            (
                1,
                Some(404),
                "working",
                "a 404 is an answer SCIM gives in normal use",
            ),
            (1, Some(409), "working", "so is a 409 (a user that exists)"),
            (1, Some(401), "refused", "a bad token"),
            (0, Some(401), "refused", "a revoked last token"),
            (1, Some(403), "refused", "an admin token on SCIM"),
            (0, Some(200), "no_token", "the token that worked is gone"),
            (1, Some(500), "failing", "a server error"),
        ];
        for (tokens, status, expected, reason) in cases {
            let newest = status.map(request);
            assert_eq!(
                connection(tokens, newest.as_ref()).state,
                expected,
                "{reason}"
            );
        }
    }
}
