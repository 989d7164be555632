//! `/api/v1/directories/{id}/tokens`: a directory's SCIM tokens, as its identity provider uses
//! them (see `service::tokens`). List with last use, create (shown once), rotate with a grace
//! period, revoke. A token's `id` is its `jti`; the token itself is never stored.

use std::sync::Arc;

use chrono::Duration;
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::types::Example;
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::ApiTags;
use super::error::{ApiError, ApiErrorResponse};
use crate::http::AppState;
use crate::http::auth::AdminAuth;
use crate::scim::resource::format_time;
use crate::service::tokens::{IssuedToken, MAX_GRACE, Token};

/// The longest lifetime a token may be given, in days (100 years).
const MAX_DAYS: i64 = 36_500;

/// A SCIM token as listed (never the token itself).
#[derive(Debug, Object)]
#[oai(example)]
pub struct TokenBody {
    /// The token's id (its `jti`), used to rotate or revoke it.
    pub id: String,
    pub name: String,
    /// `active`; `expiring` (rotated: it works until `revoked_at`); `expired`; `revoked`.
    pub state: String,
    pub created_at: String,
    /// When it stops working by itself; `null` for never.
    pub expires_at: Option<String>,
    /// Its last successful use, to the minute; `null` if never used.
    pub last_used_at: Option<String>,
    /// When it was, or (during a rotation's grace period) will be, revoked.
    pub revoked_at: Option<String>,
}

/// A token just issued: the listed fields and the token, shown only in this response.
#[derive(Debug, Object)]
#[oai(example)]
pub struct IssuedTokenBody {
    #[oai(flatten)]
    pub info: TokenBody,
    /// The bearer token for the identity provider. Store it now: it is never shown again.
    pub token: String,
}

/// A directory's SCIM tokens, newest first.
#[derive(Debug, Object)]
pub struct TokenList {
    pub data: Vec<TokenBody>,
}

/// A new token.
#[derive(Debug, Object)]
#[oai(example)]
pub struct NewTokenBody {
    /// A name, unique among the directory's working tokens (e.g. `okta`), 1 to 100 characters.
    pub name: String,
    /// Days until it expires, 1 to 36500; it does not expire without it.
    pub expires_in_days: Option<i64>,
}

/// How long the replaced token keeps working.
#[derive(Debug, Object)]
#[oai(example)]
pub struct RotateTokenBody {
    /// Seconds the old token keeps working, 0 (the default: refused at once) to 604800 (a
    /// week), so the identity provider can be switched to the new one without a failed
    /// request.
    pub grace_seconds: Option<i64>,
}

#[derive(ApiResponse)]
enum IssuedResponse {
    /// Issued; the token is in the body, only this once.
    #[oai(status = 201)]
    Created(Json<IssuedTokenBody>),
}

#[derive(ApiResponse)]
enum RevokeResponse {
    /// Revoked: every instance refuses it within `--token-recheck-seconds`.
    #[oai(status = 204)]
    Revoked,
}

impl From<Token> for TokenBody {
    fn from(t: Token) -> Self {
        TokenBody {
            id: t.id,
            name: t.name,
            state: t.state.to_owned(),
            created_at: format_time(t.created),
            expires_at: t.expires.map(format_time),
            last_used_at: t.last_used.map(format_time),
            revoked_at: t.revoked.map(format_time),
        }
    }
}

impl From<IssuedToken> for IssuedTokenBody {
    fn from(t: IssuedToken) -> Self {
        IssuedTokenBody {
            info: t.token.into(),
            token: t.secret,
        }
    }
}

impl Example for TokenBody {
    fn example() -> Self {
        TokenBody {
            id: "3c1f7a52-9d0e-4c8b-a4e1-0f6a2b7d9e11".into(),
            name: "okta".into(),
            state: "active".into(),
            created_at: "2026-12-05T09:12:44.120Z".into(),
            expires_at: Some("2027-12-05T09:12:44.120Z".into()),
            last_used_at: Some("2026-12-05T10:02:00.000Z".into()),
            revoked_at: None,
        }
    }
}

impl Example for IssuedTokenBody {
    fn example() -> Self {
        IssuedTokenBody {
            info: TokenBody {
                last_used_at: None,
                ..TokenBody::example()
            },
            token: "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJzY2ltZCIs….Qm9v".into(),
        }
    }
}

impl Example for NewTokenBody {
    fn example() -> Self {
        NewTokenBody {
            name: "okta".into(),
            expires_in_days: Some(365),
        }
    }
}

impl Example for RotateTokenBody {
    fn example() -> Self {
        RotateTokenBody {
            grace_seconds: Some(3600),
        }
    }
}

/// The token endpoints.
pub struct TokensApi;

#[OpenApi(tag = "ApiTags::Tokens")]
impl TokensApi {
    /// The directory's SCIM tokens, newest first, with their state and last use (never the
    /// tokens themselves). `404` for an unknown directory.
    #[oai(path = "/directories/:directory/tokens", method = "get")]
    async fn list(
        &self,
        auth: AdminAuth,
        state: Data<&Arc<AppState>>,
        /// The directory's id.
        directory: Path<String>,
    ) -> Result<Json<TokenList>, ApiErrorResponse> {
        let ctx = state.service.enter(&auth.0, &directory).await?;
        let tokens = state.service.tokens(&ctx).await?;
        Ok(Json(TokenList {
            data: tokens.into_iter().map(TokenBody::from).collect(),
        }))
    }

    /// Issues a SCIM token for the directory; it works at the directory's SCIM base URL only.
    /// The token is shown only in this response. `409` if a working token has this name.
    #[oai(path = "/directories/:directory/tokens", method = "post")]
    async fn create(
        &self,
        auth: AdminAuth,
        state: Data<&Arc<AppState>>,
        /// The directory's id.
        directory: Path<String>,
        body: Json<NewTokenBody>,
    ) -> Result<IssuedResponse, ApiErrorResponse> {
        let ctx = state.service.enter(&auth.0, &directory).await?;
        let lifetime = match body.expires_in_days {
            None => None,
            Some(days @ 1..=MAX_DAYS) => Some(Duration::days(days)),
            Some(_) => {
                return Err(
                    ApiError::invalid(format!("expires_in_days is 1 to {MAX_DAYS}")).into(),
                );
            }
        };
        let issued = state
            .service
            .create_token(&ctx, &body.name, lifetime)
            .await?;
        Ok(IssuedResponse::Created(Json(issued.into())))
    }

    /// Replaces a working token with a new one of the same name and lifetime, shown only in
    /// this response. The old token keeps working for `grace_seconds` (default 0: refused at
    /// once), then is revoked; meanwhile it is listed as `expiring`. `404` for an unknown or
    /// revoked token, `409` for one already rotated (rotate its replacement).
    #[oai(path = "/directories/:directory/tokens/:id/rotate", method = "post")]
    async fn rotate(
        &self,
        auth: AdminAuth,
        state: Data<&Arc<AppState>>,
        /// The directory's id.
        directory: Path<String>,
        /// The token's id.
        id: Path<String>,
        body: Json<Option<RotateTokenBody>>,
    ) -> Result<IssuedResponse, ApiErrorResponse> {
        let ctx = state.service.enter(&auth.0, &directory).await?;
        let seconds = body.0.and_then(|b| b.grace_seconds).unwrap_or(0);
        if !(0..=MAX_GRACE.num_seconds()).contains(&seconds) {
            return Err(ApiError::invalid(format!(
                "grace_seconds is 0 to {}",
                MAX_GRACE.num_seconds()
            ))
            .into());
        }
        let issued = state
            .service
            .rotate_token(&ctx, &id, Duration::seconds(seconds))
            .await?;
        Ok(IssuedResponse::Created(Json(issued.into())))
    }

    /// Revokes a token now (also one still in a rotation's grace period). `404` for an
    /// unknown or already revoked token.
    #[oai(path = "/directories/:directory/tokens/:id", method = "delete")]
    async fn revoke(
        &self,
        auth: AdminAuth,
        state: Data<&Arc<AppState>>,
        /// The directory's id.
        directory: Path<String>,
        /// The token's id.
        id: Path<String>,
    ) -> Result<RevokeResponse, ApiErrorResponse> {
        let ctx = state.service.enter(&auth.0, &directory).await?;
        state.service.revoke_token(&ctx, &id).await?;
        Ok(RevokeResponse::Revoked)
    }
}
