//! `GET/POST /admin/sign-in` and `POST /admin/sign-out`. The token is posted in a form field,
//! never put in a URL, and the page never shows it back.

use maud::html;
use poem::http::{StatusCode, header};
use poem::web::Html;
use poem::{Body, IntoResponse, Request, Response, handler};

use crate::console::form::Fields;
use crate::console::layout::{self, Frame};
use crate::console::session::{self, SESSION_COOKIE};
use crate::console::{ConsoleError, csrf};
use crate::service::sessions::{SESSION_LIFETIME, SignInError, random_hex};

/// How long the sign-in form may be sent after it was shown.
const FORM_LIFETIME: chrono::Duration = chrono::Duration::hours(1);

/// `GET /admin/sign-in`: the form, with a fresh double-submit value.
#[handler]
pub async fn show(req: &Request) -> Result<Response, ConsoleError> {
    let console = session::console(req)?;
    let value = random_hex();
    let mut response = page(&value, None);
    response.headers_mut().append(
        header::SET_COOKIE,
        header::HeaderValue::from_str(&session::set_cookie(
            &console,
            csrf::SIGN_IN_COOKIE,
            &value,
            "/admin/sign-in",
            FORM_LIFETIME,
        ))
        .map_err(|e| ConsoleError::Internal(e.to_string()))?,
    );
    Ok(response)
}

/// `POST /admin/sign-in`: exchanges the posted admin token for a session.
#[handler]
pub async fn submit(req: &Request, body: Body) -> Result<Response, ConsoleError> {
    let console = session::console(req)?;
    let form = Fields::body(body).await?;
    let expected = session::cookie(req, csrf::SIGN_IN_COOKIE).unwrap_or_default();
    if expected.is_empty() {
        return Err(ConsoleError::Forbidden(
            "The sign-in form has expired or did not come from this console. Open the sign-in \
             page again."
                .into(),
        ));
    }
    csrf::check_value(&expected, form.get(csrf::FIELD))?;
    let opened = match console
        .service
        .sign_in(form.get("token").unwrap_or(""))
        .await
    {
        Ok(opened) => opened,
        Err(SignInError::Refused(why)) => {
            tracing::info!("console sign-in refused: {why}");
            let mut response = page(&expected, Some(&why));
            response.set_status(StatusCode::UNAUTHORIZED);
            return Ok(response);
        }
        Err(SignInError::Failed(e)) => return Err(e.into()),
    };
    let cookie = session::set_cookie(
        &console,
        SESSION_COOKIE,
        &opened.id,
        "/admin",
        SESSION_LIFETIME,
    );
    let spent = session::set_cookie(
        &console,
        csrf::SIGN_IN_COOKIE,
        "",
        "/admin/sign-in",
        chrono::Duration::zero(),
    );
    Ok(Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, "/admin/directories")
        .header(header::SET_COOKIE, cookie)
        .header(header::SET_COOKIE, spent)
        .finish())
}

/// `POST /admin/sign-out`: ends the session (with its CSRF value, so another site cannot sign
/// the admin out).
#[handler]
pub async fn sign_out(req: &Request, body: Body) -> Result<Response, ConsoleError> {
    let (signed_in, _) = csrf::posted(req, body).await?;
    signed_in.service().sign_out(&signed_in.id).await?;
    let ended = session::set_cookie(
        &signed_in.console,
        SESSION_COOKIE,
        "",
        "/admin",
        chrono::Duration::zero(),
    );
    Ok(Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, "/admin/sign-in")
        .header(header::SET_COOKIE, ended)
        .finish())
}

/// The form, with `error` above it.
fn page(csrf_value: &str, error: Option<&str>) -> Response {
    let frame = Frame {
        title: "Sign in",
        signed_in: None,
        directory: None,
    };
    let body = html! {
        @if let Some(error) = error {
            p role="alert" { (error) }
        }
        form method="post" action="/admin/sign-in" {
            (csrf::field(csrf_value))
            div.field {
                label for="token" { "Admin token" }
                input #token type="password" name="token" autocomplete="off" required
                    size="60" aria-describedby="token-help";
                p #token-help .muted {
                    "An admin token, as " code { "scimd token create --admin --name NAME" }
                    " prints it. The session lasts 12 hours, or until you sign out or the token \
                     is revoked."
                }
            }
            button #sign-in type="submit" { "Sign in" }
        }
    };
    Html(layout::page(&frame, body).into_string()).into_response()
}
