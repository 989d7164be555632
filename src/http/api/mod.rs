//! The host application's API at `/api/v1` (admin tokens only): directories with their tokens
//! and setup view, their users and groups (read, act on, export as CSV), the event feed, and
//! webhooks.
//! Plain JSON, its own error shape (`error.rs`), its own OpenAPI document at
//! `/api/v1/openapi.json` with Swagger UI at `/api/v1/docs`.

mod directories;
pub mod error;
mod events;
mod export;
mod groups;
mod setup;
mod tokens;
mod users;
mod webhooks;
mod written;

use std::sync::Arc;

use poem::{Endpoint, EndpointExt, IntoEndpoint, Route};
use poem_openapi::{OpenApiService, Tags};

use super::AppState;

/// The host application's API base path.
pub const API_PATH: &str = "/api/v1";

/// Tags that group the operations in the API's OpenAPI document.
#[derive(Tags)]
enum ApiTags {
    /// Customer directories: each has its own SCIM base URL, tokens and data.
    Directories,
    /// A directory's SCIM tokens, for its identity provider.
    Tokens,
    /// The ordered feed of changes.
    Events,
    /// Endpoints that receive the feed as signed HTTP requests.
    Webhooks,
    /// A directory's users: states, search, roles, suspension, archive.
    Users,
    /// A directory's groups and the roles they give.
    Groups,
}

/// The `/api/v1` routes with their documentation, every error in the API's own shape.
pub fn routes(state: &Arc<AppState>) -> impl Endpoint + use<> {
    let server = format!("{}{API_PATH}", state.public_origin());
    let api = OpenApiService::new(
        (
            directories::DirectoriesApi,
            tokens::TokensApi,
            setup::SetupApi,
            events::EventsApi,
            webhooks::WebhooksApi,
            users::UsersApi,
            groups::GroupsApi,
            export::ExportApi,
        ),
        "scimd host application API",
        env!("CARGO_PKG_VERSION"),
    )
    .description(
        "For the application scimd serves: its customer directories (each with its own SCIM \
         base URL and tokens) and how to connect their identity providers, and the changes \
         provisioned through SCIM. Every call takes an admin token; errors are \
         `{\"error\": {\"status\", \"code\", \"message\"}}`.",
    )
    .server(server);
    Route::new()
        .at("/openapi.json", api.spec_endpoint())
        .nest("/docs", api.swagger_ui())
        .nest("/", api)
        .catch_all_error(|e| async move { error::poem_error_to_api(e) })
        .into_endpoint()
}
