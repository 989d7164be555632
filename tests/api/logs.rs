//! The access log of the `scimd` process as a log shipper sees it (stderr to a file): no colour
//! codes, the path without the query (filter values are email addresses), the client address
//! from forwarded headers only behind `--trust-proxy`, and JSON lines with `--log-format json`.

use reqwest::StatusCode;
use serde_json::Value;

use crate::cli::{scimd, stdout};
use crate::helpers::fresh_database_url;
use crate::process::{Serve, ServerProcess};

/// Someone's email address, sent in a filter.
const PERSONAL: &str = "jane.personal@example.com";

/// Starts a server logging at `info` with `args`, sends it one filtered list request with
/// forwarded-address headers, and returns the log line of that request (and the whole log).
async fn log_of_one_request(args: &[&str]) -> (String, String) {
    let url = fresh_database_url().await;
    let token = stdout(&scimd(&url, &["token", "create", "--name", "idp"]));
    let server: ServerProcess = Serve::new(&url)
        .env("RUST_LOG", "info")
        .args(args)
        .start()
        .await;
    let resp = reqwest::Client::new()
        .get(format!("{}/scim/v2/Users", server.origin))
        .query(&[("filter", format!("userName eq \"{PERSONAL}\""))])
        .bearer_auth(token.trim())
        .header("X-Forwarded-For", "198.51.100.1, 203.0.113.7")
        .header("X-Real-IP", "192.0.2.9")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    drop(resp);
    // The line is written after the response; give the process a moment to flush it.
    let mut log = String::new();
    for _ in 0..100 {
        log = server.log();
        if log.contains("/scim/v2/Users") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let line = log
        .lines()
        .find(|l| l.contains("/scim/v2/Users"))
        .unwrap_or_else(|| panic!("no access log line: {log}"))
        .to_owned();
    (line, log)
}

#[tokio::test]
async fn the_access_log_has_no_query_no_colour_codes_and_ignores_forwarded_headers() {
    // Act
    let (line, log) = log_of_one_request(&[]).await;

    // Assert
    assert!(
        !log.contains('\u{1b}'),
        "escape codes in a log file: {log:?}"
    );
    assert!(line.contains("path=/scim/v2/Users"), "{line}");
    assert!(
        !log.contains("jane.personal"),
        "a filter value in the log: {log}"
    );
    assert!(line.contains("client=127.0.0.1"), "{line}");
    assert!(
        !line.contains("203.0.113.7") && !line.contains("192.0.2.9"),
        "{line}"
    );
}

#[tokio::test]
async fn behind_trust_proxy_the_client_is_the_address_the_proxy_appended() {
    // Act
    let (line, _) = log_of_one_request(&["--trust-proxy"]).await;

    // Assert: the last X-Forwarded-For entry; the first one is whatever the client claimed.
    assert!(line.contains("client=203.0.113.7"), "{line}");
}

#[tokio::test]
async fn log_format_json_writes_one_object_per_line() {
    // Act
    let (line, log) = log_of_one_request(&["--log-format", "json"]).await;

    // Assert
    for l in log.lines() {
        serde_json::from_str::<Value>(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"));
    }
    let entry: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(entry["path"], "/scim/v2/Users", "{entry}");
    assert_eq!(entry["method"], "GET", "{entry}");
    assert_eq!(entry["status"], 200, "{entry}");
    assert_eq!(entry["client"], "127.0.0.1", "{entry}");
    assert!(entry["span"]["request_id"].is_string(), "{entry}");
    assert!(!log.contains("jane.personal"), "{log}");
}
