//! `/admin/directories/{d}/tokens`: a directory's SCIM tokens with their state and last use;
//! create one (shown once), rotate (the new one shown once; the old one keeps working for the
//! grace period chosen), revoke.

use maud::{Markup, html};
use poem::http::{StatusCode, header};
use poem::web::Path;
use poem::{Body, Request, Response, handler};

use crate::console::layout::{self, Frame, copyable, time, time_or};
use crate::console::session::SignedIn;
use crate::console::{ConsoleError, csrf};
use crate::service::tokens::IssuedToken;

/// `GET /admin/directories/{d}/tokens`.
#[handler]
pub async fn list(req: &Request, Path(d): Path<String>) -> Result<Response, ConsoleError> {
    let signed_in = SignedIn::require(req).await?;
    page(&signed_in, &d, None, None).await
}

/// The list, with a token just issued or an error above it.
async fn page(
    signed_in: &SignedIn,
    d: &str,
    issued: Option<(&str, &IssuedToken)>,
    error: Option<ConsoleError>,
) -> Result<Response, ConsoleError> {
    let ctx = signed_in.enter(d).await?;
    let tokens = signed_in.service().tokens(&ctx).await?;
    let base = format!("/admin/directories/{d}/tokens");
    let csrf_field = csrf::field(&signed_in.session.csrf);
    let body = html! {
        @if let Some(e) = &error { p role="alert" { (e) } }
        @if let Some((what, issued)) = issued { (shown_once(what, issued)) }
        form.toolbar method="post" action=(base) {
            (csrf_field)
            div {
                label for="name" { "New token's name" }
                input #name type="text" name="name" required maxlength="100" placeholder="okta";
            }
            button #create-token type="submit" { "Create token" }
        }
        div.table-wrap {
            table #tokens {
                thead { tr {
                    th { "Name" } th { "State" } th.optional { "Created" } th { "Last used" }
                    th.optional { "Expires / revoked" } th { "Actions" }
                } }
                tbody {
                    @for t in &tokens {
                        tr data-token-id=(t.id) {
                            td { (t.name) }
                            td { span class={ "state state-" (t.state) } { (t.state) } }
                            td.optional { (time(t.created)) }
                            td { (time_or(t.last_used, "never")) }
                            td.optional {
                                @if let Some(at) = t.revoked { "revoked " (time(at)) }
                                @else if let Some(at) = t.expires { "expires " (time(at)) }
                            }
                            td {
                                @if matches!(t.state, "active" | "expiring") {
                                    form.inline method="post" action={ (base) "/" (t.id) } {
                                        (csrf_field)
                                        @if t.state == "active" {
                                            label.inline for={ "grace-" (t.id) } { "Old one works for" }
                                            select id={ "grace-" (t.id) } name="grace" {
                                                option value="0" { "no time" }
                                                option value="3600" { "1 hour" }
                                                option value="86400" { "1 day" }
                                            }
                                            " "
                                            button.secondary type="submit" name="action" value="rotate" { "Rotate" }
                                            " "
                                        }
                                        button.danger type="submit" name="action" value="revoke" { "Revoke" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    let mut response = layout::ok(
        &Frame::new("Tokens", signed_in).in_directory(d, "tokens"),
        body,
    );
    if let Some(e) = error {
        response.set_status(e.status());
    }
    Ok(response)
}

/// A token just issued, with its copy button.
fn shown_once(what: &str, issued: &IssuedToken) -> Markup {
    html! {
        p role="status" { (what) " " strong { (issued.token.name) } "." }
        p.note { "Copy it now: it is shown only this once." }
        p { (copyable("new-token", &issued.secret)) }
    }
}

/// `POST /admin/directories/{d}/tokens`: creates a token called `name`.
#[handler]
pub async fn create(
    req: &Request,
    Path(d): Path<String>,
    body: Body,
) -> Result<Response, ConsoleError> {
    let (signed_in, form) = csrf::posted(req, body).await?;
    let ctx = signed_in.enter(&d).await?;
    match signed_in
        .service()
        .create_token(&ctx, form.get("name").unwrap_or(""), None)
        .await
    {
        Ok(issued) => page(&signed_in, &d, Some(("Created token", &issued)), None).await,
        Err(e) => refused(&signed_in, &d, e.into()).await,
    }
}

/// `POST /admin/directories/{d}/tokens/{id}`: `action=rotate` (with `grace` seconds) or
/// `action=revoke`.
#[handler]
pub async fn act(
    req: &Request,
    Path((d, id)): Path<(String, String)>,
    body: Body,
) -> Result<Response, ConsoleError> {
    let (signed_in, form) = csrf::posted(req, body).await?;
    let ctx = signed_in.enter(&d).await?;
    let service = signed_in.service();
    match form.get("action") {
        Some("rotate") => {
            let grace = form
                .get("grace")
                .unwrap_or("0")
                .parse::<i64>()
                .map_err(|_| {
                    ConsoleError::BadRequest("The grace period is a number of seconds.".into())
                })?;
            match service
                .rotate_token(&ctx, &id, chrono::Duration::seconds(grace))
                .await
            {
                Ok(issued) => page(&signed_in, &d, Some(("Rotated token", &issued)), None).await,
                Err(e) => refused(&signed_in, &d, e.into()).await,
            }
        }
        Some("revoke") => {
            if let Err(e) = service.revoke_token(&ctx, &id).await {
                return refused(&signed_in, &d, e.into()).await;
            }
            Ok(Response::builder()
                .status(StatusCode::SEE_OTHER)
                .header(header::LOCATION, format!("/admin/directories/{d}/tokens"))
                .finish())
        }
        _ => Err(ConsoleError::BadRequest("Choose rotate or revoke.".into())),
    }
}

/// The list again with the refusal above it; server failures go to the error page.
async fn refused(signed_in: &SignedIn, d: &str, e: ConsoleError) -> Result<Response, ConsoleError> {
    match e {
        ConsoleError::Internal(_) | ConsoleError::SignInRequired => Err(e),
        e => page(signed_in, d, None, Some(e)).await,
    }
}
