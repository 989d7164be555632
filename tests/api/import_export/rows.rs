//! Rows one at a time: a malformed or invalid row is reported on its line and changes nothing,
//! the others apply; each applied row records its events, as the operator (`cli`).

use serde_json::json;

use super::{error_report, file_with, import, user, user_named};
use crate::helpers::{TestApp, event_types, id};

#[tokio::test]
async fn malformed_rows_are_reported_on_their_line_and_change_nothing() {
    // Arrange
    let app = TestApp::spawn().await;
    let keep = user(
        &app,
        json!({"userName": "keep", "emails": [{"value": "keep@example.com", "primary": true}],
               "name": {"givenName": "Keep"}}),
    )
    .await;
    let file = file_with(
        "users.csv",
        "userName,email,givenName\n\
         new1,new1@example.com,First\n\
         keep,\"changed@example.com,Changed\n\
         keep,changed@example.com\n\
         keep,not an email,Changed\n\
         new1,other@example.com,Second\n\
         keep,changed@example.com,Changed,extra\n\
         ,nobody@example.com,Nobody\n\
         new2,new2@example.com,Two\n",
    );
    let end = app.feed_end().await;

    // Act
    let run = import(&app, &file, &[]).await;

    // Assert
    let expected = [
        (3, "", "unbalanced quotes", "an unclosed quote"),
        (4, "", "2 values where the header has 3", "too few values"),
        (5, "keep", "is not an email address", "an invalid email"),
        (6, "new1", "on an earlier row", "a duplicate userName"),
        (7, "", "4 values where the header has 3", "too many values"),
        (8, "", "userName is empty", "no userName"),
    ];
    let report = error_report(&file);
    assert_eq!(report.len(), expected.len(), "{report:?}");
    for ((line, name, reason), (want_line, want_name, want_reason, why)) in
        report.iter().zip(expected)
    {
        assert_eq!((*line, name.as_str()), (want_line, want_name), "{why}");
        assert!(reason.contains(want_reason), "{why}: {reason}");
    }
    assert_eq!(run.code, Some(3), "rejected rows: exit 3: {run:?}");
    assert_eq!(run.counts(), [2, 0, 0, 0, 6], "{run:?}");
    let kept = user_named(&app, "keep").await.unwrap();
    assert_eq!(
        kept["meta"]["version"], keep["meta"]["version"],
        "keep untouched"
    );
    let new1 = user_named(&app, "new1").await.unwrap();
    assert_eq!(
        new1["name"]["givenName"], "First",
        "the first row of new1 counts"
    );
    let events = app.events_since(&end).await;
    assert_eq!(event_types(&events), vec!["user.created", "user.created"]);
    assert_eq!(events[0]["data"]["userName"], "new1");
    assert_eq!(events[1]["data"]["userName"], "new2");
}

#[tokio::test]
async fn each_applied_row_records_its_events_as_the_operator() {
    // Arrange: one group that exists, one that the import creates.
    let app = TestApp::spawn().await;
    let eng = app.create_group("Eng", &[]).await;
    let first = file_with(
        "users.csv",
        "userName,familyName,groups\nana,Alvarez,eng; All Staff\n",
    );
    let end = app.feed_end().await;

    // Act
    let created = import(&app, &first, &[]).await;

    // Assert
    assert_eq!(created.counts(), [1, 0, 0, 0, 0], "{created:?}");
    assert_eq!(created.count("groups_created"), 1);
    let events = app.events_since(&end).await;
    assert_eq!(
        event_types(&events),
        vec![
            "user.created",
            "group.member_added",
            "group.created",
            "group.member_added"
        ]
    );
    assert_eq!(events[1]["data"]["group"]["id"], eng["id"]);
    assert_eq!(events[2]["data"]["displayName"], "All Staff");
    let request_id = &events[0]["request_id"];
    for e in &events {
        assert_eq!(e["actor"], json!({"type": "cli"}), "{e}");
        assert_eq!(&e["request_id"], request_id, "one import, one request id");
    }
    let ana = user_named(&app, "ana").await.unwrap();
    let detail = app
        .admin_get(&format!("/directories/default/users/{}", id(&ana)), &[])
        .await;
    assert_eq!(detail["source"], "local", "imported users are local");

    // Act: a second import renames her and takes her out of a group.
    let end = app.feed_end().await;
    let second = file_with(
        "users.csv",
        "userName,familyName,groups\nana,Alvarez-Ruiz,Eng\n",
    );
    let updated = import(&app, &second, &[]).await;

    // Assert
    assert_eq!(updated.counts(), [0, 1, 0, 0, 0], "{updated:?}");
    let events = app.events_since(&end).await;
    assert_eq!(
        event_types(&events),
        vec!["user.updated", "group.member_removed"]
    );
    assert_eq!(events[1]["data"]["group"]["displayName"], "All Staff");
}

#[tokio::test]
async fn a_user_provisioned_through_scim_stays_scim_when_an_import_updates_it() {
    let app = TestApp::spawn().await;
    let scim = app.create_user("sam").await;
    let file = file_with("users.csv", "userName,title\nsam,Engineer\n");

    let run = import(&app, &file, &[]).await;

    assert_eq!(run.counts(), [0, 1, 0, 0, 0], "{run:?}");
    let detail = app
        .admin_get(&format!("/directories/default/users/{}", id(&scim)), &[])
        .await;
    assert_eq!(detail["source"], "scim");
    assert_eq!(detail["scim"]["title"], "Engineer");
}

#[tokio::test]
async fn ndjson_lines_are_rows_with_the_same_names() {
    let app = TestApp::spawn().await;
    let file = file_with(
        "users.ndjson",
        "{\"userName\": \"nd\", \"active\": false, \"groups\": [\"A;B\"], \"email\": null}\n\
         {\"userName\": 7}\n\
         not json\n",
    );

    let run = import(&app, &file, &[]).await;

    assert_eq!(run.counts(), [2, 0, 0, 0, 1], "{run:?}");
    let nd = user_named(&app, "nd").await.unwrap();
    assert_eq!(nd["active"], false);
    assert_eq!(nd["groups"][0]["display"], "A;B", "a list needs no escapes");
    assert!(
        user_named(&app, "7").await.is_some(),
        "a number is its text"
    );
    let report = error_report(&file);
    assert_eq!(report.len(), 1);
    assert_eq!(report[0].0, 3);
    assert!(report[0].2.contains("not JSON"), "{report:?}");
}
