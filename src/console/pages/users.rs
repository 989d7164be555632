//! `/admin/directories/{d}/users`: a directory's users by state (tabs with counts), searched,
//! sorted, in cursor pages, every view its own URL; bulk actions on the checked rows with a
//! confirmation naming the count; the CSV export of the current view.

use maud::{Markup, html};
use poem::http::{StatusCode, header};
use poem::web::Path;
use poem::{Body, Request, Response, handler};

use crate::console::form::{Fields, query_string};
use crate::console::layout::{self, Frame, time};
use crate::console::session::SignedIn;
use crate::console::{ConsoleError, csrf};
use crate::service::Kind;
use crate::service::user_views::{MAX_LIMIT, UserListRequest};
use crate::userfile::stream;

/// The tabs: state and label.
const STATES: [(&str, &str); 4] = [
    ("active", "Active"),
    ("inactive", "Inactive"),
    ("suspended", "Suspended"),
    ("archived", "Archived"),
];
/// The orders: `sort` value and label.
const SORTS: [(&str, &str); 4] = [
    ("name", "Name"),
    ("userName", "userName"),
    ("created", "Created"),
    ("lastModified", "Last modified"),
];
/// Users per page.
const PAGE_SIZE: i64 = 50;

/// A view of the list, as its query string says.
struct View {
    state: String,
    q: String,
    sort: String,
    order: String,
    cursor: String,
}

impl View {
    fn from_query(req: &Request) -> Self {
        let query = Fields::query(req.uri().query());
        let get = |name: &str| query.get(name).unwrap_or("").to_owned();
        let state = query.get("state").unwrap_or("active").to_owned();
        View {
            state,
            q: get("q"),
            sort: get("sort"),
            order: get("order"),
            cursor: get("cursor"),
        }
    }

    /// The query string of this view with `state`, on its first page.
    fn with_state(&self, state: &str) -> String {
        query_string([
            ("state", state),
            ("q", &self.q),
            ("sort", &self.sort),
            ("order", &self.order),
        ])
    }

    /// The query string of this view from `cursor` on.
    fn at(&self, cursor: &str) -> String {
        query_string([
            ("state", self.state.as_str()),
            ("q", &self.q),
            ("sort", &self.sort),
            ("order", &self.order),
            ("cursor", cursor),
        ])
    }
}

/// `GET /admin/directories/{d}/users`.
#[handler]
pub async fn list(req: &Request, Path(d): Path<String>) -> Result<Response, ConsoleError> {
    let signed_in = SignedIn::require(req).await?;
    let ctx = signed_in.enter(&d).await?;
    let view = View::from_query(req);
    let service = signed_in.service();
    let figures = service.directory(&d).await?.figures;
    let page = service
        .list_users(
            &ctx,
            &UserListRequest {
                state: Some(view.state.clone()),
                q: Some(view.q.clone()),
                sort: Some(view.sort.clone()),
                order: Some(view.order.clone()),
                limit: Some(PAGE_SIZE),
                after: Some(view.cursor.clone()),
            },
        )
        .await?;
    let counts = [
        figures.active_users,
        figures.inactive_users,
        figures.suspended_users,
        figures.archived_users,
    ];
    let base = format!("/admin/directories/{d}/users");
    let archived = view.state == "archived";
    let actions: &[(&str, &str)] = match view.state.as_str() {
        "archived" => &[("restore", "Restore"), ("purge", "Purge now")],
        "suspended" => &[("unsuspend", "Unsuspend")],
        _ => &[("suspend", "Suspend")],
    };
    let body = html! {
        nav.tabs aria-label="States" {
            @for ((state, label), count) in STATES.iter().zip(counts) {
                a href={ (base) (view.with_state(state)) } data-state=(state)
                  aria-current=[(view.state == *state).then_some("page")] {
                    (label) " " span.count { (count) }
                }
            }
        }
        form.toolbar method="get" action=(base) role="search" {
            input type="hidden" name="state" value=(view.state);
            div {
                label for="q" { "Search" }
                input #q type="search" name="q" value=(view.q) placeholder="name, userName, email"
                    maxlength="200";
            }
            div {
                label for="sort" { "Sort by" }
                select #sort name="sort" {
                    @for (value, label) in SORTS {
                        option value=(value) selected[view.sort == value || (view.sort.is_empty() && value == "name")] { (label) }
                    }
                }
            }
            div {
                label for="order" { "Order" }
                select #order name="order" {
                    option value="asc" selected[view.order != "desc"] { "Ascending" }
                    option value="desc" selected[view.order == "desc"] { "Descending" }
                }
            }
            button type="submit" { "Show" }
        }
        p.muted {
            "Names, emails and whether a user is active come from the identity provider and are \
             changed there. Here you can suspend users locally (the provider's updates do not \
             lift it) and restore or purge deleted ones."
        }
        form method="post" action={ (base) "/bulk" } {
            (csrf::field(&signed_in.session.csrf))
            input type="hidden" name="state" value=(view.state);
            div.toolbar {
                @for (value, label) in actions {
                    button.secondary type="submit" name="action" value=(value) { (label) " selected" }
                }
                @if archived {
                    span.muted { "Archived users are not exported; restore them first." }
                } @else {
                    a #export href={ (base) ".csv" (query_string([("state", view.state.as_str()), ("q", view.q.as_str())])) } {
                        "Export this view as CSV"
                    }
                }
            }
            div.table-wrap {
                table #users {
                    thead { tr {
                        th {
                            input type="checkbox" data-select-all="ids" aria-label="Select all" hidden;
                        }
                        th { "Name" } th.narrow-optional { "userName" } th.optional { "Email" } th { "State" }
                        th.optional { "Roles" } th.optional { "Last modified" }
                    } }
                    tbody {
                        @for u in &page.data {
                            tr data-user-id=(u.id) {
                                td {
                                    input type="checkbox" name="ids" value=(u.id)
                                        aria-label={ "Select " (u.user_name) };
                                }
                                td { a href={ (base) "/" (u.id) } { (u.display_name) } }
                                td.narrow-optional { (u.user_name) }
                                td.optional { (u.email.as_deref().unwrap_or("")) }
                                td { (state_badge(&u.state)) }
                                td.optional { (u.roles.join(", ")) }
                                td.optional { (time(u.last_modified)) }
                            }
                        }
                    }
                }
            }
        }
        @if page.data.is_empty() {
            p.muted { "No users here." }
        }
        p {
            @if !view.cursor.is_empty() {
                a href={ (base) (view.at("")) } { "First page" }
                " "
            }
            @if let Some(next) = &page.after {
                a #next-page href={ (base) (view.at(next)) } { "Next page" }
            }
        }
    };
    Ok(layout::ok(
        &Frame::new("Users", &signed_in).in_directory(&d, "users"),
        body,
    ))
}

/// A user's state as a badge.
pub fn state_badge(state: &str) -> Markup {
    html! { span class={ "state state-" (state) } { (state) } }
}

/// `GET /admin/directories/{d}/users.csv?state=&q=`: the view as CSV, streamed.
#[handler]
pub async fn export(req: &Request, Path(d): Path<String>) -> Result<Response, ConsoleError> {
    let signed_in = SignedIn::require(req).await?;
    let ctx = signed_in.enter(&d).await?;
    let query = Fields::query(req.uri().query());
    let export = signed_in
        .service()
        .export_users(&ctx, query.get("state"), query.get("q"))?;
    Ok(Response::builder()
        .content_type("text/csv; charset=utf-8; header=present")
        .header(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{d}-users.csv\""),
        )
        .body(Body::from_bytes_stream(stream::users_csv(export))))
}

/// A bulk action: what it does, and how the confirmation names it.
fn action_label(action: &str) -> Option<&'static str> {
    match action {
        "suspend" => Some("Suspend"),
        "unsuspend" => Some("Unsuspend"),
        "restore" => Some("Restore"),
        "purge" => Some("Purge"),
        _ => None,
    }
}

/// The checked ids and the action of a bulk form; refuses an empty or oversized selection.
fn selection(form: &Fields) -> Result<(Vec<String>, &'static str, String), ConsoleError> {
    let action = form.get("action").unwrap_or("");
    let label = action_label(action).ok_or_else(|| {
        ConsoleError::BadRequest(format!("There is no bulk action \"{action}\"."))
    })?;
    let ids = form.all("ids");
    if ids.is_empty() {
        return Err(ConsoleError::BadRequest(
            "No user was selected; check the users to act on first.".into(),
        ));
    }
    if ids.len() as i64 > MAX_LIMIT {
        return Err(ConsoleError::BadRequest(format!(
            "At most {MAX_LIMIT} users can be changed at once."
        )));
    }
    Ok((ids, label, action.to_owned()))
}

/// `POST /admin/directories/{d}/users/bulk`: the confirmation page, naming the count.
#[handler]
pub async fn bulk(
    req: &Request,
    Path(d): Path<String>,
    body: Body,
) -> Result<Response, ConsoleError> {
    let (signed_in, form) = csrf::posted(req, body).await?;
    signed_in.enter(&d).await?;
    let (ids, label, action) = selection(&form)?;
    let n = ids.len();
    let users = if n == 1 { "user" } else { "users" };
    let base = format!("/admin/directories/{d}/users");
    let back = format!(
        "{base}{}",
        query_string([("state", form.get("state").unwrap_or(""))])
    );
    let body = html! {
        p #confirmation { (label) " " strong { (n) " " (users) } "?" }
        @if action == "purge" {
            p.note { "Purging erases them for good: they cannot be restored afterwards." }
        }
        form method="post" action={ (base) "/bulk/confirm" } {
            (csrf::field(&signed_in.session.csrf))
            input type="hidden" name="action" value=(action);
            input type="hidden" name="state" value=(form.get("state").unwrap_or(""));
            @for id in &ids { input type="hidden" name="ids" value=(id); }
            @if action == "suspend" {
                div.field {
                    label for="reason" { "Reason (shown to admins, in the event)" }
                    input #reason type="text" name="reason" maxlength="500";
                }
            }
            button #confirm type="submit" class=[(action == "purge").then_some("danger")] {
                (label) " " (n) " " (users)
            }
            " " a href=(back) { "Cancel" }
        }
    };
    Ok(layout::ok(
        &Frame::new("Confirm", &signed_in).in_directory(&d, "users"),
        body,
    ))
}

/// `POST /admin/directories/{d}/users/bulk/confirm`: applies the action to each user, one
/// use case call each (each recorded with its event), and reports what happened.
#[handler]
pub async fn bulk_confirm(
    req: &Request,
    Path(d): Path<String>,
    body: Body,
) -> Result<Response, ConsoleError> {
    let (signed_in, form) = csrf::posted(req, body).await?;
    let ctx = signed_in.enter(&d).await?;
    let (ids, label, action) = selection(&form)?;
    let service = signed_in.service();
    let reason = form.get("reason").unwrap_or("");
    let mut failed = Vec::new();
    for id in &ids {
        let done = match action.as_str() {
            "suspend" => service.suspend(&ctx, id, reason).await,
            "unsuspend" => service.unsuspend(&ctx, id).await,
            "restore" => service.restore(&ctx, Kind::User, id).await.map(|_| ()),
            _ => service.purge(&ctx, Kind::User, id).await,
        };
        if let Err(e) = done {
            match ConsoleError::from(e) {
                ConsoleError::Internal(cause) => return Err(ConsoleError::Internal(cause)),
                refused => failed.push((id.clone(), refused.to_string())),
            }
        }
    }
    let done = ids.len() - failed.len();
    let base = format!("/admin/directories/{d}/users");
    let back = format!(
        "{base}{}",
        query_string([("state", form.get("state").unwrap_or(""))])
    );
    let body = html! {
        p role="status" { (label) ": " (done) " of " (ids.len()) " done." }
        @if !failed.is_empty() {
            p role="alert" { (failed.len()) " could not be changed:" }
            ul #failures {
                @for (id, why) in &failed {
                    li { a href={ (base) "/" (id) } { (id) } ": " (why) }
                }
            }
        }
        p { a href=(back) { "Back to the users" } }
    };
    let mut response = layout::ok(
        &Frame::new("Bulk action", &signed_in).in_directory(&d, "users"),
        body,
    );
    if done == 0 {
        response.set_status(StatusCode::BAD_REQUEST);
    }
    Ok(response)
}
