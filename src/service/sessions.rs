//! Sign-in sessions of the admin console: an admin token, checked as `/api/v1` checks it, is
//! exchanged for a random session id (the browser's cookie) with its own CSRF secret. The
//! session acts as that token: its actions are recorded with the token as actor, and revoking
//! the token ends the session. Sessions are stored (only the SHA-256 of their id), so several
//! instances share them.

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};

use super::{Actor, Context, Service, ServiceError};
use crate::auth::{AuthError, Scope};
use crate::store::DEFAULT_TENANT;
use crate::store::console_sessions::{self, SessionRow};

/// How long a session lasts from sign-in, whatever its use: a working day and a half.
pub const SESSION_LIFETIME: Duration = Duration::hours(12);

/// A session just opened: the id goes into the cookie and is not kept anywhere else.
#[derive(Debug, Clone)]
pub struct OpenedSession {
    pub id: String,
}

/// A valid session.
#[derive(Debug, Clone)]
pub struct Session {
    /// The admin token it acts as.
    pub actor: Actor,
    /// The value every form of the session carries.
    pub csrf: String,
    pub expires: DateTime<Utc>,
}

impl Session {
    /// The context of a call made in this session, for `directory`.
    pub fn context(&self, directory: &str, request_id: &str) -> Context {
        Context::new(directory, self.actor.clone(), request_id)
    }
}

/// Why a sign-in was refused.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// The token is no admin token that works now; the message says why, for people.
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Failed(#[from] ServiceError),
}

impl Service {
    /// Checks `token` as an admin token and opens a session acting as it.
    pub async fn sign_in(&self, token: &str) -> Result<OpenedSession, SignInError> {
        let token = token.trim();
        if token.is_empty() {
            return Err(SignInError::Refused("Paste an admin token.".into()));
        }
        let principal = self
            .auth
            .verify(token, DEFAULT_TENANT, Scope::Admin)
            .await
            .map_err(|e| match e {
                AuthError::Store(s) => SignInError::Failed(s.into()),
                AuthError::Expired => SignInError::Refused("This token has expired.".into()),
                AuthError::Revoked => SignInError::Refused("This token has been revoked.".into()),
                AuthError::Invalid => SignInError::Refused(
                    "This is not a token this server issued, or it was altered.".into(),
                ),
            })?;
        if principal.scope != Scope::Admin {
            return Err(SignInError::Refused(
                "This is a SCIM token, for an identity provider. The console needs an admin \
                 token (scimd token create --admin --name NAME)."
                    .into(),
            ));
        }
        let id = random_hex();
        let created = crate::scim::resource::now();
        let expires = created + SESSION_LIFETIME;
        let row = SessionRow {
            id_hash: hash(&id),
            token_id: principal.token_id,
            token_name: principal.token_name,
            csrf: random_hex(),
            created,
            expires,
        };
        console_sessions::insert(&self.db, &row)
            .await
            .map_err(ServiceError::from)?;
        Ok(OpenedSession { id })
    }

    /// The session whose cookie carries `id`, if it is still valid.
    pub async fn session(&self, id: &str) -> Result<Option<Session>, ServiceError> {
        let row =
            console_sessions::find_valid(&self.db, &hash(id), crate::scim::resource::now()).await?;
        Ok(row.map(|r| Session {
            actor: Actor::Token {
                id: r.token_id,
                name: r.token_name,
            },
            csrf: r.csrf,
            expires: r.expires,
        }))
    }

    /// Ends the session whose cookie carries `id` (signing out).
    pub async fn sign_out(&self, id: &str) -> Result<(), ServiceError> {
        console_sessions::delete(&self.db, &hash(id)).await?;
        Ok(())
    }
}

/// 256 random bits as hex.
pub fn random_hex() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

fn hash(id: &str) -> String {
    hex::encode(Sha256::digest(id.as_bytes()))
}
