//! Service provider discovery (RFC 7644 §4, RFC 7643 §5–§7), the OpenAPI document, the Swagger
//! UI and the health endpoint.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{
    ENTERPRISE, GROUP_SCHEMA, TestApp, USER_SCHEMA, assert_scim_error, bulk_body, id, patch_body,
    scim_json,
};

const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const SPC_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
const RESOURCE_TYPE_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

/// GETs a discovery path and returns the SCIM JSON body after checking for 200.
async fn get_ok(app: &TestApp, path: &str) -> Value {
    let resp = app.get(path).await;
    assert_eq!(resp.status(), StatusCode::OK, "GET {path}");
    scim_json(resp).await
}

/// The attribute `name` of a rendered schema.
fn attribute<'a>(schema: &'a Value, name: &str) -> &'a Value {
    schema["attributes"]
        .as_array()
        .and_then(|all| all.iter().find(|a| a["name"] == name))
        .unwrap_or_else(|| panic!("attribute {name} missing from {}", schema["id"]))
}

#[tokio::test]
async fn service_provider_config_pins_every_capability_to_what_is_implemented() {
    // Arrange
    let app = TestApp::spawn_with(|a| {
        a.max_page_size = 250;
        a.bulk_max_operations = 40;
        a.bulk_max_payload_bytes = 65_536;
    })
    .await;

    // Act
    let spc = get_ok(&app, "/ServiceProviderConfig").await;

    // Assert: the whole document, so that claiming a capability (bulk, say) before it works, or
    // dropping one that does, fails here; `service_provider_config_claims_hold` shows each
    // claimed capability at work.
    let expected = json!({
        "schemas": [SPC_SCHEMA],
        "documentationUri": "https://datatracker.ietf.org/doc/html/rfc7644",
        "patch": {"supported": true},
        "bulk": {"supported": true, "maxOperations": 40, "maxPayloadSize": 65_536},
        "filter": {"supported": true, "maxResults": 250},
        "changePassword": {"supported": true},
        "sort": {"supported": true},
        "pagination": {
            "cursor": true,
            "index": true,
            "defaultPaginationMethod": "index",
            "defaultPageSize": 100,
            "maxPageSize": 250,
            "cursorTimeout": 3600,
        },
        "etag": {"supported": true},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "A bearer token created with `scimd token create`, sent as `Authorization: Bearer <token>`.",
            "specUri": "https://www.rfc-editor.org/rfc/rfc6750",
            "primary": true,
        }],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": format!("{}/ServiceProviderConfig", app.base),
        },
    });
    assert_eq!(spc, expected);
}

#[tokio::test]
async fn service_provider_config_claims_hold() {
    // Arrange: a page size of 2, so three users exceed it.
    let app = TestApp::spawn_with(|a| a.max_page_size = 2).await;
    let spc = get_ok(&app, "/ServiceProviderConfig").await;
    for name in ["u-a", "u-b", "u-c"] {
        app.create_user(name).await;
    }
    let first = id(&app.list("/Users", r#"userName eq "u-a""#).await["Resources"][0]);
    let user = format!("/Users/{first}");

    // Act and Assert, one claim at a time.
    assert_eq!(spc["patch"]["supported"], true);
    let patch = patch_body(json!([{"op": "replace", "path": "title", "value": "Chef"}]));
    assert_eq!(
        app.patch(&user, patch).await.status(),
        StatusCode::OK,
        "patch"
    );

    assert_eq!(spc["changePassword"]["supported"], true);
    let password =
        patch_body(json!([{"op": "replace", "path": "password", "value": "n3w-Secret!"}]));
    let changed = app.patch(&user, password).await;
    assert_eq!(changed.status(), StatusCode::OK, "changePassword");
    assert!(scim_json(changed).await.get("password").is_none());

    assert_eq!(spc["sort"]["supported"], true);
    let sorted = app
        .get_query_ok(
            "/Users",
            &[("sortBy", "userName"), ("sortOrder", "descending")],
        )
        .await;
    let names: Vec<&str> = sorted["Resources"]
        .as_array()
        .expect("Resources")
        .iter()
        .filter_map(|u| u["userName"].as_str())
        .collect();
    assert_eq!(names, ["u-c", "u-b"], "sort, in pages of maxResults");

    assert_eq!(spc["filter"]["supported"], true);
    assert_eq!(spc["filter"]["maxResults"], 2);
    let filtered = app
        .get_query_ok(
            "/Users",
            &[("filter", r#"userName sw "u-""#), ("count", "10")],
        )
        .await;
    assert_eq!(filtered["totalResults"], 3, "filter");
    assert_eq!(filtered["itemsPerPage"], 2, "filter.maxResults caps a page");

    assert_eq!(spc["pagination"]["index"], true);
    let second = app
        .get_query_ok("/Users", &[("startIndex", "3"), ("count", "2")])
        .await;
    assert_eq!(second["Resources"][0]["userName"], "u-c", "index paging");
    assert_eq!(spc["pagination"]["cursor"], true);
    let cursor = app.get_query_ok("/Users", &[("cursor", "")]).await;
    assert!(cursor["nextCursor"].is_string(), "cursor paging: {cursor}");

    assert_eq!(spc["etag"]["supported"], true);
    let read = app.get(&user).await;
    let etag = read.headers()["etag"].to_str().expect("ascii").to_owned();
    let unchanged = app
        .request_with(Method::GET, &user, None, &[("If-None-Match", &etag)])
        .await;
    assert_eq!(unchanged.status(), StatusCode::NOT_MODIFIED, "etag");

    assert_eq!(spc["bulk"]["supported"], true);
    assert_eq!(spc["bulk"]["maxOperations"], 1000, "the default");
    assert_eq!(spc["bulk"]["maxPayloadSize"], 1_048_576, "the default");
    let bulk = app
        .bulk(bulk_body(json!([
            {"method": "POST", "path": "/Users", "bulkId": "n",
             "data": {"schemas": [USER_SCHEMA], "userName": "u-new"}},
            {"method": "PATCH", "path": "/Users/bulkId:n",
             "data": patch_body(json!([{"op": "replace", "path": "title", "value": "Bulk"}]))},
        ])))
        .await;
    let statuses: Vec<&Value> = bulk.iter().map(|op| &op["status"]).collect();
    assert_eq!(statuses, ["201", "200"], "bulk");
}

#[tokio::test]
async fn resource_types_list_user_first_with_schema_and_extensions() {
    // Arrange
    let app = TestApp::spawn().await;

    // Act
    let list = get_ok(&app, "/ResourceTypes").await;

    // Assert
    assert_eq!(list["schemas"], json!([LIST_RESPONSE]), "{list}");
    assert_eq!(list["totalResults"], json!(2), "{list}");
    assert_eq!(list["itemsPerPage"], json!(2), "{list}");
    assert_eq!(list["startIndex"], json!(1), "{list}");
    let resources = list["Resources"].as_array().expect("Resources");
    let ids: Vec<&str> = resources.iter().filter_map(|r| r["id"].as_str()).collect();
    assert_eq!(ids, ["User", "Group"], "User comes first");
    let user = &resources[0];
    assert_eq!(user["schemas"], json!([RESOURCE_TYPE_SCHEMA]), "{user}");
    assert_eq!(user["name"], json!("User"));
    assert_eq!(user["endpoint"], json!("/Users"));
    assert_eq!(user["schema"], json!(USER_SCHEMA));
    assert_eq!(
        user["schemaExtensions"],
        json!([{"schema": ENTERPRISE, "required": false}])
    );
    assert_eq!(
        user["meta"]["location"],
        json!(format!("{}/ResourceTypes/User", app.base))
    );
    let group = &resources[1];
    assert_eq!(group["endpoint"], json!("/Groups"));
    assert_eq!(group["schema"], json!(GROUP_SCHEMA));
    assert_eq!(group["schemaExtensions"], json!([]));
}

#[tokio::test]
async fn a_single_resource_type_is_served_by_name() {
    // Arrange
    let app = TestApp::spawn().await;

    // Act
    let user = get_ok(&app, "/ResourceTypes/User").await;
    let group = get_ok(&app, "/ResourceTypes/Group").await;

    // Assert
    assert_eq!(user["schemas"], json!([RESOURCE_TYPE_SCHEMA]), "{user}");
    assert_eq!(user["id"], json!("User"));
    assert_eq!(user["schema"], json!(USER_SCHEMA));
    assert_eq!(user["schemaExtensions"][0]["schema"], json!(ENTERPRISE));
    assert_eq!(group["id"], json!("Group"));
    assert_eq!(group["endpoint"], json!("/Groups"));
}

#[tokio::test]
async fn unknown_resource_type_or_schema_is_a_scim_404() {
    // Arrange
    let app = TestApp::spawn().await;
    let cases = [
        ("/ResourceTypes/Nope", "an unknown resource type"),
        (
            "/Schemas/urn:ietf:params:scim:schemas:core:2.0:Nope",
            "an unknown schema URN",
        ),
        ("/Schemas/nope", "a schema id that is not a URN at all"),
    ];

    for (path, reason) in cases {
        // Act
        let resp = app.get(path).await;

        // Assert
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{reason}: {path}");
        assert_scim_error(resp, 404, None).await;
    }
}

#[tokio::test]
async fn schemas_lists_the_three_schemas_with_user_name_characteristics() {
    // Arrange
    let app = TestApp::spawn().await;

    // Act
    let list = get_ok(&app, "/Schemas").await;

    // Assert
    assert_eq!(list["schemas"], json!([LIST_RESPONSE]), "{list}");
    assert_eq!(list["totalResults"], json!(3), "{list}");
    let resources = list["Resources"].as_array().expect("Resources");
    let mut ids: Vec<&str> = resources.iter().filter_map(|r| r["id"].as_str()).collect();
    ids.sort_unstable();
    let mut expected = [USER_SCHEMA, ENTERPRISE, GROUP_SCHEMA];
    expected.sort_unstable();
    assert_eq!(ids, expected);
    for schema in resources {
        assert_eq!(
            schema["schemas"],
            json!([SCHEMA_SCHEMA]),
            "{}",
            schema["id"]
        );
        assert!(
            schema["attributes"]
                .as_array()
                .is_some_and(|a| !a.is_empty()),
            "{}",
            schema["id"]
        );
        assert_eq!(
            schema["meta"]["location"],
            json!(format!(
                "{}/Schemas/{}",
                app.base,
                schema["id"].as_str().unwrap_or_default()
            ))
        );
    }
    let user = resources
        .iter()
        .find(|s| s["id"] == USER_SCHEMA)
        .expect("User schema");
    let user_name = attribute(user, "userName");
    assert_eq!(user_name["type"], json!("string"));
    assert_eq!(user_name["required"], json!(true));
    assert_eq!(user_name["uniqueness"], json!("server"));
    assert_eq!(user_name["caseExact"], json!(false));
    let password = attribute(user, "password");
    assert_eq!(password["returned"], json!("never"));
    assert_eq!(password["mutability"], json!("writeOnly"));
    let group = resources
        .iter()
        .find(|s| s["id"] == GROUP_SCHEMA)
        .expect("Group schema");
    assert_eq!(attribute(group, "displayName")["required"], json!(true));
    let enterprise = resources
        .iter()
        .find(|s| s["id"] == ENTERPRISE)
        .expect("Enterprise schema");
    assert_eq!(attribute(enterprise, "department")["type"], json!("string"));
}

#[tokio::test]
async fn a_single_schema_is_served_by_its_urn() {
    // Arrange
    let app = TestApp::spawn().await;

    // Act
    let user = get_ok(&app, &format!("/Schemas/{USER_SCHEMA}")).await;
    let enterprise = get_ok(&app, &format!("/Schemas/{ENTERPRISE}")).await;

    // Assert
    assert_eq!(user["schemas"], json!([SCHEMA_SCHEMA]), "{user}");
    assert_eq!(user["id"], json!(USER_SCHEMA));
    assert_eq!(user["name"], json!("User"));
    assert_eq!(attribute(&user, "userName")["uniqueness"], json!("server"));
    assert_eq!(attribute(&user, "emails")["multiValued"], json!(true));
    assert_eq!(
        user["meta"]["location"],
        json!(format!("{}/Schemas/{USER_SCHEMA}", app.base))
    );
    assert_eq!(enterprise["id"], json!(ENTERPRISE));
}

#[tokio::test]
async fn writes_to_discovery_endpoints_are_method_not_allowed() {
    // Arrange
    let app = TestApp::spawn().await;
    let cases = [
        (
            Method::POST,
            "/ServiceProviderConfig",
            "the config is read-only",
        ),
        (
            Method::PUT,
            "/ServiceProviderConfig",
            "the config cannot be replaced",
        ),
        (
            Method::DELETE,
            "/ServiceProviderConfig",
            "the config cannot be deleted",
        ),
        (
            Method::POST,
            "/ResourceTypes",
            "resource types cannot be created",
        ),
        (
            Method::PUT,
            "/ResourceTypes/User",
            "a resource type cannot be replaced",
        ),
        (
            Method::DELETE,
            "/ResourceTypes/User",
            "a resource type cannot be deleted",
        ),
        (Method::POST, "/Schemas", "schemas cannot be created"),
        (
            Method::PUT,
            "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User",
            "a schema cannot be replaced",
        ),
        (
            Method::DELETE,
            "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User",
            "a schema cannot be deleted",
        ),
    ];

    for (method, path, reason) in cases {
        // Act
        let body = (method != Method::DELETE).then(|| json!({"schemas": [SPC_SCHEMA]}));
        let resp = app.request(method.clone(), path, body).await;

        // Assert
        assert_eq!(
            resp.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{reason}: {method} {path}"
        );
        assert_scim_error(resp, 405, None).await;
    }
}

#[tokio::test]
async fn discovery_requires_a_bearer_token() {
    // Arrange
    let app = TestApp::spawn().await;
    let cases = [
        ("/ServiceProviderConfig", None, "no Authorization header"),
        ("/ResourceTypes", None, "no Authorization header"),
        ("/ResourceTypes/User", None, "no Authorization header"),
        ("/Schemas", None, "no Authorization header"),
        (
            "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User",
            None,
            "no Authorization header",
        ),
        (
            "/ServiceProviderConfig",
            Some("Bearer not-a-token"),
            "a malformed token",
        ),
        (
            "/Schemas",
            Some("Basic dXNlcjpwYXNz"),
            "a non-bearer scheme",
        ),
    ];

    for (path, authorization, reason) in cases {
        // Act
        let mut req = app.client.get(format!("{}{path}", app.base));
        if let Some(value) = authorization {
            req = req.header("Authorization", value);
        }
        let resp = req.send().await.expect("request");

        // Assert
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{reason}: {path}");
        let challenge = resp
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert!(
            challenge.starts_with("Bearer"),
            "{reason}: WWW-Authenticate {challenge:?}"
        );
        assert_scim_error(resp, 401, None).await;
    }
}

#[tokio::test]
async fn openapi_document_is_public_and_describes_the_scim_api() {
    // Arrange
    let app = TestApp::spawn().await;

    // Act
    let resp = app
        .client
        .get(format!("{}/openapi.json", app.address))
        .send()
        .await
        .expect("request");

    // Assert
    assert_eq!(resp.status(), StatusCode::OK, "no token needed");
    let doc: Value = resp.json().await.expect("the document is JSON");
    assert!(
        doc["openapi"].as_str().is_some_and(|v| v.starts_with('3')),
        "{}",
        doc["openapi"]
    );
    // The paths are relative to the single server, which is the SCIM base URL.
    assert_eq!(doc["servers"], json!([{"url": app.base}]));
    let paths = doc["paths"].as_object().expect("paths");
    let operations = |path: &str| -> Vec<String> {
        let mut ops: Vec<String> = paths
            .get(path)
            .and_then(Value::as_object)
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default();
        ops.sort();
        ops
    };
    let cases = [
        ("/Users", vec!["get", "post"], "list and create users"),
        (
            "/Users/{id}",
            vec!["delete", "get", "patch", "put"],
            "one user",
        ),
        ("/Groups", vec!["get", "post"], "list and create groups"),
        (
            "/Groups/{id}",
            vec!["delete", "get", "patch", "put"],
            "one group",
        ),
        ("/Bulk", vec!["post"], "bulk operations"),
        ("/ServiceProviderConfig", vec!["get"], "discovery"),
        ("/ResourceTypes", vec!["get"], "discovery"),
        ("/Schemas", vec!["get"], "discovery"),
    ];
    for (path, expected, reason) in cases {
        assert_eq!(operations(path), expected, "{reason}: {path}");
    }
    let scheme = &doc["components"]["securitySchemes"]["BearerAuth"];
    assert_eq!(scheme["type"], json!("http"), "{scheme}");
    assert_eq!(scheme["scheme"], json!("bearer"), "{scheme}");
    assert_eq!(
        doc["paths"]["/Users"]["post"]["security"],
        json!([{"BearerAuth": []}])
    );
    assert_eq!(
        doc["paths"]["/Groups"]["get"]["security"],
        json!([{"BearerAuth": []}])
    );
    assert!(
        doc["paths"]["/Users"]["post"]["requestBody"]["content"]
            .get("application/scim+json")
            .is_some(),
        "the SCIM media type is documented: {}",
        doc["paths"]["/Users"]["post"]["requestBody"]
    );
    let bulk_body = &doc["paths"]["/Bulk"]["post"]["requestBody"]["content"];
    assert!(
        bulk_body["application/scim+json"]["schema"]["$ref"]
            .as_str()
            .is_some_and(|r| r.ends_with("/BulkRequest")),
        "/Bulk's body, kept as text, is documented as a BulkRequest: {bulk_body}"
    );
    for path in ["/Users", "/Bulk"] {
        let busy = &doc["paths"][path]["post"]["responses"]["503"];
        let headers = busy["headers"].as_object();
        assert!(
            headers.is_some_and(|h| h.keys().any(|k| k.eq_ignore_ascii_case("Retry-After"))),
            "503 when the body budget is taken, with Retry-After: {path} {busy}"
        );
    }
}

#[tokio::test]
async fn swagger_ui_is_served_as_html_without_a_token() {
    // Arrange
    let app = TestApp::spawn().await;

    // Act
    let resp = app
        .client
        .get(format!("{}/docs", app.address))
        .send()
        .await
        .expect("request");

    // Assert
    assert_eq!(resp.status(), StatusCode::OK);
    let ct = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(ct.starts_with("text/html"), "content type {ct}");
    let html = resp.text().await.expect("body");
    assert!(html.to_lowercase().contains("<html"), "an HTML page");
    assert!(html.contains("swagger"), "the Swagger UI");
}

#[tokio::test]
async fn healthz_answers_ok_without_a_token() {
    // Arrange
    let app = TestApp::spawn().await;

    // Act
    let resp = app
        .client
        .get(format!("{}/healthz", app.address))
        .send()
        .await
        .expect("request");

    // Assert
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.text().await.expect("body"), "ok");
}
