//! Versions and preconditions (RFC 7644 §3.14, RFC 9110 §13) on `/Users` and `/Groups`: every
//! response carrying a resource has an `ETag` equal to `meta.version`, every write changes it,
//! `If-None-Match` turns a read of an unchanged resource into 304, and `If-Match` refuses writes
//! to a version the client has not seen.

use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{
    GROUP_SCHEMA, PATCH_OP, TestApp, USER_SCHEMA, assert_scim_error, id, scim_json,
};

/// The two resource types, so each rule is checked on both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    User,
    Group,
}

const KINDS: [Kind; 2] = [Kind::User, Kind::Group];

impl Kind {
    fn endpoint(self) -> &'static str {
        match self {
            Kind::User => "/Users",
            Kind::Group => "/Groups",
        }
    }

    /// Creates a resource of this kind and returns its path.
    async fn create(self, app: &TestApp) -> String {
        let created = match self {
            Kind::User => app.create_user("bjensen").await,
            Kind::Group => app.create_group("Tour Guides", &[]).await,
        };
        format!("{}/{}", self.endpoint(), id(&created))
    }

    /// A full resource body for PUT, with `displayName` set to `display`.
    fn put_body(self, display: &str) -> Value {
        match self {
            Kind::User => {
                json!({"schemas": [USER_SCHEMA], "userName": "bjensen", "displayName": display})
            }
            Kind::Group => json!({"schemas": [GROUP_SCHEMA], "displayName": display}),
        }
    }

    /// The status of a successful PATCH without projection parameters.
    fn patched(self) -> StatusCode {
        match self {
            Kind::User => StatusCode::OK,
            Kind::Group => StatusCode::NO_CONTENT,
        }
    }
}

/// The write methods that take `If-Match`.
#[derive(Debug, Clone, Copy)]
enum Write {
    Put,
    Patch,
    Delete,
}

const WRITES: [Write; 3] = [Write::Put, Write::Patch, Write::Delete];

impl Write {
    /// Sends this write of a resource of `kind` at `path` with extra `headers`.
    async fn send(
        self,
        app: &TestApp,
        kind: Kind,
        path: &str,
        headers: &[(&str, &str)],
    ) -> Response {
        match self {
            Write::Put => {
                app.request_with(Method::PUT, path, Some(kind.put_body("Changed")), headers)
                    .await
            }
            Write::Patch => {
                app.request_with(Method::PATCH, path, Some(rename("Changed")), headers)
                    .await
            }
            Write::Delete => app.request_with(Method::DELETE, path, None, headers).await,
        }
    }

    /// The status of this write when it succeeds.
    fn succeeded(self, kind: Kind) -> StatusCode {
        match self {
            Write::Put => StatusCode::OK,
            Write::Patch => kind.patched(),
            Write::Delete => StatusCode::NO_CONTENT,
        }
    }
}

/// A PatchOp request body with `operations`.
fn patch_body(operations: Value) -> Value {
    json!({"schemas": [PATCH_OP], "Operations": operations})
}

/// A PATCH that sets `displayName`, an attribute both Users and Groups have.
fn rename(display: &str) -> Value {
    patch_body(json!([{"op": "replace", "path": "displayName", "value": display}]))
}

/// The `ETag` header of a response.
fn etag(resp: &Response) -> String {
    resp.headers()
        .get("etag")
        .unwrap_or_else(|| panic!("no ETag header on a {} response", resp.status()))
        .to_str()
        .expect("ETag is ASCII")
        .to_owned()
}

/// A way of writing an entity-tag header from the current tag, with its description.
type TagForm = (&'static str, fn(&str) -> String);

/// `meta.version` of a resource body.
fn version(resource: &Value) -> String {
    resource["meta"]["version"]
        .as_str()
        .unwrap_or_else(|| panic!("no meta.version in {resource}"))
        .to_owned()
}

/// Asserts `tag` is a weak entity tag `W/"…"` (RFC 9110 §8.8.3).
fn assert_weak(tag: &str, reason: &str) {
    let opaque = tag
        .strip_prefix("W/\"")
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or_else(|| panic!("{reason}: {tag} is not a weak entity tag"));
    assert!(
        !opaque.is_empty() && !opaque.contains('"'),
        "{reason}: {tag}"
    );
}

/// GETs `path`, asserting 200 and an ETag equal to `meta.version`; returns the body.
async fn get_json(app: &TestApp, path: &str) -> Value {
    let resp = app.get(path).await;
    assert_eq!(resp.status(), StatusCode::OK, "GET {path}");
    let tag = etag(&resp);
    let body = scim_json(resp).await;
    assert_eq!(version(&body), tag, "GET {path}: ETag equals meta.version");
    body
}

/// GETs `path` with `If-None-Match: header`.
async fn get_if_none_match(app: &TestApp, path: &str, header: &str) -> Response {
    app.request_with(Method::GET, path, None, &[("If-None-Match", header)])
        .await
}

/// The strong form `"n"` of a weak tag `W/"n"`.
fn strong(tag: &str) -> String {
    tag.trim_start_matches("W/").to_owned()
}

#[tokio::test]
async fn every_response_with_a_resource_carries_a_weak_etag_equal_to_meta_version() {
    for kind in KINDS {
        // Arrange
        let app = TestApp::spawn().await;
        let create_body = match kind {
            Kind::User => json!({"schemas": [USER_SCHEMA], "userName": "bjensen"}),
            Kind::Group => json!({"schemas": [GROUP_SCHEMA], "displayName": "Tour Guides"}),
        };

        // Act
        let created = app.post(kind.endpoint(), create_body).await;
        let created_tag = etag(&created);
        let created_body = scim_json(created).await;
        let path = format!("{}/{}", kind.endpoint(), id(&created_body));
        let read = app.get(&path).await;
        let read_tag = etag(&read);
        let read_body = scim_json(read).await;
        let put = app.put(&path, kind.put_body("Replaced")).await;
        let put_tag = etag(&put);
        let put_body = scim_json(put).await;
        let patched = app.patch(&path, rename("Patched")).await;
        let patched_status = patched.status();
        let patched_tag = etag(&patched);
        let patched_text = patched.text().await.expect("body");
        let after_patch = get_json(&app, &path).await;
        let projected = app
            .patch(
                &format!("{path}?excludedAttributes=externalId"),
                patch_body(json!([{"op": "replace", "path": "displayName", "value": "Projected"}])),
            )
            .await;
        let projected_tag = etag(&projected);
        let projected_body = scim_json(projected).await;
        let listed = app.get(kind.endpoint()).await;
        let listed = scim_json(listed).await;

        // Assert
        let reason = format!("{kind:?}");
        assert_eq!(version(&created_body), created_tag, "{reason}: POST");
        assert_weak(&created_tag, &format!("{reason}: POST"));
        assert_eq!(version(&read_body), read_tag, "{reason}: GET");
        assert_eq!(read_tag, created_tag, "{reason}: GET after POST");
        assert_eq!(version(&put_body), put_tag, "{reason}: PUT");
        assert_weak(&put_tag, &format!("{reason}: PUT"));
        assert_eq!(patched_status, kind.patched(), "{reason}: PATCH");
        if kind == Kind::User {
            let body: Value = serde_json::from_str(&patched_text).expect("json");
            assert_eq!(version(&body), patched_tag, "{reason}: PATCH body");
        } else {
            assert!(patched_text.is_empty(), "{reason}: 204 has no body");
        }
        assert_eq!(
            version(&after_patch),
            patched_tag,
            "{reason}: the PATCH's ETag is the stored version"
        );
        assert_weak(&patched_tag, &format!("{reason}: PATCH"));
        assert_eq!(
            version(&projected_body),
            projected_tag,
            "{reason}: PATCH answered with a body"
        );
        let resources = listed["Resources"].as_array().expect("Resources");
        let mine = resources
            .iter()
            .find(|r| r["displayName"] == "Projected")
            .unwrap_or_else(|| panic!("{reason}: not listed: {listed}"));
        assert_eq!(
            version(mine),
            projected_tag,
            "{reason}: a listed resource has the version its GET would have"
        );
    }
}

#[tokio::test]
async fn every_write_gives_the_resource_a_new_version() {
    for kind in KINDS {
        // Arrange
        let app = TestApp::spawn().await;
        let uid = id(&app.create_user("member").await);
        let path = kind.create(&app).await;
        let mut versions = vec![version(&get_json(&app, &path).await)];
        let mut steps = vec!["PUT", "PATCH"];
        if kind == Kind::Group {
            steps.extend([
                "membership add",
                "membership removal",
                "membership replaced by PUT",
                "member deleted",
            ]);
        }

        for step in steps {
            // Act
            let resp = match step {
                "PUT" => app.put(&path, kind.put_body("Replaced")).await,
                "PATCH" => app.patch(&path, rename("Patched")).await,
                "membership add" => {
                    app.patch(
                        &path,
                        patch_body(json!([{"op": "add", "path": "members", "value": [{"value": uid}]}])),
                    )
                    .await
                }
                "membership removal" => {
                    app.patch(
                        &path,
                        patch_body(json!([{"op": "remove", "path": format!("members[value eq \"{uid}\"]")}])),
                    )
                    .await
                }
                "membership replaced by PUT" => {
                    app.put(
                        &path,
                        json!({"schemas": [GROUP_SCHEMA], "displayName": "Patched", "members": [{"value": uid}]}),
                    )
                    .await
                }
                _ => app.delete(&format!("/Users/{uid}")).await,
            };

            // Assert
            let reason = format!("{kind:?} {step}");
            assert!(resp.status().is_success(), "{reason}: {}", resp.status());
            let after = version(&get_json(&app, &path).await);
            if step != "member deleted" {
                assert_eq!(
                    etag(&resp),
                    after,
                    "{reason}: the response names the new version"
                );
            }
            assert!(
                !versions.contains(&after),
                "{reason}: {after} was already used: {versions:?}"
            );
            versions.push(after);
        }
    }
}

/// Sends a write, then the same write again, and asserts that the second changed nothing: the
/// same version in its ETag, the resource as it was (`meta.lastModified` too), no event.
async fn assert_sent_twice_the_second_changes_nothing(
    app: &TestApp,
    path: &str,
    reason: &str,
    method: Method,
    body: Value,
) {
    let first = app.request(method.clone(), path, Some(body.clone())).await;
    assert!(first.status().is_success(), "{reason}: {}", first.status());
    let changed = get_json(app, path).await;
    let feed = app.feed_end().await;

    let again = app.request(method, path, Some(body)).await;

    assert!(again.status().is_success(), "{reason}: {}", again.status());
    assert_eq!(etag(&again), version(&changed), "{reason}: same version");
    let after = get_json(app, path).await;
    assert_eq!(
        after, changed,
        "{reason}: meta.lastModified and all else as they were"
    );
    assert_eq!(
        app.events_since(&feed).await,
        Vec::<Value>::new(),
        "{reason}"
    );
}

#[tokio::test]
async fn a_user_write_that_changes_nothing_keeps_its_version_and_records_no_event() {
    // Arrange: identity providers re-send values the user already has (Entra ID's periodic
    // sync, Okta's `active: true` on every push).
    let app = TestApp::spawn().await;
    let path = Kind::User.create(&app).await;
    let activate = patch_body(json!([{"op": "replace", "path": "active", "value": true}]));
    let body = json!({"schemas": [USER_SCHEMA], "userName": "bjensen", "active": true,
                      "emails": [{"value": "b@example.com", "type": "work"}]});
    let writes = [
        ("PATCH", Method::PATCH, activate),
        ("PUT", Method::PUT, body),
    ];

    for (reason, method, body) in writes {
        // Act and Assert
        assert_sent_twice_the_second_changes_nothing(&app, &path, reason, method, body).await;
    }
    let unchanged = version(&get_json(&app, &path).await);
    let deactivate = patch_body(json!([{"op": "replace", "path": "active", "value": false}]));
    let resp = app.patch(&path, deactivate).await;
    assert_ne!(
        etag(&resp),
        unchanged,
        "a real change still gets a new version"
    );
    assert_eq!(
        app.events_since(&None).await.len(),
        4,
        "created, two changes, deactivated"
    );
}

#[tokio::test]
async fn a_group_write_that_changes_nothing_keeps_its_version_and_records_no_event() {
    // Arrange: Okta re-sends member adds and renames with the values the group has.
    let app = TestApp::spawn().await;
    let uid = id(&app.create_user("member").await);
    let path = Kind::Group.create(&app).await;
    let add = patch_body(json!([{"op": "add", "path": "members", "value": [{"value": uid}]}]));
    let put =
        json!({"schemas": [GROUP_SCHEMA], "displayName": "Guides", "members": [{"value": uid}]});
    let writes = [
        ("member add", Method::PATCH, add),
        ("rename", Method::PATCH, rename("Guides")),
        ("PUT", Method::PUT, put),
    ];

    for (reason, method, body) in writes {
        // Act and Assert
        assert_sent_twice_the_second_changes_nothing(&app, &path, reason, method, body).await;
    }
}

#[tokio::test]
async fn a_user_gets_a_new_version_when_its_groups_change() {
    // Arrange
    let app = TestApp::spawn().await;
    let uid = id(&app.create_user("bjensen").await);
    let user_path = format!("/Users/{uid}");
    let gid = id(&app.create_group("Tour Guides", &[]).await);
    let group_path = format!("/Groups/{gid}");
    let mut versions = vec![version(&get_json(&app, &user_path).await)];
    let changes = [
        (
            "added to a group",
            patch_body(json!([{"op": "add", "path": "members", "value": [{"value": uid}]}])),
        ),
        (
            "removed from the group",
            patch_body(json!([{"op": "remove", "path": "members"}])),
        ),
    ];

    for (reason, change) in changes {
        // Act
        let resp = app.patch(&group_path, change).await;
        let conditional = get_if_none_match(&app, &user_path, versions.last().unwrap()).await;

        // Assert
        assert_eq!(resp.status(), StatusCode::NO_CONTENT, "{reason}");
        assert_eq!(
            conditional.status(),
            StatusCode::OK,
            "{reason}: the user's representation (groups) changed, so its old ETag must not answer 304"
        );
        // A weak ETag names a representation: leaving the group restores the first one, so it
        // may come back, but it must differ from the tag it had as a member.
        let after = version(&get_json(&app, &user_path).await);
        assert_ne!(Some(&after), versions.last(), "{reason}");
        versions.push(after);
    }
}

#[tokio::test]
async fn if_none_match_naming_the_current_version_answers_304_with_the_etag_and_no_body() {
    for kind in KINDS {
        let forms: [TagForm; 4] = [
            ("the weak tag itself", |t| t.to_owned()),
            ("the strong form of the tag (weak comparison)", strong),
            ("a list containing the tag", |t| {
                format!("W/\"nope\", {t}, W/\"other\"")
            }),
            ("a star", |_| "*".to_owned()),
        ];
        for (form, header) in forms {
            // Arrange
            let app = TestApp::spawn().await;
            let path = kind.create(&app).await;
            app.patch(&path, rename("Once")).await;
            let current = version(&get_json(&app, &path).await);
            let reason = format!("{kind:?}, {form}");

            // Act
            let resp = get_if_none_match(&app, &path, &header(&current)).await;

            // Assert
            assert_eq!(resp.status(), StatusCode::NOT_MODIFIED, "{reason}");
            assert_eq!(etag(&resp), current, "{reason}: 304 carries the ETag");
            let body = resp.bytes().await.expect("body");
            assert!(body.is_empty(), "{reason}: 304 has no body: {body:?}");
        }
    }
}

#[tokio::test]
async fn if_none_match_naming_another_version_answers_200_with_the_resource() {
    for kind in KINDS {
        let forms: [TagForm; 3] = [
            ("the previous version", |old| old.to_owned()),
            ("a list of old versions", |old| format!("{old}, W/\"0\"")),
            ("a tag that is no version at all", |_| {
                "W/\"garbage\"".to_owned()
            }),
        ];
        for (form, header) in forms {
            // Arrange
            let app = TestApp::spawn().await;
            let path = kind.create(&app).await;
            let old = version(&get_json(&app, &path).await);
            app.patch(&path, rename("Changed")).await;
            let current = get_json(&app, &path).await;
            let reason = format!("{kind:?}, {form}");

            // Act
            let resp = get_if_none_match(&app, &path, &header(&old)).await;

            // Assert
            assert_eq!(resp.status(), StatusCode::OK, "{reason}");
            assert_eq!(etag(&resp), version(&current), "{reason}");
            assert_eq!(
                scim_json(resp).await,
                current,
                "{reason}: the full resource"
            );
        }
    }
}

#[tokio::test]
async fn if_match_naming_a_stale_version_refuses_the_write_with_412_and_changes_nothing() {
    for kind in KINDS {
        for write in WRITES {
            // Arrange
            let app = TestApp::spawn().await;
            let path = kind.create(&app).await;
            let stale = version(&get_json(&app, &path).await);
            app.patch(&path, rename("Newer")).await;
            let before = get_json(&app, &path).await;
            let reason = format!("{kind:?} {write:?}");

            // Act
            let resp = write.send(&app, kind, &path, &[("If-Match", &stale)]).await;

            // Assert
            let err = assert_scim_error(resp, 412, None).await;
            assert!(
                err["detail"]
                    .as_str()
                    .is_some_and(|d| d.contains(&version(&before))),
                "{reason}: the detail names the current version: {err}"
            );
            assert_eq!(get_json(&app, &path).await, before, "{reason}: unchanged");
        }
    }
}

#[tokio::test]
async fn if_match_naming_the_current_version_or_any_allows_the_write() {
    for kind in KINDS {
        for write in WRITES {
            let forms: [TagForm; 4] = [
                ("the current weak tag", |t| t.to_owned()),
                ("the strong form of the current tag", strong),
                ("a list containing the current tag", |t| {
                    format!("W/\"0\", {t}")
                }),
                ("a star", |_| "*".to_owned()),
            ];
            for (form, header) in forms {
                // Arrange
                let app = TestApp::spawn().await;
                let path = kind.create(&app).await;
                app.patch(&path, rename("Once")).await;
                let current = version(&get_json(&app, &path).await);
                let reason = format!("{kind:?} {write:?}, {form}");

                // Act
                let resp = write
                    .send(&app, kind, &path, &[("If-Match", &header(&current))])
                    .await;

                // Assert
                assert_eq!(resp.status(), write.succeeded(kind), "{reason}");
                let after = app.get(&path).await;
                match write {
                    Write::Delete => assert_eq!(after.status(), StatusCode::NOT_FOUND, "{reason}"),
                    Write::Put | Write::Patch => {
                        assert_eq!(after.status(), StatusCode::OK, "{reason}");
                        let after = scim_json(after).await;
                        assert_eq!(after["displayName"], "Changed", "{reason}");
                        assert_ne!(version(&after), current, "{reason}: a new version");
                    }
                }
            }
        }
    }
}

#[tokio::test]
async fn a_group_membership_patch_with_a_stale_if_match_is_refused_whichever_way_it_is_applied() {
    let cases = [
        (
            "adding a member (applied as a row delta)",
            json!([{"op": "add", "path": "members", "value": [{"value": "<new>"}]}]),
        ),
        (
            "removing a member by value filter (applied as a row delta)",
            json!([{"op": "remove", "path": "members[value eq \"<old>\"]"}]),
        ),
        (
            "removing members by type filter (applied to the whole member list)",
            json!([{"op": "remove", "path": "members[type eq \"User\"]"}]),
        ),
        (
            "renaming and replacing the members without a path",
            json!([{"op": "replace", "value": {"displayName": "X", "members": [{"value": "<new>"}]}}]),
        ),
    ];
    for (reason, operations) in cases {
        // Arrange
        let app = TestApp::spawn().await;
        let old = id(&app.create_user("old").await);
        let new = id(&app.create_user("new").await);
        let path = format!("/Groups/{}", id(&app.create_group("Team", &[&old]).await));
        let stale = version(&get_json(&app, &path).await);
        app.patch(&path, rename("Team 2")).await;
        let before = get_json(&app, &path).await;
        let operations: Value = serde_json::from_str(
            &operations
                .to_string()
                .replace("<old>", &old)
                .replace("<new>", &new),
        )
        .expect("json");

        // Act
        let refused = app
            .request_with(
                Method::PATCH,
                &path,
                Some(patch_body(operations.clone())),
                &[("If-Match", &stale)],
            )
            .await;
        let unchanged = get_json(&app, &path).await;
        let allowed = app
            .request_with(
                Method::PATCH,
                &path,
                Some(patch_body(operations)),
                &[("If-Match", &version(&before))],
            )
            .await;

        // Assert
        assert_scim_error(refused, 412, None).await;
        assert_eq!(unchanged, before, "{reason}: unchanged after the 412");
        assert_eq!(allowed.status(), StatusCode::NO_CONTENT, "{reason}");
        let after = get_json(&app, &path).await;
        assert_ne!(after["members"], before["members"], "{reason}: applied");
    }
}

#[tokio::test]
async fn a_write_with_if_none_match_naming_the_current_version_is_refused_with_412() {
    for kind in KINDS {
        for write in WRITES {
            for header in ["*", "<current>"] {
                // Arrange
                let app = TestApp::spawn().await;
                let path = kind.create(&app).await;
                let before = get_json(&app, &path).await;
                let header = header.replace("<current>", &version(&before));
                let reason = format!("{kind:?} {write:?}, If-None-Match: {header}");

                // Act
                let resp = write
                    .send(&app, kind, &path, &[("If-None-Match", &header)])
                    .await;

                // Assert
                assert_eq!(resp.status(), StatusCode::PRECONDITION_FAILED, "{reason}");
                assert_eq!(get_json(&app, &path).await, before, "{reason}: unchanged");
            }
        }
    }
}

#[tokio::test]
async fn service_provider_config_says_etags_are_supported() {
    // Arrange
    let app = TestApp::spawn().await;

    // Act
    let resp = app.get("/ServiceProviderConfig").await;

    // Assert
    assert_eq!(resp.status(), StatusCode::OK);
    let spc = scim_json(resp).await;
    assert_eq!(spc["etag"]["supported"], json!(true), "{spc}");
}
