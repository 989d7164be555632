//! Connections before any token is checked: the header-read, idle and request timeouts, the
//! connection limit, and an accept loop that pauses instead of spinning when the process is out
//! of file descriptors. Raw TCP on loopback, every wait bounded.

use std::time::Duration;

use crate::helpers::{TestApp, assert_api_error, connect, fresh_database_url, read_until_closed};
use crate::process::Serve;
use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Longest any step below may take before the test fails (every expected event is due within
/// a few seconds).
const BOUND: Duration = Duration::from_secs(15);

#[tokio::test]
async fn a_client_trickling_a_request_head_is_cut_off_after_the_header_timeout() {
    // Arrange
    let app = TestApp::spawn_with(|args| args.header_read_timeout_seconds = 1).await;
    let mut socket = connect(&app.address).await;
    let started = tokio::time::Instant::now();

    // Act: half a request line, then a header line every 200 ms, never the blank line.
    socket.write_all(b"GET /healthz HT").await.unwrap();
    let trickle = async {
        for n in 0.. {
            tokio::time::sleep(Duration::from_millis(200)).await;
            let line = format!("TP/1.1\r\nX-Slow-{n}: 1\r\n");
            if socket.write_all(line.as_bytes()).await.is_err() {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(BOUND, trickle).await;
    let received = read_until_closed(&mut socket).await;

    // Assert: closed without an answer, though bytes kept coming (the deadline is not reset).
    assert_eq!(
        received, "",
        "no response to a request that never finished its head"
    );
    assert!(started.elapsed() < BOUND, "closed by the header deadline");
}

#[tokio::test]
async fn a_connection_that_sends_nothing_is_closed_after_the_header_timeout() {
    // Arrange
    let app = TestApp::spawn_with(|args| args.header_read_timeout_seconds = 1).await;
    let mut socket = connect(&app.address).await;

    // Act
    let received = read_until_closed(&mut socket).await;

    // Assert
    assert_eq!(received, "");
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed_after_the_idle_timeout() {
    // Arrange
    let app = TestApp::spawn_with(|args| args.idle_timeout_seconds = 1).await;
    let mut socket = connect(&app.address).await;

    // Act: one complete request on a kept-alive (HTTP/1.1) connection, then silence.
    socket
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: scimd\r\n\r\n")
        .await
        .unwrap();
    let received = read_until_closed(&mut socket).await;

    // Assert: answered, then closed by the server.
    assert!(received.starts_with("HTTP/1.1 200"), "{received}");
    assert!(received.ends_with("ok"), "{received}");
}

#[tokio::test]
async fn a_kept_alive_connection_serves_requests_that_come_within_the_idle_timeout() {
    // Arrange: a header timeout shorter than the pauses, so only the idle timeout may apply.
    let app = TestApp::spawn_with(|args| {
        args.header_read_timeout_seconds = 1;
        args.idle_timeout_seconds = 5;
    })
    .await;
    let mut socket = connect(&app.address).await;

    // Act: three requests 1.5 s apart on one connection.
    let mut answers = Vec::new();
    for _ in 0..3 {
        socket
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: scimd\r\n\r\n")
            .await
            .unwrap();
        let mut buf = [0u8; 1024];
        let n = tokio::time::timeout(BOUND, socket.read(&mut buf))
            .await
            .expect("an answer")
            .unwrap();
        answers.push(String::from_utf8_lossy(&buf[..n]).into_owned());
        tokio::time::sleep(Duration::from_millis(1500)).await;
    }

    // Assert
    for answer in &answers {
        assert!(answer.starts_with("HTTP/1.1 200"), "{answers:?}");
    }
}

#[tokio::test]
async fn a_request_that_outlives_the_request_timeout_is_answered_503() {
    // Arrange: a long poll that would wait 20 s, against a 1 s request timeout.
    let app = TestApp::spawn_with(|args| args.request_timeout_seconds = 1).await;
    let token = app.admin_token().await;

    // Act
    let resp = tokio::time::timeout(
        BOUND,
        app.client
            .get(format!("{}/api/v1/events?wait=20", app.address))
            .bearer_auth(&token)
            .send(),
    )
    .await
    .expect("answered before the long poll's end")
    .expect("response");

    // Assert
    assert_api_error(resp, 503, "unavailable").await;
}

#[tokio::test]
async fn at_the_connection_limit_a_new_connection_waits_and_is_served_once_one_closes() {
    // Arrange: two connections held open (sending nothing) fill a limit of two.
    let app = TestApp::spawn_with(|args| {
        args.max_connections = 2;
        args.header_read_timeout_seconds = 60;
    })
    .await;
    let first = connect(&app.address).await;
    let _second = connect(&app.address).await;
    let health = format!("{}/healthz", app.address);
    let mut probe = tokio::spawn(async move {
        // A client of its own: a fresh connection.
        reqwest::Client::new().get(health).send().await
    });

    // Act / Assert: no answer while both are held…
    let early = tokio::time::timeout(Duration::from_millis(700), &mut probe).await;
    assert!(early.is_err(), "served beyond the connection limit");
    // …and an answer once one closes.
    drop(first);
    let resp = tokio::time::timeout(BOUND, probe)
        .await
        .expect("served once a connection closed")
        .unwrap()
        .expect("response");
    assert_eq!(resp.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_file_descriptors_the_server_pauses_accepting_and_recovers() {
    // Arrange: 64 file descriptors, and more half-sent requests than fit in them.
    let url = fresh_database_url().await;
    let server = Serve::new(&url)
        .args(["--header-read-timeout-seconds", "1"].as_slice())
        .open_files_limit(64)
        .start()
        .await;
    let mut held = Vec::new();
    for _ in 0..80 {
        let mut socket = connect(&server.origin).await;
        socket.write_all(b"GET /healthz HT").await.unwrap();
        held.push(socket);
    }

    // Act: a second of the server with its descriptors exhausted.
    let before = server.cpu_time();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let spent = server.cpu_time() - before;

    // Assert: it did not spin on failing accepts, and once the half-sent requests are cut off
    // a fresh connection is served.
    assert!(
        spent < Duration::from_millis(400),
        "the server burnt {spent:?} of CPU in a second while out of descriptors"
    );
    let resp = tokio::time::timeout(
        Duration::from_secs(30),
        reqwest::get(format!("{}/healthz", server.origin)),
    )
    .await
    .expect("healthz answered once descriptors were free again")
    .expect("response");
    assert_eq!(resp.status(), StatusCode::OK);
    drop(held);
}
