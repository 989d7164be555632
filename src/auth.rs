//! Bearer tokens: JWTs (HS256) signed with a per-directory secret kept in the database (or derived
//! from one given by configuration), each carrying a `jti` that the `api_tokens` table records, so a revocation
//! reaches every instance. A token found valid is trusted for a few seconds before the database
//! is asked again (`--token-recheck-seconds`): that lookup was a third of a simple read's cost.
//! Tokens are never stored or logged.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::scim::resource::now;
use crate::store::tokens::TokenRecord;
use crate::store::{DEFAULT_TENANT, Db, StoreError, directories, signing_keys, tokens};

const ISSUER: &str = "scimd";
const AUDIENCE: &str = "scimd-scim-api";

/// The claims of a scimd token.
#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    iss: String,
    aud: String,
    /// The token's name.
    sub: String,
    /// The tenant the token acts for.
    tid: String,
    jti: String,
    iat: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    exp: Option<i64>,
    /// What the token may call; tokens issued before scopes existed are SCIM tokens.
    #[serde(default)]
    scope: Scope,
}

/// What a token may call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// The SCIM API (`/scim/v2`), for identity providers.
    #[default]
    Scim,
    /// The host application's API (`/api/v1`).
    Admin,
}

impl Scope {
    /// The scope's name, as stored and listed.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Scim => "scim",
            Scope::Admin => "admin",
        }
    }

    /// The scope stored as `name`.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "scim" => Some(Scope::Scim),
            "admin" => Some(Scope::Admin),
            _ => None,
        }
    }
}

/// Who a request acts for, once its token checked out.
#[derive(Debug, Clone)]
pub struct Principal {
    pub tenant: String,
    /// The token's `jti`.
    pub token_id: String,
    pub token_name: String,
    pub scope: Scope,
}

/// Why a bearer token was refused.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("the bearer token is malformed or its signature is invalid")]
    Invalid,
    #[error("the bearer token has expired")]
    Expired,
    #[error("the bearer token has been revoked")]
    Revoked,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The audience of sealed values (e.g. paging cursors), so that none can pass for an API token.
const SEALED_AUDIENCE: &str = "scimd-sealed";

/// Claims around a sealed value.
#[derive(Debug, Serialize, Deserialize)]
struct Sealed<T> {
    aud: String,
    tid: String,
    exp: i64,
    v: T,
}

/// Why a sealed value was refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum UnsealError {
    #[error("it was not issued by this server or was altered")]
    Invalid,
    #[error("it has expired")]
    Expired,
}

/// Issues and verifies the tokens of every directory, and seals values for one directory.
///
/// Each directory signs its tokens with its own key: its row of `signing_keys`, created with the
/// directory, or, with a configured secret, a key derived from it per directory (the `default`
/// directory uses the configured secret itself, so tokens issued before directories existed stay
/// valid). Admin tokens are global and signed with the `default` directory's key.
#[derive(Clone)]
pub struct TokenAuthority {
    db: Db,
    configured: Option<SecretString>,
    /// Keys by directory, loaded on first use.
    keys: Arc<Mutex<HashMap<String, Arc<Keys>>>>,
    /// The `default` directory's key: admin tokens and sealed values use it.
    default_keys: Arc<Keys>,
    recheck_after: std::time::Duration,
    /// Tokens recently found valid in the database, by directory and `jti`.
    checked: Arc<Mutex<HashMap<(String, String), Checked>>>,
}

/// One directory's signing key, both ways.
struct Keys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl Keys {
    fn from_secret(secret: &[u8]) -> Arc<Self> {
        Arc::new(Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
        })
    }
}

/// A token found valid in the database at `at`.
struct Checked {
    at: Instant,
    name: String,
    scope: Scope,
}

impl TokenAuthority {
    /// Uses the configured secret, or keys kept in the database (the `default` directory's is
    /// created on first use).
    pub async fn load(db: &Db, configured: Option<&SecretString>) -> Result<Self, StoreError> {
        let default_keys = match configured {
            Some(s) => Keys::from_secret(s.expose_secret().as_bytes()),
            None => Keys::from_secret(
                signing_keys::get_or_create(db, DEFAULT_TENANT)
                    .await?
                    .as_bytes(),
            ),
        };
        Ok(Self {
            db: db.clone(),
            configured: configured.cloned(),
            keys: Arc::default(),
            default_keys,
            recheck_after: std::time::Duration::ZERO,
            checked: Arc::default(),
        })
    }

    /// Trusts a token found valid for `after` before asking the database again; a revocation
    /// then takes up to that long to reach a running server. Zero asks on every request.
    pub fn recheck_after(mut self, after: std::time::Duration) -> Self {
        self.recheck_after = after;
        self
    }

    /// The signing key of `directory`; `None` when no such directory exists. `fresh` skips the
    /// cache (a directory deleted and created again elsewhere has a new key).
    async fn keys(&self, directory: &str, fresh: bool) -> Result<Option<Arc<Keys>>, StoreError> {
        if directory == DEFAULT_TENANT {
            return Ok(Some(self.default_keys.clone()));
        }
        if !fresh && let Some(k) = self.lock_keys().get(directory) {
            return Ok(Some(k.clone()));
        }
        if !directories::exists(&self.db, directory).await? {
            self.lock_keys().remove(directory);
            return Ok(None);
        }
        let keys = match &self.configured {
            Some(s) => Keys::from_secret(&derive_key(s.expose_secret(), directory)),
            None => Keys::from_secret(
                signing_keys::get_or_create(&self.db, directory)
                    .await?
                    .as_bytes(),
            ),
        };
        self.lock_keys().insert(directory.to_owned(), keys.clone());
        Ok(Some(keys))
    }

    fn lock_keys(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Keys>>> {
        self.keys.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Creates a SCIM token of the `default` directory (see [`TokenAuthority::issue_for`]).
    pub async fn issue(
        &self,
        name: &str,
        expires_in: Option<Duration>,
    ) -> Result<String, StoreError> {
        self.issue_for(DEFAULT_TENANT, name, Scope::Scim, expires_in)
            .await
    }

    /// Creates a token of the `default` directory for `scope` (admin tokens are global and live
    /// there).
    pub async fn issue_scoped(
        &self,
        name: &str,
        scope: Scope,
        expires_in: Option<Duration>,
    ) -> Result<String, StoreError> {
        self.issue_for(DEFAULT_TENANT, name, scope, expires_in)
            .await
    }

    /// Creates a token of `directory` called `name` for `scope`, valid for `expires_in` (or
    /// forever), records its `jti` and returns the token text.
    pub async fn issue_for(
        &self,
        directory: &str,
        name: &str,
        scope: Scope,
        expires_in: Option<Duration>,
    ) -> Result<String, StoreError> {
        Ok(self
            .issue_record(directory, name, scope, expires_in, None)
            .await?
            .1)
    }

    /// Like [`TokenAuthority::issue_for`], also returning the token's record; with `replaces`
    /// (a `jti` and a time), that active token is revoked from that time on, in the same
    /// transaction (a rotation).
    pub async fn issue_record(
        &self,
        directory: &str,
        name: &str,
        scope: Scope,
        expires_in: Option<Duration>,
        replaces: Option<(&str, DateTime<Utc>)>,
    ) -> Result<(TokenRecord, String), StoreError> {
        let keys = self
            .keys(directory, false)
            .await?
            .ok_or_else(|| StoreError::InvalidReference(format!("no directory \"{directory}\"")))?;
        let created = now();
        let expires = expires_in.map(|d| created + d);
        let record = TokenRecord {
            jti: uuid::Uuid::new_v4().to_string(),
            name: name.to_owned(),
            created,
            expires,
            last_used: None,
            revoked: None,
            scope: scope.as_str().to_owned(),
        };
        let claims = Claims {
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            sub: name.to_owned(),
            tid: directory.to_owned(),
            jti: record.jti.clone(),
            iat: created.timestamp(),
            exp: expires.map(|e: DateTime<Utc>| e.timestamp()),
            scope,
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &keys.encoding)
            .map_err(|e| StoreError::Corrupt(format!("cannot sign a token: {e}")))?;
        tokens::insert_replacing(&self.db, directory, &record, replaces).await?;
        if let Some((jti, _)) = replaces {
            self.forget_token(directory, jti);
        }
        Ok((record, token))
    }

    /// Signs `value` for `directory`, valid for `ttl`: an opaque string a client can hand back
    /// but not forge, alter, or use in another directory (used for paging cursors).
    pub fn seal<T: Serialize>(
        &self,
        directory: &str,
        value: T,
        ttl: Duration,
    ) -> Result<String, StoreError> {
        let claims = Sealed {
            aud: SEALED_AUDIENCE.into(),
            tid: directory.to_owned(),
            exp: (now() + ttl).timestamp(),
            v: value,
        };
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.default_keys.encoding,
        )
        .map_err(|e| StoreError::Corrupt(format!("cannot seal a value: {e}")))
    }

    /// Opens a value sealed by [`TokenAuthority::seal`] for `directory`.
    pub fn unseal<T: serde::de::DeserializeOwned>(
        &self,
        directory: &str,
        sealed: &str,
    ) -> Result<T, UnsealError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[SEALED_AUDIENCE]);
        validation.leeway = 0;
        let data =
            jsonwebtoken::decode::<Sealed<T>>(sealed, &self.default_keys.decoding, &validation)
                .map_err(|e| match e.kind() {
                    jsonwebtoken::errors::ErrorKind::ExpiredSignature => UnsealError::Expired,
                    _ => UnsealError::Invalid,
                })?;
        if data.claims.tid != directory {
            return Err(UnsealError::Invalid);
        }
        Ok(data.claims.v)
    }

    /// Verifies a token presented to `directory`'s SCIM API (for [`Scope::Scim`]) or to the host
    /// application's API (for [`Scope::Admin`], whatever `directory`): signature with that
    /// directory's key, issuer, audience, expiry, that it was issued for that directory, then
    /// its `jti` against the database (unknown or revoked tokens are refused). A token of
    /// another directory, or a directory that does not exist, is simply `Invalid`.
    pub async fn verify(
        &self,
        token: &str,
        directory: &str,
        scope: Scope,
    ) -> Result<Principal, AuthError> {
        let directory = match scope {
            Scope::Admin => DEFAULT_TENANT,
            Scope::Scim => directory,
        };
        let claims = match self.decode(token, directory, false).await {
            // A cached key may be stale if the directory was deleted and created again.
            Err(AuthError::Invalid) if directory != DEFAULT_TENANT => {
                self.decode(token, directory, true).await?
            }
            other => other?,
        };
        if claims.tid != directory {
            return Err(AuthError::Invalid);
        }
        let key = (claims.tid.clone(), claims.jti.clone());
        // `exp` was checked by the decoder; what the database adds is revocation.
        if let Some((name, scope)) = self.recently_checked(&key) {
            return Ok(Principal {
                tenant: claims.tid,
                token_id: claims.jti,
                token_name: name,
                scope,
            });
        }
        let record = tokens::find_and_touch(&self.db, &claims.tid, &claims.jti)
            .await?
            .ok_or(AuthError::Invalid)?;
        let at = now();
        if record.revoked.is_some_and(|r| r <= at) {
            return Err(AuthError::Revoked);
        }
        if record.expires.is_some_and(|e| e <= at) {
            return Err(AuthError::Expired);
        }
        let scope = Scope::parse(&record.scope).ok_or(AuthError::Invalid)?;
        // A token revoked at the end of a grace period is trusted no longer than that.
        if record.revoked.is_none() {
            self.remember(key, &record.name, scope);
        }
        Ok(Principal {
            tenant: claims.tid,
            token_id: claims.jti,
            token_name: record.name,
            scope,
        })
    }

    async fn decode(&self, token: &str, directory: &str, fresh: bool) -> Result<Claims, AuthError> {
        let keys = self
            .keys(directory, fresh)
            .await?
            .ok_or(AuthError::Invalid)?;
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        // Tokens may be created without an expiry; when `exp` is present it is checked.
        validation.required_spec_claims = ["iss", "aud", "sub"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        validation.leeway = 0;
        jsonwebtoken::decode::<Claims>(token, &keys.decoding, &validation)
            .map(|d| d.claims)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => AuthError::Expired,
                _ => AuthError::Invalid,
            })
    }

    /// Forgets what is cached about `directory` (it was deleted).
    pub fn forget(&self, directory: &str) {
        self.lock_keys().remove(directory);
        self.checked
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|(d, _), _| d != directory);
    }

    /// Forgets that a token was found valid (it was revoked here).
    pub fn forget_token(&self, directory: &str, jti: &str) {
        self.checked
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&(directory.to_owned(), jti.to_owned()));
    }
}

/// A directory's key derived from the configured secret: HMAC-SHA256(secret, directory id), so
/// one secret serves every directory and no directory's tokens verify in another.
fn derive_key(secret: &str, directory: &str) -> Vec<u8> {
    use hmac::{Hmac, KeyInit, Mac};
    let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()) else {
        return secret.as_bytes().to_vec();
    };
    mac.update(b"scimd directory key:");
    mac.update(directory.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

impl TokenAuthority {
    fn recently_checked(&self, key: &(String, String)) -> Option<(String, Scope)> {
        if self.recheck_after.is_zero() {
            return None;
        }
        let checked = self.checked.lock().unwrap_or_else(|e| e.into_inner());
        checked
            .get(key)
            .filter(|c| c.at.elapsed() < self.recheck_after)
            .map(|c| (c.name.clone(), c.scope))
    }

    fn remember(&self, key: (String, String), name: &str, scope: Scope) {
        if self.recheck_after.is_zero() {
            return;
        }
        let mut checked = self.checked.lock().unwrap_or_else(|e| e.into_inner());
        // Only tokens the database vouched for get here, so the map holds at most the active
        // tokens; stale entries are dropped as they are found.
        let recheck_after = self.recheck_after;
        checked.retain(|_, c| c.at.elapsed() < recheck_after);
        checked.insert(
            key,
            Checked {
                at: Instant::now(),
                name: name.to_owned(),
                scope,
            },
        );
    }
}
