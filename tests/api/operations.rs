//! Operating scimd: `/healthz` (liveness, no database), `/readyz` (the database answers with
//! every migration applied) and Prometheus metrics at `/metrics`, all without a token.

use reqwest::StatusCode;

use crate::helpers::{TestApp, fresh_database_url, id, sample};
use crate::process::{Serve, free_port};
use crate::webhooks::{Admin, eventually};

/// `GET {origin}{path}` without a token: status and body.
async fn get_plain(origin: &str, path: &str) -> (StatusCode, String) {
    let resp = reqwest::get(format!("{origin}{path}"))
        .await
        .expect("request");
    let status = resp.status();
    (status, resp.text().await.expect("body"))
}

#[tokio::test]
async fn healthz_answers_while_the_database_is_gone_and_readyz_does_not() {
    // Arrange
    let app = TestApp::spawn().await;
    assert_eq!(
        get_plain(&app.address, "/readyz").await,
        (StatusCode::OK, "ready".into())
    );

    // Act
    app.state.db.close().await;

    // Assert
    assert_eq!(
        get_plain(&app.address, "/healthz").await,
        (StatusCode::OK, "ok".into())
    );
    let (status, body) = get_plain(&app.address, "/readyz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body, "database unavailable");
}

#[tokio::test]
async fn readyz_is_503_while_a_migration_of_this_build_is_missing() {
    // Arrange: the database forgets that migration 2 was applied.
    let app = TestApp::spawn().await;
    app.state
        .db
        .autocommit()
        .execute("DELETE FROM _sqlx_migrations WHERE version = 2", Vec::new())
        .await
        .unwrap();

    // Act
    let (status, body) = get_plain(&app.address, "/readyz").await;

    // Assert
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body, "migrations not applied: 2");
}

#[tokio::test]
async fn metrics_count_requests_by_route_template_and_never_by_id() {
    // Arrange
    let app = TestApp::spawn().await;
    let user = id(&app.create_user("metered@example.com").await);
    let missing = uuid::Uuid::new_v4().to_string();

    // Act
    for _ in 0..2 {
        assert_eq!(
            app.get(&format!("/Users/{user}")).await.status(),
            StatusCode::OK
        );
    }
    assert_eq!(
        app.get(&format!("/Users/{missing}")).await.status(),
        StatusCode::NOT_FOUND
    );
    let (status, _) = get_plain(&app.address, &format!("/nothing/here/{missing}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let resp = reqwest::get(format!("{}/metrics", app.address))
        .await
        .unwrap();

    // Assert
    assert_eq!(resp.status(), StatusCode::OK);
    let content_type = resp.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    let metrics = resp.text().await.unwrap();
    let item = r#"route="/scim/v2/Users/{id}",method="GET""#;
    let requests =
        |labels: &str| sample(&metrics, &format!("scimd_http_requests_total{{{labels}}}"));
    assert_eq!(
        requests(&format!(r#"{item},status="200""#)),
        Some(2.0),
        "{metrics}"
    );
    assert_eq!(
        requests(&format!(r#"{item},status="404""#)),
        Some(1.0),
        "{metrics}"
    );
    assert_eq!(
        requests(r#"route="/scim/v2/Users",method="POST",status="201""#),
        Some(1.0),
        "{metrics}"
    );
    assert_eq!(
        requests(r#"route="unmatched",method="GET",status="404""#),
        Some(1.0),
        "{metrics}"
    );
    assert!(
        !metrics.contains(&user) && !metrics.contains(&missing),
        "an id in a label"
    );
    let count = format!("scimd_http_request_duration_seconds_count{{{item}}}");
    assert_eq!(sample(&metrics, &count), Some(3.0), "{metrics}");
    let slowest = format!(r#"scimd_http_request_duration_seconds_bucket{{{item},le="+Inf"}}"#);
    assert_eq!(sample(&metrics, &slowest), Some(3.0), "{metrics}");
    for state in ["in_use", "idle"] {
        let series = format!(r#"scimd_db_connections{{state="{state}"}}"#);
        assert!(sample(&metrics, &series).is_some(), "{series}: {metrics}");
    }
    let sqlite = std::env::var("TEST_DATABASE_URL").is_err();
    assert_eq!(
        sample(&metrics, "scimd_sqlite_write_queue"),
        sqlite.then_some(0.0),
        "the SQLite write queue, on SQLite only: {metrics}"
    );
    // The user's create at least was committed, in a group of one write or more.
    let commits = sample(&metrics, "scimd_sqlite_commits_total");
    let writes = sample(&metrics, "scimd_sqlite_committed_writes_total");
    if sqlite {
        let (commits, writes) = (commits.unwrap_or(0.0), writes.unwrap_or(0.0));
        assert!(commits >= 1.0 && writes >= commits, "{metrics}");
    } else {
        assert_eq!((commits, writes), (None, None), "on SQLite only: {metrics}");
    }
}

#[tokio::test]
async fn metrics_show_each_webhook_endpoints_backlog() {
    // Arrange: an endpoint nobody listens on (each attempt fails, the cursor stays), then
    // three changes.
    let app = TestApp::spawn().await;
    let admin = Admin::of(&app).await;
    let dead = format!("http://127.0.0.1:{}/hook", free_port());
    let hook = admin.create(&dead, None).await;
    let hook_id = hook["id"].as_str().unwrap().to_owned();
    for n in 0..3 {
        app.create_user(&format!("backlog{n}@example.com")).await;
    }
    let series = format!(r#"scimd_webhook_backlog_events{{webhook="{hook_id}"}}"#);

    // Act / Assert: three events wait (once the feed has numbered them).
    eventually("a backlog of three events", || async {
        let (_, metrics) = get_plain(&app.address, "/metrics").await;
        (sample(&metrics, &series) == Some(3.0)).then_some(())
    })
    .await;
    // A removed endpoint leaves the metrics.
    let resp = app
        .client
        .delete(format!("{}/api/v1/webhooks/{hook_id}", app.address))
        .bearer_auth(&admin.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let (_, metrics) = get_plain(&app.address, "/metrics").await;
    assert_eq!(sample(&metrics, &series), None, "{metrics}");
}

#[tokio::test]
async fn with_metrics_listen_the_metrics_are_served_there_and_not_beside_the_apis() {
    // Arrange
    let url = fresh_database_url().await;
    let metrics_addr = format!("127.0.0.1:{}", free_port());
    let server = Serve::new(&url)
        .args(&["--metrics-listen", &metrics_addr])
        .start()
        .await;

    // Act
    let (on_api, _) = get_plain(&server.origin, "/metrics").await;
    let (on_own, metrics) = get_plain(&format!("http://{metrics_addr}"), "/metrics").await;

    // Assert: the requests of the API listener (the start-up /healthz polls) are counted.
    assert_eq!(on_api, StatusCode::NOT_FOUND);
    assert_eq!(on_own, StatusCode::OK);
    let health = r#"scimd_http_requests_total{route="/healthz",method="GET",status="200"}"#;
    assert!(
        sample(&metrics, health).is_some_and(|n| n >= 1.0),
        "{metrics}"
    );
}

/// The names of a process's threads (Linux: `/proc/PID/task/*/comm`).
fn thread_names(pid: u32) -> Vec<String> {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .expect("the server's threads")
        .map(|task| {
            let comm = task.expect("a thread").path().join("comm");
            std::fs::read_to_string(comm)
                .unwrap_or_default()
                .trim()
                .to_owned()
        })
        .collect()
}

#[tokio::test]
async fn worker_threads_sets_how_many_threads_run_requests() {
    // Arrange
    let url = fresh_database_url().await;

    // Act
    let server = Serve::new(&url)
        .args(&["--worker-threads", "5"])
        .start()
        .await;
    let (status, _) = get_plain(&server.origin, "/readyz").await;

    // Assert
    assert_eq!(status, StatusCode::OK);
    let names = thread_names(server.pid());
    let workers = names.iter().filter(|n| *n == "tokio-rt-worker").count();
    assert_eq!(workers, 5, "{names:?}");
    let refused = crate::cli::scimd(&url, &["--worker-threads", "0", "migrate"]);
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("--worker-threads"), "{stderr}");
}
