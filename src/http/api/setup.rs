//! `GET /api/v1/directories/{id}/setup`: what an IT admin needs to connect an identity provider
//! to a directory, and whether the connection works (see `service::setup`).

use std::sync::Arc;

use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::types::Example;
use poem_openapi::{Object, OpenApi};

use super::ApiTags;
use super::error::ApiErrorResponse;
use crate::http::AppState;
use crate::http::auth::AdminAuth;
use crate::scim::resource::format_time;
use crate::service::idp_guides::{self, Guide, Setting};
use crate::service::setup::Setup;
use crate::store::scim_requests::SeenRequest;

/// How to connect an identity provider to the directory, and whether it is connected.
#[derive(Debug, Object)]
#[oai(example)]
pub struct SetupBody {
    pub directory: String,
    /// The URL to enter in the identity provider.
    pub scim_base_url: String,
    pub tokens: TokenSummary,
    pub connection: ConnectionBody,
    /// Okta, then Microsoft Entra ID.
    pub identity_providers: Vec<GuideBody>,
    /// The newest SCIM requests the directory received (at most 100), newest first.
    pub recent_requests: Vec<RecentRequest>,
}

/// The directory's SCIM tokens at a glance (manage them under `/tokens`).
#[derive(Debug, Object)]
pub struct TokenSummary {
    /// Tokens that work now: active, or rotated and in their grace period.
    pub working: i64,
    /// The last time any of its tokens was used, to the minute; `null` if never.
    pub last_used_at: Option<String>,
}

/// Where the connection stands.
#[derive(Debug, Object)]
pub struct ConnectionBody {
    /// `no_token` (create one), `waiting` (no request yet), `working` (the newest request was
    /// answered), `refused` (the newest request had a token this directory refuses: 401/403),
    /// `failing` (the newest request failed on scimd's side: 5xx).
    pub state: String,
    /// What it means and what to do.
    pub message: String,
}

/// One identity provider's steps, with this directory's URL filled in.
#[derive(Debug, Object)]
pub struct GuideBody {
    /// `okta` or `entra`.
    pub id: String,
    pub name: String,
    /// Where in the identity provider the settings go.
    pub intro: String,
    pub settings: Vec<SettingBody>,
    /// How to check the connection afterwards.
    pub check: String,
    /// The whole guide as Markdown.
    pub markdown: String,
}

/// One field of the identity provider's form.
#[derive(Debug, Object)]
pub struct SettingBody {
    /// Its label in the identity provider.
    pub field: String,
    /// What to enter, when it is a fixed text.
    pub value: Option<String>,
    /// How to get or choose the value.
    pub hint: Option<String>,
}

/// A SCIM request the directory received.
#[derive(Debug, Object)]
pub struct RecentRequest {
    pub at: String,
    pub method: String,
    /// The path as requested, without the query string (filters may carry personal data).
    pub path: String,
    pub status: i64,
    pub duration_ms: i64,
}

impl From<Setup> for SetupBody {
    fn from(s: Setup) -> Self {
        SetupBody {
            directory: s.directory,
            scim_base_url: s.scim_base_url,
            tokens: TokenSummary {
                working: i64::try_from(s.working_tokens).unwrap_or(i64::MAX),
                last_used_at: s.tokens_last_used.map(format_time),
            },
            connection: ConnectionBody {
                state: s.connection.state.to_owned(),
                message: s.connection.message,
            },
            identity_providers: s.guides.into_iter().map(GuideBody::from).collect(),
            recent_requests: s
                .recent_requests
                .into_iter()
                .map(RecentRequest::from)
                .collect(),
        }
    }
}

impl From<Guide> for GuideBody {
    fn from(g: Guide) -> Self {
        GuideBody {
            markdown: g.markdown(),
            id: g.id.to_owned(),
            name: g.name.to_owned(),
            intro: g.intro.to_owned(),
            settings: g.settings.into_iter().map(SettingBody::from).collect(),
            check: g.check.to_owned(),
        }
    }
}

impl From<Setting> for SettingBody {
    fn from(s: Setting) -> Self {
        SettingBody {
            field: s.field.to_owned(),
            value: s.value,
            hint: s.hint,
        }
    }
}

impl From<SeenRequest> for RecentRequest {
    fn from(r: SeenRequest) -> Self {
        RecentRequest {
            at: format_time(r.at),
            method: r.method,
            path: r.path,
            status: r.status,
            duration_ms: r.duration_ms,
        }
    }
}

impl Example for SetupBody {
    fn example() -> Self {
        let url = "https://scim.example.com/directories/acme/scim/v2";
        SetupBody {
            directory: "acme".into(),
            scim_base_url: url.into(),
            tokens: TokenSummary {
                working: 1,
                last_used_at: Some("2026-12-05T10:02:00.000Z".into()),
            },
            connection: ConnectionBody {
                state: "working".into(),
                message: "The identity provider reaches this directory: the last request (GET \
                          /directories/acme/scim/v2/Users) was answered 200."
                    .into(),
            },
            identity_providers: idp_guides::guides(url, "acme")
                .into_iter()
                .map(GuideBody::from)
                .collect(),
            recent_requests: vec![RecentRequest {
                at: "2026-12-05T10:02:17.004Z".into(),
                method: "GET".into(),
                path: "/directories/acme/scim/v2/Users".into(),
                status: 200,
                duration_ms: 4,
            }],
        }
    }
}

/// The setup endpoint.
pub struct SetupApi;

#[OpenApi(tag = "ApiTags::Directories")]
impl SetupApi {
    /// Everything an IT admin needs to connect an identity provider to the directory: the SCIM
    /// base URL, whether a working token exists, the Okta and Microsoft Entra ID steps with this
    /// directory's URL filled in, and the last SCIM requests it received (time, method, path,
    /// status, duration), which tell whether the connection works. `404` for an unknown
    /// directory.
    #[oai(path = "/directories/:directory/setup", method = "get")]
    async fn setup(
        &self,
        auth: AdminAuth,
        state: Data<&Arc<AppState>>,
        /// The directory's id.
        directory: Path<String>,
    ) -> Result<Json<SetupBody>, ApiErrorResponse> {
        let ctx = state.service.enter(&auth.0, &directory).await?;
        Ok(Json(state.service.setup(&ctx).await?.into()))
    }
}
