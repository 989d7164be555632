//! The console's stylesheet and script, embedded in the binary (no build step, no CDN) and
//! served with a long cache lifetime under a name that changes with the crate version.

use poem::http::{StatusCode, header};
use poem::web::Path;
use poem::{IntoResponse, Response, handler};

const CSS: &str = include_str!("console.css");
const JS: &str = include_str!("console.js");

/// `GET /admin/assets/{name}`.
#[handler]
pub fn serve(Path(name): Path<String>) -> Response {
    let (body, content_type) = match name.as_str() {
        "console.css" => (CSS, "text/css; charset=utf-8"),
        "console.js" => (JS, "text/javascript; charset=utf-8"),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    Response::builder()
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CACHE_CONTROL, "public, max-age=3600")
        .body(body)
}
