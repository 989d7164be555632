//! Bearer authentication for every SCIM endpoint (RFC 7644 §2, RFC 6750), as a poem-openapi
//! security scheme so the OpenAPI document shows it. Failures are 401 SCIM errors with
//! `WWW-Authenticate: Bearer`.

use std::sync::Arc;

use poem::Request;
use poem_openapi::SecurityScheme;
use poem_openapi::auth::Bearer;

use super::AppState;
use super::error::ScimError;
use crate::auth::{AuthError, Principal};

/// A request authenticated by a scimd bearer token.
#[derive(SecurityScheme)]
#[oai(ty = "bearer", bearer_format = "JWT", checker = "check_token")]
pub struct BearerAuth(pub Principal);

async fn check_token(req: &Request, bearer: Bearer) -> poem::Result<Principal> {
    let state = req
        .data::<Arc<AppState>>()
        .ok_or_else(|| ScimError::internal(&"application state missing"))?;
    state.auth.verify(&bearer.token).await.map_err(|e| {
        match e {
            AuthError::Store(s) => ScimError::from(s),
            other => ScimError::unauthorized(other.to_string()),
        }
        .into()
    })
}
