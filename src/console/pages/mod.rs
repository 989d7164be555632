//! One module per page family. Handlers are thin: they read the session, the path and the form,
//! call the service, and render with `layout`.

pub mod directories;
pub mod events;
pub mod groups;
pub mod sign_in;
pub mod tokens;
pub mod user;
pub mod users;
pub mod webhooks;

use maud::{Markup, html};

/// Text whose `backquoted` parts are code, as the service's guides write it.
pub fn with_code(text: &str) -> Markup {
    html! {
        @for (n, part) in text.split('`').enumerate() {
            @if n % 2 == 1 { code { (part) } } @else { (part) }
        }
    }
}
