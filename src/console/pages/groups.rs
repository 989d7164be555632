//! `/admin/directories/{d}/groups`: the groups alphabetically with member counts and mapped
//! roles; one group with its members in pages and the form that edits its role mapping.

use maud::html;
use poem::http::{StatusCode, header};
use poem::web::Path;
use poem::{Body, Request, Response, handler};

use crate::console::form::{Fields, query_string};
use crate::console::layout::{self, Frame, time};
use crate::console::session::SignedIn;
use crate::console::{ConsoleError, csrf};

/// Groups and members per page.
const PAGE_SIZE: i64 = 50;

/// `GET /admin/directories/{d}/groups?q=&cursor=`.
#[handler]
pub async fn list(req: &Request, Path(d): Path<String>) -> Result<Response, ConsoleError> {
    let signed_in = SignedIn::require(req).await?;
    let ctx = signed_in.enter(&d).await?;
    let query = Fields::query(req.uri().query());
    let q = query.get("q").unwrap_or("");
    let groups = signed_in
        .service()
        .list_groups(&ctx, Some(q), Some(PAGE_SIZE), query.get("cursor"))
        .await?;
    let base = format!("/admin/directories/{d}/groups");
    let body = html! {
        form.toolbar method="get" action=(base) role="search" {
            div {
                label for="q" { "Search by name" }
                input #q type="search" name="q" value=(q) maxlength="200";
            }
            button type="submit" { "Show" }
        }
        p.muted { "Groups and their members come from the identity provider; the roles each group gives are set here." }
        div.table-wrap {
            table #groups {
                thead { tr { th { "Group" } th { "Members" } th { "Roles" } th.optional { "Last modified" } } }
                tbody {
                    @for g in &groups.data {
                        tr data-group-id=(g.id) {
                            td { a href={ (base) "/" (g.id) } { (g.display_name) } }
                            td { (g.members) }
                            td { (g.roles.join(", ")) }
                            td.optional { (time(g.last_modified)) }
                        }
                    }
                }
            }
        }
        @if groups.data.is_empty() { p.muted { "No groups here." } }
        @if let Some(next) = &groups.after {
            p { a #next-page href={ (base) (query_string([("q", q), ("cursor", next.as_str())])) } { "Next page" } }
        }
    };
    Ok(layout::ok(
        &Frame::new("Groups", &signed_in).in_directory(&d, "groups"),
        body,
    ))
}

/// `GET /admin/directories/{d}/groups/{id}?members_after=`.
#[handler]
pub async fn page(
    req: &Request,
    Path((d, id)): Path<(String, String)>,
) -> Result<Response, ConsoleError> {
    let signed_in = SignedIn::require(req).await?;
    let ctx = signed_in.enter(&d).await?;
    let query = Fields::query(req.uri().query());
    let group = signed_in
        .service()
        .group_detail(&ctx, &id, query.get("members_after"), Some(PAGE_SIZE))
        .await?;
    let g = &group.summary;
    let base = format!("/admin/directories/{d}");
    let body = html! {
        dl.facts {
            dt { "Members" } dd { (g.members) }
            dt { "externalId" } dd { (g.external_id.as_deref().unwrap_or("")) }
            dt { "Id" } dd { code { (g.id) } }
        }
        h2 { "Roles given to its members" }
        form method="post" action={ (base) "/groups/" (g.id) "/roles" } {
            (csrf::field(&signed_in.session.csrf))
            div.field {
                label for="roles" { "Roles, one per line" }
                textarea #roles name="roles" aria-describedby="roles-help" { (g.roles.join("\n")) }
                p #roles-help .muted {
                    "Every member, nested groups' members included, gets these roles; users whose \
                     roles change get a user.roles_changed event."
                }
            }
            button #save-roles type="submit" { "Save roles" }
        }
        h2 { "Members" }
        ul #members {
            @for m in &group.members {
                li {
                    @if m.kind == "User" {
                        a href={ (base) "/users/" (m.id) } { (m.display.as_deref().unwrap_or(&m.id)) }
                    } @else {
                        a href={ (base) "/groups/" (m.id) } { (m.display.as_deref().unwrap_or(&m.id)) }
                        span.muted { " (group)" }
                    }
                }
            }
        }
        @if let Some(next) = &group.members_after {
            p { a #next-page href={ (base) "/groups/" (g.id) (query_string([("members_after", next.as_str())])) } { "Next members" } }
        }
    };
    Ok(layout::ok(
        &Frame::new(&g.display_name, &signed_in).in_directory(&d, "groups"),
        body,
    ))
}

/// `POST /admin/directories/{d}/groups/{id}/roles`: replaces the group's roles.
#[handler]
pub async fn save_roles(
    req: &Request,
    Path((d, id)): Path<(String, String)>,
    body: Body,
) -> Result<Response, ConsoleError> {
    let (signed_in, form) = csrf::posted(req, body).await?;
    let ctx = signed_in.enter(&d).await?;
    let roles: Vec<String> = form
        .get("roles")
        .unwrap_or("")
        .lines()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
        .collect();
    signed_in
        .service()
        .set_group_roles(&ctx, &id, &roles)
        .await?;
    Ok(Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(
            header::LOCATION,
            format!("/admin/directories/{d}/groups/{id}"),
        )
        .finish())
}
