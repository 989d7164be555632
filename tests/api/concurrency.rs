//! Concurrent writes to one resource (RFC 7644 §3.14 and the store's row locking): conditional
//! writes have exactly one winner, unconditional ones serialize without losing updates, and no
//! interleaving of writes answers 500. Each test fires `N` requests at once on a multi-threaded
//! runtime, against SQLite or PostgreSQL.

use futures::future::join_all;
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{
    GROUP_SCHEMA, PATCH_OP, TestApp, USER_SCHEMA, bulk_body, id, scim_json, sorted_values,
};

/// How many requests race in each test.
const N: usize = 20;

/// A PatchOp request body with `operations`.
fn patch_body(operations: Value) -> Value {
    json!({"schemas": [PATCH_OP], "Operations": operations})
}

/// GETs `path`, asserting 200, and returns the body.
async fn get_json(app: &TestApp, path: &str) -> Value {
    let resp = app.get(path).await;
    assert_eq!(resp.status(), StatusCode::OK, "GET {path}");
    scim_json(resp).await
}

/// The number in a `W/"n"` version.
fn version_number(resource: &Value) -> u64 {
    let tag = resource["meta"]["version"].as_str().expect("meta.version");
    tag.trim_start_matches("W/")
        .trim_matches('"')
        .parse()
        .unwrap_or_else(|_| panic!("version {tag} is not W/\"n\""))
}

/// The status of each response, with the body of any 5xx for the failure message.
async fn statuses(responses: Vec<Response>) -> Vec<(StatusCode, String)> {
    let mut out = Vec::with_capacity(responses.len());
    for resp in responses {
        let status = resp.status();
        let body = resp.text().await.unwrap_or_default();
        out.push((status, body));
    }
    out
}

fn count(statuses: &[(StatusCode, String)], status: StatusCode) -> usize {
    statuses.iter().filter(|(s, _)| *s == status).count()
}

/// Creates `n` users named `{prefix}{i}` and returns their ids in order.
async fn create_users(app: &TestApp, prefix: &str, n: usize) -> Vec<String> {
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        ids.push(id(&app.create_user(&format!("{prefix}{i}")).await));
    }
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_conditional_writes_with_the_same_if_match_have_exactly_one_winner() {
    let cases = [
        ("PATCH replacing the title", Method::PATCH),
        ("PUT with a new title", Method::PUT),
    ];
    for (reason, method) in cases {
        // Arrange
        let app = TestApp::spawn().await;
        let path = format!("/Users/{}", id(&app.create_user("bjensen").await));
        let before = get_json(&app, &path).await;
        let tag = before["meta"]["version"]
            .as_str()
            .expect("version")
            .to_owned();
        let body = |i: usize| match method {
            Method::PUT => {
                json!({"schemas": [USER_SCHEMA], "userName": "bjensen", "title": format!("title {i}")})
            }
            _ => patch_body(
                json!([{"op": "replace", "path": "title", "value": format!("title {i}")}]),
            ),
        };

        // Act
        let (app, path, tag, method) = (&app, &path, &tag, &method);
        let responses = join_all((0..N).map(|i| async move {
            app.request_with(
                method.clone(),
                path,
                Some(body(i)),
                &[("If-Match", tag.as_str())],
            )
            .await
        }))
        .await;

        // Assert
        let mut winners = Vec::new();
        let mut refused = 0;
        for (i, resp) in responses.into_iter().enumerate() {
            match resp.status() {
                StatusCode::OK => winners.push(i),
                StatusCode::PRECONDITION_FAILED => {
                    let err = scim_json(resp).await;
                    assert_eq!(err["status"], "412", "{reason}: {err}");
                    refused += 1;
                }
                other => panic!(
                    "{reason}: request {i} answered {other}: {}",
                    resp.text().await.unwrap_or_default()
                ),
            }
        }
        assert_eq!(
            winners.len(),
            1,
            "{reason}: exactly one winner: {winners:?}"
        );
        assert_eq!(refused, N - 1, "{reason}: everyone else gets 412");
        let after = get_json(app, path).await;
        assert_eq!(
            after["title"],
            json!(format!("title {}", winners[0])),
            "{reason}: the winner's title is stored"
        );
        assert_eq!(
            version_number(&after),
            version_number(&before) + 1,
            "{reason}: one write happened"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_group_patches_with_the_same_if_match_have_exactly_one_winner() {
    // Arrange
    let app = TestApp::spawn().await;
    let ids = create_users(&app, "member", N).await;
    let path = format!("/Groups/{}", id(&app.create_group("Team", &[]).await));
    let tag = get_json(&app, &path).await["meta"]["version"]
        .as_str()
        .expect("version")
        .to_owned();

    // Act
    let (app, path, tag) = (&app, &path, &tag);
    let responses = join_all(ids.iter().map(|uid| async move {
        app.request_with(
            Method::PATCH,
            path,
            Some(patch_body(
                json!([{"op": "add", "path": "members", "value": [{"value": uid}]}]),
            )),
            &[("If-Match", tag.as_str())],
        )
        .await
    }))
    .await;

    // Assert
    let statuses = statuses(responses).await;
    let winners: Vec<usize> = (0..N)
        .filter(|&i| statuses[i].0 == StatusCode::NO_CONTENT)
        .collect();
    assert_eq!(winners.len(), 1, "exactly one winner: {statuses:?}");
    assert_eq!(
        count(&statuses, StatusCode::PRECONDITION_FAILED),
        N - 1,
        "{statuses:?}"
    );
    let after = get_json(app, path).await;
    assert_eq!(
        sorted_values(&after, "members"),
        vec![ids[winners[0]].clone()]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_patches_without_if_match_all_apply_and_none_is_lost() {
    // Arrange
    let app = TestApp::spawn().await;
    let path = format!("/Users/{}", id(&app.create_user("bjensen").await));
    let before = get_json(&app, &path).await;

    // Act
    let responses = join_all((0..N).map(|i| {
        app.patch(
            &path,
            patch_body(
                json!([{"op": "add", "path": "emails", "value": [{"value": format!("u{i}@x.com")}]}]),
            ),
        )
    }))
    .await;

    // Assert
    let statuses = statuses(responses).await;
    assert_eq!(count(&statuses, StatusCode::OK), N, "{statuses:?}");
    let after = get_json(&app, &path).await;
    let mut expected: Vec<String> = (0..N).map(|i| format!("u{i}@x.com")).collect();
    expected.sort();
    assert_eq!(sorted_values(&after, "emails"), expected, "no lost update");
    assert_eq!(
        version_number(&after),
        version_number(&before) + N as u64,
        "one new version per write"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_member_additions_to_one_group_all_apply() {
    // Arrange
    let app = TestApp::spawn().await;
    let ids = create_users(&app, "member", N).await;
    let gid = id(&app.create_group("Team", &[]).await);
    let path = format!("/Groups/{gid}");
    let before = get_json(&app, &path).await;

    // Act
    let responses = join_all(ids.iter().map(|uid| {
        app.patch(
            &path,
            patch_body(json!([{"op": "add", "path": "members", "value": [{"value": uid}]}])),
        )
    }))
    .await;

    // Assert
    let statuses = statuses(responses).await;
    assert_eq!(count(&statuses, StatusCode::NO_CONTENT), N, "{statuses:?}");
    let after = get_json(&app, &path).await;
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(sorted_values(&after, "members"), expected, "every member");
    assert_eq!(
        version_number(&after),
        version_number(&before) + N as u64,
        "one new version per membership change"
    );
    for uid in &ids {
        let user = get_json(&app, &format!("/Users/{uid}")).await;
        assert_eq!(sorted_values(&user, "groups"), vec![gid.clone()], "{user}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_member_removals_from_one_group_empty_it() {
    // Arrange
    let app = TestApp::spawn().await;
    let ids = create_users(&app, "member", N).await;
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let gid = id(&app.create_group("Team", &refs).await);
    let path = format!("/Groups/{gid}");

    // Act
    let responses = join_all(ids.iter().map(|uid| {
        app.patch(
            &path,
            patch_body(json!([{"op": "remove", "path": format!("members[value eq \"{uid}\"]")}])),
        )
    }))
    .await;

    // Assert
    let statuses = statuses(responses).await;
    assert_eq!(count(&statuses, StatusCode::NO_CONTENT), N, "{statuses:?}");
    let after = get_json(&app, &path).await;
    assert_eq!(after.get("members"), None, "the group is empty: {after}");
    for uid in &ids {
        let user = get_json(&app, &format!("/Users/{uid}")).await;
        assert_eq!(user.get("groups"), None, "{user}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_deletes_of_one_user_have_exactly_one_success() {
    // Arrange
    let app = TestApp::spawn().await;
    let uid = id(&app.create_user("bjensen").await);
    let gid = id(&app.create_group("Team", &[&uid]).await);
    let path = format!("/Users/{uid}");

    // Act
    let responses = join_all((0..N).map(|_| app.delete(&path))).await;

    // Assert
    let statuses = statuses(responses).await;
    assert_eq!(count(&statuses, StatusCode::NO_CONTENT), 1, "{statuses:?}");
    assert_eq!(
        count(&statuses, StatusCode::NOT_FOUND),
        N - 1,
        "{statuses:?}"
    );
    assert_eq!(app.get(&path).await.status(), StatusCode::NOT_FOUND);
    let group = get_json(&app, &format!("/Groups/{gid}")).await;
    assert_eq!(group.get("members"), None, "{group}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_deletes_of_one_group_have_exactly_one_success() {
    // Arrange
    let app = TestApp::spawn().await;
    let uid = id(&app.create_user("bjensen").await);
    let path = format!("/Groups/{}", id(&app.create_group("Team", &[&uid]).await));

    // Act
    let responses = join_all((0..N).map(|_| app.delete(&path))).await;

    // Assert
    let statuses = statuses(responses).await;
    assert_eq!(count(&statuses, StatusCode::NO_CONTENT), 1, "{statuses:?}");
    assert_eq!(
        count(&statuses, StatusCode::NOT_FOUND),
        N - 1,
        "{statuses:?}"
    );
    let user = get_json(&app, &format!("/Users/{uid}")).await;
    assert_eq!(user.get("groups"), None, "{user}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_mixed_puts_and_patches_of_one_user_never_fail_with_a_server_error() {
    // Arrange
    let app = TestApp::spawn().await;
    let path = format!("/Users/{}", id(&app.create_user("bjensen").await));
    let before = get_json(&app, &path).await;
    let tag = before["meta"]["version"]
        .as_str()
        .expect("version")
        .to_owned();

    // Act
    let (app, path, tag) = (&app, &path, &tag);
    let responses = join_all((0..N).map(|i| async move {
        let (method, body) = match i % 4 {
            0 => (
                Method::PUT,
                json!({"schemas": [USER_SCHEMA], "userName": "bjensen", "title": format!("put {i}"),
                       "emails": [{"value": format!("put{i}@x.com"), "type": "work"}]}),
            ),
            1 => (
                Method::PATCH,
                patch_body(json!([{"op": "replace", "path": "title", "value": format!("patch {i}")}])),
            ),
            2 => (
                Method::PATCH,
                patch_body(json!([
                    {"op": "add", "path": "emails", "value": [{"value": format!("p{i}@x.com"), "type": "home"}]},
                    {"op": "remove", "path": "emails[type eq \"work\"]"},
                ])),
            ),
            _ => (
                Method::PATCH,
                patch_body(json!([{"op": "replace", "value": {"active": i % 8 == 3, "nickName": format!("n{i}")}}])),
            ),
        };
        // Every fifth request is conditional on the first version, so it may lose.
        let headers: &[(&str, &str)] = if i % 5 == 0 {
            &[("If-Match", tag.as_str())]
        } else {
            &[]
        };
        app.request_with(method, path, Some(body), headers).await
    }))
    .await;

    // Assert
    let statuses = statuses(responses).await;
    let failures: Vec<&(StatusCode, String)> = statuses
        .iter()
        .filter(|(s, _)| !matches!(*s, StatusCode::OK | StatusCode::PRECONDITION_FAILED))
        .collect();
    assert!(failures.is_empty(), "only 200 or 412: {failures:?}");
    let succeeded = count(&statuses, StatusCode::OK) as u64;
    assert!(
        succeeded >= (N - N / 5) as u64,
        "unconditional writes succeed"
    );
    let after = get_json(app, path).await;
    assert_eq!(
        version_number(&after),
        version_number(&before) + succeeded,
        "one new version per successful write"
    );
    assert_eq!(after["userName"], "bjensen");
}

/// Whether every response is one of `allowed`, and every 400 an `invalidValue` (the member was
/// already gone).
fn only(statuses: &[(StatusCode, String)], allowed: &[StatusCode]) -> bool {
    statuses.iter().all(|(s, body)| {
        allowed.contains(s) && (*s != StatusCode::BAD_REQUEST || body.contains("invalidValue"))
    })
}

/// The races below depend on timing, so each test runs its race this many times.
const ROUNDS: usize = 5;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn adding_users_to_a_group_while_they_are_deleted_never_fails_with_a_server_error() {
    let app = TestApp::spawn().await;
    for round in 0..ROUNDS {
        // Arrange
        let ids = create_users(&app, &format!("doomed{round}-"), N).await;
        let gid = id(&app.create_group(&format!("Team {round}"), &[]).await);
        let path = format!("/Groups/{gid}");
        let app = &app;

        // Act
        let adds = join_all(ids.iter().map(|uid| {
            app.patch(
                &path,
                patch_body(json!([{"op": "add", "path": "members", "value": [{"value": uid}]}])),
            )
        }));
        let deletes = join_all(ids.iter().map(|uid| {
            let path = format!("/Users/{uid}");
            async move { app.delete(&path).await }
        }));
        let (adds, deletes) = tokio::join!(adds, deletes);

        // Assert
        let adds = statuses(adds).await;
        let deletes = statuses(deletes).await;
        assert!(
            only(&deletes, &[StatusCode::NO_CONTENT]),
            "round {round}: every delete succeeds: {deletes:?}"
        );
        assert!(
            only(&adds, &[StatusCode::NO_CONTENT, StatusCode::BAD_REQUEST]),
            "round {round}: an add either wins (204) or finds the user gone (400 invalidValue): {adds:?}"
        );
        let group = get_json(app, &path).await;
        assert_eq!(
            group.get("members"),
            None,
            "round {round}: deleted users are no members: {group}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replacing_a_groups_members_while_they_are_deleted_never_fails_with_a_server_error() {
    let app = TestApp::spawn().await;
    for round in 0..ROUNDS {
        // Arrange
        let ids = create_users(&app, &format!("doomed{round}-"), N).await;
        let mut groups = Vec::with_capacity(N);
        for (i, uid) in ids.iter().enumerate() {
            let name = format!("Team {round}-{i}");
            groups.push((id(&app.create_group(&name, &[uid]).await), name));
        }
        let app = &app;

        // Act
        let puts = join_all(groups.iter().zip(&ids).map(|((gid, name), uid)| {
            let path = format!("/Groups/{gid}");
            let body = json!({"schemas": [GROUP_SCHEMA], "displayName": name, "members": [{"value": uid}]});
            async move { app.put(&path, body).await }
        }));
        let deletes = join_all(ids.iter().map(|uid| {
            let path = format!("/Users/{uid}");
            async move { app.delete(&path).await }
        }));
        let (puts, deletes) = tokio::join!(puts, deletes);

        // Assert
        let puts = statuses(puts).await;
        let deletes = statuses(deletes).await;
        assert!(
            only(&deletes, &[StatusCode::NO_CONTENT]),
            "round {round}: every delete succeeds: {deletes:?}"
        );
        assert!(
            only(&puts, &[StatusCode::OK, StatusCode::BAD_REQUEST]),
            "round {round}: a PUT either wins (200) or finds its member gone (400 invalidValue): {puts:?}"
        );
        for (gid, _) in &groups {
            let group = get_json(app, &format!("/Groups/{gid}")).await;
            assert_eq!(
                group.get("members"),
                None,
                "round {round}: deleted users are no members: {group}"
            );
        }
    }
}

/// The `user.created` events of the feed after `cursor`, as the ids of the users they name.
async fn created_user_ids(app: &TestApp, cursor: &Option<String>) -> Vec<String> {
    let events = app.events_since(cursor).await;
    let mut ids: Vec<String> = events
        .iter()
        .filter(|e| e["type"] == "user.created")
        .map(|e| e["data"]["id"].as_str().expect("event data id").to_owned())
        .collect();
    ids.sort();
    ids
}

/// The ids of the users whose userName starts with `prefix`, sorted.
async fn user_ids_named(app: &TestApp, prefix: &str) -> Vec<String> {
    let filter = format!("userName sw \"{prefix}\"");
    let mut ids = Vec::new();
    loop {
        let start = (ids.len() + 1).to_string();
        let page = app
            .get_query_ok(
                "/Users",
                &[
                    ("filter", &filter),
                    ("startIndex", &start),
                    ("attributes", "id"),
                ],
            )
            .await;
        let resources = page["Resources"].as_array().cloned().unwrap_or_default();
        if resources.is_empty() {
            break;
        }
        ids.extend(resources.iter().map(id));
    }
    ids.sort();
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn writes_committed_together_keep_every_success_and_none_of_the_failures() {
    // Arrange: on SQLite, writes that arrive together share one transaction and one commit
    // (group commit), each under its own savepoint; half of these creates lose a race for
    // their userName, so their savepoints are rolled back inside the shared transaction.
    let app = TestApp::spawn().await;
    let cursor = app.feed_end().await;
    let names: Vec<String> = (0..2 * N)
        .map(|i| format!("together-{}", if i % 2 == 0 { i } else { i - 1 }))
        .collect();

    // Act
    let responses = join_all(names.iter().map(|name| {
        app.post(
            "/Users",
            json!({"schemas": [USER_SCHEMA], "userName": name}),
        )
    }))
    .await;

    // Assert
    let statuses = statuses(responses).await;
    assert_eq!(
        count(&statuses, StatusCode::CREATED),
        N,
        "one create per name wins: {statuses:?}"
    );
    assert_eq!(
        count(&statuses, StatusCode::CONFLICT),
        N,
        "the other gets 409: {statuses:?}"
    );
    let users = user_ids_named(&app, "together-").await;
    assert_eq!(users.len(), N, "every winner is kept");
    assert_eq!(
        created_user_ids(&app, &cursor).await,
        users,
        "exactly the kept users have their user.created event"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failed_write_among_writes_committed_together_leaves_nothing_behind() {
    // Arrange: group creates whose row is inserted before their members are checked; every
    // other one names a member that does not exist, so its savepoint is rolled back after it
    // wrote, inside the transaction it shares with the others.
    let app = TestApp::spawn().await;
    let cursor = app.feed_end().await;
    let member = id(&app.create_user("member-of-good").await);
    let bodies: Vec<Value> = (0..2 * N)
        .map(|i| {
            let (name, member) = if i % 2 == 0 {
                (format!("good-{i}"), member.clone())
            } else {
                (
                    format!("bad-{i}"),
                    "7f000000-0000-4000-8000-000000000000".to_owned(),
                )
            };
            json!({"schemas": [GROUP_SCHEMA], "displayName": name, "members": [{"value": member}]})
        })
        .collect();

    // Act
    let responses = join_all(bodies.into_iter().map(|body| app.post("/Groups", body))).await;

    // Assert
    let statuses = statuses(responses).await;
    assert_eq!(count(&statuses, StatusCode::CREATED), N, "{statuses:?}");
    assert_eq!(count(&statuses, StatusCode::BAD_REQUEST), N, "{statuses:?}");
    let bad = app.list("/Groups", "displayName sw \"bad-\"").await;
    assert_eq!(bad["totalResults"], 0, "no refused group is left: {bad}");
    let good = app.list("/Groups", "displayName sw \"good-\"").await;
    assert_eq!(
        good["totalResults"], N,
        "every accepted group is kept: {good}"
    );
    let events = app.events_since(&cursor).await;
    let created = events
        .iter()
        .filter(|e| e["type"] == "group.created")
        .count();
    assert_eq!(created, N, "one group.created per kept group");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_bulk_request_cut_off_by_the_request_timeout_leaves_whole_users_and_writing_goes_on() {
    // Arrange: a /Bulk of 1,000 creates of users with 100 emails each takes longer than the
    // 1 s request timeout, which drops it in the middle of a chunk of its operations, while
    // single creates keep arriving.
    let app = TestApp::spawn_with(|args| {
        args.request_timeout_seconds = 1;
        args.bulk_max_payload_bytes = 8_000_000;
        args.max_json_values = 400_000;
    })
    .await;
    let cursor = app.feed_end().await;
    let emails: Vec<Value> = (0..100)
        .map(|e| json!({"value": format!("c{e}@example.com")}))
        .collect();
    let operations: Vec<Value> = (0..1000)
        .map(|i| {
            json!({"method": "POST", "path": "/Users", "bulkId": format!("b{i}"),
                   "data": {"schemas": [USER_SCHEMA], "userName": format!("cut-{i}"), "emails": emails}})
        })
        .collect();
    let app = &app;

    // Act
    let cut_off = std::sync::atomic::AtomicBool::new(false);
    let bulk = async {
        let resp = app.post("/Bulk", bulk_body(json!(operations))).await;
        cut_off.store(true, std::sync::atomic::Ordering::Relaxed);
        resp
    };
    // Four clients creating users one after another until the bulk request ends: their
    // writes join the transactions of its chunks, the one it is cut off in included.
    let singles = join_all((0..4).map(|client| {
        let cut_off = &cut_off;
        async move {
            let mut statuses = Vec::new();
            while !cut_off.load(std::sync::atomic::Ordering::Relaxed) {
                let name = format!("cut-single-{client}-{}", statuses.len());
                let body = json!({"schemas": [USER_SCHEMA], "userName": name});
                statuses.push(app.post("/Users", body).await.status());
            }
            statuses
        }
    }));
    let (bulk, singles) = tokio::join!(bulk, singles);
    let singles: Vec<StatusCode> = singles.into_iter().flatten().collect();

    // Assert
    assert_eq!(
        bulk.status(),
        StatusCode::SERVICE_UNAVAILABLE,
        "the bulk request is cut off"
    );
    assert!(
        singles.iter().all(|s| *s == StatusCode::CREATED),
        "{singles:?}"
    );
    let after = app.create_user("cut-after").await;
    let users = user_ids_named(app, "cut-").await;
    assert!(users.contains(&id(&after)), "writing goes on");
    assert!(
        users.len() < 1000 + singles.len() + 1,
        "the bulk request did not finish"
    );
    assert_eq!(
        created_user_ids(app, &cursor).await,
        users,
        "users and their user.created events match one to one"
    );
}
