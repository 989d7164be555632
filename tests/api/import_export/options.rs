//! The options of `scimd import users`: `--dry-run`, `--deactivate-missing`, `--key externalId`,
//! `--map`, `--directory`, and managers that name users further down the file.

use serde_json::json;

use super::{error_report, file_with, import, scimd, user, user_named};
use crate::helpers::{ENTERPRISE, TestApp, id};

#[tokio::test]
async fn a_dry_run_reports_what_the_import_does_and_writes_nothing() {
    // Arrange: one user the file leaves as it is, one it changes, one it does not name.
    let app = TestApp::spawn().await;
    for name in ["same", "changed", "missing"] {
        user(&app, json!({"userName": name, "title": "T"})).await;
    }
    let file = file_with(
        "users.csv",
        "userName,title,email,groups\n\
         same,T,,\n\
         changed,New,,\n\
         added,T,added@example.com,Newcomers\n\
         bad,T,bad-email,\n",
    );
    let end = app.feed_end().await;

    // Act
    let dry = import(&app, &file, &["--dry-run", "--deactivate-missing"]).await;

    // Assert
    assert!(
        app.events_since(&end).await.is_empty(),
        "a dry run writes nothing"
    );
    assert!(user_named(&app, "added").await.is_none());
    let dry_report = error_report(&file);
    assert_eq!(dry_report.len(), 1);
    assert_eq!(dry_report[0].0, 5);

    // Act: the same import for real.
    let real = import(&app, &file, &["--deactivate-missing"]).await;

    // Assert: the dry run said exactly this.
    assert_eq!(dry.counts(), [1, 1, 1, 1, 1], "{dry:?}");
    assert_eq!(real.counts(), dry.counts(), "{real:?}");
    assert_eq!(real.count("groups_created"), dry.count("groups_created"));
    assert_eq!(real.count("groups_created"), 1);
    assert_eq!(error_report(&file), dry_report);
    assert_eq!(user_named(&app, "missing").await.unwrap()["active"], false);
    assert_eq!(user_named(&app, "changed").await.unwrap()["title"], "New");
}

#[tokio::test]
async fn deactivate_missing_by_external_id_leaves_users_no_row_can_name() {
    // Arrange
    let app = TestApp::spawn().await;
    user(&app, json!({"userName": "x", "externalId": "X1"})).await;
    user(&app, json!({"userName": "y"})).await;
    user(&app, json!({"userName": "z", "externalId": "Z1"})).await;
    let inactive = user(
        &app,
        json!({"userName": "w", "externalId": "W1", "active": false}),
    )
    .await;
    let file = file_with("users.csv", "externalId,userName\nZ1,z\n");
    let end = app.feed_end().await;

    // Act
    let run = import(
        &app,
        &file,
        &["--key", "externalId", "--deactivate-missing"],
    )
    .await;

    // Assert
    assert_eq!(run.counts(), [0, 0, 1, 1, 0], "{run:?}");
    assert_eq!(user_named(&app, "x").await.unwrap()["active"], false);
    assert!(user_named(&app, "y").await.unwrap().get("active").is_none());
    assert!(user_named(&app, "z").await.unwrap().get("active").is_none());
    let events = app.events_since(&end).await;
    assert_eq!(
        crate::helpers::event_types(&events),
        vec!["user.deactivated"]
    );
    assert_ne!(events[0]["data"]["id"], inactive["id"]);
}

#[tokio::test]
async fn deactivate_missing_is_skipped_when_rows_could_not_be_read() {
    let app = TestApp::spawn().await;
    user(&app, json!({"userName": "quoted"})).await;
    let file = file_with("users.csv", "userName,title\n\"quoted,T\nother,T\n");

    let run = import(&app, &file, &["--deactivate-missing"]).await;

    assert_eq!(run.code, Some(3), "{run:?}");
    assert_eq!(run.count("deactivated"), 0);
    assert!(
        run.stderr.contains("--deactivate-missing skipped"),
        "{run:?}"
    );
    assert!(
        user_named(&app, "quoted")
            .await
            .unwrap()
            .get("active")
            .is_none()
    );
}

#[tokio::test]
async fn managers_may_name_users_further_down_the_file_by_user_name_or_external_id() {
    // Arrange
    let app = TestApp::spawn().await;
    let file = file_with(
        "users.csv",
        "userName,externalId,manager\n\
         emp,E-1,boss\n\
         emp2,E-2,B-7\n\
         lost,E-3,nobody\n\
         boss,B-7,\n",
    );

    // Act
    let run = import(&app, &file, &[]).await;

    // Assert
    assert_eq!(run.counts(), [4, 0, 0, 0, 0], "{run:?}");
    assert_eq!(run.count("managers_unresolved"), 1);
    assert_eq!(run.code, Some(3), "an unknown manager is work left undone");
    let boss = id(&user_named(&app, "boss").await.unwrap());
    for name in ["emp", "emp2"] {
        let u = user_named(&app, name).await.unwrap();
        assert_eq!(u[ENTERPRISE]["manager"]["value"], boss, "{name}");
    }
    let lost = user_named(&app, "lost").await.unwrap();
    assert!(lost.get(ENTERPRISE).is_none(), "{lost}");
    let report = error_report(&file);
    assert_eq!(report.len(), 1, "{report:?}");
    assert_eq!((report[0].0, report[0].1.as_str()), (4, "lost"));
    assert!(report[0].2.contains("manager \"nobody\""), "{report:?}");

    // Act: the same file again: every manager is known now (but nobody).
    let again = import(&app, &file, &[]).await;
    assert_eq!(again.counts(), [0, 0, 4, 0, 0], "{again:?}");
}

#[tokio::test]
async fn columns_are_found_by_common_names_or_by_map_and_rows_by_external_id() {
    // Arrange: a user whose userName the HR system changed; its externalId did not.
    let app = TestApp::spawn().await;
    let before = user(&app, json!({"userName": "old.name", "externalId": "HR-7"})).await;
    let file = file_with(
        "hr.csv",
        "Employee Key,Login,E-Mail Address,First Name,Surname,Notes\n\
         HR-7,new.name,new@example.com,Nia,Ng,ignored\n",
    );

    // Act
    let run = import(
        &app,
        &file,
        &["--key", "externalId", "--map", "Employee Key=externalId"],
    )
    .await;

    // Assert
    assert_eq!(run.counts(), [0, 1, 0, 0, 0], "{run:?}");
    assert!(
        run.stderr.contains("Notes"),
        "ignored columns are named: {run:?}"
    );
    let after = user_named(&app, "new.name").await.unwrap();
    assert_eq!(after["id"], before["id"]);
    assert_eq!(after["emails"][0]["value"], "new@example.com");
    assert_eq!(
        after["name"],
        json!({"givenName": "Nia", "familyName": "Ng"})
    );
    let refused = import(&app, &file, &["--map", "Notes=userName"]).await;
    assert_eq!(refused.code, Some(1), "two userName columns: {refused:?}");
    assert!(refused.stderr.contains("both userName"), "{refused:?}");
}

#[tokio::test]
async fn an_import_goes_into_the_directory_it_names() {
    let app = TestApp::spawn().await;
    let made = scimd(
        &app,
        &["directory", "create", "--name", "Acme", "--id", "acme"],
    )
    .await;
    assert_eq!(made.code, Some(0), "{made:?}");
    let file = file_with("users.csv", "userName\nacme-user\n");

    let run = import(&app, &file, &["--directory", "acme"]).await;
    let unknown = import(&app, &file, &["--directory", "nope"]).await;

    assert_eq!(run.counts(), [1, 0, 0, 0, 0], "{run:?}");
    assert!(
        user_named(&app, "acme-user").await.is_none(),
        "not in default"
    );
    let listed = app
        .admin_get("/directories/acme/users", &[("q", "acme-user")])
        .await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
    assert_eq!(unknown.code, Some(1));
    assert!(unknown.stderr.contains("nope"), "{unknown:?}");
}
