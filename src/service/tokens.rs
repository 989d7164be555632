//! A directory's SCIM tokens as admins manage them (the CLI and `/api/v1`): create (the token is
//! shown once), list with last use, rotate with a grace period, revoke. Tokens themselves are
//! never stored; the `jti` is the id a token is managed by.

use chrono::{DateTime, Duration, Utc};

use super::{Context, Service, ServiceError};
use crate::auth::Scope;
use crate::store::StoreError;
use crate::store::tokens::{self, TokenRecord};

/// The longest grace period of a rotation: a week.
pub const MAX_GRACE: Duration = Duration::days(7);
/// The longest token name.
const MAX_NAME_LENGTH: usize = 100;

/// A token as listed (never the token itself).
#[derive(Debug, Clone)]
pub struct Token {
    /// The token's `jti`.
    pub id: String,
    pub name: String,
    pub created: DateTime<Utc>,
    pub expires: Option<DateTime<Utc>>,
    /// Its last use, to the minute.
    pub last_used: Option<DateTime<Utc>>,
    /// When it was or will be revoked (a rotated token keeps working until then).
    pub revoked: Option<DateTime<Utc>>,
    /// `active`, `expiring` (rotated, revoked at `revoked`), `expired` or `revoked`.
    pub state: &'static str,
}

impl Token {
    fn from_record(r: TokenRecord, now: DateTime<Utc>) -> Self {
        let state = match (r.revoked, r.expires) {
            (Some(at), _) if at <= now => "revoked",
            (_, Some(at)) if at <= now => "expired",
            (Some(_), _) => "expiring",
            _ => "active",
        };
        Self {
            id: r.jti,
            name: r.name,
            created: r.created,
            expires: r.expires,
            last_used: r.last_used,
            revoked: r.revoked,
            state,
        }
    }
}

/// A token just issued, shown only this once.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub token: Token,
    pub secret: String,
}

impl Service {
    /// The SCIM tokens of `ctx`'s directory, newest first.
    pub async fn tokens(&self, ctx: &Context) -> Result<Vec<Token>, ServiceError> {
        let now = ctx.now();
        Ok(tokens::list(&self.db, &ctx.directory)
            .await?
            .into_iter()
            .filter(|t| t.scope == Scope::Scim.as_str())
            .map(|t| Token::from_record(t, now))
            .collect())
    }

    /// Issues a SCIM token of `ctx`'s directory called `name`, valid for `expires_in` or
    /// forever.
    pub async fn create_token(
        &self,
        ctx: &Context,
        name: &str,
        expires_in: Option<Duration>,
    ) -> Result<IssuedToken, ServiceError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > MAX_NAME_LENGTH {
            return Err(ServiceError::invalid(
                "invalidValue",
                format!("a token name is 1 to {MAX_NAME_LENGTH} characters"),
            ));
        }
        if expires_in.is_some_and(|d| d <= Duration::zero()) {
            return Err(ServiceError::invalid(
                "invalidValue",
                "a token's lifetime must be positive",
            ));
        }
        let (record, secret) = self
            .auth
            .issue_record(&ctx.directory, name, Scope::Scim, expires_in, None)
            .await
            .map_err(conflict)?;
        Ok(IssuedToken {
            token: Token::from_record(record, ctx.now()),
            secret,
        })
    }

    /// Replaces the active token `id` with a new one of the same name and lifetime; the old
    /// one keeps working for `grace` (zero: revoked at once). A token already rotated (in its
    /// grace period) is a `Conflict`: its replacement is the one to rotate.
    pub async fn rotate_token(
        &self,
        ctx: &Context,
        id: &str,
        grace: Duration,
    ) -> Result<IssuedToken, ServiceError> {
        if grace < Duration::zero() || grace > MAX_GRACE {
            return Err(ServiceError::invalid(
                "invalidValue",
                "the grace period is 0 to 7 days",
            ));
        }
        let now = ctx.now();
        let old = self.active_token(ctx, id).await?;
        if old.revoked.is_some() {
            return Err(ServiceError::Conflict(format!(
                "token \"{id}\" was already rotated and stops working at the end of its grace \
                 period; rotate its replacement instead"
            )));
        }
        let lifetime = old.expires.map(|e| e - old.created);
        let (record, secret) = self
            .auth
            .issue_record(
                &ctx.directory,
                &old.name,
                Scope::Scim,
                lifetime,
                Some((&old.jti, now + grace)),
            )
            .await
            .map_err(|e| match e {
                StoreError::InvalidReference(_) => not_found(id),
                other => conflict(other),
            })?;
        Ok(IssuedToken {
            token: Token::from_record(record, now),
            secret,
        })
    }

    /// Revokes the token `id` now (also one still in a rotation's grace period).
    pub async fn revoke_token(&self, ctx: &Context, id: &str) -> Result<(), ServiceError> {
        self.active_token(ctx, id).await?;
        if !tokens::revoke_id(&self.db, &ctx.directory, id).await? {
            return Err(not_found(id));
        }
        self.auth.forget_token(&ctx.directory, id);
        Ok(())
    }

    /// The id of the directory's token called `name` that still works (the newest, if a
    /// rotation left two).
    pub async fn token_named(&self, ctx: &Context, name: &str) -> Result<String, ServiceError> {
        self.tokens(ctx)
            .await?
            .into_iter()
            .find(|t| t.name == name && matches!(t.state, "active" | "expiring"))
            .map(|t| t.id)
            .ok_or_else(|| not_found(name))
    }

    /// The SCIM token `id` of the directory, if it has not been revoked yet.
    async fn active_token(&self, ctx: &Context, id: &str) -> Result<TokenRecord, ServiceError> {
        tokens::get(&self.db, &ctx.directory, id)
            .await?
            .filter(|t| t.scope == Scope::Scim.as_str())
            .filter(|t| t.revoked.is_none_or(|at| at > ctx.now()))
            .ok_or_else(|| not_found(id))
    }
}

fn not_found(id: &str) -> ServiceError {
    ServiceError::NotFound {
        resource: "Token",
        id: id.to_owned(),
    }
}

fn conflict(e: StoreError) -> ServiceError {
    match e {
        StoreError::Uniqueness(d) => ServiceError::Conflict(d),
        other => other.into(),
    }
}
