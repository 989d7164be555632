//! `/admin/directories/{d}/users/{id}`: one user — attributes, groups (direct and inherited),
//! effective roles with their sources, state history and events (who changed what) — and the
//! actions that apply to its state: suspend with a reason, unsuspend, restore, purge.

use maud::{Markup, html};
use poem::http::{StatusCode, header};
use poem::web::Path;
use poem::{Body, Request, Response, handler};
use serde_json::Value;

use super::users::state_badge;
use crate::console::layout::{self, Frame};
use crate::console::session::SignedIn;
use crate::console::{ConsoleError, csrf};
use crate::service::Kind;

/// Event types that change a user's state, for its state history.
const STATE_EVENTS: [&str; 8] = [
    "user.created",
    "user.deactivated",
    "user.reactivated",
    "user.suspended",
    "user.unsuspended",
    "user.deleted",
    "user.restored",
    "user.purged",
];

/// `GET /admin/directories/{d}/users/{id}`.
#[handler]
pub async fn page(
    req: &Request,
    Path((d, id)): Path<(String, String)>,
) -> Result<Response, ConsoleError> {
    let signed_in = SignedIn::require(req).await?;
    let ctx = signed_in.enter(&d).await?;
    let user = signed_in.service().user_detail(&ctx, &id).await?;
    let s = &user.summary;
    let action = |name: &str| format!("/admin/directories/{d}/users/{id}/{name}");
    let csrf_field = csrf::field(&signed_in.session.csrf);
    let history: Vec<&Value> = user
        .events
        .iter()
        .filter(|e| STATE_EVENTS.contains(&e["type"].as_str().unwrap_or("")))
        .collect();
    let body = html! {
        dl.facts {
            dt { "State" } dd #state { (state_badge(&s.state)) }
            dt { "userName" } dd { (s.user_name) }
            dt { "Email" } dd { (s.email.as_deref().unwrap_or("")) }
            dt { "Source" } dd { (s.source) }
            dt { "Id" } dd { code { (s.id) } }
        }
        @if let Some(suspension) = &user.suspension {
            p.note {
                "Suspended " (layout::time(suspension.at)) " by " (actor(&suspension.by))
                @if !suspension.reason.is_empty() { ": " (suspension.reason) }
            }
        }
        @if let Some((at, by, purge_after)) = &user.archived {
            p.note {
                "Deleted " (layout::time(*at)) " by " (actor(by)) "; purged for good after "
                (layout::time(*purge_after)) " unless restored."
            }
        }
        section #actions {
            h2 { "Actions" }
            @match s.state.as_str() {
                "archived" => {
                    form.inline method="post" action=(action("restore")) {
                        (csrf_field) button #restore type="submit" { "Restore" }
                    }
                    " "
                    form.inline method="post" action=(action("purge")) {
                        (csrf_field) button #purge.danger type="submit" { "Purge now" }
                    }
                }
                "suspended" => {
                    form method="post" action=(action("unsuspend")) {
                        (csrf_field) button #unsuspend type="submit" { "Unsuspend" }
                    }
                }
                _ => {
                    form method="post" action=(action("suspend")) {
                        (csrf_field)
                        div.field {
                            label for="reason" { "Reason" }
                            input #reason type="text" name="reason" maxlength="500";
                        }
                        button #suspend type="submit" { "Suspend" }
                    }
                }
            }
            p.muted {
                "Name, emails and active come from the identity provider and are changed there; \
                 a suspension here is local and the provider's updates do not lift it."
            }
        }
        h2 { "Groups" }
        ul #groups {
            @for g in &user.groups {
                li {
                    a href={ "/admin/directories/" (d) "/groups/" (g.id) } { (g.display_name) }
                    @if !g.direct { span.muted { " (through a nested group)" } }
                }
            }
        }
        @if user.groups.is_empty() { p.muted { "In no group." } }
        h2 { "Effective roles" }
        ul #roles {
            @for r in &user.roles {
                li {
                    strong { (r.role) } " — from "
                    @if r.from_scim { "the identity provider's roles" @if !r.groups.is_empty() { ", " } }
                    @if !r.groups.is_empty() { "group " (r.groups.join(", ")) }
                }
            }
        }
        @if user.roles.is_empty() { p.muted { "No role." } }
        h2 { "State history" }
        ul.events #history {
            @for e in &history { li { (event_line(e)) } }
        }
        h2 { "Events" }
        ul.events #events {
            @for e in &user.events { li { (event_line(e)) (changes(e)) } }
        }
        p { a href={ "/admin/events?directory=" (d) "&user=" (s.id) } { "All events of this user" } }
        h2 { "Attributes" }
        pre #attributes { (serde_json::to_string_pretty(&user.scim).unwrap_or_default()) }
    };
    Ok(layout::ok(
        &Frame::new(&s.display_name, &signed_in).in_directory(&d, "users"),
        body,
    ))
}

/// `POST /admin/directories/{d}/users/{id}/{action}`: suspend (with `reason`), unsuspend,
/// restore or purge; back to the user (to the archived list after a purge).
#[handler]
pub async fn act(
    req: &Request,
    Path((d, id, action)): Path<(String, String, String)>,
    body: Body,
) -> Result<Response, ConsoleError> {
    let (signed_in, form) = csrf::posted(req, body).await?;
    let ctx = signed_in.enter(&d).await?;
    let service = signed_in.service();
    let user_page = format!("/admin/directories/{d}/users/{id}");
    let next = match action.as_str() {
        "suspend" => {
            service
                .suspend(&ctx, &id, form.get("reason").unwrap_or(""))
                .await?;
            user_page
        }
        "unsuspend" => {
            service.unsuspend(&ctx, &id).await?;
            user_page
        }
        "restore" => {
            service.restore(&ctx, Kind::User, &id).await?;
            user_page
        }
        "purge" => {
            service.purge(&ctx, Kind::User, &id).await?;
            format!("/admin/directories/{d}/users?state=archived")
        }
        _ => return Err(ConsoleError::NotFound("There is no such action.".into())),
    };
    Ok(Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, next)
        .finish())
}

/// Who an event's actor is, for people.
pub fn actor(actor: &Value) -> String {
    match actor["type"].as_str() {
        Some("token") => format!("token {}", actor["name"].as_str().unwrap_or("?")),
        Some("cli") => "the command line".into(),
        Some("system") => "scimd".into(),
        _ => actor.to_string(),
    }
}

/// One event: its type, when and who.
pub fn event_line(e: &Value) -> Markup {
    html! {
        span.event-type { (e["type"].as_str().unwrap_or("")) }
        " " (occurred_at(e))
        " by " span.actor { (actor(&e["actor"])) }
    }
}

/// When an event occurred, as pages show times.
pub fn occurred_at(e: &Value) -> Markup {
    let at = e["occurred_at"].as_str().unwrap_or("");
    match chrono::DateTime::parse_from_rfc3339(at) {
        Ok(t) => layout::time(t.with_timezone(&chrono::Utc)),
        Err(_) => html! { (at) },
    }
}

/// The attributes an event changed, old and new, when it records them.
pub fn changes(e: &Value) -> Markup {
    let Some(previous) = e["previous_attributes"].as_object() else {
        return html! {};
    };
    html! {
        ul.changes {
            @for (name, old) in previous {
                li {
                    code { (name) } ": " (short(old)) " → " (short(&e["data"][name]))
                }
            }
        }
    }
}

/// A JSON value in one short line.
fn short(v: &Value) -> String {
    let text = match v {
        Value::Null => "(none)".to_owned(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if text.chars().count() > 120 {
        format!("{}…", text.chars().take(120).collect::<String>())
    } else {
        text
    }
}
