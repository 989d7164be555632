//! The request sequences Microsoft Entra ID's provisioning service sends, per its public SCIM
//! documentation: the test-connection probe, create with `externalId` and enterprise attributes,
//! the multi-operation PATCH with capitalised op names, string booleans and a bare manager id,
//! disable, delete, and the group lifecycle with the Microsoft group schema URI.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{
    ENTERPRISE, GROUP_SCHEMA, PATCH_OP, TestApp, USER_SCHEMA, id, scim_json, sorted_values,
};

const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const MS_GROUP_SCHEMA: &str =
    "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group";

async fn get_ok(app: &TestApp, path: &str) -> Value {
    let resp = app.get(path).await;
    assert_eq!(resp.status(), StatusCode::OK, "GET {path}");
    scim_json(resp).await
}

/// The user Entra ID creates (objectId as `externalId`, mail as the work email).
fn entra_user(user_name: &str, external_id: &str, display: &str, manager: Option<&str>) -> Value {
    let mut enterprise = json!({"employeeNumber": "701984", "department": "Tour Operations"});
    if let Some(m) = manager {
        enterprise["manager"] = json!({"value": m});
    }
    json!({
        "schemas": [USER_SCHEMA, ENTERPRISE],
        "externalId": external_id,
        "userName": user_name,
        "active": true,
        "displayName": display,
        "emails": [{"primary": true, "type": "work", "value": user_name}],
        "name": {"formatted": display, "familyName": "User", "givenName": "Test"},
        "meta": {"resourceType": "User"},
        "roles": [],
        ENTERPRISE: enterprise,
    })
}

async fn create(app: &TestApp, body: Value) -> Value {
    let resp = app.post("/Users", body).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    scim_json(resp).await
}

fn patch_ops(ops: Value) -> Value {
    json!({"schemas": [PATCH_OP], "Operations": ops})
}

#[tokio::test]
async fn entra_test_connection_probe_answers_an_empty_list() {
    let app = TestApp::spawn().await;
    let filter = format!("userName eq \"{}\"", uuid::Uuid::new_v4());
    let body = app.get_query_ok("/Users", &[("filter", &filter)]).await;
    assert_eq!(body["schemas"], json!([LIST_RESPONSE]), "{body}");
    assert_eq!(body["totalResults"], json!(0), "{body}");
    assert!(body["totalResults"].is_u64());
    assert_eq!(
        body.get("Resources")
            .map_or(0, |r| r.as_array().map_or(0, Vec::len)),
        0,
        "{body}"
    );
}

#[tokio::test]
async fn entra_create_then_multi_operation_patch() {
    let app = TestApp::spawn().await;
    let boss = id(&create(
        &app,
        entra_user("boss@contoso.com", "obj-boss", "Boss", None),
    )
    .await);
    let boss2 = id(&create(
        &app,
        entra_user("boss2@contoso.com", "obj-boss2", "Boss Two", None),
    )
    .await);

    // Probe, then create.
    let probe = app
        .get_query_ok(
            "/Users",
            &[("filter", "userName eq \"Test_User@contoso.com\"")],
        )
        .await;
    assert_eq!(probe["totalResults"], json!(0));
    let user = create(
        &app,
        entra_user(
            "Test_User@contoso.com",
            "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
            "Test User",
            Some(&boss),
        ),
    )
    .await;
    let uid = id(&user);
    assert_eq!(
        user["externalId"],
        json!("0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef")
    );
    assert_eq!(user["userName"], json!("Test_User@contoso.com"));
    assert_eq!(user["active"], json!(true));
    assert_eq!(user["displayName"], json!("Test User"));
    assert_eq!(user[ENTERPRISE]["employeeNumber"], json!("701984"));
    assert_eq!(user[ENTERPRISE]["department"], json!("Tour Operations"));
    assert_eq!(user[ENTERPRISE]["manager"]["value"], json!(boss));

    // Entra can also match on externalId (its objectId).
    let found = app
        .get_query_ok(
            "/Users",
            &[(
                "filter",
                "externalId eq \"0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef\"",
            )],
        )
        .await;
    assert_eq!(found["totalResults"], json!(1));
    assert_eq!(found["Resources"][0]["id"], json!(uid));

    // The multi-operation PATCH, all in one request.
    let resp = app
        .patch(
            &format!("/Users/{uid}"),
            patch_ops(json!([
                {"op": "Replace", "path": "displayName", "value": "Ryan Leenay"},
                {"op": "Add", "path": "emails[type eq \"work\"].value", "value": "updatedEmail@contoso.com"},
                {"op": "Replace", "path": format!("{ENTERPRISE}:manager"), "value": boss2},
                {"op": "Replace", "path": "active", "value": "False"}
            ])),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let patched = scim_json(resp).await;
    assert_eq!(patched["id"], json!(uid));
    assert_eq!(patched["displayName"], json!("Ryan Leenay"));
    assert_eq!(patched["active"], json!(false));
    assert_eq!(patched[ENTERPRISE]["manager"]["value"], json!(boss2));
    let work: Vec<&Value> = patched["emails"]
        .as_array()
        .expect("emails")
        .iter()
        .filter(|e| e["type"] == json!("work"))
        .collect();
    assert_eq!(work.len(), 1, "{patched}");
    assert_eq!(work[0]["value"], json!("updatedEmail@contoso.com"));

    // Read back: the same.
    let read = get_ok(&app, &format!("/Users/{uid}")).await;
    assert_eq!(read["displayName"], json!("Ryan Leenay"));
    assert_eq!(read["active"], json!(false));
    assert_eq!(read[ENTERPRISE]["manager"]["value"], json!(boss2));
    assert_eq!(
        read[ENTERPRISE]["department"],
        json!("Tour Operations"),
        "untouched"
    );
    assert_eq!(
        read["externalId"],
        json!("0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef")
    );
}

#[tokio::test]
async fn entra_disable_then_delete() {
    let app = TestApp::spawn().await;
    let user = create(
        &app,
        entra_user("leaver@contoso.com", "obj-leaver", "Leaver", None),
    )
    .await;
    let uid = id(&user);
    let gid = id(&app.create_group("Staff", &[&uid]).await);

    // Disable: the string boolean; the user stays visible with active false.
    let resp = app
        .patch(
            &format!("/Users/{uid}"),
            patch_ops(json!([{"op": "Replace", "path": "active", "value": "False"}])),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(scim_json(resp).await["active"], json!(false));
    let read = get_ok(&app, &format!("/Users/{uid}")).await;
    assert_eq!(read["active"], json!(false));
    let found = app
        .get_query_ok(
            "/Users",
            &[("filter", "userName eq \"leaver@contoso.com\"")],
        )
        .await;
    assert_eq!(found["totalResults"], json!(1));
    assert_eq!(found["Resources"][0]["active"], json!(false));

    // Delete: 204, then 404, and the user left its group.
    let resp = app.delete(&format!("/Users/{uid}")).await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.get(&format!("/Users/{uid}")).await.status(),
        StatusCode::NOT_FOUND
    );
    let found = app
        .get_query_ok(
            "/Users",
            &[("filter", "userName eq \"leaver@contoso.com\"")],
        )
        .await;
    assert_eq!(found["totalResults"], json!(0));
    let group = get_ok(&app, &format!("/Groups/{gid}")).await;
    assert!(sorted_values(&group, "members").is_empty(), "{group}");
}

#[tokio::test]
async fn entra_group_lifecycle() {
    let app = TestApp::spawn().await;
    let uid = id(&create(
        &app,
        entra_user("member@contoso.com", "obj-member", "Member", None),
    )
    .await);

    // Create with externalId and the Microsoft group schema URI alongside the core one.
    let resp = app
        .post(
            "/Groups",
            json!({
                "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
                "displayName": "Group1DisplayName",
                "schemas": [GROUP_SCHEMA, MS_GROUP_SCHEMA],
                "meta": {"resourceType": "Group"}
            }),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let group = scim_json(resp).await;
    let gid = id(&group);
    assert_eq!(
        group["externalId"],
        json!("8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159")
    );
    assert_eq!(group["displayName"], json!("Group1DisplayName"));
    assert!(sorted_values(&group, "members").is_empty());

    // Probe without members.
    let found = app
        .get_query_ok(
            "/Groups",
            &[
                ("filter", "displayName eq \"Group1DisplayName\""),
                ("excludedAttributes", "members"),
            ],
        )
        .await;
    assert_eq!(found["totalResults"], json!(1));
    assert_eq!(found["Resources"][0]["id"], json!(gid));
    assert_eq!(
        found["Resources"][0]["externalId"],
        json!("8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159")
    );
    assert!(found["Resources"][0].get("members").is_none(), "{found}");

    // Add a member.
    let resp = app
        .patch(
            &format!("/Groups/{gid}"),
            patch_ops(json!([{"op": "Add", "path": "members", "value": [{"value": uid}]}])),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        sorted_values(&get_ok(&app, &format!("/Groups/{gid}")).await, "members"),
        vec![uid.clone()]
    );
    assert_eq!(
        sorted_values(&get_ok(&app, &format!("/Users/{uid}")).await, "groups"),
        vec![gid.clone()]
    );

    // Remove it with a value list.
    let resp = app
        .patch(
            &format!("/Groups/{gid}"),
            patch_ops(json!([{"op": "Remove", "path": "members", "value": [{"value": uid}]}])),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert!(sorted_values(&get_ok(&app, &format!("/Groups/{gid}")).await, "members").is_empty());
    assert!(sorted_values(&get_ok(&app, &format!("/Users/{uid}")).await, "groups").is_empty());

    // Rename.
    let resp = app
        .patch(
            &format!("/Groups/{gid}"),
            patch_ops(json!([{"op": "Replace", "path": "displayName", "value": "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"}])),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let group = get_ok(&app, &format!("/Groups/{gid}")).await;
    assert_eq!(
        group["displayName"],
        json!("1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName")
    );

    // Delete: 204, then 404.
    let resp = app.delete(&format!("/Groups/{gid}")).await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.get(&format!("/Groups/{gid}")).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("/Users/{uid}")).await.status(),
        StatusCode::OK,
        "user kept"
    );
}

#[tokio::test]
async fn entra_multi_attribute_replace_applies_dotted_and_urn_keys_as_paths() {
    // Arrange: Microsoft's "Requests to replace multiple attributes" (Entra ID's SCIM
    // compatibility notes) names sub-attributes with dotted keys in a value without `path`.
    let app = TestApp::spawn().await;
    let uid = id(&create(
        &app,
        entra_user("kim@contoso.com", "obj-kim", "Kim Old", None),
    )
    .await);
    let cases = [
        (
            "replace",
            json!({
                "displayName": "Kim Ro",
                "name.givenName": "Kim",
                "name.familyName": "Ro",
                "emails[type eq \"work\"].value": "kim.ro@contoso.com",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "7",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value": "m-1",
            }),
        ),
        (
            "Add",
            json!({"name.middleName": "J", "name.FamilyName": "Roe", "name.formatted": null}),
        ),
    ];
    for (op, value) in cases {
        // Act
        let resp = app
            .patch(
                &format!("/Users/{uid}"),
                patch_ops(json!([{"op": op, "value": value}])),
            )
            .await;

        // Assert
        assert_eq!(resp.status(), StatusCode::OK, "{op}");
    }
    let user = get_ok(&app, &format!("/Users/{uid}")).await;
    assert_eq!(
        user["name"],
        json!({"familyName": "Roe", "givenName": "Kim", "middleName": "J"}),
        "dotted keys set and unassign sub-attributes: {user}"
    );
    assert_eq!(user["displayName"], json!("Kim Ro"));
    assert_eq!(
        user["emails"],
        json!([{"primary": true, "type": "work", "value": "kim.ro@contoso.com"}])
    );
    assert_eq!(user[ENTERPRISE]["employeeNumber"], json!("7"));
    assert_eq!(user[ENTERPRISE]["manager"]["value"], json!("m-1"));
    assert_eq!(user[ENTERPRISE]["department"], json!("Tour Operations"));
}
