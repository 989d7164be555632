//! Limits on what one request may ask for (README "Limits"): each count has a documented
//! maximum, a request over it gets `400` with a SCIM error before any work, and a request at it
//! succeeds, on both backends.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, USER_SCHEMA, scim_json};

/// The default maximum number of values of one multi-valued User attribute.
const MAX_VALUES: usize = 1_000;

/// The multi-valued User attributes (RFC 7643 §4.1.2), each with `n` distinct values.
fn every_multi_valued_attribute(n: usize) -> Value {
    let values = |make: &dyn Fn(usize) -> Value| (0..n).map(make).collect::<Vec<_>>();
    json!({
        "emails": values(&|i| json!({"value": format!("u{i}@example.com"), "type": "work"})),
        "phoneNumbers": values(&|i| json!({"value": format!("+1 555 {i:04}")})),
        "ims": values(&|i| json!({"value": format!("im{i}"), "type": "xmpp"})),
        "photos": values(&|i| json!({"value": format!("https://example.com/{i}.jpg")})),
        "addresses": values(&|i| json!({"locality": format!("Town {i}"), "type": "work"})),
        "entitlements": values(&|i| json!({"value": format!("entitlement-{i}")})),
        "roles": values(&|i| json!({"value": format!("role-{i}")})),
        "x509Certificates": values(&|i| json!({"value": format!("MII{i}")})),
    })
}

fn lengths(user: &Value) -> Vec<(String, usize)> {
    let mut out: Vec<(String, usize)> = user
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| Some((k.clone(), v.as_array()?.len())))
        .filter(|(k, _)| k != "schemas")
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn a_user_with_the_most_values_in_every_multi_valued_attribute_is_stored_whole() {
    // Arrange: 8 attributes × 1,000 values, 8,000 value rows (96,000 bound parameters in one
    // INSERT before they were split: over both SQLite's and PostgreSQL's limits).
    let app = TestApp::spawn().await;
    let mut body = every_multi_valued_attribute(MAX_VALUES);
    body["schemas"] = json!([USER_SCHEMA]);
    body["userName"] = json!("many");

    // Act
    let created = app.post("/Users", body.clone()).await;

    // Assert
    assert_eq!(created.status(), StatusCode::CREATED);
    let created = scim_json(created).await;
    let id = created["id"].as_str().expect("id").to_owned();
    let read = scim_json(app.get(&format!("/Users/{id}")).await).await;
    assert_eq!(lengths(&read), lengths(&body), "every value is read back");
    assert_eq!(read["emails"], body["emails"], "in order, as sent");

    body["roles"] = json!([{"value": "only"}]);
    let replaced = app.put(&format!("/Users/{id}"), body.clone()).await;
    assert_eq!(replaced.status(), StatusCode::OK, "a PUT rewrites them");
    let read = scim_json(app.get(&format!("/Users/{id}")).await).await;
    assert_eq!(lengths(&read), lengths(&body));
}
