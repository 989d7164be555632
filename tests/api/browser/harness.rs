//! The harness on a page the server serves without the console (the API's Swagger UI, which
//! renders with JavaScript from assets embedded in the binary): screenshots, and the one a
//! failing test leaves.

use std::panic::AssertUnwindSafe;

use futures::FutureExt;

use super::{driver, server, session};

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

#[tokio::test]
async fn a_failing_browser_test_leaves_a_screenshot_of_its_page() {
    if !driver::available("failing_on_purpose") {
        return;
    }
    let app = server();
    let shot = session::screenshot_dir().join("FAILED-failing_on_purpose.png");

    // Act: a test body that fails on a page.
    let outcome = AssertUnwindSafe(session::run(
        "failing_on_purpose",
        app.address.clone(),
        |b| async move {
            b.goto("/api/v1/docs").await;
            panic!("failing on purpose");
        },
    ))
    .catch_unwind()
    .await;

    // Assert: the failure goes on to the caller, and the page's screenshot stays.
    assert!(outcome.is_err(), "the failure is not swallowed");
    let png = std::fs::read(&shot).expect("the failure's screenshot");
    assert!(png.starts_with(b"\x89PNG"), "{} is a PNG", shot.display());
    std::fs::remove_file(&shot).expect("remove the screenshot of a failure on purpose");
}
