//! PATCH on generated PatchOp bodies: 100,000 parsed and applied in process to a User and a
//! Group never panic (a refusal is a protocol error, a `400`), and a sample sent to the real
//! server is never answered `500`.

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use reqwest::StatusCode;
use scimd::scim::filter::TermBudget;
use scimd::scim::limits::{self, Limits};
use scimd::scim::member_patch;
use scimd::scim::patch;
use scimd::scim::schema::{GROUP_RESOURCE, ResourceTypeDef, USER_RESOURCE};
use scimd::scim::validate::{self, Mode};
use serde_json::{Map, Value, json};

use super::generate::{ENTERPRISE, filter_text, key, mixed_case, path, scalar, scim_json};
use crate::helpers::{PATCH_OP, TestApp, USER_SCHEMA, id};

/// A PATCH path: an attribute path, or a value filter on a multi-valued attribute with an
/// optional sub-attribute after it, or text.
fn patch_path() -> impl Strategy<Value = String> {
    let multi = vec![
        "emails",
        "phoneNumbers",
        "addresses",
        "members",
        "roles",
        "Emails",
        "name",
    ];
    let subs = vec![
        "",
        ".value",
        ".type",
        ".primary",
        ".display",
        ".locality",
        ".x",
    ];
    let terms = vec![
        r#"type eq "work""#,
        r#"value co "@""#,
        "primary eq true",
        "display pr",
        r#"value eq "u-1""#,
        "type ne 1",
        r#"VALUE sw "K""#,
        r#"x eq "y""#,
        "not (primary pr)",
    ];
    let value_filter = (
        prop::collection::vec(prop::sample::select(terms), 1..4),
        prop::sample::select(vec![" and ", " or "]),
    )
        .prop_map(|(t, k)| t.join(k));
    prop_oneof![
        8 => path(),
        6 => (prop::sample::select(multi.clone()), value_filter, prop::sample::select(subs.clone()))
            .prop_map(|(a, f, s)| format!("{a}[{f}]{s}")),
        1 => (prop::sample::select(multi), filter_text(), prop::sample::select(subs))
            .prop_map(|(a, f, s)| format!("{a}[{f}]{s}")),
        1 => "[ -~]{0,24}",
    ]
}

/// A value for an operation: anything, or shaped like what paths take.
fn op_value() -> impl Strategy<Value = Value> {
    let element = (
        prop::option::of(scalar()),
        prop::option::of(prop::sample::select(vec!["work", "home", "User", "Group"])),
        prop::option::of(any::<bool>()),
    )
        .prop_map(|(value, kind, primary)| {
            let mut e = Map::new();
            if let Some(v) = value {
                e.insert("value".into(), v);
            }
            if let Some(k) = kind {
                e.insert("type".into(), json!(k));
            }
            if let Some(p) = primary {
                e.insert("primary".into(), json!(p));
            }
            Value::Object(e)
        });
    prop_oneof![
        3 => scim_json(),
        2 => prop::collection::vec(element, 0..6).prop_map(Value::Array),
        2 => scalar(),
        1 => (key(), scim_json()).prop_map(|(k, v)| json!({ k: v })),
    ]
}

/// One operation object, mostly well formed.
fn operation() -> impl Strategy<Value = Value> {
    let names = vec![
        "add", "remove", "replace", "Add", "REPLACE", "Remove", "move", "",
    ];
    (
        prop::sample::select(names),
        prop::option::of(patch_path()),
        prop::option::of(op_value()),
        any::<u64>(),
        prop::option::of((key(), scalar())),
    )
        .prop_map(|(op, path, value, mask, extra)| {
            let mut o = Map::new();
            o.insert(mixed_case("op", mask), json!(op));
            if let Some(p) = path {
                o.insert(mixed_case("path", mask >> 2), json!(p));
            }
            if let Some(v) = value {
                o.insert(mixed_case("value", mask >> 4), v);
            }
            if let Some((k, v)) = extra {
                o.insert(k, v);
            }
            Value::Object(o)
        })
}

/// An operation a client would plausibly send: a known path and a value of its type.
fn plausible_operation() -> impl Strategy<Value = Value> {
    let targets: Vec<(&str, Value)> = vec![
        ("title", json!("Boss")),
        ("displayName", json!("Kim Lee")),
        ("name.givenName", json!("Kim")),
        ("active", json!("False")),
        (
            "emails",
            json!([{"value": "new@example.com", "type": "work", "primary": true}]),
        ),
        (r#"emails[type eq "work"].value"#, json!("w@example.com")),
        (
            r#"emails[value eq "k@example.com"]"#,
            json!({"value": "k2@example.com"}),
        ),
        (r#"addresses[type eq "work"].locality"#, json!("City")),
        (
            "phoneNumbers",
            json!([{"value": "+1 555", "type": "mobile"}]),
        ),
        (
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
            json!("Sales"),
        ),
        (
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
            json!("m-2"),
        ),
        (
            "members",
            json!([{"value": "2819c223-7f76-453a-919d-413861904646"}]),
        ),
        (r#"members[value eq "u-1"]"#, Value::Null),
    ];
    let targets: Vec<(String, Value)> = targets
        .into_iter()
        .map(|(p, v)| (p.to_owned(), v))
        .collect();
    (
        prop::sample::select(vec!["add", "replace", "remove", "Replace"]),
        prop::sample::select(targets),
        any::<bool>(),
    )
        .prop_map(|(op, (path, value), with_path)| {
            if with_path || op == "remove" {
                json!({"op": op, "path": path, "value": value})
            } else {
                json!({"op": op, "value": {path: value}})
            }
        })
}

/// A PatchOp body: mostly a well-formed envelope, sometimes anything.
pub fn patch_op() -> impl Strategy<Value = Value> {
    let op = prop_oneof![3 => plausible_operation(), 2 => operation()];
    prop_oneof![
        8 => prop::collection::vec(op, 1..6)
            .prop_map(|ops| json!({"schemas": [PATCH_OP], "Operations": ops})),
        1 => (prop::collection::vec(scim_json(), 0..4), any::<bool>()).prop_map(|(ops, listed)| {
            let schemas = if listed { json!([PATCH_OP]) } else { json!([]) };
            json!({"schemas": schemas, "operations": ops})
        }),
        1 => scim_json(),
    ]
}

fn user() -> Map<String, Value> {
    let Value::Object(attrs) = json!({
        "userName": "kim",
        "name": {"givenName": "Kim", "familyName": "Lee"},
        "emails": [
            {"value": "k@example.com", "type": "work", "primary": true},
            {"value": "kim@example.org", "type": "home"},
        ],
        "addresses": [{"locality": "Town", "type": "work"}],
        "active": true,
        ENTERPRISE: {"department": "D", "manager": {"value": "m-1"}},
    }) else {
        unreachable!()
    };
    attrs
}

fn group() -> Map<String, Value> {
    let Value::Object(attrs) = json!({
        "displayName": "g",
        "members": [{"value": "u-1", "type": "User"}, {"value": "g-2", "type": "Group"}],
    }) else {
        unreachable!()
    };
    attrs
}

/// What the service does with a PATCH before its unit of work commits, without the store.
fn apply(rt: &ResourceTypeDef, current: Map<String, Value>, body: &Value) {
    let limits = Limits::DEFAULT;
    let mut terms = TermBudget::new(limits.max_filter_terms);
    let Ok(ops) = patch::parse(body, &limits, &mut terms) else {
        return;
    };
    for op in &ops {
        let _ = op
            .value
            .as_ref()
            .map(|v| limits::check_arrays(v, limits.max_values));
    }
    if std::ptr::eq(rt, &GROUP_RESOURCE) {
        let _ = member_patch::split(&ops);
    }
    let Ok(patched) = patch::apply(rt, current.clone(), &ops, terms) else {
        return;
    };
    if let Ok(attrs) = validate::normalize(rt, &Value::Object(patched), Mode::Full) {
        let _ = validate::check_immutable(rt, &current, &attrs);
        let _ = limits::check_grown(&current, &attrs, limits.max_values);
    }
}

proptest! {
    #![proptest_config(Config { cases: 100_000, ..super::config() })]

    #[test]
    fn generated_patches_apply_or_are_refused_without_panicking(body in patch_op()) {
        apply(&USER_RESOURCE, user(), &body);
        apply(&GROUP_RESOURCE, group(), &body);
    }
}

#[tokio::test]
async fn generated_patches_sent_to_the_server_are_never_a_server_error() {
    // Arrange: a user and a group (with the user as member) that every PATCH goes to in turn,
    // so later ones meet what earlier ones left.
    let app = TestApp::spawn().await;
    let body = json!({"schemas": [USER_SCHEMA], "userName": "kim", "emails": user()["emails"]});
    let user = app
        .post("/Users", body)
        .await
        .json::<Value>()
        .await
        .expect("user");
    let group = app.create_group("g", &[&id(&user)]).await;
    let targets = [
        format!("/Users/{}", id(&user)),
        format!("/Groups/{}", id(&group)),
    ];
    let mut runner = TestRunner::new(Config::default());
    let strategy = patch_op();
    let mut answered = [0_usize; 6];

    for n in 0..SAMPLE {
        let body = strategy.new_tree(&mut runner).expect("generate").current();
        let target = &targets[n % 2];

        // Act
        let resp = app.patch(target, body.clone()).await;

        // Assert
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        assert!(
            !status.is_server_error(),
            "{status} for PATCH {target} {body}: {text}"
        );
        answered[usize::from(status.as_u16() / 100)] += 1;
    }
    assert!(
        answered[2] > SAMPLE / 10,
        "some PATCHes applied: {answered:?}"
    );
    let user = app.get(&targets[0]).await;
    assert_eq!(user.status(), StatusCode::OK, "the user is still readable");
}

/// PATCH requests sent to the server per test run.
const SAMPLE: usize = 1_000;
