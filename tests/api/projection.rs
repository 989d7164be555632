//! `attributes` / `excludedAttributes` naming a whole schema by its URN (RFC 7644 §3.10,
//! §3.4.2.5): all of that schema's attributes are returned, or left out. Projection by attribute
//! name is tested with listing in `filter.rs`.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::helpers::{ENTERPRISE, GROUP_SCHEMA, TestApp, USER_SCHEMA, id};

/// The top-level keys of a resource.
fn keys(resource: &Value) -> BTreeSet<String> {
    resource
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

fn set(keys: &[&str]) -> BTreeSet<String> {
    keys.iter().map(|k| (*k).to_owned()).collect()
}

#[tokio::test]
async fn a_schema_urn_in_attributes_or_excluded_attributes_stands_for_all_its_attributes() {
    // Arrange
    let app = TestApp::spawn().await;
    let manager = id(&app.create_user("boss").await);
    let enterprise =
        json!({"employeeNumber": "7", "department": "Sales", "manager": {"value": manager}});
    let body = json!({
        "schemas": [USER_SCHEMA, ENTERPRISE],
        "userName": "kim",
        "name": {"givenName": "Kim"},
        ENTERPRISE: enterprise,
    });
    let resp = app.post("/Users", body).await;
    assert_eq!(resp.status(), reqwest::StatusCode::CREATED);
    let user = format!("/Users/{}", id(&resp.json::<Value>().await.expect("json")));
    let lower = ENTERPRISE.to_lowercase();
    let cases: [(&str, &str, &[&str], &str); 5] = [
        (
            "attributes",
            ENTERPRISE,
            &["id", "schemas", ENTERPRISE],
            "the extension alone",
        ),
        (
            "attributes",
            &format!("userName,{lower}"),
            &["id", "schemas", "userName", ENTERPRISE],
            "with another attribute, URN in any case",
        ),
        (
            "attributes",
            USER_SCHEMA,
            &["id", "schemas", "userName", "name"],
            "the core schema's attributes, without the extension",
        ),
        (
            "excludedAttributes",
            ENTERPRISE,
            &["id", "schemas", "userName", "name", "meta"],
            "everything but the extension",
        ),
        (
            "excludedAttributes",
            USER_SCHEMA,
            &["id", "schemas", ENTERPRISE, "meta"],
            "the extension and the common attributes",
        ),
    ];

    for (parameter, value, expected, reason) in cases {
        // Act
        let got = app.get_query_ok(&user, &[(parameter, value)]).await;

        // Assert
        assert_eq!(keys(&got), set(expected), "{reason}: {got}");
        if got.get(ENTERPRISE).is_some() {
            assert_eq!(got[ENTERPRISE]["employeeNumber"], json!("7"), "{reason}");
            assert_eq!(got[ENTERPRISE]["department"], json!("Sales"), "{reason}");
            assert_eq!(
                got[ENTERPRISE]["manager"]["value"],
                json!(manager),
                "{reason}"
            );
        }
    }
}

#[tokio::test]
async fn the_group_schema_urn_in_attributes_returns_the_members() {
    // Arrange
    let app = TestApp::spawn().await;
    let ann = id(&app.create_user("ann").await);
    let gid = id(&app.create_group("Sales", &[&ann]).await);

    // Act
    let group = app
        .get_query_ok(&format!("/Groups/{gid}"), &[("attributes", GROUP_SCHEMA)])
        .await;
    let listed = app
        .get_query_ok("/Groups", &[("attributes", GROUP_SCHEMA)])
        .await;

    // Assert
    assert_eq!(
        keys(&group),
        set(&["id", "schemas", "displayName", "members"]),
        "{group}"
    );
    assert_eq!(group["members"][0]["value"], json!(ann), "{group}");
    assert_eq!(
        listed["Resources"][0], group,
        "a list projects the same way"
    );
}
