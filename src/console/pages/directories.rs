//! `/admin/directories`: the list with counts and last SCIM request, creating one (its SCIM URL
//! and first token shown once), and a directory's Connect page (the setup view).

use maud::html;
use poem::http::{StatusCode, header};
use poem::web::Path;
use poem::{Body, Request, Response, handler};

use super::with_code;
use crate::console::layout::{self, Frame, copyable, time, time_or};
use crate::console::session::SignedIn;
use crate::console::{ConsoleError, csrf};

/// `GET /admin`: the directories.
#[handler]
pub fn home() -> Response {
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, "/admin/directories")
        .finish()
}

/// `GET /admin/directories`.
#[handler]
pub async fn list(req: &Request) -> Result<Response, ConsoleError> {
    let signed_in = SignedIn::require(req).await?;
    let directories = signed_in.service().directories().await?;
    let body = html! {
        p { a #new-directory href="/admin/directories/new" { "New directory" } }
        div.table-wrap {
            table #directories {
                thead { tr {
                    th { "Directory" } th { "Active" } th.optional { "Inactive" }
                    th.optional { "Suspended" } th.optional { "Archived" } th { "Groups" }
                    th.optional { "Tokens" } th { "Last SCIM request" }
                } }
                tbody {
                    @for d in &directories {
                        tr data-directory=(d.id) {
                            td {
                                a href={ "/admin/directories/" (d.id) "/users" } { (d.name) }
                                br; span.muted { (d.id) }
                            }
                            td { (d.figures.active_users) }
                            td.optional { (d.figures.inactive_users) }
                            td.optional { (d.figures.suspended_users) }
                            td.optional { (d.figures.archived_users) }
                            td { a href={ "/admin/directories/" (d.id) "/groups" } { (d.figures.groups) } }
                            td.optional { a href={ "/admin/directories/" (d.id) "/tokens" } { (d.figures.tokens) } }
                            td {
                                (time_or(d.figures.last_scim_request, "never"))
                                " · " a href={ "/admin/directories/" (d.id) "/connect" } { "Connect" }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(layout::ok(&Frame::new("Directories", &signed_in), body))
}

/// `GET /admin/directories/new`.
#[handler]
pub async fn new_form(req: &Request) -> Result<Response, ConsoleError> {
    let signed_in = SignedIn::require(req).await?;
    Ok(new_page(&signed_in, None, StatusCode::OK))
}

fn new_page(signed_in: &SignedIn, error: Option<&str>, status: StatusCode) -> Response {
    let body = html! {
        @if let Some(error) = error { p role="alert" { (error) } }
        form method="post" action="/admin/directories" {
            (csrf::field(&signed_in.session.csrf))
            div.field {
                label for="name" { "Name" }
                input #name type="text" name="name" required maxlength="200"
                    aria-describedby="name-help";
                p #name-help .muted { "The customer or connection, e.g. Acme Corp." }
            }
            div.field {
                label for="id" { "Id (optional)" }
                input #id type="text" name="id" maxlength="63" pattern="[a-z0-9]([a-z0-9-]*[a-z0-9])?"
                    aria-describedby="id-help";
                p #id-help .muted {
                    "Lower-case letters, digits and inner hyphens; it is part of the SCIM URL. \
                     Made from the name when left empty."
                }
            }
            button #create type="submit" { "Create directory" }
        }
    };
    let mut response = layout::ok(&Frame::new("New directory", signed_in), body);
    response.set_status(status);
    response
}

/// `POST /admin/directories`: creates the directory and shows its SCIM URL and first token once.
#[handler]
pub async fn create(req: &Request, body: Body) -> Result<Response, ConsoleError> {
    let (signed_in, form) = csrf::posted(req, body).await?;
    let ctx = signed_in.global();
    let created = match signed_in
        .service()
        .create_directory(&ctx, form.get("name").unwrap_or(""), form.get("id"))
        .await
    {
        Ok(created) => created,
        Err(e) => {
            let e = ConsoleError::from(e);
            return match e {
                ConsoleError::BadRequest(m) => {
                    Ok(new_page(&signed_in, Some(&m), StatusCode::BAD_REQUEST))
                }
                ConsoleError::Conflict(m) => {
                    Ok(new_page(&signed_in, Some(&m), StatusCode::CONFLICT))
                }
                other => Err(other),
            };
        }
    };
    let d = &created.directory;
    let body = html! {
        p role="status" { "Directory " strong { (d.name) } " created." }
        p.note {
            "Copy the token now: it is shown only this once. Enter the URL and the token in the \
             identity provider."
        }
        dl.facts {
            dt { "SCIM base URL" } dd { (copyable("scim-url", &d.scim_base_url)) }
            dt { "Token" } dd { (copyable("new-token", &created.token.secret)) }
        }
        p {
            a href={ "/admin/directories/" (d.id) "/connect" } { "Connect an identity provider" }
            " · " a href={ "/admin/directories/" (d.id) "/users" } { "Users" }
        }
    };
    Ok(layout::ok(
        &Frame::new("Directory created", &signed_in).in_directory(&d.id, ""),
        body,
    ))
}

/// `GET /admin/directories/{d}/connect`: the setup view.
#[handler]
pub async fn connect(req: &Request, Path(d): Path<String>) -> Result<Response, ConsoleError> {
    let signed_in = SignedIn::require(req).await?;
    let ctx = signed_in.enter(&d).await?;
    let setup = signed_in.service().setup(&ctx).await?;
    let body = html! {
        p #connection data-state=(setup.connection.state) {
            span class={ "state state-" (setup.connection.state) } { (setup.connection.state.replace('_', " ")) }
            ": " (setup.connection.message)
        }
        dl.facts {
            dt { "SCIM base URL" } dd { (copyable("scim-url", &setup.scim_base_url)) }
            dt { "Tokens" }
            dd #token-status {
                (setup.working_tokens) " working · last used "
                (time_or(setup.tokens_last_used, "never"))
                " · " a href={ "/admin/directories/" (d) "/tokens" } { "Manage tokens" }
            }
        }
        @for guide in &setup.guides {
            section id={ "guide-" (guide.id) } {
                h2 { (guide.name) }
                p { (with_code(guide.intro)) }
                dl.facts {
                    @for s in &guide.settings {
                        dt { (s.field) }
                        dd {
                            @if let Some(v) = &s.value { code { (v) } }
                            @if let (Some(_), Some(_)) = (&s.value, &s.hint) { " — " }
                            @if let Some(h) = &s.hint { span.muted { (with_code(h)) } }
                        }
                    }
                }
                p { (with_code(guide.check)) }
            }
        }
        h2 { "Last SCIM requests" }
        @if setup.recent_requests.is_empty() {
            p.muted { "None yet." }
        }
        div.table-wrap {
            table #scim-requests {
                thead { tr { th { "At" } th { "Request" } th { "Status" } th.optional { "Took" } } }
                tbody {
                    @for r in &setup.recent_requests {
                        tr {
                            td { (time(r.at)) }
                            td { code { (r.method) " " (r.path) } }
                            td { (r.status) }
                            td.optional { (r.duration_ms) " ms" }
                        }
                    }
                }
            }
        }
    };
    Ok(layout::ok(
        &Frame::new("Connect an identity provider", &signed_in).in_directory(&d, "connect"),
        body,
    ))
}
