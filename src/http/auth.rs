//! Bearer authentication (RFC 7644 §2, RFC 6750), as poem-openapi security schemes so the
//! OpenAPI documents show them. A SCIM token works on `/scim/v2` only and an admin token on
//! `/api/v1` only; the other API answers `403`. Missing or invalid tokens are `401` with
//! `WWW-Authenticate: Bearer`. A successful check yields the call's service [`Context`].

use std::sync::Arc;

use poem::Request;
use poem_openapi::SecurityScheme;
use poem_openapi::auth::Bearer;

use super::AppState;
use super::api::error::ApiError;
use super::directory_scope::ScimDirectory;
use super::error::ScimError;
use super::request_id::RequestId;
use crate::auth::{AuthError, Principal, Scope};
use crate::service::{Actor, Context};
use crate::store::DEFAULT_TENANT;

/// A SCIM request authenticated by a SCIM token: its context.
#[derive(SecurityScheme)]
#[oai(ty = "bearer", bearer_format = "JWT", checker = "check_scim_token")]
pub struct BearerAuth(pub Context);

/// A host-application request authenticated by an admin token: its context.
#[derive(SecurityScheme)]
#[oai(ty = "bearer", bearer_format = "JWT", checker = "check_admin_token")]
pub struct AdminAuth(pub Context);

/// Why a token was refused, before each API renders it its own way.
enum Refusal {
    Unauthorized(String),
    Forbidden(String),
    Failed(crate::store::StoreError),
}

async fn verify(req: &Request, bearer: &Bearer, scope: Scope) -> Result<Context, Refusal> {
    let state = req
        .data::<Arc<AppState>>()
        .ok_or_else(|| Refusal::Unauthorized("application state missing".into()))?;
    let directory = req
        .extensions()
        .get::<ScimDirectory>()
        .map_or(DEFAULT_TENANT, |d| d.0.as_str());
    let principal: Principal = state
        .auth
        .verify(&bearer.token, directory, scope)
        .await
        .map_err(|e| match e {
            AuthError::Store(s) => Refusal::Failed(s),
            other => Refusal::Unauthorized(other.to_string()),
        })?;
    if principal.scope != scope {
        let detail = match scope {
            Scope::Scim => "this is an admin token: it calls /api/v1, not the SCIM API",
            Scope::Admin => "this is a SCIM token: the host application's API needs an admin token",
        };
        return Err(Refusal::Forbidden(detail.into()));
    }
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default();
    let actor = Actor::Token {
        id: principal.token_id,
        name: principal.token_name,
    };
    Ok(Context::new(principal.tenant, actor, request_id))
}

async fn check_scim_token(req: &Request, bearer: Bearer) -> poem::Result<Context> {
    verify(req, &bearer, Scope::Scim).await.map_err(|r| {
        match r {
            Refusal::Unauthorized(d) => ScimError::unauthorized(d),
            Refusal::Forbidden(d) => ScimError::forbidden(d),
            Refusal::Failed(e) => ScimError::from(e),
        }
        .into()
    })
}

async fn check_admin_token(req: &Request, bearer: Bearer) -> poem::Result<Context> {
    verify(req, &bearer, Scope::Admin).await.map_err(|r| {
        match r {
            Refusal::Unauthorized(d) => ApiError::unauthorized(d),
            Refusal::Forbidden(d) => ApiError::forbidden(d),
            Refusal::Failed(e) => ApiError::from(crate::service::ServiceError::from(e)),
        }
        .into()
    })
}
