//! `/admin/webhooks`: the endpoints that receive the event feed; add one (its signing secret
//! shown once), and per endpoint its recent deliveries with their status, replay from an event,
//! and removal.

use maud::html;
use poem::http::{StatusCode, header};
use poem::web::Path;
use poem::{Body, Request, Response, handler};

use crate::console::layout::{self, Frame, copyable, time, time_or};
use crate::console::session::SignedIn;
use crate::console::{ConsoleError, csrf};
use crate::service::feed::event_types;
use crate::service::webhooks::CreatedWebhook;

/// Deliveries shown per endpoint.
const DELIVERIES: i64 = 50;

/// `GET /admin/webhooks`.
#[handler]
pub async fn list(req: &Request) -> Result<Response, ConsoleError> {
    let signed_in = SignedIn::require(req).await?;
    list_page(&signed_in, None, None).await
}

async fn list_page(
    signed_in: &SignedIn,
    created: Option<&CreatedWebhook>,
    error: Option<ConsoleError>,
) -> Result<Response, ConsoleError> {
    let hooks = signed_in.service().webhooks(&signed_in.global()).await?;
    let body = html! {
        @if let Some(e) = &error { p role="alert" { (e) } }
        @if let Some(c) = created {
            p role="status" { "Added " (c.webhook.url) "." }
            p.note { "Copy the signing secret now: it is shown only this once." }
            p { (copyable("new-secret", &c.secret)) }
        }
        div.table-wrap {
            table #webhooks {
                thead { tr { th { "URL" } th { "Events" } th { "Directory" } th { "State" } th.optional { "Delivered through" } } }
                tbody {
                    @for h in &hooks {
                        tr data-webhook-id=(h.id) {
                            td { a href={ "/admin/webhooks/" (h.id) } { (h.url) } }
                            td { (h.types.as_ref().map_or("all".to_owned(), |t| t.join(", "))) }
                            td { (h.directory.as_deref().unwrap_or("all")) }
                            td { span class={ "state state-" (h.state) } { (h.state) } }
                            td.optional { code { (h.delivered_through) } }
                        }
                    }
                }
            }
        }
        @if hooks.is_empty() { p.muted { "No webhooks yet." } }
        h2 { "Add a webhook" }
        form method="post" action="/admin/webhooks" {
            (csrf::field(&signed_in.session.csrf))
            div.field {
                label for="url" { "URL" }
                input #url type="url" name="url" required maxlength="2048" placeholder="https://app.example.com/scimd";
            }
            div.field {
                label for="types" { "Event types (none checked: all)" }
                select #types name="types" multiple size="6" {
                    @for t in event_types() { option value=(t) { (t) } }
                }
            }
            div.field {
                label for="directory" { "Only the events of directory (optional)" }
                input #directory type="text" name="directory" maxlength="63";
            }
            button #add-webhook type="submit" { "Add webhook" }
        }
    };
    let mut response = layout::ok(&Frame::new("Webhooks", signed_in), body);
    if let Some(e) = error {
        response.set_status(e.status());
    }
    Ok(response)
}

/// `POST /admin/webhooks`: registers an endpoint.
#[handler]
pub async fn add(req: &Request, body: Body) -> Result<Response, ConsoleError> {
    let (signed_in, form) = csrf::posted(req, body).await?;
    let types = form.all("types");
    match signed_in
        .service()
        .create_webhook(
            &signed_in.global(),
            form.get("url").unwrap_or(""),
            Some(&types),
            form.get("directory"),
        )
        .await
    {
        Ok(created) => list_page(&signed_in, Some(&created), None).await,
        Err(e) => match ConsoleError::from(e) {
            e @ ConsoleError::Internal(_) => Err(e),
            e => list_page(&signed_in, None, Some(e)).await,
        },
    }
}

/// `GET /admin/webhooks/{id}`: one endpoint with its recent deliveries.
#[handler]
pub async fn page(req: &Request, Path(id): Path<String>) -> Result<Response, ConsoleError> {
    let signed_in = SignedIn::require(req).await?;
    let ctx = signed_in.global();
    let service = signed_in.service();
    let hook = service
        .webhooks(&ctx)
        .await?
        .into_iter()
        .find(|h| h.id == id)
        .ok_or_else(|| ConsoleError::NotFound(format!("webhook \"{id}\" not found")))?;
    let deliveries = service
        .webhook_deliveries(&ctx, &id, Some(DELIVERIES))
        .await?;
    let csrf_field = csrf::field(&signed_in.session.csrf);
    let body = html! {
        dl.facts {
            dt { "URL" } dd { (hook.url) }
            dt { "State" } dd { span class={ "state state-" (hook.state) } { (hook.state) } }
            dt { "Delivered through" } dd { code { (hook.delivered_through) } }
            dt { "Next attempt" } dd { (time_or(hook.next_attempt, "none due")) }
            dt { "Last error" } dd { (hook.last_error.as_deref().unwrap_or("")) }
            dt { "Created" } dd { (time(hook.created)) }
        }
        h2 { "Replay" }
        form method="post" action={ "/admin/webhooks/" (hook.id) "/replay" } {
            (csrf_field)
            div.field {
                label for="after" { "Deliver again every event after (an event id, e.g. evt_…)" }
                input #after type="text" name="after" required value=(hook.delivered_through);
            }
            button #replay type="submit" { "Replay" }
        }
        h2 { "Recent deliveries" }
        div.table-wrap {
            table #deliveries {
                thead { tr { th { "At" } th { "Event" } th { "Attempt" } th { "Outcome" } th { "Status" } th.optional { "Took" } th.optional { "Error" } } }
                tbody {
                    @for d in &deliveries {
                        tr {
                            td { (time(d.attempted_at)) }
                            td { code { (d.event) } }
                            td { (d.attempt) }
                            td { span class={ "state state-" (d.outcome) } { (d.outcome) } }
                            td { (d.response_code.map(|c| c.to_string()).unwrap_or_default()) }
                            td.optional { (d.duration_ms) " ms" }
                            td.optional { (d.error.as_deref().unwrap_or("")) }
                        }
                    }
                }
            }
        }
        @if deliveries.is_empty() { p.muted { "No delivery yet." } }
        h2 { "Remove" }
        form method="post" action={ "/admin/webhooks/" (hook.id) "/remove" } {
            (csrf_field)
            button #remove.danger type="submit" { "Remove this webhook" }
        }
    };
    Ok(layout::ok(&Frame::new("Webhook", &signed_in), body))
}

/// `POST /admin/webhooks/{id}/replay` (with `after`) or `/remove`.
#[handler]
pub async fn act(
    req: &Request,
    Path((id, action)): Path<(String, String)>,
    body: Body,
) -> Result<Response, ConsoleError> {
    let (signed_in, form) = csrf::posted(req, body).await?;
    let ctx = signed_in.global();
    let service = signed_in.service();
    let next = match action.as_str() {
        "replay" => {
            service
                .replay_webhook(&ctx, &id, form.get("after").unwrap_or(""))
                .await?;
            format!("/admin/webhooks/{id}")
        }
        "remove" => {
            service.delete_webhook(&ctx, &id).await?;
            "/admin/webhooks".to_owned()
        }
        _ => return Err(ConsoleError::NotFound("There is no such action.".into())),
    };
    Ok(Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, next)
        .finish())
}
