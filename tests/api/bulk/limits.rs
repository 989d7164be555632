//! `maxOperations` and `maxPayloadSize` (RFC 7644 §3.7.4): enforced with 413 and a detail that
//! names the limit, before any operation runs; `/Bulk`'s body limit is its own. Each operation
//! is held to the limits of the single request it stands for (README "Limits").

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{assert_failed, post_user, statuses, users_named};
use crate::helpers::{
    TestApp, USER_SCHEMA, assert_scim_error, bulk_body, patch_body, scim_json, sorted_values,
};

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

#[tokio::test]
async fn a_bulk_body_that_breaks_off_or_repeats_a_member_is_refused_and_changes_nothing() {
    // Arrange: the body is read one operation at a time, so its first operations are valid
    // before the reader reaches the problem.
    let app = TestApp::spawn().await;
    let first = post_user("a", "early").to_string();
    let schemas = r#""schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"]"#;
    let cases = [
        (
            format!(r#"{{{schemas}, "Operations": [{first}, {{"method": "POST""#),
            "the body breaks off after a valid operation",
        ),
        (
            format!(r#"{{{schemas}, "Operations": [{first}]}} {{}}"#),
            "a second JSON value after the request",
        ),
        (
            format!(r#"{{{schemas}, "Operations": [{first}], "operations": [{first}]}}"#),
            "Operations given twice",
        ),
    ];

    for (body, reason) in cases {
        // Act
        let resp = app
            .post_raw("/Bulk", Some("application/scim+json"), body)
            .await;

        // Assert
        let error = assert_scim_error(resp, 400, Some("invalidSyntax")).await;
        assert!(error["detail"].is_string(), "{reason}: {error}");
    }
    assert_eq!(users_named(&app, "early").await, 0);
}

#[tokio::test]
async fn bulk_requests_waiting_for_their_turn_hold_only_their_text_of_the_memory_budget() {
    // Arrange: eight bulk requests of 300 creates (about 46 KB of text, 4,500 JSON values:
    // some 900 KB once parsed). The budget holds all eight texts and two parsed bodies, which is
    // what two runs at a time need (SQLite's, and PostgreSQL's with four connections); charged
    // the parsed size while waiting, only two would fit and the others would be turned away
    // after a second.
    let app = TestApp::spawn_with(|a| {
        a.db_max_connections = Some(4);
        a.max_body_bytes = 65_536;
        a.bulk_max_payload_bytes = 65_536;
        a.max_json_values = 5_000;
        a.max_body_memory = 2_400_000;
    })
    .await;
    let body = |r: usize| {
        bulk_body(Value::Array(
            (0..300)
                .map(|i| post_user(&format!("b{i}"), &format!("waiting-{r}-{i}")))
                .collect(),
        ))
    };

    // Act
    let responses = futures::future::join_all((0..8).map(|r| app.post("/Bulk", body(r)))).await;

    // Assert
    for (r, resp) in responses.into_iter().enumerate() {
        assert_eq!(resp.status(), 200, "request {r}");
        let ops = scim_json(resp).await["Operations"].clone();
        let ops = ops.as_array().expect("Operations");
        assert_eq!(ops.len(), 300, "request {r}");
        assert!(statuses(ops).iter().all(|s| *s == "201"), "request {r}");
    }
    assert_eq!(users_named(&app, "waiting-7-299").await, 1);
}

#[tokio::test]
async fn each_operation_is_held_to_the_limits_of_the_single_request_it_stands_for() {
    // Arrange: 3 values per attribute, 2 PATCH operations, 2 filter terms.
    let app = TestApp::spawn_with(|a| {
        a.max_values_per_attribute = 3;
        a.max_patch_operations = 2;
        a.max_filter_terms = 2;
    })
    .await;
    let emails = |n: usize| -> Value {
        (0..n)
            .map(|i| json!({"value": format!("e{i}@example.com"), "type": format!("t{i}")}))
            .collect()
    };
    let user = |name: &str, n: usize| json!({"schemas": [USER_SCHEMA], "userName": name, "emails": emails(n)});
    let patch = |ops: Value| json!({"method": "PATCH", "path": "/Users/bulkId:ok", "data": patch_body(ops)});
    let title = |t: &str| json!({"op": "replace", "path": "title", "value": t});
    let operations = json!([
        {"method": "POST", "path": "/Users", "bulkId": "ok", "data": user("ok", 3)},
        {"method": "POST", "path": "/Users", "bulkId": "many", "data": user("many", 4)},
        {"method": "PUT", "path": "/Users/bulkId:ok", "data": user("ok", 4)},
        patch(json!([title("a"), title("b"), title("c")])),
        patch(json!([{"op": "add", "path": "emails", "value": [{"value": "new@example.com"}]}])),
        patch(json!([{"op": "replace", "value": {"emails": emails(4)}}])),
        patch(json!([{"op": "replace",
                      "path": "emails[type eq \"t0\" or type eq \"t1\" or type eq \"t2\"].display",
                      "value": "x"}])),
        patch(json!([title("kept")])),
    ]);

    // Act
    let ops = app.bulk(bulk_body(operations)).await;

    // Assert
    let reasons = [
        (
            1,
            "invalidValue",
            "a POST with too many values of one attribute",
        ),
        (
            2,
            "invalidValue",
            "a PUT with too many values of one attribute",
        ),
        (3, "invalidValue", "a PATCH of too many operations"),
        (
            4,
            "invalidValue",
            "a PATCH that grows an attribute past the limit",
        ),
        (
            5,
            "invalidValue",
            "a PATCH whose value holds too many values",
        ),
        (6, "invalidPath", "a PATCH path of too many filter terms"),
    ];
    assert_eq!(ops[0]["status"], "201", "{}", ops[0]);
    for (i, scim_type, reason) in reasons {
        let detail = assert_failed(&ops[i], 400, Some(scim_type));
        assert!(detail.contains("at most"), "{reason}: {detail}");
    }
    assert_eq!(ops[7]["status"], "200", "{}", ops[7]);
    assert_eq!(users_named(&app, "many").await, 0);
    let location = ops[0]["location"].as_str().expect("location");
    let path = &location[location.find("/Users/").expect("a user URL")..];
    let stored = scim_json(app.get(path).await).await;
    assert_eq!(
        sorted_values(&stored, "emails"),
        ["e0@example.com", "e1@example.com", "e2@example.com"],
        "nothing refused was applied"
    );
    assert_eq!(stored["title"], "kept");
}

#[tokio::test]
async fn a_bulk_body_of_more_json_values_than_the_limit_is_invalid_syntax() {
    // Arrange: each create is about a dozen JSON values.
    let app = TestApp::spawn_with(|a| a.max_json_values = 100).await;

    // Act
    let small = app.bulk(creates(2)).await;
    let large = app.post("/Bulk", creates(20)).await;

    // Assert
    assert_eq!(statuses(&small), ["201", "201"]);
    let body = assert_scim_error(large, 400, Some("invalidSyntax")).await;
    let detail = body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("more than 100 values"), "{detail}");
    assert_eq!(users_named(&app, "user-19").await, 0);
}
