//! Listing with filters, paging and projection over HTTP (RFC 7644 §3.4.2), on Users and Groups.

use std::collections::{BTreeSet, HashSet};
use std::time::Duration;

use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{
    ENTERPRISE, GROUP_SCHEMA, TestApp, USER_SCHEMA, assert_scim_error, id, scim_json,
};

const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

/// Creates a user from a full body and returns its JSON.
async fn post_user(app: &TestApp, body: Value) -> Value {
    let resp = app.post("/Users", body.clone()).await;
    assert_eq!(resp.status(), StatusCode::CREATED, "creating {body}");
    scim_json(resp).await
}

/// GETs `endpoint` with query parameters (URL-encoded by reqwest).
async fn get_with(app: &TestApp, endpoint: &str, params: &[(&str, &str)]) -> Response {
    app.client
        .get(format!("{}{endpoint}", app.base))
        .query(params)
        .bearer_auth(&app.token)
        .send()
        .await
        .expect("request")
}

/// GETs `endpoint` with query parameters, expecting a 200 ListResponse.
async fn list_with(app: &TestApp, endpoint: &str, params: &[(&str, &str)]) -> Value {
    let resp = get_with(app, endpoint, params).await;
    assert_eq!(resp.status(), StatusCode::OK, "{endpoint} {params:?}");
    let body = scim_json(resp).await;
    assert_eq!(body["schemas"], json!([LIST_RESPONSE]), "{body}");
    body
}

/// The resources of a ListResponse (an absent `Resources` counts as empty).
fn resources(list: &Value) -> Vec<Value> {
    list.get("Resources")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

/// The values of `key` of every listed resource, in response order.
fn listed(list: &Value, key: &str) -> Vec<String> {
    resources(list)
        .iter()
        .map(|r| r[key].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// The values of `key` of every listed resource, sorted.
fn sorted(list: &Value, key: &str) -> Vec<String> {
    let mut v = listed(list, key);
    v.sort();
    v
}

/// Asserts that the ListResponse of `filter` holds exactly `expected` (compared sorted, by
/// `key`) and that `totalResults` agrees.
fn assert_listed(list: &Value, key: &str, filter: &str, expected: &[&str], reason: &str) {
    let mut want: Vec<String> = expected.iter().map(|s| (*s).to_owned()).collect();
    want.sort();
    assert_eq!(sorted(list, key), want, "{reason}: {filter}");
    assert_eq!(
        list["totalResults"],
        json!(expected.len()),
        "{reason}: {filter}"
    );
}

const QUOTED: &str = "a'b\"c%";

/// Six users covering the attribute kinds filters touch: a column with a Unicode-folded copy
/// (userName), plain text columns, case-exact externalId, booleans, multi-valued emails and
/// the enterprise extension.
async fn seed_users(app: &TestApp) {
    for body in [
        json!({
            "schemas": [USER_SCHEMA, ENTERPRISE],
            "userName": "bjensen",
            "active": true,
            "externalId": "EXT-1",
            "displayName": "Babs Jensen",
            "title": "Tour Guide",
            "name": {"familyName": "Jensen", "givenName": "Barbara"},
            "emails": [
                {"value": "bjensen@example.com", "type": "work", "primary": true},
                {"value": "babs@home.org", "type": "home"},
            ],
            ENTERPRISE: {"department": "Sales"},
        }),
        json!({
            "schemas": [USER_SCHEMA, ENTERPRISE],
            "userName": "jsmith",
            "externalId": "ext-1",
            "active": false,
            "name": {"familyName": "Smith"},
            "emails": [
                {"value": "john@other.org", "type": "work"},
                {"value": "john@example.com", "type": "home"},
            ],
            ENTERPRISE: {"department": "Engineering"},
        }),
        json!({
            "schemas": [USER_SCHEMA, ENTERPRISE],
            "userName": "mjones",
            "active": "False",
            "name": {"familyName": "Jenkins"},
            ENTERPRISE: {"department": "sales"},
        }),
        json!({"schemas": [USER_SCHEMA], "userName": "Ärger", "active": true, "name": {"familyName": "Ärger"}}),
        json!({"schemas": [USER_SCHEMA], "userName": QUOTED, "active": true}),
        json!({"schemas": [USER_SCHEMA], "userName": "x_y", "active": true}),
    ] {
        post_user(app, body).await;
    }
}

const EVERYONE: [&str; 6] = ["bjensen", "jsmith", "mjones", "Ärger", QUOTED, "x_y"];

fn everyone_but(excluded: &[&str]) -> Vec<&'static str> {
    EVERYONE
        .iter()
        .copied()
        .filter(|u| !excluded.contains(u))
        .collect()
}

#[tokio::test]
async fn user_filters_select_exactly_the_matching_users() {
    // Arrange
    let app = TestApp::spawn().await;
    seed_users(&app).await;
    let ent_department = format!("{ENTERPRISE}:department");
    let cases: Vec<(String, Vec<&str>, &str)> = vec![
        (
            r#"userName eq "bjensen""#.into(),
            vec!["bjensen"],
            "exact userName",
        ),
        (
            r#"userName eq "BJensen""#.into(),
            vec!["bjensen"],
            "userName is caseExact false",
        ),
        (
            r#"userName eq "ärger""#.into(),
            vec!["Ärger"],
            "case folding is Unicode-aware",
        ),
        (
            r#"userName eq "ÄRGER""#.into(),
            vec!["Ärger"],
            "Unicode upper case",
        ),
        (
            r#"USERNAME eq "bjensen""#.into(),
            vec!["bjensen"],
            "attribute names are case-insensitive",
        ),
        (
            r#"userName EQ "bjensen""#.into(),
            vec!["bjensen"],
            "operators are case-insensitive",
        ),
        (
            format!(r#"{USER_SCHEMA}:userName eq "bjensen""#),
            vec!["bjensen"],
            "a core attribute may carry its schema URN",
        ),
        (
            r#"externalId eq "EXT-1""#.into(),
            vec!["bjensen"],
            "externalId is caseExact",
        ),
        (
            r#"externalId eq "ext-1""#.into(),
            vec!["jsmith"],
            "externalId is caseExact, other case",
        ),
        (
            r#"externalId eq "Ext-1""#.into(),
            vec![],
            "externalId matches no case-variant",
        ),
        (
            r#"displayName eq "babs jensen""#.into(),
            vec!["bjensen"],
            "displayName is caseExact false",
        ),
        (
            r#"emails.value eq "BJENSEN@example.com""#.into(),
            vec!["bjensen"],
            "email values are caseExact false",
        ),
        (
            r#"emails.value co "@example.com""#.into(),
            vec!["bjensen", "jsmith"],
            "any email matches",
        ),
        (
            r#"emails[type eq "work" and value co "@example.com"]"#.into(),
            vec!["bjensen"],
            "both conditions must hold for the same email (jsmith's example.com one is home)",
        ),
        (
            r#"emails[type eq "home"]"#.into(),
            vec!["bjensen", "jsmith"],
            "a value filter on type",
        ),
        (
            r#"emails[primary eq true]"#.into(),
            vec!["bjensen"],
            "a boolean sub-attribute",
        ),
        (
            r#"emails pr"#.into(),
            vec!["bjensen", "jsmith"],
            "a multi-valued attribute is present",
        ),
        (r#"userName co "smi""#.into(), vec!["jsmith"], "contains"),
        (
            r#"userName co "JEN""#.into(),
            vec!["bjensen"],
            "contains, any case",
        ),
        (
            r#"userName ne "bjensen""#.into(),
            everyone_but(&["bjensen"]),
            "not equal",
        ),
        (
            r#"title pr"#.into(),
            vec!["bjensen"],
            "a single-valued attribute is present",
        ),
        (
            r#"title ne "Tour Guide""#.into(),
            everyone_but(&["bjensen"]),
            "ne matches users without a title",
        ),
        (
            r#"not (userName eq "bjensen")"#.into(),
            everyone_but(&["bjensen"]),
            "negation",
        ),
        (
            r#"userName eq "jsmith" or userName eq "bjensen" and active eq true"#.into(),
            vec!["bjensen", "jsmith"],
            "and binds tighter than or",
        ),
        (
            r#"(userName eq "jsmith" or userName eq "bjensen") and active eq true"#.into(),
            vec!["bjensen"],
            "parentheses override precedence",
        ),
        (
            r#"active eq true and not (emails pr)"#.into(),
            vec!["Ärger", QUOTED, "x_y"],
            "and with a negated presence test",
        ),
        (
            r#"active eq false"#.into(),
            vec!["jsmith", "mjones"],
            "a boolean literal",
        ),
        (
            r#"active eq "false""#.into(),
            vec!["jsmith", "mjones"],
            "a boolean sent as a string",
        ),
        (
            r#"active ne false"#.into(),
            everyone_but(&["jsmith", "mjones"]),
            "boolean not equal",
        ),
        (
            format!(r#"{ent_department} eq "Sales""#),
            vec!["bjensen", "mjones"],
            "an enterprise attribute by URN, caseExact false",
        ),
        (
            r#"department eq "engineering""#.into(),
            vec!["jsmith"],
            "an enterprise attribute by bare name",
        ),
        (
            r#"department pr"#.into(),
            vec!["bjensen", "jsmith", "mjones"],
            "extension attribute present",
        ),
    ];

    for (filter, expected, reason) in cases {
        // Act
        let list = app.list("/Users", &filter).await;

        // Assert
        assert_listed(&list, "userName", &filter, &expected, reason);
    }
}

#[tokio::test]
async fn filter_values_are_matched_literally() {
    // Arrange
    let app = TestApp::spawn().await;
    seed_users(&app).await;
    let cases = [
        (
            r#"userName co "'""#,
            vec![QUOTED],
            "a single quote is data, not SQL",
        ),
        (
            r#"userName co "\"""#,
            vec![QUOTED],
            "an escaped double quote",
        ),
        (
            r#"userName co "%""#,
            vec![QUOTED],
            "% is not a LIKE wildcard",
        ),
        (
            r#"userName co "_""#,
            vec!["x_y"],
            "_ is not a LIKE wildcard",
        ),
        (
            r#"userName eq "a'b\"c%""#,
            vec![QUOTED],
            "equality with quotes and %",
        ),
        (r#"userName eq "x%y""#, vec![], "% does not match _"),
        (
            r#"userName eq "' OR '1'='1""#,
            vec![],
            "an injection attempt matches nothing",
        ),
        (
            r#"userName co "') OR 1=1 --""#,
            vec![],
            "another injection attempt",
        ),
    ];

    for (filter, expected, reason) in cases {
        // Act
        let list = app.list("/Users", filter).await;

        // Assert
        assert_listed(&list, "userName", filter, &expected, reason);
    }
    let still_there = app.list("/Users", "userName pr").await;
    assert_eq!(
        still_there["totalResults"],
        json!(6),
        "nothing was dropped or changed"
    );
}

#[tokio::test]
async fn starts_with_and_ends_with_filters_match() {
    // Arrange
    let app = TestApp::spawn().await;
    seed_users(&app).await;
    app.create_group("Empty", &[]).await;
    app.create_group("Équipe", &[]).await;
    app.create_group("Staff", &[]).await;
    let cases = [
        (
            "/Users",
            "userName",
            r#"name.familyName sw "Jen""#,
            vec!["bjensen", "mjones"],
            "starts with",
        ),
        (
            "/Users",
            "userName",
            r#"name.familyName sw "jEN""#,
            vec!["bjensen", "mjones"],
            "starts with, any case",
        ),
        (
            "/Users",
            "userName",
            r#"userName sw "är""#,
            vec!["Ärger"],
            "starts with a non-ASCII letter",
        ),
        (
            "/Users",
            "userName",
            r#"userName ew "ones""#,
            vec!["mjones"],
            "ends with",
        ),
        (
            "/Users",
            "userName",
            r#"userName ew "GER""#,
            vec!["Ärger"],
            "ends with on a non-ASCII value",
        ),
        (
            "/Users",
            "userName",
            r#"emails.value ew "@HOME.ORG""#,
            vec!["bjensen"],
            "ends with on an email",
        ),
        (
            "/Users",
            "userName",
            r#"userName sw "%""#,
            vec![],
            "% does not match any prefix",
        ),
        (
            "/Users",
            "userName",
            r#"userName ew "%""#,
            vec![QUOTED],
            "% matches only a literal % at the end",
        ),
        (
            "/Users",
            "userName",
            r#"userName sw "a'b""#,
            vec![QUOTED],
            "a quote in a prefix",
        ),
        (
            "/Groups",
            "displayName",
            r#"displayName sw "E""#,
            vec!["Empty"],
            "É folds to é, not to e",
        ),
        (
            "/Groups",
            "displayName",
            r#"displayName sw "é""#,
            vec!["Équipe"],
            "a non-ASCII prefix",
        ),
        (
            "/Groups",
            "displayName",
            r#"displayName ew "FF""#,
            vec!["Staff"],
            "ends with, any case",
        ),
    ];

    for (endpoint, key, filter, expected, reason) in cases {
        // Act
        let list = app.list(endpoint, filter).await;

        // Assert
        assert_listed(&list, key, filter, &expected, reason);
    }
}

#[tokio::test]
async fn case_insensitive_text_attributes_fold_non_ascii_letters() {
    // Arrange
    let app = TestApp::spawn().await;
    seed_users(&app).await;
    let cases = [
        (
            r#"name.familyName eq "ärger""#,
            vec!["Ärger"],
            "lower-case umlaut finds Ärger",
        ),
        (
            r#"name.familyName eq "ÄRGER""#,
            vec!["Ärger"],
            "upper-case word finds Ärger",
        ),
    ];

    for (filter, expected, reason) in cases {
        // Act
        let list = app.list("/Users", filter).await;

        // Assert
        assert_listed(&list, "userName", filter, &expected, reason);
    }
}

#[tokio::test]
async fn not_of_a_comparison_matches_resources_without_the_attribute() {
    // Arrange
    let app = TestApp::spawn().await;
    seed_users(&app).await;
    let cases = [
        (
            r#"not (title eq "Tour Guide")"#,
            everyone_but(&["bjensen"]),
            "only bjensen has that title",
        ),
        (
            r#"not (name.familyName eq "Smith")"#,
            everyone_but(&["jsmith"]),
            "users without a name too",
        ),
        (
            r#"not (department eq "Sales")"#,
            everyone_but(&["bjensen", "mjones"]),
            "users without the extension",
        ),
    ];

    for (filter, expected, reason) in cases {
        // Act
        let list = app.list("/Users", filter).await;

        // Assert
        assert_listed(&list, "userName", filter, &expected, reason);
    }
}

#[tokio::test]
async fn presence_of_a_complex_attribute_means_any_sub_attribute_has_a_value() {
    // Arrange: RFC 7644 §3.4.2.2 allows `pr` on any attribute; a complex one is present when
    // one of its sub-attributes is.
    let app = TestApp::spawn().await;
    seed_users(&app).await;
    post_user(
        &app,
        json!({"schemas": [USER_SCHEMA], "userName": "given", "name": {"givenName": "Only"}}),
    )
    .await;
    let named = ["bjensen", "jsmith", "mjones", "Ärger", "given"];
    let cases = [
        ("name pr", named.to_vec(), "any sub-attribute counts"),
        (
            "urn:ietf:params:scim:schemas:core:2.0:User:NAME pr",
            named.to_vec(),
            "URN-qualified, in any case",
        ),
        ("not (name pr)", vec![QUOTED, "x_y"], "users without a name"),
        ("name eq null", vec![QUOTED, "x_y"], "eq null is not pr"),
        (
            "name pr and meta pr",
            named.to_vec(),
            "meta is always present",
        ),
    ];

    for (filter, expected, reason) in cases {
        // Act
        let list = app.list("/Users", filter).await;

        // Assert
        assert_listed(&list, "userName", filter, &expected, reason);
    }
    let compared = get_with(&app, "/Users", &[("filter", r#"name eq "Barbara""#)]).await;
    assert_scim_error(compared, 400, Some("invalidFilter")).await;
}

#[tokio::test]
async fn id_filter_is_case_exact() {
    // Arrange
    let app = TestApp::spawn().await;
    let alice = app.create_user("alice").await;
    app.create_user("bob").await;
    let alice_id = id(&alice);
    let cases = [
        (
            format!(r#"id eq "{alice_id}""#),
            vec!["alice"],
            "the exact id",
        ),
        (
            format!(r#"id eq "{}""#, alice_id.to_uppercase()),
            vec![],
            "ids are caseExact",
        ),
        (
            format!(r#"id ne "{alice_id}""#),
            vec!["bob"],
            "every other id",
        ),
        (r#"id eq "nope""#.to_owned(), vec![], "an unknown id"),
    ];

    for (filter, expected, reason) in cases {
        // Act
        let list = app.list("/Users", &filter).await;

        // Assert
        assert_listed(&list, "userName", &filter, &expected, reason);
    }
}

#[tokio::test]
async fn meta_created_compares_as_a_date_time() {
    // Arrange
    let app = TestApp::spawn().await;
    let first = app.create_user("first").await;
    tokio::time::sleep(Duration::from_millis(30)).await;
    let second = app.create_user("second").await;
    let t1 = first["meta"]["created"]
        .as_str()
        .expect("created")
        .to_owned();
    let t2 = second["meta"]["created"]
        .as_str()
        .expect("created")
        .to_owned();
    assert!(t1 < t2, "{t1} < {t2}");
    // The same instant as t1 written with a +02:00 offset.
    let t1_offset = chrono::DateTime::parse_from_rfc3339(&t1)
        .expect("RFC 3339")
        .with_timezone(&chrono::FixedOffset::east_opt(2 * 3600).expect("offset"))
        .to_rfc3339();
    let cases = [
        (
            format!(r#"meta.created gt "{t1}""#),
            vec!["second"],
            "strictly after the first",
        ),
        (
            format!(r#"meta.created ge "{t1}""#),
            vec!["first", "second"],
            "at or after the first",
        ),
        (
            format!(r#"meta.created lt "{t2}""#),
            vec!["first"],
            "strictly before the second",
        ),
        (
            format!(r#"meta.created eq "{t1}""#),
            vec!["first"],
            "the exact instant",
        ),
        (
            format!(r#"meta.created gt "{t1_offset}""#),
            vec!["second"],
            "another offset, same instant",
        ),
        (
            r#"meta.created gt "2000-01-01T00:00:00Z""#.to_owned(),
            vec!["first", "second"],
            "long ago",
        ),
        (
            r#"meta.created gt "2999-01-01T00:00:00Z""#.to_owned(),
            vec![],
            "the far future",
        ),
        (
            format!(r#"meta.lastModified le "{t2}""#),
            vec!["first", "second"],
            "lastModified too",
        ),
    ];

    for (filter, expected, reason) in cases {
        // Act
        let list = app.list("/Users", &filter).await;

        // Assert
        assert_listed(&list, "userName", &filter, &expected, reason);
    }
}

#[tokio::test]
async fn group_filters_cover_display_name_and_members() {
    // Arrange
    let app = TestApp::spawn().await;
    let alice = id(&app.create_user("alice").await);
    let bob = id(&app.create_user("bob").await);
    app.create_group("Admins", &[&alice]).await;
    let staff = id(&app.create_group("Staff", &[&alice, &bob]).await);
    app.create_group("Empty", &[]).await;
    app.create_group("Équipe", &[]).await;
    let parent = app.create_group("Parent", &[&staff]).await;
    let cases = [
        (
            r#"displayName eq "admins""#.to_owned(),
            vec!["Admins"],
            "displayName is caseExact false",
        ),
        (
            r#"displayName eq "ÉQUIPE""#.to_owned(),
            vec!["Équipe"],
            "Unicode case folding",
        ),
        (
            format!(r#"members[value eq "{alice}"]"#),
            vec!["Admins", "Staff"],
            "a value filter on members",
        ),
        (
            format!(r#"members.value eq "{bob}""#),
            vec!["Staff"],
            "members.value",
        ),
        (
            format!(r#"members eq "{bob}""#),
            vec!["Staff"],
            "members compares its value",
        ),
        (
            format!(r#"members[value eq "{}"]"#, bob.to_uppercase()),
            vec!["Staff"],
            "members.value is caseExact false (RFC 7643 §4.2)",
        ),
        (
            r#"members[type eq "Group"]"#.to_owned(),
            vec!["Parent"],
            "a group that has a group member",
        ),
        (
            r#"members pr"#.to_owned(),
            vec!["Admins", "Parent", "Staff"],
            "groups with members",
        ),
        (
            r#"not (members pr)"#.to_owned(),
            vec!["Empty", "Équipe"],
            "groups without members",
        ),
        (
            format!(r#"id eq "{}""#, id(&parent)),
            vec!["Parent"],
            "a group by id",
        ),
    ];

    for (filter, expected, reason) in cases {
        // Act
        let list = app.list("/Groups", &filter).await;

        // Assert
        assert_listed(&list, "displayName", &filter, &expected, reason);
    }
}

#[tokio::test]
async fn users_filter_on_their_group_memberships() {
    // Arrange
    let app = TestApp::spawn().await;
    let alice = id(&app.create_user("alice").await);
    let bob = id(&app.create_user("bob").await);
    app.create_user("carol").await;
    let admins = id(&app.create_group("Admins", &[&alice]).await);
    let staff = id(&app.create_group("Staff", &[&alice, &bob]).await);
    let cases = [
        (
            format!(r#"groups.value eq "{admins}""#),
            vec!["alice"],
            "members of Admins",
        ),
        (
            format!(r#"groups.value eq "{staff}""#),
            vec!["alice", "bob"],
            "members of Staff",
        ),
        (
            format!(r#"groups[value eq "{staff}"]"#),
            vec!["alice", "bob"],
            "a value filter on groups",
        ),
        (
            r#"groups[display eq "staff"]"#.to_owned(),
            vec!["alice", "bob"],
            "group display, caseExact false",
        ),
        (
            r#"groups pr"#.to_owned(),
            vec!["alice", "bob"],
            "users in any group",
        ),
        (
            r#"not (groups pr)"#.to_owned(),
            vec!["carol"],
            "users in no group",
        ),
    ];

    for (filter, expected, reason) in cases {
        // Act
        let list = app.list("/Users", &filter).await;

        // Assert
        assert_listed(&list, "userName", &filter, &expected, reason);
    }
}

#[tokio::test]
async fn malformed_filters_are_invalid_filter() {
    // Arrange
    let app = TestApp::spawn().await;
    app.create_user("alice").await;
    let cases = [
        (r#"userName eq"#, "a missing value"),
        (r#"userName xx "a""#, "an unknown operator"),
        (r#"userName "a""#, "a missing operator"),
        (r#"(userName eq "a""#, "an unclosed parenthesis"),
        (r#"userName eq "a")"#, "an unopened parenthesis"),
        (r#"userName eq "a" and"#, "a dangling and"),
        (r#"userName eq "a" or or userName eq "b""#, "a doubled or"),
        (r#"userName eq "unterminated"#, "an unterminated string"),
        (r#"emails[type eq "work""#, "an unclosed bracket"),
        (r#"emails[type eq "work"]]"#, "a stray bracket"),
        (r#"not userName eq "a""#, "not without parentheses"),
        (r#"eq "a""#, "a missing attribute"),
        (
            r#"1userName eq "a""#,
            "an attribute name starting with a digit",
        ),
    ];

    for (filter, reason) in cases {
        // Act
        let resp = get_with(&app, "/Users", &[("filter", filter)]).await;

        // Assert
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{reason}: {filter}");
        assert_scim_error(resp, 400, Some("invalidFilter")).await;
    }
}

#[tokio::test]
async fn filters_on_unknown_attributes_are_invalid_filter() {
    // Arrange
    let app = TestApp::spawn().await;
    app.create_user("alice").await;
    app.create_group("Admins", &[]).await;
    let cases = [
        (
            "/Users",
            r#"foo eq "x""#.to_owned(),
            "an attribute no schema defines",
        ),
        (
            "/Users",
            r#"name.foo eq "x""#.to_owned(),
            "an unknown sub-attribute",
        ),
        (
            "/Users",
            r#"emails.foo eq "x""#.to_owned(),
            "an unknown sub-attribute of a multi-valued one",
        ),
        (
            "/Users",
            r#"emails[foo eq "x"]"#.to_owned(),
            "an unknown attribute inside a value filter",
        ),
        (
            "/Users",
            r#"password eq "secret""#.to_owned(),
            "the password is never filterable",
        ),
        (
            "/Users",
            r#"password pr"#.to_owned(),
            "not even for presence",
        ),
        (
            "/Users",
            r#"meta.foo gt "x""#.to_owned(),
            "an unknown meta attribute",
        ),
        (
            "/Users",
            format!(r#"{GROUP_SCHEMA}:displayName eq "x""#),
            "a schema the resource does not use",
        ),
        (
            "/Users",
            format!(r#"{ENTERPRISE}:userName eq "x""#),
            "a core attribute under the extension URN",
        ),
        (
            "/Users",
            r#"userName[value eq "x"]"#.to_owned(),
            "a value filter on a single-valued attribute",
        ),
        (
            "/Groups",
            r#"userName eq "x""#.to_owned(),
            "a User attribute on Groups",
        ),
        (
            "/Groups",
            r#"members.foo eq "x""#.to_owned(),
            "an unknown member sub-attribute",
        ),
        (
            "/Groups",
            r#"department eq "x""#.to_owned(),
            "Groups have no enterprise extension",
        ),
    ];

    for (endpoint, filter, reason) in cases {
        // Act
        let resp = get_with(&app, endpoint, &[("filter", &filter)]).await;

        // Assert
        assert_eq!(
            resp.status(),
            StatusCode::BAD_REQUEST,
            "{reason}: {endpoint} {filter}"
        );
        assert_scim_error(resp, 400, Some("invalidFilter")).await;
    }
}

#[tokio::test]
async fn filters_comparing_values_of_the_wrong_type_are_invalid_filter() {
    // Arrange
    let app = TestApp::spawn().await;
    app.create_user("alice").await;
    let cases = [
        (r#"active gt "x""#, "booleans are not ordered"),
        (r#"active eq "maybe""#, "not a boolean"),
        (r#"active eq 1"#, "a number is not a boolean"),
        (r#"active co "tr""#, "booleans have no substrings"),
        (
            r#"meta.created gt "yesterday""#,
            "not an RFC 3339 date-time",
        ),
        (r#"meta.created gt 2020"#, "a number is not a date-time"),
        (r#"meta.created co "2020""#, "date-times have no substrings"),
        (r#"userName eq 5"#, "a number is not a string"),
        (r#"userName eq true"#, "a boolean is not a string"),
        (r#"userName gt null"#, "null only with eq or ne"),
    ];

    for (filter, reason) in cases {
        // Act
        let resp = get_with(&app, "/Users", &[("filter", filter)]).await;

        // Assert
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{reason}: {filter}");
        assert_scim_error(resp, 400, Some("invalidFilter")).await;
    }
}

/// Creates `n` users `p0`, `p1`, … and returns the user names in the server's list order,
/// read page by page (a single page whenever `n` fits in one).
async fn seed_paged(app: &TestApp, n: usize) -> Vec<String> {
    for i in 0..n {
        app.create_user(&format!("p{i}")).await;
    }
    let mut names = Vec::new();
    loop {
        let start = (names.len() + 1).to_string();
        let page = list_with(app, "/Users", &[("startIndex", &start)]).await;
        let more = listed(&page, "userName");
        if more.is_empty() {
            break;
        }
        names.extend(more);
    }
    assert_eq!(names.len(), n, "{names:?}");
    names
}

/// (startIndex, count, expected startIndex, expected slice of the full list, reason)
type PageCase = (
    Option<&'static str>,
    Option<&'static str>,
    i64,
    std::ops::Range<usize>,
    &'static str,
);

#[tokio::test]
async fn paging_applies_start_index_and_count() {
    // Arrange
    let app = TestApp::spawn().await;
    let all = seed_paged(&app, 7).await;
    let cases: [PageCase; 12] = [
        (
            None,
            None,
            1,
            0..7,
            "no paging parameters: everything from 1",
        ),
        (Some("1"), Some("2"), 1, 0..2, "the first page"),
        (Some("3"), Some("2"), 3, 2..4, "startIndex is 1-based"),
        (Some("7"), Some("2"), 7, 6..7, "a short last page"),
        (Some("8"), Some("2"), 8, 7..7, "past the end: no resources"),
        (Some("1000"), None, 1000, 7..7, "far past the end"),
        (Some("0"), Some("2"), 1, 0..2, "startIndex 0 means 1"),
        (
            Some("-5"),
            Some("2"),
            1,
            0..2,
            "a negative startIndex means 1",
        ),
        (Some("2"), Some("-1"), 2, 7..7, "a negative count means 0"),
        (
            Some("1"),
            Some("0"),
            1,
            7..7,
            "count 0 asks for the total only",
        ),
        (None, Some("3"), 1, 0..3, "count without startIndex"),
        (Some("6"), None, 6, 5..7, "startIndex without count"),
    ];

    for (start, count, want_start, slice, reason) in cases {
        let mut params = Vec::new();
        if let Some(s) = start {
            params.push(("startIndex", s));
        }
        if let Some(c) = count {
            params.push(("count", c));
        }

        // Act
        let page = list_with(&app, "/Users", &params).await;

        // Assert
        let names = listed(&page, "userName");
        assert_eq!(names, all[slice.clone()], "{reason}: {params:?}");
        assert_eq!(
            page["totalResults"],
            json!(7),
            "{reason}: total ignores paging"
        );
        assert_eq!(
            page["itemsPerPage"],
            json!(slice.len()),
            "{reason}: itemsPerPage is what was returned"
        );
        assert_eq!(page["startIndex"], json!(want_start), "{reason}");
    }
}

#[tokio::test]
async fn walking_pages_returns_every_user_exactly_once() {
    // Arrange
    let app = TestApp::spawn().await;
    let all = seed_paged(&app, 7).await;
    let mut seen = Vec::new();

    // Act
    let mut start = 1;
    loop {
        let start_text = start.to_string();
        let page = list_with(
            &app,
            "/Users",
            &[("startIndex", &start_text), ("count", "2")],
        )
        .await;
        assert_eq!(page["totalResults"], json!(7));
        let names = listed(&page, "userName");
        assert_eq!(page["itemsPerPage"], json!(names.len()));
        if names.is_empty() {
            break;
        }
        start += names.len();
        seen.extend(names);
        assert!(start < 20, "paging does not terminate");
    }

    // Assert
    assert_eq!(seen, all, "pages concatenate to the full list, in order");
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), 7, "no user twice");
    let expected: BTreeSet<String> = (0..7).map(|i| format!("p{i}")).collect();
    assert_eq!(
        seen.into_iter().collect::<BTreeSet<_>>(),
        expected,
        "every user"
    );
}

#[tokio::test]
async fn paging_applies_to_filtered_lists_and_groups() {
    // Arrange
    let app = TestApp::spawn().await;
    seed_paged(&app, 5).await;
    app.create_user("other").await;
    for name in ["g1", "g2", "g3"] {
        app.create_group(name, &[]).await;
    }

    // Act
    let users = list_with(
        &app,
        "/Users",
        &[
            ("filter", r#"userName co "p""#),
            ("startIndex", "2"),
            ("count", "3"),
        ],
    )
    .await;
    let groups = list_with(&app, "/Groups", &[("startIndex", "3"), ("count", "5")]).await;

    // Assert
    assert_eq!(
        users["totalResults"],
        json!(5),
        "the filter's total, not the table's"
    );
    assert_eq!(users["itemsPerPage"], json!(3));
    assert!(
        listed(&users, "userName")
            .iter()
            .all(|u| u.starts_with('p'))
    );
    assert_eq!(groups["totalResults"], json!(3));
    assert_eq!(groups["itemsPerPage"], json!(1));
    assert_eq!(groups["startIndex"], json!(3));
}

#[tokio::test]
async fn count_zero_returns_only_the_total() {
    // Arrange
    let app = TestApp::spawn().await;
    seed_paged(&app, 3).await;

    // Act
    let page = list_with(&app, "/Users", &[("count", "0")]).await;

    // Assert
    assert_eq!(page["totalResults"], json!(3));
    assert_eq!(page["itemsPerPage"], json!(0));
    assert!(
        resources(&page).is_empty(),
        "Resources empty or absent: {page}"
    );
}

#[tokio::test]
async fn count_is_capped_at_the_configured_max_page_size() {
    // Arrange
    let app = TestApp::spawn_with(|a| a.max_page_size = 5).await;
    let all = seed_paged(&app, 7).await;
    let cases = [
        (Some("10"), 5, "count above the maximum is capped"),
        (Some("9223372036854775807"), 5, "the largest i64 is capped"),
        (Some("5"), 5, "count at the maximum"),
        (Some("4"), 4, "count below the maximum is honoured"),
        (None, 5, "the default count is capped too"),
    ];

    for (count, want, reason) in cases {
        let params: Vec<(&str, &str)> = count.map(|c| ("count", c)).into_iter().collect();

        // Act
        let page = list_with(&app, "/Users", &params).await;

        // Assert
        assert_eq!(listed(&page, "userName"), all[..want], "{reason}");
        assert_eq!(page["itemsPerPage"], json!(want), "{reason}");
        assert_eq!(page["totalResults"], json!(7), "{reason}");
    }
}

#[tokio::test]
async fn the_default_page_size_is_one_hundred() {
    // Arrange
    let app = TestApp::spawn().await;
    seed_paged(&app, 101).await;

    // Act
    let page = list_with(&app, "/Users", &[]).await;

    // Assert
    assert_eq!(page["totalResults"], json!(101));
    assert_eq!(page["itemsPerPage"], json!(100));
    assert_eq!(resources(&page).len(), 100);
}

#[tokio::test]
async fn non_numeric_paging_parameters_are_invalid_value() {
    // Arrange
    let app = TestApp::spawn().await;
    let cases = [
        ("count", "abc", "count is not a number"),
        ("count", "1.5", "count is not an integer"),
        ("startIndex", "abc", "startIndex is not a number"),
        ("startIndex", "", "startIndex is empty"),
    ];

    for (name, value, reason) in cases {
        // Act
        let resp = get_with(&app, "/Users", &[(name, value)]).await;

        // Assert
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{reason}");
        assert_scim_error(resp, 400, Some("invalidValue")).await;
    }
}

fn keys(resource: &Value) -> BTreeSet<String> {
    resource
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

#[tokio::test]
async fn attributes_returns_only_the_requested_attributes_and_the_always_returned_ones() {
    // Arrange
    let app = TestApp::spawn().await;
    seed_users(&app).await;
    let ent_department = format!("{ENTERPRISE}:department");
    let cases: [(&str, &[&str], &str); 5] = [
        (
            "userName",
            &["id", "schemas", "userName"],
            "a single attribute",
        ),
        (
            "userName,emails",
            &["id", "schemas", "userName", "emails"],
            "a comma-separated list",
        ),
        (
            "USERNAME",
            &["id", "schemas", "userName"],
            "names are case-insensitive",
        ),
        (
            "name.familyName",
            &["id", "schemas", "name"],
            "a sub-attribute keeps its parent",
        ),
        (
            &ent_department,
            &["id", "schemas", ENTERPRISE],
            "an extension attribute by URN",
        ),
    ];

    for (attributes, expected, reason) in cases {
        // Act
        let list = list_with(
            &app,
            "/Users",
            &[
                ("filter", r#"userName eq "bjensen""#),
                ("attributes", attributes),
            ],
        )
        .await;

        // Assert
        let all = resources(&list);
        assert_eq!(all.len(), 1, "{reason}");
        let bjensen = &all[0];
        assert_eq!(keys(bjensen), set(expected), "{reason}: {bjensen}");
        assert!(
            bjensen["id"].as_str().is_some_and(|s| !s.is_empty()),
            "{reason}: id is always returned"
        );
    }
    let sub = list_with(
        &app,
        "/Users",
        &[
            ("filter", r#"userName eq "bjensen""#),
            ("attributes", "name.familyName"),
        ],
    )
    .await;
    assert_eq!(
        resources(&sub)[0]["name"],
        json!({"familyName": "Jensen"}),
        "only the requested sub-attribute"
    );
    let dept = list_with(
        &app,
        "/Users",
        &[
            ("filter", r#"userName eq "bjensen""#),
            ("attributes", &ent_department),
        ],
    )
    .await;
    assert_eq!(
        resources(&dept)[0][ENTERPRISE],
        json!({"department": "Sales"})
    );
}

#[tokio::test]
async fn attributes_applies_to_every_listed_resource_and_to_a_single_read() {
    // Arrange
    let app = TestApp::spawn().await;
    seed_users(&app).await;

    // Act
    let list = list_with(&app, "/Users", &[("attributes", "userName")]).await;
    let bjensen_id = id(&resources(&app.list("/Users", r#"userName eq "bjensen""#).await)[0]);
    let one = get_with(
        &app,
        &format!("/Users/{bjensen_id}"),
        &[("attributes", "userName")],
    )
    .await;

    // Assert
    let all = resources(&list);
    assert_eq!(all.len(), 6);
    for user in &all {
        assert_eq!(keys(user), set(&["id", "schemas", "userName"]), "{user}");
    }
    assert_eq!(one.status(), StatusCode::OK);
    let one = scim_json(one).await;
    assert_eq!(keys(&one), set(&["id", "schemas", "userName"]), "{one}");
    assert_eq!(one["userName"], json!("bjensen"));
}

#[tokio::test]
async fn excluded_attributes_drops_the_named_attributes_only() {
    // Arrange
    let app = TestApp::spawn().await;
    seed_users(&app).await;
    let filter = ("filter", r#"userName eq "bjensen""#);

    // Act
    let without_emails =
        list_with(&app, "/Users", &[filter, ("excludedAttributes", "emails")]).await;
    let without_two = list_with(
        &app,
        "/Users",
        &[filter, ("excludedAttributes", "emails,name")],
    )
    .await;
    let without_id = list_with(
        &app,
        "/Users",
        &[filter, ("excludedAttributes", "id,schemas")],
    )
    .await;

    // Assert
    let u = &resources(&without_emails)[0];
    assert!(u.get("emails").is_none(), "{u}");
    assert_eq!(u["userName"], json!("bjensen"));
    assert_eq!(u["name"]["familyName"], json!("Jensen"));
    assert_eq!(u["title"], json!("Tour Guide"));
    assert!(u.get("meta").is_some(), "{u}");
    let u = &resources(&without_two)[0];
    assert!(u.get("emails").is_none() && u.get("name").is_none(), "{u}");
    assert_eq!(u["displayName"], json!("Babs Jensen"));
    let u = &resources(&without_id)[0];
    assert!(u["id"].is_string(), "id is returned always: {u}");
    assert!(u["schemas"].is_array(), "schemas are returned always: {u}");
}

#[tokio::test]
async fn a_password_is_never_returned_even_when_asked_for() {
    // Arrange
    let app = TestApp::spawn().await;
    post_user(
        &app,
        json!({"schemas": [USER_SCHEMA], "userName": "secretive", "password": "hunter2hunter2"}),
    )
    .await;

    // Act
    let plain = list_with(&app, "/Users", &[]).await;
    let asked = list_with(&app, "/Users", &[("attributes", "userName,password")]).await;

    // Assert
    assert!(resources(&plain)[0].get("password").is_none(), "{plain}");
    assert_eq!(
        keys(&resources(&asked)[0]),
        set(&["id", "schemas", "userName"]),
        "{asked}"
    );
    assert!(!plain.to_string().contains("hunter2"), "{plain}");
}

#[tokio::test]
async fn group_projection_can_leave_out_members() {
    // Arrange
    let app = TestApp::spawn().await;
    let alice = id(&app.create_user("alice").await);
    app.create_group("Staff", &[&alice]).await;

    // Act
    let only_name = list_with(&app, "/Groups", &[("attributes", "displayName")]).await;
    let no_members = list_with(&app, "/Groups", &[("excludedAttributes", "members")]).await;
    let full = list_with(&app, "/Groups", &[]).await;

    // Assert
    assert_eq!(
        keys(&resources(&only_name)[0]),
        set(&["id", "schemas", "displayName"])
    );
    let g = &resources(&no_members)[0];
    assert!(g.get("members").is_none(), "{g}");
    assert_eq!(g["displayName"], json!("Staff"));
    assert_eq!(
        resources(&full)[0]["members"][0]["value"],
        json!(alice),
        "members are there by default"
    );
}

#[tokio::test]
async fn sub_attributes_kept_outside_columns_are_filterable() {
    // Arrange
    let app = TestApp::spawn().await;
    for (name, locality, postal) in [("hw", "Hollywood", "91608"), ("ny", "New York", "10001")] {
        let body = json!({"userName": name, "addresses": [{"type": "work", "locality": locality, "postalCode": postal}]});
        assert_eq!(app.post("/Users", body).await.status(), StatusCode::CREATED);
    }
    app.create_user("nowhere").await;
    let cases = [
        (
            "addresses.locality eq \"HOLLYWOOD\"",
            vec!["hw"],
            "caseExact false",
        ),
        (
            "addresses[type eq \"work\" and postalCode sw \"100\"]",
            vec!["ny"],
            "value filter",
        ),
        ("addresses.postalCode pr", vec!["hw", "ny"], "present"),
        (
            "addresses.locality ne \"New York\"",
            vec!["hw", "nowhere"],
            "ne holds without addresses",
        ),
    ];
    for (filter, expected, reason) in cases {
        // Act
        let list = app.list("/Users", filter).await;

        // Assert
        let mut names: Vec<&str> = list["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["userName"].as_str().unwrap())
            .collect();
        names.sort_unstable();
        assert_eq!(names, expected, "{reason}: {filter}");
    }
    let bad = app
        .client
        .get(format!("{}/Users", app.base))
        .query(&[("filter", "addresses.nope eq \"x\"")])
        .bearer_auth(&app.token)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn every_rfc_7644_example_filter_returns_the_right_users() {
    // Arrange: data on which each example of RFC 7644 §3.4.2.2 has a distinct answer.
    let app = TestApp::spawn().await;
    let users = [
        json!({"userName": "bjensen", "title": "Tour Guide", "userType": "Employee", "name": {"familyName": "O'Malley"},
               "emails": [{"value": "bjensen@example.com", "type": "work"}], ENTERPRISE: {"department": "Tours"}}),
        json!({"userName": "Jsmith", "userType": "Intern", "emails": [{"value": "js@example.org", "type": "home"}]}),
        json!({"userName": "other", "userType": "Contractor", "ims": [{"value": "o@foo.com", "type": "xmpp"}]}),
    ];
    for body in users {
        assert_eq!(app.post("/Users", body).await.status(), StatusCode::CREATED);
    }
    let cases: [(&str, &[&str]); 19] = [
        (r#"userName Eq "john""#, &[]),
        (r#"userName eq "bjensen""#, &["bjensen"]),
        (r#"name.familyName co "O'Malley""#, &["bjensen"]),
        (r#"userName sw "J""#, &["Jsmith"]),
        (
            r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#,
            &["Jsmith"],
        ),
        (r#"title pr"#, &["bjensen"]),
        (
            r#"meta.lastModified gt "2011-05-13T04:42:34Z""#,
            &["Jsmith", "bjensen", "other"],
        ),
        (
            r#"meta.lastModified ge "2011-05-13T04:42:34Z""#,
            &["Jsmith", "bjensen", "other"],
        ),
        (r#"meta.lastModified lt "2011-05-13T04:42:34Z""#, &[]),
        (r#"meta.lastModified le "2011-05-13T04:42:34Z""#, &[]),
        (r#"title pr and userType eq "Employee""#, &["bjensen"]),
        (
            r#"title pr or userType eq "Intern""#,
            &["Jsmith", "bjensen"],
        ),
        (
            r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#,
            &["bjensen"],
        ),
        (
            r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
            &["bjensen"],
        ),
        (
            r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
            &["other"],
        ),
        (
            r#"userType eq "Employee" and (emails.type eq "work")"#,
            &["bjensen"],
        ),
        (
            r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#,
            &["bjensen"],
        ),
        (
            r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
            &["bjensen", "other"],
        ),
        (
            r#"schemas eq "urn:ietf:params:scim:schemas:core:2.0:User""#,
            &["Jsmith", "bjensen", "other"],
        ),
    ];
    for (filter, expected) in cases {
        // Act
        let list = app.list("/Users", filter).await;

        // Assert
        let mut names: Vec<&str> = list["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["userName"].as_str().unwrap())
            .collect();
        names.sort_unstable();
        assert_eq!(names, expected, "{filter}");
    }
}
