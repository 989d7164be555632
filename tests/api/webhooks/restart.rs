//! Delivery state lives in the database: a receiver that is down while scimd stops and a new
//! server starts on the same database still gets every event, in order, once it is back.

use std::sync::Arc;

use clap::Parser;
use reqwest::StatusCode;
use scimd::cli::CliError;
use scimd::cli::serve::Application;
use scimd::config::{Cli, Command};
use scimd::http::AppState;
use serde_json::json;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::receiver::Receiver;
use super::{Admin, eventually};
use crate::helpers::{USER_SCHEMA, fresh_database_url};

/// One server on the database, run the way `scimd serve` runs it.
struct Instance {
    address: String,
    state: Arc<AppState>,
    stop: oneshot::Sender<()>,
    task: JoinHandle<Result<(), CliError>>,
}

impl Instance {
    async fn start(database_url: &str) -> Self {
        // Retries every 100 ms for 10 s: the receiver is back long before they run out.
        let schedule = vec!["100ms"; 100].join(",");
        let cli = Cli::try_parse_from([
            "scimd",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--webhook-retry-schedule",
            &schedule,
        ])
        .unwrap();
        let Command::Serve(args) = cli.command else {
            unreachable!()
        };
        let db = scimd::cli::open(database_url, &Default::default())
            .await
            .unwrap();
        let app = Application::build(db, &args, None).await.unwrap();
        let address = format!("http://{}", app.addr());
        let state = app.state().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(app.run_until(async {
            let _ = stopped.await;
        }));
        Instance {
            address,
            state,
            stop,
            task,
        }
    }

    /// Stops the server and waits until it has (its webhook leases given up).
    async fn stop(self) {
        let _ = self.stop.send(());
        self.task.await.unwrap().unwrap();
    }

    async fn create_user(&self, token: &str, name: &str) {
        let resp = reqwest::Client::new()
            .post(format!("{}/Users", self.state.base_url))
            .bearer_auth(token)
            .json(&json!({"schemas": [USER_SCHEMA], "userName": name}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::CREATED);
    }
}

#[tokio::test]
async fn a_receiver_down_across_a_restart_gets_every_event_in_order_afterwards() {
    // Arrange: one event delivered, then the receiver goes down.
    let url = fresh_database_url().await;
    let mut receiver = Receiver::start().await;
    let first = Instance::start(&url).await;
    let token = first.state.auth.issue("idp", None).await.unwrap();
    let admin_token = first
        .state
        .auth
        .issue_scoped("app", scimd::auth::Scope::Admin, None)
        .await
        .unwrap();
    let admin = Admin::new(&first.address, admin_token.clone());
    let hook = admin.create(&receiver.url(), None).await;
    let hook = hook["id"].as_str().unwrap().to_owned();
    let start = admin.webhook(&hook).await["delivered_through"].clone();
    first.create_user(&token, "one@example.com").await;
    eventually("the first event", || async {
        (receiver.accepted().len() == 1).then_some(())
    })
    .await;
    receiver.stop().await;

    // Act: events while it is down, a restart, more events, then the receiver comes back.
    first.create_user(&token, "two@example.com").await;
    first.create_user(&token, "three@example.com").await;
    eventually("a failed attempt", || async {
        let log = admin.deliveries(&hook).await;
        log.iter().any(|d| d["outcome"] == "failed").then_some(())
    })
    .await;
    first.stop().await;
    let second = Instance::start(&url).await;
    let admin = Admin::new(&second.address, admin_token);
    second.create_user(&token, "four@example.com").await;
    receiver.restart().await;

    // Assert
    let feed: Vec<String> = admin
        .feed()
        .await
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .filter(|id| id.as_str() > start.as_str().unwrap())
        .collect();
    assert_eq!(feed.len(), 4);
    let delivered = eventually("every event", || async {
        let ids: Vec<String> = receiver
            .accepted()
            .into_iter()
            .map(|r| r.event_id)
            .collect();
        (ids.len() >= feed.len()).then_some(ids)
    })
    .await;
    assert_eq!(delivered, feed, "each event once, in feed order");
    second.stop().await;
}
