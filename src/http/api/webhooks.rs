//! `/api/v1/webhooks`: register endpoints that receive every event of the feed as a signed
//! `POST`, list and remove them, read their delivery log, replay, rotate secrets (see
//! `service::webhooks`; delivery is `crate::webhooks`).

use std::sync::Arc;

use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::ApiTags;
use super::error::ApiErrorResponse;
use crate::http::AppState;
use crate::http::auth::AdminAuth;
use crate::scim::resource::format_time;
use crate::service::webhooks::{Delivery, Webhook};

/// A new endpoint.
#[derive(Debug, Object)]
pub struct NewWebhookBody {
    /// Where events are POSTed: an `http://` or `https://` URL.
    pub url: String,
    /// Only these event types (e.g. `["user.deactivated", "user.deleted"]`); all without it.
    pub types: Option<Vec<String>>,
    /// Only this directory's events (its id, e.g. `acme`); every directory's without it. `404`
    /// if there is no such directory. The endpoint is removed when its directory is deleted.
    pub directory: Option<String>,
}

/// A registered endpoint with its secret, which is shown only in this response.
#[derive(Debug, Object)]
pub struct CreatedWebhookBody {
    pub id: String,
    pub url: String,
    /// The event types it receives; `null` for all.
    pub types: Option<Vec<String>>,
    /// The one directory whose events it receives; `null` for every directory.
    pub directory: Option<String>,
    /// The key of the `scimd-signature` HMAC. Store it now: it is never shown again.
    pub secret: String,
}

/// An endpoint and where its delivery stands.
#[derive(Debug, Object)]
pub struct WebhookBody {
    pub id: String,
    pub url: String,
    /// The event types it receives; `null` for all.
    pub types: Option<Vec<String>>,
    /// The one directory whose events it receives; `null` for every directory.
    pub directory: Option<String>,
    /// `active`, or `failing` when its retries ran out: it then waits for a replay.
    pub state: String,
    /// Failed attempts at its next event.
    pub failures: i64,
    /// The last event delivered (or skipped as another type); delivery continues after it.
    pub delivered_through: String,
    /// When the next attempt is due after a failure.
    pub next_attempt_at: Option<String>,
    pub last_error: Option<String>,
    pub created_at: String,
    /// Until when deliveries are also signed with the secret before the last rotation.
    pub previous_secret_expires_at: Option<String>,
}

/// The endpoints.
#[derive(Debug, Object)]
pub struct WebhookList {
    pub data: Vec<WebhookBody>,
}

/// One delivery attempt.
#[derive(Debug, Object)]
pub struct DeliveryBody {
    /// The event's id.
    pub event: String,
    /// 1 for the first attempt at this event.
    pub attempt: i64,
    /// `delivered` or `failed`.
    pub outcome: String,
    /// The receiver's HTTP status, if it answered.
    pub response_code: Option<i64>,
    /// The start of the receiver's response body (at most 64 KiB).
    pub response_body: Option<String>,
    pub duration_ms: i64,
    pub error: Option<String>,
    pub attempted_at: String,
}

/// Recent delivery attempts, newest first.
#[derive(Debug, Object)]
pub struct DeliveryList {
    pub data: Vec<DeliveryBody>,
}

/// Where a replay restarts.
#[derive(Debug, Object)]
pub struct ReplayBody {
    /// Deliver again every event after this event id.
    pub after: String,
}

/// How long the old secret keeps signing.
#[derive(Debug, Object)]
pub struct RotateBody {
    /// Seconds during which deliveries carry signatures with both secrets (default 86400, at
    /// most 604800; 0 drops the old secret at once).
    pub grace_period_seconds: Option<i64>,
}

/// A new secret, shown only in this response.
#[derive(Debug, Object)]
pub struct RotatedSecretBody {
    pub secret: String,
    /// Until when the old secret also signs.
    pub previous_secret_expires_at: Option<String>,
}

#[derive(ApiResponse)]
enum CreateResponse {
    /// Registered: it receives the events committed from now on.
    #[oai(status = 201)]
    Created(Json<CreatedWebhookBody>),
}

#[derive(ApiResponse)]
enum DeleteResponse {
    /// Removed, with its delivery log.
    #[oai(status = 204)]
    Deleted,
}

impl From<Webhook> for WebhookBody {
    fn from(w: Webhook) -> Self {
        WebhookBody {
            id: w.id,
            url: w.url,
            types: w.types,
            directory: w.directory,
            state: w.state,
            failures: w.failures,
            delivered_through: w.delivered_through,
            next_attempt_at: w.next_attempt.map(format_time),
            last_error: w.last_error,
            created_at: format_time(w.created),
            previous_secret_expires_at: w.previous_secret_expires.map(format_time),
        }
    }
}

impl From<Delivery> for DeliveryBody {
    fn from(d: Delivery) -> Self {
        DeliveryBody {
            event: d.event,
            attempt: d.attempt,
            outcome: d.outcome,
            response_code: d.response_code,
            response_body: d.response_body,
            duration_ms: d.duration_ms,
            error: d.error,
            attempted_at: format_time(d.attempted_at),
        }
    }
}

/// The webhooks endpoints.
pub struct WebhooksApi;

#[OpenApi(tag = "ApiTags::Webhooks")]
impl WebhooksApi {
    /// Registers an endpoint. Each event committed from now on is POSTed to it as JSON (the
    /// same object as in `/events`), in feed order, one at a time, with the headers
    /// `scimd-event-id` and `scimd-signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
    /// "<t>.<body>" keyed with the secret>`. A `2xx` within 10 s counts as delivered; anything
    /// else is retried on the server's retry schedule.
    #[oai(path = "/webhooks", method = "post")]
    async fn create(
        &self,
        auth: AdminAuth,
        state: Data<&Arc<AppState>>,
        body: Json<NewWebhookBody>,
    ) -> Result<CreateResponse, ApiErrorResponse> {
        let created = state
            .service
            .create_webhook(
                &auth.0,
                &body.url,
                body.types.as_deref(),
                body.directory.as_deref(),
            )
            .await?;
        Ok(CreateResponse::Created(Json(CreatedWebhookBody {
            id: created.webhook.id,
            url: created.webhook.url,
            types: created.webhook.types,
            directory: created.webhook.directory,
            secret: created.secret,
        })))
    }

    /// Every endpoint with its state (never its secret).
    #[oai(path = "/webhooks", method = "get")]
    async fn list(
        &self,
        auth: AdminAuth,
        state: Data<&Arc<AppState>>,
    ) -> Result<Json<WebhookList>, ApiErrorResponse> {
        let webhooks = state.service.webhooks(&auth.0).await?;
        Ok(Json(WebhookList {
            data: webhooks.into_iter().map(WebhookBody::from).collect(),
        }))
    }

    /// Removes an endpoint and its delivery log.
    #[oai(path = "/webhooks/:id", method = "delete")]
    async fn delete(
        &self,
        auth: AdminAuth,
        state: Data<&Arc<AppState>>,
        /// The endpoint's id.
        id: Path<String>,
    ) -> Result<DeleteResponse, ApiErrorResponse> {
        state.service.delete_webhook(&auth.0, &id).await?;
        Ok(DeleteResponse::Deleted)
    }

    /// The endpoint's recent delivery attempts, newest first (the last 1000 are kept).
    #[oai(path = "/webhooks/:id/deliveries", method = "get")]
    async fn deliveries(
        &self,
        auth: AdminAuth,
        state: Data<&Arc<AppState>>,
        /// The endpoint's id.
        id: Path<String>,
        /// How many, 1 to 1000 (default 100).
        limit: Query<Option<i64>>,
    ) -> Result<Json<DeliveryList>, ApiErrorResponse> {
        let deliveries = state
            .service
            .webhook_deliveries(&auth.0, &id, limit.0)
            .await?;
        Ok(Json(DeliveryList {
            data: deliveries.into_iter().map(DeliveryBody::from).collect(),
        }))
    }

    /// Delivers again every event after `after`, in order, and makes a `failing` endpoint
    /// active again. `410` when those events were removed by retention.
    #[oai(path = "/webhooks/:id/replay", method = "post")]
    async fn replay(
        &self,
        auth: AdminAuth,
        state: Data<&Arc<AppState>>,
        /// The endpoint's id.
        id: Path<String>,
        body: Json<ReplayBody>,
    ) -> Result<Json<WebhookBody>, ApiErrorResponse> {
        let webhook = state
            .service
            .replay_webhook(&auth.0, &id, &body.after)
            .await?;
        Ok(Json(webhook.into()))
    }

    /// Gives the endpoint a new secret, shown only in this response. During the grace period
    /// `scimd-signature` carries a second `v1=` made with the old secret, so receivers can
    /// switch without losing events.
    #[oai(path = "/webhooks/:id/rotate-secret", method = "post")]
    async fn rotate_secret(
        &self,
        auth: AdminAuth,
        state: Data<&Arc<AppState>>,
        /// The endpoint's id.
        id: Path<String>,
        body: Json<Option<RotateBody>>,
    ) -> Result<Json<RotatedSecretBody>, ApiErrorResponse> {
        let grace = body.0.and_then(|b| b.grace_period_seconds);
        let rotated = state
            .service
            .rotate_webhook_secret(&auth.0, &id, grace)
            .await?;
        Ok(Json(RotatedSecretBody {
            secret: rotated.secret,
            previous_secret_expires_at: rotated.previous_secret_expires.map(format_time),
        }))
    }
}
