//! Limits on what one request may ask for (README "Limits"): each count has a documented
//! maximum, a request over it gets `400` with a SCIM error before any work, and a request at it
//! succeeds, on both backends.

use reqwest::{Method, StatusCode};
use scimd::http::body::MAX_JSON_DEPTH;
use scimd::scim::filter::MAX_TERMS;
use scimd::scim::limits::Limits;
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;

use crate::helpers::{
    TestApp, USER_SCHEMA, assert_scim_error, fresh_database_url, id, patch_body, scim_json,
    serve_args,
};

const SEARCH_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";

/// The default maximum number of values of one multi-valued User attribute.
const MAX_VALUES: usize = Limits::DEFAULT.max_values;

/// Asserts a `400` SCIM error of `scim_type` whose detail names the limit (`limit`, e.g.
/// "at most 200").
async fn assert_over_limit(resp: reqwest::Response, scim_type: &str, limit: &str) {
    let err = assert_scim_error(resp, 400, Some(scim_type)).await;
    let detail = err["detail"].as_str().unwrap_or_default();
    assert!(detail.contains(limit), "{err}");
}

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

/// `n` emails `u{offset}@example.com`, `u{offset + 1}@…`, ….
fn emails(offset: usize, n: usize) -> Value {
    (offset..offset + n)
        .map(|i| json!({"value": format!("u{i}@example.com")}))
        .collect()
}

async fn user_with_emails(app: &TestApp, n: usize) -> String {
    let body = json!({"schemas": [USER_SCHEMA], "userName": "mail", "emails": emails(0, n)});
    let resp = app.post("/Users", body).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    id(&scim_json(resp).await)
}

#[tokio::test]
async fn more_values_of_one_attribute_than_the_limit_are_invalid_value_and_change_nothing() {
    // Arrange
    let app = TestApp::spawn().await;
    let over =
        json!({"schemas": [USER_SCHEMA], "userName": "over", "emails": emails(0, MAX_VALUES + 1)});
    let resp = app.post("/Users", over).await;
    assert_scim_error(resp, 400, Some("invalidValue")).await;
    assert_eq!(
        app.list("/Users", "userName pr").await["totalResults"],
        0,
        "nothing created"
    );
    let id = user_with_emails(&app, MAX_VALUES).await;
    let path = format!("/Users/{id}");
    let cases = [
        (
            Method::PUT,
            json!({"schemas": [USER_SCHEMA], "userName": "mail", "roles": (0..=MAX_VALUES).map(|i| json!({"value": i.to_string()})).collect::<Value>()}),
            "a PUT with one value too many",
        ),
        (
            Method::PATCH,
            patch_body(json!([{"op": "add", "path": "emails", "value": emails(MAX_VALUES, 1)}])),
            "a PATCH that would store one value too many",
        ),
        (
            Method::PATCH,
            patch_body(
                json!([{"op": "replace", "path": "emails", "value": emails(0, MAX_VALUES + 1)}]),
            ),
            "a PATCH value with one value too many",
        ),
        (
            Method::PATCH,
            patch_body(
                json!([{"op": "add", "value": {"phoneNumbers": emails(0, MAX_VALUES + 1)}}]),
            ),
            "the same inside a value without path",
        ),
    ];

    for (method, body, reason) in cases {
        // Act
        let resp = app.request(method, &path, Some(body)).await;

        // Assert
        let err = assert_scim_error(resp, 400, Some("invalidValue")).await;
        assert!(
            err["detail"]
                .as_str()
                .unwrap_or_default()
                .contains("at most 1000"),
            "{reason}: {err}"
        );
    }
    let stored = scim_json(app.get(&path).await).await;
    assert_eq!(stored["emails"], emails(0, MAX_VALUES), "unchanged");
    assert!(stored.get("roles").is_none());
    let again =
        patch_body(json!([{"op": "add", "path": "emails", "value": emails(0, MAX_VALUES)}]));
    let resp = app.patch(&path, again).await;
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "adding values already present stores no more"
    );
}

/// `n` single-term comparisons joined by `keyword`, of several kinds (columns, multi-valued
/// attributes, negations), so the SQL has each shape.
fn chain(n: usize, keyword: &str) -> String {
    let terms = [
        r#"userName eq "x""#,
        r#"emails.value ne "y""#,
        "not (title pr)",
        r#"name.familyName sw "M""#,
        r#"groups co "g""#,
        "meta.created gt \"2020-01-01T00:00:00Z\"",
    ];
    (0..n)
        .map(|i| terms[i % terms.len()])
        .collect::<Vec<_>>()
        .join(&format!(" {keyword} "))
}

#[tokio::test]
async fn a_filter_of_the_most_terms_is_answered_and_one_more_term_is_invalid_filter() {
    // Arrange
    let app = TestApp::spawn().await;
    app.create_user("x").await;
    let terms = Limits::DEFAULT.max_filter_terms;

    for keyword in ["and", "or"] {
        // Act
        let at = app
            .get_query("/Users", &[("filter", &chain(terms, keyword))])
            .await;
        let over = app
            .get_query("/Users", &[("filter", &chain(terms + 1, keyword))])
            .await;
        let search = |filter: String| json!({"schemas": [SEARCH_REQUEST], "filter": filter});
        let searched = app
            .post("/Users/.search", search(chain(terms + 1, keyword)))
            .await;
        let across = app
            .post("/.search", search(chain(terms + 1, keyword)))
            .await;

        // Assert
        assert_eq!(
            at.status(),
            StatusCode::OK,
            "{keyword}: {}",
            at.text().await.unwrap_or_default()
        );
        assert_over_limit(over, "invalidFilter", "at most 200").await;
        assert_scim_error(searched, 400, Some("invalidFilter")).await;
        assert_scim_error(across, 400, Some("invalidFilter")).await;
    }
}

#[tokio::test]
async fn the_largest_and_deepest_filters_the_parser_allows_are_answered() {
    // Arrange: the terms limit raised to the parser's own ceiling. A left-nested chain compiled
    // as written was over SQLite's expression depth from about 490 terms (a 500), and its
    // compilation recursed once per term (a stack overflow in a debug build).
    let app = TestApp::spawn_with(|args| args.max_filter_terms = MAX_TERMS as u32).await;
    app.create_user("x").await;
    let nested = |depth: usize, inner: &str| {
        format!("{}{inner}{}", "not (".repeat(depth), ")".repeat(depth))
    };
    // `[` is a level too, and so is the `not (` in every sixth term of `chain`.
    let value_filter = format!("emails[{}]", nested(63, &chain_of_values(20)));
    let cases = [
        (chain(MAX_TERMS, "and"), "an and chain"),
        (chain(MAX_TERMS, "or"), "an or chain"),
        (
            nested(63, &chain(MAX_TERMS, "and")),
            "nested as deep as allowed around a chain",
        ),
        (
            vec![value_filter.as_str(); MAX_TERMS / 21].join(" or "),
            "value filters nested as deep as allowed",
        ),
    ];

    for (filter, reason) in cases {
        for endpoint in ["/Users", "/Groups"] {
            // Act
            let resp = app
                .get_query(endpoint, &[("filter", &filter), ("count", "1")])
                .await;

            // Assert: Groups lack these attributes, so the filter is refused, never a 500.
            let status = resp.status();
            let body = resp.text().await.unwrap_or_default();
            match endpoint {
                "/Users" => assert_eq!(status, StatusCode::OK, "{reason}: {body}"),
                _ => assert_eq!(status, StatusCode::BAD_REQUEST, "{reason}: {body}"),
            }
        }
        let search = json!({"schemas": [SEARCH_REQUEST], "filter": filter, "count": 1});
        let resp = app.post("/.search", search).await;
        assert_eq!(resp.status(), StatusCode::OK, "{reason} across types");
    }
}

#[tokio::test]
async fn the_filters_of_one_request_share_the_term_limit() {
    // Arrange
    let app = TestApp::spawn().await;
    let id = user_with_emails(&app, 3).await;
    let path = format!("/Users/{id}");
    let half = Limits::DEFAULT.max_filter_terms / 2;
    let filtered = |n: usize| format!("emails[{}].display", chain_of_values(n));
    let op = |n: usize| json!({"op": "replace", "path": filtered(n), "value": "d"});
    let cases = [
        (
            patch_body(json!([op(half), op(half)])),
            true,
            "two paths of 100 terms each",
        ),
        (
            patch_body(json!([op(half), op(half + 1)])),
            false,
            "two paths of 201 terms together",
        ),
        (
            patch_body(json!([op(half), {"op": "replace", "value": {filtered(half + 1): "d"}}])),
            false,
            "a path named by a key of a value without path",
        ),
    ];

    for (body, ok, reason) in cases {
        // Act
        let resp = app.patch(&path, body).await;

        // Assert
        if ok {
            assert_eq!(resp.status(), StatusCode::OK, "{reason}");
        } else {
            let err = assert_scim_error(resp, 400, Some("invalidPath")).await;
            assert!(
                err["detail"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("at most 200"),
                "{reason}: {err}"
            );
        }
    }
    let filter = chain(half, "and");
    let attributes = format!("emails[{}]", chain_of_values(half));
    let resp = app
        .get_query(
            "/Users",
            &[("filter", &filter), ("attributes", &attributes)],
        )
        .await;
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "a filter and a value filter in attributes"
    );
    let attributes = format!("emails[{}]", chain_of_values(half + 1));
    let resp = app
        .get_query(
            "/Users",
            &[("filter", &filter), ("attributes", &attributes)],
        )
        .await;
    assert_scim_error(resp, 400, Some("invalidValue")).await;
}

/// `n` comparisons on the sub-attributes of an email, for value filters.
fn chain_of_values(n: usize) -> String {
    (0..n)
        .map(|i| format!(r#"value eq "u{i}@example.com""#))
        .collect::<Vec<_>>()
        .join(" or ")
}

#[tokio::test]
async fn more_attributes_than_the_limit_are_invalid_value() {
    // Arrange
    let app = TestApp::spawn().await;
    let id = user_with_emails(&app, 1).await;
    let max = Limits::DEFAULT.max_attributes;
    let names = |n: usize| (0..n).map(|i| format!("a{i}")).collect::<Vec<_>>();
    let at = names(max).join(",");
    let over_names = names(max + 1);
    let (some, rest) = over_names.split_at(max / 2);
    let (some, rest) = (some.join(","), rest.join(","));
    let user = format!("/Users/{id}");
    let search = |n: usize| json!({"schemas": [SEARCH_REQUEST], "excludedAttributes": names(n)});

    // Act
    let ok = app.get_query("/Users", &[("attributes", &at)]).await;
    let over = [
        app.get_query(
            "/Users",
            &[("attributes", &some), ("excludedAttributes", &rest)],
        )
        .await,
        app.get_query(&user, &[("attributes", &names(max + 1).join(","))])
            .await,
        app.post("/Users/.search", search(max + 1)).await,
        app.post("/.search", search(max + 1)).await,
    ];

    // Assert
    assert_eq!(ok.status(), StatusCode::OK);
    for resp in over {
        assert_over_limit(resp, "invalidValue", "at most 200").await;
    }
    let patched = app
        .request_with(
            Method::PATCH,
            &format!("{user}?attributes={}", names(max + 1).join(",")),
            Some(patch_body(
                json!([{"op": "replace", "path": "title", "value": "t"}]),
            )),
            &[],
        )
        .await;
    assert_scim_error(patched, 400, Some("invalidValue")).await;
    let unchanged = scim_json(app.get(&user).await).await;
    assert!(
        unchanged.get("title").is_none(),
        "the refused PATCH changed nothing"
    );
}

#[tokio::test]
async fn a_patch_of_more_operations_than_the_limit_is_invalid_value() {
    // Arrange
    let app = TestApp::spawn().await;
    let id = user_with_emails(&app, 1).await;
    let ops = |n: usize| -> Value {
        (0..n)
            .map(|i| json!({"op": "replace", "path": "title", "value": format!("t{i}")}))
            .collect()
    };
    let max = Limits::DEFAULT.max_operations;

    // Act
    let over = app
        .patch(&format!("/Users/{id}"), patch_body(ops(max + 1)))
        .await;
    let at = app
        .patch(&format!("/Users/{id}"), patch_body(ops(max)))
        .await;

    // Assert
    assert_over_limit(over, "invalidValue", "at most 1000").await;
    assert_eq!(at.status(), StatusCode::OK);
    assert_eq!(scim_json(at).await["title"], format!("t{}", max - 1));
}

#[tokio::test]
async fn a_body_nested_too_deep_or_holding_too_many_json_values_is_invalid_syntax() {
    // Arrange: `x` is no attribute, so a body that passes is stored without it. The body's own
    // object is a level, and it holds 7 values besides `x` (itself, 3 keys, the schemas array
    // and 2 strings).
    let app = TestApp::spawn().await;
    let nested = |levels: usize| -> Value { (0..levels).fold(json!(0), |inner, _| json!([inner])) };
    let with = |name: &str, x: Value| json!({"schemas": [USER_SCHEMA], "userName": name, "x": x});
    let max_values = app.state.max_json_values;
    let cases = [
        (
            with("deep", nested(MAX_JSON_DEPTH - 1)),
            true,
            "as deep as allowed",
        ),
        (
            with("deeper", nested(MAX_JSON_DEPTH)),
            false,
            "a level deeper",
        ),
        (
            with("many", values(max_values - 7)),
            true,
            "as many values as allowed",
        ),
        (
            with("more", values(max_values - 6)),
            false,
            "one value more",
        ),
    ];

    for (body, ok, reason) in cases {
        // Act
        let resp = app.post("/Users", body).await;

        // Assert
        if ok {
            assert_eq!(resp.status(), StatusCode::CREATED, "{reason}");
        } else {
            let err = assert_scim_error(resp, 400, Some("invalidSyntax")).await;
            let detail = err["detail"].as_str().unwrap_or_default().to_owned();
            assert!(
                detail.contains("nests deeper") || detail.contains("more than"),
                "{reason}: {detail}"
            );
        }
    }
}

/// Exactly `n` JSON values: arrays of at most 500 zeros in an array (so no array is longer than
/// an attribute may be).
fn values(n: usize) -> Value {
    let mut rows = Vec::new();
    let mut left = n - 1;
    while left > 0 {
        let zeros = (left - 1).min(500);
        rows.push(Value::Array(vec![json!(0); zeros]));
        left -= 1 + zeros;
    }
    Value::Array(rows)
}

#[tokio::test]
async fn bodies_beyond_the_memory_budget_wait_and_then_get_503_with_retry_after() {
    // Arrange: a budget for one 64 KiB body and a little more; a client that sends the headers
    // of a 60,000-byte body and then stalls holds most of it.
    let app = TestApp::spawn_with(|args| {
        args.max_body_bytes = 65_536;
        args.bulk_max_payload_bytes = 65_536;
        args.max_json_values = 100;
        args.max_body_memory = 100_000;
    })
    .await;
    let host = app.address.trim_start_matches("http://").to_owned();
    let stalled = format!(
        "POST /scim/v2/Users HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/scim+json\r\nContent-Length: 60000\r\n\r\n{{\"userName\": ",
        app.token
    );
    let mut slow = tokio::net::TcpStream::connect(&host)
        .await
        .expect("connect");
    slow.write_all(stalled.as_bytes()).await.expect("write");
    let big = |n: usize| json!({"schemas": [USER_SCHEMA], "userName": format!("big{n}"), "displayName": "x".repeat(40_000)});

    // Act: until the stalled request holds its share (it is admitted once its headers arrive).
    let mut refused = None;
    for n in 0..50 {
        let resp = app.post("/Users", big(n)).await;
        if resp.status() == StatusCode::SERVICE_UNAVAILABLE {
            refused = Some(resp);
            break;
        }
        assert_eq!(resp.status(), StatusCode::CREATED);
    }
    let small = app.get("/Users").await;
    let host_api = app
        .admin_request(
            Method::POST,
            "/directories",
            Some(json!({"id": "acme", "name": "x".repeat(45_000)})),
        )
        .await;
    drop(slow);

    // Assert
    let refused = refused.expect("503 while the budget was taken");
    let retry_after = refused.headers().get("retry-after").cloned();
    assert_eq!(
        retry_after.as_ref().and_then(|v| v.to_str().ok()),
        Some("1")
    );
    let err = assert_scim_error(refused, 503, None).await;
    let detail = err["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("retry"), "{err}");
    assert_eq!(
        small.status(),
        StatusCode::OK,
        "requests without a body need no budget"
    );
    assert_eq!(host_api.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        host_api
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("1")
    );
    let err: Value = host_api.json().await.expect("json");
    assert_eq!(
        err["error"]["code"], "unavailable",
        "the host application's API answers in its own shape: {err}"
    );
    let mut accepted = StatusCode::SERVICE_UNAVAILABLE;
    for n in 100..150 {
        accepted = app.post("/Users", big(n)).await.status();
        if accepted != StatusCode::SERVICE_UNAVAILABLE {
            break;
        }
    }
    assert_eq!(
        accepted,
        StatusCode::CREATED,
        "the stalled body's share came back"
    );
}

#[tokio::test]
async fn serve_refuses_a_body_memory_budget_that_cannot_hold_the_largest_bulk_body() {
    // Arrange: other bodies fit (1 MiB + 100 values), a 4 MiB /Bulk body never would.
    let mut args = serve_args();
    args.max_json_values = 100;
    args.max_body_memory = 2 * 1_048_576;
    args.bulk_max_payload_bytes = 4 * 1_048_576;
    let db = scimd::cli::open(
        &fresh_database_url().await,
        &scimd::cli::serve::db_options(&args),
    )
    .await
    .expect("open database");

    // Act
    let built = scimd::cli::serve::Application::build(db, &args, None).await;

    // Assert
    let Err(scimd::cli::CliError::Usage(message)) = built else {
        panic!("serve must refuse the options");
    };
    assert!(message.contains("--bulk-max-payload-bytes"), "{message}");
}
