//! `GET /api/v1/directories/{directory}/users.csv`: a directory's users as the CSV that
//! `scimd export users` writes and `scimd import users` reads, streamed a page of users at a
//! time (`userfile::stream`).

use std::sync::Arc;

use poem::web::Data;
use poem::{Body, IntoResponse, Response};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Payload;
use poem_openapi::registry::{MetaSchema, MetaSchemaRef};
use poem_openapi::{ApiResponse, OpenApi};

use super::ApiTags;
use super::error::ApiErrorResponse;
use crate::http::AppState;
use crate::http::auth::AdminAuth;
use crate::userfile::stream;

/// A CSV body (RFC 4180, `text/csv`, RFC 7111).
pub struct CsvBody(Body);

impl Payload for CsvBody {
    const CONTENT_TYPE: &'static str = "text/csv; charset=utf-8; header=present";

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema::new("string")))
    }
}

impl IntoResponse for CsvBody {
    fn into_response(self) -> Response {
        Response::builder()
            .content_type(Self::CONTENT_TYPE)
            .body(self.0)
    }
}

#[derive(ApiResponse)]
enum ExportResponse {
    /// The users, one row each after the header row: userName, externalId, email, givenName,
    /// familyName, displayName, title, employeeNumber, department, active, manager (its
    /// userName), groups (names separated by `;`, with `\;` and `\\` inside a name).
    #[oai(status = 200)]
    Csv(
        CsvBody,
        /// `attachment; filename="<directory>-users.csv"`.
        #[oai(header = "Content-Disposition")]
        String,
    ),
}

/// The export endpoints.
pub struct ExportApi;

#[OpenApi(tag = "ApiTags::Users")]
impl ExportApi {
    /// The directory's users as CSV, in creation order: the columns `scimd import users` reads,
    /// so an export edited and imported again changes only what was edited. Streamed; archived
    /// users are not included.
    #[oai(path = "/directories/:directory/users.csv", method = "get")]
    async fn users_csv(
        &self,
        auth: AdminAuth,
        state: Data<&Arc<AppState>>,
        directory: Path<String>,
        /// Only users in this state: `active`, `inactive` or `suspended`; all without it.
        #[oai(name = "state")]
        user_state: Query<Option<String>>,
        /// Only users the listing's search `q` finds (a prefix of userName, given or family
        /// name, displayName, an email or externalId).
        q: Query<Option<String>>,
    ) -> Result<ExportResponse, ApiErrorResponse> {
        let ctx = state.service.enter(&auth.0, &directory).await?;
        let export = state
            .service
            .export_users(&ctx, user_state.0.as_deref(), q.0.as_deref())?;
        let disposition = format!("attachment; filename=\"{}-users.csv\"", ctx.directory);
        Ok(ExportResponse::Csv(
            CsvBody(Body::from_bytes_stream(stream::users_csv(export))),
            disposition,
        ))
    }
}
