//! What is kept: the delivery log stays bounded, and an endpoint whose undelivered events were
//! removed by the feed's retention stops and says so instead of skipping them silently.

use futures::{StreamExt, stream};
use reqwest::Method;
use scimd::store::webhooks::{self, Attempt, Expected, KEEP_DELIVERIES, Progress};
use serde_json::json;

use super::receiver::Receiver;
use super::{Admin, assert_api_error, eventually};
use crate::helpers::TestApp;

#[tokio::test]
async fn the_delivery_log_keeps_the_last_thousand_attempts_per_endpoint() {
    // Arrange: attempts recorded straight through the store, 1,000 is too many to provoke.
    let app = TestApp::spawn().await;
    let admin = Admin::of(&app).await;
    let id = admin.create("http://127.0.0.1:9/h", None).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let db = &app.state.db;
    let now = scimd::scim::resource::now();
    // Nobody holds the lease, so only the log entry is written.
    let nobody = Expected {
        owner: "nobody",
        delivered_through: 0,
        failures: 0,
    };
    let progress = Progress {
        delivered_through: 0,
        state: webhooks::ACTIVE,
        failures: 0,
        next_attempt: None,
        last_error: None,
        lease_until: now,
    };

    let record = |n: i64| {
        let attempt = Attempt {
            event_position: 1,
            attempt: n,
            attempted_at: now,
            duration_ms: 1,
            outcome: "failed",
            response_code: Some(500),
            response_body: None,
            error: Some("HTTP 500".into()),
        };
        let (id, progress) = (id.clone(), progress.clone());
        async move {
            let saved = webhooks::save(db, &id, nobody, &progress, Some(&attempt))
                .await
                .unwrap();
            assert!(saved.is_none(), "the lease is not ours");
        }
    };

    // Act: five attempts, then 999 more at once (one commit at a time would take seconds on
    // PostgreSQL), then the last one, which sees every other one committed.
    for n in 1..=5 {
        record(n).await;
    }
    stream::iter(6..KEEP_DELIVERIES + 5)
        .map(record)
        .buffer_unordered(8)
        .collect::<Vec<()>>()
        .await;
    record(KEEP_DELIVERIES + 5).await;

    // Assert
    let log = admin
        .expect(
            200,
            Method::GET,
            &format!("/webhooks/{id}/deliveries?limit=1000"),
            None,
        )
        .await;
    let attempts: Vec<i64> = log["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["attempt"].as_i64().unwrap())
        .collect();
    assert_eq!(attempts.len(), 1000);
    assert_eq!(attempts[0], KEEP_DELIVERIES + 5, "newest first");
    assert!(attempts.iter().all(|n| *n > 5), "the oldest five are gone");
    assert_eq!(
        webhooks::deliveries(db, &id, 5000).await.unwrap().len(),
        1000
    );
}

#[tokio::test]
async fn an_endpoint_whose_events_were_pruned_before_delivery_fails_and_replays_only_kept_events() {
    // Arrange: an endpoint that keeps failing (retries every 100 ms), and an event for it.
    let retries = vec!["100ms"; 200].join(",");
    let app =
        TestApp::spawn_with(|args| args.webhook_retry_schedule = retries.parse().unwrap()).await;
    let admin = Admin::of(&app).await;
    let receiver = Receiver::start().await;
    receiver.answer_next(&[500; 200]);
    let id = admin.create(&receiver.url(), None).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let start = admin.webhook(&id).await["delivered_through"].clone();
    app.create_user("ada@example.com").await;
    eventually("a failed attempt", || async {
        (!receiver.received().is_empty()).then_some(())
    })
    .await;

    // Act: retention removes the event before it could be delivered.
    let pruned = app
        .state
        .service
        .prune_events(chrono::Duration::zero())
        .await
        .unwrap();

    // Assert
    assert_eq!(pruned, 1);
    let failing = eventually("the endpoint failing", || async {
        let w = admin.webhook(&id).await;
        (w["state"] == "failing").then_some(w)
    })
    .await;
    let error = failing["last_error"].as_str().unwrap();
    assert!(error.contains("removed by retention"), "{error}");
    let replay = format!("/webhooks/{id}/replay");
    let too_old = admin
        .call(Method::POST, &replay, Some(json!({"after": start})))
        .await;
    assert_api_error(too_old, reqwest::StatusCode::GONE, "gone").await;
    let pruned_event = receiver.received()[0].event_id.clone();
    let resumed = admin
        .expect(
            200,
            Method::POST,
            &replay,
            Some(json!({"after": pruned_event})),
        )
        .await;
    assert_eq!(
        resumed["state"], "active",
        "after the last removed event is fine"
    );
}
