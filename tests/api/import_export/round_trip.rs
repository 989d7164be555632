//! Export → (edit →) import: the columns an export writes are the ones an import reads, so an
//! unedited export imports as "all unchanged" (no write, no event) and an edited one changes
//! only what was edited. The HTTP export is the command's, byte for byte.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{error_report, file_with, import, scimd, user, user_named, work_dir};
use crate::helpers::{ENTERPRISE, TestApp, assert_api_error, event_types, id};

/// A boss, a worker with every exported attribute (and characters CSV must quote), a user with
/// nothing but a userName; groups, one with a `;` in its name.
async fn directory_with_everything(app: &TestApp) -> (Value, Value) {
    let boss = user(
        app,
        json!({"userName": "boss@example.com", "externalId": "B-1", "active": true,
               "name": {"givenName": "Bo", "familyName": "Boss"}}),
    )
    .await;
    let worker = user(
        app,
        json!({
            "userName": "worker@example.com", "externalId": "W-1", "active": false,
            "displayName": "Doe, \"Jo\"", "title": "Two\nlines",
            "name": {"givenName": "Jo", "familyName": "Doe", "middleName": "kept"},
            "emails": [{"value": "home@example.com", "type": "home"},
                       {"value": "jo@example.com", "type": "work", "primary": true}],
            "phoneNumbers": [{"value": "+1 555 0100", "type": "work"}],
            ENTERPRISE: {"department": "R&D", "employeeNumber": "42",
                         "manager": {"value": id(&boss)}}
        }),
    )
    .await;
    app.create_user("plain").await;
    app.create_group("Sales;EMEA", &[&id(&worker), &id(&boss)])
        .await;
    app.create_group("All", &[&id(&worker)]).await;
    (boss, worker)
}

#[tokio::test]
async fn an_unedited_export_imports_as_all_unchanged_and_records_no_event() {
    // Arrange
    let app = TestApp::spawn().await;
    directory_with_everything(&app).await;
    for (format, name) in [("csv", "users.csv"), ("ndjson", "users.ndjson")] {
        let file = work_dir().join(name);
        let exported = scimd(
            &app,
            &[
                "export",
                "users",
                "--format",
                format,
                "--output",
                file.to_str().unwrap(),
            ],
        )
        .await;
        assert_eq!(exported.code, Some(0), "{exported:?}");
        let end = app.feed_end().await;

        // Act
        let run = import(&app, &file, &[]).await;

        // Assert
        assert_eq!(run.code, Some(0), "{format}: {run:?}");
        assert_eq!(run.counts(), [0, 0, 3, 0, 0], "{format}: {run:?}");
        assert!(app.events_since(&end).await.is_empty(), "{format}");
        assert!(error_report(&file).is_empty());
    }
}

#[tokio::test]
async fn an_export_names_the_manager_and_groups_by_name_and_shows_the_primary_email() {
    // Arrange
    let app = TestApp::spawn().await;
    directory_with_everything(&app).await;

    // Act
    let run = scimd(&app, &["export", "users"]).await;

    // Assert
    assert_eq!(run.code, Some(0), "{run:?}");
    let mut reader = csv::Reader::from_reader(run.stdout.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        header.join(","),
        "userName,externalId,email,givenName,familyName,displayName,title,employeeNumber,department,active,manager,groups"
    );
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    assert_eq!(rows.len(), 3, "creation order: boss, worker, plain");
    let worker = &rows[1];
    let expected = [
        "worker@example.com",
        "W-1",
        "jo@example.com",
        "Jo",
        "Doe",
        "Doe, \"Jo\"",
        "Two\nlines",
        "42",
        "R&D",
        "false",
        "boss@example.com",
        r"All;Sales\;EMEA",
    ];
    assert_eq!(worker, &expected.map(String::from).to_vec());
    assert_eq!(rows[2][0], "plain");
    assert!(rows[2][1..].iter().all(String::is_empty), "{:?}", rows[2]);
}

#[tokio::test]
async fn an_edited_export_changes_only_what_was_edited() {
    // Arrange
    let app = TestApp::spawn().await;
    let (_, worker) = directory_with_everything(&app).await;
    let exported = scimd(&app, &["export", "users"]).await;
    let edited = exported
        .stdout
        .replace("Jo,Doe,", "Jo,Dough,")
        .replace(r"All;Sales\;EMEA", "All")
        .replace(",R&D,", ",,");
    let file = file_with("edited.csv", &edited);
    let end = app.feed_end().await;

    // Act
    let run = import(&app, &file, &[]).await;

    // Assert
    assert_eq!(run.counts(), [0, 1, 2, 0, 0], "{run:?}");
    let after = user_named(&app, "worker@example.com").await.unwrap();
    assert_eq!(after["name"]["familyName"], "Dough");
    assert_eq!(
        after["name"]["middleName"], "kept",
        "attributes without a column stay"
    );
    assert_eq!(after["phoneNumbers"][0]["value"], "+1 555 0100");
    assert_eq!(after["emails"].as_array().unwrap().len(), 2);
    assert!(after[ENTERPRISE].get("department").is_none());
    assert_eq!(after[ENTERPRISE]["employeeNumber"], "42");
    assert_eq!(after["groups"].as_array().unwrap().len(), 1);
    let events = app.events_since(&end).await;
    assert_eq!(
        event_types(&events),
        vec!["user.updated", "group.member_removed"]
    );
    assert_eq!(events[0]["data"]["id"], worker["id"]);
    assert_eq!(
        events[0]["previous_attributes"]["name"]["familyName"],
        "Doe"
    );
    assert_eq!(events[1]["data"]["group"]["displayName"], "Sales;EMEA");
}

#[tokio::test]
async fn a_seeded_directory_round_trips_across_export_pages() {
    // Arrange: more users than one export page (500).
    let app = TestApp::spawn().await;
    let seeded = scimd(&app, &["dev", "seed", "--users", "1201", "--groups", "3"]).await;
    assert_eq!(seeded.code, Some(0), "{seeded:?}");
    let file = work_dir().join("seeded.csv");
    scimd(
        &app,
        &["export", "users", "--output", file.to_str().unwrap()],
    )
    .await;
    let text = std::fs::read_to_string(&file).unwrap();

    // Act
    let run = import(&app, &file, &[]).await;

    // Assert
    let names: Vec<&str> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    let expected: Vec<String> = (1..=1201).map(|i| format!("user{i}@example.com")).collect();
    assert_eq!(names, expected, "every user once, in creation order");
    assert_eq!(run.counts(), [0, 0, 1201, 0, 0], "{run:?}");
}

#[tokio::test]
async fn the_users_csv_endpoint_streams_what_the_command_exports() {
    // Arrange
    let app = TestApp::spawn().await;
    let (_, worker) = directory_with_everything(&app).await;
    let exported = scimd(&app, &["export", "users"]).await;
    let path = "/api/v1/directories/default/users.csv";

    // Act
    let resp = app.client_get(path, &[]).await;

    // Assert
    assert_eq!(resp.status(), StatusCode::OK);
    let header = |name: &str| resp.headers()[name].to_str().unwrap().to_owned();
    assert!(
        header("content-type").starts_with("text/csv"),
        "{}",
        header("content-type")
    );
    assert_eq!(
        header("content-disposition"),
        "attachment; filename=\"default-users.csv\""
    );
    assert_eq!(resp.text().await.unwrap(), exported.stdout);
    let inactive = app.client_get(path, &[("state", "inactive")]).await;
    let inactive = inactive.text().await.unwrap();
    let rows: Vec<csv::StringRecord> = csv::Reader::from_reader(inactive.as_bytes())
        .records()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows.len(), 1, "only the worker: {inactive}");
    assert_eq!(&rows[0][0], worker["userName"].as_str().unwrap());
    let cases = [
        (vec![("state", "archived")], path, 400, "invalid_parameter"),
        (vec![("state", "gone")], path, 400, "invalid_parameter"),
        (
            vec![],
            "/api/v1/directories/nope/users.csv",
            404,
            "not_found",
        ),
    ];
    for (query, path, status, code) in cases {
        assert_api_error(app.client_get(path, &query).await, status, code).await;
    }
    let anonymous = app
        .client
        .get(format!("{}{path}", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let document = app.admin_get("/openapi.json", &[]).await;
    let operation = &document["paths"]["/directories/{directory}/users.csv"]["get"];
    assert!(
        operation["responses"]["200"]["content"]["text/csv; charset=utf-8; header=present"]
            .is_object(),
        "{operation}"
    );
}

#[tokio::test]
async fn a_group_export_lists_every_group_with_its_member_count() {
    let app = TestApp::spawn().await;
    directory_with_everything(&app).await;

    let run = scimd(&app, &["export", "groups"]).await;

    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(
        run.stdout.replace("\r\n", "\n"),
        "displayName,externalId,memberCount\nAll,,1\nSales;EMEA,,2\n"
    );
}
