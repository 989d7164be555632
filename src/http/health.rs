//! `GET /healthz`: liveness and database reachability, without authentication.

use std::sync::Arc;

use poem::web::Data;
use poem_openapi::payload::PlainText;
use poem_openapi::{ApiResponse, OpenApi};

use super::{ApiTags, AppState};

/// Health status.
#[derive(ApiResponse)]
pub enum Health {
    /// The server is up and its database answers.
    #[oai(status = 200)]
    Ok(PlainText<&'static str>),
    /// The database does not answer.
    #[oai(status = 503)]
    Unavailable(PlainText<&'static str>),
}

/// The health endpoint.
pub struct HealthApi;

#[OpenApi(tag = "ApiTags::Health")]
impl HealthApi {
    /// Reports whether the server can reach its database.
    #[oai(path = "/healthz", method = "get")]
    async fn health(&self, state: Data<&Arc<AppState>>) -> Health {
        match state.db.ping().await {
            Ok(()) => Health::Ok(PlainText("ok")),
            Err(e) => {
                tracing::warn!(error = %e, "health check failed");
                Health::Unavailable(PlainText("database unavailable"))
            }
        }
    }
}
