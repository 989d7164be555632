//! Webhook endpoints as the host application manages them (the `/api/v1/webhooks` API and
//! `scimd webhook`): register, list, remove, read the delivery log, replay, rotate the secret.
//! Delivery itself is the dispatcher's (`crate::webhooks`); this module only changes what it
//! reads. Webhooks, like the event feed, see the events of every directory, unless one is
//! limited to a single directory when it is registered (it is then removed with it).

use chrono::{DateTime, Duration, Utc};

use super::changes::EVENT_TYPES;
use super::feed::{event_id, parse_event_id};
use super::{Context, Service, ServiceError};
use crate::store::events;
use crate::store::webhooks::{self, DeliveryRow, KEEP_DELIVERIES, NewWebhook, WebhookRow};

/// The grace period of a rotation when the request names none: a day in which receivers can
/// switch to the new secret while the old one still verifies.
pub const DEFAULT_GRACE_SECONDS: i64 = 86_400;
/// The longest grace period accepted (a week).
pub const MAX_GRACE_SECONDS: i64 = 7 * 86_400;
/// Delivery log entries returned when the request names no limit.
pub const DEFAULT_DELIVERIES: i64 = 100;
/// The longest URL accepted.
const MAX_URL_LENGTH: usize = 2048;

/// An endpoint as the API and the CLI show it (never its secret).
#[derive(Debug, Clone)]
pub struct Webhook {
    pub id: String,
    pub url: String,
    /// The event types it receives; all when `None`.
    pub types: Option<Vec<String>>,
    /// The one directory whose events it receives; every directory's when `None`.
    pub directory: Option<String>,
    /// `active`, or `failing` once its retry schedule ran out (until a replay).
    pub state: String,
    /// Failed attempts at the next event.
    pub failures: i64,
    /// The id of the last event delivered or skipped; delivery continues after it.
    pub delivered_through: String,
    pub next_attempt: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub created: DateTime<Utc>,
    /// Until when the secret before the last rotation still signs.
    pub previous_secret_expires: Option<DateTime<Utc>>,
}

/// A new endpoint and its secret, shown only this once.
#[derive(Debug, Clone)]
pub struct CreatedWebhook {
    pub webhook: Webhook,
    pub secret: String,
}

/// A rotated secret, shown only this once.
#[derive(Debug, Clone)]
pub struct RotatedSecret {
    pub secret: String,
    /// Until when the old secret also signs; `None` with a grace period of 0.
    pub previous_secret_expires: Option<DateTime<Utc>>,
}

/// One delivery attempt from the log.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub event: String,
    /// 1 for the first attempt at this event.
    pub attempt: i64,
    /// `delivered` or `failed`.
    pub outcome: String,
    pub response_code: Option<i64>,
    /// The start of the response body (at most 64 KiB).
    pub response_body: Option<String>,
    pub duration_ms: i64,
    pub error: Option<String>,
    pub attempted_at: DateTime<Utc>,
}

impl From<WebhookRow> for Webhook {
    fn from(row: WebhookRow) -> Self {
        Webhook {
            id: row.id,
            url: row.url,
            types: row.types.map(|t| t.0),
            directory: row.tenant_id,
            state: row.state,
            failures: row.failures,
            delivered_through: event_id(row.delivered_through),
            next_attempt: row.next_attempt,
            last_error: row.last_error,
            created: row.created,
            previous_secret_expires: row.previous_secret_expires,
        }
    }
}

impl From<DeliveryRow> for Delivery {
    fn from(row: DeliveryRow) -> Self {
        Delivery {
            event: event_id(row.event_position),
            attempt: row.attempt,
            outcome: row.outcome,
            response_code: row.response_code,
            response_body: row.response_body,
            duration_ms: row.duration_ms,
            error: row.error,
            attempted_at: row.attempted_at,
        }
    }
}

impl Service {
    /// Registers `url` for events of `types` (all when `None` or empty), of `directory` only
    /// if one is named (`NotFound` if it does not exist). It receives events committed from now
    /// on.
    pub async fn create_webhook(
        &self,
        ctx: &Context,
        url: &str,
        types: Option<&[String]>,
        directory: Option<&str>,
    ) -> Result<CreatedWebhook, ServiceError> {
        let url = check_url(url)?;
        let types = check_types(types.unwrap_or_default())?;
        let directory = match directory.map(str::trim) {
            None | Some("") => None,
            Some(d) => Some(self.enter(ctx, d).await?.directory),
        };
        let id = format!("wh_{}", uuid::Uuid::new_v4().simple());
        let secret = new_secret();
        // Number the events already committed, so "from now on" means after them.
        events::sequence(&self.db).await?;
        let horizon = events::horizon(&self.db).await?;
        let row = webhooks::insert(
            &self.db,
            &NewWebhook {
                id: &id,
                url: &url,
                types: (!types.is_empty()).then_some(types.as_slice()),
                directory: directory.as_deref(),
                secret: &secret,
                created: ctx.now(),
                delivered_through: horizon.last_position,
            },
        )
        .await?;
        Ok(CreatedWebhook {
            webhook: row.into(),
            secret,
        })
    }

    /// Every endpoint, oldest first.
    pub async fn webhooks(&self, _ctx: &Context) -> Result<Vec<Webhook>, ServiceError> {
        let rows = webhooks::list(&self.db).await?;
        Ok(rows.into_iter().map(Webhook::from).collect())
    }

    /// Per endpoint id, the events after its cursor it has yet to receive or skip (for
    /// `/metrics`).
    pub async fn webhook_backlog(&self) -> Result<Vec<(String, i64)>, ServiceError> {
        let rows = webhooks::backlog(&self.db).await?;
        Ok(rows.into_iter().map(|(id, n)| (id, n.max(0))).collect())
    }

    /// Removes an endpoint; a delivery in flight is its last.
    pub async fn delete_webhook(&self, _ctx: &Context, id: &str) -> Result<(), ServiceError> {
        if webhooks::delete(&self.db, id).await? {
            Ok(())
        } else {
            Err(not_found(id))
        }
    }

    /// The endpoint's most recent delivery attempts, newest first (`limit` 1 to 1000, default
    /// 100).
    pub async fn webhook_deliveries(
        &self,
        _ctx: &Context,
        id: &str,
        limit: Option<i64>,
    ) -> Result<Vec<Delivery>, ServiceError> {
        let limit = limit.unwrap_or(DEFAULT_DELIVERIES);
        if !(1..=KEEP_DELIVERIES).contains(&limit) {
            return Err(ServiceError::invalid(
                "invalidValue",
                format!("limit must be between 1 and {KEEP_DELIVERIES}"),
            ));
        }
        if webhooks::get(&self.db, id).await?.is_none() {
            return Err(not_found(id));
        }
        let rows = webhooks::deliveries(&self.db, id, limit).await?;
        Ok(rows.into_iter().map(Delivery::from).collect())
    }

    /// Restarts delivery after the event `after` (events after it are delivered again) and
    /// makes a `failing` endpoint active again.
    pub async fn replay_webhook(
        &self,
        _ctx: &Context,
        id: &str,
        after: &str,
    ) -> Result<Webhook, ServiceError> {
        let position = parse_event_id(after.trim()).ok_or_else(|| {
            ServiceError::invalid(
                "invalidValue",
                format!("after \"{after}\" is not an event id this server issued"),
            )
        })?;
        let horizon = events::horizon(&self.db).await?;
        if position > horizon.last_position {
            return Err(ServiceError::invalid(
                "invalidValue",
                format!("after \"{after}\" is later than the last event"),
            ));
        }
        if position < horizon.pruned_through {
            return Err(ServiceError::Gone(format!(
                "events up to {} were removed by retention; replay after a later event",
                event_id(horizon.pruned_through)
            )));
        }
        let row = webhooks::replay(&self.db, id, position)
            .await?
            .ok_or_else(|| not_found(id))?;
        Ok(row.into())
    }

    /// Gives the endpoint a new secret. For `grace_seconds` (default a day) deliveries carry a
    /// signature with the old secret too.
    pub async fn rotate_webhook_secret(
        &self,
        ctx: &Context,
        id: &str,
        grace_seconds: Option<i64>,
    ) -> Result<RotatedSecret, ServiceError> {
        let grace = grace_seconds.unwrap_or(DEFAULT_GRACE_SECONDS);
        if !(0..=MAX_GRACE_SECONDS).contains(&grace) {
            return Err(ServiceError::invalid(
                "invalidValue",
                format!("grace_period_seconds must be between 0 and {MAX_GRACE_SECONDS}"),
            ));
        }
        let secret = new_secret();
        let expires = (grace > 0).then(|| ctx.now() + Duration::seconds(grace));
        if !webhooks::rotate_secret(&self.db, id, &secret, expires).await? {
            return Err(not_found(id));
        }
        Ok(RotatedSecret {
            secret,
            previous_secret_expires: expires,
        })
    }
}

fn not_found(id: &str) -> ServiceError {
    ServiceError::NotFound {
        resource: "webhook",
        id: id.to_owned(),
    }
}

/// A random secret: 32 bytes from the thread's CSPRNG, hex, with a prefix that says what it is.
fn new_secret() -> String {
    format!("whsec_{}", hex::encode(rand::random::<[u8; 32]>()))
}

/// An absolute `http` or `https` URL with a host, as the dispatcher's client will parse it.
fn check_url(url: &str) -> Result<String, ServiceError> {
    let invalid = |why: &str| ServiceError::invalid("invalidValue", format!("url {why}"));
    let url = url.trim();
    if url.len() > MAX_URL_LENGTH {
        return Err(invalid(&format!(
            "is longer than {MAX_URL_LENGTH} characters"
        )));
    }
    let parsed = reqwest::Url::parse(url)
        .map_err(|e| invalid(&format!("\"{url}\" is not an absolute URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(invalid(&format!(
            "\"{url}\" must start with http:// or https://"
        )));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(invalid(&format!("\"{url}\" names no host")));
    }
    Ok(parsed.to_string())
}

/// Known event types, each once, in the order given.
fn check_types(types: &[String]) -> Result<Vec<String>, ServiceError> {
    let mut checked: Vec<String> = Vec::new();
    for t in types.iter().map(|t| t.trim()) {
        if !EVENT_TYPES.contains(&t) {
            return Err(ServiceError::invalid(
                "invalidValue",
                format!(
                    "unknown event type \"{t}\"; known: {}",
                    EVENT_TYPES.join(", ")
                ),
            ));
        }
        if !checked.iter().any(|c| c == t) {
            checked.push(t.to_owned());
        }
    }
    Ok(checked)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_absolute_http_and_https_urls_are_accepted() {
        for (url, ok, reason) in [
            ("https://app.example.com/hooks/scim", true, "https"),
            ("http://127.0.0.1:9000/h", true, "http with a port"),
            ("  https://example.com  ", true, "surrounding spaces"),
            ("ftp://example.com/h", false, "another scheme"),
            ("file:///etc/passwd", false, "a file URL"),
            ("/hooks/scim", false, "a relative URL"),
            ("https://", false, "no host"),
            ("example.com/h", false, "no scheme"),
        ] {
            assert_eq!(check_url(url).is_ok(), ok, "{reason}: {url}");
        }
    }

    #[test]
    fn types_are_known_event_types_without_repeats() {
        let types = |t: &[&str]| check_types(&t.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(
            types(&["user.deleted", "user.deactivated", "user.deleted"]).unwrap(),
            vec!["user.deleted", "user.deactivated"]
        );
        assert!(types(&["user.exploded"]).is_err());
        assert!(
            types(&["user.created,user.deleted"]).is_err(),
            "one type each"
        );
        assert!(types(&[]).unwrap().is_empty());
    }

    #[test]
    fn secrets_are_random_and_prefixed() {
        let (a, b) = (new_secret(), new_secret());
        assert_ne!(a, b);
        assert!(a.starts_with("whsec_") && a.len() == 6 + 64, "{a}");
    }
}
