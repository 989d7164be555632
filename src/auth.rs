//! Bearer tokens: JWTs (HS256) signed with a per-tenant secret kept in the database (or given by
//! configuration), each carrying a `jti` that the `api_tokens` table records, so a revocation
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
use crate::store::{Db, StoreError, signing_keys, tokens};

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

/// Issues and verifies tokens for one tenant.
#[derive(Clone)]
pub struct TokenAuthority {
    db: Db,
    tenant: String,
    encoding: EncodingKey,
    decoding: DecodingKey,
    recheck_after: std::time::Duration,
    /// Tokens recently found valid in the database, by `jti`.
    checked: Arc<Mutex<HashMap<String, Checked>>>,
}

/// A token the database knew as valid at `at`.
struct Checked {
    at: Instant,
    name: String,
    scope: Scope,
}

impl TokenAuthority {
    /// Uses the configured secret, or the tenant's secret from the database (created on first use).
    pub async fn load(
        db: &Db,
        tenant: &str,
        configured: Option<&SecretString>,
    ) -> Result<Self, StoreError> {
        let secret = match configured {
            Some(s) => s.expose_secret().to_owned(),
            None => signing_keys::get_or_create(db, tenant).await?,
        };
        Ok(Self {
            db: db.clone(),
            tenant: tenant.to_owned(),
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            decoding: DecodingKey::from_secret(secret.as_bytes()),
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

    /// Creates a SCIM token called `name` (see [`TokenAuthority::issue_scoped`]).
    pub async fn issue(
        &self,
        name: &str,
        expires_in: Option<Duration>,
    ) -> Result<String, StoreError> {
        self.issue_scoped(name, Scope::Scim, expires_in).await
    }

    /// Creates a token called `name` for `scope`, valid for `expires_in` (or forever), records
    /// its `jti` and returns the token text.
    pub async fn issue_scoped(
        &self,
        name: &str,
        scope: Scope,
        expires_in: Option<Duration>,
    ) -> Result<String, StoreError> {
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
            tid: self.tenant.clone(),
            jti: record.jti.clone(),
            iat: created.timestamp(),
            exp: expires.map(|e: DateTime<Utc>| e.timestamp()),
            scope,
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| StoreError::Corrupt(format!("cannot sign a token: {e}")))?;
        tokens::insert(&self.db, &self.tenant, &record).await?;
        Ok(token)
    }

    /// Signs `value` for this tenant, valid for `ttl`: an opaque string a client can hand back
    /// but not forge or alter (used for paging cursors).
    pub fn seal<T: Serialize>(&self, value: T, ttl: Duration) -> Result<String, StoreError> {
        let claims = Sealed {
            aud: SEALED_AUDIENCE.into(),
            tid: self.tenant.clone(),
            exp: (now() + ttl).timestamp(),
            v: value,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| StoreError::Corrupt(format!("cannot seal a value: {e}")))
    }

    /// Opens a value sealed by [`TokenAuthority::seal`] for this tenant.
    pub fn unseal<T: serde::de::DeserializeOwned>(&self, sealed: &str) -> Result<T, UnsealError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[SEALED_AUDIENCE]);
        validation.leeway = 0;
        let data = jsonwebtoken::decode::<Sealed<T>>(sealed, &self.decoding, &validation).map_err(
            |e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => UnsealError::Expired,
                _ => UnsealError::Invalid,
            },
        )?;
        if data.claims.tid != self.tenant {
            return Err(UnsealError::Invalid);
        }
        Ok(data.claims.v)
    }

    /// Verifies signature, issuer, audience and expiry, then checks the `jti` against the
    /// database (unknown or revoked tokens are refused).
    pub async fn verify(&self, token: &str) -> Result<Principal, AuthError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        // Tokens may be created without an expiry; when `exp` is present it is checked.
        validation.required_spec_claims = ["iss", "aud", "sub"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        validation.leeway = 0;
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation).map_err(
            |e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => AuthError::Expired,
                _ => AuthError::Invalid,
            },
        )?;
        let claims = data.claims;
        if claims.tid != self.tenant {
            return Err(AuthError::Invalid);
        }
        // `exp` was checked above; what the database adds is revocation.
        if let Some((name, scope)) = self.recently_checked(&claims.jti) {
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
        if record.revoked.is_some() {
            return Err(AuthError::Revoked);
        }
        if record.expires.is_some_and(|e| e <= now()) {
            return Err(AuthError::Expired);
        }
        let scope = Scope::parse(&record.scope).ok_or(AuthError::Invalid)?;
        self.remember(&claims.jti, &record.name, scope);
        Ok(Principal {
            tenant: claims.tid,
            token_id: claims.jti,
            token_name: record.name,
            scope,
        })
    }
}

impl TokenAuthority {
    fn recently_checked(&self, jti: &str) -> Option<(String, Scope)> {
        if self.recheck_after.is_zero() {
            return None;
        }
        let checked = self.checked.lock().unwrap_or_else(|e| e.into_inner());
        checked
            .get(jti)
            .filter(|c| c.at.elapsed() < self.recheck_after)
            .map(|c| (c.name.clone(), c.scope))
    }

    fn remember(&self, jti: &str, name: &str, scope: Scope) {
        if self.recheck_after.is_zero() {
            return;
        }
        let mut checked = self.checked.lock().unwrap_or_else(|e| e.into_inner());
        // Only tokens the database vouched for get here, so the map holds at most the active
        // tokens; stale entries are dropped as they are found.
        let recheck_after = self.recheck_after;
        checked.retain(|_, c| c.at.elapsed() < recheck_after);
        checked.insert(
            jti.to_owned(),
            Checked {
                at: Instant::now(),
                name: name.to_owned(),
                scope,
            },
        );
    }
}
