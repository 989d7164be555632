//! `GET /api/v1/directories/{id}/setup`: the URL, the identity providers' steps with it, the
//! recent requests, and the connection's state as it goes from waiting to working to refused;
//! and how the recorded requests are written.

use reqwest::{Method, StatusCode};
use scimd::store::scim_requests::{self, SeenRequest};
use serde_json::json;

use super::{admin, call, create_dir, server, user};

#[tokio::test]
async fn the_setup_view_shows_the_url_the_steps_and_whether_the_connection_works() {
    // Arrange
    let app = server();
    let dir = create_dir(&app, "setup").await;
    let admin = admin(&app).await;
    let path = format!("/directories/{}/setup", dir.id);
    let url = dir.scim.base.clone();

    // Act + Assert: a token, no request yet.
    let waiting = admin.expect(200, Method::GET, &path, None).await;
    assert_eq!(waiting["directory"], json!(dir.id));
    assert_eq!(waiting["scim_base_url"], json!(url));
    assert_eq!(waiting["tokens"]["working"], 1, "{waiting}");
    assert_eq!(waiting["connection"]["state"], "waiting", "{waiting}");
    assert_eq!(waiting["recent_requests"], json!([]));
    let guides = waiting["identity_providers"].as_array().unwrap();
    let names: Vec<&str> = guides.iter().map(|g| g["id"].as_str().unwrap()).collect();
    assert_eq!(names, ["okta", "entra"]);
    for guide in guides {
        assert!(
            guide["settings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["value"] == json!(url)),
            "{guide}"
        );
        let markdown = guide["markdown"].as_str().unwrap();
        assert!(markdown.contains(&format!("`{url}`")), "{markdown}");
        assert!(
            markdown.contains(&format!("scimd token create --directory {} --name", dir.id)),
            "{markdown}"
        );
    }

    // The identity provider's test connection, then a create.
    let probe = "/Users?filter=userName%20eq%20%22probe%22";
    assert_eq!(
        call(&dir.scim, Method::GET, probe, None).await.0,
        StatusCode::OK
    );
    assert_eq!(
        call(&dir.scim, Method::POST, "/Users", Some(user("first")))
            .await
            .0,
        StatusCode::CREATED
    );
    let working = admin.expect(200, Method::GET, &path, None).await;
    assert_eq!(working["connection"]["state"], "working", "{working}");
    let seen: Vec<(String, String, i64)> = working["recent_requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            assert!(r["at"].is_string() && r["duration_ms"].is_i64(), "{r}");
            (
                r["method"].as_str().unwrap().to_owned(),
                r["path"].as_str().unwrap().to_owned(),
                r["status"].as_i64().unwrap(),
            )
        })
        .collect();
    let users_path = format!("/directories/{}/scim/v2/Users", dir.id);
    assert_eq!(
        seen,
        [
            ("POST".to_owned(), users_path.clone(), 201),
            ("GET".to_owned(), users_path.clone(), 200),
        ],
        "newest first, without the query string"
    );
    assert!(working["tokens"]["last_used_at"].is_string(), "{working}");

    // An identity provider with a token of another directory.
    let wrong = app.view(&url, &app.token);
    assert_eq!(
        call(&wrong, Method::GET, "/Users", None).await.0,
        StatusCode::UNAUTHORIZED
    );
    let refused = admin.expect(200, Method::GET, &path, None).await;
    assert_eq!(refused["connection"]["state"], "refused", "{refused}");
    assert_eq!(refused["recent_requests"][0]["status"], 401, "{refused}");

    // No working token left.
    admin
        .expect(
            204,
            Method::DELETE,
            &format!("/directories/{}/tokens/{}", dir.id, dir.token_id),
            None,
        )
        .await;
    let no_token = admin.expect(200, Method::GET, &path, None).await;
    assert_eq!(no_token["tokens"]["working"], 0, "{no_token}");
}

#[tokio::test]
async fn a_batch_of_recorded_requests_longer_than_one_statement_keeps_the_newest_hundred_in_order()
{
    // Arrange: 1,201 requests (three statements' worth), a third of them to a directory that
    // does not exist.
    let url = crate::helpers::fresh_database_url().await;
    let db = scimd::cli::open(&url, &scimd::store::DbOptions::default())
        .await
        .expect("open database");
    // Whole milliseconds: PostgreSQL keeps microseconds, chrono nanoseconds.
    let start = chrono::SubsecRound::trunc_subsecs(chrono::Utc::now(), 3);
    let batch: Vec<SeenRequest> = (0..1201_i64)
        .map(|i| SeenRequest {
            tenant_id: if i % 3 == 0 { "gone" } else { "default" }.to_owned(),
            at: start + chrono::Duration::milliseconds(i),
            method: "GET".to_owned(),
            path: format!("/Users/{i}"),
            status: 200,
            duration_ms: i,
        })
        .collect();

    // Act
    scim_requests::insert_batch(&db, &batch)
        .await
        .expect("insert");

    // Assert: the newest hundred of the existing directory, newest first, as recorded.
    let kept = scim_requests::recent(&db, "default", 1000)
        .await
        .expect("recent");
    let expected: Vec<&SeenRequest> = batch
        .iter()
        .rev()
        .filter(|r| r.tenant_id == "default")
        .take(scim_requests::KEEP as usize)
        .collect();
    assert_eq!(kept.len(), expected.len());
    for (got, want) in kept.iter().zip(expected) {
        assert_eq!(
            (&got.path, got.at, got.duration_ms),
            (&want.path, want.at, want.duration_ms)
        );
    }
    let gone = scim_requests::recent(&db, "gone", 1000)
        .await
        .expect("recent");
    assert!(
        gone.is_empty(),
        "requests to an unknown directory are dropped"
    );
}
