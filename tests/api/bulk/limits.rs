//! `maxOperations` and `maxPayloadSize` (RFC 7644 §3.7.4): enforced with 413 and a detail that
//! names the limit, before any operation runs; `/Bulk`'s body limit is its own.

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{post_user, statuses, users_named};
use crate::helpers::{TestApp, USER_SCHEMA, assert_scim_error, bulk_body};

fn creates(n: usize) -> Value {
    bulk_body(Value::Array(
        (0..n)
            .map(|i| post_user(&format!("b{i}"), &format!("user-{i}")))
            .collect(),
    ))
}

#[tokio::test]
async fn more_operations_than_max_operations_are_refused_with_413_before_any_runs() {
    // Arrange
    let app = TestApp::spawn_with(|a| a.bulk_max_operations = 3).await;

    // Act
    let at_limit = app.bulk(creates(3)).await;
    let over = app.post("/Bulk", creates(4)).await;

    // Assert
    assert_eq!(statuses(&at_limit), ["201", "201", "201"]);
    let body = assert_scim_error(over, 413, None).await;
    let detail = body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("maxOperations (3)"), "{detail}");
    assert_eq!(
        users_named(&app, "user-3").await,
        0,
        "nothing of the refused request ran"
    );
}

#[tokio::test]
async fn a_body_over_max_payload_size_is_refused_with_413_naming_it() {
    // Arrange
    let app = TestApp::spawn_with(|a| a.bulk_max_payload_bytes = 2_000).await;
    let big = creates(40);
    assert!(big.to_string().len() > 2_000);

    // Act
    let refused = app.post("/Bulk", big.clone()).await;

    // Assert
    let body = assert_scim_error(refused, 413, None).await;
    let detail = body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("maxPayloadSize (2000 bytes)"), "{detail}");
    assert_eq!(users_named(&app, "user-0").await, 0);

    // The same without Content-Length: only the streaming reader can see the size.
    let body = big.to_string();
    let host = app.address.trim_start_matches("http://");
    let request = format!(
        "POST /scim/v2/Bulk HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/scim+json\r\nTransfer-Encoding: chunked\r\n\
         Connection: close\r\n\r\n{:x}\r\n{body}\r\n0\r\n\r\n",
        app.token,
        body.len()
    );
    let mut stream = tokio::net::TcpStream::connect(host).await.expect("connect");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw).await;
    let response = String::from_utf8_lossy(&raw);
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");
    assert!(
        response.contains("maxPayloadSize (2000 bytes)"),
        "{response}"
    );
    assert_eq!(users_named(&app, "user-0").await, 0);
}

#[tokio::test]
async fn bulk_requests_have_their_own_body_limit() {
    // Arrange: other requests may not exceed 1,000 bytes; /Bulk keeps its 1 MiB.
    let app = TestApp::spawn_with(|a| a.max_body_bytes = 1_000).await;
    let bulk = creates(20);
    assert!(bulk.to_string().len() > 1_000);
    let user = json!({"schemas": [USER_SCHEMA], "userName": "big", "title": "x".repeat(1_000)});

    // Act
    let ops = app.bulk(bulk).await;
    let single = app.post("/Users", user).await;

    // Assert
    assert_eq!(ops.len(), 20);
    assert!(ops.iter().all(|op| op["status"] == "201"), "{ops:?}");
    let body = assert_scim_error(single, 413, None).await;
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("1000 bytes")),
        "{body}"
    );
}

#[tokio::test]
async fn a_request_that_is_no_bulk_request_is_refused_and_changes_nothing() {
    // Arrange
    let app = TestApp::spawn().await;
    let cases = [
        (
            json!({"Operations": [post_user("a", "a")]}),
            "no BulkRequest schema",
        ),
        (
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"]}),
            "no Operations",
        ),
        (
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
                   "failOnErrors": 0, "Operations": [post_user("a", "a")]}),
            "failOnErrors of 0",
        ),
        (json!([post_user("a", "a")]), "a bare list"),
    ];

    for (body, reason) in cases {
        // Act
        let resp = app.post("/Bulk", body).await;

        // Assert
        assert_eq!(resp.status(), 400, "{reason}");
        assert_scim_error(
            resp,
            400,
            Some(if reason == "failOnErrors of 0" {
                "invalidValue"
            } else {
                "invalidSyntax"
            }),
        )
        .await;
    }
    assert_eq!(users_named(&app, "a").await, 0);
}
