//! Rotating a webhook's secret: during the grace period each delivery carries a signature with
//! the new secret and one with the old; without a grace period only the new one.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::receiver::Receiver;
use super::{Admin, assert_signed, eventually};
use crate::helpers::TestApp;

#[tokio::test]
async fn a_rotated_secret_signs_beside_the_old_one_until_the_grace_period_ends() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = Admin::of(&app).await;
    let receiver = Receiver::start().await;
    let created = admin.create(&receiver.url(), None).await;
    let hook = created["id"].as_str().unwrap().to_owned();
    let first = created["secret"].as_str().unwrap().to_owned();

    // Act: rotate with the default grace period (a POST without a body), deliver an event;
    // then rotate with none, deliver another.
    let resp = app
        .client
        .post(format!(
            "{}/api/v1/webhooks/{hook}/rotate-secret",
            app.address
        ))
        .bearer_auth(&admin.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let rotated: Value = resp.json().await.unwrap();
    let second = rotated["secret"].as_str().unwrap().to_owned();
    app.create_user("ada@example.com").await;
    let during = eventually("the first event", || async {
        receiver.accepted().into_iter().next()
    })
    .await;
    let again = admin
        .expect(
            200,
            Method::POST,
            &format!("/webhooks/{hook}/rotate-secret"),
            Some(json!({"grace_period_seconds": 0})),
        )
        .await;
    let third = again["secret"].as_str().unwrap().to_owned();
    app.create_user("grace@example.com").await;
    let after = eventually("the second event", || async {
        receiver.accepted().get(1).cloned()
    })
    .await;

    // Assert
    assert_ne!(first, second);
    let expires = chrono::DateTime::parse_from_rfc3339(
        rotated["previous_secret_expires_at"].as_str().unwrap(),
    )
    .unwrap();
    let in_a_day = chrono::Utc::now() + chrono::Duration::days(1);
    assert!(
        (in_a_day - expires.to_utc()).num_seconds().abs() < 60,
        "{expires}"
    );
    assert_signed(&during.signature, &during.body, &[&second, &first]);
    assert_eq!(again["previous_secret_expires_at"], Value::Null);
    assert_signed(&after.signature, &after.body, &[&third]);
    assert_eq!(
        admin.webhook(&hook).await["previous_secret_expires_at"],
        Value::Null
    );
}
