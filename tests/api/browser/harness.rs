//! The harness on a page the server serves without the console: the API's Swagger UI, a page
//! that renders with JavaScript from assets embedded in the binary.

use super::{server, session};

#[tokio::test]
async fn the_browser_renders_the_api_documentation_and_screenshots_it() {
    let app = server();
    session::run("api_docs", app.address.clone(), |b| async move {
        b.goto("/api/v1/docs").await;
        // Swagger UI builds the page from /api/v1/openapi.json in the browser: an operation
        // appears only once its script ran and fetched the document.
        let operation = b.text(".opblock-summary-path").await;
        assert!(
            operation.starts_with('/'),
            "an operation's path: {operation:?}"
        );
        b.screenshot("api-docs").await;
        let shot = session::screenshot_dir().join("api-docs.png");
        let png = std::fs::read(&shot).expect("the screenshot was written");
        assert!(png.starts_with(b"\x89PNG"), "{} is a PNG", shot.display());
        assert_eq!(b.open_dialog().await, None, "no dialog");
    })
    .await;
}
