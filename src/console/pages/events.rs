//! `/admin/events?directory=&type=&user=&before=`: the event feed, newest first, filtered by
//! directory, type and user, in pages.

use maud::html;
use poem::{Request, Response, handler};

use super::user::{actor, changes, occurred_at};
use crate::console::ConsoleError;
use crate::console::form::{Fields, query_string};
use crate::console::layout::{self, Frame};
use crate::console::session::SignedIn;
use crate::service::feed::{FeedRequest, event_types};

/// Events per page.
const PAGE_SIZE: i64 = 50;

/// `GET /admin/events`.
#[handler]
pub async fn feed(req: &Request) -> Result<Response, ConsoleError> {
    let signed_in = SignedIn::require(req).await?;
    let query = Fields::query(req.uri().query());
    let directory = query.get("directory").unwrap_or("");
    let kind = query.get("type").unwrap_or("");
    let user = query.get("user").unwrap_or("");
    let page = signed_in
        .service()
        .recent_events(
            &signed_in.global(),
            &FeedRequest {
                after: query.get("before").map(str::to_owned),
                limit: Some(PAGE_SIZE),
                types: Some(kind.to_owned()),
                resource: Some(user.to_owned()),
                directory: Some(directory.to_owned()),
                wait: None,
            },
        )
        .await?;
    let filters = [("directory", directory), ("type", kind), ("user", user)];
    let body = html! {
        form.toolbar method="get" action="/admin/events" role="search" {
            div {
                label for="directory" { "Directory" }
                input #directory type="text" name="directory" value=(directory) maxlength="63";
            }
            div {
                label for="type" { "Type" }
                select #type name="type" {
                    option value="" { "any" }
                    @for t in event_types() {
                        option value=(t) selected[*t == kind] { (t) }
                    }
                }
            }
            div {
                label for="user" { "User or group id" }
                input #user type="text" name="user" value=(user) maxlength="64";
            }
            button type="submit" { "Show" }
        }
        div.table-wrap {
            table #events {
                thead { tr { th { "When" } th { "Event" } th { "Directory" } th { "Resource" } th { "By" } } }
                tbody {
                    @for e in &page.data {
                        tr.event data-event-id=(e["id"].as_str().unwrap_or("")) {
                            td { (occurred_at(e)) }
                            td { span.event-type { (e["type"].as_str().unwrap_or("")) } (changes(e)) }
                            td { (e["directory"].as_str().unwrap_or("")) }
                            td { (resource(e)) }
                            td { (actor(&e["actor"])) }
                        }
                    }
                }
            }
        }
        @if page.data.is_empty() { p.muted { "No events." } }
        @if let Some(older) = &page.after {
            p {
                a #older href={ "/admin/events" (query_string(filters.into_iter().chain([("before", older.as_str())]))) } {
                    "Older events"
                }
            }
        }
    };
    let mut frame = Frame::new("Events", &signed_in);
    if !directory.is_empty() {
        frame = frame.in_directory(directory, "events");
    }
    Ok(layout::ok(&frame, body))
}

/// The resource an event is about: a link to the user's or group's page.
fn resource(e: &serde_json::Value) -> maud::Markup {
    let directory = e["directory"].as_str().unwrap_or("");
    let data = &e["data"];
    let kind = e["type"].as_str().unwrap_or("");
    let (page, label) = if kind.starts_with("group.") {
        ("groups", data["displayName"].as_str())
    } else {
        ("users", data["userName"].as_str())
    };
    let id = data["id"].as_str().unwrap_or("");
    html! {
        @if id.is_empty() { (label.unwrap_or("")) }
        @else {
            a href={ "/admin/directories/" (directory) "/" (page) "/" (id) } { (label.unwrap_or(id)) }
        }
    }
}
