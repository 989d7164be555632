//! Two `scimd serve` processes on one PostgreSQL database share the webhook work: each event is
//! delivered by exactly one of them, in feed order. (SQLite is one file on one machine: this
//! runs only when `TEST_DATABASE_URL` is set.)

use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::json;

use super::receiver::Receiver;
use super::{Admin, eventually};
use crate::cli::{scimd, stdout};
use crate::helpers::{USER_SCHEMA, fresh_database_url};
use crate::process::Serve;

#[tokio::test]
async fn two_instances_on_one_postgres_deliver_each_event_once_in_order() {
    if std::env::var("TEST_DATABASE_URL").is_err() {
        eprintln!("TEST_DATABASE_URL is not set: two instances share work only on PostgreSQL");
        return;
    }
    // Arrange: tokens first (this also migrates), then two servers and one webhook.
    let url = fresh_database_url().await;
    let token = stdout(&scimd(&url, &["token", "create", "--name", "idp"]))
        .trim()
        .to_owned();
    let admin_token = stdout(&scimd(
        &url,
        &["token", "create", "--admin", "--name", "app"],
    ))
    .trim()
    .to_owned();
    let serve = || Serve::new(&url).env("SCIMD_WEBHOOK_RETRY_SCHEDULE", "100ms,100ms,100ms");
    let servers = [serve().start().await, serve().start().await];
    let receiver = Receiver::start().await;
    let admin = Admin::new(&servers[0].origin, admin_token);
    let hook = admin.create(&receiver.url(), None).await;
    let start = admin.webhook(hook["id"].as_str().unwrap()).await["delivered_through"]
        .as_str()
        .unwrap()
        .to_owned();

    // Act: 40 users created concurrently, half through each server.
    let client = reqwest::Client::new();
    let creates = (0..40).map(|n| {
        let request = client
            .post(format!("{}/scim/v2/Users", servers[n % 2].origin))
            .bearer_auth(&token)
            .json(&json!({"schemas": [USER_SCHEMA], "userName": format!("user{n}@example.com")}))
            .send();
        async move { request.await.unwrap().status() }
    });
    let statuses = join_all(creates).await;

    // Assert
    assert!(statuses.iter().all(|s| *s == StatusCode::CREATED));
    let feed: Vec<String> = admin
        .feed()
        .await
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .filter(|id| *id > start)
        .collect();
    assert_eq!(feed.len(), 40);
    eventually("every event", || async {
        (receiver.accepted().len() >= feed.len()).then_some(())
    })
    .await;
    // Two more polls of both dispatchers: a duplicate would show now.
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let delivered: Vec<String> = receiver
        .received()
        .into_iter()
        .map(|r| r.event_id)
        .collect();
    assert_eq!(delivered, feed, "each event exactly once, in feed order");
}
