//! Events per directory: each carries its directory's id, `GET /api/v1/events?directory=` reads
//! one directory's, and a webhook limited to a directory receives its events only and goes when
//! the directory goes.

use reqwest::Method;
use serde_json::{Value, json};

use super::{admin, server, two_dirs};
use crate::helpers::{event_types, get_events, id, page_events};
use crate::webhooks::eventually;
use crate::webhooks::receiver::Receiver;

/// Every event of `directory` from the start of the feed, read `limit` at a time.
async fn directory_events(
    app: &crate::helpers::TestApp,
    directory: &str,
    limit: &str,
) -> Vec<Value> {
    let token = app.admin_token().await;
    let client = reqwest::Client::new();
    let mut after: Option<String> = None;
    let mut all = Vec::new();
    loop {
        let mut query = vec![("directory", directory), ("limit", limit)];
        if let Some(a) = &after {
            query.push(("after", a));
        }
        let resp = get_events(&client, &app.address, &token, &query).await;
        let page: Value = crate::helpers::feed_page(resp, &query).await;
        let events = page_events(&page);
        after = page["after"].as_str().map(str::to_owned);
        if events.is_empty() {
            return all;
        }
        all.extend(events);
    }
}

#[tokio::test]
async fn each_directory_reads_only_its_own_events() {
    // Arrange
    let app = server();
    let (a, b) = two_dirs(&app, "feed").await;
    let in_a = a.scim.create_user("same").await;
    let in_b = b.scim.create_user("same").await;
    a.scim.create_group("Team", &[&id(&in_a)]).await;

    // Act
    let of_a = directory_events(&app, &a.id, "100").await;
    let of_b = directory_events(&app, &b.id, "1").await;

    // Assert
    assert_eq!(
        event_types(&of_a),
        ["user.created", "group.created", "group.member_added"]
    );
    assert_eq!(event_types(&of_b), ["user.created"]);
    for (events, dir) in [(&of_a, &a), (&of_b, &b)] {
        for event in events.iter() {
            assert_eq!(event["directory"], json!(dir.id), "{event}");
            assert_eq!(
                event["actor"],
                json!({"type": "token", "id": dir.token_id, "name": "initial"}),
                "{event}"
            );
        }
    }
    assert_eq!(of_a[0]["data"]["id"], in_a["id"]);
    assert_eq!(of_b[0]["data"]["id"], in_b["id"]);
    let everything = directory_events(&app, "default", "1000").await;
    assert!(
        everything.iter().all(|e| e["directory"] == "default"),
        "the default directory's events are its own"
    );
}

#[tokio::test]
async fn a_cursor_of_one_directory_reading_continues_the_whole_feed() {
    // Arrange
    let app = server();
    let (a, b) = two_dirs(&app, "cursor-feed").await;
    a.scim.create_user("first").await;
    let of_a = directory_events(&app, &a.id, "100").await;
    let last_of_a = of_a.last().unwrap()["id"].as_str().unwrap().to_owned();
    b.scim.create_user("later").await;

    // Act: the same cursor, without the filter and with b's.
    let token = app.admin_token().await;
    let client = reqwest::Client::new();
    let whole = get_events(
        &client,
        &app.address,
        &token,
        &[("after", &last_of_a), ("limit", "1000")],
    )
    .await;
    let whole = crate::helpers::feed_page(whole, &[]).await;
    let of_b = get_events(
        &client,
        &app.address,
        &token,
        &[("after", &last_of_a), ("directory", &b.id)],
    )
    .await;
    let of_b = crate::helpers::feed_page(of_b, &[]).await;

    // Assert
    assert!(
        page_events(&whole)
            .iter()
            .any(|e| e["directory"] == json!(b.id)),
        "{whole}"
    );
    assert_eq!(event_types(&page_events(&of_b)), ["user.created"]);
}

#[tokio::test]
async fn a_webhook_limited_to_a_directory_receives_its_events_only_and_goes_with_it() {
    // Arrange
    let app = server();
    let admin = admin(&app).await;
    let (a, b) = two_dirs(&app, "hook").await;
    let receiver = Receiver::start().await;
    let hook = admin
        .expect(
            201,
            Method::POST,
            "/webhooks",
            Some(json!({"url": receiver.url(), "directory": a.id})),
        )
        .await;
    let hook_id = hook["id"].as_str().unwrap().to_owned();

    // Act: b's change first, then a's; the default directory's meanwhile.
    b.scim.create_user("elsewhere").await;
    app.create_user(&super::unique_id("default-hook")).await;
    let mine = a.scim.create_user("mine").await;
    let delivered = eventually("a's event delivered", || async {
        let accepted = receiver.accepted();
        (!accepted.is_empty()).then_some(accepted)
    })
    .await;

    // Assert
    assert_eq!(hook["directory"], json!(a.id));
    assert_eq!(admin.webhook(&hook_id).await["directory"], json!(a.id));
    assert_eq!(delivered.len(), 1, "only a's event");
    let event = delivered[0].json();
    assert_eq!(event["directory"], json!(a.id));
    assert_eq!(event["data"]["id"], mine["id"]);
    admin
        .expect(
            204,
            Method::DELETE,
            &format!("/directories/{}?purge=true", a.id),
            None,
        )
        .await;
    let listed = admin.expect(200, Method::GET, "/webhooks", None).await;
    assert!(
        listed["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|w| w["id"] != json!(hook_id)),
        "the webhook went with its directory"
    );
}
