//! Delivery to a real receiver: what is sent, in which order, retries and their log, the type
//! filter, failing endpoints and replay, and endpoints that do not wait for each other.

use reqwest::Method;
use serde_json::{Value, json};

use super::receiver::Receiver;
use super::{Admin, FAST_RETRIES, assert_signed, eventually};
use crate::helpers::{PATCH_OP, TestApp, id};

async fn app_with_fast_retries() -> TestApp {
    TestApp::spawn_with(|args| args.webhook_retry_schedule = FAST_RETRIES.parse().unwrap()).await
}

fn str_of(v: &Value) -> String {
    v.as_str().unwrap().to_owned()
}

/// The feed's events after `after`, oldest first.
async fn feed_after(admin: &Admin, after: &Value) -> Vec<Value> {
    let after = str_of(after);
    admin
        .feed()
        .await
        .into_iter()
        .filter(|e| str_of(&e["id"]) > after)
        .collect()
}

#[tokio::test]
async fn every_later_event_is_posted_once_signed_and_in_feed_order() {
    // Arrange: an event before the webhook exists, which it must not receive.
    let app = TestApp::spawn().await;
    let admin = Admin::of(&app).await;
    let receiver = Receiver::start().await;
    app.create_user("before@example.com").await;
    let hook = admin.create(&receiver.url(), None).await;
    let secret = str_of(&hook["secret"]);
    let start = admin.webhook(hook["id"].as_str().unwrap()).await["delivered_through"].clone();

    // Act: users and a group, a deactivation, a deletion.
    let user = app.create_user("ada@example.com").await;
    let other = app.create_user("grace@example.com").await;
    app.create_group("engineers", &[&id(&user), &id(&other)])
        .await;
    let deactivate = json!({"schemas": [PATCH_OP],
        "Operations": [{"op": "replace", "path": "active", "value": false}]});
    assert_eq!(
        app.patch(&format!("/Users/{}", id(&user)), deactivate)
            .await
            .status(),
        200
    );
    assert_eq!(
        app.delete(&format!("/Users/{}", id(&other))).await.status(),
        204
    );
    let expected = feed_after(&admin, &start).await;

    // Assert
    let received = eventually("every event", || async {
        let r = receiver.accepted();
        (r.len() >= expected.len()).then_some(r)
    })
    .await;
    assert!(expected.len() >= 7, "{expected:?}");
    assert_eq!(received.len(), expected.len(), "each event once");
    for (got, want) in received.iter().zip(&expected) {
        assert_eq!(got.json(), *want, "the body is the feed's event");
        assert_eq!(got.event_id, str_of(&want["id"]));
        assert!(got.content_type.starts_with("application/json"));
        assert_signed(&got.signature, &got.body, &[&secret]);
    }
    let types: Vec<String> = received.iter().map(|r| str_of(&r.json()["type"])).collect();
    assert!(types.contains(&"user.deactivated".to_owned()), "{types:?}");
    assert!(types.contains(&"user.deleted".to_owned()), "{types:?}");
}

#[tokio::test]
async fn a_receiver_that_fails_twice_gets_the_event_on_the_third_attempt() {
    // Arrange: a 500, then a redirect (which is not followed), then 200.
    let app = app_with_fast_retries().await;
    let admin = Admin::of(&app).await;
    let receiver = Receiver::start().await;
    receiver.answer_next(&[500, 302]);
    let hook = str_of(&admin.create(&receiver.url(), None).await["id"]);

    // Act
    app.create_user("ada@example.com").await;

    // Assert
    let log = eventually("three logged attempts", || async {
        let log = admin.deliveries(&hook).await;
        (log.len() == 3).then_some(log)
    })
    .await;
    let requests = receiver.received();
    assert_eq!(requests.len(), 3);
    assert!(requests.iter().all(|r| r.event_id == requests[0].event_id));
    let fields = |key: &str| log.iter().map(|d| d[key].clone()).collect::<Vec<_>>();
    assert_eq!(
        fields("attempt"),
        [json!(3), json!(2), json!(1)],
        "newest first"
    );
    assert_eq!(
        fields("outcome"),
        [json!("delivered"), json!("failed"), json!("failed")]
    );
    assert_eq!(
        fields("response_code"),
        [json!(200), json!(302), json!(500)]
    );
    assert_eq!(log[0]["response_body"], "answered 200");
    assert_eq!(log[0]["error"], Value::Null);
    assert_eq!(log[1]["error"], "HTTP 302 (redirects are not followed)");
    assert_eq!(log[2]["error"], "HTTP 500");
    assert!(
        log.iter()
            .all(|d| d["event"] == requests[0].event_id.as_str())
    );
    assert!(log.iter().all(|d| d["duration_ms"].as_i64().unwrap() >= 0));
    assert!(log.iter().all(|d| d["attempted_at"].is_string()));
    let webhook = admin.webhook(&hook).await;
    assert_eq!(webhook["state"], "active");
    assert_eq!(webhook["failures"], 0);
    assert_eq!(webhook["delivered_through"], requests[0].event_id.as_str());
}

#[tokio::test]
async fn a_type_filter_delivers_only_those_types_and_moves_past_the_others() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = Admin::of(&app).await;
    let receiver = Receiver::start().await;
    let hook = str_of(&admin.create(&receiver.url(), Some(&["user.deleted"])).await["id"]);

    // Act: a created, a deleted, then a created user.
    let user = app.create_user("ada@example.com").await;
    app.delete(&format!("/Users/{}", id(&user))).await;
    app.create_user("grace@example.com").await;

    // Assert
    let last = admin.feed().await.last().unwrap()["id"].clone();
    eventually("the cursor past the last event", || async {
        (admin.webhook(&hook).await["delivered_through"] == last).then_some(())
    })
    .await;
    let received = receiver.accepted();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].json()["type"], "user.deleted");
    assert_eq!(received[0].json()["data"]["id"], id(&user).as_str());
}

#[tokio::test]
async fn an_endpoint_whose_retries_run_out_is_failing_until_replayed() {
    // Arrange: three failures exhaust the schedule of two retries.
    let app = app_with_fast_retries().await;
    let admin = Admin::of(&app).await;
    let receiver = Receiver::start().await;
    receiver.answer_next(&[500, 500, 500]);
    let created = admin.create(&receiver.url(), None).await;
    let hook = str_of(&created["id"]);
    let start = admin.webhook(&hook).await["delivered_through"].clone();
    app.create_user("ada@example.com").await;
    let failing = eventually("the endpoint failing", || async {
        let w = admin.webhook(&hook).await;
        (w["state"] == "failing").then_some(w)
    })
    .await;
    app.create_user("grace@example.com").await;

    // Act
    let replayed = admin
        .expect(
            200,
            Method::POST,
            &format!("/webhooks/{hook}/replay"),
            Some(json!({"after": start})),
        )
        .await;

    // Assert
    assert_eq!(failing["failures"], 3);
    let error = str_of(&failing["last_error"]);
    assert!(error.contains("HTTP 500"), "{error}");
    assert!(error.contains("3 attempts"), "{error}");
    assert_eq!(replayed["state"], "active");
    assert_eq!(replayed["failures"], 0);
    assert_eq!(replayed["last_error"], Value::Null);
    let expected: Vec<Value> = feed_after(&admin, &start)
        .await
        .into_iter()
        .map(|e| e["id"].clone())
        .collect();
    assert_eq!(expected.len(), 2);
    let delivered = eventually("both events after the replay", || async {
        let r = receiver.accepted();
        (r.len() >= 2).then_some(r)
    })
    .await;
    let ids: Vec<Value> = delivered.iter().map(|r| json!(r.event_id)).collect();
    assert_eq!(ids, expected, "in order, once each");
    assert_eq!(
        receiver.received().len(),
        5,
        "nothing was sent while failing"
    );
}

#[tokio::test]
async fn a_failing_endpoint_does_not_delay_another() {
    // Arrange: one receiver fails and then waits an hour for its retry.
    let app = TestApp::spawn_with(|args| args.webhook_retry_schedule = "1h".parse().unwrap()).await;
    let admin = Admin::of(&app).await;
    let (slow, fast) = (Receiver::start().await, Receiver::start().await);
    slow.answer_next(&[500]);
    admin.create(&slow.url(), None).await;
    admin.create(&fast.url(), None).await;

    // Act
    for n in 0..3 {
        app.create_user(&format!("user{n}@example.com")).await;
    }

    // Assert
    eventually("the healthy endpoint to get every event", || async {
        (fast.accepted().len() == 3).then_some(())
    })
    .await;
    // Under load the failing endpoint's first attempt can arrive after the healthy one's three.
    eventually("the failing endpoint's first attempt", || async {
        (!slow.received().is_empty()).then_some(())
    })
    .await;
    assert_eq!(slow.received().len(), 1, "still waiting for its retry");
}
