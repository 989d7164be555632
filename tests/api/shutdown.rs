//! Graceful shutdown of the `scimd` process: on SIGTERM it refuses new connections at once,
//! lets the requests in flight finish (a long poll waiting for events, a create whose body is
//! still arriving), then exits with success.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::cli::{scimd, stdout};
use crate::helpers::{USER_SCHEMA, fresh_database_url};
use crate::process::Serve;

/// Longest any step may take before the test fails.
const BOUND: Duration = Duration::from_secs(15);

/// A `POST /scim/v2/Users` whose head and first half of the body are sent now; the rest is
/// sent by [`SlowCreate::finish`].
struct SlowCreate {
    socket: TcpStream,
    rest: Vec<u8>,
}

impl SlowCreate {
    async fn start(origin: &str, token: &str, user_name: &str) -> Self {
        let body = json!({"schemas": [USER_SCHEMA], "userName": user_name}).to_string();
        let head = format!(
            "POST /scim/v2/Users HTTP/1.1\r\nHost: scimd\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: application/scim+json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        let mut socket = TcpStream::connect(origin.trim_start_matches("http://"))
            .await
            .expect("connect");
        let (first, rest) = body.as_bytes().split_at(body.len() / 2);
        socket.write_all(head.as_bytes()).await.unwrap();
        socket.write_all(first).await.unwrap();
        Self {
            socket,
            rest: rest.to_vec(),
        }
    }

    /// Sends the rest of the body; returns the response's status line.
    async fn finish(mut self) -> String {
        self.socket.write_all(&self.rest).await.unwrap();
        let mut buf = [0u8; 4096];
        let n = tokio::time::timeout(BOUND, self.socket.read(&mut buf))
            .await
            .expect("an answer")
            .expect("read");
        let answer = String::from_utf8_lossy(&buf[..n]).into_owned();
        answer.lines().next().unwrap_or_default().to_owned()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_sigterm_requests_in_flight_finish_new_connections_are_refused_and_scimd_exits() {
    // Arrange: tokens from the CLI, a server, and requests in flight: long polls that wait 2 s
    // and creates whose bodies are half sent.
    let url = fresh_database_url().await;
    let token = |args: &[&str]| stdout(&scimd(&url, args)).trim().to_owned();
    let scim_token = token(&["token", "create", "--name", "idp"]);
    let admin_token = token(&["token", "create", "--name", "app", "--admin"]);
    let mut server = Serve::new(&url).start().await;
    let client = reqwest::Client::new();
    let polls: Vec<_> = (0..6)
        .map(|_| {
            let request = client
                .get(format!("{}/api/v1/events?wait=2", server.origin))
                .bearer_auth(&admin_token)
                .send();
            tokio::spawn(async move { request.await.map(|r| r.status()) })
        })
        .collect();
    let mut creates = Vec::new();
    for n in 0..4 {
        creates.push(SlowCreate::start(&server.origin, &scim_token, &format!("slow{n}")).await);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;

    // Act
    server.terminate();

    // Assert: new connections are refused while the requests in flight go on…
    let addr = server.origin.trim_start_matches("http://").to_owned();
    let refused = tokio::time::timeout(BOUND, async {
        while TcpStream::connect(&addr).await.is_ok() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(refused.is_ok(), "still accepting connections after SIGTERM");
    // …every one of them is answered…
    for create in creates {
        assert_eq!(create.finish().await, "HTTP/1.1 201 Created");
    }
    for poll in polls {
        let status = poll.await.unwrap().expect("the long poll was answered");
        assert_eq!(status, StatusCode::OK);
    }
    // …and the process then exits with success.
    let status = server.wait_for_exit(BOUND).await;
    assert!(status.success(), "exit status {status:?}: {}", server.log());
    let restarted = Serve::new(&url).start().await;
    let users: Value = client
        .get(format!("{}/scim/v2/Users", restarted.origin))
        .bearer_auth(&scim_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(users["totalResults"], json!(4), "{users}");
}
