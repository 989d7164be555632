//! `GET /api/v1/directories/{directory}/users.csv`: a directory's users as the CSV that
//! `scimd export users` writes and `scimd import users` reads. The body is streamed a page of
//! users at a time, pulled as the client reads, so a million users never sit in memory; a
//! database failure halfway aborts the response instead of ending it as if it were complete.

use std::io;
use std::sync::Arc;

use futures_util::Stream;
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
use crate::service::transfer::UserExport;
use crate::userfile::{Format, write};

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
    ) -> Result<ExportResponse, ApiErrorResponse> {
        let ctx = state.service.enter(&auth.0, &directory).await?;
        let export = state.service.export_users(&ctx, user_state.0.as_deref())?;
        let disposition = format!("attachment; filename=\"{}-users.csv\"", ctx.directory);
        Ok(ExportResponse::Csv(
            CsvBody(Body::from_bytes_stream(csv_stream(export))),
            disposition,
        ))
    }
}

/// The header row, then a chunk per page of users.
fn csv_stream(export: UserExport) -> impl Stream<Item = io::Result<Vec<u8>>> + Send + 'static {
    futures_util::stream::unfold(Some((export, true)), |state| async move {
        let (mut export, first) = state?;
        if first {
            let header = write::user_header(Format::Csv);
            return Some((header, Some((export, false))));
        }
        match export.next_page().await {
            Ok(Some(page)) => {
                let rows = write::users(Format::Csv, &page);
                Some((rows, Some((export, false))))
            }
            Ok(None) => None,
            Err(e) => {
                tracing::error!(error = %e, "a users.csv export failed halfway");
                Some((Err(io::Error::other("the export failed")), None))
            }
        }
    })
}
