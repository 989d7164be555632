//! Concurrent writes to one resource (RFC 7644 §3.14 and the store's row locking): conditional
//! writes have exactly one winner, unconditional ones serialize without losing updates, and no
//! interleaving of writes answers 500. Each test fires `N` requests at once on a multi-threaded
//! runtime, against SQLite or PostgreSQL.

use futures::future::join_all;
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{GROUP_SCHEMA, PATCH_OP, TestApp, USER_SCHEMA, id, scim_json, sorted_values};

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
