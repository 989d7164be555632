//! The leniency identity providers rely on (README "What identity providers may send"), each rule
//! tested over HTTP on its own: names in any case, unknown names ignored, unquoted filter values,
//! Microsoft's extra Group schema URI.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{
    GROUP_SCHEMA, PATCH_OP, TestApp, USER_SCHEMA, assert_scim_error, id, scim_json,
};

fn user_names(list: &Value) -> Vec<&str> {
    list["Resources"]
        .as_array()
        .expect("Resources")
        .iter()
        .map(|u| u["userName"].as_str().expect("userName"))
        .collect()
}

#[tokio::test]
async fn attribute_names_are_case_insensitive_in_bodies_queries_and_paths() {
    // Arrange: a body whose keys are capitalised as some clients send them.
    let app = TestApp::spawn().await;
    let created = app
        .post(
            "/Users",
            json!({
                "Schemas": [USER_SCHEMA],
                "UserName": "ann@example.com",
                "DisplayName": "Ann",
                "Name": {"FamilyName": "Zeta", "GivenName": "Ann"},
                "Emails": [{"Value": "ann@work.example", "Type": "work"}],
            }),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let ann = scim_json(created).await;
    app.post(
        "/Users",
        json!({"schemas": [USER_SCHEMA], "userName": "bob@example.com", "name": {"familyName": "Alpha"}}),
    )
    .await;

    // Act
    let by_family = app
        .get_query_ok("/Users", &[("filter", "name.FamilyName eq \"zeta\"")])
        .await;
    let by_email = app
        .get_query_ok(
            "/Users",
            &[("filter", "Emails.Value eq \"ann@work.example\"")],
        )
        .await;
    let by_created = app
        .get_query_ok(
            "/Users",
            &[("filter", "meta.Created gt \"2015-10-10T14:38:21.86-07:00\"")],
        )
        .await;
    let sorted = app
        .get_query_ok("/Users", &[("sortBy", "Name.FamilyName")])
        .await;
    let projected = app
        .get_query_ok(
            &format!("/Users/{}", id(&ann)),
            &[("attributes", "DisplayName,Name.FamilyName")],
        )
        .await;
    let excluded = app
        .get_query_ok(
            &format!("/Users/{}", id(&ann)),
            &[("excludedAttributes", "Emails,NAME")],
        )
        .await;
    let patched = app
        .patch(
            &format!("/Users/{}", id(&ann)),
            json!({"schemas": [PATCH_OP], "Operations": [
                {"op": "replace", "path": "Name.FamilyName", "value": "Eta"},
                {"op": "replace", "path": "EMAILS[TYPE eq \"work\"].VALUE", "value": "ann@new.example"}
            ]}),
        )
        .await;

    // Assert
    assert_eq!(ann["displayName"], json!("Ann"));
    assert_eq!(ann["name"]["familyName"], json!("Zeta"));
    assert_eq!(ann["emails"][0]["value"], json!("ann@work.example"));
    assert_eq!(user_names(&by_family), ["ann@example.com"]);
    assert_eq!(user_names(&by_email), ["ann@example.com"]);
    assert_eq!(by_created["totalResults"], json!(2));
    assert_eq!(user_names(&sorted), ["bob@example.com", "ann@example.com"]);
    assert_eq!(projected["displayName"], json!("Ann"));
    assert_eq!(projected["name"], json!({"familyName": "Zeta"}));
    assert!(projected.get("emails").is_none(), "{projected}");
    assert!(excluded.get("emails").is_none(), "{excluded}");
    assert!(excluded.get("name").is_none(), "{excluded}");
    assert_eq!(excluded["displayName"], json!("Ann"));
    assert_eq!(patched.status(), StatusCode::OK);
    let patched = scim_json(patched).await;
    assert_eq!(patched["name"]["familyName"], json!("Eta"));
    assert_eq!(patched["emails"][0]["value"], json!("ann@new.example"));
}

#[tokio::test]
async fn unknown_attributes_on_create_and_unknown_keys_in_a_patch_op_are_ignored() {
    // Arrange
    let app = TestApp::spawn().await;
    let created = app
        .post(
            "/Users",
            json!({
                "schemas": [USER_SCHEMA],
                "userName": "ann@example.com",
                "favouriteColour": "green",
                "name": {"familyName": "Zeta", "nickname": "Z"},
            }),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let ann = scim_json(created).await;

    // Act: unknown keys at the top of the PatchOp and inside an operation, and an unknown
    // attribute inside a no-path value.
    let patched = app
        .patch(
            &format!("/Users/{}", id(&ann)),
            json!({
                "schemas": [PATCH_OP],
                "requestId": "r-1",
                "Operations": [
                    {"op": "replace", "path": "title", "value": "Boss", "comment": "promotion"},
                    {"op": "add", "value": {"shoeSize": 42, "displayName": "Ann Z"}},
                ],
            }),
        )
        .await;

    // Assert
    assert!(ann.get("favouriteColour").is_none(), "{ann}");
    assert_eq!(ann["name"], json!({"familyName": "Zeta"}));
    assert_eq!(patched.status(), StatusCode::OK);
    let patched = scim_json(patched).await;
    assert_eq!(patched["title"], json!("Boss"));
    assert_eq!(patched["displayName"], json!("Ann Z"));
    assert!(patched.get("shoeSize").is_none(), "{patched}");
}

#[tokio::test]
async fn unquoted_filter_values_read_as_strings_or_dates() {
    // Arrange
    let app = TestApp::spawn().await;
    for name in ["Olga@example.com", "otto@example.com", "paul@example.com"] {
        app.create_user(name).await;
    }

    // Act
    let starts = app
        .get_query_ok("/Users", &[("filter", "userName sw O")])
        .await;
    let after = app
        .get_query_ok(
            "/Users",
            &[("filter", "meta.created gt 2015-10-10T14:38:21.86-07:00")],
        )
        .await;
    let before = app
        .get_query_ok(
            "/Users",
            &[("filter", "meta.created lt 2015-10-10T14:38:21.86-07:00")],
        )
        .await;

    // Assert
    let mut names = user_names(&starts);
    names.sort_unstable();
    assert_eq!(names, ["Olga@example.com", "otto@example.com"]);
    assert_eq!(after["totalResults"], json!(3));
    assert_eq!(before["totalResults"], json!(0));
}

#[tokio::test]
async fn a_filter_without_an_operator_is_still_invalid_filter() {
    // Arrange
    let app = TestApp::spawn().await;

    for filter in ["userName", "userName \"x\"", "userName eq"] {
        // Act
        let resp = app.get_query("/Users", &[("filter", filter)]).await;

        // Assert
        assert_scim_error(resp, 400, Some("invalidFilter")).await;
    }
}

#[tokio::test]
async fn a_group_create_may_carry_microsofts_extra_schema_uri() {
    // Arrange
    let app = TestApp::spawn().await;
    let ms_group = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group";

    // Act
    let resp = app
        .post(
            "/Groups",
            json!({"schemas": [GROUP_SCHEMA, ms_group], "displayName": "Sales", "externalId": "g-1"}),
        )
        .await;

    // Assert
    assert_eq!(resp.status(), StatusCode::CREATED);
    let group = scim_json(resp).await;
    assert_eq!(group["displayName"], json!("Sales"));
    assert_eq!(group["schemas"], json!([GROUP_SCHEMA]));
}
