//! Cross-site request forgery: every form that changes something carries the session's CSRF
//! value in a hidden `csrf` field, compared in constant time with the stored one. The session
//! cookie is `SameSite=Strict` too, so a foreign site's form gets neither. The sign-in form,
//! before any session, uses a double submit instead: a random value in a short-lived cookie and
//! in the form, which a foreign site can neither read nor set.

use maud::{Markup, html};
use poem::{Body, Request};

use super::ConsoleError;
use super::form::Fields;
use super::session::SignedIn;

/// The hidden field of the forms.
pub const FIELD: &str = "csrf";
/// The cookie of the sign-in form's double submit.
pub const SIGN_IN_COOKIE: &str = "scimd_sign_in";

/// The hidden field carrying `value`.
pub fn field(value: &str) -> Markup {
    html! { input type="hidden" name=(FIELD) value=(value); }
}

/// A form posted by a signed-in admin: the session, and the form once its `csrf` field is
/// checked to be the session's. Every action's handler starts here.
pub async fn posted(req: &Request, body: Body) -> Result<(SignedIn, Fields), ConsoleError> {
    let signed_in = SignedIn::require(req).await?;
    let form = Fields::body(body).await?;
    check_value(&signed_in.session.csrf, form.get(FIELD))?;
    Ok((signed_in, form))
}

/// Refuses `sent` unless it equals `expected`.
pub fn check_value(expected: &str, sent: Option<&str>) -> Result<(), ConsoleError> {
    match sent {
        Some(sent) if constant_time_eq(expected.as_bytes(), sent.as_bytes()) => Ok(()),
        _ => Err(ConsoleError::Forbidden(
            "This form has expired or did not come from this console; nothing was changed. \
             Reload the page and try again."
                .into(),
        )),
    }
}

/// Compares without stopping at the first difference, so the time taken tells nothing.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_same_value_passes() {
        assert!(check_value("abc", Some("abc")).is_ok());
        for (sent, reason) in [
            (None, "missing"),
            (Some(""), "empty"),
            (Some("abd"), "one byte off"),
            (Some("ab"), "a prefix"),
            (Some("abcd"), "longer"),
        ] {
            assert!(check_value("abc", sent).is_err(), "{reason}");
        }
    }
}
