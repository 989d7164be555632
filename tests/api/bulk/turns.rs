//! Bulk requests take turns to run (README "Bulk requests", concurrency): a request waiting for
//! its turn has not read its body, which stays with the client, so waiting requests hold no
//! memory for it; once the turn has come, the body must arrive within the header read timeout.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::{post_user, statuses, users_named};
use crate::helpers::{TestApp, bulk_body, connect, read_until_closed, sample};
use crate::webhooks::eventually;

/// More bulk requests than run at once on either database (SQLite one, PostgreSQL half of
/// its pool of eight).
const HOLDERS: usize = 8;

/// A raw `POST /Bulk` that sends its headers (with `Expect: 100-continue` when `expect`) and
/// returns the connection and the body it has yet to send.
async fn start_bulk(app: &TestApp, user: &str, expect: bool) -> (TcpStream, Vec<u8>) {
    let body = bulk_body(serde_json::json!([post_user(user, user)]))
        .to_string()
        .into_bytes();
    let host = app.address.trim_start_matches("http://");
    let expect = if expect {
        "Expect: 100-continue\r\n"
    } else {
        ""
    };
    let head = format!(
        "POST /scim/v2/Bulk HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/scim+json\r\nContent-Length: {}\r\n{expect}\
         Connection: close\r\n\r\n",
        app.token,
        body.len()
    );
    let mut stream = connect(&app.address).await;
    stream.write_all(head.as_bytes()).await.expect("write");
    (stream, body)
}

/// Bulk requests running and waiting, once `/metrics` counts `total` of them in all.
async fn bulk_requests(app: &TestApp, total: f64) -> (f64, f64) {
    eventually(
        "the bulk requests to reach their turn or its queue",
        || async {
            let metrics = reqwest::get(format!("{}/metrics", app.address))
                .await
                .ok()?
                .text()
                .await
                .ok()?;
            let count = |state: &str| {
                sample(
                    &metrics,
                    &format!("scimd_bulk_requests{{state=\"{state}\"}}"),
                )
            };
            let (running, waiting) = (count("running")?, count("waiting")?);
            (running + waiting == total).then_some((running, waiting))
        },
    )
    .await
}

#[tokio::test]
async fn a_bulk_request_waiting_for_its_turn_leaves_its_body_unread() {
    // Arrange: requests that have their turns and are reading bodies sent only in part.
    let app = TestApp::spawn().await;
    let mut holders = Vec::new();
    for i in 0..HOLDERS {
        let (mut stream, body) = start_bulk(&app, &format!("holder-{i}"), false).await;
        let half = body.len() / 2;
        stream.write_all(&body[..half]).await.expect("write");
        holders.push((stream, body[half..].to_vec()));
    }

    let (running, _) = bulk_requests(&app, HOLDERS as f64).await;
    assert!(running >= 1.0 && running < HOLDERS as f64, "{running}");

    // Act: one more, which asks before it sends its body (RFC 9110 §10.1.1).
    let (mut waiting, body) = start_bulk(&app, "waiting", true).await;
    bulk_requests(&app, HOLDERS as f64 + 1.0).await;
    let mut first = [0_u8; 64];
    let early = tokio::time::timeout(Duration::from_millis(300), waiting.read(&mut first)).await;

    // Assert: no `100 Continue` while the others hold the turns; once they end, it comes.
    assert!(
        early.is_err(),
        "the waiting request's body was asked for before its turn: {:?}",
        early.map(|n| String::from_utf8_lossy(&first[..n.unwrap_or(0)]).into_owned())
    );
    // (Which of them has a turn depends on the order the server took them in.)
    for (stream, rest) in &mut holders {
        stream.write_all(rest).await.expect("write");
    }
    for (mut stream, _) in holders {
        let answer = read_until_closed(&mut stream).await;
        assert!(answer.contains(r#""status":"201""#), "{answer}");
    }
    let n = waiting.read(&mut first).await.expect("read");
    let interim = String::from_utf8_lossy(&first[..n]).into_owned();
    assert!(interim.starts_with("HTTP/1.1 100 Continue"), "{interim}");
    waiting.write_all(&body).await.expect("write");
    let answer = read_until_closed(&mut waiting).await;
    assert!(answer.contains("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains(r#""status":"201""#), "{answer}");
}

#[tokio::test]
async fn a_bulk_body_that_stalls_once_its_turn_came_is_answered_408_and_the_turn_goes_on() {
    // Arrange: a one-second deadline, and a request that sends half its body and stops.
    let app = TestApp::spawn_with(|a| a.header_read_timeout_seconds = 1).await;
    let (mut stalled, body) = start_bulk(&app, "stalled", false).await;
    stalled
        .write_all(&body[..body.len() / 2])
        .await
        .expect("write");

    // Act
    let next = app
        .bulk(bulk_body(serde_json::json!([post_user("next", "next")])))
        .await;
    let answer = read_until_closed(&mut stalled).await;

    // Assert
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        answer.contains("did not arrive within 1 s of the request's turn"),
        "{answer}"
    );
    assert_eq!(statuses(&next), ["201"]);
    assert_eq!(users_named(&app, "stalled").await, 0);
}
