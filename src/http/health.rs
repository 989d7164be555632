//! `GET /healthz` (liveness: the process serves HTTP) and `GET /readyz` (readiness: the
//! database answers and has every migration of this build), without authentication. A liveness
//! probe that asked the database would restart healthy instances whenever the database is
//! slow or down; readiness is what a load balancer should route by.

use std::sync::Arc;

use poem::web::Data;
use poem_openapi::payload::PlainText;
use poem_openapi::{ApiResponse, OpenApi};

use super::{ApiTags, AppState};

/// Liveness.
#[derive(ApiResponse)]
pub enum Health {
    /// The server is up.
    #[oai(status = 200)]
    Ok(PlainText<&'static str>),
}

/// Readiness.
#[derive(ApiResponse)]
pub enum Readiness {
    /// The database answers and has every migration of this build.
    #[oai(status = 200)]
    Ready(PlainText<&'static str>),
    /// The database does not answer, or lacks migrations (the reason is in the body).
    #[oai(status = 503)]
    Unavailable(PlainText<String>),
}

/// The health endpoints.
pub struct HealthApi;

#[OpenApi(tag = "ApiTags::Health")]
impl HealthApi {
    /// Liveness: answers `ok` while the server serves HTTP, whatever the database does.
    #[oai(path = "/healthz", method = "get")]
    async fn health(&self) -> Health {
        Health::Ok(PlainText("ok"))
    }

    /// Readiness: whether the database answers and every migration of this build is applied.
    #[oai(path = "/readyz", method = "get")]
    async fn ready(&self, state: Data<&Arc<AppState>>) -> Readiness {
        match state.db.missing_migrations().await {
            Ok(missing) if missing.is_empty() => Readiness::Ready(PlainText("ready")),
            Ok(missing) => {
                let versions: Vec<String> = missing.iter().map(i64::to_string).collect();
                let reason = format!("migrations not applied: {}", versions.join(", "));
                tracing::warn!(%reason, "not ready");
                Readiness::Unavailable(PlainText(reason))
            }
            Err(e) => {
                tracing::warn!(error = %e, "readiness check: the database does not answer");
                Readiness::Unavailable(PlainText("database unavailable".to_owned()))
            }
        }
    }
}
