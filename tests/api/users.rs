//! `/Users`: create, read, replace, delete, and the user model's rules.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{
    ENTERPRISE, TestApp, USER_SCHEMA, assert_scim_error, id, patch_body, scim_json,
};

fn full_user() -> Value {
    json!({
        "schemas": [USER_SCHEMA, ENTERPRISE],
        "externalId": "ext-1",
        "userName": "bjensen@example.com",
        "name": {"formatted": "Ms. Barbara J Jensen III", "familyName": "Jensen", "givenName": "Barbara",
                 "middleName": "Jane", "honorificPrefix": "Ms.", "honorificSuffix": "III"},
        "displayName": "Babs Jensen",
        "nickName": "Babs",
        "profileUrl": "https://login.example.com/bjensen",
        "title": "Tour Guide",
        "userType": "Employee",
        "preferredLanguage": "en-US",
        "locale": "en-US",
        "timezone": "America/Los_Angeles",
        "active": true,
        "password": "t1meMa$heen",
        "emails": [{"value": "bjensen@example.com", "type": "work", "primary": true},
                   {"value": "babs@jensen.org", "type": "home"}],
        "phoneNumbers": [{"value": "555-555-5555", "type": "work"}],
        "ims": [{"value": "someaimhandle", "type": "aim"}],
        "photos": [{"value": "https://photos.example.com/profilephoto/72930000000Ccne/F", "type": "photo"}],
        "addresses": [{"type": "work", "streetAddress": "100 Universal City Plaza", "locality": "Hollywood",
                       "region": "CA", "postalCode": "91608", "country": "USA", "primary": true}],
        "entitlements": [{"value": "license-a"}],
        "roles": [{"value": "admin", "display": "Administrator"}],
        "x509Certificates": [{"value": "MIIDQzCCAqygAwIBAgICEAAwDQYJKoZIhvcNAQEFBQAwTjELMAkGA1UEBhMCVVMx"}],
        ENTERPRISE: {"employeeNumber": "701984", "costCenter": "4130", "organization": "Universal Studios",
                     "division": "Theme Park", "department": "Tour Operations", "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d"}}
    })
}

#[tokio::test]
async fn create_user_returns_201_with_location_etag_and_every_attribute() {
    // Arrange
    let app = TestApp::spawn().await;
    let input = full_user();

    // Act
    let resp = app.post("/Users", input.clone()).await;

    // Assert
    assert_eq!(resp.status(), StatusCode::CREATED);
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    let etag = resp.headers()["etag"].to_str().unwrap().to_owned();
    let user = scim_json(resp).await;
    assert_eq!(location, user["meta"]["location"]);
    assert_eq!(location, format!("{}/Users/{}", app.base, id(&user)));
    assert_eq!(etag, user["meta"]["version"]);
    assert_eq!(user["meta"]["resourceType"], "User");
    assert_eq!(user["meta"]["created"], user["meta"]["lastModified"]);
    assert!(user.get("password").is_none(), "password is never returned");
    for key in [
        "externalId",
        "userName",
        "name",
        "displayName",
        "nickName",
        "profileUrl",
        "title",
        "userType",
        "preferredLanguage",
        "locale",
        "timezone",
        "active",
        "emails",
        "phoneNumbers",
        "ims",
        "photos",
        "addresses",
        "entitlements",
        "roles",
        "x509Certificates",
    ] {
        assert_eq!(user[key], input[key], "attribute {key} round-trips");
    }
    let ext = &user[ENTERPRISE];
    assert_eq!(ext["department"], "Tour Operations");
    assert_eq!(
        ext["manager"]["value"],
        "26118915-6090-4610-87e4-49d8ca9f808d"
    );
    assert_eq!(user["schemas"], json!([USER_SCHEMA, ENTERPRISE]));
}

#[tokio::test]
async fn get_user_returns_what_create_returned() {
    // Arrange
    let app = TestApp::spawn().await;
    let created = scim_json(app.post("/Users", full_user()).await).await;

    // Act
    let resp = app.get(&format!("/Users/{}", id(&created))).await;

    // Assert
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        resp.headers()["etag"].to_str().unwrap(),
        created["meta"]["version"]
    );
    assert_eq!(scim_json(resp).await, created);
}

#[tokio::test]
async fn get_user_returns_what_create_returned_with_its_managers_name() {
    // Arrange: the manager exists, so reads show its displayName.
    let app = TestApp::spawn().await;
    let boss = json!({"schemas": [USER_SCHEMA], "userName": "boss", "displayName": "The Boss"});
    let boss = scim_json(app.post("/Users", boss).await).await;
    let mut body = full_user();
    body[ENTERPRISE]["manager"] = json!({"value": id(&boss)});
    body[ENTERPRISE]["costCenter"] = json!(null);

    // Act
    let created = scim_json(app.post("/Users", body).await).await;
    let read = scim_json(app.get(&format!("/Users/{}", id(&created))).await).await;

    // Assert
    assert_eq!(created[ENTERPRISE]["manager"]["displayName"], "The Boss");
    assert_eq!(read, created);
}

#[tokio::test]
async fn a_user_write_answers_with_the_user_as_reads_then_show_it() {
    // Arrange: a user in a group (so its ETag carries the group), with a manager.
    let app = TestApp::spawn().await;
    let boss = json!({"schemas": [USER_SCHEMA], "userName": "boss", "displayName": "The Boss"});
    let boss = id(&scim_json(app.post("/Users", boss).await).await);
    let mut body = full_user();
    body[ENTERPRISE]["manager"] = json!({"value": boss});
    let user = id(&scim_json(app.post("/Users", body.clone()).await).await);
    app.create_group("team", &[&user]).await;
    let path = format!("/Users/{user}");
    let replace = |ops: Value| patch_body(json!([{"op": "replace", "value": ops}]));
    let mut put = body.clone();
    put["emails"] = json!([{"value": "new@example.com", "type": "other", "primary": false}]);
    put[ENTERPRISE]["manager"] = json!({"value": boss});
    let cases = [
        (
            replace(json!({"displayName": "Renamed"})),
            "an attribute with a column",
        ),
        (
            replace(json!({"displayName": "Own Boss", ENTERPRISE: {"manager": {"value": user}}})),
            "its own manager, renamed in the same write",
        ),
        (
            replace(json!({"nickName": "Babsy"})),
            "its own manager still",
        ),
        (
            replace(json!({"displayName": "Own Boss Renamed"})),
            "its own manager, renamed",
        ),
        (
            replace(json!({ENTERPRISE: {"manager": {"value": boss}}})),
            "another manager",
        ),
        (
            replace(json!({"emails": [{"value": "b@example.com", "type": "work"}]})),
            "multi-valued attributes",
        ),
    ];

    for (patch, reason) in cases {
        // Act
        let resp = app.patch(&path, patch).await;
        assert_eq!(resp.status(), StatusCode::OK, "{reason}");
        let etag = resp.headers()["etag"].to_str().unwrap().to_owned();
        let written = scim_json(resp).await;
        let read = app.get(&path).await;

        // Assert
        assert_eq!(read.headers()["etag"].to_str().unwrap(), etag, "{reason}");
        assert_eq!(scim_json(read).await, written, "{reason}");
    }
    let resp = app.put(&path, put).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let written = scim_json(resp).await;
    assert_eq!(written["groups"][0]["display"], "team");
    assert_eq!(written[ENTERPRISE]["manager"]["displayName"], "The Boss");
    assert_eq!(scim_json(app.get(&path).await).await, written, "PUT");
}

#[tokio::test]
async fn user_name_is_unique_case_insensitively() {
    let app = TestApp::spawn().await;
    app.create_user("Alice@Example.com").await;

    let resp = app
        .post(
            "/Users",
            json!({"schemas": [USER_SCHEMA], "userName": "alice@example.COM"}),
        )
        .await;

    assert_scim_error(resp, 409, Some("uniqueness")).await;
}

#[tokio::test]
async fn invalid_user_bodies_are_refused_and_create_nothing() {
    let app = TestApp::spawn().await;
    let cases = [
        (json!({"schemas": [USER_SCHEMA]}), "userName is required"),
        (json!({"userName": ""}), "userName must not be empty"),
        (json!({"userName": 42}), "userName must be a string"),
        (
            json!({"userName": "a", "active": "maybe"}),
            "active must be a boolean",
        ),
        (
            json!({"userName": "a", "emails": [{"value": "x@y", "primary": true}, {"value": "z@y", "primary": true}]}),
            "one primary",
        ),
        (
            json!({"userName": "a", "name": "not an object"}),
            "name is complex",
        ),
        (
            json!({"userName": "a", "externalId": 5}),
            "externalId must be a string",
        ),
        (json!(["userName"]), "body must be an object"),
    ];
    for (body, reason) in cases {
        let resp = app.post("/Users", body).await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{reason}");
        let err = scim_json(resp).await;
        assert!(
            matches!(
                err["scimType"].as_str(),
                Some("invalidValue" | "invalidSyntax")
            ),
            "{reason}: {err}"
        );
    }
    let list = app.list("/Users", "userName pr").await;
    assert_eq!(list["totalResults"], 0, "nothing was created");
}

#[tokio::test]
async fn attribute_names_are_case_insensitive_and_unknown_ones_ignored() {
    let app = TestApp::spawn().await;

    let resp = app
        .post(
            "/Users",
            json!({"SCHEMAS": [USER_SCHEMA], "USERNAME": "casey", "Name": {"GivenName": "Casey"},
                   "ACTIVE": "False", "favouriteColour": "blue"}),
        )
        .await;

    let user = scim_json(resp).await;
    assert_eq!(user["userName"], "casey");
    assert_eq!(user["name"]["givenName"], "Casey");
    assert_eq!(user["active"], false);
    assert!(user.get("favouriteColour").is_none());
}

#[tokio::test]
async fn read_only_input_is_ignored() {
    let app = TestApp::spawn().await;

    let user = scim_json(
        app.post(
            "/Users",
            json!({"userName": "ro", "id": "chosen-by-client", "meta": {"version": "W/\"99\""},
                   "groups": [{"value": "g1"}]}),
        )
        .await,
    )
    .await;

    assert_ne!(user["id"], "chosen-by-client");
    assert_eq!(user["meta"]["version"], "W/\"1\"");
    assert!(user.get("groups").is_none());
}

#[tokio::test]
async fn put_replaces_the_user_and_clears_absent_attributes() {
    // Arrange
    let app = TestApp::spawn().await;
    let created = scim_json(app.post("/Users", full_user()).await).await;
    let path = format!("/Users/{}", id(&created));

    // Act
    let resp = app
        .put(&path, json!({"schemas": [USER_SCHEMA], "userName": "bjensen@example.com", "active": false, "title": "Boss"}))
        .await;

    // Assert
    assert_eq!(resp.status(), StatusCode::OK);
    let user = scim_json(resp).await;
    assert_eq!(user["title"], "Boss");
    assert_eq!(user["active"], false);
    for gone in [
        "emails",
        "name",
        "displayName",
        "addresses",
        ENTERPRISE,
        "externalId",
    ] {
        assert!(user.get(gone).is_none(), "{gone} was cleared");
    }
    assert_eq!(user["meta"]["created"], created["meta"]["created"]);
    assert_ne!(user["meta"]["version"], created["meta"]["version"]);
    assert_eq!(scim_json(app.get(&path).await).await, user);
}

#[tokio::test]
async fn put_with_a_different_id_in_the_body_is_refused() {
    let app = TestApp::spawn().await;
    let user = app.create_user("pat").await;

    let resp = app
        .put(
            &format!("/Users/{}", id(&user)),
            json!({"id": "other", "userName": "pat"}),
        )
        .await;

    assert_scim_error(resp, 400, Some("mutability")).await;
}

#[tokio::test]
async fn put_to_a_taken_user_name_is_a_conflict_and_changes_nothing() {
    let app = TestApp::spawn().await;
    app.create_user("first").await;
    let second = app.create_user("second").await;
    let path = format!("/Users/{}", id(&second));

    let resp = app.put(&path, json!({"userName": "FIRST"})).await;

    assert_scim_error(resp, 409, Some("uniqueness")).await;
    assert_eq!(scim_json(app.get(&path).await).await, second);
}

#[tokio::test]
async fn disabling_a_user_keeps_it_visible_with_active_false() {
    let app = TestApp::spawn().await;
    let user = app.create_user("leaver").await;
    let path = format!("/Users/{}", id(&user));

    let resp = app
        .put(&path, json!({"userName": "leaver", "active": false}))
        .await;

    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(scim_json(app.get(&path).await).await["active"], false);
    assert_eq!(
        app.list("/Users", "active eq false").await["totalResults"],
        1
    );
}

#[tokio::test]
async fn delete_user_returns_204_then_404() {
    let app = TestApp::spawn().await;
    let user = app.create_user("gone").await;
    let path = format!("/Users/{}", id(&user));

    let first = app.delete(&path).await;
    let second = app.delete(&path).await;
    let get = app.get(&path).await;

    assert_eq!(first.status(), StatusCode::NO_CONTENT);
    assert_scim_error(second, 404, None).await;
    assert_scim_error(get, 404, None).await;
}

#[tokio::test]
async fn unknown_or_malformed_ids_are_404() {
    let app = TestApp::spawn().await;
    for path in [
        "/Users/does-not-exist",
        "/Users/00000000-0000-0000-0000-000000000000",
        "/Users/%27%20OR%201=1",
    ] {
        assert_scim_error(app.get(path).await, 404, None).await;
        assert_scim_error(app.put(path, json!({"userName": "x"})).await, 404, None).await;
        assert_scim_error(app.delete(path).await, 404, None).await;
    }
}

#[tokio::test]
async fn password_is_stored_hashed_and_never_returned() {
    let app = TestApp::spawn().await;

    let user = scim_json(
        app.post(
            "/Users",
            json!({"userName": "pw", "password": "hunter2-hunter2"}),
        )
        .await,
    )
    .await;
    let fetched = scim_json(app.get(&format!("/Users/{}", id(&user))).await).await;
    let listed = app.list("/Users", "userName eq \"pw\"").await;

    assert!(user.get("password").is_none());
    assert!(fetched.get("password").is_none());
    assert!(!listed.to_string().contains("hunter2"));
}

#[tokio::test]
async fn list_users_returns_a_list_response() {
    let app = TestApp::spawn().await;
    for n in ["a", "b", "c"] {
        app.create_user(n).await;
    }

    let list = scim_json(app.get("/Users").await).await;

    assert_eq!(
        list["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:ListResponse"])
    );
    assert_eq!(list["totalResults"], 3);
    assert_eq!(list["itemsPerPage"], 3);
    assert_eq!(list["startIndex"], 1);
    let names: Vec<&str> = list["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["userName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["a", "b", "c"], "creation order");
}

#[tokio::test]
async fn manager_display_name_comes_from_the_manager_user() {
    let app = TestApp::spawn().await;
    let boss = scim_json(
        app.post(
            "/Users",
            json!({"userName": "boss", "displayName": "The Boss"}),
        )
        .await,
    )
    .await;

    let user = scim_json(
        app.post(
            "/Users",
            json!({"userName": "worker", ENTERPRISE: {"manager": id(&boss)}}),
        )
        .await,
    )
    .await;

    let manager = &user[ENTERPRISE]["manager"];
    assert_eq!(manager["value"], id(&boss));
    assert_eq!(manager["displayName"], "The Boss");
    assert_eq!(manager["$ref"], format!("{}/Users/{}", app.base, id(&boss)));
}

#[tokio::test]
async fn removing_active_leaves_it_unassigned() {
    let app = TestApp::spawn().await;
    let user = scim_json(
        app.post("/Users", json!({"userName": "temp", "active": true}))
            .await,
    )
    .await;
    let path = format!("/Users/{}", id(&user));

    let resp = app
        .patch(&path, json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "remove", "path": "active"}]}))
        .await;

    assert_eq!(resp.status(), StatusCode::OK);
    let after = scim_json(app.get(&path).await).await;
    assert!(
        after.get("active").is_none(),
        "RFC 7644 §3.5.2.2: removed means unassigned: {after}"
    );
    assert_eq!(app.list("/Users", "active pr").await["totalResults"], 0);
}

/// A listed user (SQLite fetches a page as one JSON array) is the user a GET returns, with
/// every kind of stored value: columns, value rows, `extra`, the manager, groups, timestamps.
#[tokio::test]
async fn a_listed_user_equals_the_user_read_alone() {
    // Arrange
    let app = TestApp::spawn().await;
    let boss = app.create_user("boss@example.com").await;
    let resp = app
        .post(
            "/Users",
            json!({
                "schemas": [USER_SCHEMA, ENTERPRISE],
                "userName": "ann@example.com",
                "name": {"givenName": "Ann", "familyName": "Ürtük", "honorificPrefix": "Dr."},
                "active": false,
                "emails": [
                    {"value": "ann@work.example", "type": "work", "primary": true},
                    {"value": "ann@home.example", "type": "home", "display": "Home"},
                ],
                "addresses": [{"type": "work", "locality": "Köln", "country": "DE"}],
                "x509Certificates": [{"value": "MIIC"}],
                ENTERPRISE: {"department": "R&D", "manager": {"value": id(&boss)}},
            }),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let ann = scim_json(resp).await;
    app.create_group("Admins", &[&id(&ann)]).await;
    app.create_group("Zeta", &[&id(&ann)]).await;

    // Act
    let alone = scim_json(app.get(&format!("/Users/{}", id(&ann))).await).await;
    let list = app
        .get_query_ok("/Users", &[("filter", "userName eq \"ann@example.com\"")])
        .await;

    // Assert
    assert_eq!(list["Resources"][0], alone);
    assert_eq!(alone["groups"].as_array().map(Vec::len), Some(2));
    assert_eq!(alone[ENTERPRISE]["manager"]["value"], boss["id"]);
    assert_eq!(alone["active"], json!(false));
}
